/**
 * Defaulting: the values Kubernetes fills in for fields a manifest leaves out, so that
 * every stored object is complete and the components reading it (scheduler, node agent,
 * controllers) never guess. The API server defaults an object before it validates it.
 *
 * Defaulting sees input nobody has checked yet, so it never throws: a field of the wrong
 * JSON type is left as it is, for validation to report.
 */
import type { ApiObject } from './types.js';
import type { ResourceInfo } from './resources.js';
import { parseQuantity } from './quantity.js';

type Json = Record<string, unknown>;

/** Seconds a pod gets between SIGTERM and SIGKILL unless it says otherwise. */
export const DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS = 30;
export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';
export const DEFAULT_TERMINATION_MESSAGE_PATH = '/dev/termination-log';
/** A Deployment's default surge and unavailability during a rolling update. */
export const DEFAULT_ROLLING_UPDATE_PERCENT = '25%';
export const DEFAULT_REVISION_HISTORY_LIMIT = 10;
export const DEFAULT_PROGRESS_DEADLINE_SECONDS = 600;
/** A blue-green rollout switches the Service by itself once the new version is healthy, unless told otherwise. */
export const DEFAULT_BLUE_GREEN_AUTO_PROMOTE = true;
/** Seconds the old version keeps every pod after a blue-green switch (Argo Rollouts' default): an instant way back. */
export const DEFAULT_BLUE_GREEN_SCALE_DOWN_DELAY_SECONDS = 30;
/** Seconds a blue-green rollout's new version has to become healthy before it is given up. */
export const DEFAULT_BLUE_GREEN_HEALTH_TIMEOUT_SECONDS = 600;
/** The finalizer the namespace controller removes once a namespace's content is gone. */
export const NAMESPACE_FINALIZER = 'kubernetes';

/**
 * Fills in the kind's defaults, in place, leaving every field that is already set alone.
 * Run on create and on update, before validation; idempotent.
 */
export function applyDefaults(info: ResourceInfo, obj: ApiObject): void {
  if (!isRecord(obj)) return;
  switch (info.kind) {
    case 'Pod':
      defaultPodSpec(obj.spec);
      break;
    case 'ReplicaSet':
      defaultReplicaSetSpec(obj.spec);
      break;
    case 'Deployment':
      defaultDeploymentSpec(obj.spec);
      break;
    case 'Service':
      defaultServiceSpec(obj.spec);
      break;
    case 'Secret':
      defaultSecret(obj);
      break;
    case 'Namespace':
      defaultNamespace(obj);
      break;
    case 'RoleBinding':
    case 'ClusterRoleBinding':
      defaultSubjects(obj.subjects);
      break;
    default:
      break;
  }
}

/** A User or Group subject without an apiGroup is of RBAC's group (Kubernetes' v1 default). */
function defaultSubjects(subjects: unknown): void {
  if (!Array.isArray(subjects)) return;
  for (const subject of subjects) {
    if (isRecord(subject) && (subject.kind === 'User' || subject.kind === 'Group') && (subject.apiGroup === undefined || subject.apiGroup === '')) {
      subject.apiGroup = 'rbac.authorization.k8s.io';
    }
  }
}

/**
 * The status a new object starts with, set only at create (an update carries the stored
 * status): a Pod is `Pending` with its QoS class, a Namespace `Active`. Fields a client
 * already set are kept; whether a client may set status at create is the registry's rule.
 * Call after `applyDefaults`.
 */
export function applyCreateDefaults(info: ResourceInfo, obj: ApiObject): void {
  if (!isRecord(obj)) return;
  switch (info.kind) {
    case 'Pod': {
      const status = ensureRecord(obj, 'status');
      if (status === undefined) return;
      setIfAbsent(status, 'phase', 'Pending');
      const qosClass = podQosClass(obj.spec);
      if (qosClass !== undefined) setIfAbsent(status, 'qosClass', qosClass);
      break;
    }
    case 'Namespace': {
      const status = ensureRecord(obj, 'status');
      if (status !== undefined) setIfAbsent(status, 'phase', 'Active');
      break;
    }
    default:
      break;
  }
}

/** The pod spec defaults; used for Pods and for the templates of ReplicaSets and Deployments. */
function defaultPodSpec(spec: unknown): void {
  if (!isRecord(spec)) return;
  setIfAbsent(spec, 'restartPolicy', 'Always');
  setIfAbsent(spec, 'terminationGracePeriodSeconds', DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS);
  setIfAbsent(spec, 'dnsPolicy', 'ClusterFirst');
  setIfAbsent(spec, 'schedulerName', DEFAULT_SCHEDULER_NAME);
  for (const list of ['initContainers', 'containers']) {
    const containers = spec[list];
    if (Array.isArray(containers)) containers.forEach(defaultContainer);
  }
}

function defaultContainer(container: unknown): void {
  if (!isRecord(container)) return;
  if (typeof container.image === 'string') setIfAbsent(container, 'imagePullPolicy', pullPolicyFor(container.image));
  setIfAbsent(container, 'terminationMessagePath', DEFAULT_TERMINATION_MESSAGE_PATH);
  setIfAbsent(container, 'terminationMessagePolicy', 'File');
  if (Array.isArray(container.ports)) {
    for (const port of container.ports) if (isRecord(port)) setIfAbsent(port, 'protocol', 'TCP');
  }
  defaultRequestsFromLimits(container.resources);
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) defaultProbe(container[probe]);
  if (Array.isArray(container.env)) {
    // An environment variable from a pod field names the field in the v1 Pod unless it says otherwise.
    for (const variable of container.env) {
      if (isRecord(variable) && isRecord(variable.valueFrom) && isRecord(variable.valueFrom.fieldRef)) setIfAbsent(variable.valueFrom.fieldRef, 'apiVersion', 'v1');
    }
  }
}

/**
 * A pulled tag that can move (`latest`, or no tag, which means `latest`) is pulled every
 * time; a fixed tag or a digest is pulled once.
 */
function pullPolicyFor(image: string): string {
  if (image.includes('@')) return 'IfNotPresent';
  const lastSlash = image.lastIndexOf('/');
  const lastColon = image.lastIndexOf(':');
  // A colon before the last slash belongs to a registry's port (`registry:5000/app`).
  const tag = lastColon > lastSlash ? image.slice(lastColon + 1) : '';
  return tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

/**
 * A container that sets a limit but no request for a resource requests its limit, as in
 * Kubernetes: the scheduler then reserves what the container may use.
 */
function defaultRequestsFromLimits(resources: unknown): void {
  if (!isRecord(resources) || !isRecord(resources.limits)) return;
  if (resources.requests !== undefined && !isRecord(resources.requests)) return;
  const requests = isRecord(resources.requests) ? resources.requests : {};
  for (const [name, limit] of Object.entries(resources.limits)) setIfAbsent(requests, name, limit);
  if (Object.keys(requests).length > 0) resources.requests = requests;
}

function defaultProbe(probe: unknown): void {
  if (!isRecord(probe)) return;
  setIfAbsent(probe, 'timeoutSeconds', 1);
  setIfAbsent(probe, 'periodSeconds', 10);
  setIfAbsent(probe, 'successThreshold', 1);
  setIfAbsent(probe, 'failureThreshold', 3);
  if (isRecord(probe.httpGet)) {
    setIfAbsent(probe.httpGet, 'path', '/');
    setIfAbsent(probe.httpGet, 'scheme', 'HTTP');
  }
}

function defaultReplicaSetSpec(spec: unknown): void {
  if (!isRecord(spec)) return;
  setIfAbsent(spec, 'replicas', 1);
  defaultTemplate(spec.template);
}

function defaultDeploymentSpec(spec: unknown): void {
  if (!isRecord(spec)) return;
  setIfAbsent(spec, 'replicas', 1);
  setIfAbsent(spec, 'revisionHistoryLimit', DEFAULT_REVISION_HISTORY_LIMIT);
  setIfAbsent(spec, 'progressDeadlineSeconds', DEFAULT_PROGRESS_DEADLINE_SECONDS);
  const strategy = ensureRecord(spec, 'strategy');
  if (strategy !== undefined) {
    setIfAbsent(strategy, 'type', 'RollingUpdate');
    // Only a rolling update has surge and unavailability; Recreate and BlueGreen get none.
    if (strategy.type === 'RollingUpdate') {
      const rollingUpdate = ensureRecord(strategy, 'rollingUpdate');
      if (rollingUpdate !== undefined) {
        setIfAbsent(rollingUpdate, 'maxSurge', DEFAULT_ROLLING_UPDATE_PERCENT);
        setIfAbsent(rollingUpdate, 'maxUnavailable', DEFAULT_ROLLING_UPDATE_PERCENT);
      }
    }
    if (strategy.type === 'BlueGreen') {
      // Created even when absent, so that validation names the missing `activeService` in it.
      const blueGreen = ensureRecord(strategy, 'blueGreen');
      if (blueGreen !== undefined) {
        setIfAbsent(blueGreen, 'autoPromote', DEFAULT_BLUE_GREEN_AUTO_PROMOTE);
        setIfAbsent(blueGreen, 'scaleDownDelaySeconds', DEFAULT_BLUE_GREEN_SCALE_DOWN_DELAY_SECONDS);
        setIfAbsent(blueGreen, 'healthTimeoutSeconds', DEFAULT_BLUE_GREEN_HEALTH_TIMEOUT_SECONDS);
      }
    }
  }
  defaultTemplate(spec.template);
}

function defaultTemplate(template: unknown): void {
  if (isRecord(template)) defaultPodSpec(template.spec);
}

function defaultServiceSpec(spec: unknown): void {
  if (!isRecord(spec)) return;
  setIfAbsent(spec, 'type', 'ClusterIP');
  setIfAbsent(spec, 'sessionAffinity', 'None');
  if (!Array.isArray(spec.ports)) return;
  for (const port of spec.ports) {
    if (!isRecord(port)) continue;
    setIfAbsent(port, 'protocol', 'TCP');
    // A Service forwards to the same port on the pods unless told otherwise.
    if (port.port !== undefined) setIfAbsent(port, 'targetPort', port.port);
  }
}

/**
 * `type: Opaque`, and `stringData` (plain text, a convenience for writers) folded into
 * `data` (base64, what is stored), its entries winning over `data`'s. A `stringData` that
 * is not a map of strings is left in place for validation to report.
 */
function defaultSecret(secret: Json): void {
  setIfAbsent(secret, 'type', 'Opaque');
  const stringData = secret.stringData;
  if (stringData === undefined || stringData === null) {
    delete secret.stringData;
    return;
  }
  if (!isRecord(stringData) || !Object.values(stringData).every((value) => typeof value === 'string')) return;
  if (secret.data !== undefined && secret.data !== null && !isRecord(secret.data)) return;
  const data: Json = isRecord(secret.data) ? secret.data : {};
  for (const [key, value] of Object.entries(stringData)) {
    data[key] = Buffer.from(value as string, 'utf8').toString('base64');
  }
  secret.data = data;
  delete secret.stringData;
}

function defaultNamespace(namespace: Json): void {
  const spec = ensureRecord(namespace, 'spec');
  if (spec !== undefined) setIfAbsent(spec, 'finalizers', [NAMESPACE_FINALIZER]);
}

/**
 * Kubernetes' QoS class of a pod: `Guaranteed` when every container limits CPU and memory
 * and requests exactly its limits, `BestEffort` when no container requests or limits
 * anything, `Burstable` otherwise. The node agent evicts in that order, best effort first.
 * Undefined when the spec is too malformed to tell (validation will refuse it).
 */
function podQosClass(spec: unknown): string | undefined {
  if (!isRecord(spec) || !Array.isArray(spec.containers)) return undefined;
  let anySet = false;
  let guaranteed = true;
  for (const container of spec.containers) {
    if (!isRecord(container)) return undefined;
    const resources = isRecord(container.resources) ? container.resources : {};
    const requests = isRecord(resources.requests) ? resources.requests : {};
    const limits = isRecord(resources.limits) ? resources.limits : {};
    if (Object.keys(requests).length > 0 || Object.keys(limits).length > 0) anySet = true;
    for (const name of ['cpu', 'memory']) {
      if (!sameQuantity(requests[name], limits[name])) guaranteed = false;
    }
  }
  if (!anySet) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

/** Whether both are quantities of the same value (`1` and `1000m` are); false when either is absent or malformed. */
function sameQuantity(a: unknown, b: unknown): boolean {
  if ((typeof a !== 'string' && typeof a !== 'number') || (typeof b !== 'string' && typeof b !== 'number')) return false;
  try {
    return parseQuantity(a) === parseQuantity(b);
  } catch {
    return false;
  }
}

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Sets the field when it is absent (`undefined` or `null`, which JSON clients send for "unset"). */
function setIfAbsent(target: Json, field: string, value: unknown): void {
  if (target[field] === undefined || target[field] === null) target[field] = value;
}

/** The field's object, created when absent; undefined when the field holds something else. */
function ensureRecord(target: Json, field: string): Json | undefined {
  if (target[field] === undefined || target[field] === null) target[field] = {};
  const value = target[field];
  return isRecord(value) ? value : undefined;
}
