/**
 * The `process` runtime: each container is a process tree of this host, started from the
 * container's `command` + `args` (with an empty `command`, `args[0]` is the executable:
 * there is no image entrypoint to fall back on), in its own session and process group,
 * stdin from /dev/null, stdout and stderr appended straight to the container's log file.
 *
 * Containers outlive the agent. Nothing of a container passes through the agent's
 * process — no pipe, no controlling terminal — so a SIGKILLed agent leaves it running and
 * logging. One JSON record per container in `stateDir` lets a new `ProcessRuntime` over
 * the same directory find it (`list`, `inspect`), stop it, exec in it and see it exit.
 *
 * How exits are known:
 * - A container started by this instance is its child: the exit event gives the status
 *   at once.
 * - An adopted one is no child of ours (it was re-parented to init), so its liveness is
 *   polled (`LIVENESS_POLL_MS`), by PID *and* start time from `/proc/<pid>/stat`: with
 *   `pid_max` 32768 a PID is soon reused, and a bare PID check would take a stranger for
 *   the container (or signal it).
 * - Its exit *code* comes from the `sh` exit wrapper (`exit-wrapper.ts`), which stays the
 *   real process's parent whatever happens to the agent and writes the status to
 *   `<stateDir>/<id>.exit`. The alternative — no wrapper, exit code `Unknown` for every
 *   container that outlived an agent restart — would make a restart of the agent turn a
 *   `Completed` job into an unknown one and break `restartPolicy: OnFailure`. The wrapper
 *   forwards no signal (the group is signalled) and the real process starts with default
 *   signal dispositions. Only a SIGKILL of the whole group while no runtime watched leaves
 *   the code unknown (`reason: Unknown`).
 *
 * Environment and paths: see `container-environment.ts` (not the agent's environment;
 * `PORT`, `PORT_<NAME>`, `BALSA_IMAGE`, `BALSA_VOLUME_<NAME>` added; mount paths in argv
 * and `workingDir` translated to their host directories). A `workingDir` outside every
 * mount is used as is; none at all means `defaultWorkingDir`.
 *
 * Limits: a cgroup v2 per container where the host allows (`cgroup-limits.ts`); otherwise
 * the container runs unlimited and `limitsNote` says why.
 *
 * Logs: the log files of running containers are rotated by size (`LogRotator`,
 * copy-and-truncate) on a timer of this runtime.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { LogRotator } from '../../logs/log-rotator.js';
import type { ContainerInfo, ContainerRuntime, ContainerSpec, ExecResult } from '../container-runtime.js';
import { RuntimeError, startError } from '../errors.js';
import { CgroupLimits, hasLimits, procsFile } from './cgroup-limits.js';
import { LIVENESS_POLL_MS, STATE_FILE_VERSION } from './constants.js';
import { RecordStore, toInfo } from './container-record.js';
import type { ContainerRecord } from './container-record.js';
import { containerArgv, containerEnvironment, pathMappings, translatePath } from './container-environment.js';
import { WRAPPER_SHELL, wrapperArgs } from './exit-wrapper.js';
import { execInContainer, signalCode } from './process-exec.js';
import { isAlive, readProcStat, signalGroup } from './process-identity.js';
import { resolveExecutable, workingDirProblem } from './resolve-executable.js';

export interface ProcessRuntimeOptions {
  /** The agent's directory for the containers' records (made 0700: the records hold their environments). */
  readonly stateDir: string;
  /** Where a container without `workingDir` runs; default the agent's working directory. */
  readonly defaultWorkingDir?: string;
  /** The cgroup v2 directory to create containers' cgroups in (a delegated subtree); default `<cgroup2 mount>/balsa`. */
  readonly cgroupParent?: string;
  /** A log file larger than this is rotated, in bytes; default 10 MiB. */
  readonly logMaxBytes?: number;
  /** How often the log files are checked for rotation, in ms; default 10 s. */
  readonly logCheckIntervalMs?: number;
  /** How often adopted containers are checked for liveness, in ms; default 1 s. */
  readonly livenessPollMs?: number;
}

/** What the exit event of the wrapper said (this runtime is its parent). */
interface ObservedExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** One container this instance knows, running or exited. */
interface Tracked {
  record: ContainerRecord;
  /** The wrapper process, when this instance started it (no liveness polling needed then). */
  readonly child: ChildProcess | undefined;
  /** This instance SIGKILLed the group: without a status from the wrapper, the exit code is 137. */
  sentKill: boolean;
  /** Settles once the exit is recorded. */
  readonly exited: Promise<void>;
  readonly markExited: () => void;
  finishing: boolean;
}

export class ProcessRuntime implements ContainerRuntime {
  readonly name = 'process';
  private readonly store: RecordStore;
  private readonly defaultWorkingDir: string;
  private readonly cgroups: CgroupLimits;
  private readonly rotator: LogRotator;
  private readonly livenessPollMs: number;
  private readonly tracked = new Map<string, Tracked>();
  /** Loads in progress, so that concurrent `list`/`inspect` calls adopt a container once. */
  private readonly loading = new Map<string, Promise<Tracked | undefined>>();
  private readonly listeners: ((info: ContainerInfo) => void)[] = [];
  private pollTimer: NodeJS.Timeout | undefined;
  private polling = false;
  private closed = false;

  constructor(options: ProcessRuntimeOptions) {
    this.store = new RecordStore(options.stateDir);
    this.defaultWorkingDir = options.defaultWorkingDir ?? process.cwd();
    this.cgroups = new CgroupLimits(options.cgroupParent === undefined ? {} : { parent: options.cgroupParent });
    this.livenessPollMs = options.livenessPollMs ?? LIVENESS_POLL_MS;
    this.rotator = new LogRotator({
      ...(options.logMaxBytes === undefined ? {} : { maxBytes: options.logMaxBytes }),
      ...(options.logCheckIntervalMs === undefined ? {} : { intervalMs: options.logCheckIntervalMs }),
      files: () => [...this.tracked.values()].filter((t) => t.record.state === 'running').map((t) => t.record.logPath),
    });
  }

  async start(spec: ContainerSpec): Promise<ContainerInfo> {
    this.assertOpen();
    if (spec.command.length === 0 && spec.args.length === 0) {
      throw new RuntimeError('INVALID_SPEC', `container "${spec.containerName}" has neither command nor args: the process runtime has no image entrypoint`);
    }
    const mappings = pathMappings(spec.mounts);
    const env = containerEnvironment(spec);
    const argv = containerArgv(spec, mappings);
    const cwd = spec.workingDir === undefined ? this.defaultWorkingDir : translatePath(spec.workingDir, mappings);
    const cwdProblem = await workingDirProblem(cwd);
    if (cwdProblem !== undefined) throw startError(spec.containerName, cwdProblem);
    const resolution = await resolveExecutable(argv[0]!, env.get('PATH'), cwd);
    if (!resolution.ok) throw startError(spec.containerName, resolution.why);

    const id = randomBytes(8).toString('hex');
    try {
      await this.store.ensureDirectory();
      await mkdir(dirname(spec.logPath), { recursive: true });
    } catch (error) {
      throw new RuntimeError('RUNTIME_IO', `cannot prepare container "${spec.containerName}": ${(error as Error).message}`, { cause: error });
    }
    const placement = hasLimits(spec.limits) ? await this.cgroups.create(id, spec.limits) : undefined;
    const log = await open(spec.logPath, 'a').catch((error: Error) => {
      throw new RuntimeError('RUNTIME_IO', `cannot open the log file of container "${spec.containerName}": ${error.message}`, { cause: error });
    });
    const startedAtMs = Date.now();
    let child: ChildProcess;
    let observed: ObservedExit | undefined;
    let onObserved: ((exit: ObservedExit) => void) | undefined;
    try {
      child = spawn(WRAPPER_SHELL, wrapperArgs(this.store.exitFile(id), placement?.path === undefined ? undefined : procsFile(placement.path), argv, env.has('PWD')), {
        cwd,
        env: Object.fromEntries(env),
        detached: true,
        stdio: ['ignore', log.fd, log.fd],
      });
      // Listened to at once: a short-lived command may exit before the record is written.
      child.once('exit', (code, signal) => {
        observed = { code, signal };
        onObserved?.(observed);
      });
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
    } catch (error) {
      if (placement?.path !== undefined) await this.cgroups.remove(placement.path);
      throw startError(spec.containerName, `exec: ${(error as Error).message}`, error);
    } finally {
      await log.close();
    }
    // The agent may exit while its containers run.
    child.unref();
    const pid = child.pid!;
    const record: ContainerRecord = {
      version: STATE_FILE_VERSION,
      id,
      podUid: spec.podUid,
      podNamespace: spec.podNamespace,
      podName: spec.podName,
      containerName: spec.containerName,
      attempt: spec.attempt,
      image: spec.image,
      ports: spec.ports,
      logPath: spec.logPath,
      startedAtMs,
      pid,
      // Already gone (a command that exits at once): no start time, and the exit event says the rest.
      startTicks: (await readProcStat(pid))?.startTicks ?? -1,
      env: [...env.entries()],
      cwd,
      mappings,
      ...(placement?.path === undefined ? {} : { cgroupPath: placement.path }),
      ...(placement?.note === undefined ? {} : { limitsNote: placement.note }),
      state: 'running',
    };
    try {
      await this.store.write(record);
    } catch (error) {
      await signalGroup(record, 'SIGKILL');
      throw new RuntimeError('RUNTIME_IO', `cannot record container "${spec.containerName}": ${(error as Error).message}`, { cause: error });
    }
    const tracked = this.track(record, child);
    if (observed !== undefined) void this.finish(tracked, observed);
    else onObserved = (exit) => void this.finish(tracked, exit);
    this.rotator.start();
    return toInfo(record);
  }

  async stop(id: string, gracePeriodSeconds: number): Promise<void> {
    this.assertOpen();
    const tracked = await this.load(id);
    if (tracked === undefined) throw notFound(id);
    if (tracked.record.state === 'exited') return;
    await signalGroup(tracked.record, 'SIGTERM');
    let graceTimer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'grace-over'>((resolve) => {
      graceTimer = setTimeout(() => resolve('grace-over'), Math.max(0, gracePeriodSeconds) * 1000);
    });
    const outcome = await Promise.race([tracked.exited.then(() => 'exited' as const), graceOver]);
    clearTimeout(graceTimer);
    if (outcome === 'grace-over') {
      tracked.sentKill = true;
      await signalGroup(tracked.record, 'SIGKILL');
      await tracked.exited;
    }
    // Whatever the container started in its group and left behind goes with it (with a
    // cgroup, `cgroup.kill` already did this at exit). Right after the leader's exit its
    // PID is still the group's id while any member lives, so the kernel has not reused it.
    if (tracked.record.cgroupPath === undefined) {
      try {
        process.kill(-tracked.record.pid, 'SIGKILL');
      } catch {
        // No member left.
      }
    }
  }

  async remove(id: string): Promise<void> {
    this.assertOpen();
    const tracked = await this.load(id);
    // Removing what is not there is done already (as CRI's RemoveContainer).
    if (tracked === undefined) return;
    if (tracked.record.state === 'running') throw new RuntimeError('CONTAINER_RUNNING', `container ${id} is running: stop it before removing it`);
    this.tracked.delete(id);
    await this.store.delete(id);
    if (tracked.record.cgroupPath !== undefined) await this.cgroups.remove(tracked.record.cgroupPath);
  }

  async list(): Promise<ContainerInfo[]> {
    this.assertOpen();
    const ids = new Set([...(await this.store.ids()), ...this.tracked.keys()]);
    const all = await Promise.all([...ids].map((id) => this.load(id)));
    return all.filter((tracked): tracked is Tracked => tracked !== undefined).map((tracked) => toInfo(tracked.record));
  }

  async inspect(id: string): Promise<ContainerInfo | undefined> {
    this.assertOpen();
    const tracked = await this.load(id);
    return tracked === undefined ? undefined : toInfo(tracked.record);
  }

  async exec(id: string, command: readonly string[], timeoutMs: number): Promise<ExecResult> {
    this.assertOpen();
    const tracked = await this.load(id);
    if (tracked === undefined) throw notFound(id);
    if (tracked.record.state !== 'running') throw new RuntimeError('CONTAINER_NOT_RUNNING', `container ${id} is not running`);
    const { record } = tracked;
    const argv = command.map((arg) => translatePath(arg, record.mappings));
    return execInContainer(argv, {
      env: new Map(record.env),
      cwd: record.cwd,
      ...(record.cgroupPath === undefined ? {} : { cgroupProcsFile: procsFile(record.cgroupPath) }),
    }, timeoutMs);
  }

  onExit(listener: (info: ContainerInfo) => void): void {
    this.listeners.push(listener);
  }

  /** Stops watching and rotating; the containers keep running, for the next instance to adopt. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.pollTimer);
    this.pollTimer = undefined;
    await this.rotator.stop();
  }

  /** Starts tracking a record: by its exit event when `child` is ours, else by polling. */
  private track(record: ContainerRecord, child: ChildProcess | undefined): Tracked {
    let markExited!: () => void;
    const exited = new Promise<void>((resolve) => {
      markExited = resolve;
    });
    const tracked: Tracked = { record, child, sentKill: false, exited, markExited, finishing: false };
    this.tracked.set(record.id, tracked);
    if (record.state === 'exited') markExited();
    else if (child === undefined) this.ensurePolling();
    return tracked;
  }

  /**
   * The container `id` from memory, or from its record: one found running is adopted
   * (polled from now on, its exit reported to the listeners); one found dead is recorded as
   * exited — it ended while no runtime watched, so no listener hears of it: the caller sees
   * it exited in what it asked for.
   */
  private load(id: string): Promise<Tracked | undefined> {
    const known = this.tracked.get(id);
    if (known !== undefined) return Promise.resolve(known);
    let loading = this.loading.get(id);
    if (loading === undefined) {
      loading = (async () => {
        const record = await this.store.read(id);
        if (record === undefined) return undefined;
        if (record.state === 'exited') return this.track(record, undefined);
        const alive = await isAlive(record);
        const tracked = this.track(record, undefined);
        if (!alive) await this.finish(tracked, undefined, { quiet: true });
        else this.rotator.start();
        return tracked;
      })().finally(() => this.loading.delete(id));
      this.loading.set(id, loading);
    }
    return loading;
  }

  private ensurePolling(): void {
    if (this.pollTimer !== undefined || this.closed) return;
    this.pollTimer = setInterval(() => void this.pollLiveness(), this.livenessPollMs);
    this.pollTimer.unref();
  }

  private async pollLiveness(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      for (const tracked of [...this.tracked.values()]) {
        if (tracked.child !== undefined || tracked.record.state !== 'running') continue;
        if (!(await isAlive(tracked.record))) await this.finish(tracked, undefined);
      }
    } finally {
      this.polling = false;
    }
  }

  /**
   * Records the exit of a container: its code from the wrapper's file, else from the exit
   * event (the wrapper itself was killed by a signal), else 137 when this instance sent
   * SIGKILL, else unknown. An OOM kill in its cgroup makes the reason `OOMKilled`.
   */
  private async finish(tracked: Tracked, observed: ObservedExit | undefined, options: { quiet?: boolean } = {}): Promise<void> {
    if (tracked.finishing || this.closed) return;
    tracked.finishing = true;
    const { record } = tracked;
    const recorded = await this.store.readExit(record.id);
    let exitCode = recorded?.exitCode;
    if (exitCode === undefined && observed !== undefined) {
      exitCode = observed.code ?? (observed.signal === null ? undefined : 128 + signalCode(observed.signal));
    }
    if (exitCode === undefined && tracked.sentKill) exitCode = 128 + signalCode('SIGKILL');
    let reason = exitCode === undefined ? 'Unknown' : exitCode === 0 ? 'Completed' : 'Error';
    if (record.cgroupPath !== undefined) {
      if (await this.cgroups.oomKilled(record.cgroupPath)) {
        reason = 'OOMKilled';
        exitCode ??= 128 + signalCode('SIGKILL');
      }
      await this.cgroups.killAll(record.cgroupPath);
    }
    const finished: ContainerRecord = {
      ...record,
      state: 'exited',
      // The exit file's mtime is when it exited (kernel timestamps are coarse: never before its start).
      finishedAtMs: Math.max(record.startedAtMs, Math.round(recorded?.atMs ?? Date.now())),
      ...(exitCode === undefined ? {} : { exitCode }),
      reason,
    };
    tracked.record = finished;
    // A failed write leaves the record `running`: the next load finds the process gone and records it then.
    await this.store.write(finished).catch(() => undefined);
    tracked.markExited();
    if (options.quiet === true || this.closed) return;
    const info = toInfo(finished);
    for (const listener of this.listeners) {
      try {
        listener(info);
      } catch {
        // A listener's failure is its own; the others still hear of the exit.
      }
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new RuntimeError('RUNTIME_IO', 'the process runtime is closed');
  }
}

function notFound(id: string): RuntimeError {
  return new RuntimeError('CONTAINER_NOT_FOUND', `no container with id ${id}`);
}
