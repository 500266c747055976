/**
 * NodeAffinity: the node must have every label of the pod's `spec.nodeSelector` and match
 * one of the terms of its required node affinity (filter); among the nodes that may take it,
 * those matching more of its preferred terms, by weight, score higher (score: the sum of the
 * weights of the preferred terms a node matches, scaled so that the best node gets 100).
 */
import { SUCCESS, normalizeByMax, unschedulable } from '../framework.js';
import type { FilterPlugin, ScorePlugin } from '../framework.js';
import type { NodeInfo } from '../node-info.js';
import { matchesAnyNodeSelectorTerm, matchesNodeSelectorTerm } from '../node-selector.js';
import type { PodInfo } from '../pod-info.js';

export const REASON_NODE_AFFINITY_MISMATCH = "node(s) didn't match Pod's node affinity/selector";
const MISMATCH = unschedulable(REASON_NODE_AFFINITY_MISMATCH);

/** Whether the node satisfies the pod's node selector and required node affinity. */
export function satisfiesRequiredNodeAffinity(pod: PodInfo, node: NodeInfo): boolean {
  const labels = node.labels;
  for (const [key, value] of pod.nodeSelector) {
    if (!Object.hasOwn(labels, key) || labels[key] !== value) return false;
  }
  return pod.requiredNodeAffinity === null || matchesAnyNodeSelectorTerm(pod.requiredNodeAffinity, labels, node.name);
}

export const nodeAffinity: FilterPlugin & ScorePlugin = {
  name: 'NodeAffinity',
  filter(_state, pod, node) {
    return satisfiesRequiredNodeAffinity(pod, node) ? SUCCESS : MISMATCH;
  },
  preScore(_state, pod) {
    return pod.preferredNodeAffinity.length > 0;
  },
  score(_state, pod, node) {
    let sum = 0;
    for (const { weight, term } of pod.preferredNodeAffinity) if (matchesNodeSelectorTerm(term, node.labels, node.name)) sum += weight;
    return sum;
  },
  normalizeScores(_state, _pod, scores, count) {
    normalizeByMax(scores, count, false);
  },
};
