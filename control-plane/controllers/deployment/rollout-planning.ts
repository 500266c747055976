/**
 * The arithmetic of rollouts and scaling, as pure plans: which ReplicaSet goes to what size.
 * The controller carries the plans out (each write conditional on the ReplicaSet's
 * resourceVersion, so that a plan made on a stale cache fails instead of overshooting).
 *
 * Rolling update (Kubernetes' `rolloutRolling`): the new ReplicaSet grows while the pods
 * wanted stay within `spec.replicas + maxSurge`; old ReplicaSets shrink while the available
 * pods stay at least `spec.replicas − maxUnavailable` — first by their pods that are not
 * available anyway, then oldest ReplicaSet first.
 *
 * Recreate: every old ReplicaSet to 0; the new one to `spec.replicas` once no old pod is
 * left (the controller checks the pods).
 *
 * Scaling while a rollout is under way (`spec.replicas` changed): the difference is shared
 * out among the active ReplicaSets in proportion to their sizes (Kubernetes' proportional
 * scaling), so that a rollout half done stays half done at the new size.
 */
import type { ReplicaSet } from '../replicaset/workload-objects.js';
import { specReplicas } from '../replicaset/workload-objects.js';
import type { Deployment } from './deployment-object.js';
import { strategyTypeOf } from './deployment-object.js';
import {
  activeReplicaSets,
  byCreationOldestFirst,
  bySizeNewerFirst,
  bySizeOlderFirst,
  findActiveOrLatest,
  sumSpecReplicas,
} from './replica-set-groups.js';
import { desiredReplicasAnnotation, maxReplicasAnnotation } from './revisions.js';
import { maxSurge, maxUnavailable } from './rolling-limits.js';

/** One ReplicaSet to bring to `replicas`. */
export interface ScaleStep {
  readonly rs: ReplicaSet;
  readonly replicas: number;
  /**
   * Also refresh its replica annotations when the size stays (proportional scaling records
   * the Deployment's new size on every active ReplicaSet, so that it is not seen as a
   * scaling event again).
   */
  readonly refreshAnnotations: boolean;
}

/** The size a new ReplicaSet of `newReplicas` pods should get now (Kubernetes' `NewRSNewReplicas`). */
export function newReplicaSetSize(deployment: Deployment, allRSs: readonly ReplicaSet[], newReplicas: number): number {
  const desired = deployment.spec.replicas ?? 0;
  if (strategyTypeOf(deployment) !== 'RollingUpdate') return desired;
  const maxTotal = desired + maxSurge(deployment);
  const current = sumSpecReplicas(allRSs);
  if (current >= maxTotal) return newReplicas;
  return newReplicas + Math.max(0, Math.min(maxTotal - current, desired - newReplicas));
}

/** Rolling update, first half: the new ReplicaSet's next size; undefined when it stays. */
export function planNewReplicaSet(deployment: Deployment, allRSs: readonly ReplicaSet[], newRS: ReplicaSet): number | undefined {
  const desired = deployment.spec.replicas ?? 0;
  const current = specReplicas(newRS);
  if (current === desired) return undefined;
  const next = current > desired ? desired : newReplicaSetSize(deployment, allRSs, current);
  return next === current ? undefined : next;
}

/**
 * Rolling update, second half: how far each old ReplicaSet shrinks now (steps only for those
 * that change, oldest first).
 *
 * One deliberate difference from Kubernetes: an old ReplicaSet's available pods are counted
 * as at most its `spec.replicas`. Right after a scale-down its status may still count the
 * pods being deleted; counting those would let the next step delete more than
 * `maxUnavailable` allows.
 */
export function planOldReplicaSets(deployment: Deployment, allRSs: readonly ReplicaSet[], oldRSs: readonly ReplicaSet[], newRS: ReplicaSet): ScaleStep[] {
  if (sumSpecReplicas(oldRSs) === 0) return [];
  const minAvailable = (deployment.spec.replicas ?? 0) - maxUnavailable(deployment);
  const newUnavailable = specReplicas(newRS) - (newRS.status?.availableReplicas ?? 0);
  const maxScaledDown = sumSpecReplicas(allRSs) - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return [];
  const oldest = [...oldRSs].sort(byCreationOldestFirst);
  const sizes = new Map(oldest.map((rs) => [rs, specReplicas(rs)] as const));
  const available = (rs: ReplicaSet): number => Math.min(rs.status?.availableReplicas ?? 0, sizes.get(rs) ?? specReplicas(rs));
  // First the pods that are not available anyway: removing them costs no availability.
  let cleaned = 0;
  for (const rs of oldest) {
    if (cleaned >= maxScaledDown) break;
    const size = sizes.get(rs)!;
    const unhealthy = size - available(rs);
    if (size === 0 || unhealthy <= 0) continue;
    const count = Math.min(maxScaledDown - cleaned, unhealthy);
    sizes.set(rs, size - count);
    cleaned += count;
  }
  // Then available pods, oldest ReplicaSet first, down to the minimum availability.
  const availableNow = oldest.reduce((sum, rs) => sum + available(rs), 0) + Math.min(newRS.status?.availableReplicas ?? 0, specReplicas(newRS));
  const toScaleDown = availableNow - minAvailable;
  let scaledDown = 0;
  for (const rs of oldest) {
    if (scaledDown >= toScaleDown) break;
    const size = sizes.get(rs)!;
    if (size === 0) continue;
    const count = Math.min(size, toScaleDown - scaledDown);
    sizes.set(rs, size - count);
    scaledDown += count;
  }
  return oldest.filter((rs) => sizes.get(rs) !== specReplicas(rs)).map((rs) => ({ rs, replicas: sizes.get(rs)!, refreshAnnotations: false }));
}

/** Whether `rs` holds every replica, all available, for the Deployment's current size. */
export function isSaturated(deployment: Deployment, rs: ReplicaSet | undefined): boolean {
  if (rs === undefined) return false;
  const desired = deployment.spec.replicas ?? 0;
  return desiredReplicasAnnotation(rs) === desired && specReplicas(rs) === desired && (rs.status?.availableReplicas ?? 0) === desired;
}

/** Whether an active ReplicaSet was last scaled for another `spec.replicas` than the current one. */
export function isScalingEvent(deployment: Deployment, newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[]): boolean {
  const desired = deployment.spec.replicas ?? 0;
  return activeReplicaSets([...oldRSs, newRS]).some((rs) => {
    const annotated = desiredReplicasAnnotation(rs);
    return annotated !== undefined && annotated !== desired;
  });
}

/** Kubernetes' `RoundToInt32`: halves away from zero. */
function roundHalfAwayFromZero(value: number): number {
  return value < 0 ? Math.ceil(value - 0.5) : Math.floor(value + 0.5);
}

/** How many replicas `rs` should gain (or lose) for its share of the Deployment's new size. */
function replicaSetFraction(rs: ReplicaSet, deployment: Deployment): number {
  const desired = deployment.spec.replicas ?? 0;
  if (desired === 0) return -specReplicas(rs);
  const deploymentReplicas = desired + maxSurge(deployment);
  const annotated = maxReplicasAnnotation(rs) ?? deployment.status?.replicas ?? 0;
  if (annotated === 0) return 0;
  return roundHalfAwayFromZero((specReplicas(rs) * deploymentReplicas) / annotated) - specReplicas(rs);
}

function proportion(rs: ReplicaSet, deployment: Deployment, toAdd: number, added: number): number {
  if (specReplicas(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = replicaSetFraction(rs, deployment);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

/**
 * Scaling (`spec.replicas` changed, or the Deployment is paused): the sizes the ReplicaSets
 * should have. One active (or none): it takes every replica. A saturated new ReplicaSet:
 * the old ones go to 0. Otherwise, for a rolling update, proportional scaling.
 */
export function planScale(deployment: Deployment, newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[]): ScaleStep[] {
  const desired = deployment.spec.replicas ?? 0;
  const only = findActiveOrLatest(newRS, oldRSs);
  if (only !== undefined) return specReplicas(only) === desired ? [] : [{ rs: only, replicas: desired, refreshAnnotations: false }];
  if (isSaturated(deployment, newRS)) return activeReplicaSets(oldRSs).map((rs) => ({ rs, replicas: 0, refreshAnnotations: false }));
  if (strategyTypeOf(deployment) !== 'RollingUpdate') return [];
  const active = activeReplicaSets([...oldRSs, newRS]);
  const allowed = desired > 0 ? desired + maxSurge(deployment) : 0;
  const toAdd = allowed - sumSpecReplicas(active);
  if (toAdd > 0) active.sort(bySizeNewerFirst);
  else if (toAdd < 0) active.sort(bySizeOlderFirst);
  let added = 0;
  const sizes = active.map((rs) => {
    if (toAdd === 0) return specReplicas(rs);
    const share = proportion(rs, deployment, toAdd, added);
    added += share;
    return specReplicas(rs) + share;
  });
  // What rounding left over goes to the largest.
  if (toAdd !== 0 && sizes.length > 0) sizes[0] = Math.max(0, sizes[0]! + toAdd - added);
  return active.map((rs, index) => ({ rs, replicas: sizes[index]!, refreshAnnotations: true }));
}
