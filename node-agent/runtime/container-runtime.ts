/**
 * What the node agent asks of a container runtime, whichever it is (`process`: child
 * processes of this host; `docker`: the Docker Engine API). The agent decides *what* runs
 * (which container, which attempt, when to stop it); the runtime only runs, stops, lists
 * and executes in containers, and writes each container's output to the log file it is
 * given. Everything a runtime needs is resolved by the agent before the call: environment
 * values (ConfigMap and Secret references already read), volume directories (already made
 * on the node), host ports (already allocated for the pod).
 *
 * A pod is one unit: its containers share the pod's address (the node's IP) and reach
 * each other on localhost; each container port has a host port of its own, allocated per
 * pod, which the container learns from `PORT_<NAME>` and `PORT`.
 */

/** One container port of the pod spec, with the host port the agent allocated for it. */
export interface PortMapping {
  /** The port's name in the spec (`http`), if it has one. */
  readonly name?: string;
  /** The `containerPort` of the spec. */
  readonly containerPort: number;
  /** The port on the node the container listens on (allocated by the agent, free when allocated). */
  readonly hostPort: number;
  readonly protocol: 'TCP' | 'UDP' | 'SCTP';
}

/** A directory of the node seen by the container at `mountPath`. */
export interface VolumeMount {
  /** The volume's name in the pod spec. */
  readonly name: string;
  /** Where the container sees it (`/data`). */
  readonly mountPath: string;
  /** The directory on the node that holds it (an emptyDir, a projected ConfigMap, a hostPath). */
  readonly hostPath: string;
  readonly readOnly: boolean;
}

/** Limits from `resources.limits`; absent fields are unlimited. */
export interface ResourceLimits {
  /** CPU in millicores (`500m` = 500, `2` = 2000). */
  readonly cpuMillis?: number;
  readonly memoryBytes?: number;
}

/** Everything needed to start one attempt of one container of a pod. */
export interface ContainerSpec {
  readonly podUid: string;
  readonly podNamespace: string;
  readonly podName: string;
  /** The container's name in the pod spec. */
  readonly containerName: string;
  /** 0 for the first start of this container in this pod, then 1, 2, … for each restart. */
  readonly attempt: number;
  /** What runs: for `docker` an image reference; for `process` only a name, passed as `BALSA_IMAGE`. */
  readonly image: string;
  /** The spec's `command` (the executable and its first arguments); empty for `docker` means the image's entrypoint. */
  readonly command: readonly string[];
  readonly args: readonly string[];
  /** The resolved environment, in the spec's order; the runtime adds `PORT`, `PORT_<NAME>` and `BALSA_IMAGE`. */
  readonly env: readonly { readonly name: string; readonly value: string }[];
  /** Absolute; for `process`, `/<volume mountPath>/...` paths are translated to their host directory. */
  readonly workingDir?: string;
  readonly ports: readonly PortMapping[];
  readonly mounts: readonly VolumeMount[];
  readonly limits: ResourceLimits;
  /** The node's address: the container's host ports are bound there by the app (`PORT`), and probes aim at it. */
  readonly nodeIp: string;
  /** The file the runtime appends the container's stdout and stderr to (rotated by size by the runtime). */
  readonly logPath: string;
}

export type ContainerState = 'running' | 'exited';

/** What a runtime knows of one container it started (in this agent run or an earlier one). */
export interface ContainerInfo {
  /** The runtime's id for it (stable across agent restarts). */
  readonly id: string;
  readonly podUid: string;
  readonly podNamespace: string;
  readonly podName: string;
  readonly containerName: string;
  readonly attempt: number;
  readonly image: string;
  readonly state: ContainerState;
  /** Epoch ms when it started. */
  readonly startedAtMs: number;
  /** Epoch ms when it exited (state `exited`). */
  readonly finishedAtMs?: number;
  /** The exit code (state `exited`); 128 + n when a signal n ended it; absent when unknown (exited while no agent watched). */
  readonly exitCode?: number;
  /** `Completed` (exit 0), `Error`, `OOMKilled`, or `Unknown`. */
  readonly reason?: string;
  /** The host ports it was started with. */
  readonly ports: readonly PortMapping[];
  readonly logPath: string;
  /** Why limits were not enforced, when they were asked for and the host could not (no writable cgroup v2). */
  readonly limitsNote?: string;
}

export interface ExecResult {
  /** The command's exit code; 124 when it timed out and was killed. */
  readonly exitCode: number;
  /** Its stdout and stderr, interleaved, at most 10 KiB. */
  readonly output: string;
  readonly timedOut: boolean;
}

export interface ContainerRuntime {
  /** `process` or `docker`. */
  readonly name: string;
  /** Starts one attempt; resolves once it runs (a command that cannot be started rejects with a RuntimeError). */
  start(spec: ContainerSpec): Promise<ContainerInfo>;
  /**
   * Stops it: SIGTERM, then SIGKILL once `gracePeriodSeconds` have passed; resolves when
   * it has exited (at once when it already had).
   */
  stop(id: string, gracePeriodSeconds: number): Promise<void>;
  /** Forgets an exited container (its log file stays: the agent removes the pod's log directory with the pod). */
  remove(id: string): Promise<void>;
  /** Every container this runtime has not removed, running or exited, including ones an earlier agent run started. */
  list(): Promise<ContainerInfo[]>;
  inspect(id: string): Promise<ContainerInfo | undefined>;
  /** Runs a command inside the container's context (same env, working directory, mounts): exec probes and preStop hooks. */
  exec(id: string, command: readonly string[], timeoutMs: number): Promise<ExecResult>;
  /** Called once for each container that exits after `start` or adoption by `list`. */
  onExit(listener: (info: ContainerInfo) => void): void;
  /** Releases the runtime's own resources (watchers, sockets); leaves containers as they are. */
  close(): Promise<void>;
}
