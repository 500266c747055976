/**
 * The scheduling framework's contracts, in kube-scheduler's shape: one interface per
 * extension point, each plugin tiny and about one thing.
 *
 * A pod's scheduling cycle, run synchronously on one snapshot of the cluster:
 * 1. every `PreFilterPlugin` computes what its filter needs once for the pod (into the
 *    cycle's `CycleState`) and may reject the pod outright;
 * 2. every `FilterPlugin` says of each node whether the pod may go there, stopping at the
 *    first that says no (its reasons are what the pod's `PodScheduled=False` message counts);
 * 3. every `ScorePlugin` rates each feasible node 0..`MAX_NODE_SCORE` (optionally normalized
 *    over all of them), the rates are summed with the profile's weights, and the best node
 *    wins (ties broken at random).
 *
 * Plugins are pure: they read the pod, the nodes and the cycle state, never the network or
 * the clock, so they are unit-tested with hand-built `NodeInfo`s.
 */
import { MAX_NODE_SCORE } from './constants.js';
import type { NodeInfo } from './node-info.js';
import type { PodInfo } from './pod-info.js';

/**
 * `Unschedulable`: the pod cannot go there now (a change of the cluster may fix it);
 * `Error`: the plugin failed (a bug or bad data), and the pod is retried after a back-off.
 */
export type StatusCode = 'Success' | 'Unschedulable' | 'Error';

/** A plugin's answer. `reasons` are people's words, counted per reason in the failure message. */
export interface Status {
  readonly code: StatusCode;
  readonly reasons: readonly string[];
}

/** The one success (shared: filters run for every node and must not allocate to say yes). */
export const SUCCESS: Status = Object.freeze({ code: 'Success', reasons: Object.freeze([]) as readonly string[] });

/** An `Unschedulable` status with these reasons (make fixed ones once, as constants). */
export function unschedulable(...reasons: string[]): Status {
  return Object.freeze({ code: 'Unschedulable', reasons: Object.freeze(reasons) });
}

export function errorStatus(message: string): Status {
  return Object.freeze({ code: 'Error', reasons: Object.freeze([message]) });
}

let nextStateSlot = 0;

/**
 * A typed key of the cycle state, made once per plugin (a module constant): it names a slot
 * of an array, so that a score read for every node is an index, not a hash lookup.
 */
export class StateKey<T> {
  readonly slot = nextStateSlot++;
  declare private readonly type: T;

  constructor(readonly name: string) {}
}

/** Data the plugins share within one pod's cycle, under their `StateKey`s. Thrown away after it. */
export class CycleState {
  private readonly values: unknown[] = [];

  write<T>(key: StateKey<T>, value: T): void {
    this.values[key.slot] = value;
  }

  /** What `write` stored under `key`, or undefined. */
  read<T>(key: StateKey<T>): T | undefined {
    return this.values[key.slot] as T | undefined;
  }
}

/** The cluster as the plugins see it during a cycle: it does not change while a cycle runs. */
export interface ClusterSnapshot {
  /** Every node with a Node object, in a stable order. */
  readonly nodes: readonly NodeInfo[];
  /** The node of each bound or assumed pod that has required anti-affinity terms (for the symmetric check). */
  podsWithRequiredAntiAffinity(): Iterable<{ readonly pod: PodInfo; readonly node: NodeInfo }>;
  /**
   * How many pods the controller with this uid has on each node, indexed by `NodeInfo.index`
   * (an index past the end: none), or undefined when it has none anywhere. An array rather
   * than a count per NodeInfo: scoring reads it for hundreds of nodes per pod.
   */
  controllerPodCounts(uid: string): ArrayLike<number> | undefined;
}

interface Plugin {
  /** `NodeResourcesFit`, `TaintToleration`, ...: kube-scheduler's names where there is one. */
  readonly name: string;
}

export interface PreFilterPlugin extends Plugin {
  /** Computes, once per pod, what `filter` will need; a non-success rejects the pod on every node. */
  preFilter(state: CycleState, pod: PodInfo, snapshot: ClusterSnapshot): Status;
}

export interface FilterPlugin extends Plugin {
  /** Whether `pod` may go on `node` (`SUCCESS`), or why not. Called for many nodes: must be cheap. */
  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Status;
}

export interface ScorePlugin extends Plugin {
  /**
   * Optional: called once with the feasible nodes before they are scored; false means this
   * plugin has nothing to say about the pod (it would give every node the same score) and
   * is skipped, which changes no decision.
   */
  preScore?(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], snapshot: ClusterSnapshot): boolean;
  /** The node's score, 0..MAX_NODE_SCORE unless `normalizeScores` maps it there. */
  score(state: CycleState, pod: PodInfo, node: NodeInfo): number;
  /** Optional: maps the raw scores of the first `count` nodes to 0..MAX_NODE_SCORE, in place. */
  normalizeScores?(state: CycleState, pod: PodInfo, scores: Float64Array, count: number): void;
}

/** A score plugin and how much its 0..100 counts in the sum. */
export interface WeightedScorePlugin {
  readonly plugin: ScorePlugin;
  readonly weight: number;
}

/** The plugins of one scheduler, in the order they run. */
export interface SchedulerProfile {
  readonly preFilter: readonly PreFilterPlugin[];
  readonly filter: readonly FilterPlugin[];
  readonly score: readonly WeightedScorePlugin[];
}

/**
 * Scales raw scores to 0..MAX_NODE_SCORE by the largest (all 0 stays all 0); `reverse`
 * makes the largest raw score the lowest (for counts of something bad).
 */
export function normalizeByMax(scores: Float64Array, count: number, reverse: boolean): void {
  let max = 0;
  for (let i = 0; i < count; i++) if (scores[i]! > max) max = scores[i]!;
  for (let i = 0; i < count; i++) {
    const scaled = max === 0 ? 0 : (scores[i]! * MAX_NODE_SCORE) / max;
    scores[i] = reverse ? MAX_NODE_SCORE - scaled : scaled;
  }
}
