/**
 * The Deployment controller's names and limits: the annotations and the label it shares
 * with `kubectl` (Kubernetes' own keys, so that tools that know them read ours), the
 * condition reasons, and its defaults.
 */

import { BLUE_GREEN_DEPLOYMENT_ANNOTATIONS } from '../../deployer/constants.js';

/** The label added to a ReplicaSet's selector, its template and its pods: the template's hash. */
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';

/** On ReplicaSets (and the Deployment): the rollout revision, a decimal integer from 1. */
export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
/** On a ReplicaSet reused for a later revision (an undo): its earlier revisions, comma-separated. */
export const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';
/** On ReplicaSets: the Deployment's `spec.replicas` when the ReplicaSet was last scaled. */
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
/** On ReplicaSets: `spec.replicas` + max surge when the ReplicaSet was last scaled (for proportional scaling). */
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';
/** Why a revision was made (`kubectl apply --record`, or by hand); shown by `rollout history`. */
export const CHANGE_CAUSE_ANNOTATION = 'kubernetes.io/change-cause';
/** kubectl's copy of the applied manifest. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * Annotations of a Deployment that are not copied to its ReplicaSets (and, on undo, not
 * copied back): the controller's own bookkeeping and kubectl's applied manifest.
 */
export const ANNOTATIONS_NOT_COPIED: ReadonlySet<string> = new Set([
  LAST_APPLIED_ANNOTATION,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  'deprecated.deployment.rollback.to',
  ...BLUE_GREEN_DEPLOYMENT_ANNOTATIONS,
]);

/** Condition types of a Deployment. */
export const PROGRESSING = 'Progressing';
export const AVAILABLE = 'Available';
export const REPLICA_FAILURE = 'ReplicaFailure';

/** Reasons of the Progressing and Available conditions (Kubernetes' words). */
export const REASONS = {
  replicaSetUpdated: 'ReplicaSetUpdated',
  failedReplicaSetCreate: 'ReplicaSetCreateError',
  newReplicaSetCreated: 'NewReplicaSetCreated',
  foundNewReplicaSet: 'FoundNewReplicaSet',
  newReplicaSetAvailable: 'NewReplicaSetAvailable',
  progressDeadlineExceeded: 'ProgressDeadlineExceeded',
  paused: 'DeploymentPaused',
  resumed: 'DeploymentResumed',
  minimumReplicasAvailable: 'MinimumReplicasAvailable',
  minimumReplicasUnavailable: 'MinimumReplicasUnavailable',
} as const;

/**
 * Kubernetes' "unset" for `progressDeadlineSeconds` and `revisionHistoryLimit` in old API
 * versions (MaxInt32): no deadline, no limit.
 */
export const UNLIMITED_INT32 = 2_147_483_647;

/** Keys reconciled in parallel (Kubernetes' `--concurrent-deployment-syncs`). */
export const DEPLOYMENT_WORKERS_DEFAULT = 5;

/** The default surge and unavailability of a rolling update, when the server did not fill them. */
export const ROLLING_UPDATE_PERCENT_DEFAULT = '25%';

/** A Deployment stuck in its rollout is looked at again this long after its deadline passes. */
export const PROGRESS_RECHECK_MARGIN_MS = 1_000;

/** The longest `revision-history` annotation kept (Kubernetes' limit); older revisions are dropped from it. */
export const REVISION_HISTORY_LENGTH_MAX = 2_000;
