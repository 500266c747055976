/**
 * TaintToleration: a pod may not go on a node with a `NoSchedule` or `NoExecute` taint it
 * does not tolerate (filter; the first such taint is named in the reason); among the nodes
 * it may go on, those with fewer `PreferNoSchedule` taints it does not tolerate score higher
 * (score: the count, reversed and scaled so that the node with the most gets 0).
 */
import { SUCCESS, normalizeByMax, unschedulable } from '../framework.js';
import type { FilterPlugin, ScorePlugin, Status } from '../framework.js';
import type { NodeInfo } from '../node-info.js';
import { anyTolerates, formatTaint, toleratesTaint } from '../../api/taints.js';
import type { Taint, Toleration } from '../../api/taints.js';

/**
 * `node(s) had taint {key: value}, that the pod didn't tolerate`: the words, which
 * are kube-scheduler's up to 1.24 (from 1.25 it says `node(s) had untolerated taint {key: value}`).
 */
export function reasonUntoleratedTaint(taint: Taint): string {
  return `node(s) had taint ${formatTaint(taint)}, that the pod didn't tolerate`;
}

/** Statuses for untolerated taints, made once per taint text (a node's taints rarely change). */
const statuses = new Map<string, Status>();
const STATUSES_REMEMBERED_MAX = 1024;

function untoleratedStatus(taint: Taint): Status {
  const reason = reasonUntoleratedTaint(taint);
  let status = statuses.get(reason);
  if (status === undefined) {
    status = unschedulable(reason);
    if (statuses.size < STATUSES_REMEMBERED_MAX) statuses.set(reason, status);
  }
  return status;
}

function countIntolerablePreferNoSchedule(tolerations: readonly Toleration[], node: NodeInfo): number {
  let count = 0;
  for (const taint of node.taints) {
    if (taint.effect !== 'PreferNoSchedule') continue;
    let ok = false;
    // Only tolerations for this effect (or every effect) count.
    for (const toleration of tolerations) {
      if ((toleration.effect === '' || toleration.effect === 'PreferNoSchedule') && toleratesTaint(toleration, taint)) {
        ok = true;
        break;
      }
    }
    if (!ok) count++;
  }
  return count;
}

export const taintToleration: FilterPlugin & ScorePlugin = {
  name: 'TaintToleration',
  filter(_state, pod, node) {
    for (const taint of node.taints) {
      if (taint.effect !== 'NoSchedule' && taint.effect !== 'NoExecute') continue;
      if (!anyTolerates(pod.tolerations, taint)) return untoleratedStatus(taint);
    }
    return SUCCESS;
  },
  preScore(_state, _pod, nodes) {
    for (const node of nodes) for (const taint of node.taints) if (taint.effect === 'PreferNoSchedule') return true;
    return false;
  },
  score(_state, pod, node) {
    return countIntolerablePreferNoSchedule(pod.tolerations, node);
  },
  normalizeScores(_state, _pod, scores, count) {
    normalizeByMax(scores, count, true);
  },
};
