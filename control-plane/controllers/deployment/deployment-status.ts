/**
 * A Deployment's status, computed from its ReplicaSets' statuses (Kubernetes'
 * `calculateStatus` and `syncRolloutStatus`), and the judgement of its rollout: complete,
 * progressing, or stuck past its progress deadline. Pure: the time is given.
 *
 * - `replicas`, `readyReplicas`, `availableReplicas`: sums over every ReplicaSet;
 * - `updatedReplicas`: the new ReplicaSet's pods;
 * - `unavailableReplicas`: pods wanted (Σ spec.replicas) that are not available;
 * - `Available`: True while at least `spec.replicas − maxUnavailable` pods are available;
 * - `Progressing` (only with a progress deadline): `NewReplicaSetAvailable` once complete,
 *   `ReplicaSetUpdated` (refreshed) whenever the counts move forward, and
 *   `ProgressDeadlineExceeded` once `progressDeadlineSeconds` pass without either;
 * - `ReplicaFailure`: the new ReplicaSet's (else an old one's) failure to create or delete pods.
 */
import { jsonEqual } from '../../api/json-values.js';
import type { Condition, ReplicaSet } from '../replicaset/workload-objects.js';
import { timestampMs } from '../replicaset/workload-objects.js';
import { AVAILABLE, PROGRESSING, REASONS, REPLICA_FAILURE } from './constants.js';
import { getCondition, newCondition, removeCondition, setCondition } from './deployment-conditions.js';
import type { Deployment, DeploymentStatus } from './deployment-object.js';
import { hasProgressDeadline } from './deployment-object.js';
import { sumAvailableReplicas, sumReadyReplicas, sumSpecReplicas, sumStatusReplicas } from './replica-set-groups.js';
import { maxUnavailable } from './rolling-limits.js';

/** The counts and the Available condition (the other conditions carried over from `deployment.status`). */
export function calculateStatus(allRSs: readonly ReplicaSet[], newRS: ReplicaSet | undefined, deployment: Deployment, now: Date): DeploymentStatus {
  const availableReplicas = sumAvailableReplicas(allRSs);
  const wanted = sumSpecReplicas(allRSs);
  const status: DeploymentStatus = {
    observedGeneration: deployment.metadata.generation ?? 0,
    replicas: sumStatusReplicas(allRSs),
    updatedReplicas: sumStatusReplicas([newRS]),
    readyReplicas: sumReadyReplicas(allRSs),
    availableReplicas,
    unavailableReplicas: Math.max(0, wanted - availableReplicas),
    conditions: (deployment.status?.conditions ?? []).map((condition) => ({ ...condition })),
  };
  if (deployment.status?.collisionCount !== undefined) status.collisionCount = deployment.status.collisionCount;
  if (availableReplicas >= (deployment.spec.replicas ?? 0) - maxUnavailable(deployment)) {
    setCondition(status, newCondition(AVAILABLE, 'True', REASONS.minimumReplicasAvailable, 'Deployment has minimum availability.', now));
  } else {
    setCondition(status, newCondition(AVAILABLE, 'False', REASONS.minimumReplicasUnavailable, 'Deployment does not have minimum availability.', now));
  }
  return status;
}

/** Every wanted pod is updated and available, and the status answers the current spec. */
export function deploymentComplete(deployment: Deployment, status: DeploymentStatus): boolean {
  const replicas = deployment.spec.replicas ?? 0;
  return (
    (status.updatedReplicas ?? 0) === replicas &&
    (status.replicas ?? 0) === replicas &&
    (status.availableReplicas ?? 0) === replicas &&
    (status.observedGeneration ?? 0) >= (deployment.metadata.generation ?? 0)
  );
}

/** The rollout moved since `deployment.status`: more updated, fewer old, more ready or more available pods. */
export function deploymentProgressing(deployment: Deployment, status: DeploymentStatus): boolean {
  const old = deployment.status ?? {};
  const oldOldReplicas = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOldReplicas = (status.replicas ?? 0) - (status.updatedReplicas ?? 0);
  return (
    (status.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOldReplicas < oldOldReplicas ||
    (status.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (status.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

/** The Progressing condition was last refreshed more than `progressDeadlineSeconds` before `now` (or already says so). */
export function deploymentTimedOut(deployment: Deployment, status: DeploymentStatus, now: Date): boolean {
  if (!hasProgressDeadline(deployment)) return false;
  const condition = getCondition(status, PROGRESSING);
  if (condition === undefined || condition.reason === REASONS.newReplicaSetAvailable) return false;
  if (condition.reason === REASONS.progressDeadlineExceeded) return true;
  const from = timestampMs(condition.lastUpdateTime);
  if (from === undefined) return false;
  return from + (deployment.spec.progressDeadlineSeconds ?? 0) * 1000 < now.getTime();
}

/** The status after a rollout step: counts, Available, Progressing and ReplicaFailure. */
export function rolloutStatus(allRSs: readonly ReplicaSet[], newRS: ReplicaSet | undefined, deployment: Deployment, now: Date): DeploymentStatus {
  const status = calculateStatus(allRSs, newRS, deployment, now);
  if (!hasProgressDeadline(deployment)) removeCondition(status, PROGRESSING);
  const current = getCondition(deployment.status, PROGRESSING);
  // A finished rollout being resynced: nothing to judge.
  const isComplete = status.replicas === status.updatedReplicas && current?.reason === REASONS.newReplicaSetAvailable;
  if (hasProgressDeadline(deployment) && !isComplete) {
    const subject = newRS === undefined ? `Deployment "${deployment.metadata.name}"` : `ReplicaSet "${newRS.metadata.name}"`;
    if (deploymentComplete(deployment, status)) {
      setCondition(status, newCondition(PROGRESSING, 'True', REASONS.newReplicaSetAvailable, `${subject} has successfully progressed.`, now));
    } else if (deploymentProgressing(deployment, status)) {
      // Progress refreshes the condition's update time even with the same reason (the
      // deadline counts from it); the transition time stays while it stays True.
      const condition = newCondition(PROGRESSING, 'True', REASONS.replicaSetUpdated, `${subject} is progressing.`, now);
      if (current?.status === 'True' && current.lastTransitionTime !== undefined) condition.lastTransitionTime = current.lastTransitionTime;
      removeCondition(status, PROGRESSING);
      setCondition(status, condition);
    } else if (deploymentTimedOut(deployment, status, now)) {
      setCondition(status, newCondition(PROGRESSING, 'False', REASONS.progressDeadlineExceeded, `${subject} has timed out progressing.`, now));
    }
  }
  const failure = replicaFailure(allRSs, newRS);
  if (failure !== undefined) setCondition(status, failure);
  else removeCondition(status, REPLICA_FAILURE);
  return status;
}

/** The first ReplicaFailure of the new ReplicaSet, else of any, as a Deployment condition. */
function replicaFailure(allRSs: readonly ReplicaSet[], newRS: ReplicaSet | undefined): Condition | undefined {
  const find = (rs: ReplicaSet | undefined): Condition | undefined => rs?.status?.conditions?.find((condition) => condition.type === REPLICA_FAILURE);
  const condition = find(newRS) ?? allRSs.map(find).find((found) => found !== undefined);
  if (condition === undefined) return undefined;
  return {
    type: REPLICA_FAILURE,
    status: condition.status,
    reason: condition.reason ?? '',
    message: condition.message ?? '',
    lastUpdateTime: condition.lastTransitionTime ?? '',
    lastTransitionTime: condition.lastTransitionTime ?? '',
  };
}

/**
 * How long until a rollout that makes no progress should be judged again (its deadline
 * passes with no event to say so); undefined when there is nothing to wait for.
 */
export function progressRecheckDelayMs(deployment: Deployment, status: DeploymentStatus, now: Date): number | undefined {
  const condition = getCondition(status, PROGRESSING);
  if (!hasProgressDeadline(deployment) || condition === undefined) return undefined;
  if (deploymentComplete(deployment, status) || condition.reason === REASONS.progressDeadlineExceeded) return undefined;
  const from = timestampMs(condition.lastUpdateTime);
  if (from === undefined) return undefined;
  return Math.max(0, from + (deployment.spec.progressDeadlineSeconds ?? 0) * 1000 - now.getTime());
}

/** Whether `next` differs from `current` in anything but key order. */
export function deploymentStatusChanged(current: DeploymentStatus | undefined, next: DeploymentStatus): boolean {
  return !jsonEqual(normalize(current ?? {}), normalize(next));
}

function normalize(status: DeploymentStatus): DeploymentStatus {
  const copy: DeploymentStatus = { ...status };
  if (copy.conditions !== undefined && copy.conditions.length === 0) delete copy.conditions;
  for (const field of ['replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas', 'observedGeneration'] as const) {
    copy[field] ??= 0;
  }
  return copy;
}
