/**
 * Typed views of the objects the workload controllers read: Pods, ReplicaSets and their
 * pod templates. The API server validated and defaulted every stored object, so these
 * describe what is there; fields a controller does not read stay untyped. Objects out of
 * an informer's cache are shared: never modify one, copy it first.
 */
import type { ApiObject } from '../../api/types.js';
import type { LabelSelectorObject } from '../../api/selectors.js';

/** A condition as Pods, ReplicaSets and Deployments report them. */
export type Condition = {
  type: string;
  /** `True`, `False` or `Unknown`. */
  status: string;
  reason?: string;
  message?: string;
  /** RFC 3339, second precision. */
  lastTransitionTime?: string;
  /** Deployments only: when the condition was last refreshed (RFC 3339). */
  lastUpdateTime?: string;
  lastProbeTime?: string | null;
};

export type ContainerStatus = { name: string; ready?: boolean; restartCount?: number };

export type PodStatus = {
  /** `Pending`, `Running`, `Succeeded`, `Failed` or `Unknown`. */
  phase?: string;
  conditions?: Condition[];
  containerStatuses?: ContainerStatus[];
};

export type Pod = ApiObject & {
  spec?: { nodeName?: string; [field: string]: unknown };
  status?: PodStatus;
};

/** `spec.template` of a ReplicaSet or Deployment: the pods' metadata and spec. */
export type PodTemplate = {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string>; [field: string]: unknown };
  spec?: Record<string, unknown>;
};

export type ReplicaSetSpec = {
  /** Defaulted to 1 by the API server. */
  replicas?: number;
  minReadySeconds?: number;
  selector: LabelSelectorObject;
  template: PodTemplate;
};

export type ReplicaSetStatus = {
  replicas?: number;
  fullyLabeledReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  observedGeneration?: number;
  conditions?: Condition[];
};

export type ReplicaSet = ApiObject & { spec: ReplicaSetSpec; status?: ReplicaSetStatus };

/** `spec.replicas`, 0 when absent (Kubernetes treats a nil count as 0 when summing). */
export function specReplicas(object: { spec?: { replicas?: number } }): number {
  return object.spec?.replicas ?? 0;
}

/** `spec.minReadySeconds`, 0 when absent. */
export function minReadySecondsOf(object: { spec?: { minReadySeconds?: number } }): number {
  return object.spec?.minReadySeconds ?? 0;
}

/** Milliseconds since the epoch of an RFC 3339 timestamp; undefined when absent or unreadable. */
export function timestampMs(value: string | null | undefined): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** RFC 3339 at second precision, as Kubernetes writes timestamps. */
export function formatTimestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
