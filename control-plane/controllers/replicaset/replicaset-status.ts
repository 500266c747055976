/**
 * A ReplicaSet's status, computed from the pods it owns: pure, so that it can be checked
 * without a cluster, and reconstructible at any time by looking (Kubernetes'
 * `calculateStatus`).
 */
import { jsonEqual } from '../../api/json-values.js';
import { isPodAvailable, isPodReady, podAvailableAtMs } from './pod-readiness.js';
import type { Condition, Pod, ReplicaSet, ReplicaSetStatus } from './workload-objects.js';
import { formatTimestamp, minReadySecondsOf, specReplicas } from './workload-objects.js';

/** The condition a ReplicaSet reports while creating or deleting pods fails. */
export const REPLICA_FAILURE = 'ReplicaFailure';

/**
 * The status of `rs` given `pods`, its active pods (owned, not terminating, not finished):
 * - `replicas`: how many there are;
 * - `fullyLabeledReplicas`: those carrying every label of the template (a pod adopted with
 *   fewer labels is counted, but not fully labeled);
 * - `readyReplicas`: those whose Ready condition is True;
 * - `availableReplicas`: those ready for longer than `minReadySeconds` at `now`;
 * - `observedGeneration`: the generation of the spec this status answers;
 * - a `ReplicaFailure` condition while creating or deleting pods fails (`manageError`),
 *   kept (with its first message) until a sync manages without error.
 */
export function calculateReplicaSetStatus(rs: ReplicaSet, pods: readonly Pod[], manageError: unknown, now: Date): ReplicaSetStatus {
  const templateLabels = Object.entries(rs.spec.template.metadata?.labels ?? {});
  const minReadySeconds = minReadySecondsOf(rs);
  const nowMs = now.getTime();
  let fullyLabeledReplicas = 0;
  let readyReplicas = 0;
  let availableReplicas = 0;
  for (const pod of pods) {
    const labels = pod.metadata.labels ?? {};
    if (templateLabels.every(([key, value]) => labels[key] === value)) fullyLabeledReplicas++;
    if (isPodReady(pod)) {
      readyReplicas++;
      if (isPodAvailable(pod, minReadySeconds, nowMs)) availableReplicas++;
    }
  }
  const conditions = (rs.status?.conditions ?? []).map((condition) => ({ ...condition }));
  const failure = conditions.find((condition) => condition.type === REPLICA_FAILURE);
  let nextConditions: Condition[] = conditions;
  if (manageError !== undefined && failure === undefined) {
    const diff = pods.length - specReplicas(rs);
    nextConditions = [
      ...conditions,
      {
        type: REPLICA_FAILURE,
        status: 'True',
        reason: diff < 0 ? 'FailedCreate' : diff > 0 ? 'FailedDelete' : '',
        message: manageError instanceof Error ? manageError.message : String(manageError),
        lastTransitionTime: formatTimestamp(now),
      },
    ];
  } else if (manageError === undefined && failure !== undefined) {
    nextConditions = conditions.filter((condition) => condition.type !== REPLICA_FAILURE);
  }
  const status: ReplicaSetStatus = {
    replicas: pods.length,
    fullyLabeledReplicas,
    readyReplicas,
    availableReplicas,
    observedGeneration: rs.metadata.generation ?? 0,
  };
  if (nextConditions.length > 0) status.conditions = nextConditions;
  return status;
}

/** Whether `next` says anything `current` does not (counts, generation, conditions). */
export function replicaSetStatusChanged(current: ReplicaSetStatus | undefined, next: ReplicaSetStatus): boolean {
  const was = current ?? {};
  return (
    (was.replicas ?? 0) !== next.replicas ||
    (was.fullyLabeledReplicas ?? 0) !== next.fullyLabeledReplicas ||
    (was.readyReplicas ?? 0) !== next.readyReplicas ||
    (was.availableReplicas ?? 0) !== next.availableReplicas ||
    (was.observedGeneration ?? 0) !== next.observedGeneration ||
    !jsonEqual(was.conditions ?? [], next.conditions ?? [])
  );
}

/**
 * The earliest moment (ms) at which one of `pods`, ready but not yet available, becomes
 * available; undefined when none is waiting for `minReadySeconds`. The controller looks at
 * the ReplicaSet again then, since no event will tell it.
 */
export function nextAvailabilityMs(rs: ReplicaSet, pods: readonly Pod[], nowMs: number): number | undefined {
  const minReadySeconds = minReadySecondsOf(rs);
  if (minReadySeconds <= 0) return undefined;
  let next: number | undefined;
  for (const pod of pods) {
    const at = podAvailableAtMs(pod, minReadySeconds);
    if (at === undefined || at === -Infinity || at < nowMs) continue;
    next = next === undefined ? at : Math.min(next, at);
  }
  return next;
}
