/**
 * The `docker` runtime: each container is a Docker container, created and driven through
 * the Docker Engine API on the daemon's unix socket (`docker-api.ts`, pinned to API 1.41).
 * It behaves as the `process` runtime does, seen from the agent:
 *
 * - Ports: the container runs in the host network namespace (no bridge, no NAT) and binds
 *   the host ports the agent allocated, which it learns from `PORT` and `PORT_<NAME>`;
 *   probes reach it on the node's address. Environment: see `docker-container.ts`.
 * - Exits: one `wait` request per running container; the daemon keeps the exit code and
 *   the OOM flag, also of a container that exited while no agent ran.
 * - Stop: the daemon's stop (SIGTERM, SIGKILL once the grace period is over, whole
 *   container); resolves once it exited.
 * - Logs: a `LogCopier` per container follows the daemon's copy of its output into
 *   `spec.logPath`, which the runtime rotates by size as the process runtime does. An exit
 *   is reported once the output is in the file (or after `LOG_DRAIN_MS`).
 * - Limits: `Memory` and `NanoCpus` when the daemon can enforce them (`GET /info`), else
 *   `limitsNote` says why not.
 * - Re-adoption: containers carry labels with everything `ContainerInfo` needs, and the
 *   label `io.balsa.state-dir` naming the runtime's state directory, so that `list` of a
 *   later runtime over the same directory finds exactly its own (several agents may share
 *   one daemon). The state directory holds only the log copy positions.
 *
 * The image must be on the node already: the runtime does not pull (no registry is
 * reachable in the environments it is tested in). A missing image fails the start with
 * reason `ErrImageNeverPull`, as the kubelet reports it for `imagePullPolicy: Never`.
 */
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { LogRotator } from '../../logs/log-rotator.js';
import type { ContainerInfo, ContainerRuntime, ContainerSpec, ExecResult, ResourceLimits } from '../container-runtime.js';
import { RuntimeError, startError } from '../errors.js';
import { DOCKER_SOCKET_PATH_DEFAULT, LABEL_STATE_DIR, LOG_DRAIN_MS, OOM_SETTLE_ATTEMPTS, OOM_SETTLE_MS, WAIT_RETRY_MS } from './constants.js';
import { DockerApi, DockerApiError, oomEventLogged } from './docker-api.js';
import { containerName, createBody, toInfo } from './docker-container.js';
import type { DockerInspect } from './docker-container.js';
import { execInContainer } from './docker-exec.js';
import { LogCopier } from './log-copier.js';

export interface DockerRuntimeOptions {
  /** The agent's directory for the runtime's own files (log copy positions); it also names the runtime's containers (label `io.balsa.state-dir`). */
  readonly stateDir: string;
  /** The Docker daemon's socket; default `/var/run/docker.sock`. */
  readonly socketPath?: string;
  /** A log file larger than this is rotated, in bytes; default 10 MiB. */
  readonly logMaxBytes?: number;
  /** How often the log files are checked for rotation, in ms; default 10 s. */
  readonly logCheckIntervalMs?: number;
}

/** What the daemon's `GET /info` says that this runtime reads: whether it can enforce limits. */
interface DaemonInfo {
  readonly MemoryLimit: boolean;
  readonly CpuCfsQuota: boolean;
}

/** One container this instance knows, running or exited. */
interface Tracked {
  info: ContainerInfo;
  /** Copies its output into its log file (until it exited and all was copied). */
  readonly copier: LogCopier;
  /** Settles once the exit is recorded. */
  readonly exited: Promise<void>;
  readonly markExited: () => void;
  finishing: boolean;
}

export class DockerRuntime implements ContainerRuntime {
  readonly name = 'docker';
  readonly stateDir: string;
  private readonly api: DockerApi;
  private readonly rotator: LogRotator;
  private readonly tracked = new Map<string, Tracked>();
  /** Loads in progress, so that concurrent `list`/`inspect` calls adopt a container once. */
  private readonly loading = new Map<string, Promise<Tracked | undefined>>();
  private readonly listeners: ((info: ContainerInfo) => void)[] = [];
  private daemonInfo: Promise<DaemonInfo> | undefined;
  private closed = false;

  constructor(options: DockerRuntimeOptions) {
    this.stateDir = options.stateDir;
    this.api = new DockerApi(options.socketPath ?? DOCKER_SOCKET_PATH_DEFAULT);
    this.rotator = new LogRotator({
      ...(options.logMaxBytes === undefined ? {} : { maxBytes: options.logMaxBytes }),
      ...(options.logCheckIntervalMs === undefined ? {} : { intervalMs: options.logCheckIntervalMs }),
      files: () => [...this.tracked.values()].filter((t) => t.info.state === 'running').map((t) => t.info.logPath),
    });
  }

  /**
   * Creates and starts the container. Resolves with it running (a command that ends at
   * once is reported to `onExit` as any other exit); rejects with a `START_ERROR` when the
   * daemon could not start it (the container is then removed), `RUNTIME_IO` when the
   * daemon or the state directory did not answer.
   */
  async start(spec: ContainerSpec): Promise<ContainerInfo> {
    this.assertOpen();
    try {
      await mkdir(this.stateDir, { recursive: true, mode: 0o700 });
      await mkdir(dirname(spec.logPath), { recursive: true });
    } catch (error) {
      throw new RuntimeError('RUNTIME_IO', `cannot prepare container "${spec.containerName}": ${(error as Error).message}`, { cause: error });
    }
    const limitsNote = await this.limitsNote(spec.limits);
    let id: string;
    try {
      ({ Id: id } = await this.api.json<{ Id: string }>('POST', '/containers/create', {
        query: { name: containerName(spec, randomBytes(4).toString('hex')) },
        body: createBody(spec, this.stateDir, limitsNote),
      }));
    } catch (error) {
      throw createError(spec, error);
    }
    try {
      await this.api.json('POST', `/containers/${id}/start`);
    } catch (error) {
      await this.api.json('DELETE', `/containers/${id}`, { query: { force: 1 } }).catch(() => undefined);
      throw createError(spec, error);
    }
    const info = await this.inspectDaemon(id);
    if (info === undefined) throw new RuntimeError('RUNTIME_IO', `container "${spec.containerName}" (${id}) vanished as it started`, { retryable: true });
    // It ran: one that already ended is seen by the exit watcher and reported like any exit.
    const { finishedAtMs: _finishedAtMs, exitCode: _exitCode, reason: _reason, ...started } = info;
    const tracked = this.track({ ...started, state: 'running' });
    this.rotator.start();
    void this.watchExit(tracked);
    return tracked.info;
  }

  async stop(id: string, gracePeriodSeconds: number): Promise<void> {
    this.assertOpen();
    const tracked = await this.load(id);
    if (tracked === undefined) throw notFound(id);
    if (tracked.info.state === 'exited') return;
    try {
      // SIGTERM, and SIGKILL after `t` whole seconds; the answer comes once it stopped (304: it already had).
      await this.api.json('POST', `/containers/${id}/stop`, { query: { t: Math.max(0, Math.ceil(gracePeriodSeconds)) }, timeoutMs: 0 });
    } catch (error) {
      if (!(error instanceof DockerApiError && error.status === 404)) throw ioError(`cannot stop container ${id}`, error);
    }
    await tracked.exited;
  }

  async remove(id: string): Promise<void> {
    this.assertOpen();
    const tracked = await this.load(id);
    // Removing what is not there is done already (as CRI's RemoveContainer).
    if (tracked === undefined) return;
    if (tracked.info.state === 'running') throw new RuntimeError('CONTAINER_RUNNING', `container ${id} is running: stop it before removing it`);
    await tracked.copier.stop();
    try {
      await this.api.json('DELETE', `/containers/${id}`, { query: { v: 1 } });
    } catch (error) {
      if (!(error instanceof DockerApiError && error.status === 404)) throw ioError(`cannot remove container ${id}`, error);
    }
    this.tracked.delete(id);
    await LogCopier.forget(this.positionFile(id));
  }

  async list(): Promise<ContainerInfo[]> {
    this.assertOpen();
    let listed: { Id: string }[];
    try {
      listed = await this.api.json<{ Id: string }[]>('GET', '/containers/json', {
        query: { all: 1, filters: JSON.stringify({ label: [`${LABEL_STATE_DIR}=${this.stateDir}`] }) },
      });
    } catch (error) {
      throw ioError('cannot list the containers', error);
    }
    const ids = new Set([...listed.map((container) => container.Id), ...this.tracked.keys()]);
    const all = await Promise.all([...ids].map((id) => this.load(id)));
    return all.filter((tracked): tracked is Tracked => tracked !== undefined).map((tracked) => tracked.info);
  }

  async inspect(id: string): Promise<ContainerInfo | undefined> {
    this.assertOpen();
    return (await this.load(id))?.info;
  }

  async exec(id: string, command: readonly string[], timeoutMs: number): Promise<ExecResult> {
    this.assertOpen();
    const tracked = await this.load(id);
    if (tracked === undefined) throw notFound(id);
    if (tracked.info.state !== 'running') throw notRunning(id);
    try {
      return await execInContainer(this.api, id, command, timeoutMs);
    } catch (error) {
      if (error instanceof DockerApiError && error.status === 409) throw notRunning(id);
      if (error instanceof DockerApiError && error.status === 404) throw notFound(id);
      throw ioError(`cannot exec in container ${id}`, error);
    }
  }

  onExit(listener: (info: ContainerInfo) => void): void {
    this.listeners.push(listener);
  }

  /** Stops watching, copying logs and rotating; the containers keep running, for the next instance to adopt. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.rotator.stop();
    await Promise.all([...this.tracked.values()].map((tracked) => tracked.copier.stop()));
    this.api.close();
  }

  private positionFile(id: string): string {
    return join(this.stateDir, `${id}.log-position`);
  }

  /** Why limits asked for cannot be enforced by the daemon on this host, or undefined when they can (or none were asked for). */
  private async limitsNote(limits: ResourceLimits): Promise<string | undefined> {
    if (limits.memoryBytes === undefined && limits.cpuMillis === undefined) return undefined;
    this.daemonInfo ??= this.api.json<DaemonInfo>('GET', '/info').catch((error: unknown) => {
      this.daemonInfo = undefined;
      throw ioError('cannot ask the Docker daemon what it supports', error);
    });
    const info = await this.daemonInfo;
    const missing = [
      ...(limits.memoryBytes !== undefined && !info.MemoryLimit ? ['memory'] : []),
      ...(limits.cpuMillis !== undefined && !info.CpuCfsQuota ? ['CPU'] : []),
    ];
    return missing.length === 0 ? undefined : `the Docker daemon cannot enforce ${missing.join(' and ')} limits on this host`;
  }

  /**
   * The container `id` from memory, or from the daemon: one of ours found running is
   * adopted (its exit watched and reported, its output copied); one found exited ended
   * while no runtime watched, so no listener hears of it, but its output is copied before
   * the caller sees it.
   */
  private load(id: string): Promise<Tracked | undefined> {
    const known = this.tracked.get(id);
    if (known !== undefined) return Promise.resolve(known);
    let loading = this.loading.get(id);
    if (loading === undefined) {
      loading = (async () => {
        const info = await this.inspectDaemon(id);
        if (info === undefined || this.closed) return undefined;
        const tracked = this.track(info);
        if (info.state === 'running') {
          this.rotator.start();
          void this.watchExit(tracked);
        } else {
          await drained(tracked.copier);
        }
        return tracked;
      })().finally(() => this.loading.delete(id));
      this.loading.set(id, loading);
    }
    return loading;
  }

  /** The container as the daemon describes it, or undefined when there is none or it is not ours. */
  private async inspectDaemon(id: string): Promise<ContainerInfo | undefined> {
    try {
      const inspect = await this.api.json<DockerInspect>('GET', `/containers/${encodeURIComponent(id)}/json`);
      // The daemon also answers to a name or an id prefix: only the full id is this container's.
      return inspect.Id === id ? toInfo(inspect, this.stateDir) : undefined;
    } catch (error) {
      if (error instanceof DockerApiError && error.status === 404) return undefined;
      throw ioError(`cannot inspect container ${id}`, error);
    }
  }

  /**
   * A SIGKILLed container (137) may have been the kernel's OOM kill: the daemon records that
   * from its OOM event, which can arrive just after the exit. Look again a few times before
   * calling it a plain `Error`. When the OOM event came first, the daemon's exit handling can
   * clear the flag it set (dockerd 20.10 takes it from the exit's own report, which may lack
   * it): its event log still has the `oom` event, so that is asked last.
   */
  private async settleOomKill(info: ContainerInfo): Promise<ContainerInfo> {
    for (let attempt = 0; attempt < OOM_SETTLE_ATTEMPTS && info.exitCode === 137 && info.reason !== 'OOMKilled'; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, OOM_SETTLE_MS));
      info = (await this.inspectDaemon(info.id).catch(() => undefined)) ?? info;
    }
    if (info.exitCode === 137 && info.reason !== 'OOMKilled' && (await oomEventLogged(this.api, info.id, info.startedAtMs).catch(() => false))) {
      return { ...info, reason: 'OOMKilled' };
    }
    return info;
  }

  private track(info: ContainerInfo): Tracked {
    let markExited!: () => void;
    const exited = new Promise<void>((resolve) => {
      markExited = resolve;
    });
    const copier = new LogCopier({
      api: this.api,
      containerId: info.id,
      logPath: info.logPath,
      positionFile: this.positionFile(info.id),
      isRunning: async () => (await this.inspectDaemon(info.id))?.state === 'running',
    });
    const tracked: Tracked = { info, copier, exited, markExited, finishing: false };
    this.tracked.set(info.id, tracked);
    if (info.state === 'exited') markExited();
    return tracked;
  }

  /** Waits for the container to stop running (again after a broken connection), then records its exit. */
  private async watchExit(tracked: Tracked): Promise<void> {
    const { id } = tracked.info;
    while (!this.closed) {
      try {
        await this.api.json('POST', `/containers/${id}/wait`, { query: { condition: 'not-running' }, timeoutMs: 0 });
      } catch {
        // A broken connection (or a daemon restart): look again below.
      }
      if (this.closed) return;
      let info: ContainerInfo | undefined;
      try {
        info = await this.inspectDaemon(id);
      } catch {
        await new Promise((resolve) => setTimeout(resolve, WAIT_RETRY_MS));
        continue;
      }
      if (info?.state === 'running') {
        await new Promise((resolve) => setTimeout(resolve, WAIT_RETRY_MS));
        continue;
      }
      if (info !== undefined) info = await this.settleOomKill(info);
      // Removed behind the runtime's back: it ended, how is unknown.
      await this.finish(tracked, info ?? { ...tracked.info, state: 'exited', finishedAtMs: Date.now(), reason: 'Unknown' });
      return;
    }
  }

  /** Records the exit once its output is in the log file, and tells the listeners. */
  private async finish(tracked: Tracked, exited: ContainerInfo): Promise<void> {
    if (tracked.finishing || this.closed) return;
    tracked.finishing = true;
    await drained(tracked.copier);
    tracked.info = exited;
    tracked.markExited();
    if (this.closed) return;
    for (const listener of this.listeners) {
      try {
        listener(exited);
      } catch {
        // A listener's failure is its own; the others still hear of the exit.
      }
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new RuntimeError('RUNTIME_IO', 'the docker runtime is closed');
  }
}

/** Waits for the copier to finish, at most `LOG_DRAIN_MS`. */
async function drained(copier: LogCopier): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([copier.done, new Promise((resolve) => (timer = setTimeout(resolve, LOG_DRAIN_MS)))]);
  clearTimeout(timer);
}

/**
 * The error of a create or start the daemon refused. A missing image is `ErrImageNeverPull`
 * (retryable: the image may be loaded later); a daemon that did not answer is `RUNTIME_IO`;
 * anything else is a `StartError` with runc's reason when there is one
 * (`exec: "x": executable file not found in $PATH`).
 */
function createError(spec: ContainerSpec, error: unknown): RuntimeError {
  if (!(error instanceof DockerApiError)) return startError(spec.containerName, String(error), error);
  if (error.status === 0) return ioError(`cannot start container "${spec.containerName}"`, error);
  if (error.status === 404 && /no such image/i.test(error.message)) {
    return new RuntimeError('START_ERROR', `failed to start container "${spec.containerName}": image "${spec.image}" is not present on the node and the docker runtime does not pull`, {
      reason: 'ErrImageNeverPull',
      retryable: true,
      cause: error,
    });
  }
  const runc = /unable to start container process: (.*?)(?:: unknown)?$/.exec(error.message);
  return startError(spec.containerName, runc?.[1] ?? error.message, error);
}

function ioError(what: string, error: unknown): RuntimeError {
  if (error instanceof RuntimeError) return error;
  return new RuntimeError('RUNTIME_IO', `${what}: ${(error as Error).message}`, { retryable: true, cause: error });
}

function notFound(id: string): RuntimeError {
  return new RuntimeError('CONTAINER_NOT_FOUND', `no container with id ${id}`);
}

function notRunning(id: string): RuntimeError {
  return new RuntimeError('CONTAINER_NOT_RUNNING', `container ${id} is not running`);
}
