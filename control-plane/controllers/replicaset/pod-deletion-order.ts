/**
 * Which pods a ReplicaSet deletes first when it has too many: the ones whose loss costs the
 * least, in Kubernetes' order (`ActivePods` ranking, without its co-location rank):
 *
 * 1. not yet on a node before on a node (nothing runs yet);
 * 2. `Pending` before `Unknown` before `Running`;
 * 3. not ready before ready;
 * 4. of two ready pods, the one ready for less time (a pod ready for long has proven itself);
 * 5. more container restarts before fewer (crash-looping pods go first);
 * 6. newer before older (creation time; a pod without one first).
 *
 * Pure: the order depends only on the pods.
 */
import { isPodReady, maxContainerRestarts, podReadySinceMs } from './pod-readiness.js';
import type { Pod } from './workload-objects.js';
import { timestampMs } from './workload-objects.js';

const PHASE_ORDINAL: Readonly<Record<string, number>> = { Pending: 0, Unknown: 1, Running: 2 };

function isAssigned(pod: Pod): boolean {
  return typeof pod.spec?.nodeName === 'string' && pod.spec.nodeName !== '';
}

/**
 * Kubernetes' `afterOrZero`: -1 when `a` should go first, that is when `a` is unknown (and
 * `b` is not) or later than `b`.
 */
function laterOrUnknownFirst(a: number | undefined, b: number | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  return a > b ? -1 : 1;
}

/** Negative when `a` should be deleted before `b`. */
export function compareForDeletion(a: Pod, b: Pod): number {
  const assignedA = isAssigned(a);
  if (assignedA !== isAssigned(b)) return assignedA ? 1 : -1;
  const phaseA = PHASE_ORDINAL[a.status?.phase ?? ''] ?? 0;
  const phaseB = PHASE_ORDINAL[b.status?.phase ?? ''] ?? 0;
  if (phaseA !== phaseB) return phaseA - phaseB;
  const readyA = isPodReady(a);
  if (readyA !== isPodReady(b)) return readyA ? 1 : -1;
  if (readyA) {
    const byReadyTime = laterOrUnknownFirst(podReadySinceMs(a), podReadySinceMs(b));
    if (byReadyTime !== 0) return byReadyTime;
  }
  const restarts = maxContainerRestarts(b) - maxContainerRestarts(a);
  if (restarts !== 0) return restarts;
  return laterOrUnknownFirst(timestampMs(a.metadata.creationTimestamp), timestampMs(b.metadata.creationTimestamp));
}

/** The `count` pods to delete first (fewer when there are fewer pods), in deletion order. */
export function podsToDelete(pods: readonly Pod[], count: number): Pod[] {
  if (count <= 0) return [];
  return [...pods].sort(compareForDeletion).slice(0, count);
}
