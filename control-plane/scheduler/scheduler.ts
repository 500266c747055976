/**
 * The scheduler: places each pending pod on a node and writes the binding through the API
 * server, in kube-scheduler's shape.
 *
 * - **Informers** (shared, from the `InformerFactory`) feed the cache and the queue: pods
 *   bound to a node are counted on it (`SchedulerCache`); pods waiting for this scheduler
 *   are queued (`SchedulingQueue`); a node added or changed, or a pod gone, wakes the pods
 *   that fit nowhere.
 * - **One loop** takes pods from the queue one at a time and decides each synchronously
 *   (`SchedulingAlgorithm`), then *assumes* the pod on its node and starts the binding
 *   without waiting for it: up to `bindConcurrency` bindings are in flight while the loop
 *   decides the next pods, each counting the ones assumed before it. The loop yields to the
 *   event loop every `SCHEDULING_SLICE_MS`, so informer events and answers get through.
 * - **Binding** (`client.bind`): done → the pod is forgotten by the queue (the informer will
 *   report it bound, which confirms the assumption). 409 Conflict or 404 NotFound → someone
 *   else bound or deleted it: the assumption is undone and the pod dropped, never retried
 *   blindly. Another error → the assumption is undone and the pod retried after its back-off.
 * - **Fits nowhere** → `PodScheduled=False` (reason `Unschedulable`, the counted message)
 *   and a `FailedScheduling` event, both written in the background; the pod waits for a
 *   change of the cluster, then retries with back-off.
 *
 * Only one scheduler may run per cluster (leader election wraps it from outside); the
 * informers' handlers stay registered after `stop()` (informers cannot drop handlers) but do
 * nothing, so a new Scheduler can later run on the same factory.
 */
import { performance } from 'node:perf_hooks';
import { jsonEqual } from '../api/json-values.js';
import { resourceByName } from '../api/resources.js';
import type { ApiObject } from '../api/types.js';
import { ApiError } from '../apiserver/errors.js';
import type { EventRecorder } from '../client/event-recorder.js';
import type { GrpcApiClient } from '../client/grpc-api-client.js';
import type { InformerFactory } from '../client/informer-factory.js';
import type { Informer } from '../client/informer.js';
import { objectKey } from '../client/informer.js';
import { BackgroundWrites } from './background-writes.js';
import { BACKGROUND_WRITES_DRAIN_MS, BIND_CONCURRENCY_DEFAULT, BIND_CONCURRENCY_MAX, DEFAULT_SCHEDULER_NAME, SCHEDULING_SLICE_MS } from './constants.js';
import { defaultProfile } from './default-profile.js';
import type { SchedulerProfile } from './framework.js';
import { unschedulableConditionPatch } from './pod-conditions.js';
import { boundNodeOf, isPendingFor, isTerminal, podInfoOf } from './pod-info.js';
import type { PodInfo } from './pod-info.js';
import { SchedulerCache } from './scheduler-cache.js';
import { SchedulingAlgorithm } from './scheduling-algorithm.js';
import type { ScheduleResult, SchedulerMetrics } from './scheduler-metrics.js';
import { SchedulingQueue } from './scheduling-queue.js';
import type { QueueCounts, QueuedPod, SchedulingQueueOptions } from './scheduling-queue.js';

const PODS = resourceByName('pods')!;

export interface SchedulerOptions {
  readonly client: GrpcApiClient;
  /**
   * Shared informers. `start()` asks for the pod and node informers and waits for their
   * first lists: start the factory alongside (`Promise.all([informers.start(),
   * scheduler.start()])`), as the controller manager does; or before, then ask again.
   */
  readonly informers: InformerFactory;
  /** Writes `FailedScheduling` and `Scheduled` events; without one, no events. */
  readonly recorder?: EventRecorder;
  /** Whether to write a `Scheduled` event per bound pod (default true; a benchmark of 10,000 pods may not want 10,000 events). */
  readonly scheduledEvents?: boolean;
  readonly log?: (line: string) => void;
  /** Bindings in flight at most (default `BIND_CONCURRENCY_DEFAULT`). */
  readonly bindConcurrency?: number;
  /** The clock for condition timestamps and back-offs (default `() => new Date()`). */
  readonly now?: () => Date;
  /** The `spec.schedulerName` served (default `default-scheduler`, which also takes pods naming none). */
  readonly schedulerName?: string;
  /** Share of nodes to find feasible before scoring, 1..100; 0 (default): adaptive, as kube-scheduler. */
  readonly percentageOfNodesToScore?: number;
  /** Breaks ties between equally scored nodes ([0, 1), default `Math.random`). */
  readonly random?: () => number;
  /** The plugins (default `defaultProfile()`). */
  readonly profile?: SchedulerProfile;
  /** Where attempts, latencies and the queue's size are reported (default: not measured). */
  readonly metrics?: SchedulerMetrics;
  /** Queue durations (tests shorten the back-offs). */
  readonly queue?: Omit<SchedulingQueueOptions, 'nowMs'>;
}

/** What the scheduler has done since it started. */
export interface SchedulerStats {
  /** Scheduling cycles run (one per pod taken from the queue and decided). */
  readonly attempts: number;
  /** Bindings written. */
  readonly bound: number;
  /** Bindings refused with Conflict or NotFound: the pod was bound by someone else, or deleted. */
  readonly bindConflicts: number;
  /** Bindings that failed otherwise (retried). */
  readonly bindErrors: number;
  /** Cycles that found no node. */
  readonly unschedulable: number;
  /** Cycles a plugin failed in. */
  readonly errors: number;
  /** Time spent deciding (the scheduling cycles themselves, not binding or informer work), in ms. */
  readonly decisionMs: number;
  readonly bindsInFlight: number;
  readonly queue: QueueCounts;
  /** Status writes and events dropped or failed. */
  readonly backgroundDropped: number;
  readonly backgroundFailed: number;
}

type SchedulerState = 'new' | 'starting' | 'running' | 'stopped';

export class Scheduler {
  private readonly client: GrpcApiClient;
  private readonly log: (line: string) => void;
  private readonly now: () => Date;
  private readonly schedulerName: string;
  private readonly bindConcurrency: number;
  private readonly cache = new SchedulerCache();
  private readonly queue: SchedulingQueue;
  private readonly algorithm: SchedulingAlgorithm;
  private readonly writes: BackgroundWrites;
  private readonly binds = new Set<Promise<void>>();
  private state: SchedulerState = 'new';
  private pods: Informer | null = null;
  private loopDone: Promise<void> = Promise.resolve();
  private bindSlotWaiter: (() => void) | null = null;
  /** Resolved by `stop()`: ends a `start()` still waiting for the informers. */
  private stopRequested!: () => void;
  private readonly stopping = new Promise<void>((resolve) => (this.stopRequested = resolve));
  private readonly counters = { attempts: 0, bound: 0, bindConflicts: 0, bindErrors: 0, unschedulable: 0, errors: 0, decisionMs: 0 };

  constructor(private readonly options: SchedulerOptions) {
    this.client = options.client;
    this.log = options.log ?? (() => {});
    this.now = options.now ?? (() => new Date());
    this.schedulerName = options.schedulerName ?? DEFAULT_SCHEDULER_NAME;
    this.bindConcurrency = options.bindConcurrency ?? BIND_CONCURRENCY_DEFAULT;
    if (!(Number.isInteger(this.bindConcurrency) && this.bindConcurrency >= 1 && this.bindConcurrency <= BIND_CONCURRENCY_MAX)) {
      throw new RangeError(`bindConcurrency must be an integer within 1..${BIND_CONCURRENCY_MAX}, got ${this.bindConcurrency}`);
    }
    this.algorithm = new SchedulingAlgorithm(options.profile ?? defaultProfile(), {
      ...(options.percentageOfNodesToScore !== undefined ? { percentageOfNodesToScore: options.percentageOfNodesToScore } : {}),
      ...(options.random !== undefined ? { random: options.random } : {}),
    });
    this.queue = new SchedulingQueue({ ...options.queue, nowMs: () => this.now().getTime() });
    this.writes = new BackgroundWrites(this.log);
  }

  /**
   * Registers the informer handlers (synchronously, first), waits until the pod and node
   * informers have listed once, then starts scheduling. Resolves once running.
   */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`the scheduler cannot start: it is ${this.state}`);
    this.state = 'starting';
    const pods = this.options.informers.informer('pods');
    const nodes = this.options.informers.informer('nodes');
    this.pods = pods;
    pods.on({
      add: (pod) => this.onPodAdd(pod),
      update: (old, pod) => this.onPodUpdate(old, pod),
      delete: (pod) => this.onPodDelete(pod),
    });
    nodes.on({
      add: (node) => this.onNodeAdd(node),
      update: (old, node) => this.onNodeUpdate(old, node),
      delete: (node) => this.onNodeDelete(node),
    });
    await Promise.race([Promise.all([pods.waitForSync(), nodes.waitForSync()]), this.stopping]);
    if (this.state !== 'starting') return;
    this.state = 'running';
    this.options.metrics?.observeQueue(() => this.queue.counts);
    this.loopDone = this.loop();
  }

  /** Stops deciding; waits for the bindings in flight and (for a few seconds at most) the background writes. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    this.options.metrics?.observeQueue(null);
    this.stopRequested();
    this.queue.close();
    this.wakeLoop();
    await this.loopDone;
    await Promise.all([...this.binds]);
    await this.writes.drain(BACKGROUND_WRITES_DRAIN_MS);
  }

  get stats(): SchedulerStats {
    return {
      ...this.counters,
      bindsInFlight: this.binds.size,
      queue: this.queue.counts,
      backgroundDropped: this.writes.dropped,
      backgroundFailed: this.writes.failed,
    };
  }

  private get listening(): boolean {
    return this.state === 'starting' || this.state === 'running';
  }

  // --- informer handlers: they only update the cache and the queue -----------------------

  private onPodAdd(pod: ApiObject): void {
    if (!this.listening) return;
    const nodeName = boundNodeOf(pod);
    if (nodeName !== '') {
      if (!isTerminal(pod)) this.cache.addOrUpdatePod(podInfoOf(pod), nodeName);
    } else if (isPendingFor(pod, this.schedulerName) && !this.cache.hasPod(objectKey(pod))) {
      this.queue.add(podInfoOf(pod));
    }
  }

  private onPodUpdate(old: ApiObject, pod: ApiObject): void {
    if (!this.listening) return;
    const key = objectKey(pod);
    const nodeName = boundNodeOf(pod);
    if (nodeName !== '') {
      // Bound: by this scheduler (confirming the assumption) or by someone else.
      this.queue.delete(key);
      if (!isTerminal(pod)) this.cache.addOrUpdatePod(podInfoOf(pod), nodeName);
      else if (this.cache.removePod(key)) this.queue.moveAllToActiveOrBackoff();
    } else if (!isPendingFor(pod, this.schedulerName)) {
      this.queue.delete(key);
    } else if (!this.cache.hasPod(key)) {
      // Our own status writes change only the status: not a reason to try an unschedulable pod again.
      const changed = !jsonEqual(old.spec, pod.spec) || !jsonEqual(old.metadata.labels, pod.metadata.labels);
      this.queue.add(podInfoOf(pod), changed);
    }
  }

  private onPodDelete(pod: ApiObject): void {
    if (!this.listening) return;
    const key = objectKey(pod);
    this.queue.delete(key);
    if (this.cache.removePod(key)) this.queue.moveAllToActiveOrBackoff();
  }

  private onNodeAdd(node: ApiObject): void {
    if (!this.listening) return;
    this.cache.setNode(node);
    this.queue.moveAllToActiveOrBackoff();
  }

  private onNodeUpdate(old: ApiObject, node: ApiObject): void {
    if (!this.listening) return;
    this.cache.setNode(node);
    if (nodeChangeMayHelp(old, node)) this.queue.moveAllToActiveOrBackoff();
  }

  private onNodeDelete(node: ApiObject): void {
    if (!this.listening) return;
    this.cache.removeNode(node.metadata.name!);
  }

  // --- the scheduling loop -----------------------------------------------------------------

  private async loop(): Promise<void> {
    let sliceStart = performance.now();
    while (this.state === 'running') {
      if (this.binds.size >= this.bindConcurrency) {
        await new Promise<void>((resolve) => (this.bindSlotWaiter = resolve));
        sliceStart = performance.now();
        continue;
      }
      const entry = this.queue.pop();
      if (entry === undefined) {
        await this.queue.waitForPods();
        sliceStart = performance.now();
        continue;
      }
      this.scheduleOne(entry);
      if (performance.now() - sliceStart >= SCHEDULING_SLICE_MS) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        sliceStart = performance.now();
      }
    }
  }

  private wakeLoop(): void {
    const wake = this.bindSlotWaiter;
    this.bindSlotWaiter = null;
    wake?.();
  }

  private scheduleOne(entry: QueuedPod): void {
    const pod = this.pods!.get(entry.key);
    // Gone, bound, or changed hands since it was queued; or already placed by an attempt whose binding is in flight.
    if (pod === undefined || !isPendingFor(pod, this.schedulerName) || this.cache.hasPod(entry.key)) {
      this.queue.done(entry.key);
      return;
    }
    if (entry.podInfo.pod !== pod) entry.podInfo = podInfoOf(pod);
    const info = entry.podInfo;
    this.counters.attempts++;
    const decisionStart = performance.now();
    const result = this.algorithm.schedule(info, this.cache);
    const decisionMs = performance.now() - decisionStart;
    this.counters.decisionMs += decisionMs;
    this.options.metrics?.decided(decisionMs / 1000);
    switch (result.kind) {
      case 'scheduled':
        this.cache.assume(info, result.node);
        this.bind(info, result.node, decisionStart);
        break;
      case 'unschedulable':
        this.attempted('unschedulable', decisionStart);
        this.counters.unschedulable++;
        this.queue.requeueUnschedulable(info.key);
        this.reportUnschedulable(info, result.message);
        break;
      case 'error':
        this.attempted('error', decisionStart);
        this.counters.errors++;
        this.log(`scheduler: ${result.message}`);
        this.queue.requeueBackoff(info.key);
        break;
      default: {
        const never: never = result;
        throw new Error(`unknown schedule result ${JSON.stringify(never)}`);
      }
    }
  }

  /** Reports an attempt begun at `startedMs` (`performance.now()`). */
  private attempted(result: ScheduleResult, startedMs: number): void {
    this.options.metrics?.attempted(result, this.schedulerName, (performance.now() - startedMs) / 1000);
  }

  private bind(info: PodInfo, nodeName: string, attemptStartedMs: number): void {
    const binding = this.client.bind(info.namespace, info.name, nodeName).then(
      () => {
        this.attempted('scheduled', attemptStartedMs);
        this.counters.bound++;
        this.queue.done(info.key);
        if (this.options.recorder !== undefined && this.options.scheduledEvents !== false) {
          const recorder = this.options.recorder;
          this.writes.submit(`Scheduled event of ${info.key}`, () => recorder.record(info.pod, 'Normal', 'Scheduled', `Successfully assigned ${info.key} to ${nodeName}`));
        }
      },
      (error: unknown) => {
        this.attempted('error', attemptStartedMs);
        const freed = this.cache.forget(info.key);
        if (error instanceof ApiError && (error.reason === 'Conflict' || error.reason === 'NotFound')) {
          // Someone else bound it, or it was deleted: nothing to retry.
          this.counters.bindConflicts++;
          this.queue.done(info.key);
        } else {
          this.counters.bindErrors++;
          this.log(`scheduler: binding ${info.key} to ${nodeName} failed: ${(error as Error).message}; retrying after a back-off`);
          this.queue.requeueBackoff(info.key);
        }
        // What it held on its node is free again.
        if (freed) this.queue.moveAllToActiveOrBackoff();
      },
    );
    const tracked: Promise<void> = binding.finally(() => {
      this.binds.delete(tracked);
      this.wakeLoop();
    });
    this.binds.add(tracked);
  }

  private reportUnschedulable(info: PodInfo, message: string): void {
    const patch = unschedulableConditionPatch(info.pod, message, this.now());
    if (patch !== null) {
      this.writes.submit(`PodScheduled=False of ${info.key}`, () =>
        this.client.patch(PODS, info.namespace, info.name, patch, true).catch((error: unknown) => {
          // Changed meanwhile (bound, say) or gone: the condition no longer applies.
          if (!(error instanceof ApiError && (error.reason === 'Conflict' || error.reason === 'NotFound'))) throw error;
        }),
      );
    }
    const recorder = this.options.recorder;
    if (recorder !== undefined) this.writes.submit(`FailedScheduling event of ${info.key}`, () => recorder.record(info.pod, 'Warning', 'FailedScheduling', message));
  }
}

/** Whether a node's change may let a pod fit that did not: what it offers, not its heartbeat. */
function nodeChangeMayHelp(old: ApiObject, node: ApiObject): boolean {
  const readiness = (object: ApiObject): unknown => (Array.isArray(object.status?.conditions) ? object.status.conditions.find((condition: { type?: unknown }) => condition?.type === 'Ready')?.status : undefined);
  return (
    !jsonEqual(old.metadata.labels, node.metadata.labels) ||
    !jsonEqual(old.spec, node.spec) ||
    !jsonEqual(old.status?.allocatable, node.status?.allocatable) ||
    !jsonEqual(old.status?.capacity, node.status?.capacity) ||
    readiness(old) !== readiness(node)
  );
}
