/**
 * The node lifecycle controller: notices nodes whose agents fell silent and moves their pods
 * off them, as Kubernetes' does with taint-based eviction.
 *
 * - **Health.** A node's agent renews its Lease (`kube-node-lease/<node>`) and posts its Ready
 *   condition. When neither has changed for `nodeMonitorGracePeriodSeconds`, judged on this
 *   controller's clock from when it saw the last change (never from the timestamps in them,
 *   so a skewed agent clock does not matter), the node's Ready condition becomes `Unknown`
 *   (`NodeStatusUnknown`, "Kubelet stopped posting node status.") and a `NodeNotReady`
 *   event is recorded; its pods' Ready conditions become False so Services stop sending to
 *   them. The agent sets Ready back when it is back (this controller never claims a node
 *   is healthy).
 * - **Taints** follow the Ready condition: `node.kubernetes.io/unreachable` (Unknown) or
 *   `node.kubernetes.io/not-ready` (False), each `NoSchedule` and `NoExecute`, removed when
 *   the node is Ready again.
 * - **Eviction.** A pod on a node with NoExecute taints goes when it does not tolerate them,
 *   or once its toleration time has passed since this controller saw it tainted (the
 *   default, for pods that do not mention readiness taints, is `podEvictionTimeoutSeconds`);
 *   a `TaintManagerEviction` event says so. The pod is deleted (marked for its grace period);
 *   on an unreachable node no agent will ever confirm that, so it is then force-deleted
 *   (grace 0), as Kubernetes' pod garbage collector does for pods on lost nodes. A pod marked
 *   by someone else on an unreachable node is force-deleted once its grace period has passed.
 * - **Deleted nodes.** The pods still bound to a node removed from the API are force-deleted.
 *
 * Keys are node names; every node is also looked at every `nodeMonitorPeriodMs`.
 */
import { resourceByName } from '../../api/resources.js';
import type { ApiObject } from '../../api/types.js';
import { ApiError } from '../../apiserver/errors.js';
import { timestamp } from '../../apiserver/registry.js';
import type { EventRecorder } from '../../client/event-recorder.js';
import type { Informer } from '../../client/informer.js';
import { objectKey } from '../../client/informer.js';
import { WorkQueue } from '../../client/work-queue.js';
import type { WorkQueueOptions } from '../../client/work-queue.js';
import type { Controller, ControllerContext } from '../controller.js';
import { WorkAfterSync } from '../controller.js';
import { NODE_LEASE_NAMESPACE, conditionsMarkedUnknown, heartbeatOf, readyCondition } from './node-health.js';
import { DEFAULT_TOLERATION_SECONDS, effectiveTolerations, evictionDecision, nodeTaints, podTolerations, taintsForReadiness } from './taint-eviction.js';

const NODES = resourceByName('nodes')!;
const PODS = resourceByName('pods')!;

export const NODE_LIFECYCLE_DEFAULTS = {
  /** Kubernetes' `--node-monitor-grace-period`. */
  nodeMonitorGracePeriodSeconds: 40,
  /** Kubernetes' `--node-monitor-period`. */
  nodeMonitorPeriodMs: 5_000,
  podEvictionTimeoutSeconds: DEFAULT_TOLERATION_SECONDS,
  workers: 2,
} as const;

export const NODE_CONTROLLER_COMPONENT = 'node-controller';

export interface NodeLifecycleControllerOptions {
  /** A node whose heartbeat has not changed for this long is unreachable (default 40 s). */
  readonly nodeMonitorGracePeriodSeconds?: number;
  /** Every node is checked at least this often (default 5 s). */
  readonly nodeMonitorPeriodMs?: number;
  /**
   * How long pods that do not tolerate the not-ready and unreachable taints explicitly stay
   * on such a node (default 300 s; Kubernetes' `--default-unreachable-toleration-seconds`).
   */
  readonly podEvictionTimeoutSeconds?: number;
  /** Nodes reconciled at once (default 2). */
  readonly workers?: number;
  readonly queue?: WorkQueueOptions;
}

/** When this controller last saw a node's heartbeat change, on its own clock. */
interface Probe {
  heartbeat: string;
  observedAtMs: number;
}

/** A pod's eviction clock: it started when this controller first saw the pod tolerating a NoExecute taint for a while. */
interface EvictionClock {
  uid: string;
  sinceMs: number;
}

export class NodeLifecycleController implements Controller {
  readonly name = 'nodelifecycle';
  private readonly settings: Required<Omit<NodeLifecycleControllerOptions, 'queue'>>;
  private readonly queue: WorkQueue;
  private context: ControllerContext | null = null;
  private recorder: EventRecorder | null = null;
  private nodes: Informer | null = null;
  private pods: Informer | null = null;
  private leases: Informer | null = null;
  private readonly probes = new Map<string, Probe>();
  /** Nodes this controller's cache has held: only their pods are force-deleted when they go. */
  private readonly knownNodes = new Set<string>();
  /** The Ready status last seen per node, to record `NodeNotReady` on a change from True. */
  private readonly readyStatuses = new Map<string, string>();
  /** Pod keys per node name, and the node of each pod key. */
  private readonly podsByNode = new Map<string, Set<string>>();
  private readonly nodeOfPod = new Map<string, string>();
  private readonly evictionClocks = new Map<string, EvictionClock>();
  /** Pods seen marked for deletion on an unreachable node, and since when (force-deleted after their grace). */
  private readonly terminatingClocks = new Map<string, EvictionClock>();
  private monitor: NodeJS.Timeout | null = null;
  private readonly work = new WorkAfterSync();

  constructor(options: NodeLifecycleControllerOptions = {}) {
    this.settings = {
      nodeMonitorGracePeriodSeconds: options.nodeMonitorGracePeriodSeconds ?? NODE_LIFECYCLE_DEFAULTS.nodeMonitorGracePeriodSeconds,
      nodeMonitorPeriodMs: options.nodeMonitorPeriodMs ?? NODE_LIFECYCLE_DEFAULTS.nodeMonitorPeriodMs,
      podEvictionTimeoutSeconds: options.podEvictionTimeoutSeconds ?? NODE_LIFECYCLE_DEFAULTS.podEvictionTimeoutSeconds,
      workers: options.workers ?? NODE_LIFECYCLE_DEFAULTS.workers,
    };
    if (!(this.settings.nodeMonitorGracePeriodSeconds > 0)) throw new RangeError('nodeMonitorGracePeriodSeconds must be > 0');
    if (!(this.settings.nodeMonitorPeriodMs > 0)) throw new RangeError('nodeMonitorPeriodMs must be > 0');
    if (!(this.settings.podEvictionTimeoutSeconds >= 0)) throw new RangeError('podEvictionTimeoutSeconds must be ≥ 0');
    this.queue = new WorkQueue(options.queue);
  }

  async start(context: ControllerContext): Promise<void> {
    this.queue.instrument(context.queueMetrics?.('node_lifecycle_controller'));
    if (this.context !== null) throw new Error('the node lifecycle controller was already started');
    this.context = context;
    this.recorder = context.recorder(NODE_CONTROLLER_COMPONENT);
    const nodes = (this.nodes = context.informers.informer('nodes'));
    const pods = (this.pods = context.informers.informer('pods'));
    const leases = (this.leases = context.informers.informer('leases'));
    const nodeSeen = (node: ApiObject): void => {
      this.knownNodes.add(node.metadata.name!);
      this.queue.add(node.metadata.name!);
    };
    nodes.on({ add: nodeSeen, update: (_old, node) => nodeSeen(node), delete: (node) => this.queue.add(node.metadata.name!) });
    pods.on({
      add: (pod) => this.podChanged(undefined, pod),
      update: (old, pod) => this.podChanged(old, pod),
      delete: (pod) => this.podChanged(pod, undefined),
    });
    leases.on({
      add: (lease) => this.leaseChanged(lease),
      update: (_old, lease) => this.leaseChanged(lease),
    });
    this.work.start([nodes, pods, leases], () => {
      this.monitor = setInterval(() => {
        for (const node of nodes.list()) this.queue.add(node.metadata.name!);
      }, this.settings.nodeMonitorPeriodMs);
      return this.queue.run(this.settings.workers, (key) => this.reconcile(key), (key, error) => context.log(`node lifecycle ${key}: ${(error as Error).message}`));
    });
  }

  async stop(): Promise<void> {
    this.queue.shutdown();
    await this.work.stop();
    // After the work ended: the monitor is set when the work starts.
    if (this.monitor !== null) clearInterval(this.monitor);
    this.monitor = null;
  }

  /**
   * Brings the node `name` in line with its heartbeat: its Ready condition, its readiness
   * taints, its pods' readiness and evictions; force-deletes the pods of a deleted node.
   * Asks to be called again when the next deadline (grace period, eviction) falls due.
   */
  async reconcile(name: string): Promise<void> {
    const now = this.context!.now();
    const nowMs = now.getTime();
    let node = this.nodes!.get(name);
    if (node === undefined) {
      await this.forgetNode(name);
      return;
    }
    const graceMs = this.settings.nodeMonitorGracePeriodSeconds * 1000;
    const probe = this.observeHeartbeat(node, nowMs);
    let wakeAtMs = Infinity;
    if (nowMs - probe.observedAtMs >= graceMs) node = await this.markUnknown(node, now);
    else wakeAtMs = probe.observedAtMs + graceMs;
    this.noteReadyStatus(node);
    node = await this.reconcileTaints(node, now);
    const ready = readyCondition(node)?.status;
    if (ready !== undefined && ready !== 'True') await this.markPodsNotReady(node, now);
    wakeAtMs = Math.min(wakeAtMs, await this.reconcileEvictions(node, nowMs));
    if (wakeAtMs !== Infinity) this.queue.addAfter(name, Math.max(1, wakeAtMs - nowMs + 1));
  }

  /** Notes when the node's heartbeat last changed, on this controller's clock (a node first seen starts a full grace period). */
  private observeHeartbeat(node: ApiObject, nowMs: number): Probe {
    const name = node.metadata.name!;
    const heartbeat = heartbeatOf(node, this.leases!.getByName(NODE_LEASE_NAMESPACE, name));
    const probe = this.probes.get(name);
    if (probe !== undefined && probe.heartbeat === heartbeat) return probe;
    const fresh = { heartbeat, observedAtMs: nowMs };
    this.probes.set(name, fresh);
    return fresh;
  }

  private async markUnknown(node: ApiObject, now: Date): Promise<ApiObject> {
    const conditions = conditionsMarkedUnknown(node, now);
    if (conditions === null) return node;
    const written = await this.context!.client.updateStatus(NODES, { ...node, status: { ...(node.status ?? {}), conditions } });
    this.context!.log(`node lifecycle: node ${node.metadata.name} stopped posting its status: Ready is now Unknown`);
    // Our own write may add a heartbeat time (a node that never reported): not a sign of life.
    const probe = this.probes.get(node.metadata.name!);
    if (probe !== undefined) probe.heartbeat = heartbeatOf(written, this.leases!.getByName(NODE_LEASE_NAMESPACE, node.metadata.name!));
    return written;
  }

  private noteReadyStatus(node: ApiObject): void {
    const name = node.metadata.name!;
    const status = readyCondition(node)?.status ?? 'None';
    const previous = this.readyStatuses.get(name);
    this.readyStatuses.set(name, status);
    if (previous === 'True' && status !== 'True') void this.recorder!.record(node, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
  }

  private async reconcileTaints(node: ApiObject, now: Date): Promise<ApiObject> {
    const taints = taintsForReadiness(nodeTaints(node.spec), readyCondition(node)?.status, now);
    if (taints === null) return node;
    return this.context!.client.update(NODES, { ...node, spec: { ...(node.spec ?? {}), taints } });
  }

  /** Pods on a node that is not Ready cannot be trusted to serve: their Ready condition becomes False. */
  private async markPodsNotReady(node: ApiObject, now: Date): Promise<void> {
    for (const key of this.podsByNode.get(node.metadata.name!) ?? []) {
      const pod = this.pods!.get(key);
      const conditions = (pod?.status as { conditions?: { type?: string; status?: string }[] } | undefined)?.conditions;
      if (pod === undefined || !Array.isArray(conditions) || !conditions.some((condition) => condition.type === 'Ready' && condition.status === 'True')) continue;
      const next = conditions.map((condition) => (condition.type === 'Ready' ? { ...condition, status: 'False', lastTransitionTime: timestamp(now) } : condition));
      try {
        await this.context!.client.updateStatus(PODS, { ...pod, status: { ...(pod.status ?? {}), conditions: next } });
      } catch (error) {
        if (error instanceof ApiError && error.reason === 'NotFound') continue;
        throw error;
      }
      void this.recorder!.record(pod, 'Warning', 'NodeNotReady', 'Node is not ready');
    }
  }

  /** Evicts the node's pods whose time has come; returns when (ms, this clock) the next one is due. */
  private async reconcileEvictions(node: ApiObject, nowMs: number): Promise<number> {
    const taints = nodeTaints(node.spec);
    const unreachable = readyCondition(node)?.status === 'Unknown';
    let nextDueMs = Infinity;
    for (const key of [...(this.podsByNode.get(node.metadata.name!) ?? [])]) {
      const pod = this.pods!.get(key);
      if (pod === undefined) continue;
      const uid = pod.metadata.uid!;
      if (pod.metadata.deletionTimestamp !== undefined) {
        this.evictionClocks.delete(key);
        if (!unreachable) {
          this.terminatingClocks.delete(key);
          continue;
        }
        const since = this.clock(this.terminatingClocks, key, uid, nowMs);
        const dueMs = since + (pod.metadata.deletionGracePeriodSeconds ?? 0) * 1000;
        if (nowMs >= dueMs) await this.forceDelete(pod);
        else nextDueMs = Math.min(nextDueMs, dueMs);
        continue;
      }
      const decision = evictionDecision(taints, effectiveTolerations(podTolerations(pod.spec), this.settings.podEvictionTimeoutSeconds));
      switch (decision.kind) {
        case 'stay':
          if (this.evictionClocks.delete(key)) void this.recorder!.record(pod, 'Normal', 'TaintManagerEviction', `Cancelling deletion of Pod ${key}`);
          break;
        case 'evict-now':
          await this.evict(pod, unreachable);
          break;
        case 'evict-after': {
          const dueMs = this.clock(this.evictionClocks, key, uid, nowMs) + decision.seconds * 1000;
          if (nowMs >= dueMs) await this.evict(pod, unreachable);
          else nextDueMs = Math.min(nextDueMs, dueMs);
          break;
        }
        default: {
          const unexpected: never = decision;
          throw new Error(`unexpected eviction decision ${JSON.stringify(unexpected)}`);
        }
      }
    }
    return nextDueMs;
  }

  /** The start of the pod's clock in `clocks`, started now if it was not running (or ran for another pod of that name). */
  private clock(clocks: Map<string, EvictionClock>, key: string, uid: string, nowMs: number): number {
    const running = clocks.get(key);
    if (running !== undefined && running.uid === uid) return running.sinceMs;
    clocks.set(key, { uid, sinceMs: nowMs });
    return nowMs;
  }

  private async evict(pod: ApiObject, unreachable: boolean): Promise<void> {
    const key = objectKey(pod);
    void this.recorder!.record(pod, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${key}`);
    this.evictionClocks.delete(key);
    try {
      await this.context!.client.delete(PODS, pod.metadata.namespace, pod.metadata.name!, { preconditions: { uid: pod.metadata.uid! } });
    } catch (error) {
      if (isGone(error)) return;
      throw error;
    }
    // Nobody on an unreachable node will confirm the containers stopped.
    if (unreachable) await this.forceDelete(pod);
  }

  private async forceDelete(pod: ApiObject): Promise<void> {
    this.terminatingClocks.delete(objectKey(pod));
    try {
      await this.context!.client.delete(PODS, pod.metadata.namespace, pod.metadata.name!, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid! } });
      this.context!.log(`node lifecycle: force-deleted pod ${objectKey(pod)} of node ${String(pod.spec?.nodeName)}`);
    } catch (error) {
      if (!isGone(error)) throw error;
    }
  }

  /**
   * The node is gone from the cache. If this controller knew it (a node it never saw may be
   * registering, or a typo in a pod's `nodeName`: the pod GC's quarantine is for those) and
   * the API server confirms, its pods go too.
   */
  private async forgetNode(name: string): Promise<void> {
    if (!this.knownNodes.has(name)) return;
    try {
      await this.context!.client.get(NODES, undefined, name);
      return; // Still there: the cache is behind.
    } catch (error) {
      if (!(error instanceof ApiError && error.reason === 'NotFound')) throw error;
    }
    for (const key of [...(this.podsByNode.get(name) ?? [])]) {
      const pod = this.pods!.get(key);
      if (pod !== undefined) await this.forceDelete(pod);
    }
    // Forgotten last: a pass that failed halfway is retried with the node still known.
    this.knownNodes.delete(name);
    this.probes.delete(name);
    this.readyStatuses.delete(name);
  }

  private podChanged(old: ApiObject | undefined, pod: ApiObject | undefined): void {
    if (old !== undefined) this.unindex(old);
    if (pod === undefined) {
      const key = objectKey(old!);
      this.evictionClocks.delete(key);
      this.terminatingClocks.delete(key);
      return;
    }
    const nodeName = pod.spec?.nodeName;
    if (typeof nodeName !== 'string' || nodeName === '') return;
    const key = objectKey(pod);
    let keys = this.podsByNode.get(nodeName);
    if (keys === undefined) this.podsByNode.set(nodeName, (keys = new Set()));
    keys.add(key);
    this.nodeOfPod.set(key, nodeName);
    if (old === undefined || old.spec?.nodeName !== nodeName || old.metadata.deletionTimestamp !== pod.metadata.deletionTimestamp || !sameReadiness(old, pod)) {
      this.queue.add(nodeName);
    }
  }

  private unindex(pod: ApiObject): void {
    const key = objectKey(pod);
    const nodeName = this.nodeOfPod.get(key);
    if (nodeName === undefined) return;
    this.nodeOfPod.delete(key);
    const keys = this.podsByNode.get(nodeName);
    keys?.delete(key);
    if (keys?.size === 0) this.podsByNode.delete(nodeName);
  }

  private leaseChanged(lease: ApiObject): void {
    if (lease.metadata.namespace !== NODE_LEASE_NAMESPACE) return;
    const name = lease.metadata.name!;
    if (this.nodes?.getByName(undefined, name) !== undefined) this.queue.add(name);
  }
}

function isGone(error: unknown): boolean {
  // Conflict: the uid precondition failed, so the pod of that name is another one.
  return error instanceof ApiError && (error.reason === 'NotFound' || error.reason === 'Conflict');
}

function sameReadiness(a: ApiObject, b: ApiObject): boolean {
  const ready = (pod: ApiObject): unknown =>
    ((pod.status as { conditions?: { type?: string; status?: string }[] } | undefined)?.conditions ?? []).find((condition) => condition.type === 'Ready')?.status;
  return ready(a) === ready(b);
}
