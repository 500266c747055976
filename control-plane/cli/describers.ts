/**
 * `kubectl describe`'s text, kind by kind, computed from the object and what the command read
 * about it (its events; a Service's Endpoints; a ReplicaSet's pods). Pure: no I/O, the
 * time is given.
 *
 * Every kind starts with Name, Namespace, Labels, Annotations and CreationTimestamp (kubectl
 * leaves CreationTimestamp out for a few kinds; balsa always shows it), then its own
 * sections, then Events. Kinds without a layout of their own show their fields as YAML.
 */
import { containerResourceValue } from '../api/resource-field.js';
import { resourceForKind } from '../api/resources.js';
import type { ApiObject } from '../api/types.js';
import { DescribeWriter, writeControlledBy, writeEvents, writeObjectHeader } from './describe-writer.js';
import { describeTimestamp } from '../api/human-duration.js';
import { asNumber, asRecord, asRecords, asString, asStringMap, compareStrings, formatLabelSelector, formatLabels } from '../api/object-fields.js';
import type { JsonRecord } from '../api/object-fields.js';
import { formatEndpoints, nodeRoles, podStatus } from '../api/table-columns.js';

/** What `describe` read besides the object. */
export interface DescribeInputs {
  readonly now: Date;
  /** The events about the object (see `eventsAbout`). */
  readonly events: readonly ApiObject[];
  /** A Service's Endpoints object, when it has one. */
  readonly endpoints?: ApiObject;
  /** A ReplicaSet's pods. */
  readonly pods?: readonly ApiObject[];
}

const spec = (object: ApiObject): JsonRecord => asRecord(object.spec);
const status = (object: ApiObject): JsonRecord => asRecord(object.status);

// --- Containers, shared by pods and pod templates ---

function portList(container: JsonRecord, field: 'containerPort' | 'hostPort'): string[] {
  return asRecords(container.ports).map((port) => `${asNumber(port[field])}/${asString(port.protocol) || 'TCP'}`);
}

function writePorts(writer: DescribeWriter, container: JsonRecord): void {
  const ports = portList(container, 'containerPort');
  const hostPorts = portList(container, 'hostPort');
  if (ports.length === 0) {
    writer.field(2, 'Port', '<none>');
    writer.field(2, 'Host Port', '<none>');
  } else if (ports.length === 1) {
    writer.field(2, 'Port', ports[0]!);
    writer.field(2, 'Host Port', hostPorts[0]!);
  } else {
    writer.field(2, 'Ports', ports.join(', '));
    writer.field(2, 'Host Ports', hostPorts.join(', '));
  }
}

function writeState(writer: DescribeWriter, title: string, state: JsonRecord): void {
  if (state.running !== undefined) {
    writer.field(2, title, 'Running');
    writer.field(3, 'Started', describeTimestamp(asRecord(state.running).startedAt));
  } else if (state.waiting !== undefined) {
    writer.field(2, title, 'Waiting');
    const reason = asString(asRecord(state.waiting).reason);
    if (reason !== '') writer.field(3, 'Reason', reason);
  } else if (state.terminated !== undefined) {
    const terminated = asRecord(state.terminated);
    writer.field(2, title, 'Terminated');
    if (asString(terminated.reason) !== '') writer.field(3, 'Reason', asString(terminated.reason));
    if (asString(terminated.message) !== '') writer.field(3, 'Message', asString(terminated.message));
    writer.field(3, 'Exit Code', asNumber(terminated.exitCode));
    if (asNumber(terminated.signal) !== 0) writer.field(3, 'Signal', asNumber(terminated.signal));
    writer.field(3, 'Started', describeTimestamp(terminated.startedAt));
    writer.field(3, 'Finished', describeTimestamp(terminated.finishedAt));
  } else {
    writer.field(2, title, 'Waiting');
  }
}

function envValue(variable: JsonRecord, container: JsonRecord): string {
  if (variable.value !== undefined) return asString(variable.value);
  const from = asRecord(variable.valueFrom);
  if (from.fieldRef !== undefined) {
    const reference = asRecord(from.fieldRef);
    return ` (${asString(reference.apiVersion) || 'v1'}:${asString(reference.fieldPath)})`;
  }
  if (from.resourceFieldRef !== undefined) {
    // As kubectl shows it: the value for this container, or "node allocatable" for a limit it does not set.
    const reference = asRecord(from.resourceFieldRef);
    let value: string | null;
    try {
      value = containerResourceValue(container, reference);
    } catch {
      value = '';
    }
    return `${value ?? 'node allocatable'} (${asString(reference.resource)})`;
  }
  if (from.configMapKeyRef !== undefined) {
    const reference = asRecord(from.configMapKeyRef);
    return `<set to the key '${asString(reference.key)}' of config map '${asString(reference.name)}'>\tOptional: ${reference.optional === true}`;
  }
  if (from.secretKeyRef !== undefined) {
    const reference = asRecord(from.secretKeyRef);
    return `<set to the key '${asString(reference.key)}' in secret '${asString(reference.name)}'>\tOptional: ${reference.optional === true}`;
  }
  return '';
}

function writeResources(writer: DescribeWriter, container: JsonRecord): void {
  const resources = asRecord(container.resources);
  for (const [title, field] of [['Limits', 'limits'], ['Requests', 'requests']] as const) {
    const entries = Object.entries(asRecord(resources[field])).sort(([a], [b]) => compareStrings(a, b));
    if (entries.length === 0) continue;
    writer.line(2, `${title}:`);
    for (const [name, quantity] of entries) writer.field(3, name, String(quantity));
  }
}

/**
 * The `Containers:` section. In a pod (`statuses` given) names sit at level 1 and state,
 * readiness and restarts are shown; in a pod template kubectl puts names three spaces in.
 */
function writeContainers(
  writer: DescribeWriter,
  title: string,
  containers: readonly JsonRecord[],
  statuses: readonly JsonRecord[] | undefined,
): void {
  const inTemplate = statuses === undefined;
  writer.line(inTemplate ? 1 : 0, `${title}:`);
  for (const container of containers) {
    const name = asString(container.name);
    if (inTemplate) writer.raw(`   ${name}:`);
    else writer.line(1, `${name}:`);
    const containerStatus = statuses?.find((candidate) => candidate.name === name);
    if (!inTemplate) writer.field(2, 'Container ID', asString(containerStatus?.containerID));
    writer.field(2, 'Image', asString(container.image));
    if (!inTemplate) writer.field(2, 'Image ID', asString(containerStatus?.imageID));
    writePorts(writer, container);
    for (const [label, field] of [['Command', 'command'], ['Args', 'args']] as const) {
      const parts = Array.isArray(container[field]) ? (container[field] as unknown[]).map(String) : [];
      if (parts.length === 0) continue;
      writer.line(2, `${label}:`);
      for (const part of parts) writer.line(3, part);
    }
    if (!inTemplate) {
      writeState(writer, 'State', asRecord(containerStatus?.state));
      const last = asRecord(containerStatus?.lastState);
      if (Object.keys(last).length > 0) writeState(writer, 'Last State', last);
      writer.field(2, 'Ready', containerStatus?.ready === true ? 'True' : 'False');
      writer.field(2, 'Restart Count', asNumber(containerStatus?.restartCount));
    }
    writeResources(writer, container);
    const env = asRecords(container.env);
    if (env.length === 0) writer.field(2, 'Environment', '<none>');
    else {
      writer.line(2, 'Environment:');
      for (const variable of env) writer.field(3, asString(variable.name), envValue(variable, container));
    }
    const mounts = asRecords(container.volumeMounts).map(
      (mount) => `${asString(mount.mountPath)} from ${asString(mount.name)} (${mount.readOnly === true ? 'ro' : 'rw'})`,
    );
    writer.list(2, 'Mounts', mounts);
  }
}

function writeVolumes(writer: DescribeWriter, level: number, volumes: readonly JsonRecord[]): void {
  if (volumes.length === 0) {
    writer.field(level, 'Volumes', '<none>');
    return;
  }
  writer.line(level, 'Volumes:');
  for (const volume of volumes) {
    writer.line(level + 1, `${asString(volume.name)}:`);
    const sourceKey = Object.keys(volume).find((key) => key !== 'name');
    if (sourceKey === undefined) continue;
    writer.field(level + 2, 'Type', sourceKey.charAt(0).toUpperCase() + sourceKey.slice(1));
    for (const [key, value] of Object.entries(asRecord(volume[sourceKey]))) {
      if (typeof value !== 'object') writer.field(level + 2, key.charAt(0).toUpperCase() + key.slice(1), String(value));
    }
  }
}

function writePodTemplate(writer: DescribeWriter, template: JsonRecord): void {
  const metadata = asRecord(template.metadata);
  const podSpec = asRecord(template.spec);
  writer.line(0, 'Pod Template:');
  writer.map(1, 'Labels', metadata.labels, '=');
  if (Object.keys(asStringMap(metadata.annotations)).length > 0) writer.map(1, 'Annotations', metadata.annotations, ': ');
  const initContainers = asRecords(podSpec.initContainers);
  if (initContainers.length > 0) writeContainers(writer, 'Init Containers', initContainers, undefined);
  writeContainers(writer, 'Containers', asRecords(podSpec.containers), undefined);
  writeVolumes(writer, 1, asRecords(podSpec.volumes));
}

function conditionRows(object: ApiObject, fields: readonly string[]): string[][] {
  return asRecords(status(object).conditions).map((condition) =>
    fields.map((field) => (field.endsWith('Time') ? describeTimestamp(condition[field]) : asString(condition[field]))),
  );
}

// --- Kinds ---

function describePod(writer: DescribeWriter, object: ApiObject): void {
  const podSpec = spec(object);
  const podStatusRecord = status(object);
  writer.field(0, 'Name', asString(object.metadata.name));
  writer.field(0, 'Namespace', asString(object.metadata.namespace));
  if (podSpec.priority !== undefined) writer.field(0, 'Priority', asNumber(podSpec.priority));
  const node = asString(podSpec.nodeName);
  const hostIp = asString(podStatusRecord.hostIP);
  writer.field(0, 'Node', node === '' ? '<none>' : hostIp === '' ? node : `${node}/${hostIp}`);
  if (podStatusRecord.startTime !== undefined) writer.field(0, 'Start Time', describeTimestamp(podStatusRecord.startTime));
  writer.map(0, 'Labels', object.metadata.labels, '=');
  writer.map(0, 'Annotations', object.metadata.annotations, ': ');
  writer.field(0, 'CreationTimestamp', describeTimestamp(object.metadata.creationTimestamp));
  if (object.metadata.deletionTimestamp !== undefined) {
    writer.field(0, 'Status', `Terminating (lasts since ${describeTimestamp(object.metadata.deletionTimestamp)})`);
    if (object.metadata.deletionGracePeriodSeconds !== undefined) {
      writer.field(0, 'Termination Grace Period', `${object.metadata.deletionGracePeriodSeconds}s`);
    }
  } else {
    writer.field(0, 'Status', asString(podStatusRecord.phase) || podStatus(object).status);
  }
  if (asString(podStatusRecord.reason) !== '') writer.field(0, 'Reason', asString(podStatusRecord.reason));
  if (asString(podStatusRecord.message) !== '') writer.field(0, 'Message', asString(podStatusRecord.message));
  writer.field(0, 'IP', asString(podStatusRecord.podIP));
  const listedIps = asRecords(podStatusRecord.podIPs).map((entry) => asString(entry.ip));
  const podIps = listedIps.length === 0 && asString(podStatusRecord.podIP) !== '' ? [asString(podStatusRecord.podIP)] : listedIps;
  if (podIps.length === 0) writer.field(0, 'IPs', '<none>');
  else {
    writer.line(0, 'IPs:');
    for (const ip of podIps) writer.field(1, 'IP', ip);
  }
  writeControlledBy(writer, object);
  const initContainers = asRecords(podSpec.initContainers);
  if (initContainers.length > 0) writeContainers(writer, 'Init Containers', initContainers, asRecords(podStatusRecord.initContainerStatuses));
  writeContainers(writer, 'Containers', asRecords(podSpec.containers), asRecords(podStatusRecord.containerStatuses));
  const conditions = conditionRows(object, ['type', 'status']);
  if (conditions.length > 0) {
    writer.line(0, 'Conditions:');
    writer.line(1, 'Type\tStatus');
    for (const row of conditions) writer.line(1, row.join('\t'));
  }
  writeVolumes(writer, 0, asRecords(podSpec.volumes));
  if (asString(podStatusRecord.qosClass) !== '') writer.field(0, 'QoS Class', asString(podStatusRecord.qosClass));
  writer.list(
    0,
    'Node-Selectors',
    Object.entries(asStringMap(podSpec.nodeSelector))
      .sort(([a], [b]) => compareStrings(a, b))
      .map(([key, value]) => `${key}=${value}`),
  );
  writer.list(
    0,
    'Tolerations',
    asRecords(podSpec.tolerations).map((toleration) => {
      const key = asString(toleration.key);
      let text = key === '' && toleration.operator === 'Exists' ? 'op=Exists' : key;
      if (asString(toleration.value) !== '') text += `=${asString(toleration.value)}`;
      if (asString(toleration.effect) !== '') text += `:${asString(toleration.effect)}`;
      if (key !== '' && toleration.operator === 'Exists') text += ' op=Exists';
      if (toleration.tolerationSeconds !== undefined) text += ` for ${asNumber(toleration.tolerationSeconds)}s`;
      return text;
    }),
  );
}

function describeDeployment(writer: DescribeWriter, object: ApiObject): void {
  const deploymentSpec = spec(object);
  const deploymentStatus = status(object);
  writer.field(0, 'Name', asString(object.metadata.name));
  writer.field(0, 'Namespace', asString(object.metadata.namespace));
  writer.field(0, 'CreationTimestamp', describeTimestamp(object.metadata.creationTimestamp));
  writer.map(0, 'Labels', object.metadata.labels, '=');
  writer.map(0, 'Annotations', object.metadata.annotations, ': ');
  writer.field(0, 'Selector', formatLabelSelector(deploymentSpec.selector));
  writer.field(
    0,
    'Replicas',
    `${asNumber(deploymentSpec.replicas, 1)} desired | ${asNumber(deploymentStatus.updatedReplicas)} updated | ` +
      `${asNumber(deploymentStatus.replicas)} total | ${asNumber(deploymentStatus.availableReplicas)} available | ` +
      `${asNumber(deploymentStatus.unavailableReplicas)} unavailable`,
  );
  const strategy = asRecord(deploymentSpec.strategy);
  const strategyType = asString(strategy.type) || 'RollingUpdate';
  writer.field(0, 'StrategyType', strategyType);
  writer.field(0, 'MinReadySeconds', asNumber(deploymentSpec.minReadySeconds));
  if (strategyType === 'RollingUpdate') {
    const rollingUpdate = asRecord(strategy.rollingUpdate);
    const quantity = (value: unknown): string => (value === undefined ? '25%' : String(value));
    const maxUnavailable = quantity(rollingUpdate.maxUnavailable);
    writer.field(0, 'RollingUpdateStrategy', `${maxUnavailable} max unavailable, ${quantity(rollingUpdate.maxSurge)} max surge`);
  }
  writePodTemplate(writer, asRecord(deploymentSpec.template));
  const conditions = conditionRows(object, ['type', 'status', 'reason']);
  if (conditions.length > 0) {
    writer.line(0, 'Conditions:');
    writer.table(1, ['Type', 'Status', 'Reason'], conditions);
  }
}

function describeReplicaSet(writer: DescribeWriter, object: ApiObject, inputs: DescribeInputs): void {
  writer.field(0, 'Name', asString(object.metadata.name));
  writer.field(0, 'Namespace', asString(object.metadata.namespace));
  writer.field(0, 'Selector', formatLabelSelector(spec(object).selector));
  writer.map(0, 'Labels', object.metadata.labels, '=');
  writer.map(0, 'Annotations', object.metadata.annotations, ': ');
  writer.field(0, 'CreationTimestamp', describeTimestamp(object.metadata.creationTimestamp));
  writeControlledBy(writer, object);
  writer.field(0, 'Replicas', `${asNumber(status(object).replicas)} current / ${asNumber(spec(object).replicas, 1)} desired`);
  const phases = { Running: 0, Pending: 0, Succeeded: 0, Failed: 0 };
  for (const pod of inputs.pods ?? []) {
    const phase = asString(status(pod).phase) || 'Pending';
    if (phase in phases) phases[phase as keyof typeof phases]++;
  }
  writer.field(0, 'Pods Status', `${phases.Running} Running / ${phases.Pending} Waiting / ${phases.Succeeded} Succeeded / ${phases.Failed} Failed`);
  writePodTemplate(writer, asRecord(spec(object).template));
  const conditions = conditionRows(object, ['type', 'status', 'reason']);
  if (conditions.length > 0) {
    writer.line(0, 'Conditions:');
    writer.table(1, ['Type', 'Status', 'Reason'], conditions);
  }
}

function describeService(writer: DescribeWriter, object: ApiObject, inputs: DescribeInputs): void {
  const serviceSpec = spec(object);
  writeObjectHeader(writer, object, { namespaced: true });
  writer.field(0, 'Selector', formatLabels(serviceSpec.selector));
  const type = asString(serviceSpec.type) || 'ClusterIP';
  writer.field(0, 'Type', type);
  writer.field(0, 'IP', asString(serviceSpec.clusterIP) || '<none>');
  const externalIps = Array.isArray(serviceSpec.externalIPs) ? serviceSpec.externalIPs.map(String) : [];
  if (externalIps.length > 0) writer.field(0, 'External IPs', externalIps.join(','));
  if (type === 'ExternalName') writer.field(0, 'External Name', asString(serviceSpec.externalName));
  if (type === 'LoadBalancer') {
    const ingress = asRecords(asRecord(status(object).loadBalancer).ingress).map((entry) => asString(entry.ip) || asString(entry.hostname));
    writer.field(0, 'LoadBalancer Ingress', ingress.join(', '));
  }
  for (const port of asRecords(serviceSpec.ports)) {
    const name = asString(port.name) || '<unset>';
    const protocol = asString(port.protocol) || 'TCP';
    writer.field(0, 'Port', `${name}\t${asNumber(port.port)}/${protocol}`);
    const target = port.targetPort ?? port.port;
    writer.field(0, 'TargetPort', typeof target === 'number' ? `${target}/${protocol}` : String(target));
    if (asNumber(port.nodePort) > 0) writer.field(0, 'NodePort', `${name}\t${asNumber(port.nodePort)}/${protocol}`);
    writer.field(0, 'Endpoints', inputs.endpoints === undefined ? '<none>' : formatEndpoints(inputs.endpoints, new Set([asString(port.name)])));
  }
  writer.field(0, 'Session Affinity', asString(serviceSpec.sessionAffinity) || 'None');
}

function describeNode(writer: DescribeWriter, object: ApiObject): void {
  const nodeStatusRecord = status(object);
  writer.field(0, 'Name', asString(object.metadata.name));
  writer.field(0, 'Roles', nodeRoles(object));
  writer.map(0, 'Labels', object.metadata.labels, '=');
  writer.map(0, 'Annotations', object.metadata.annotations, ': ');
  writer.field(0, 'CreationTimestamp', describeTimestamp(object.metadata.creationTimestamp));
  writer.list(
    0,
    'Taints',
    asRecords(spec(object).taints).map(
      (taint) => `${asString(taint.key)}${asString(taint.value) === '' ? '' : `=${asString(taint.value)}`}:${asString(taint.effect)}`,
    ),
  );
  writer.field(0, 'Unschedulable', spec(object).unschedulable === true);
  const conditions = conditionRows(object, ['type', 'status', 'lastHeartbeatTime', 'lastTransitionTime', 'reason', 'message']);
  if (conditions.length > 0) {
    writer.line(0, 'Conditions:');
    writer.table(1, ['Type', 'Status', 'LastHeartbeatTime', 'LastTransitionTime', 'Reason', 'Message'], conditions);
  }
  const addresses = asRecords(nodeStatusRecord.addresses);
  if (addresses.length > 0) {
    writer.line(0, 'Addresses:');
    for (const address of addresses) writer.field(1, asString(address.type), asString(address.address));
  }
  for (const [title, field] of [['Capacity', 'capacity'], ['Allocatable', 'allocatable']] as const) {
    const entries = Object.entries(asRecord(nodeStatusRecord[field])).sort(([a], [b]) => compareStrings(a, b));
    if (entries.length === 0) continue;
    writer.line(0, `${title}:`);
    for (const [name, quantity] of entries) writer.field(1, name, String(quantity));
  }
  const info = asRecord(nodeStatusRecord.nodeInfo);
  const infoFields: readonly [string, string][] = [
    ['Machine ID', 'machineID'],
    ['System UUID', 'systemUUID'],
    ['Boot ID', 'bootID'],
    ['Kernel Version', 'kernelVersion'],
    ['OS Image', 'osImage'],
    ['Operating System', 'operatingSystem'],
    ['Architecture', 'architecture'],
    ['Container Runtime Version', 'containerRuntimeVersion'],
    ['Kubelet Version', 'kubeletVersion'],
  ];
  const present = infoFields.filter(([, field]) => info[field] !== undefined);
  if (present.length > 0) {
    writer.line(0, 'System Info:');
    for (const [title, field] of present) writer.field(1, title, asString(info[field]));
  }
  if (asString(spec(object).podCIDR) !== '') writer.field(0, 'PodCIDR', asString(spec(object).podCIDR));
}

function describeConfigMap(writer: DescribeWriter, object: ApiObject): void {
  writeObjectHeader(writer, object, { namespaced: true });
  writer.blank();
  writer.line(0, 'Data');
  writer.line(0, '====');
  for (const [key, value] of Object.entries(asStringMap(object.data)).sort(([a], [b]) => compareStrings(a, b))) {
    writer.line(0, `${key}:`);
    writer.line(0, '----');
    // A value's own tabs would be taken for cell separators.
    for (const text of value.split('\n')) writer.line(0, text.replace(/\t/g, '    '));
  }
  const binary = Object.entries(asStringMap(object.binaryData)).sort(([a], [b]) => compareStrings(a, b));
  if (binary.length > 0) {
    writer.blank();
    writer.line(0, 'BinaryData');
    writer.line(0, '====');
    for (const [key, value] of binary) writer.line(0, `${key}: ${Buffer.from(value, 'base64').length} bytes`);
  }
}

function describeSecret(writer: DescribeWriter, object: ApiObject): void {
  writeObjectHeader(writer, object, { namespaced: true });
  writer.blank();
  writer.field(0, 'Type', asString(object.type) || 'Opaque');
  writer.blank();
  writer.line(0, 'Data');
  writer.line(0, '====');
  // Sizes only: describe never prints secret values.
  for (const [key, value] of Object.entries(asStringMap(object.data)).sort(([a], [b]) => compareStrings(a, b))) {
    writer.field(0, key, `${Buffer.from(value, 'base64').length} bytes`);
  }
}

function describeNamespace(writer: DescribeWriter, object: ApiObject): void {
  writeObjectHeader(writer, object, { namespaced: false });
  writer.field(0, 'Status', asString(status(object).phase) || 'Active');
}

function describeGeneric(writer: DescribeWriter, object: ApiObject, namespaced: boolean): void {
  writeObjectHeader(writer, object, { namespaced });
  writeControlledBy(writer, object);
  for (const [key, value] of Object.entries(object)) {
    if (key === 'apiVersion' || key === 'kind' || key === 'metadata') continue;
    writer.yaml(0, key.charAt(0).toUpperCase() + key.slice(1), value);
  }
}

/** The whole `describe` text of one object, ending with a newline. */
export function describeObject(object: ApiObject, inputs: DescribeInputs): string {
  const writer = new DescribeWriter();
  const namespaced = resourceForKind(object.apiVersion, object.kind)?.namespaced ?? object.metadata.namespace !== undefined;
  switch (object.kind) {
    case 'Pod':
      describePod(writer, object);
      break;
    case 'Deployment':
      describeDeployment(writer, object);
      break;
    case 'ReplicaSet':
      describeReplicaSet(writer, object, inputs);
      break;
    case 'Service':
      describeService(writer, object, inputs);
      break;
    case 'Node':
      describeNode(writer, object);
      break;
    case 'ConfigMap':
      describeConfigMap(writer, object);
      break;
    case 'Secret':
      // kubectl shows no events for secrets.
      describeSecret(writer, object);
      return writer.toString();
    case 'Namespace':
      describeNamespace(writer, object);
      break;
    default:
      describeGeneric(writer, object, namespaced);
  }
  writeEvents(writer, inputs.events, inputs.now);
  return writer.toString();
}
