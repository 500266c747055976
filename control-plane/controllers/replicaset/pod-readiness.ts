/**
 * What a pod's status says about it, as the ReplicaSet controller counts it: active (still
 * counts towards the replicas), ready (its `Ready` condition is `True`), available (ready
 * for at least `minReadySeconds`). Pure functions of the pod and the time given.
 */
import type { Pod } from './workload-objects.js';
import { timestampMs } from './workload-objects.js';

/**
 * A pod that counts towards its ReplicaSet's replicas: not finished (`Succeeded`,
 * `Failed`) and not being deleted. A terminating pod is already on its way out, so a
 * replacement is created without waiting for it (Kubernetes' `FilterActivePods`).
 */
export function isPodActive(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && pod.metadata.deletionTimestamp === undefined;
}

export function isPodReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True') ?? false;
}

/** When the pod last became ready (its Ready condition's transition), in ms; undefined when not ready or unknown. */
export function podReadySinceMs(pod: Pod): number | undefined {
  const condition = pod.status?.conditions?.find((candidate) => candidate.type === 'Ready' && candidate.status === 'True');
  return condition === undefined ? undefined : timestampMs(condition.lastTransitionTime);
}

/**
 * When a ready pod counts as available: once `minReadySeconds` have passed since it became
 * ready. With `minReadySeconds` 0 a ready pod is available at once (-Infinity); undefined
 * when the pod is not ready, or ready since a time nobody recorded (it never becomes
 * available by waiting, as in Kubernetes).
 */
export function podAvailableAtMs(pod: Pod, minReadySeconds: number): number | undefined {
  if (!isPodReady(pod)) return undefined;
  if (minReadySeconds <= 0) return -Infinity;
  const since = podReadySinceMs(pod);
  return since === undefined ? undefined : since + minReadySeconds * 1000;
}

/** Ready, and ready for longer than `minReadySeconds` at `nowMs` (strictly, as Kubernetes' `Before`). */
export function isPodAvailable(pod: Pod, minReadySeconds: number, nowMs: number): boolean {
  const at = podAvailableAtMs(pod, minReadySeconds);
  if (at === undefined) return false;
  return at === -Infinity || at < nowMs;
}

/** The most restarts of any one container of the pod. */
export function maxContainerRestarts(pod: Pod): number {
  let most = 0;
  for (const status of pod.status?.containerStatuses ?? []) most = Math.max(most, status.restartCount ?? 0);
  return most;
}
