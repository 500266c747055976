/**
 * NodeUnschedulable: a cordoned node (`spec.unschedulable`) takes no new pods, except pods
 * that tolerate the `node.kubernetes.io/unschedulable:NoSchedule` taint (DaemonSet pods do).
 */
import { SUCCESS, unschedulable } from '../framework.js';
import type { FilterPlugin } from '../framework.js';
import { UNSCHEDULABLE_TAINT, anyTolerates } from '../../api/taints.js';

export const REASON_NODE_UNSCHEDULABLE = 'node(s) were unschedulable';
const UNSCHEDULABLE = unschedulable(REASON_NODE_UNSCHEDULABLE);

export const nodeUnschedulable: FilterPlugin = {
  name: 'NodeUnschedulable',
  filter(_state, pod, node) {
    if (!node.unschedulable || anyTolerates(pod.tolerations, UNSCHEDULABLE_TAINT)) return SUCCESS;
    return UNSCHEDULABLE;
  },
};
