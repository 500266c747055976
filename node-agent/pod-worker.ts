/**
 * The pod worker: one per pod bound to this node, the state machine that makes the node
 * run what the pod says, as Kubernetes' kubelet pod workers do. Level-triggered and
 * serialized: every change (the pod object, a container's exit, a prober's verdict, a
 * ConfigMap, a back-off running out) asks for a sync, syncs of one pod never overlap, and
 * each sync looks at the whole state and takes the next steps:
 *
 * 1. volumes (made and kept in sync), host ports (allocated once);
 * 2. init containers in order, each to completion (a failure restarts it per the restart
 *    policy, or fails the pod under `Never`);
 * 3. then every container: started when it never ran, restarted after an exit per the
 *    restart policy with back-off (`CrashLoopBackOff` while it waits), killed and restarted
 *    when its liveness or startup probe gives up on it;
 * 4. the status, written only when it changed.
 *
 * Termination (the pod deleted, or gone from this node): the pod is reported unready first
 * (so that the endpoints controller drops it before any process is signalled), each running
 * container runs its `preStop` hook and is stopped within the grace period, the containers,
 * host ports, volumes and logs are removed, and the pod object is deleted with grace 0 (the
 * API server keeps a gracefully deleted pod until its node confirms so).
 */
import { mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS } from '../control-plane/api/defaults.js';
import { jsonEqual } from '../control-plane/api/json-values.js';
import { parseQuantity } from '../control-plane/api/quantity.js';
import { resourceByName } from '../control-plane/api/resources.js';
import type { ApiObject } from '../control-plane/api/types.js';
import { ApiError } from '../control-plane/apiserver/errors.js';
import type { EventType } from '../control-plane/client/event-recorder.js';
import type { GrpcApiClient } from '../control-plane/client/grpc-api-client.js';
import type { ConfigSources } from './config-sources.js';
import { ENDPOINTS_EXIT_POLL_MS, ENDPOINTS_EXIT_SETTLE_MS, ENDPOINTS_EXIT_WAIT_MAX_MS, MINIMUM_STOP_GRACE_SECONDS, POD_SYNC_RETRY_MAX_MS, POD_SYNC_RETRY_MIN_MS } from './constants.js';
import { resolveEnv } from './container-env.js';
import { ContainerRecord } from './container-record.js';
import { AgentError } from './errors.js';
import type { AllocatedPort, HostPortAllocator, PortRequest } from './host-ports.js';
import { numberField, records, stringField, stringList } from './json-fields.js';
import type { Json } from './json-fields.js';
import type { PodPaths } from './pod-paths.js';
import { computePodStatus } from './pod-status.js';
import { containerMounts, removeVolumes, syncVolumes } from './pod-volumes.js';
import type { VolumeDirs } from './pod-volumes.js';
import type { AgentMetrics, ContainerSample } from './agent-metrics.js';
import type { ContainerProberFactory } from './probes/probe-types.js';
import { goDuration } from './restart-backoff.js';
import type { BackoffSettings } from './restart-backoff.js';
import type { ContainerInfo, ContainerRuntime, ContainerSpec, PortMapping } from './runtime/container-runtime.js';

const PODS = resourceByName('pods')!;
const ENDPOINTS = resourceByName('endpoints')!;

/** The pod uids an Endpoints object lists as ready addresses. */
function readyAddressUids(endpoints: ApiObject): Set<string> {
  const uids = new Set<string>();
  for (const subset of records(endpoints.subsets)) {
    for (const address of records(subset.addresses)) {
      const uid = (address.targetRef as { uid?: unknown } | undefined)?.uid;
      if (typeof uid === 'string') uids.add(uid);
    }
  }
  return uids;
}

/** What every pod worker of an agent shares. */
export interface PodWorkerContext {
  readonly client: GrpcApiClient;
  readonly runtime: ContainerRuntime;
  readonly proberFactory: ContainerProberFactory;
  readonly record: (object: ApiObject, type: EventType, reason: string, message: string) => void;
  readonly sources: ConfigSources;
  readonly ports: HostPortAllocator;
  readonly paths: PodPaths;
  readonly nodeIp: string;
  /** The node's allocatable CPU and memory: the downward API's value of a limit a container does not set. */
  readonly nodeAllocatable: { readonly cpu: string; readonly memory: string };
  readonly backoff: BackoffSettings;
  /** Told what goes wrong, with the pod's `namespace` and `pod` as fields. */
  readonly log: (line: string, fields?: Readonly<Record<string, string>>) => void;
  /** Probe results are counted here (default: not counted). */
  readonly metrics?: AgentMetrics;
  /** Called once the worker has finished terminating its pod (the agent forgets it). */
  readonly terminated: (uid: string) => void;
}

type WorkerState = 'active' | 'terminating' | 'terminated' | 'shutdown';

export class PodWorker {
  /** The pod as last seen; undefined once it is gone from the API (or from this node). */
  private pod: ApiObject | undefined;
  /** The last object seen, kept for the spec after the pod is gone. */
  private lastPod: ApiObject;
  private readonly containers = new Map<string, ContainerRecord>();
  /** Exit reports not yet applied (applied at the start of the next sync). */
  private readonly exits = new Map<string, ContainerInfo>();
  private state: WorkerState = 'active';
  /** The pod reached Succeeded or Failed: nothing is started again. */
  private finished: boolean;
  private syncing: Promise<void> | null = null;
  private dirty = false;
  private wakeTimer: { atMs: number; timer: NodeJS.Timeout } | null = null;
  private retryMs = POD_SYNC_RETRY_MIN_MS;
  /** The message of the last FailedMount event, so that a volume failing on every sync is announced once. */
  private lastMountFailure = '';

  constructor(
    private readonly context: PodWorkerContext,
    pod: ApiObject,
  ) {
    this.pod = pod;
    this.lastPod = pod;
    const phase = (pod.status as Json | undefined)?.phase;
    this.finished = phase === 'Succeeded' || phase === 'Failed';
  }

  get uid(): string {
    return this.lastPod.metadata.uid!;
  }

  get namespace(): string {
    return this.lastPod.metadata.namespace ?? 'default';
  }

  get name(): string {
    return this.lastPod.metadata.name!;
  }

  /** The pod as last seen (its spec stays after it is gone from the API). */
  get object(): ApiObject {
    return this.lastPod;
  }

  /** Each container's name, whether it runs and how often it restarted (for the metrics). */
  containerSamples(): ContainerSample[] {
    return [...this.containers.values()].map((record) => ({
      namespace: this.namespace,
      pod: this.name,
      container: record.name,
      running: record.running,
      restartCount: record.current?.attempt ?? 0,
    }));
  }

  /** The container's latest attempt and the one before (for the logs endpoint). */
  attempts(container: string): { current?: ContainerInfo; previous?: ContainerInfo } | undefined {
    const record = this.containers.get(container);
    if (record === undefined) return undefined;
    return { ...(record.current !== undefined ? { current: record.current } : {}), ...(record.previous !== undefined ? { previous: record.previous } : {}) };
  }

  /** A newer version of the pod (or undefined: it is gone). */
  update(pod: ApiObject | undefined): void {
    if (pod !== undefined && this.pod !== undefined && olderThan(pod, this.pod)) return;
    this.pod = pod;
    if (pod !== undefined) this.lastPod = pod;
    this.requestSync();
  }

  /** Containers an earlier run of the agent started for this pod: taken over as they are. */
  adopt(infos: readonly ContainerInfo[]): AllocatedPort[] {
    const byName = new Map<string, ContainerInfo[]>();
    for (const info of infos) byName.set(info.containerName, [...(byName.get(info.containerName) ?? []), info]);
    const ports: AllocatedPort[] = [];
    for (const [name, attempts] of byName) {
      const spec = this.containerSpec(name);
      if (spec === undefined) continue;
      attempts.sort((a, b) => a.attempt - b.attempt);
      const record = this.record(name, spec.init);
      const current = attempts[attempts.length - 1]!;
      record.previous = attempts[attempts.length - 2];
      record.current = current;
      record.nextAttempt = current.attempt + 1;
      for (const old of attempts.slice(0, -2)) void this.context.runtime.remove(old.id).catch(() => {});
      for (const port of current.ports) ports.push({ ...port, container: name });
      if (current.state === 'running' && !spec.init) this.startProber(record, spec.container, current);
    }
    return ports;
  }

  /** The runtime reports a container of this pod exited. */
  containerExited(info: ContainerInfo): void {
    this.exits.set(info.id, info);
    this.requestSync();
  }

  /** Something the pod depends on changed (a ConfigMap, a Secret): look again. */
  requestSync(): void {
    if (this.state === 'terminated' || this.state === 'shutdown') return;
    if (this.syncing !== null) {
      this.dirty = true;
      return;
    }
    this.syncing = this.runSyncs().finally(() => {
      this.syncing = null;
    });
  }

  /**
   * The agent is shutting down: no more syncs; with `stopContainers`, every running container
   * is stopped gracefully (the pod objects are left as they are: the pods are still bound here).
   */
  async shutdown(stopContainers: boolean): Promise<void> {
    if (this.state === 'terminated') return;
    this.state = 'shutdown';
    this.clearWake();
    await this.syncing;
    for (const record of this.containers.values()) record.stopProber();
    if (stopContainers) await this.stopRunning(this.gracePeriodSeconds());
  }

  private async runSyncs(): Promise<void> {
    do {
      this.dirty = false;
      try {
        await this.sync();
        this.retryMs = POD_SYNC_RETRY_MIN_MS;
      } catch (error) {
        this.context.log(`pod ${this.namespace}/${this.name}: sync failed (retrying in ${this.retryMs} ms): ${(error as Error).message}`, { namespace: this.namespace, pod: this.name });
        this.wakeAt(Date.now() + this.retryMs);
        this.retryMs = Math.min(this.retryMs * 2, POD_SYNC_RETRY_MAX_MS);
      }
    } while (this.dirty && (this.state === 'active' || this.state === 'terminating'));
  }

  private async sync(): Promise<void> {
    if (this.state !== 'active' && this.state !== 'terminating') return;
    this.applyExits();
    const pod = this.pod;
    if (pod === undefined || pod.metadata.deletionTimestamp !== undefined) {
      this.state = 'terminating';
      await this.terminate();
      return;
    }
    if (this.finished) {
      await this.writeStatus(pod, { initialized: true, initFailed: false });
      return;
    }
    let dirs: VolumeDirs;
    let ports: readonly AllocatedPort[];
    try {
      dirs = await syncVolumes(pod, this.context.paths.volumesDir(this.identity), this.context.sources);
      ports = await this.context.ports.allocate(this.uid, portRequests(pod));
    } catch (error) {
      if (!(error instanceof AgentError)) throw error;
      if (error.message !== this.lastMountFailure) this.event('Warning', error.code === 'FailedMount' ? 'FailedMount' : 'Failed', error.message);
      this.lastMountFailure = error.message;
      this.wakeAt(Date.now() + POD_SYNC_RETRY_MAX_MS);
      await this.writeStatus(pod, { initialized: false, initFailed: false });
      return;
    }
    this.lastMountFailure = '';
    const { initialized, initFailed } = await this.runInitContainers(pod, dirs, ports);
    if (initialized) await this.runContainers(pod, dirs, ports);
    const phase = await this.writeStatus(pod, { initialized, initFailed });
    if (phase === 'Succeeded' || phase === 'Failed') this.finished = true;
  }

  /** Init containers in order, each to completion; says whether all completed, or one failed for good. */
  private async runInitContainers(pod: ApiObject, dirs: VolumeDirs, ports: readonly AllocatedPort[]): Promise<{ initialized: boolean; initFailed: boolean }> {
    const policy = restartPolicy(pod);
    for (const container of records(pod.spec?.initContainers)) {
      const record = this.record(stringField(container.name), true);
      if (record.succeeded) continue;
      if (record.running) return { initialized: false, initFailed: false };
      if (record.current !== undefined && policy === 'Never') return { initialized: false, initFailed: true };
      await this.startOrBackOff(pod, record, container, dirs, ports);
      return { initialized: false, initFailed: false };
    }
    return { initialized: true, initFailed: false };
  }

  private async runContainers(pod: ApiObject, dirs: VolumeDirs, ports: readonly AllocatedPort[]): Promise<void> {
    const policy = restartPolicy(pod);
    for (const container of records(pod.spec?.containers)) {
      const record = this.record(stringField(container.name), false);
      if (record.running && record.unhealthy !== undefined) {
        const { kind } = record.unhealthy;
        this.event('Normal', 'Killing', `Container ${record.name} failed ${kind} probe, will be restarted`);
        await this.stopAttempt(record, this.gracePeriodSeconds());
      } else if (record.running && record.current!.image !== stringField(container.image)) {
        this.event('Normal', 'Killing', `Container ${record.name} definition changed, will be restarted`);
        await this.stopAttempt(record, this.gracePeriodSeconds());
      }
      if (record.running) continue;
      const exit = record.current;
      if (exit !== undefined && !(policy === 'Always' || (policy === 'OnFailure' && exit.exitCode !== 0))) {
        record.waiting = undefined;
        continue;
      }
      await this.startOrBackOff(pod, record, container, dirs, ports);
    }
  }

  /** Starts the container now, or notes why it waits (back-off after a crash, a start that failed). */
  private async startOrBackOff(pod: ApiObject, record: ContainerRecord, container: Json, dirs: VolumeDirs, ports: readonly AllocatedPort[]): Promise<void> {
    const now = Date.now();
    if (record.retryAtMs !== undefined && now < record.retryAtMs) {
      this.wakeAt(record.retryAtMs);
      return;
    }
    const exit = record.current;
    if (exit !== undefined) {
      const { atMs, delayMs } = record.backoff.restartAt(exit.startedAtMs, exit.finishedAtMs ?? now);
      if (now < atMs) {
        record.waiting = {
          reason: 'CrashLoopBackOff',
          message: `back-off ${goDuration(delayMs)} restarting failed container=${record.name} pod=${this.name}_${this.namespace}(${this.uid})`,
        };
        if (record.announcedBackoffFor !== exit.id) {
          record.announcedBackoffFor = exit.id;
          this.event('Warning', 'BackOff', `Back-off restarting failed container ${record.name} in pod ${this.name}_${this.namespace}(${this.uid})`);
        }
        this.wakeAt(atMs);
        return;
      }
      record.backoff.restarted();
    }
    await this.startAttempt(pod, record, container, dirs, ports);
  }

  private async startAttempt(pod: ApiObject, record: ContainerRecord, container: Json, dirs: VolumeDirs, allPorts: readonly AllocatedPort[]): Promise<void> {
    const ports = portsOf(allPorts, record.name);
    let spec: ContainerSpec;
    try {
      spec = {
        podUid: this.uid,
        podNamespace: this.namespace,
        podName: this.name,
        containerName: record.name,
        attempt: record.nextAttempt,
        image: stringField(container.image),
        command: stringList(container.command),
        args: stringList(container.args),
        env: resolveEnv(pod, container, this.context.sources, { podIP: this.context.nodeIp, hostIP: this.context.nodeIp, nodeAllocatable: this.context.nodeAllocatable }),
        ...(typeof container.workingDir === 'string' && container.workingDir !== '' ? { workingDir: container.workingDir } : {}),
        ports,
        mounts: containerMounts(container, dirs),
        limits: limitsOf(container),
        nodeIp: this.context.nodeIp,
        logPath: this.context.paths.logPath(this.identity, record.name, record.nextAttempt),
      };
    } catch (error) {
      if (!(error instanceof AgentError)) throw error;
      // Retried at every sync: the ConfigMap or Secret it waits for may appear at any time.
      this.startFailed(record, error.code, error.message, Date.now() + POD_SYNC_RETRY_MAX_MS, false);
      return;
    }
    await mkdir(dirname(spec.logPath), { recursive: true });
    let info: ContainerInfo;
    try {
      info = await this.context.runtime.start(spec);
    } catch (error) {
      record.backoff.restarted();
      const { atMs } = record.backoff.restartAt(Date.now(), Date.now());
      this.startFailed(record, 'RunContainerError', (error as Error).message, atMs, true);
      return;
    }
    const dropped = record.attemptStarted(info);
    if (dropped !== undefined) void this.context.runtime.remove(dropped.id).catch(() => {});
    this.event('Normal', 'Created', `Created container ${record.name}`);
    this.event('Normal', 'Started', `Started container ${record.name}`);
    if (!record.init) this.startProber(record, container, info);
  }

  private startFailed(record: ContainerRecord, reason: string, message: string, retryAtMs: number, holdUntilRetry: boolean): void {
    if (record.waiting?.reason !== reason || record.waiting.message !== message) this.event('Warning', 'Failed', `Error: ${message}`);
    record.waiting = { reason, message };
    record.retryAtMs = holdUntilRetry ? retryAtMs : undefined;
    this.wakeAt(retryAtMs);
  }

  private startProber(record: ContainerRecord, container: Json, info: ContainerInfo): void {
    const isCurrent = (): boolean => record.current?.id === info.id && record.prober === prober && this.state === 'active';
    const prober = this.context.proberFactory(
      container,
      {
        host: this.context.nodeIp,
        ports: info.ports,
        exec: (command, timeoutMs) => this.context.runtime.exec(info.id, command, timeoutMs),
      },
      {
        readinessChanged: (ready) => {
          if (!isCurrent()) return;
          record.ready = ready;
          this.requestSync();
        },
        started: () => {
          if (!isCurrent()) return;
          record.started = true;
          this.requestSync();
        },
        unhealthy: (kind, message) => {
          if (!isCurrent()) return;
          record.unhealthy = { kind, message };
          this.requestSync();
        },
        probed: (kind, result) => this.context.metrics?.probed(kind, result, { namespace: this.namespace, pod: this.name, container: record.name }),
        probeFailed: (kind, message) => {
          if (!isCurrent()) return;
          this.event('Warning', 'Unhealthy', `${kind[0]!.toUpperCase()}${kind.slice(1)} probe failed: ${message}`);
        },
      },
    );
    record.prober = prober;
    prober.start();
  }

  /** Stops the record's running attempt and records how it ended. */
  private async stopAttempt(record: ContainerRecord, graceSeconds: number): Promise<void> {
    const current = record.current!;
    record.stopProber();
    await this.context.runtime.stop(current.id, graceSeconds);
    const ended = (await this.context.runtime.inspect(current.id)) ?? { ...current, state: 'exited' as const, finishedAtMs: Date.now() };
    this.exits.delete(current.id);
    record.exited(ended.state === 'exited' ? ended : { ...ended, state: 'exited', finishedAtMs: Date.now() });
  }

  private async terminate(): Promise<void> {
    for (const record of this.containers.values()) record.stopProber();
    const pod = this.pod;
    // Out of the Service's endpoints before any process is signalled.
    const grace = this.gracePeriodSeconds();
    if (pod !== undefined) {
      await this.writeStatus(pod, { initialized: true, initFailed: false }, true);
      await this.awaitOutOfEndpoints(Math.min(ENDPOINTS_EXIT_WAIT_MAX_MS, (grace * 1000) / 2));
    }
    await this.stopRunning(grace);
    for (const info of await this.context.runtime.list()) {
      if (info.podUid !== this.uid) continue;
      if (info.state === 'running') await this.context.runtime.stop(info.id, grace);
      await this.context.runtime.remove(info.id);
    }
    await this.context.ports.release(this.uid);
    await removeVolumes(this.context.paths.volumesDir(this.identity));
    await rm(this.context.paths.logDir(this.identity), { recursive: true, force: true });
    if (pod !== undefined) {
      try {
        await this.context.client.delete(PODS, this.namespace, this.name, { gracePeriodSeconds: 0, preconditions: { uid: this.uid } });
      } catch (error) {
        if (!(error instanceof ApiError && (error.reason === 'NotFound' || error.reason === 'Conflict'))) throw error;
      }
    }
    this.state = 'terminated';
    this.clearWake();
    this.context.terminated(this.uid);
  }

  /**
   * Waits (at most `budgetMs`) until no Endpoints of the pod's namespace lists it as a ready
   * address — the endpoints controller saw it unready — then a moment more for every node's
   * proxy to apply that, so that no new connection reaches a process about to be signalled.
   * Returns at once when no Endpoints listed it.
   */
  private async awaitOutOfEndpoints(budgetMs: number): Promise<void> {
    const deadline = Date.now() + budgetMs;
    let listed = false;
    for (;;) {
      let stillListed: boolean;
      try {
        const endpoints = await this.context.client.list(ENDPOINTS, this.namespace);
        stillListed = endpoints.items.some((object) => readyAddressUids(object).has(this.uid));
      } catch {
        return; // The API is unreachable: the grace period, not this wait, bounds what follows.
      }
      if (!stillListed) break;
      listed = true;
      if (Date.now() >= deadline) return;
      await new Promise((resolve) => setTimeout(resolve, ENDPOINTS_EXIT_POLL_MS));
    }
    if (listed) await new Promise((resolve) => setTimeout(resolve, Math.min(ENDPOINTS_EXIT_SETTLE_MS, Math.max(0, deadline - Date.now()))));
  }

  /** Runs each running container's preStop hook and stops it, all containers at once, within `graceSeconds`. */
  private async stopRunning(graceSeconds: number): Promise<void> {
    const startedMs = Date.now();
    await Promise.all(
      [...this.containers.values()]
        .filter((record) => record.running)
        .map(async (record) => {
          const id = record.current!.id;
          const preStop = stringList((this.containerSpec(record.name)?.container.lifecycle as { preStop?: { exec?: { command?: unknown } } } | undefined)?.preStop?.exec?.command);
          if (preStop.length > 0) {
            const result = await this.context.runtime.exec(id, preStop, graceSeconds * 1000).catch((error: Error) => ({ exitCode: -1, output: error.message, timedOut: false }));
            if (result.exitCode !== 0) {
              this.event('Warning', 'FailedPreStopHook', `PreStopHook failed: exec ${JSON.stringify(preStop)} ${result.timedOut ? 'timed out' : `exited with ${result.exitCode}`}: ${result.output.trim()}`);
            }
          }
          const remaining = graceSeconds - Math.floor((Date.now() - startedMs) / 1000);
          this.event('Normal', 'Killing', `Stopping container ${record.name}`);
          await this.stopAttempt(record, Math.max(remaining, MINIMUM_STOP_GRACE_SECONDS));
        }),
    );
  }

  /** Writes the status when it differs from the pod's; answers the phase. */
  private async writeStatus(pod: ApiObject, init: { initialized: boolean; initFailed: boolean }, terminating = false): Promise<string> {
    const compute = (current: ApiObject): Json =>
      computePodStatus({
        current: (current.status ?? {}) as Json,
        readinessGates: records(current.spec?.readinessGates).map((gate) => stringField(gate.conditionType)),
        initContainers: records(current.spec?.initContainers).map((container) => this.view(container, true)),
        containers: records(current.spec?.containers).map((container) => this.view(container, false)),
        initialized: init.initialized,
        initFailed: init.initFailed,
        terminating,
        runtimeName: this.context.runtime.name,
        nodeIp: this.context.nodeIp,
        now: new Date(),
      });
    let status = compute(pod);
    if (jsonEqual(status, pod.status)) return String(status.phase);
    try {
      this.pod = await this.context.client.updateStatus(PODS, { ...pod, status });
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      if (error.reason === 'NotFound') return String(status.phase);
      if (error.reason !== 'Conflict') throw error;
      // The cache was behind: once more from the pod as it is now.
      const fresh = await this.context.client.get(PODS, this.namespace, this.name);
      if (fresh.metadata.uid !== this.uid) return String(status.phase);
      status = compute(fresh);
      this.pod = jsonEqual(status, fresh.status) ? fresh : await this.context.client.updateStatus(PODS, { ...fresh, status });
    }
    this.lastPod = this.pod;
    return String(status.phase);
  }

  private view(container: Json, init: boolean): ReturnType<ContainerRecord['view']> {
    const record = this.record(stringField(container.name), init);
    const ports = portsOf(this.context.ports.ports(this.uid) ?? [], record.name);
    return record.view(stringField(container.image), ports);
  }

  private applyExits(): void {
    for (const [id, info] of this.exits) {
      for (const record of this.containers.values()) if (record.current?.id === id) record.exited(info);
    }
    this.exits.clear();
  }

  private record(name: string, init: boolean): ContainerRecord {
    let record = this.containers.get(name);
    if (record === undefined) {
      record = new ContainerRecord(name, init, this.context.backoff);
      this.containers.set(name, record);
    }
    return record;
  }

  private containerSpec(name: string): { container: Json; init: boolean } | undefined {
    for (const init of [true, false]) {
      const container = records(this.lastPod.spec?.[init ? 'initContainers' : 'containers']).find((candidate) => candidate.name === name);
      if (container !== undefined) return { container, init };
    }
    return undefined;
  }

  /** The pod's deletion grace period, else its `terminationGracePeriodSeconds`, else 30 s. */
  private gracePeriodSeconds(): number {
    return this.lastPod.metadata.deletionGracePeriodSeconds ?? numberField(this.lastPod.spec?.terminationGracePeriodSeconds) ?? DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS;
  }

  private get identity(): { namespace: string; name: string; uid: string } {
    return { namespace: this.namespace, name: this.name, uid: this.uid };
  }

  private event(type: EventType, reason: string, message: string): void {
    this.context.record(this.lastPod, type, reason, message);
  }

  /** Syncs again at `atMs` (the earliest of the times asked for wins). */
  private wakeAt(atMs: number): void {
    if (this.wakeTimer !== null && this.wakeTimer.atMs <= atMs) return;
    this.clearWake();
    const timer = setTimeout(() => {
      this.wakeTimer = null;
      this.requestSync();
    }, Math.max(0, atMs - Date.now()));
    this.wakeTimer = { atMs, timer };
  }

  private clearWake(): void {
    if (this.wakeTimer !== null) clearTimeout(this.wakeTimer.timer);
    this.wakeTimer = null;
  }
}

function restartPolicy(pod: ApiObject): 'Always' | 'OnFailure' | 'Never' {
  const policy = pod.spec?.restartPolicy;
  return policy === 'OnFailure' || policy === 'Never' ? policy : 'Always';
}

/** Every container port of the pod (init containers included), as the allocator takes them. */
function portRequests(pod: ApiObject): PortRequest[] {
  const requests: PortRequest[] = [];
  for (const list of ['initContainers', 'containers']) {
    for (const container of records(pod.spec?.[list])) {
      for (const port of records(container.ports)) {
        const protocol = port.protocol === 'UDP' || port.protocol === 'SCTP' ? port.protocol : 'TCP';
        const hostPort = numberField(port.hostPort);
        requests.push({
          container: stringField(container.name),
          ...(typeof port.name === 'string' && port.name !== '' ? { name: port.name } : {}),
          containerPort: numberField(port.containerPort) ?? 0,
          protocol,
          ...(hostPort !== undefined ? { hostPort } : {}),
        });
      }
    }
  }
  return requests;
}

function portsOf(ports: readonly AllocatedPort[], container: string): PortMapping[] {
  return ports
    .filter((port) => port.container === container)
    .map((port) => ({ ...(port.name !== undefined ? { name: port.name } : {}), containerPort: port.containerPort, hostPort: port.hostPort, protocol: port.protocol }));
}

function limitsOf(container: Json): { cpuMillis?: number; memoryBytes?: number } {
  const limits = ((container.resources as Json | undefined)?.limits ?? {}) as Json;
  const result: { cpuMillis?: number; memoryBytes?: number } = {};
  const cpu = limits.cpu;
  if (typeof cpu === 'string' || typeof cpu === 'number') result.cpuMillis = Math.round(parseQuantity(cpu) * 1000);
  const memory = limits.memory;
  if (typeof memory === 'string' || typeof memory === 'number') result.memoryBytes = Math.round(parseQuantity(memory));
  return result;
}

/** Whether `a` is an older version of the same object than `b` (resourceVersions are KV revisions). */
function olderThan(a: ApiObject, b: ApiObject): boolean {
  if (a.metadata.uid !== b.metadata.uid) return false;
  const versionA = Number(a.metadata.resourceVersion);
  const versionB = Number(b.metadata.resourceVersion);
  return Number.isFinite(versionA) && Number.isFinite(versionB) && versionA < versionB;
}
