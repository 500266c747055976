/**
 * Revisions and the annotations the Deployment controller keeps on its ReplicaSets, as
 * Kubernetes keeps them (`kubectl rollout history` and `undo` read them):
 *
 * - `deployment.kubernetes.io/revision`: each new template gets the next revision (one more
 *   than the highest of the old ReplicaSets); a ReplicaSet brought back by an undo gets a new
 *   revision, and its earlier ones go to `revision-history`;
 * - `desired-replicas` / `max-replicas`: the Deployment's size (and size plus surge) when the
 *   ReplicaSet was last scaled, for proportional scaling;
 * - the Deployment's own annotations (its `kubernetes.io/change-cause`, say), copied to the
 *   new ReplicaSet so that the history shows why each revision was made.
 *
 * Functions here change only the copies they are given.
 */
import type { ApiObject } from '../../api/types.js';
import {
  ANNOTATIONS_NOT_COPIED,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  REVISION_HISTORY_LENGTH_MAX,
} from './constants.js';
import type { Deployment } from './deployment-object.js';
import { maxSurge } from './rolling-limits.js';

/** A decimal annotation as a non-negative integer; undefined when absent or not one. */
function integerAnnotation(object: ApiObject, key: string): number | undefined {
  const text = object.metadata.annotations?.[key];
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  return Number(text);
}

/** The object's revision; 0 when it has none (or an unreadable one), as Kubernetes reads it. */
export function revisionOf(object: ApiObject): number {
  return integerAnnotation(object, REVISION_ANNOTATION) ?? 0;
}

/** The highest revision among `objects` (0 for none). */
export function maxRevision(objects: readonly ApiObject[]): number {
  let max = 0;
  for (const object of objects) max = Math.max(max, revisionOf(object));
  return max;
}

export function desiredReplicasAnnotation(object: ApiObject): number | undefined {
  return integerAnnotation(object, DESIRED_REPLICAS_ANNOTATION);
}

export function maxReplicasAnnotation(object: ApiObject): number | undefined {
  return integerAnnotation(object, MAX_REPLICAS_ANNOTATION);
}

function annotationsOf(object: ApiObject): Record<string, string> {
  object.metadata.annotations ??= {};
  return object.metadata.annotations;
}

/** Copies the Deployment's annotations (but the controller's own and kubectl's) onto `rs`; whether any changed. */
export function copyDeploymentAnnotations(deployment: Deployment, rs: ApiObject): boolean {
  let changed = false;
  for (const [key, value] of Object.entries(deployment.metadata.annotations ?? {})) {
    if (ANNOTATIONS_NOT_COPIED.has(key) || rs.metadata.annotations?.[key] === value) continue;
    annotationsOf(rs)[key] = value;
    changed = true;
  }
  return changed;
}

/** Whether `rs`'s replica annotations differ from these values. */
export function replicasAnnotationsNeedUpdate(rs: ApiObject, desiredReplicas: number, maxReplicas: number): boolean {
  return desiredReplicasAnnotation(rs) !== desiredReplicas || maxReplicasAnnotation(rs) !== maxReplicas;
}

/** Sets `rs`'s replica annotations; whether they changed. */
export function setReplicasAnnotations(rs: ApiObject, desiredReplicas: number, maxReplicas: number): boolean {
  if (!replicasAnnotationsNeedUpdate(rs, desiredReplicas, maxReplicas)) return false;
  const annotations = annotationsOf(rs);
  annotations[DESIRED_REPLICAS_ANNOTATION] = String(desiredReplicas);
  annotations[MAX_REPLICAS_ANNOTATION] = String(maxReplicas);
  return true;
}

/**
 * Brings the annotations of `rs` (a copy), the Deployment's new ReplicaSet, up to date for
 * `newRevision`: the Deployment's annotations copied, the revision raised to `newRevision`
 * when lower (the old one remembered in `revision-history`), and for a ReplicaSet about to be
 * created (`exists` false) the replica annotations. Whether anything changed.
 */
export function setNewReplicaSetAnnotations(deployment: Deployment, rs: ApiObject, newRevision: number, exists: boolean): boolean {
  let changed = copyDeploymentAnnotations(deployment, rs);
  const oldText = rs.metadata.annotations?.[REVISION_ANNOTATION];
  let oldRevision = 0;
  if (oldText !== undefined) {
    // An unreadable revision is left for people to fix rather than overwritten.
    if (!/^\d+$/.test(oldText)) return changed;
    oldRevision = Number(oldText);
  }
  if (oldRevision < newRevision) {
    annotationsOf(rs)[REVISION_ANNOTATION] = String(newRevision);
    changed = true;
    // A ReplicaSet that had a revision and gets a newer one is being rolled back to: keep its past.
    if (oldText !== undefined) appendRevisionHistory(rs, oldText);
  }
  if (!exists && setReplicasAnnotations(rs, deployment.spec.replicas ?? 0, (deployment.spec.replicas ?? 0) + maxSurge(deployment))) changed = true;
  return changed;
}

/** Appends `revision` to `revision-history`, dropping the oldest entries past the length limit. */
function appendRevisionHistory(rs: ApiObject, revision: string): void {
  const annotations = annotationsOf(rs);
  const history = annotations[REVISION_HISTORY_ANNOTATION];
  const entries = history === undefined || history === '' ? [] : history.split(',');
  entries.push(revision);
  while (entries.join(',').length > REVISION_HISTORY_LENGTH_MAX && entries.length > 1) entries.shift();
  annotations[REVISION_HISTORY_ANNOTATION] = entries.join(',');
}
