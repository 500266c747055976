/**
 * The prober of one container attempt: runs its startup, liveness and readiness probes on
 * Kubernetes' schedule and tells the pod worker what it acts on.
 *
 * The rules (the kubelet's prober workers):
 * - Each probe's first attempt comes `initialDelaySeconds` after `start` (for liveness and
 *   readiness: then, or as soon as startup is over if that is later), the next ones every
 *   `periodSeconds` counted from the start of the previous attempt. An attempt never
 *   overlaps the previous one of the same probe: one that outlives the period is followed
 *   at once by the next.
 * - The startup probe runs first; liveness and readiness only begin once it has succeeded
 *   (`started`), and it is not run again. Without one, `started` is called from `start`.
 * - A result counts only when it repeats: `successThreshold` successes in a row make a
 *   readiness probe ready, `failureThreshold` failures in a row unready (only changes are
 *   reported; a container with a readiness probe starts unready and nothing is reported
 *   until it is ready). Without a readiness probe the container is ready once started.
 * - `failureThreshold` failures in a row of the liveness or startup probe make the
 *   container unhealthy: `unhealthy` is the last call, and every probe stops.
 * - Every failed attempt is reported (`probeFailed`), so is an attempt that could not be
 *   made (an `error` result: a missing port name, an exec the runtime refused); the latter
 *   never counts towards a threshold, as in the kubelet.
 * - `stop` cancels every timer and attempt in flight; no listener call follows it.
 */
import { realProbeClock } from './probe-clock.js';
import type { ProbeClock } from './probe-clock.js';
import { runProbe } from './probe-handlers.js';
import type { ProbeRunner } from './probe-handlers.js';
import type { ProbeResult } from './probe-result.js';
import { readContainerProbe } from './probe-spec.js';
import type { ProbeSpec } from './probe-spec.js';
import type { ContainerProber, ContainerProberFactory, ProbeKind, ProbeListener, ProbeTarget } from './probe-types.js';

export interface ContainerProberOptions {
  /** The time attempts are scheduled and timed out on (default: Node's timers). */
  readonly clock?: ProbeClock;
  /** Runs one attempt (default: the real `httpGet`, `tcpSocket`, `exec` and `grpc` handlers). */
  readonly runProbe?: ProbeRunner;
}

/** A prober factory on the given clock and attempt runner (tests inject a virtual clock). */
export function makeContainerProberFactory(options: ContainerProberOptions = {}): ContainerProberFactory {
  const clock = options.clock ?? realProbeClock;
  const runner = options.runProbe ?? runProbe;
  return (container, target, listener) => {
    const probes: Probes = {
      startup: readContainerProbe(container, 'startup'),
      liveness: readContainerProbe(container, 'liveness'),
      readiness: readContainerProbe(container, 'readiness'),
    };
    return new Prober({ probes, target, listener, clock, runner });
  };
}

/** The agent's factory: real timers, real probes. */
export const createContainerProber: ContainerProberFactory = makeContainerProberFactory();

type Probes = Readonly<Record<ProbeKind, ProbeSpec | undefined>>;

interface ProberSetup {
  readonly probes: Probes;
  readonly target: ProbeTarget;
  readonly listener: ProbeListener;
  readonly clock: ProbeClock;
  readonly runner: ProbeRunner;
}

class Prober implements ContainerProber {
  /** The probing of the current `start`; a stopped or unhealthy one stays here, inactive, until the next. */
  private session: Session | null = null;

  constructor(private readonly setup: ProberSetup) {}

  start(): void {
    if (this.session?.active === true) throw new Error('the container prober is already running');
    this.session = new Session(this.setup);
    this.session.begin();
  }

  stop(): void {
    this.session?.halt();
  }
}

/** One run of the probes, from `start` to `stop` or to the container found unhealthy. */
class Session {
  active = true;
  private readonly stopped = new AbortController();
  private readonly workers: Worker[] = [];
  private startMs = 0;
  private ready = false;

  constructor(private readonly setup: ProberSetup) {}

  begin(): void {
    this.startMs = this.setup.clock.now();
    const startup = this.setup.probes.startup;
    if (startup === undefined) this.markStarted();
    else this.launch('startup', startup);
  }

  halt(): void {
    if (!this.active) return;
    this.active = false;
    for (const worker of this.workers) worker.cancel();
    this.stopped.abort();
  }

  /** Runs one attempt of `worker`'s probe. */
  attempt(worker: Worker): Promise<ProbeResult> {
    const { clock, target, runner } = this.setup;
    return runner(worker.spec.handler, target, { clock, timeoutMs: worker.spec.timeoutSeconds * 1000, signal: this.stopped.signal });
  }

  /** Acts on one attempt's result; `streak` is how many results in a row (this one included) had its outcome. */
  record(worker: Worker, result: ProbeResult, streak: number): void {
    const { listener } = this.setup;
    const { kind, spec } = worker;
    listener.probed?.(kind, result.outcome === 'success' ? 'successful' : result.outcome === 'failure' ? 'failed' : 'unknown');
    if (result.outcome !== 'success') {
      listener.probeFailed(kind, result.message);
      if (!this.active || result.outcome === 'error') return;
    }
    const succeeded = result.outcome === 'success';
    const decided = streak >= (succeeded ? spec.successThreshold : spec.failureThreshold);
    if (!decided) return;
    switch (kind) {
      case 'startup':
        if (succeeded) {
          worker.cancel();
          this.markStarted();
        } else {
          this.halt();
          listener.unhealthy('startup', result.message);
        }
        return;
      case 'liveness':
        if (!succeeded) {
          this.halt();
          listener.unhealthy('liveness', result.message);
        }
        return;
      case 'readiness':
        this.setReady(succeeded);
        return;
      default: {
        const unexpected: never = kind;
        throw new Error(`unknown probe kind ${String(unexpected)}`);
      }
    }
  }

  private markStarted(): void {
    this.setup.listener.started();
    const { liveness, readiness } = this.setup.probes;
    if (readiness === undefined) this.setReady(true);
    if (liveness !== undefined) this.launch('liveness', liveness);
    if (readiness !== undefined) this.launch('readiness', readiness);
  }

  private setReady(ready: boolean): void {
    if (!this.active || this.ready === ready) return;
    this.ready = ready;
    this.setup.listener.readinessChanged(ready);
  }

  /** Starts `spec`'s worker, its first attempt `initialDelaySeconds` after the container's start (at once if that has passed). */
  private launch(kind: ProbeKind, spec: ProbeSpec): void {
    if (!this.active) return;
    const worker = new Worker(kind, spec, this, this.setup.clock);
    this.workers.push(worker);
    worker.schedule(Math.max(0, this.startMs + spec.initialDelaySeconds * 1000 - this.setup.clock.now()));
  }
}

/** One probe's attempts, one at a time, and its run of equal outcomes. */
class Worker {
  private cancelled = false;
  private cancelTimer: (() => void) | null = null;
  private lastOutcome: 'success' | 'failure' | null = null;
  private streak = 0;

  constructor(
    readonly kind: ProbeKind,
    readonly spec: ProbeSpec,
    private readonly session: Session,
    private readonly clock: ProbeClock,
  ) {}

  schedule(delayMs: number): void {
    if (this.cancelled || !this.session.active) return;
    this.cancelTimer = this.clock.schedule(delayMs, () => {
      this.cancelTimer = null;
      void this.run();
    });
  }

  cancel(): void {
    this.cancelled = true;
    this.cancelTimer?.();
    this.cancelTimer = null;
  }

  private async run(): Promise<void> {
    const attemptStartMs = this.clock.now();
    const result = await this.session.attempt(this);
    if (this.cancelled || !this.session.active) return;
    if (result.outcome !== 'error') {
      this.streak = result.outcome === this.lastOutcome ? this.streak + 1 : 1;
      this.lastOutcome = result.outcome;
    }
    this.session.record(this, result, this.streak);
    this.schedule(Math.max(0, attemptStartMs + this.spec.periodSeconds * 1000 - this.clock.now()));
  }
}
