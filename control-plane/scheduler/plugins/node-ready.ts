/**
 * NodeReady: a node whose `Ready` condition is not `True` (its agent stopped reporting, or
 * reports a problem) takes no new pods. Kubernetes now does this with the
 * `node.kubernetes.io/not-ready` taint that its node lifecycle controller adds; this
 * scheduler checks the condition itself, so that it holds whether or not such a controller
 * runs, with the words of kube-scheduler's former node-condition check.
 */
import { SUCCESS, unschedulable } from '../framework.js';
import type { FilterPlugin } from '../framework.js';

export const REASON_NODE_NOT_READY = 'node(s) were not ready';
const NOT_READY = unschedulable(REASON_NODE_NOT_READY);

export const nodeReady: FilterPlugin = {
  name: 'NodeReady',
  filter(_state, _pod, node) {
    return node.ready ? SUCCESS : NOT_READY;
  },
};
