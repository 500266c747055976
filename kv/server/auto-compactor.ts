/**
 * Auto-compaction (`--auto-compaction-mode`, `--auto-compaction-retention`), run by the
 * leader only, with etcd's semantics:
 *
 * - revision mode keeps the last N revisions: every check (etcd: 5 minutes) it compacts
 *   at current − N, unless that is not positive or was already done;
 * - periodic mode keeps the history of the retention period: it samples the revision
 *   every tenth of the compaction interval (the retention, at most an hour) and, once a
 *   full retention has passed, and then every interval, compacts at the revision it
 *   sampled a retention ago.
 *
 * The clock is the caller's: `tick(nowMs)` decides and compacts; `start()` calls it on a
 * timer.
 */
import type { AutoCompaction } from './config.js';
import {
  MAX_PERIODIC_COMPACTION_INTERVAL_MS,
  PERIODIC_COMPACTION_SAMPLES_PER_INTERVAL,
  REVISION_COMPACTION_INTERVAL_MS,
} from './constants.js';

export interface AutoCompactorOptions {
  readonly policy: Exclude<AutoCompaction, { mode: 'off' }>;
  readonly currentRevision: () => number;
  readonly compactRevision: () => number;
  readonly isLeader: () => boolean;
  /** Propose a compaction at `revision`; resolves once applied. A revision already compacted is not a failure. */
  readonly compact: (revision: number) => Promise<void>;
  /** Check every this many ms (default: etcd's, per mode). */
  readonly checkIntervalMs?: number;
}

interface Sample {
  readonly atMs: number;
  readonly revision: number;
}

export class AutoCompactor {
  readonly checkIntervalMs: number;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  /** Revision mode: the last revision compacted at. */
  private lastRevision = 0;
  /** Periodic mode: revisions sampled, oldest first, and when the next compaction is due. */
  private samples: Sample[] = [];
  private dueAtMs: number | null = null;

  constructor(private readonly options: AutoCompactorOptions) {
    this.checkIntervalMs = options.checkIntervalMs ?? defaultCheckIntervalMs(options.policy);
    if (!(this.checkIntervalMs > 0)) throw new Error(`auto-compaction check interval ${this.checkIntervalMs} must be positive`);
  }

  start(now: () => number = Date.now): void {
    this.timer = setInterval(() => void this.tick(now()), this.checkIntervalMs);
    void this.tick(now());
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** One check at `nowMs`: compacts if due (and leading). Never throws; one check at a time. */
  async tick(nowMs: number): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const target = this.options.policy.mode === 'revision' ? this.revisionTarget() : this.periodicTarget(nowMs);
      if (target === null || !this.options.isLeader()) return;
      if (target > this.options.compactRevision()) await this.options.compact(target);
      if (this.options.policy.mode === 'revision') this.lastRevision = target;
      else this.dueAtMs = nowMs + compactionIntervalMs(this.options.policy.retentionMs);
    } catch {
      // Retried at the next check, as etcd retries.
    } finally {
      this.running = false;
    }
  }

  private revisionTarget(): number | null {
    if (this.options.policy.mode !== 'revision') return null;
    const target = this.options.currentRevision() - this.options.policy.retainRevisions;
    return target <= 0 || target === this.lastRevision ? null : target;
  }

  private periodicTarget(nowMs: number): number | null {
    if (this.options.policy.mode !== 'periodic') return null;
    const retentionMs = this.options.policy.retentionMs;
    this.samples.push({ atMs: nowMs, revision: this.options.currentRevision() });
    this.dueAtMs ??= nowMs + retentionMs;
    // Keep the newest sample at least a retention old, and everything after it.
    const old = this.samples.filter((s) => s.atMs <= nowMs - retentionMs);
    if (old.length > 1) this.samples = this.samples.slice(old.length - 1);
    if (nowMs < this.dueAtMs || old.length === 0) return null;
    return this.samples[0]!.revision;
  }
}

/** Periodic mode compacts every retention, at most hourly. */
function compactionIntervalMs(retentionMs: number): number {
  return Math.min(retentionMs, MAX_PERIODIC_COMPACTION_INTERVAL_MS);
}

function defaultCheckIntervalMs(policy: AutoCompactorOptions['policy']): number {
  return policy.mode === 'revision'
    ? REVISION_COMPACTION_INTERVAL_MS
    : compactionIntervalMs(policy.retentionMs) / PERIODIC_COMPACTION_SAMPLES_PER_INTERVAL;
}
