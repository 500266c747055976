/**
 * What the lifecycle controllers' tests share: a real one-member Balsa KV with an in-process
 * API server and a gRPC client to it, controllers run over shared informers the way the
 * controller manager runs them, and builders for the objects the tests create (namespaces,
 * fake nodes whose heartbeat the test renews or not, pods, services). Set
 * `BALSA_TEST_LOG=1` to see the controllers' log lines.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resourceByName } from '../../../control-plane/api/resources.js';
import type { ApiObject } from '../../../control-plane/api/types.js';
import { ApiServer } from '../../../control-plane/apiserver/api-server.js';
import { ApiError } from '../../../control-plane/apiserver/errors.js';
import { EventRecorder } from '../../../control-plane/client/event-recorder.js';
import { GrpcApiClient } from '../../../control-plane/client/grpc-api-client.js';
import { InformerFactory } from '../../../control-plane/client/informer-factory.js';
import type { Controller, ControllerContext } from '../../../control-plane/controllers/controller.js';
import { eventually } from '../../support/eventually.js';
import { startKvCluster } from '../../support/kv-cluster.js';
import type { KvCluster } from '../../support/kv-cluster.js';

export const NAMESPACES = resourceByName('namespaces')!;
export const NODES = resourceByName('nodes')!;
export const PODS = resourceByName('pods')!;
export const SERVICES = resourceByName('services')!;
export const ENDPOINTS = resourceByName('endpoints')!;
export const LEASES = resourceByName('leases')!;
export const EVENTS = resourceByName('events')!;
export const REPLICASETS = resourceByName('replicasets')!;
export const DEPLOYMENTS = resourceByName('deployments')!;
export const CONFIGMAPS = resourceByName('configmaps')!;

const log = process.env.BALSA_TEST_LOG ? (line: string) => console.log(line) : () => {};

export interface LifecycleCluster {
  readonly api: ApiServer;
  readonly client: GrpcApiClient;
  stop(): Promise<void>;
}

/** A one-member KV, an API server on it (ready: the system namespaces exist) and a client. */
export async function startLifecycleCluster(): Promise<LifecycleCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'balsa-lifecycle-'));
  let kv: KvCluster | undefined;
  let api: ApiServer | undefined;
  let client: GrpcApiClient | undefined;
  const stop = async (): Promise<void> => {
    client?.close();
    await api?.stop();
    await kv?.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    kv = await startKvCluster({ members: 1, dir });
    api = await ApiServer.start({ kvEndpoints: kv.clientEndpoints, httpPort: 0, grpcPort: 0 });
    const server = api;
    await eventually(() => server.ready());
    client = new GrpcApiClient(api.grpc.address);
    const ready = client;
    await eventually(() => ready.get(NAMESPACES, undefined, 'default'));
    return { api, client, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

export interface RunningControllers {
  readonly context: ControllerContext;
  stop(): Promise<void>;
}

/** Starts the controllers over one informer factory, as the controller manager does; resolves once the caches are filled. */
export async function runControllers(client: GrpcApiClient, controllers: readonly Controller[], now: () => Date = () => new Date()): Promise<RunningControllers> {
  const informers = new InformerFactory(client, log);
  const context: ControllerContext = { client, informers, recorder: (component) => new EventRecorder(client, component, log), log, now };
  await Promise.all([...controllers.map((controller) => controller.start(context)), informers.start()]);
  return {
    context,
    stop: async () => {
      await Promise.all(controllers.map((controller) => controller.stop()));
      informers.stop();
    },
  };
}

let namespaceCount = 0;
/** A fresh namespace, so that tests do not see each other's objects. */
export async function freshNamespace(client: GrpcApiClient, prefix = 't'): Promise<string> {
  const name = `${prefix}${++namespaceCount}-${Date.now().toString(36)}`;
  await client.create(NAMESPACES, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  return name;
}

/** Creates `name` if it is missing (a system namespace another version of the API server may not create). */
export async function ensureNamespace(client: GrpcApiClient, name: string): Promise<void> {
  try {
    await client.create(NAMESPACES, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  } catch (error) {
    if (!(error instanceof ApiError && error.reason === 'AlreadyExists')) throw error;
  }
}

export interface PodOptions {
  labels?: Record<string, string>;
  nodeName?: string;
  ports?: { name?: string; containerPort: number; protocol?: string }[];
  tolerations?: Record<string, unknown>[];
  ownerReferences?: ApiObject['metadata']['ownerReferences'];
  terminationGracePeriodSeconds?: number;
}

export function podObject(name: string, options: PodOptions = {}): ApiObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, ...(options.labels ? { labels: options.labels } : {}), ...(options.ownerReferences ? { ownerReferences: options.ownerReferences } : {}) },
    spec: {
      containers: [{ name: 'main', image: 'app:1', ...(options.ports ? { ports: options.ports } : {}) }],
      ...(options.nodeName ? { nodeName: options.nodeName } : {}),
      ...(options.tolerations ? { tolerations: options.tolerations } : {}),
      ...(options.terminationGracePeriodSeconds !== undefined ? { terminationGracePeriodSeconds: options.terminationGracePeriodSeconds } : {}),
    },
  };
}

/** Sets a pod's status as its node agent would: running with an IP, Ready or not. */
export async function reportPod(client: GrpcApiClient, namespace: string, name: string, status: { ip?: string; ready?: boolean; phase?: string; reason?: string }): Promise<ApiObject> {
  const patch: Record<string, unknown> = { phase: status.phase ?? 'Running' };
  if (status.ip !== undefined) patch.podIP = status.ip;
  if (status.reason !== undefined) patch.reason = status.reason;
  if (status.ready !== undefined) patch.conditions = [{ type: 'Ready', status: status.ready ? 'True' : 'False' }];
  return client.patch(PODS, namespace, name, { status: patch }, true);
}

/** RFC 3339 with microseconds, as agents write lease times. */
export function microTime(date: Date): string {
  return date.toISOString().replace(/Z$/, '000Z');
}

/** Registers a fake node, Ready, with a fresh heartbeat Lease. */
export async function registerNode(client: GrpcApiClient, name: string): Promise<ApiObject> {
  const now = new Date();
  const node = await client.create(NODES, undefined, {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name },
    spec: {},
    status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: now.toISOString().replace(/\.\d{3}Z$/, 'Z'), lastTransitionTime: now.toISOString().replace(/\.\d{3}Z$/, 'Z') }] },
  });
  await client.create(LEASES, 'kube-node-lease', {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace: 'kube-node-lease' },
    spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: microTime(now) },
  });
  return node;
}

/** Renews a fake node's Lease, as its agent does every few seconds. */
export async function renewLease(client: GrpcApiClient, name: string): Promise<void> {
  await client.patch(LEASES, 'kube-node-lease', name, { spec: { renewTime: microTime(new Date()) } });
}

/** Reports the node Ready again (what an agent does when it sees the server thinks otherwise). */
export async function reportNodeReady(client: GrpcApiClient, name: string): Promise<void> {
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const node = await client.get(NODES, undefined, name);
  const conditions = ((node.status?.conditions ?? []) as { type: string }[]).filter((condition) => condition.type !== 'Ready');
  conditions.push({ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: now, lastTransitionTime: now } as { type: string });
  await client.updateStatus(NODES, { ...node, status: { ...(node.status ?? {}), conditions } });
}

/** Whether the object is gone (404). */
export async function isGone(client: GrpcApiClient, info: typeof PODS, namespace: string | undefined, name: string): Promise<boolean> {
  try {
    await client.get(info, namespace, name);
    return false;
  } catch (error) {
    if (error instanceof ApiError && error.reason === 'NotFound') return true;
    throw error;
  }
}

/** The events about an object, by reason. */
export async function eventsAbout(client: GrpcApiClient, namespace: string, name: string): Promise<string[]> {
  const events = await client.list(EVENTS, namespace);
  return events.items.filter((event) => (event.involvedObject as { name?: string }).name === name).map((event) => String(event.reason));
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
