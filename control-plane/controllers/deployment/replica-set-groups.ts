/**
 * A Deployment's ReplicaSets sorted out: the new one (its template is the Deployment's), the
 * old ones, the active ones (some replicas wanted), their sums, and Kubernetes' orders
 * (oldest first, by revision, by size). Pure functions over cached objects.
 */
import { specReplicas, timestampMs } from '../replicaset/workload-objects.js';
import type { ReplicaSet } from '../replicaset/workload-objects.js';
import type { Deployment } from './deployment-object.js';
import { revisionOf } from './revisions.js';
import { equalIgnoringHash } from './template-hash.js';

/** Oldest first; the same creation second ordered by name (Kubernetes' `ReplicaSetsByCreationTimestamp`). */
export function byCreationOldestFirst(a: ReplicaSet, b: ReplicaSet): number {
  const at = timestampMs(a.metadata.creationTimestamp) ?? 0;
  const bt = timestampMs(b.metadata.creationTimestamp) ?? 0;
  if (at !== bt) return at - bt;
  const an = a.metadata.name ?? '';
  const bn = b.metadata.name ?? '';
  return an < bn ? -1 : an > bn ? 1 : 0;
}

/** Lowest revision first, then oldest. */
export function byRevisionOldestFirst(a: ReplicaSet, b: ReplicaSet): number {
  return revisionOf(a) - revisionOf(b) || byCreationOldestFirst(a, b);
}

/** Largest first; of equal sizes the older first (scaling down takes from old ones first). */
export function bySizeOlderFirst(a: ReplicaSet, b: ReplicaSet): number {
  return specReplicas(b) - specReplicas(a) || byCreationOldestFirst(a, b);
}

/** Largest first; of equal sizes the newer first (scaling up gives to new ones first). */
export function bySizeNewerFirst(a: ReplicaSet, b: ReplicaSet): number {
  return specReplicas(b) - specReplicas(a) || byCreationOldestFirst(b, a);
}

/**
 * The ReplicaSet whose template is the Deployment's (the hash label set aside); the oldest
 * when several are (after a hash collision), as Kubernetes picks.
 */
export function findNewReplicaSet(deployment: Deployment, replicaSets: readonly ReplicaSet[]): ReplicaSet | undefined {
  return [...replicaSets].sort(byCreationOldestFirst).find((rs) => equalIgnoringHash(rs.spec.template, deployment.spec.template));
}

/** Every ReplicaSet but the new one. */
export function findOldReplicaSets(deployment: Deployment, replicaSets: readonly ReplicaSet[]): ReplicaSet[] {
  const newRS = findNewReplicaSet(deployment, replicaSets);
  return replicaSets.filter((rs) => newRS === undefined || rs.metadata.uid !== newRS.metadata.uid);
}

/** Those that want some replicas. */
export function activeReplicaSets(replicaSets: readonly (ReplicaSet | undefined)[]): ReplicaSet[] {
  return replicaSets.filter((rs): rs is ReplicaSet => rs !== undefined && specReplicas(rs) > 0);
}

/** Σ `spec.replicas`: the pods wanted. */
export function sumSpecReplicas(replicaSets: readonly (ReplicaSet | undefined)[]): number {
  return replicaSets.reduce((sum, rs) => sum + (rs === undefined ? 0 : specReplicas(rs)), 0);
}

/** Σ `status.replicas`: the pods there are. */
export function sumStatusReplicas(replicaSets: readonly (ReplicaSet | undefined)[]): number {
  return replicaSets.reduce((sum, rs) => sum + (rs?.status?.replicas ?? 0), 0);
}

export function sumReadyReplicas(replicaSets: readonly (ReplicaSet | undefined)[]): number {
  return replicaSets.reduce((sum, rs) => sum + (rs?.status?.readyReplicas ?? 0), 0);
}

export function sumAvailableReplicas(replicaSets: readonly (ReplicaSet | undefined)[]): number {
  return replicaSets.reduce((sum, rs) => sum + (rs?.status?.availableReplicas ?? 0), 0);
}

/**
 * The one ReplicaSet that should hold every replica when scaling: the only active one, or,
 * when none is active, the new one (else the newest old one). Undefined when several are
 * active (then replicas are shared out proportionally).
 */
export function findActiveOrLatest(newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[]): ReplicaSet | undefined {
  if (newRS === undefined && oldRSs.length === 0) return undefined;
  const newestOldFirst = [...oldRSs].sort((a, b) => byCreationOldestFirst(b, a));
  const active = activeReplicaSets([...newestOldFirst, newRS]);
  if (active.length === 0) return newRS ?? newestOldFirst[0];
  return active.length === 1 ? active[0] : undefined;
}
