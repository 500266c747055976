/**
 * The scheduler's view of the cluster: a `NodeInfo` per node, with the pods bound there
 * (reported by the pod informer) and the pods this scheduler has *assumed* there: placed,
 * binding written or being written, not yet seen bound. Assuming a pod the moment it is
 * placed is what lets the next decision, a microsecond later, count it, long before the
 * API server confirms the binding.
 *
 * An assumption ends when the informer reports the pod bound (to that node or, if someone
 * else bound it first, to another: the pod moves), when the pod is deleted, or when the
 * binding fails (`forget`). A pod counts on one node at a time, always.
 */
import type { ApiObject } from '../api/types.js';
import type { ClusterSnapshot } from './framework.js';
import { NodeInfo } from './node-info.js';
import type { PodInfo } from './pod-info.js';

interface PodState {
  pod: PodInfo;
  node: NodeInfo;
  /** Placed by this scheduler and not yet seen bound. */
  assumed: boolean;
}

export class SchedulerCache implements ClusterSnapshot {
  /** Every node known, from its Node object or from the pods on it. */
  private readonly infos = new Map<string, NodeInfo>();
  /** The nodes with a Node object, in the order they appeared (the rotation's order). */
  private readonly nodeList: NodeInfo[] = [];
  private readonly podStates = new Map<string, PodState>();
  private readonly antiAffinityPods = new Map<string, { readonly pod: PodInfo; readonly node: NodeInfo }>();
  /** Per controller uid: its pods per node (by `NodeInfo.index`), and their total (at 0 the entry goes). */
  private readonly controllerCounts = new Map<string, { perNode: Int32Array; total: number }>();
  private nextNodeIndex = 0;

  get nodes(): readonly NodeInfo[] {
    return this.nodeList;
  }

  nodeInfo(name: string): NodeInfo | undefined {
    return this.infos.get(name);
  }

  /** Adds or updates a node from its object. */
  setNode(node: ApiObject): void {
    const name = node.metadata.name!;
    const info = this.infoFor(name);
    if (info.node === null) this.nodeList.push(info);
    info.setNode(node);
  }

  /** The Node object is gone: no more pods go there (those on it stay counted until they go too). */
  removeNode(name: string): void {
    const info = this.infos.get(name);
    if (info === undefined || info.node === null) return;
    info.setNode(null);
    this.nodeList.splice(this.nodeList.indexOf(info), 1);
    this.dropIfUnused(info);
  }

  /**
   * A pod the informer reports bound to `nodeName` (not finished): counted there. Confirms
   * an assumption on the same node; moves the pod if it was counted elsewhere.
   */
  addOrUpdatePod(pod: PodInfo, nodeName: string): void {
    const state = this.podStates.get(pod.key);
    if (state !== undefined) this.uncount(state);
    this.count({ pod, node: this.infoFor(nodeName), assumed: false });
  }

  /** The pod is gone or finished: its resources are free. Whether it was counted. */
  removePod(key: string): boolean {
    const state = this.podStates.get(key);
    if (state === undefined) return false;
    this.uncount(state);
    return true;
  }

  /** Counts `pod` on `nodeName` before its binding is confirmed. The pod must not be counted yet. */
  assume(pod: PodInfo, nodeName: string): void {
    if (this.podStates.has(pod.key)) throw new Error(`pod ${pod.key} is assumed or bound already`);
    this.count({ pod, node: this.infoFor(nodeName), assumed: true });
  }

  /** Undoes an assumption (its binding failed); a pod the informer has meanwhile seen bound stays. Whether it was undone. */
  forget(key: string): boolean {
    const state = this.podStates.get(key);
    if (state === undefined || !state.assumed) return false;
    this.uncount(state);
    return true;
  }

  isAssumed(key: string): boolean {
    return this.podStates.get(key)?.assumed === true;
  }

  /** Whether the pod is counted on a node (bound or assumed). */
  hasPod(key: string): boolean {
    return this.podStates.has(key);
  }

  /** The node the pod is counted on, or undefined. */
  nodeOf(key: string): string | undefined {
    return this.podStates.get(key)?.node.name;
  }

  get podCount(): number {
    return this.podStates.size;
  }

  podsWithRequiredAntiAffinity(): Iterable<{ readonly pod: PodInfo; readonly node: NodeInfo }> {
    return this.antiAffinityPods.values();
  }

  controllerPodCounts(uid: string): ArrayLike<number> | undefined {
    return this.controllerCounts.get(uid)?.perNode;
  }

  private infoFor(name: string): NodeInfo {
    let info = this.infos.get(name);
    if (info === undefined) this.infos.set(name, (info = new NodeInfo(name, this.nextNodeIndex++)));
    return info;
  }

  private countController(pod: PodInfo, node: NodeInfo, sign: 1 | -1): void {
    const uid = pod.controllerUid;
    if (uid === null) return;
    let counts = this.controllerCounts.get(uid);
    if (counts === undefined) this.controllerCounts.set(uid, (counts = { perNode: new Int32Array(Math.max(16, this.nextNodeIndex)), total: 0 }));
    if (node.index >= counts.perNode.length) {
      const grown = new Int32Array(Math.max(node.index + 1, counts.perNode.length * 2));
      grown.set(counts.perNode);
      counts.perNode = grown;
    }
    counts.perNode[node.index]! += sign;
    counts.total += sign;
    if (counts.total === 0) this.controllerCounts.delete(uid);
  }

  private count(state: PodState): void {
    state.node.addPod(state.pod);
    this.countController(state.pod, state.node, 1);
    this.podStates.set(state.pod.key, state);
    if (state.pod.requiredAntiAffinity.length > 0) this.antiAffinityPods.set(state.pod.key, { pod: state.pod, node: state.node });
  }

  private uncount(state: PodState): void {
    state.node.removePod(state.pod.key);
    this.countController(state.pod, state.node, -1);
    this.podStates.delete(state.pod.key);
    this.antiAffinityPods.delete(state.pod.key);
    this.dropIfUnused(state.node);
  }

  /** A node without its object and without pods is forgotten. */
  private dropIfUnused(info: NodeInfo): void {
    if (info.node === null && info.podCount === 0) this.infos.delete(info.name);
  }
}
