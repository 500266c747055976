/** Manifests of ReplicaSets and Deployments for controller tests. */
import type { ApiObject } from '../../../../control-plane/api/types.js';

export interface WorkloadOptions {
  /** The container image (default `web:1`): change it to roll out a new template. */
  readonly image?: string;
  readonly minReadySeconds?: number;
  /** Extra template labels. */
  readonly labels?: Record<string, string>;
}

function template(app: string, options: WorkloadOptions): Record<string, unknown> {
  return {
    metadata: { labels: { app, ...(options.labels ?? {}) } },
    spec: { containers: [{ name: 'main', image: options.image ?? 'web:1' }], terminationGracePeriodSeconds: 5 },
  };
}

export function replicaSetManifest(name: string, replicas: number, options: WorkloadOptions = {}): ApiObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, labels: { app: name } },
    spec: {
      replicas,
      ...(options.minReadySeconds === undefined ? {} : { minReadySeconds: options.minReadySeconds }),
      selector: { matchLabels: { app: name } },
      template: template(name, options),
    },
  };
}

export interface DeploymentOptions extends WorkloadOptions {
  /** `spec.strategy` as given (default: the server's, RollingUpdate 25%/25%). */
  readonly strategy?: Record<string, unknown>;
  readonly revisionHistoryLimit?: number;
  readonly progressDeadlineSeconds?: number;
  readonly paused?: boolean;
  readonly annotations?: Record<string, string>;
}

export function deploymentManifest(name: string, replicas: number, options: DeploymentOptions = {}): ApiObject {
  const spec: Record<string, unknown> = {
    replicas,
    selector: { matchLabels: { app: name } },
    template: template(name, options),
  };
  if (options.minReadySeconds !== undefined) spec.minReadySeconds = options.minReadySeconds;
  if (options.strategy !== undefined) spec.strategy = options.strategy;
  if (options.revisionHistoryLimit !== undefined) spec.revisionHistoryLimit = options.revisionHistoryLimit;
  if (options.progressDeadlineSeconds !== undefined) spec.progressDeadlineSeconds = options.progressDeadlineSeconds;
  if (options.paused !== undefined) spec.paused = options.paused;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { app: name }, ...(options.annotations === undefined ? {} : { annotations: options.annotations }) },
    spec,
  };
}
