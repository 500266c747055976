/**
 * A Deployment's conditions, with Kubernetes' update rules: setting a condition with the
 * same status and reason changes nothing; a new reason with the same status keeps the
 * transition time; a condition of each type at most.
 */
import type { Condition } from '../replicaset/workload-objects.js';
import { formatTimestamp } from '../replicaset/workload-objects.js';
import type { DeploymentStatus } from './deployment-object.js';

export function getCondition(status: DeploymentStatus | undefined, type: string): Condition | undefined {
  return status?.conditions?.find((condition) => condition.type === type);
}

/** A condition updated and transitioned at `now`. */
export function newCondition(type: string, status: 'True' | 'False' | 'Unknown', reason: string, message: string, now: Date): Condition {
  const time = formatTimestamp(now);
  return { type, status, lastUpdateTime: time, lastTransitionTime: time, reason, message };
}

/** Sets `condition` on `status` (in place) unless one of its type has the same status and reason. */
export function setCondition(status: DeploymentStatus, condition: Condition): void {
  const current = getCondition(status, condition.type);
  if (current !== undefined && current.status === condition.status && current.reason === condition.reason) return;
  const next = { ...condition };
  if (current !== undefined && current.status === condition.status && current.lastTransitionTime !== undefined) {
    next.lastTransitionTime = current.lastTransitionTime;
  }
  status.conditions = [...(status.conditions ?? []).filter((existing) => existing.type !== condition.type), next];
}

export function removeCondition(status: DeploymentStatus, type: string): void {
  if (status.conditions === undefined) return;
  status.conditions = status.conditions.filter((condition) => condition.type !== type);
}
