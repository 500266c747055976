/**
 * The `PodScheduled` condition the scheduler writes on a pod that fits nowhere
 * (`status: False`, `reason: Unschedulable`, the failure message), as a JSON merge patch of
 * the pod's status. A merge patch replaces arrays whole, so the patch carries the pod's
 * other conditions as they are; it also carries the pod's `resourceVersion`, so that it
 * fails (409, and is dropped: the next attempt writes it again) rather than overwrite a
 * change made meanwhile, such as someone binding the pod.
 */
import type { ApiObject } from '../api/types.js';
import { timestamp } from '../apiserver/registry.js';

export const POD_SCHEDULED = 'PodScheduled';
export const REASON_UNSCHEDULABLE = 'Unschedulable';

type Condition = Record<string, unknown>;

function conditionsOf(pod: ApiObject): Condition[] {
  const conditions = pod.status?.conditions;
  return Array.isArray(conditions) ? conditions.filter((entry): entry is Condition => typeof entry === 'object' && entry !== null) : [];
}

/**
 * The patch setting `PodScheduled=False` with `message`, or null when the pod says exactly
 * that already (a retry that failed the same way writes nothing). The transition time is
 * kept when the condition was already False.
 */
export function unschedulableConditionPatch(pod: ApiObject, message: string, now: Date): object | null {
  const conditions = conditionsOf(pod);
  const current = conditions.find((condition) => condition.type === POD_SCHEDULED);
  if (current !== undefined && current.status === 'False' && current.reason === REASON_UNSCHEDULABLE && current.message === message) return null;
  const condition = {
    type: POD_SCHEDULED,
    status: 'False',
    lastProbeTime: null,
    lastTransitionTime: current !== undefined && current.status === 'False' && typeof current.lastTransitionTime === 'string' ? current.lastTransitionTime : timestamp(now),
    reason: REASON_UNSCHEDULABLE,
    message,
  };
  return {
    metadata: { resourceVersion: pod.metadata.resourceVersion },
    status: { conditions: [...conditions.filter((entry) => entry.type !== POD_SCHEDULED), condition] },
  };
}
