/**
 * A node as the scheduler sees it: what it offers (allocatable CPU, memory and pod slots,
 * labels, taints, readiness, cordon) and the pods bound or assumed on it with their requests
 * summed. Kept current by the scheduler cache from the node and pod informers and from the
 * scheduler's own assumptions; plugins only read it.
 */
import type { ApiObject } from '../api/types.js';
import { memoryBytesOf, milliCpuOf } from './pod-info.js';
import type { PodInfo } from './pod-info.js';
import { parseTaints } from '../api/taints.js';
import type { Taint } from '../api/taints.js';

/** The label every kubelet sets to its host name; the topology key of "one pod per node". */
export const HOSTNAME_LABEL = 'kubernetes.io/hostname';

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `status.allocatable`, each resource falling back to `status.capacity` when absent. */
function allocatableOf(node: ApiObject): { milliCpu: number; memoryBytes: number; pods: number } {
  const status = isRecord(node.status) ? node.status : {};
  const allocatable = isRecord(status.allocatable) ? status.allocatable : {};
  const capacity = isRecord(status.capacity) ? status.capacity : {};
  const pick = (name: string): unknown => allocatable[name] ?? capacity[name];
  const pods = pick('pods');
  return {
    milliCpu: milliCpuOf(pick('cpu')),
    memoryBytes: memoryBytesOf(pick('memory')),
    pods: pods === undefined ? Infinity : Math.floor(memoryBytesOf(pods)),
  };
}

/** `True`, `False`, or `Unknown` (also when the node reports no `Ready` condition). */
export type Readiness = 'True' | 'False' | 'Unknown';

/** The status of the node's `Ready` condition. */
function readinessOf(node: ApiObject): Readiness {
  const conditions = isRecord(node.status) && Array.isArray(node.status.conditions) ? node.status.conditions : [];
  for (const condition of conditions) {
    if (isRecord(condition) && condition.type === 'Ready') return condition.status === 'True' || condition.status === 'False' ? condition.status : 'Unknown';
  }
  return 'Unknown';
}

/**
 * The figures filters and scores read are plain number fields of the NodeInfo itself (not
 * objects hanging off it): a pod's cycle reads them for hundreds of nodes, and each pointer
 * followed is a likely cache miss.
 */
export class NodeInfo {
  /** The Node object, or null while only pods name this node (it was deleted, or not seen yet). */
  node: ApiObject | null = null;
  labels: Readonly<Record<string, string>> = {};
  /** What pods may use: CPU in millicores, memory in bytes, pod slots (Infinity when the node does not say; a kubelet always does: 110 by default). */
  allocatableMilliCpu = 0;
  allocatableMemoryBytes = 0;
  allocatablePods = 0;
  taints: readonly Taint[] = [];
  /** The `Ready` condition's status. */
  readiness: Readiness = 'Unknown';
  /** `spec.unschedulable` (cordoned). */
  unschedulable = false;

  /** Sums of the `requests` of the pods on the node. */
  requestedMilliCpu = 0;
  requestedMemoryBytes = 0;
  /** Sums of the pods' `scoringRequests`. */
  scoringMilliCpu = 0;
  scoringMemoryBytes = 0;
  /** Bound and assumed pods, by key; `podCount` is its size. */
  readonly pods = new Map<string, PodInfo>();
  podCount = 0;
  /** How many of the pods have required anti-affinity terms. */
  podsWithRequiredAntiAffinity = 0;

  constructor(
    readonly name: string,
    /** Small, unique among the cache's nodes: where per-node counts live in arrays (`ClusterSnapshot.controllerPodCounts`). */
    readonly index: number,
  ) {}

  /** Reads what the node offers (null: the Node object is gone; its pods stay counted). */
  setNode(node: ApiObject | null): void {
    this.node = node;
    if (node === null) {
      this.labels = {};
      this.allocatableMilliCpu = 0;
      this.allocatableMemoryBytes = 0;
      this.allocatablePods = 0;
      this.taints = [];
      this.readiness = 'Unknown';
      this.unschedulable = false;
      return;
    }
    this.labels = node.metadata.labels ?? {};
    const allocatable = allocatableOf(node);
    this.allocatableMilliCpu = allocatable.milliCpu;
    this.allocatableMemoryBytes = allocatable.memoryBytes;
    this.allocatablePods = allocatable.pods;
    this.taints = parseTaints(node.spec?.taints);
    this.readiness = readinessOf(node);
    this.unschedulable = node.spec?.unschedulable === true;
  }

  /** Counts a pod on this node (it must not be here already: the cache makes sure). */
  addPod(pod: PodInfo): void {
    if (this.pods.has(pod.key)) throw new Error(`pod ${pod.key} is already counted on node ${this.name}`);
    this.pods.set(pod.key, pod);
    this.add(pod, 1);
  }

  /** Stops counting a pod; returns it, or undefined when it was not here. */
  removePod(key: string): PodInfo | undefined {
    const pod = this.pods.get(key);
    if (pod === undefined) return undefined;
    this.pods.delete(key);
    this.add(pod, -1);
    return pod;
  }

  /**
   * The node's domain for a topology key: its label's value; for `kubernetes.io/hostname`
   * on a node without that label, its name (a kubelet sets the label to its host name, which
   * is the node's name unless overridden; Balsa's node agents may not set it).
   */
  topologyValue(key: string): string | undefined {
    if (Object.hasOwn(this.labels, key)) return this.labels[key];
    return key === HOSTNAME_LABEL ? this.name : undefined;
  }

  private add(pod: PodInfo, sign: 1 | -1): void {
    this.podCount += sign;
    this.requestedMilliCpu += sign * pod.requests.milliCpu;
    this.requestedMemoryBytes += sign * pod.requests.memoryBytes;
    this.scoringMilliCpu += sign * pod.scoringRequests.milliCpu;
    this.scoringMemoryBytes += sign * pod.scoringRequests.memoryBytes;
    if (pod.requiredAntiAffinity.length > 0) this.podsWithRequiredAntiAffinity += sign;
  }
}
