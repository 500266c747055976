/**
 * `kubectl get`'s tables, kind by kind: the columns kubectl 1.20 prints (those marked `wide`
 * only with `-o wide`, in the same place kubectl puts them), computed from the object alone
 * and the time `now` (for AGE).
 */
import type { ResourceInfo } from './resources.js';
import type { ApiObject } from './types.js';
import { age } from './human-duration.js';
import {
  asNumber,
  asRecord,
  asRecords,
  asString,
  asStringMap,
  compareStrings,
  formatLabelSelector,
  formatLabels,
  orNone,
  qualifiedName,
} from './object-fields.js';
import type { JsonRecord } from './object-fields.js';

/** `get endpoints` shows this many addresses, then ` + N more...` (kubectl's cut). */
export const ENDPOINTS_SHOWN_MAX = 3;

/** What a cell may depend on besides the object. */
export interface CellContext {
  readonly now: Date;
  /** The NAME cell's text: the name, or `pod/web` when several kinds are printed together. */
  readonly displayName: string;
}

interface Column {
  readonly header: string;
  /** Only with `-o wide`. */
  readonly wide?: boolean;
  readonly cell: (object: ApiObject, context: CellContext) => string;
}

const nameColumn: Column = { header: 'NAME', cell: (_object, context) => context.displayName };
const ageColumn: Column = { header: 'AGE', cell: (object, context) => age(object.metadata.creationTimestamp, context.now) };

function column(header: string, cell: (object: ApiObject, context: CellContext) => string, wide = false): Column {
  return { header, cell, wide };
}

const spec = (object: ApiObject): JsonRecord => asRecord(object.spec);
const status = (object: ApiObject): JsonRecord => asRecord(object.status);

// --- Pods ---

/** `ready/total` containers. */
export function podReady(object: ApiObject): string {
  const total = asRecords(spec(object).containers).length;
  const ready = asRecords(status(object).containerStatuses).filter((container) => container.ready === true).length;
  return `${ready}/${total}`;
}

function terminatedText(terminated: JsonRecord, prefix: string): string {
  if (asString(terminated.reason) !== '') return `${prefix}${asString(terminated.reason)}`;
  const signal = asNumber(terminated.signal);
  return signal !== 0 ? `${prefix}Signal:${signal}` : `${prefix}ExitCode:${asNumber(terminated.exitCode)}`;
}

/**
 * kubectl's STATUS of a pod and its RESTARTS: the phase (or the pod's `status.reason`),
 * overridden by the first init container not done (`Init:1/2`, `Init:CrashLoopBackOff`), else
 * by the last container waiting or terminated with a reason (`CrashLoopBackOff`,
 * `ErrImagePull`, `Completed`); `Terminating` once deletion has started.
 */
export function podStatus(object: ApiObject): { status: string; restarts: number } {
  const podStatusRecord = status(object);
  // Kubernetes' API server sets phase Pending at create; a pod without a phase has not been seen yet.
  let reason = asString(podStatusRecord.reason) || asString(podStatusRecord.phase) || 'Pending';
  let restarts = 0;
  let initializing = false;
  const initStatuses = asRecords(podStatusRecord.initContainerStatuses);
  const initCount = asRecords(spec(object).initContainers).length;
  for (const [index, container] of initStatuses.entries()) {
    restarts += asNumber(container.restartCount);
    const state = asRecord(container.state);
    const terminated = asRecord(state.terminated);
    const waiting = asRecord(state.waiting);
    if (state.terminated !== undefined && asNumber(terminated.exitCode) === 0) continue;
    initializing = true;
    if (state.terminated !== undefined) reason = terminatedText(terminated, 'Init:');
    else if (asString(waiting.reason) !== '' && waiting.reason !== 'PodInitializing') reason = `Init:${asString(waiting.reason)}`;
    else reason = `Init:${index}/${initCount || initStatuses.length}`;
    break;
  }
  if (!initializing) {
    restarts = 0;
    let hasRunning = false;
    for (const container of [...asRecords(podStatusRecord.containerStatuses)].reverse()) {
      restarts += asNumber(container.restartCount);
      const state = asRecord(container.state);
      const waiting = asRecord(state.waiting);
      const terminated = asRecord(state.terminated);
      if (asString(waiting.reason) !== '') reason = asString(waiting.reason);
      else if (state.terminated !== undefined) reason = terminatedText(terminated, '');
      else if (state.running !== undefined && container.ready === true) hasRunning = true;
    }
    // A pod whose last container completed but another still runs is still running.
    if (reason === 'Completed' && hasRunning) reason = 'Running';
  }
  if (object.metadata.deletionTimestamp !== undefined) reason = podStatusRecord.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  return { status: reason, restarts };
}

function readinessGates(object: ApiObject): string {
  const gates = asRecords(spec(object).readinessGates);
  if (gates.length === 0) return '<none>';
  const conditions = asRecords(status(object).conditions);
  const passed = gates.filter((gate) =>
    conditions.some((condition) => condition.type === gate.conditionType && condition.status === 'True'),
  ).length;
  return `${passed}/${gates.length}`;
}

const podColumns: readonly Column[] = [
  nameColumn,
  column('READY', podReady),
  column('STATUS', (object) => podStatus(object).status),
  column('RESTARTS', (object) => String(podStatus(object).restarts)),
  ageColumn,
  column('IP', (object) => orNone(asString(status(object).podIP)), true),
  column('NODE', (object) => orNone(asString(spec(object).nodeName)), true),
  column('NOMINATED NODE', (object) => orNone(asString(status(object).nominatedNodeName)), true),
  column('READINESS GATES', readinessGates, true),
];

// --- Workloads ---

function templateContainers(object: ApiObject): JsonRecord[] {
  return asRecords(asRecord(asRecord(spec(object).template).spec).containers);
}

const workloadWideColumns: readonly Column[] = [
  column('CONTAINERS', (object) => templateContainers(object).map((container) => asString(container.name)).join(','), true),
  column('IMAGES', (object) => templateContainers(object).map((container) => asString(container.image)).join(','), true),
  column('SELECTOR', (object) => formatLabelSelector(spec(object).selector), true),
];

/** `spec.replicas`, which Kubernetes defaults to 1. */
function desiredReplicas(object: ApiObject): number {
  return asNumber(spec(object).replicas, 1);
}

const deploymentColumns: readonly Column[] = [
  nameColumn,
  column('READY', (object) => `${asNumber(status(object).readyReplicas)}/${desiredReplicas(object)}`),
  column('UP-TO-DATE', (object) => String(asNumber(status(object).updatedReplicas))),
  column('AVAILABLE', (object) => String(asNumber(status(object).availableReplicas))),
  ageColumn,
  ...workloadWideColumns,
];

const replicaSetColumns: readonly Column[] = [
  nameColumn,
  column('DESIRED', (object) => String(desiredReplicas(object))),
  column('CURRENT', (object) => String(asNumber(status(object).replicas))),
  column('READY', (object) => String(asNumber(status(object).readyReplicas))),
  ageColumn,
  ...workloadWideColumns,
];

// --- Services and endpoints ---

/** `80/TCP`, `80:30080/TCP` for each port, comma-separated; `<none>` without ports. */
export function servicePorts(object: ApiObject): string {
  const ports = asRecords(spec(object).ports).map((port) => {
    const nodePort = asNumber(port.nodePort);
    return `${asNumber(port.port)}${nodePort > 0 ? `:${nodePort}` : ''}/${asString(port.protocol, 'TCP') || 'TCP'}`;
  });
  return orNone(ports.join(','));
}

/** kubectl's EXTERNAL-IP: external IPs, a load balancer's ingress (`<pending>` until it has one), or an ExternalName. */
export function serviceExternalIp(object: ApiObject): string {
  const serviceSpec = spec(object);
  const externalIps = Array.isArray(serviceSpec.externalIPs) ? serviceSpec.externalIPs.map(String) : [];
  const type = asString(serviceSpec.type, 'ClusterIP') || 'ClusterIP';
  switch (type) {
    case 'ClusterIP':
    case 'NodePort':
      return orNone(externalIps.join(','));
    case 'LoadBalancer': {
      const ingress = asRecords(asRecord(status(object).loadBalancer).ingress)
        .map((entry) => asString(entry.ip) || asString(entry.hostname))
        .filter((address) => address !== '');
      const all = [...ingress, ...externalIps];
      return all.length === 0 ? '<pending>' : all.join(',');
    }
    case 'ExternalName':
      return asString(serviceSpec.externalName);
    default:
      return '<unknown>';
  }
}

const serviceColumns: readonly Column[] = [
  nameColumn,
  column('TYPE', (object) => asString(spec(object).type, 'ClusterIP') || 'ClusterIP'),
  column('CLUSTER-IP', (object) => orNone(asString(spec(object).clusterIP))),
  column('EXTERNAL-IP', serviceExternalIp),
  column('PORT(S)', servicePorts),
  ageColumn,
  column('SELECTOR', (object) => formatLabels(spec(object).selector), true),
];

/**
 * `10.0.0.1:80,10.0.0.2:80` over every subset (ready addresses only), cut after
 * `ENDPOINTS_SHOWN_MAX` with ` + N more...`; only the ports named in `portNames` when given
 * (describe service shows each port's own endpoints). `<none>` when there are none.
 */
export function formatEndpoints(object: ApiObject, portNames?: ReadonlySet<string>): string {
  const shown: string[] = [];
  let count = 0;
  const add = (address: string): void => {
    if (shown.length < ENDPOINTS_SHOWN_MAX) shown.push(address);
    count++;
  };
  for (const subset of asRecords(object.subsets)) {
    const addresses = asRecords(subset.addresses).map((address) => asString(address.ip));
    const ports = asRecords(subset.ports);
    if (ports.length === 0) {
      // A headless service may have addresses without ports.
      for (const address of addresses) add(address);
      continue;
    }
    for (const port of ports) {
      if (portNames !== undefined && !portNames.has(asString(port.name))) continue;
      for (const address of addresses) add(address.includes(':') ? `[${address}]:${asNumber(port.port)}` : `${address}:${asNumber(port.port)}`);
    }
  }
  if (shown.length === 0) return '<none>';
  return count > shown.length ? `${shown.join(',')} + ${count - shown.length} more...` : shown.join(',');
}

const endpointsColumns: readonly Column[] = [nameColumn, column('ENDPOINTS', (object) => formatEndpoints(object)), ageColumn];

// --- Nodes and namespaces ---

/** `Ready`, `NotReady` or `Unknown` (no Ready condition), then `,SchedulingDisabled` when cordoned. */
export function nodeStatus(object: ApiObject): string {
  const ready = asRecords(status(object).conditions).find((condition) => condition.type === 'Ready');
  const parts = [ready === undefined ? 'Unknown' : ready.status === 'True' ? 'Ready' : 'NotReady'];
  if (spec(object).unschedulable === true) parts.push('SchedulingDisabled');
  return parts.join(',');
}

const NODE_ROLE_PREFIX = 'node-role.kubernetes.io/';

/** From `node-role.kubernetes.io/<role>` labels and `kubernetes.io/role`, sorted; `<none>`. */
export function nodeRoles(object: ApiObject): string {
  const roles = new Set<string>();
  for (const [key, value] of Object.entries(asStringMap(object.metadata.labels))) {
    if (key.startsWith(NODE_ROLE_PREFIX) && key.length > NODE_ROLE_PREFIX.length) roles.add(key.slice(NODE_ROLE_PREFIX.length));
    else if (key === 'kubernetes.io/role' && value !== '') roles.add(value);
  }
  return orNone([...roles].sort(compareStrings).join(','));
}

function nodeAddress(object: ApiObject, type: string): string {
  const address = asRecords(status(object).addresses).find((entry) => entry.type === type);
  return orNone(asString(address?.address));
}

function nodeInfo(object: ApiObject, field: string): string {
  return asString(asRecord(status(object).nodeInfo)[field]) || '<unknown>';
}

const nodeColumns: readonly Column[] = [
  nameColumn,
  column('STATUS', nodeStatus),
  column('ROLES', nodeRoles),
  ageColumn,
  column('VERSION', (object) => asString(asRecord(status(object).nodeInfo).kubeletVersion)),
  column('INTERNAL-IP', (object) => nodeAddress(object, 'InternalIP'), true),
  column('EXTERNAL-IP', (object) => nodeAddress(object, 'ExternalIP'), true),
  column('OS-IMAGE', (object) => nodeInfo(object, 'osImage'), true),
  column('KERNEL-VERSION', (object) => nodeInfo(object, 'kernelVersion'), true),
  column('CONTAINER-RUNTIME', (object) => nodeInfo(object, 'containerRuntimeVersion'), true),
];

// The API server sets a namespace's phase to Active at create, as Kubernetes does.
const namespaceColumns: readonly Column[] = [nameColumn, column('STATUS', (object) => asString(status(object).phase) || 'Active'), ageColumn];

// --- Configuration ---

const configMapColumns: readonly Column[] = [
  nameColumn,
  column('DATA', (object) => String(Object.keys(asRecord(object.data)).length + Object.keys(asRecord(object.binaryData)).length)),
  ageColumn,
];

const secretColumns: readonly Column[] = [
  nameColumn,
  column('TYPE', (object) => asString(object.type) || 'Opaque'),
  column('DATA', (object) => String(Object.keys(asRecord(object.data)).length)),
  ageColumn,
];

// --- Events and leases ---

/** `pod/web`: the involved object's kind, lower case, and name. */
export function eventObject(object: ApiObject): string {
  const involved = asRecord(object.involvedObject);
  const kind = asString(involved.kind).toLowerCase();
  return asString(involved.name) === '' ? kind : `${kind}/${asString(involved.name)}`;
}

/** `component, host`, as kubectl shows an event's source. */
export function eventSource(object: ApiObject): string {
  const source = asRecord(object.source);
  const host = asString(source.host);
  return host === '' ? asString(source.component) : `${asString(source.component)}, ${host}`;
}

function eventFirstSeen(object: ApiObject, now: Date): string {
  return age(asString(object.firstTimestamp) || asString(object.eventTime), now);
}

function eventLastSeen(object: ApiObject, now: Date): string {
  return asString(object.lastTimestamp) === '' ? eventFirstSeen(object, now) : age(object.lastTimestamp, now);
}

const eventColumns: readonly Column[] = [
  column('LAST SEEN', (object, context) => eventLastSeen(object, context.now)),
  column('TYPE', (object) => asString(object.type)),
  column('REASON', (object) => asString(object.reason)),
  column('OBJECT', eventObject),
  column('SUBOBJECT', (object) => asString(asRecord(object.involvedObject).fieldPath), true),
  column('SOURCE', eventSource, true),
  column('MESSAGE', (object) => asString(object.message).trim()),
  column('FIRST SEEN', (object, context) => eventFirstSeen(object, context.now), true),
  column('COUNT', (object) => String(asNumber(object.count, 1) || 1), true),
  column('NAME', (_object, context) => context.displayName, true),
];

const leaseColumns: readonly Column[] = [nameColumn, column('HOLDER', (object) => asString(spec(object).holderIdentity)), ageColumn];

const defaultColumns: readonly Column[] = [nameColumn, ageColumn];

const COLUMNS_BY_KIND: Readonly<Record<string, readonly Column[]>> = {
  Pod: podColumns,
  Deployment: deploymentColumns,
  ReplicaSet: replicaSetColumns,
  Service: serviceColumns,
  Endpoints: endpointsColumns,
  Node: nodeColumns,
  Namespace: namespaceColumns,
  ConfigMap: configMapColumns,
  Secret: secretColumns,
  Event: eventColumns,
  Lease: leaseColumns,
};

export interface TableOptions {
  readonly info: ResourceInfo;
  /** `-o wide`. */
  readonly wide: boolean;
  /** `-A`: a NAMESPACE column first (namespaced kinds only). */
  readonly withNamespace: boolean;
  /** Several kinds printed together: names read `pod/web`. */
  readonly withKind: boolean;
  /** `--show-labels`: a LABELS column last. */
  readonly showLabels: boolean;
  readonly now: Date;
}

function columnsFor(options: TableOptions): Column[] {
  const columns = (COLUMNS_BY_KIND[options.info.kind] ?? defaultColumns).filter((candidate) => options.wide || candidate.wide !== true);
  if (options.withNamespace && options.info.namespaced) {
    columns.unshift(column('NAMESPACE', (object) => asString(object.metadata.namespace)));
  }
  if (options.showLabels) columns.push(column('LABELS', (object) => formatLabels(object.metadata.labels)));
  return columns;
}

/** The header row of the table `options` describe. */
export function tableHeader(options: TableOptions): string[] {
  return columnsFor(options).map((candidate) => candidate.header);
}

/** One row per object, in order. */
export function tableRows(objects: readonly ApiObject[], options: TableOptions): string[][] {
  const columns = columnsFor(options);
  return objects.map((object) => {
    const name = asString(object.metadata.name);
    const context: CellContext = { now: options.now, displayName: options.withKind ? qualifiedName(options.info, name) : name };
    return columns.map((candidate) => candidate.cell(object, context));
  });
}

/** A column of a server-side Table (`meta.k8s.io/v1`), as Kubernetes describes it. */
export interface TableColumnDefinition {
  /** `Nominated Node`: clients print it upper-cased. */
  readonly name: string;
  readonly type: 'string';
  /** `name` for the column holding the object's name (kubectl prefixes it with the kind), else ''. */
  readonly format: string;
  readonly description: string;
  /** 0: always shown; 1: only with `-o wide`. */
  readonly priority: number;
}

/** Kubernetes' column names that the general rule (`columnTitle`) does not give. */
const COLUMN_TITLES: Readonly<Record<string, string>> = { 'UP-TO-DATE': 'Up-to-date' };

/** `NOMINATED NODE` → `Nominated Node`, `KERNEL-VERSION` → `Kernel-Version`, `CLUSTER-IP` → `Cluster-IP`: Kubernetes' names of the columns. */
function columnTitle(header: string): string {
  const known = COLUMN_TITLES[header];
  if (known !== undefined) return known;
  const capitalized = (part: string): string => (part === 'IP' || part === 'OS' ? part : part.charAt(0) + part.slice(1).toLowerCase());
  return header
    .split(' ')
    .map((word) => word.split('-').map(capitalized).join('-'))
    .join(' ');
}

/** Every column of `info`'s table, the wide ones at priority 1: what the API server answers to `as=Table`. */
export function tableColumnDefinitions(info: ResourceInfo): TableColumnDefinition[] {
  return (COLUMNS_BY_KIND[info.kind] ?? defaultColumns).map((candidate) => ({
    name: columnTitle(candidate.header),
    type: 'string',
    format: candidate.header === 'NAME' ? 'name' : '',
    description: '',
    priority: candidate.wide === true ? 1 : 0,
  }));
}

/** The cells of `object`'s row under `tableColumnDefinitions(info)`, in the same order. */
export function tableCells(info: ResourceInfo, object: ApiObject, now: Date): string[] {
  const context: CellContext = { now, displayName: asString(object.metadata.name) };
  return (COLUMNS_BY_KIND[info.kind] ?? defaultColumns).map((candidate) => candidate.cell(object, context));
}
