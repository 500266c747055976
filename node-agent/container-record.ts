/**
 * What the pod worker keeps of one container of a pod: its latest attempt and the one
 * before, the attempt number to start next, its restart back-off, what its prober said of
 * the running attempt, and why it waits when it is not running. Only the pod's own worker
 * touches it (one sync at a time).
 */
import type { ContainerProber } from './probes/probe-types.js';
import { RestartBackoff } from './restart-backoff.js';
import type { BackoffSettings } from './restart-backoff.js';
import type { ContainerInfo, PortMapping } from './runtime/container-runtime.js';
import type { ContainerView } from './pod-status.js';

export class ContainerRecord {
  /** The latest attempt (running or exited). */
  current: ContainerInfo | undefined;
  /** The attempt before `current`, kept for `lastState` and `logs --previous`. */
  previous: ContainerInfo | undefined;
  /** The attempt number the next start gets. */
  nextAttempt = 0;
  readonly backoff: RestartBackoff;
  /** Why it is not running while it is to be (re)started. */
  waiting: { reason: string; message?: string } | undefined;
  /** No new start before this time (epoch ms): a failed start backs off. */
  retryAtMs: number | undefined;
  ready = false;
  started = false;
  prober: ContainerProber | undefined;
  /** The running attempt's liveness or startup probe gave up on it: kill and restart. */
  unhealthy: { kind: 'liveness' | 'startup'; message: string } | undefined;
  /** The attempt whose back-off was announced with a BackOff event (one event per wait). */
  announcedBackoffFor: string | undefined;

  constructor(
    readonly name: string,
    readonly init: boolean,
    backoff: BackoffSettings,
  ) {
    this.backoff = new RestartBackoff(backoff);
  }

  get running(): boolean {
    return this.current?.state === 'running';
  }

  /** An init container that exited 0: done for the pod's life. */
  get succeeded(): boolean {
    return this.current?.state === 'exited' && this.current.exitCode === 0;
  }

  /** A new attempt started: the old `previous` is returned (for removal from the runtime). */
  attemptStarted(info: ContainerInfo): ContainerInfo | undefined {
    const dropped = this.current === undefined ? undefined : this.previous;
    if (this.current !== undefined) this.previous = this.current;
    this.current = info;
    this.nextAttempt = info.attempt + 1;
    this.waiting = undefined;
    this.retryAtMs = undefined;
    this.ready = false;
    this.started = false;
    this.unhealthy = undefined;
    return dropped;
  }

  /** The running attempt ended (the runtime's exit report, or what a stop left). */
  exited(info: ContainerInfo): void {
    if (this.current?.id !== info.id) return;
    this.current = info;
    this.ready = false;
    this.started = false;
    this.stopProber();
  }

  stopProber(): void {
    this.prober?.stop();
    this.prober = undefined;
  }

  view(image: string, ports: readonly PortMapping[]): ContainerView {
    return {
      name: this.name,
      image,
      ...(this.current !== undefined ? { current: this.current } : {}),
      ...(this.previous !== undefined ? { previous: this.previous } : {}),
      restartCount: this.current?.attempt ?? 0,
      // An init container is ready once it has done its work.
      ready: this.init ? this.succeeded : this.ready,
      started: this.started,
      ...(this.waiting !== undefined ? { waiting: this.waiting } : {}),
      ports,
    };
  }
}
