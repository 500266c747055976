/**
 * A node's health as its conditions say it, and what the node lifecycle controller writes
 * when a node's agent falls silent: the `Ready` condition (and the pressure conditions the
 * agent reported) set to `Unknown`, as Kubernetes' node lifecycle controller does. Pure
 * functions of the node object and the time given.
 */
import type { ApiObject } from '../../api/types.js';
import { timestamp } from '../../apiserver/registry.js';

/** Where node agents keep their heartbeat Leases, one per node, named after it. */
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

export const NODE_STATUS_UNKNOWN_REASON = 'NodeStatusUnknown';
export const NODE_STATUS_UNKNOWN_MESSAGE = 'Kubelet stopped posting node status.';
export const NODE_STATUS_NEVER_UPDATED_REASON = 'NodeStatusNeverUpdated';
export const NODE_STATUS_NEVER_UPDATED_MESSAGE = 'Kubelet never posted node status.';

/** Conditions an agent reports that mean nothing once it is silent: they become Unknown with Ready. */
const PRESSURE_CONDITIONS: readonly string[] = ['MemoryPressure', 'DiskPressure', 'PIDPressure'];

export interface NodeCondition {
  type: string;
  /** `True`, `False` or `Unknown`. */
  status: string;
  /** RFC 3339: when the agent last said so. */
  lastHeartbeatTime?: string;
  /** RFC 3339: when `status` last changed. */
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export function nodeConditions(node: ApiObject): NodeCondition[] {
  const conditions = (node.status as { conditions?: unknown } | undefined)?.conditions;
  return Array.isArray(conditions) ? (conditions as NodeCondition[]) : [];
}

/** The node's `Ready` condition, if its agent (or this controller) ever wrote one. */
export function readyCondition(node: ApiObject): NodeCondition | undefined {
  return nodeConditions(node).find((condition) => condition.type === 'Ready');
}

/**
 * What changes when the node's agent is alive: its Lease's `spec.renewTime` and its Ready
 * condition's `lastHeartbeatTime`. The controller notes, on its own clock, when this text
 * last changed, and never compares the timestamps in it with that clock (the agent's clock
 * may be off).
 */
export function heartbeatOf(node: ApiObject, lease: ApiObject | undefined): string {
  const renewTime = lease?.spec?.renewTime;
  return `${typeof renewTime === 'string' ? renewTime : ''}|${readyCondition(node)?.lastHeartbeatTime ?? ''}`;
}

/**
 * The node's conditions with Ready (and the reported pressure conditions) `Unknown`, or
 * null when they already are. A node that never reported Ready gets one (`NodeStatusNeverUpdated`).
 * The heartbeat times are kept: they say when the agent last spoke.
 */
export function conditionsMarkedUnknown(node: ApiObject, now: Date): NodeCondition[] | null {
  const at = timestamp(now);
  let changed = false;
  const conditions = nodeConditions(node).map((condition) => {
    if ((condition.type !== 'Ready' && !PRESSURE_CONDITIONS.includes(condition.type)) || condition.status === 'Unknown') return condition;
    changed = true;
    return { ...condition, status: 'Unknown', reason: NODE_STATUS_UNKNOWN_REASON, message: NODE_STATUS_UNKNOWN_MESSAGE, lastTransitionTime: at };
  });
  if (readyCondition(node) === undefined) {
    changed = true;
    conditions.push({
      type: 'Ready',
      status: 'Unknown',
      reason: NODE_STATUS_NEVER_UPDATED_REASON,
      message: NODE_STATUS_NEVER_UPDATED_MESSAGE,
      ...(node.metadata.creationTimestamp !== undefined ? { lastHeartbeatTime: node.metadata.creationTimestamp } : {}),
      lastTransitionTime: at,
    });
  }
  return changed ? conditions : null;
}
