/**
 * Pure judgements of a blue-green rollout, from cached objects: its settings with their
 * defaults, which ReplicaSet is whose version, whether a version is healthy (every pod
 * Ready for `minReadySeconds`, as its ReplicaSet counts them), which pods are not, and the
 * deadlines kept in annotations.
 */
import {
  DEFAULT_BLUE_GREEN_AUTO_PROMOTE,
  DEFAULT_BLUE_GREEN_HEALTH_TIMEOUT_SECONDS,
  DEFAULT_BLUE_GREEN_SCALE_DOWN_DELAY_SECONDS,
} from '../api/defaults.js';
import { POD_TEMPLATE_HASH_LABEL } from '../controllers/deployment/constants.js';
import type { Deployment } from '../controllers/deployment/deployment-object.js';
import { isPodReady } from '../controllers/endpoints/endpoint-subsets.js';
import { controllerRefOf } from '../controllers/replicaset/controller-ref.js';
import type { Pod, ReplicaSet } from '../controllers/replicaset/workload-objects.js';
import { formatTimestamp, specReplicas, timestampMs } from '../controllers/replicaset/workload-objects.js';

/** `strategy.blueGreen` with every default filled in. */
export interface BlueGreenSettings {
  readonly activeService: string;
  readonly previewService: string | undefined;
  readonly autoPromote: boolean;
  readonly scaleDownDelaySeconds: number;
  /** 0: no limit. */
  readonly healthTimeoutSeconds: number;
}

export function blueGreenSettings(deployment: Deployment): BlueGreenSettings {
  const blueGreen = deployment.spec.strategy?.blueGreen;
  if (blueGreen === undefined || blueGreen.activeService === '') throw new Error(`deployment ${deployment.metadata.name}: a BlueGreen strategy without an activeService`);
  return {
    activeService: blueGreen.activeService,
    previewService: blueGreen.previewService === '' ? undefined : blueGreen.previewService,
    autoPromote: blueGreen.autoPromote ?? DEFAULT_BLUE_GREEN_AUTO_PROMOTE,
    scaleDownDelaySeconds: blueGreen.scaleDownDelaySeconds ?? DEFAULT_BLUE_GREEN_SCALE_DOWN_DELAY_SECONDS,
    healthTimeoutSeconds: blueGreen.healthTimeoutSeconds ?? DEFAULT_BLUE_GREEN_HEALTH_TIMEOUT_SECONDS,
  };
}

/** The ReplicaSet's `pod-template-hash` (its label, as the controller set it). */
export function hashOf(rs: ReplicaSet): string | undefined {
  return rs.metadata.labels?.[POD_TEMPLATE_HASH_LABEL];
}

export function findByHash(replicaSets: readonly ReplicaSet[], hash: string | undefined): ReplicaSet | undefined {
  return hash === undefined ? undefined : replicaSets.find((rs) => hashOf(rs) === hash);
}

/**
 * The version to call active when no Service says which (the first rollout, a Deployment
 * just switched to BlueGreen, a Service just created): the old ReplicaSet serving the most
 * available pods, so that traffic stays where it is; else the new one.
 */
export function presumedActive(newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[]): ReplicaSet | undefined {
  const serving = oldRSs.filter((rs) => specReplicas(rs) > 0 && (rs.status?.availableReplicas ?? 0) > 0);
  serving.sort((a, b) => (b.status?.availableReplicas ?? 0) - (a.status?.availableReplicas ?? 0));
  return serving[0] ?? newRS;
}

/**
 * Every one of `replicas` pods exists and is available (Ready for `minReadySeconds`) by
 * the ReplicaSet's own count, and that count answers its current spec.
 */
export function isHealthy(rs: ReplicaSet, replicas: number): boolean {
  const status = rs.status ?? {};
  return (
    specReplicas(rs) === replicas &&
    (status.observedGeneration ?? 0) >= (rs.metadata.generation ?? 0) &&
    (status.replicas ?? 0) === replicas &&
    (status.readyReplicas ?? 0) >= replicas &&
    (status.availableReplicas ?? 0) >= replicas
  );
}

/** Names of the ReplicaSet's live pods that are not Ready, sorted (for messages). */
export function podsNotReady(rs: ReplicaSet, pods: readonly Pod[]): string[] {
  return pods
    .filter((pod) => controllerRefOf(pod)?.uid === rs.metadata.uid && pod.metadata.deletionTimestamp === undefined && !isPodReady(pod))
    .map((pod) => pod.metadata.name ?? '')
    .sort();
}

/** A deadline annotation in ms since the epoch; undefined when absent or unreadable. */
export function deadlineMs(rs: ReplicaSet, annotation: string): number | undefined {
  return timestampMs(rs.metadata.annotations?.[annotation]);
}

/** `now` + `seconds`, as a deadline annotation's text (rounded up to the second, so never early). */
export function deadlineText(now: Date, seconds: number): string {
  return formatTimestamp(new Date(Math.ceil((now.getTime() + seconds * 1000) / 1000) * 1000));
}
