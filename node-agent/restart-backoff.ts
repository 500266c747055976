/**
 * The restart back-off of one container, as Kubernetes' kubelet keeps it: the first restart
 * after a crash is immediate, each later one waits twice as long as the one before (from
 * `baseMs`, capped at `maxMs`), measured from when the container exited; a container that
 * ran `resetMs` or longer before it exited starts over with an immediate restart.
 * Pure: times are given, never read.
 */

export interface BackoffSettings {
  readonly baseMs: number;
  readonly maxMs: number;
  readonly resetMs: number;
}

export class RestartBackoff {
  /** The wait before the next restart; 0 until the first restart. */
  private delayMs = 0;

  constructor(private readonly settings: BackoffSettings) {
    if (!(settings.baseMs > 0 && settings.baseMs <= settings.maxMs)) throw new RangeError('back-off: base must be > 0 and ≤ max');
  }

  /**
   * When the container that ran from `startedAtMs` to `finishedAtMs` may be restarted
   * (epoch ms), and the wait that stands for (0 for an immediate restart).
   */
  restartAt(startedAtMs: number, finishedAtMs: number): { atMs: number; delayMs: number } {
    if (finishedAtMs - startedAtMs >= this.settings.resetMs) this.delayMs = 0;
    return { atMs: finishedAtMs + this.delayMs, delayMs: this.delayMs };
  }

  /** Called when the container is restarted: the next wait doubles. */
  restarted(): void {
    this.delayMs = this.delayMs === 0 ? this.settings.baseMs : Math.min(this.delayMs * 2, this.settings.maxMs);
  }
}

/** A duration the way Go prints one (`10s`, `1m20s`, `5m0s`, `200ms`): Kubernetes' back-off messages use it. */
export function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const seconds = (ms % 60_000) / 1000;
  const secondsText = `${Number.isInteger(seconds) ? seconds : seconds.toFixed(3).replace(/0+$/, '')}s`;
  if (hours > 0) return `${hours}h${minutes}m${secondsText}`;
  if (minutes > 0) return `${minutes}m${secondsText}`;
  return secondsText;
}
