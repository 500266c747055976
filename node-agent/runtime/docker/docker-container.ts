/**
 * How a `ContainerSpec` becomes a Docker container and how a Docker container becomes a
 * `ContainerInfo` again. Everything the agent must learn back after its own restart (the
 * pod it belongs to, the attempt, its host ports, its log file) travels in the container's
 * labels, so the daemon is the only record: `list` after a restart needs nothing else.
 */
import type { ContainerInfo, ContainerSpec, PortMapping } from '../container-runtime.js';
import { envSuffix } from '../process/container-environment.js';
import { DOCKER_LOG_MAX_SIZE, LABEL_PREFIX, LABEL_STATE_DIR } from './constants.js';
import { dockerTimeMs } from './docker-time.js';

/** The labels of a container, one per field of `ContainerInfo` the daemon does not know. */
const LABELS = {
  podUid: `${LABEL_PREFIX}pod-uid`,
  podNamespace: `${LABEL_PREFIX}pod-namespace`,
  podName: `${LABEL_PREFIX}pod-name`,
  containerName: `${LABEL_PREFIX}container-name`,
  attempt: `${LABEL_PREFIX}attempt`,
  /** The image as the spec names it (the daemon's `Config.Image` may be normalized). */
  image: `${LABEL_PREFIX}image`,
  /** The `PortMapping`s as JSON. */
  ports: `${LABEL_PREFIX}ports`,
  logPath: `${LABEL_PREFIX}log-path`,
  limitsNote: `${LABEL_PREFIX}limits-note`,
} as const;

/** What the daemon's `GET /containers/{id}/json` says that this runtime reads. */
export interface DockerInspect {
  readonly Id: string;
  readonly Created: string;
  readonly State: {
    readonly Status: string;
    readonly Running: boolean;
    readonly Paused: boolean;
    readonly Restarting: boolean;
    readonly OOMKilled: boolean;
    readonly ExitCode: number;
    readonly StartedAt: string;
    readonly FinishedAt: string;
  };
  readonly Config: { readonly Labels: Readonly<Record<string, string>> | null };
}

/**
 * The container's environment: the spec's `env` in its order, then what the runtime adds —
 * `PORT` (the first port's host port), `PORT_<NAME>` per named port, `BALSA_IMAGE`,
 * `BALSA_VOLUME_<NAME>` (its mount path: in a container the volume is where the spec says).
 * A later entry replaces an earlier one of the same name in its place; the runtime's come
 * last and win. The image's own variables (`PATH`) are merged in by the daemon, below these.
 */
export function containerEnv(spec: ContainerSpec): string[] {
  const env = new Map<string, string>();
  for (const { name, value } of spec.env) env.set(name, value);
  const first = spec.ports[0];
  if (first !== undefined) env.set('PORT', String(first.hostPort));
  for (const port of spec.ports) if (port.name !== undefined && port.name !== '') env.set(`PORT_${envSuffix(port.name)}`, String(port.hostPort));
  env.set('BALSA_IMAGE', spec.image);
  for (const mount of spec.mounts) env.set(`BALSA_VOLUME_${envSuffix(mount.name)}`, mount.mountPath);
  return [...env].map(([name, value]) => `${name}=${value}`);
}

/**
 * The body of `POST /containers/create` for one attempt:
 * - `command` replaces the image's entrypoint (and then the image's `Cmd` is not used,
 *   as in Kubernetes); `args` replaces its `Cmd`.
 * - The host network: the container binds its host ports itself (`PORT`), on the node's
 *   address, and its pod's containers reach each other on localhost. No bridge, no NAT.
 * - No init process: the command is PID 1 of its PID namespace, as under Kubernetes, so a
 *   signal it has no handler for (SIGTERM of a plain `sleep`) does nothing, and a stop
 *   waits out the grace period before SIGKILL.
 * - Limits: `Memory` (and as much `MemorySwap`: no swap) and `NanoCpus`.
 * - Never restarted by the daemon: restarts are the agent's decision.
 */
export function createBody(spec: ContainerSpec, stateDir: string, limitsNote: string | undefined): Record<string, unknown> {
  const labels: Record<string, string> = {
    [LABEL_STATE_DIR]: stateDir,
    [LABELS.podUid]: spec.podUid,
    [LABELS.podNamespace]: spec.podNamespace,
    [LABELS.podName]: spec.podName,
    [LABELS.containerName]: spec.containerName,
    [LABELS.attempt]: String(spec.attempt),
    [LABELS.image]: spec.image,
    [LABELS.ports]: JSON.stringify(spec.ports),
    [LABELS.logPath]: spec.logPath,
  };
  if (limitsNote !== undefined) labels[LABELS.limitsNote] = limitsNote;
  const { memoryBytes, cpuMillis } = spec.limits;
  return {
    Image: spec.image,
    ...(spec.command.length > 0 ? { Entrypoint: spec.command } : {}),
    ...(spec.args.length > 0 ? { Cmd: spec.args } : {}),
    Env: containerEnv(spec),
    ...(spec.workingDir === undefined ? {} : { WorkingDir: spec.workingDir }),
    Labels: labels,
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    Tty: false,
    OpenStdin: false,
    HostConfig: {
      NetworkMode: 'host',
      Init: false,
      RestartPolicy: { Name: 'no' },
      Mounts: spec.mounts.map((mount) => ({ Type: 'bind', Source: mount.hostPath, Target: mount.mountPath, ReadOnly: mount.readOnly })),
      LogConfig: { Type: 'json-file', Config: { 'max-size': DOCKER_LOG_MAX_SIZE, 'max-file': '2' } },
      ...(memoryBytes === undefined ? {} : { Memory: memoryBytes, MemorySwap: memoryBytes }),
      ...(cpuMillis === undefined ? {} : { NanoCpus: cpuMillis * 1_000_000 }),
    },
  };
}

/** The name given to the container in the daemon (for people reading `docker ps`; the id is what counts). */
export function containerName(spec: ContainerSpec, suffix: string): string {
  const safe = (text: string): string => text.replace(/[^a-zA-Z0-9_.-]/g, '-');
  return `balsa_${safe(spec.containerName)}_${safe(spec.podName)}_${safe(spec.podNamespace)}_${spec.attempt}_${suffix}`;
}

/** The log file a container's labels name, or undefined when it is none of ours. */
export function labelledLogPath(inspect: DockerInspect): string | undefined {
  return inspect.Config.Labels?.[LABELS.logPath];
}

/**
 * The runtime-neutral view of a container of this runtime (labelled with `stateDir`);
 * undefined for any other container. A container the daemon created but could not start
 * counts as exited.
 */
export function toInfo(inspect: DockerInspect, stateDir: string): ContainerInfo | undefined {
  const labels = inspect.Config.Labels ?? {};
  if (labels[LABEL_STATE_DIR] !== stateDir) return undefined;
  const { State: state } = inspect;
  const startedAtMs = dockerTimeMs(state.StartedAt) ?? dockerTimeMs(inspect.Created) ?? 0;
  const running = state.Running || state.Restarting || state.Paused;
  const limitsNote = labels[LABELS.limitsNote];
  const base = {
    id: inspect.Id,
    podUid: labels[LABELS.podUid] ?? '',
    podNamespace: labels[LABELS.podNamespace] ?? '',
    podName: labels[LABELS.podName] ?? '',
    containerName: labels[LABELS.containerName] ?? '',
    attempt: Number(labels[LABELS.attempt] ?? 0),
    image: labels[LABELS.image] ?? '',
    startedAtMs,
    ports: parsePorts(labels[LABELS.ports]),
    logPath: labels[LABELS.logPath] ?? '',
    ...(limitsNote === undefined ? {} : { limitsNote }),
  };
  if (running) return { ...base, state: 'running' };
  const exitCode = state.ExitCode;
  return {
    ...base,
    state: 'exited',
    // Clocks of the daemon's events are coarse: never before its start.
    finishedAtMs: Math.max(startedAtMs, dockerTimeMs(state.FinishedAt) ?? startedAtMs),
    exitCode,
    reason: state.OOMKilled ? 'OOMKilled' : exitCode === 0 ? 'Completed' : 'Error',
  };
}

function parsePorts(text: string | undefined): PortMapping[] {
  if (text === undefined) return [];
  try {
    const ports = JSON.parse(text) as unknown;
    return Array.isArray(ports) ? (ports as PortMapping[]) : [];
  } catch {
    return [];
  }
}
