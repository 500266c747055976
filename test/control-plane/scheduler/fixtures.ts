/**
 * Nodes and pods for the scheduler's tests, built as the API server stores them (the
 * fields the scheduler reads), and `NodeInfo`s and caches made of them.
 */
import type { ApiObject } from '../../../control-plane/api/types.js';
import type { NodeInfo } from '../../../control-plane/scheduler/node-info.js';
import { podInfoOf } from '../../../control-plane/scheduler/pod-info.js';
import type { PodInfo } from '../../../control-plane/scheduler/pod-info.js';
import { SchedulerCache } from '../../../control-plane/scheduler/scheduler-cache.js';

export interface NodeShape {
  cpu?: string;
  memory?: string;
  pods?: number;
  labels?: Record<string, string>;
  taints?: { key: string; value?: string; effect: string }[];
  ready?: boolean;
  unschedulable?: boolean;
  /** Leave `status.allocatable` out and report only `status.capacity`. */
  capacityOnly?: boolean;
}

export function makeNode(name: string, shape: NodeShape = {}): ApiObject {
  const resources = { cpu: shape.cpu ?? '4', memory: shape.memory ?? '8Gi', pods: String(shape.pods ?? 110) };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...shape.labels } },
    spec: { ...(shape.taints ? { taints: shape.taints } : {}), ...(shape.unschedulable ? { unschedulable: true } : {}) },
    status: {
      capacity: resources,
      ...(shape.capacityOnly ? {} : { allocatable: resources }),
      conditions: [{ type: 'Ready', status: shape.ready === false ? 'False' : 'True' }],
    },
  };
}

export interface PodShape {
  namespace?: string;
  cpu?: string;
  memory?: string;
  labels?: Record<string, string>;
  nodeSelector?: Record<string, string>;
  affinity?: Record<string, unknown>;
  tolerations?: Record<string, unknown>[];
  /** The uid of the ReplicaSet that controls it. */
  owner?: string;
  priority?: number;
  nodeName?: string;
  createdAt?: string;
  schedulerName?: string;
  phase?: string;
}

export function makePod(name: string, shape: PodShape = {}): ApiObject {
  const requests: Record<string, string> = {};
  if (shape.cpu !== undefined) requests.cpu = shape.cpu;
  if (shape.memory !== undefined) requests.memory = shape.memory;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: shape.namespace ?? 'default',
      uid: `uid-${name}`,
      resourceVersion: '1',
      creationTimestamp: shape.createdAt ?? '2026-12-02T00:00:00Z',
      ...(shape.labels ? { labels: shape.labels } : {}),
      ...(shape.owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: shape.owner, controller: true }] } : {}),
    },
    spec: {
      containers: [{ name: 'app', image: 'app:1', ...(Object.keys(requests).length > 0 ? { resources: { requests } } : {}) }],
      schedulerName: shape.schedulerName ?? 'default-scheduler',
      ...(shape.nodeSelector ? { nodeSelector: shape.nodeSelector } : {}),
      ...(shape.affinity ? { affinity: shape.affinity } : {}),
      ...(shape.tolerations ? { tolerations: shape.tolerations } : {}),
      ...(shape.priority !== undefined ? { priority: shape.priority } : {}),
      ...(shape.nodeName ? { nodeName: shape.nodeName } : {}),
    },
    status: { phase: shape.phase ?? 'Pending' },
  };
}

export function pod(name: string, shape: PodShape = {}): PodInfo {
  return podInfoOf(makePod(name, shape));
}

/** A cache holding these nodes, with each `[pod, node]` bound. */
export function cacheOf(nodes: readonly ApiObject[], bound: readonly (readonly [ApiObject, string])[] = []): SchedulerCache {
  const cache = new SchedulerCache();
  for (const node of nodes) cache.setNode(node);
  for (const [object, nodeName] of bound) cache.addOrUpdatePod(podInfoOf(object), nodeName);
  return cache;
}

/** The NodeInfo of one node with these pods on it. */
export function nodeInfo(node: ApiObject, pods: readonly ApiObject[] = []): NodeInfo {
  const cache = cacheOf([node], pods.map((object) => [object, node.metadata.name!] as const));
  return cache.nodeInfo(node.metadata.name!)!;
}
