/**
 * Pod rules: the spec (containers, ports, environment, resources, probes, scheduling
 * constraints), the status the node agent reports, and what an update may change.
 *
 * The spec rules also check the pod templates of ReplicaSets and Deployments, under their
 * own path (`spec.template.spec`). Fields `applyDefaults` fills in (`restartPolicy`,
 * a port's `protocol`, a probe's thresholds) may be absent here; when present they must be
 * valid.
 */
import { dns1123LabelErrors, dns1123SubdomainErrors, envVarNameErrors, portNameErrors, qualifiedNameErrors } from '../names.js';
import { parseQuantity, QUANTITY_FORMAT_MESSAGE } from '../quantity.js';
import {
  checkIntegerAtLeast,
  checkLabels,
  checkName,
  checkOneOf,
  checkPortNumber,
  checkPortNumberOrName,
  child,
  duplicate,
  forbidden,
  invalid,
  isAbsent,
  isRecord,
  jsonClone,
  jsonEqual,
  key,
  readArray,
  readBoolean,
  readInteger,
  readRecord,
  readRecordList,
  readRequiredString,
  readString,
  readStringList,
  required,
} from './checks.js';
import type { Errors, Json } from './checks.js';
import { checkIPAddress } from './ip.js';

export const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'] as const;
export const PROTOCOLS = ['TCP', 'UDP', 'SCTP'] as const;
export const POD_PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'] as const;
export const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const TOLERATION_OPERATORS = ['Exists', 'Equal'];
const PROBE_HANDLERS = ['exec', 'httpGet', 'tcpSocket', 'grpc'] as const;
const CONDITION_STATUSES = ['True', 'False', 'Unknown'];

/** The spec of a pod, or of a pod template at `path`. */
export function validatePodSpec(specValue: unknown, path: string, errors: Errors): void {
  const spec = readRecord(errors, specValue, path);
  if (spec === undefined) {
    if (isAbsent(specValue)) required(errors, child(path, 'containers'));
    return;
  }
  const names = new Set<string>();
  const initContainers = readRecordList(errors, spec.initContainers, child(path, 'initContainers'));
  for (const { item, path: containerPath } of initContainers) {
    validateContainer(item, containerPath, names, errors);
    for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
      if (!isAbsent(item[probe])) forbidden(errors, child(containerPath, probe), 'may not be set for init containers');
    }
  }
  const containersPath = child(path, 'containers');
  const containers = readRecordList(errors, spec.containers, containersPath);
  if (isAbsent(spec.containers) || (Array.isArray(spec.containers) && spec.containers.length === 0)) {
    required(errors, containersPath);
  }
  for (const { item, path: containerPath } of containers) validateContainer(item, containerPath, names, errors);

  checkOneOf(errors, spec.restartPolicy, child(path, 'restartPolicy'), RESTART_POLICIES);
  checkOneOf(errors, spec.dnsPolicy, child(path, 'dnsPolicy'), DNS_POLICIES);
  checkIntegerAtLeast(errors, spec.terminationGracePeriodSeconds, child(path, 'terminationGracePeriodSeconds'), 0);
  checkIntegerAtLeast(errors, spec.activeDeadlineSeconds, child(path, 'activeDeadlineSeconds'), 1);
  checkLabels(errors, spec.nodeSelector, child(path, 'nodeSelector'));
  validateTolerations(spec.tolerations, child(path, 'tolerations'), errors);
  const nodeName = readString(errors, spec.nodeName, child(path, 'nodeName'));
  if (nodeName !== undefined && nodeName !== '') checkName(errors, child(path, 'nodeName'), nodeName, dns1123SubdomainErrors);
  const hostname = readString(errors, spec.hostname, child(path, 'hostname'));
  if (hostname !== undefined && hostname !== '') checkName(errors, child(path, 'hostname'), hostname, dns1123LabelErrors);
  readString(errors, spec.schedulerName, child(path, 'schedulerName'));
  readString(errors, spec.serviceAccountName, child(path, 'serviceAccountName'));
  readBoolean(errors, spec.hostNetwork, child(path, 'hostNetwork'));
  readInteger(errors, spec.priority, child(path, 'priority'));
}

/** One container; `names` collects the names seen so far in the pod (init containers included). */
function validateContainer(container: Json, path: string, names: Set<string>, errors: Errors): void {
  const name = readRequiredString(errors, container.name, child(path, 'name'));
  if (name !== undefined) {
    checkName(errors, child(path, 'name'), name, dns1123LabelErrors);
    if (names.has(name)) duplicate(errors, child(path, 'name'), name);
    names.add(name);
  }
  readRequiredString(errors, container.image, child(path, 'image'));
  checkOneOf(errors, container.imagePullPolicy, child(path, 'imagePullPolicy'), PULL_POLICIES);
  readStringList(errors, container.command, child(path, 'command'));
  readStringList(errors, container.args, child(path, 'args'));
  readString(errors, container.workingDir, child(path, 'workingDir'));
  validateContainerPorts(container.ports, child(path, 'ports'), errors);
  validateEnv(container.env, child(path, 'env'), errors);
  validateResources(container.resources, child(path, 'resources'), errors);
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
    validateProbe(container[probe], child(path, probe), errors);
  }
  // A liveness or startup probe decides on one success; more would only delay a restart decision.
  for (const probe of ['livenessProbe', 'startupProbe']) {
    const value = container[probe];
    if (isRecord(value) && typeof value.successThreshold === 'number' && value.successThreshold !== 1) {
      invalid(errors, child(child(path, probe), 'successThreshold'), value.successThreshold, 'must be 1');
    }
  }
}

function validateContainerPorts(value: unknown, path: string, errors: Errors): void {
  const names = new Set<string>();
  for (const { item: port, path: portPath } of readRecordList(errors, value, path)) {
    checkPortNumber(errors, port.containerPort, child(portPath, 'containerPort'));
    if (!isAbsent(port.hostPort) && port.hostPort !== 0) checkPortNumber(errors, port.hostPort, child(portPath, 'hostPort'));
    const name = readString(errors, port.name, child(portPath, 'name'));
    if (name !== undefined && name !== '') {
      checkName(errors, child(portPath, 'name'), name, portNameErrors);
      if (names.has(name)) duplicate(errors, child(portPath, 'name'), name);
      names.add(name);
    }
    checkOneOf(errors, port.protocol, child(portPath, 'protocol'), PROTOCOLS);
  }
}

function validateEnv(value: unknown, path: string, errors: Errors): void {
  for (const { item: variable, path: variablePath } of readRecordList(errors, value, path)) {
    const name = readRequiredString(errors, variable.name, child(variablePath, 'name'));
    if (name !== undefined) checkName(errors, child(variablePath, 'name'), name, envVarNameErrors);
    const text = readString(errors, variable.value, child(variablePath, 'value'));
    const valueFrom = readRecord(errors, variable.valueFrom, child(variablePath, 'valueFrom'));
    if (valueFrom !== undefined && text !== undefined && text !== '') {
      invalid(errors, child(variablePath, 'valueFrom'), '', 'may not be specified when `value` is not empty');
    }
  }
}

/**
 * Requests and limits: each resource name a qualified name, each amount a non-negative
 * quantity, and no request above its limit (a container could never get what it asked for).
 */
function validateResources(value: unknown, path: string, errors: Errors): void {
  const resources = readRecord(errors, value, path);
  if (resources === undefined) return;
  const requests = readQuantities(resources.requests, child(path, 'requests'), errors);
  const limits = readQuantities(resources.limits, child(path, 'limits'), errors);
  for (const [name, request] of requests) {
    const limit = limits.get(name);
    if (limit !== undefined && request.amount > limit.amount) {
      invalid(
        errors,
        key(child(path, 'requests'), name),
        request.text,
        `must be less than or equal to ${name} limit of ${limit.text}`,
      );
    }
  }
}

/** A map of resource name to quantity (requests, limits, a node's capacity); the valid entries. */
export function readQuantities(
  value: unknown,
  path: string,
  errors: Errors,
): Map<string, { amount: number; text: string }> {
  const quantities = new Map<string, { amount: number; text: string }>();
  const record = readRecord(errors, value, path);
  if (record === undefined) return quantities;
  for (const [name, entry] of Object.entries(record)) {
    const entryPath = key(path, name);
    checkName(errors, path, name, qualifiedNameErrors);
    if (typeof entry !== 'string' && typeof entry !== 'number') {
      invalid(errors, entryPath, entry, QUANTITY_FORMAT_MESSAGE);
      continue;
    }
    let amount: number;
    try {
      amount = parseQuantity(entry);
    } catch {
      invalid(errors, entryPath, entry, QUANTITY_FORMAT_MESSAGE);
      continue;
    }
    if (amount < 0) {
      invalid(errors, entryPath, entry, 'must be greater than or equal to 0');
      continue;
    }
    quantities.set(name, { amount, text: String(entry) });
  }
  return quantities;
}

/** Exactly one handler; timings and thresholds of at least 1 (the initial delay may be 0). */
function validateProbe(value: unknown, path: string, errors: Errors): void {
  const probe = readRecord(errors, value, path);
  if (probe === undefined) return;
  const handlers = PROBE_HANDLERS.filter((handler) => !isAbsent(probe[handler]));
  if (handlers.length === 0) required(errors, path, 'must specify a handler type');
  for (const extra of handlers.slice(1)) forbidden(errors, child(path, extra), 'may not specify more than 1 handler type');

  const exec = readRecord(errors, probe.exec, child(path, 'exec'));
  if (exec !== undefined) {
    const command = readStringList(errors, exec.command, child(child(path, 'exec'), 'command'));
    if (command.length === 0 && (isAbsent(exec.command) || Array.isArray(exec.command))) {
      required(errors, child(child(path, 'exec'), 'command'));
    }
  }
  const httpGet = readRecord(errors, probe.httpGet, child(path, 'httpGet'));
  if (httpGet !== undefined) {
    const httpPath = child(path, 'httpGet');
    const requestPath = readString(errors, httpGet.path, child(httpPath, 'path'));
    if (requestPath === '') required(errors, child(httpPath, 'path'));
    checkPortNumberOrName(errors, httpGet.port, child(httpPath, 'port'));
    checkOneOf(errors, httpGet.scheme, child(httpPath, 'scheme'), ['HTTP', 'HTTPS']);
    readString(errors, httpGet.host, child(httpPath, 'host'));
  }
  const tcpSocket = readRecord(errors, probe.tcpSocket, child(path, 'tcpSocket'));
  if (tcpSocket !== undefined) checkPortNumberOrName(errors, tcpSocket.port, child(child(path, 'tcpSocket'), 'port'));
  const grpc = readRecord(errors, probe.grpc, child(path, 'grpc'));
  if (grpc !== undefined) checkPortNumber(errors, grpc.port, child(child(path, 'grpc'), 'port'));

  checkIntegerAtLeast(errors, probe.initialDelaySeconds, child(path, 'initialDelaySeconds'), 0);
  for (const field of ['timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold']) {
    checkIntegerAtLeast(errors, probe[field], child(path, field), 1);
  }
}

/**
 * A toleration matches taints by key (all keys when empty, which needs `Exists`), by value
 * (`Equal`) or by presence (`Exists`, no value), and by effect (all effects when empty).
 */
function validateTolerations(value: unknown, path: string, errors: Errors): void {
  for (const { item: toleration, path: tolerationPath } of readRecordList(errors, value, path)) {
    const tolerationKey = readString(errors, toleration.key, child(tolerationPath, 'key'));
    if (tolerationKey !== undefined && tolerationKey !== '') {
      checkName(errors, child(tolerationPath, 'key'), tolerationKey, qualifiedNameErrors);
    }
    const operatorValue = readString(errors, toleration.operator, child(tolerationPath, 'operator'));
    const operator = operatorValue === undefined || operatorValue === '' ? 'Equal' : operatorValue;
    const tolerationValue = readString(errors, toleration.value, child(tolerationPath, 'value')) ?? '';
    if (!TOLERATION_OPERATORS.includes(operator)) {
      checkOneOf(errors, operator, child(tolerationPath, 'operator'), TOLERATION_OPERATORS);
    } else if (operator === 'Exists' && tolerationValue !== '') {
      invalid(errors, child(tolerationPath, 'operator'), tolerationValue, "value must be empty when `operator` is 'Exists'");
    } else if (operator === 'Equal' && (tolerationKey ?? '') === '') {
      invalid(
        errors,
        child(tolerationPath, 'operator'),
        operator,
        'operator must be Exists when `key` is empty, which means "match all values and all keys"',
      );
    }
    const effect = readString(errors, toleration.effect, child(tolerationPath, 'effect'));
    if (effect !== undefined && effect !== '') checkOneOf(errors, effect, child(tolerationPath, 'effect'), TAINT_EFFECTS);
    const seconds = readInteger(errors, toleration.tolerationSeconds, child(tolerationPath, 'tolerationSeconds'));
    if (seconds !== undefined && effect !== 'NoExecute') {
      invalid(errors, child(tolerationPath, 'effect'), effect ?? '', "effect must be 'NoExecute' when `tolerationSeconds` is set");
    }
  }
}

/** What the node agent reports: the phase, addresses, conditions and container states. */
export function validatePodStatus(value: unknown, errors: Errors): void {
  const status = readRecord(errors, value, 'status');
  if (status === undefined) return;
  checkOneOf(errors, status.phase, 'status.phase', POD_PHASES);
  for (const field of ['podIP', 'hostIP']) {
    const address = readString(errors, status[field], `status.${field}`);
    if (address !== undefined && address !== '') checkIPAddress(errors, address, `status.${field}`);
  }
  for (const { item, path } of readRecordList(errors, status.podIPs, 'status.podIPs')) {
    const address = readRequiredString(errors, item.ip, child(path, 'ip'));
    if (address !== undefined) checkIPAddress(errors, address, child(path, 'ip'));
  }
  validateConditions(status.conditions, 'status.conditions', errors);
  for (const list of ['initContainerStatuses', 'containerStatuses']) {
    for (const { item, path } of readRecordList(errors, status[list], `status.${list}`)) {
      readRequiredString(errors, item.name, child(path, 'name'));
      checkIntegerAtLeast(errors, item.restartCount, child(path, 'restartCount'), 0);
      readBoolean(errors, item.ready, child(path, 'ready'));
    }
  }
}

/** Conditions of any kind: a type, and a status of True, False or Unknown. */
export function validateConditions(value: unknown, path: string, errors: Errors): void {
  for (const { item, path: conditionPath } of readRecordList(errors, value, path)) {
    readRequiredString(errors, item.type, child(conditionPath, 'type'));
    const status = readRequiredString(errors, item.status, child(conditionPath, 'status'));
    if (status !== undefined) checkOneOf(errors, status, child(conditionPath, 'status'), CONDITION_STATUSES);
  }
}

const POD_UPDATE_RULE =
  'pod updates may not change fields other than `spec.containers[*].image`, `spec.initContainers[*].image`, ' +
  '`spec.activeDeadlineSeconds`, `spec.tolerations` (only additions to existing tolerations) and ' +
  '`spec.nodeName` (only to set it when empty)';

/**
 * A running pod's spec is fixed: a different spec needs a different pod. What may change:
 * container images (the node agent restarts the container), the active deadline, added
 * tolerations, and `spec.nodeName` once, from empty to a node: that is the binding by
 * which the scheduler places the pod. Both specs have had their defaults applied.
 */
export function validatePodSpecUpdate(specValue: unknown, oldSpecValue: unknown, errors: Errors): void {
  if (!isRecord(specValue) || !isRecord(oldSpecValue)) {
    if (!jsonEqual(specValue, oldSpecValue)) forbidden(errors, 'spec', POD_UPDATE_RULE);
    return;
  }
  const spec = specValue;
  const allowed = jsonClone(oldSpecValue);
  for (const list of ['initContainers', 'containers']) {
    const containers = spec[list];
    const allowedContainers = allowed[list];
    if (!Array.isArray(containers) || !Array.isArray(allowedContainers)) continue;
    if (containers.length !== allowedContainers.length) continue;
    containers.forEach((container, i) => {
      const allowedContainer = allowedContainers[i];
      if (isRecord(container) && isRecord(allowedContainer)) allowedContainer.image = container.image;
    });
  }
  allowed.activeDeadlineSeconds = spec.activeDeadlineSeconds;
  const oldTolerations = readArray([], oldSpecValue.tolerations, '') ?? [];
  const newTolerations = readArray([], spec.tolerations, '') ?? [];
  if (oldTolerations.every((old) => newTolerations.some((toleration) => jsonEqual(old, toleration)))) {
    allowed.tolerations = spec.tolerations;
  }
  const oldNodeName = oldSpecValue.nodeName;
  if (isAbsent(oldNodeName) || oldNodeName === '') {
    allowed.nodeName = spec.nodeName;
  } else if (spec.nodeName !== oldNodeName) {
    // Said on its own: moving a bound pod is the mistake people make, not a vague spec change.
    invalid(errors, 'spec.nodeName', spec.nodeName ?? '', 'field is immutable once set (a bound pod stays on its node)');
    allowed.nodeName = spec.nodeName;
  }
  if (!jsonEqual(spec, allowed)) forbidden(errors, 'spec', POD_UPDATE_RULE);
}
