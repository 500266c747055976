/**
 * An in-memory container runtime for the agent's tests: containers "run" until the test
 * makes them exit (`exit`), every start, stop (with its grace period) and exec is recorded
 * in order, exec results are set by the test, and a start can be made to fail. The same
 * instance may serve two agents one after the other (an agent "restarted" finds the
 * containers the first one left, as a real runtime's `list` would).
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ContainerInfo, ContainerRuntime, ContainerSpec, ExecResult } from '../../../node-agent/runtime/container-runtime.js';

export type RuntimeCall =
  | { kind: 'start'; id: string; spec: ContainerSpec }
  | { kind: 'stop'; id: string; containerName: string; gracePeriodSeconds: number; atMs: number }
  | { kind: 'exec'; id: string; containerName: string; command: readonly string[] }
  | { kind: 'remove'; id: string };

export class FakeRuntime implements ContainerRuntime {
  readonly name = 'process';
  readonly calls: RuntimeCall[] = [];
  private readonly containers = new Map<string, ContainerInfo>();
  private readonly specs = new Map<string, ContainerSpec>();
  private listeners: ((info: ContainerInfo) => void)[] = [];
  private nextId = 1;
  /** Exec results by container name and the command's first word (default: exit 0). */
  readonly execResults = new Map<string, ExecResult>();
  /** Container names whose next starts fail with this message. */
  readonly failStarts = new Map<string, string>();
  /** Exit code a stopped container reports (SIGTERM: 143). */
  stopExitCode = 143;
  /** Called at each stop before the container exits (a test looks at the world as the signal is sent). */
  beforeStop: ((info: ContainerInfo) => Promise<void>) | undefined;

  async start(spec: ContainerSpec): Promise<ContainerInfo> {
    const failure = this.failStarts.get(spec.containerName);
    if (failure !== undefined) throw new Error(failure);
    const id = `c${this.nextId++}`;
    mkdirSync(dirname(spec.logPath), { recursive: true });
    appendFileSync(spec.logPath, '');
    const info: ContainerInfo = {
      id,
      podUid: spec.podUid,
      podNamespace: spec.podNamespace,
      podName: spec.podName,
      containerName: spec.containerName,
      attempt: spec.attempt,
      image: spec.image,
      state: 'running',
      startedAtMs: Date.now(),
      ports: spec.ports,
      logPath: spec.logPath,
    };
    this.containers.set(id, info);
    this.specs.set(id, spec);
    this.calls.push({ kind: 'start', id, spec });
    return info;
  }

  async stop(id: string, gracePeriodSeconds: number): Promise<void> {
    const info = this.containers.get(id);
    this.calls.push({ kind: 'stop', id, containerName: info?.containerName ?? '', gracePeriodSeconds, atMs: Date.now() });
    if (info?.state === 'running') await this.beforeStop?.(info);
    if (info?.state === 'running') this.finish(id, this.stopExitCode);
  }

  async remove(id: string): Promise<void> {
    this.calls.push({ kind: 'remove', id });
    this.containers.delete(id);
  }

  async list(): Promise<ContainerInfo[]> {
    return [...this.containers.values()];
  }

  async inspect(id: string): Promise<ContainerInfo | undefined> {
    return this.containers.get(id);
  }

  async exec(id: string, command: readonly string[], _timeoutMs: number): Promise<ExecResult> {
    const info = this.containers.get(id);
    this.calls.push({ kind: 'exec', id, containerName: info?.containerName ?? '', command });
    return this.execResults.get(`${info?.containerName}:${command[0]}`) ?? { exitCode: 0, output: '', timedOut: false };
  }

  onExit(listener: (info: ContainerInfo) => void): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {
    this.listeners = [];
  }

  /** Forgets the agents listening (an agent that "crashed" hears nothing more). */
  detach(): void {
    this.listeners = [];
  }

  /** Makes the running container exit with `exitCode`. */
  exit(id: string, exitCode: number): void {
    if (this.containers.get(id)?.state !== 'running') throw new Error(`container ${id} is not running`);
    this.finish(id, exitCode);
  }

  /** Appends a line to the container's log file, as its process would. */
  write(id: string, text: string): void {
    appendFileSync(this.containers.get(id)!.logPath, text);
  }

  /** The running (or last) container of `containerName` in the pod named so. */
  latest(podName: string, containerName: string): ContainerInfo | undefined {
    return [...this.containers.values()].filter((info) => info.podName === podName && info.containerName === containerName).sort((a, b) => b.attempt - a.attempt)[0];
  }

  spec(id: string): ContainerSpec {
    return this.specs.get(id)!;
  }

  starts(podName?: string): ContainerSpec[] {
    return this.calls.flatMap((call) => (call.kind === 'start' && (podName === undefined || call.spec.podName === podName) ? [call.spec] : []));
  }

  running(): ContainerInfo[] {
    return [...this.containers.values()].filter((info) => info.state === 'running');
  }

  private finish(id: string, exitCode: number): void {
    const info = this.containers.get(id)!;
    const exited: ContainerInfo = { ...info, state: 'exited', exitCode, finishedAtMs: Date.now(), reason: exitCode === 0 ? 'Completed' : 'Error' };
    this.containers.set(id, exited);
    for (const listener of this.listeners) listener(exited);
  }
}
