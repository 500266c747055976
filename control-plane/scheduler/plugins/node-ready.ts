/**
 * NodeReady: a node whose `Ready` condition is not `True` (its agent reports a problem, or
 * stopped reporting) takes no new pods, except pods that tolerate the taint Kubernetes puts
 * on such a node for it: `node.kubernetes.io/not-ready:NoSchedule` when `False`,
 * `node.kubernetes.io/unreachable:NoSchedule` when `Unknown`. (Kubernetes now keeps pods
 * off such nodes with those taints alone, which its node lifecycle controller adds; this
 * scheduler checks the condition itself, so that it holds whether or not such a controller
 * runs, in the words of kube-scheduler's former node-condition check.) The tolerations every
 * pod gets by default are for `NoExecute` only, so they do not let a pod on.
 */
import { SUCCESS, unschedulable } from '../framework.js';
import type { FilterPlugin } from '../framework.js';
import { anyTolerates } from '../../api/taints.js';
import type { Taint } from '../../api/taints.js';

export const REASON_NODE_NOT_READY = 'node(s) were not ready';
const NOT_READY = unschedulable(REASON_NODE_NOT_READY);

export const NOT_READY_TAINT: Taint = Object.freeze({ key: 'node.kubernetes.io/not-ready', value: '', effect: 'NoSchedule' });
export const UNREACHABLE_TAINT: Taint = Object.freeze({ key: 'node.kubernetes.io/unreachable', value: '', effect: 'NoSchedule' });

export const nodeReady: FilterPlugin = {
  name: 'NodeReady',
  filter(_state, pod, node) {
    if (node.readiness === 'True') return SUCCESS;
    return anyTolerates(pod.tolerations, node.readiness === 'False' ? NOT_READY_TAINT : UNREACHABLE_TAINT) ? SUCCESS : NOT_READY;
  },
};
