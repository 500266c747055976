/**
 * The contract between the pod worker and the probes of one container (liveness,
 * readiness, startup; `httpGet`, `tcpSocket`, `exec`). The prober runs the probes on
 * their own schedule from the container's start and tells the pod worker only what it
 * acts on: readiness changes (the Ready condition and the Service's endpoints), the end of
 * startup, and a container found unhealthy (kill and restart per the restart policy).
 */
import type { ExecResult, PortMapping } from '../runtime/container-runtime.js';

export type ProbeKind = 'liveness' | 'readiness' | 'startup';

/** Where a container's probes aim. */
export interface ProbeTarget {
  /** The host probes connect to when the probe names none (the node's IP). */
  readonly host: string;
  /** The container's ports with their host ports: a probe's named or numeric port maps through these. */
  readonly ports: readonly PortMapping[];
  /** Runs an `exec` probe's command in the container. */
  exec(command: readonly string[], timeoutMs: number): Promise<ExecResult>;
}

/** What the pod worker hears from a container's prober. */
export interface ProbeListener {
  /**
   * Readiness changed. A container with a readiness probe starts unready and becomes
   * ready after `successThreshold` successes; one without is ready once started.
   */
  readinessChanged(ready: boolean): void;
  /** The startup probe succeeded (called at once when there is none): liveness and readiness probes begin. */
  started(): void;
  /**
   * The liveness probe (or the startup probe) failed `failureThreshold` times in a row:
   * the container is to be killed and restarted per the pod's restart policy. Probing
   * stops until the next `start`.
   */
  unhealthy(kind: 'liveness' | 'startup', message: string): void;
  /** One failed probe, for the `Unhealthy` Event (`Readiness probe failed: HTTP probe failed with statuscode: 503`). */
  probeFailed(kind: ProbeKind, message: string): void;
  /** Every attempt's result, for the metrics: `successful`, `failed`, or `unknown` (the probe could not run). */
  probed?(kind: ProbeKind, result: 'successful' | 'failed' | 'unknown'): void;
}

/** The probes of one running container attempt. */
export interface ContainerProber {
  /** Starts probing (honouring `initialDelaySeconds`); call once per container attempt. */
  start(): void;
  /** Stops every timer and probe in flight; no listener call follows. */
  stop(): void;
}

/** Makes the prober of one container attempt from its spec (the container object of the pod spec, defaulted). */
export type ContainerProberFactory = (container: Readonly<Record<string, unknown>>, target: ProbeTarget, listener: ProbeListener) => ContainerProber;
