/**
 * What the scheduler reads of a pod, parsed once per version of it: its requests, its
 * constraints (node selector, node affinity, tolerations, pod anti-affinity) and the owner
 * its replicas share. Filters and scores run for hundreds of nodes per pod and must only
 * look these up, never parse.
 */
import { parseQuantity } from '../api/quantity.js';
import { labelSelectorFromObject, matchesLabels } from '../api/selectors.js';
import type { LabelSelector, LabelSelectorObject } from '../api/selectors.js';
import type { ApiObject } from '../api/types.js';
import { objectKey } from '../client/informer.js';
import { DEFAULT_SCHEDULER_NAME, DEFAULT_SCORING_MEMORY_BYTES, DEFAULT_SCORING_MILLI_CPU } from './constants.js';
import { parseNodeSelectorTerms, parsePreferredTerms } from './node-selector.js';
import type { NodeSelectorTerm, PreferredNodeSelectorTerm } from './node-selector.js';
import { parseTolerations } from '../api/taints.js';
import type { Toleration } from '../api/taints.js';

/** CPU in millicores (integers, so that sums are exact), memory in bytes. */
export interface Resources {
  readonly milliCpu: number;
  readonly memoryBytes: number;
}

/** A required term of pod (anti-)affinity: pods matching `selector` in `namespaces`, per domain of `topologyKey`. */
export interface PodAffinityTerm {
  /** null: matches no pod (the term had no selector, or one that does not parse). */
  readonly selector: LabelSelector | null;
  /** null: every namespace. */
  readonly namespaces: ReadonlySet<string> | null;
  /** A node label (`kubernetes.io/hostname`, `topology.kubernetes.io/zone`): nodes with equal values are one domain. */
  readonly topologyKey: string;
}

export interface PodInfo {
  /** `namespace/name`. */
  readonly key: string;
  /** The object this was parsed from (shared with the informer's cache: never modify it). */
  readonly pod: ApiObject;
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** `spec.priority` (0 when absent): higher is scheduled first. */
  readonly priority: number;
  /** `metadata.creationTimestamp` in ms since the epoch (0 when absent). */
  readonly createdAtMs: number;
  /** What the pod reserves on its node: containers summed, or the largest init container if more. */
  readonly requests: Resources;
  /** `requests` with a default for each resource the pod does not request: what scores count. */
  readonly scoringRequests: Resources;
  /** `spec.nodeSelector`, as [label, value] pairs the node must all have. */
  readonly nodeSelector: readonly (readonly [string, string])[];
  /** Required node affinity terms (ORed), or null when the pod has none. */
  readonly requiredNodeAffinity: readonly NodeSelectorTerm[] | null;
  readonly preferredNodeAffinity: readonly PreferredNodeSelectorTerm[];
  readonly tolerations: readonly Toleration[];
  /** Required pod anti-affinity terms. */
  readonly requiredAntiAffinity: readonly PodAffinityTerm[];
  /** The uid of the controller owning the pod (its ReplicaSet, say), whose pods are spread across nodes; null when none. */
  readonly controllerUid: string | null;
}

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function records(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

/**
 * Quantities already parsed: a cluster's pods repeat a handful of request texts (`100m`,
 * `128Mi`), and every pod is parsed a few times (queued, scheduled, seen bound).
 */
const parsedQuantities = new Map<string, number>();
const PARSED_QUANTITIES_MAX = 4096;

/** A quantity the API server validated; anything unreadable counts as nothing. */
function quantity(value: unknown): number {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.max(0, value) : 0;
  if (typeof value !== 'string') return 0;
  let parsed = parsedQuantities.get(value);
  if (parsed === undefined) {
    try {
      parsed = Math.max(0, parseQuantity(value));
    } catch {
      parsed = 0;
    }
    if (parsedQuantities.size >= PARSED_QUANTITIES_MAX) parsedQuantities.clear();
    parsedQuantities.set(value, parsed);
  }
  return parsed;
}

/** Cores to millicores, rounded up as Kubernetes' `MilliValue` does (`0.0001` is 1m). */
export function milliCpuOf(value: unknown): number {
  // Through micro-cores first, so that 0.1 × 1000 = 100.00000000000001 does not round up to 101.
  return Math.ceil(Math.round(quantity(value) * 1e6) / 1000);
}

export function memoryBytesOf(value: unknown): number {
  return Math.ceil(quantity(value));
}

function containerRequests(container: Json): { milliCpu: number; memoryBytes: number; hasCpu: boolean; hasMemory: boolean } {
  const requests = isRecord(container.resources) && isRecord(container.resources.requests) ? container.resources.requests : {};
  return {
    milliCpu: milliCpuOf(requests.cpu),
    memoryBytes: memoryBytesOf(requests.memory),
    hasCpu: requests.cpu !== undefined,
    hasMemory: requests.memory !== undefined,
  };
}

/**
 * Requests as Kubernetes computes them: the containers run together, so their requests add
 * up; init containers run one at a time before them, so the pod needs the largest of those
 * at most. `scoringRequests` gives each container that requests nothing of a resource the
 * scoring default, as kube-scheduler's non-zero requests do.
 */
function podRequests(spec: Json): { requests: Resources; scoringRequests: Resources } {
  let milliCpu = 0;
  let memoryBytes = 0;
  let scoringMilliCpu = 0;
  let scoringMemoryBytes = 0;
  for (const container of records(spec.containers)) {
    const each = containerRequests(container);
    milliCpu += each.milliCpu;
    memoryBytes += each.memoryBytes;
    scoringMilliCpu += each.hasCpu ? each.milliCpu : DEFAULT_SCORING_MILLI_CPU;
    scoringMemoryBytes += each.hasMemory ? each.memoryBytes : DEFAULT_SCORING_MEMORY_BYTES;
  }
  for (const container of records(spec.initContainers)) {
    const each = containerRequests(container);
    milliCpu = Math.max(milliCpu, each.milliCpu);
    memoryBytes = Math.max(memoryBytes, each.memoryBytes);
    scoringMilliCpu = Math.max(scoringMilliCpu, each.milliCpu);
    scoringMemoryBytes = Math.max(scoringMemoryBytes, each.memoryBytes);
  }
  return { requests: { milliCpu, memoryBytes }, scoringRequests: { milliCpu: scoringMilliCpu, memoryBytes: scoringMemoryBytes } };
}

function parseSelector(value: unknown): LabelSelector | null {
  if (!isRecord(value)) return null;
  try {
    return labelSelectorFromObject(value as LabelSelectorObject);
  } catch {
    return null;
  }
}

/**
 * Required anti-affinity terms. Namespaces: those listed, else the pod's own; an empty
 * `namespaceSelector` (`{}`) means every namespace. A non-empty `namespaceSelector` would
 * need the namespaces' labels, which this scheduler does not watch: it is read as every
 * namespace, which can only keep pods further apart than asked, never closer.
 */
function parseAntiAffinity(affinity: Json, namespace: string): PodAffinityTerm[] {
  const antiAffinity = isRecord(affinity.podAntiAffinity) ? affinity.podAntiAffinity : {};
  const terms: PodAffinityTerm[] = [];
  for (const term of records(antiAffinity.requiredDuringSchedulingIgnoredDuringExecution)) {
    const listed = Array.isArray(term.namespaces) ? term.namespaces.filter((item): item is string => typeof item === 'string') : [];
    const everyNamespace = isRecord(term.namespaceSelector);
    terms.push({
      selector: parseSelector(term.labelSelector),
      namespaces: everyNamespace ? null : new Set(listed.length > 0 ? listed : [namespace]),
      topologyKey: typeof term.topologyKey === 'string' ? term.topologyKey : '',
    });
  }
  return terms;
}

function controllerUidOf(pod: ApiObject): string | null {
  for (const owner of pod.metadata.ownerReferences ?? []) if (owner.controller === true && typeof owner.uid === 'string') return owner.uid;
  return null;
}

function stringPairs(value: unknown): [string, string][] {
  if (!isRecord(value)) return [];
  return Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string');
}

/** Parses a pod (any pod: pending or bound). */
export function podInfoOf(pod: ApiObject): PodInfo {
  const spec = isRecord(pod.spec) ? pod.spec : {};
  const namespace = pod.metadata.namespace ?? 'default';
  const affinity = isRecord(spec.affinity) ? spec.affinity : {};
  const nodeAffinity = isRecord(affinity.nodeAffinity) ? affinity.nodeAffinity : {};
  const required = nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution;
  const created = pod.metadata.creationTimestamp === undefined ? NaN : Date.parse(pod.metadata.creationTimestamp);
  return {
    key: objectKey(pod),
    pod,
    namespace,
    name: pod.metadata.name ?? '',
    labels: pod.metadata.labels ?? {},
    priority: typeof spec.priority === 'number' && Number.isFinite(spec.priority) ? spec.priority : 0,
    createdAtMs: Number.isFinite(created) ? created : 0,
    ...podRequests(spec),
    nodeSelector: stringPairs(spec.nodeSelector),
    requiredNodeAffinity: isRecord(required) ? parseNodeSelectorTerms(required.nodeSelectorTerms) : null,
    preferredNodeAffinity: parsePreferredTerms(nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution),
    tolerations: parseTolerations(spec.tolerations),
    requiredAntiAffinity: parseAntiAffinity(affinity, namespace),
    controllerUid: controllerUidOf(pod),
  };
}

/** Whether `term` selects `pod` (by namespace, then labels). */
export function termMatchesPod(term: PodAffinityTerm, pod: PodInfo): boolean {
  if (term.selector === null) return false;
  if (term.namespaces !== null && !term.namespaces.has(pod.namespace)) return false;
  return matchesLabels(term.selector, pod.labels);
}

const TERMINAL_PHASES: ReadonlySet<string> = new Set(['Succeeded', 'Failed']);

/** Whether the pod has finished (its resources are free again). */
export function isTerminal(pod: ApiObject): boolean {
  const phase = pod.status?.phase;
  return typeof phase === 'string' && TERMINAL_PHASES.has(phase);
}

/** The node the pod is bound to, or '' when none. */
export function boundNodeOf(pod: ApiObject): string {
  const nodeName = pod.spec?.nodeName;
  return typeof nodeName === 'string' ? nodeName : '';
}

/**
 * Whether the pod waits for this scheduler: its `schedulerName` (empty means the default
 * scheduler), no node yet, not being deleted, not finished.
 */
export function isPendingFor(pod: ApiObject, schedulerName: string): boolean {
  const name = pod.spec?.schedulerName;
  const wanted = typeof name !== 'string' || name === '' ? schedulerName === DEFAULT_SCHEDULER_NAME : name === schedulerName;
  return wanted && boundNodeOf(pod) === '' && pod.metadata.deletionTimestamp === undefined && !isTerminal(pod);
}
