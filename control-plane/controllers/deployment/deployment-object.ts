/**
 * A typed view of a Deployment as the controller and the CLI read it (validated and
 * defaulted by the API server), and of its strategy.
 */
import type { ApiObject } from '../../api/types.js';
import type { Condition, ReplicaSetSpec } from '../replicaset/workload-objects.js';
import { UNLIMITED_INT32 } from './constants.js';

export type DeploymentStrategyType = 'RollingUpdate' | 'Recreate' | 'BlueGreen';

/** `maxSurge`/`maxUnavailable`: a count, or a percentage of `spec.replicas` (`'25%'`). */
export type IntOrPercent = number | string;

/** `strategy.blueGreen` (defaulted by the API server: autoPromote true, 30 s, 600 s). */
export type BlueGreenStrategy = {
  /** The Service whose selector is pinned to the serving version's `pod-template-hash`. */
  activeService: string;
  /** A Service pinned to the new version while it is checked (to the serving one otherwise). */
  previewService?: string;
  /** Switch as soon as the new version is healthy (else on `balsa rollout promote`). */
  autoPromote?: boolean;
  /** Seconds the old version keeps its pods after the switch. */
  scaleDownDelaySeconds?: number;
  /** Seconds the new version has to become healthy before it is given up; 0: no limit. */
  healthTimeoutSeconds?: number;
};

export type DeploymentStrategy = {
  type?: DeploymentStrategyType;
  rollingUpdate?: { maxSurge?: IntOrPercent; maxUnavailable?: IntOrPercent };
  blueGreen?: BlueGreenStrategy;
};

/** What a blue-green rollout reports besides the counts. */
export type BlueGreenStatus = {
  /** The `pod-template-hash` the active Service selects. */
  activeSelector?: string;
  /** The `pod-template-hash` the preview Service selects. */
  previewSelector?: string;
  /** Available pods of the new version (the Deployment's own counts sum every version). */
  newAvailableReplicas?: number;
};

export type DeploymentSpec = ReplicaSetSpec & {
  strategy?: DeploymentStrategy;
  /** Old ReplicaSets kept for rollback (default 10). */
  revisionHistoryLimit?: number;
  /** Seconds a rollout may go without progress before it is reported failed (default 600). */
  progressDeadlineSeconds?: number;
  /** No rollout progress while true; scaling still happens. */
  paused?: boolean;
};

export type DeploymentStatus = {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  conditions?: Condition[];
  /** Bumped when the name of a new ReplicaSet is taken by another template (a hash collision). */
  collisionCount?: number;
  /** The `pod-template-hash` of the current template's ReplicaSet (blue-green). */
  currentPodHash?: string;
  blueGreen?: BlueGreenStatus;
};

export type Deployment = ApiObject & { spec: DeploymentSpec; status?: DeploymentStatus };

/** `RollingUpdate` unless the spec says otherwise. */
export function strategyTypeOf(deployment: Deployment): DeploymentStrategyType {
  return deployment.spec.strategy?.type ?? 'RollingUpdate';
}

/** Whether a progress deadline applies (Kubernetes uses MaxInt32 for "none"). */
export function hasProgressDeadline(deployment: Deployment): boolean {
  const seconds = deployment.spec.progressDeadlineSeconds;
  return seconds !== undefined && seconds !== UNLIMITED_INT32;
}
