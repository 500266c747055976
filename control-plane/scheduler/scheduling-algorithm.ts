/**
 * One pod's scheduling cycle over a snapshot of the cluster (synchronous: the snapshot does
 * not change under it): pre-filter, then filter nodes until enough feasible ones are found
 * (`feasibleNodesToFind`: a rotating sample in large clusters), then score those and pick
 * the best, ties broken at random. It decides only; binding is the scheduler's.
 *
 * Cost: O(nodes examined × filters) + O(feasible nodes × scores), no allocation per node
 * on the way to a success (statuses are shared constants; score buffers are reused).
 */
import { MAX_NODE_SCORE } from './constants.js';
import { failureMessage } from './failure-message.js';
import { CycleState } from './framework.js';
import type { ClusterSnapshot, SchedulerProfile, Status } from './framework.js';
import type { NodeInfo } from './node-info.js';
import { feasibleNodesToFind } from './nodes-to-score.js';
import type { PodInfo } from './pod-info.js';

export type ScheduleResult =
  | {
      readonly kind: 'scheduled';
      readonly node: string;
      /** Nodes filtered for this pod. */
      readonly evaluatedNodes: number;
      /** Of those, the ones that passed (and were scored). */
      readonly feasibleNodes: number;
    }
  | {
      readonly kind: 'unschedulable';
      /** `0/5 nodes are available: ...`. */
      readonly message: string;
      readonly reasonCounts: ReadonlyMap<string, number>;
    }
  | { readonly kind: 'error'; readonly message: string };

export interface SchedulingAlgorithmOptions {
  /** Share of nodes to find feasible before scoring, 1..100; 0 (default): adaptive. */
  readonly percentageOfNodesToScore?: number;
  /** For breaking ties between equally scored nodes: [0, 1) (default `Math.random`). */
  readonly random?: () => number;
}

export class SchedulingAlgorithm {
  /** Where the next pod's search starts (where the last one stopped): every node gets its turn. */
  private nextStartIndex = 0;
  private readonly feasible: NodeInfo[] = [];
  private totals = new Float64Array(64);
  private scores = new Float64Array(64);
  private readonly random: () => number;
  private readonly percentage: number;

  constructor(
    private readonly profile: SchedulerProfile,
    options: SchedulingAlgorithmOptions = {},
  ) {
    this.random = options.random ?? Math.random;
    this.percentage = options.percentageOfNodesToScore ?? 0;
    feasibleNodesToFind(0, this.percentage); // refuses a bad percentage now rather than per pod
  }

  schedule(pod: PodInfo, snapshot: ClusterSnapshot): ScheduleResult {
    try {
      return this.run(pod, snapshot);
    } catch (error) {
      return { kind: 'error', message: `scheduling ${pod.key} failed: ${(error as Error).message}` };
    }
  }

  private run(pod: PodInfo, snapshot: ClusterSnapshot): ScheduleResult {
    const nodes = snapshot.nodes;
    const nodeCount = nodes.length;
    if (nodeCount === 0) return { kind: 'unschedulable', message: failureMessage(0, new Map()), reasonCounts: new Map() };
    const state = new CycleState();
    for (const plugin of this.profile.preFilter) {
      const status = plugin.preFilter(state, pod, snapshot);
      if (status.code === 'Error') return { kind: 'error', message: `${plugin.name}: ${status.reasons.join(', ')}` };
      if (status.code === 'Unschedulable') return this.unschedulable(nodeCount, Array.from({ length: nodeCount }, () => status));
    }

    const toFind = feasibleNodesToFind(nodeCount, this.percentage);
    const feasible = this.feasible;
    feasible.length = 0;
    const failures: Status[] = [];
    const start = this.nextStartIndex % nodeCount;
    let examined = 0;
    while (examined < nodeCount && feasible.length < toFind) {
      const node = nodes[(start + examined) % nodeCount]!;
      examined++;
      const status = this.filter(state, pod, node);
      if (status === null) feasible.push(node);
      else if (status.code === 'Error') return { kind: 'error', message: status.reasons.join(', ') };
      else failures.push(status);
    }
    this.nextStartIndex = (start + examined) % nodeCount;

    if (feasible.length === 0) return this.unschedulable(nodeCount, failures);
    const chosen = feasible.length === 1 ? feasible[0]! : this.best(state, pod, feasible, snapshot);
    return { kind: 'scheduled', node: chosen.name, evaluatedNodes: examined, feasibleNodes: feasible.length };
  }

  /** null when every filter passes, else the first failing status. */
  private filter(state: CycleState, pod: PodInfo, node: NodeInfo): Status | null {
    for (const plugin of this.profile.filter) {
      const status = plugin.filter(state, pod, node);
      if (status.code !== 'Success') return status.code === 'Error' ? { code: 'Error', reasons: [`${plugin.name}: ${status.reasons.join(', ')}`] } : status;
    }
    return null;
  }

  /** The feasible node with the highest weighted score; among equals, each equally likely. */
  private best(state: CycleState, pod: PodInfo, feasible: readonly NodeInfo[], snapshot: ClusterSnapshot): NodeInfo {
    const count = feasible.length;
    if (this.totals.length < count) {
      this.totals = new Float64Array(count * 2);
      this.scores = new Float64Array(count * 2);
    }
    const totals = this.totals;
    const scores = this.scores;
    totals.fill(0, 0, count);
    for (const { plugin, weight } of this.profile.score) {
      if (plugin.preScore !== undefined && !plugin.preScore(state, pod, feasible, snapshot)) continue;
      for (let i = 0; i < count; i++) scores[i] = plugin.score(state, pod, feasible[i]!);
      plugin.normalizeScores?.(state, pod, scores, count);
      for (let i = 0; i < count; i++) {
        const score = scores[i]!;
        if (!(score >= 0 && score <= MAX_NODE_SCORE)) throw new Error(`${plugin.name} scored node ${feasible[i]!.name} ${score}, outside 0..${MAX_NODE_SCORE}`);
        totals[i]! += weight * score;
      }
    }
    // Reservoir sampling over the ties: the k-th best seen replaces the choice with probability 1/k.
    let bestIndex = 0;
    let ties = 1;
    for (let i = 1; i < count; i++) {
      if (totals[i]! > totals[bestIndex]!) {
        bestIndex = i;
        ties = 1;
      } else if (totals[i] === totals[bestIndex]) {
        ties++;
        if (this.random() * ties < 1) bestIndex = i;
      }
    }
    return feasible[bestIndex]!;
  }

  private unschedulable(nodeCount: number, failures: readonly Status[]): ScheduleResult {
    const reasonCounts = new Map<string, number>();
    for (const status of failures) for (const reason of status.reasons) reasonCounts.set(reason, (reasonCounts.get(reason) ?? 0) + 1);
    return { kind: 'unschedulable', message: failureMessage(nodeCount, reasonCounts), reasonCounts };
  }
}
