/**
 * The blue-green deployer's names: the annotations it keeps (on Deployments: what people
 * asked for with `balsa rollout promote|abort`, and the revision serving; on ReplicaSets:
 * its deadlines), the reasons of the Progressing condition it sets, and its Event reasons.
 * Imports nothing, so that the Deployment controller's constants can name these keys too.
 */

/** On a Deployment: the revision whose ReplicaSet the active Service selects. */
export const ACTIVE_REVISION_ANNOTATION = 'deployment.balsa.dev/active-revision';
/** On a Deployment, set by `balsa rollout promote`: the `pod-template-hash` of the new version to switch to. */
export const PROMOTE_ANNOTATION = 'deployment.balsa.dev/promote';
/**
 * On a Deployment, set by `balsa rollout abort` or by a health timeout: the
 * `pod-template-hash` of the new version given up. It stays until the template changes
 * (another hash) or `balsa rollout undo` clears it.
 */
export const ABORT_ANNOTATION = 'deployment.balsa.dev/abort';
/** On an old ReplicaSet out of service: when it is scaled to 0 (RFC 3339, UTC, seconds). */
export const SCALE_DOWN_DEADLINE_ANNOTATION = 'deployment.balsa.dev/scale-down-deadline';
/** On the new ReplicaSet of a rollout: when it is given up unless every pod is ready (RFC 3339, UTC, seconds). */
export const HEALTH_DEADLINE_ANNOTATION = 'deployment.balsa.dev/health-deadline';

/** The Deployment annotations that are the deployer's bookkeeping (never copied to ReplicaSets, nor back by an undo). */
export const BLUE_GREEN_DEPLOYMENT_ANNOTATIONS: readonly string[] = [ACTIVE_REVISION_ANNOTATION, PROMOTE_ANNOTATION, ABORT_ANNOTATION];

/** Reasons of the Progressing condition during a blue-green rollout (Kubernetes' `NewReplicaSetAvailable` once live). */
export const BLUE_GREEN_REASONS = {
  /** The new version is healthy; `autoPromote` is off: waiting for `balsa rollout promote`. */
  awaitingPromotion: 'BlueGreenAwaitingPromotion',
  /** The active Service now selects the new version; waiting for its Endpoints to follow. */
  promoted: 'BlueGreenPromoted',
  /** The new version did not become healthy within `healthTimeoutSeconds`. */
  healthTimeout: 'BlueGreenHealthTimeout',
  /** `balsa rollout abort`. */
  aborted: 'BlueGreenAborted',
  /** The active Service does not exist (yet): nothing can be switched. */
  serviceNotFound: 'BlueGreenServiceNotFound',
} as const;

/** Event reasons, one per step. */
export const BLUE_GREEN_EVENTS = {
  serviceSelected: 'BlueGreenServiceSelected',
  previewReady: 'BlueGreenPreviewReady',
  promoted: 'BlueGreenPromoted',
  scaledDownOld: 'BlueGreenScaledDownOld',
  aborted: 'BlueGreenAborted',
} as const;

/** A Deployment whose rollout waits on a deadline is looked at again this long after it. */
export const DEADLINE_RECHECK_MARGIN_MS = 250;
