/**
 * The scheduler against a real API server over a real (1-member) Balsa KV: pods are bound
 * to nodes that fit; a pod too big for every node gets `PodScheduled=False` with the counted
 * message and a FailedScheduling event, and is placed once a bigger node joins or a pod
 * frees room; node selectors, taints and tolerations, anti-affinity on
 * `kubernetes.io/hostname`, spreading of one controller's replicas, cordoned and NotReady
 * nodes; and a pod bound by someone else between decision and binding is dropped, not
 * retried.
 *
 * Each test runs its own scheduler under its own `schedulerName` on its own nodes (deleted
 * after it, with its pods), so that tests never see each other's pods or nodes.
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
import type { BindingStatus } from '../../../control-plane/client/grpc-api-client.js';
import { InformerFactory } from '../../../control-plane/client/informer-factory.js';
import { Scheduler } from '../../../control-plane/scheduler/index.js';
import type { SchedulerOptions } from '../../../control-plane/scheduler/index.js';
import { apiCall } from '../../support/api-http.js';
import { eventually } from '../../support/eventually.js';
import { startKvCluster } from '../../support/kv-cluster.js';
import type { KvCluster } from '../../support/kv-cluster.js';
import { makeNode, makePod } from './fixtures.js';
import type { NodeShape, PodShape } from './fixtures.js';

const PODS = resourceByName('pods')!;
const NODES = resourceByName('nodes')!;
const EVENTS = resourceByName('events')!;
const NAMESPACES = resourceByName('namespaces')!;

let dir: string;
let cluster: KvCluster;
let api: ApiServer;
let client: GrpcApiClient;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'balsa-scheduler-'));
  cluster = await startKvCluster({ members: 1, dir });
  api = await ApiServer.start({ kvEndpoints: cluster.clientEndpoints, httpPort: 0, grpcPort: 0 });
  client = new GrpcApiClient(api.grpc.address);
  await eventually(async () => expect((await apiCall(api.http.url, 'GET', '/readyz')).status).toBe(200));
});

afterAll(async () => {
  client?.close();
  await api?.stop();
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** One test's world: a namespace, a scheduler of its own name, and what it created (removed after). */
interface World {
  readonly namespace: string;
  readonly schedulerName: string;
  readonly scheduler: Scheduler;
  readonly logs: string[];
  /** The full name of this test's node `name`. */
  nodeName(name: string): string;
  node(name: string, shape?: NodeShape): Promise<ApiObject>;
  pod(name: string, shape?: PodShape): Promise<ApiObject>;
  /** The node the pod gets bound to (waits for it). */
  boundNode(name: string): Promise<string>;
  get(name: string): Promise<ApiObject>;
  events(podName: string, reason: string): Promise<ApiObject[]>;
}

let worldCount = 0;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function world(options: Partial<SchedulerOptions> & { defaultName?: boolean } = {}): Promise<World> {
  const id = `s${++worldCount}`;
  const namespace = `sched-${id}`;
  const schedulerName = options.defaultName ? 'default-scheduler' : `scheduler-${id}`;
  await client.create(NAMESPACES, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  const logs: string[] = [];
  const log = (line: string) => logs.push(line);
  const schedulerClient = options.client ?? new GrpcApiClient(api.grpc.address);
  const informers = new InformerFactory(schedulerClient, log);
  const scheduler = new Scheduler({ client: schedulerClient, informers, recorder: new EventRecorder(schedulerClient, 'default-scheduler', log), log, schedulerName, ...options });
  await Promise.all([informers.start(), scheduler.start()]);
  const nodes: string[] = [];
  cleanups.push(async () => {
    await scheduler.stop();
    informers.stop();
    schedulerClient.close();
    for (const item of (await client.list(PODS, namespace)).items) await client.delete(PODS, namespace, item.metadata.name!, { gracePeriodSeconds: 0 }).catch(() => {});
    for (const name of nodes) await client.delete(NODES, undefined, name).catch(() => {});
  });
  const w: World = {
    namespace,
    schedulerName,
    scheduler,
    logs,
    nodeName: (name) => `${id}-${name}`,
    async node(name, shape) {
      nodes.push(`${id}-${name}`);
      return client.create(NODES, undefined, makeNode(`${id}-${name}`, shape));
    },
    async pod(name, shape = {}) {
      const object = makePod(name, { ...shape, namespace, ...(shape.nodeName !== undefined ? { nodeName: `${id}-${shape.nodeName}` } : {}) });
      delete object.metadata.uid;
      delete object.metadata.resourceVersion;
      delete object.metadata.creationTimestamp;
      if (options.defaultName) delete object.spec!.schedulerName;
      else object.spec!.schedulerName = schedulerName;
      return client.create(PODS, namespace, object);
    },
    async boundNode(name) {
      const nodeName = await eventually(async () => {
        const bound = (await w.get(name)).spec?.nodeName;
        expect(typeof bound).toBe('string');
        return bound as string;
      });
      return nodeName.slice(id.length + 1);
    },
    get: (name) => client.get(PODS, namespace, name),
    async events(podName, reason) {
      const list = await client.list(EVENTS, namespace);
      return list.items.filter((event) => (event.involvedObject as { name?: string }).name === podName && event.reason === reason);
    },
  };
  return w;
}

function condition(pod: ApiObject, type: string): Record<string, unknown> | undefined {
  const conditions = (pod.status?.conditions ?? []) as Record<string, unknown>[];
  return conditions.find((entry) => entry.type === type);
}

/** Waits until the pod reports PodScheduled=False with `message`. */
async function unschedulableWith(w: World, podName: string, message: string): Promise<void> {
  await eventually(async () => {
    expect(condition(await w.get(podName), 'PodScheduled')).toMatchObject({ status: 'False', reason: 'Unschedulable', message });
  });
}

test('pods of the default scheduler are bound to fitting nodes, with PodScheduled=True and a Scheduled event', async () => {
  const w = await world({ defaultName: true });
  await w.node('small', { cpu: '1', memory: '1Gi' });
  await w.node('large', { cpu: '4', memory: '8Gi' });
  await w.pod('fits-large', { cpu: '2', memory: '2Gi' });
  await w.pod('fits-any', { cpu: '100m', memory: '64Mi' });
  expect(await w.boundNode('fits-large')).toBe('large');
  expect(['small', 'large']).toContain(await w.boundNode('fits-any'));
  expect(condition(await w.get('fits-large'), 'PodScheduled')).toMatchObject({ status: 'True' });
  await eventually(async () => {
    const [event] = await w.events('fits-large', 'Scheduled');
    expect(event).toMatchObject({ type: 'Normal', message: `Successfully assigned ${w.namespace}/fits-large to ${w.nodeName('large')}`, source: { component: 'default-scheduler' } });
  });
  // A pod for another scheduler, and a pod given its node by its author, are left alone.
  const other = await client.create(PODS, w.namespace, { ...makePod('other', { schedulerName: 'someone-else' }), metadata: { name: 'other' } });
  expect(other.spec?.schedulerName).toBe('someone-else');
  await w.pod('pinned', { nodeName: 'small', cpu: '100m' });
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect((await w.get('other')).spec?.nodeName).toBeUndefined();
  expect(await w.boundNode('pinned')).toBe('small');
  expect(w.scheduler.stats).toMatchObject({ attempts: 2, bound: 2, bindConflicts: 0, bindErrors: 0, errors: 0 });
});

test('a pod too big for every node: PodScheduled=False with the counted message and a FailedScheduling event, placed when a bigger node joins', async () => {
  const w = await world();
  await w.node('a', { cpu: '2', memory: '4Gi' });
  await w.node('b', { cpu: '2', memory: '1Gi' });
  await w.pod('big', { cpu: '3', memory: '2Gi' });
  const message = '0/2 nodes are available: 1 Insufficient memory, 2 Insufficient cpu.';
  await unschedulableWith(w, 'big', message);
  await eventually(async () => expect(await w.events('big', 'FailedScheduling')).toMatchObject([{ type: 'Warning', message }]));
  expect((await w.get('big')).spec?.nodeName).toBeUndefined();
  await w.node('c', { cpu: '8', memory: '16Gi' });
  expect(await w.boundNode('big')).toBe('c');
  expect(condition(await w.get('big'), 'PodScheduled')).toMatchObject({ status: 'True' });
});

test('a pod deleted frees its node for a pod waiting for room', async () => {
  const w = await world();
  await w.node('only', { cpu: '1', memory: '1Gi' });
  await w.pod('first', { cpu: '1' });
  expect(await w.boundNode('first')).toBe('only');
  await w.pod('second', { cpu: '1' });
  await unschedulableWith(w, 'second', '0/1 nodes are available: 1 Insufficient cpu.');
  await client.delete(PODS, w.namespace, 'first', { gracePeriodSeconds: 0 });
  expect(await w.boundNode('second')).toBe('only');
});

test('a node selector picks the nodes with the labels', async () => {
  const w = await world();
  await w.node('hdd', { labels: { disk: 'hdd' } });
  await w.node('ssd', { labels: { disk: 'ssd' } });
  for (let i = 0; i < 3; i++) await w.pod(`db-${i}`, { nodeSelector: { disk: 'ssd' } });
  await w.pod('nowhere', { nodeSelector: { disk: 'nvme' } });
  for (let i = 0; i < 3; i++) expect(await w.boundNode(`db-${i}`)).toBe('ssd');
  await unschedulableWith(w, 'nowhere', "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector.");
});

test('taints keep pods off unless tolerated', async () => {
  const w = await world();
  await w.node('gpu', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] });
  await w.node('draining', { taints: [{ key: 'maintenance', effect: 'NoExecute' }] });
  await w.pod('plain');
  await unschedulableWith(
    w,
    'plain',
    "0/2 nodes are available: 1 node(s) had taint {dedicated: gpu}, that the pod didn't tolerate, 1 node(s) had taint {maintenance: }, that the pod didn't tolerate.",
  );
  await w.pod('trainer', { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }] });
  expect(await w.boundNode('trainer')).toBe('gpu');
});

test('required anti-affinity on kubernetes.io/hostname: one replica per node, the extra one fits nowhere', async () => {
  const w = await world();
  for (const name of ['n1', 'n2', 'n3']) await w.node(name);
  const affinity = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'cache' } }, topologyKey: 'kubernetes.io/hostname' }] } };
  for (let i = 0; i < 4; i++) await w.pod(`cache-${i}`, { labels: { app: 'cache' }, affinity });
  const placed: string[] = [];
  const waiting: string[] = [];
  await eventually(async () => {
    placed.length = 0;
    waiting.length = 0;
    for (let i = 0; i < 4; i++) {
      const pod = await w.get(`cache-${i}`);
      if (typeof pod.spec?.nodeName === 'string') placed.push(pod.spec.nodeName);
      else waiting.push(`cache-${i}`);
    }
    expect(placed).toHaveLength(3);
  });
  expect(new Set(placed).size).toBe(3);
  expect(waiting).toHaveLength(1);
  await unschedulableWith(w, waiting[0]!, "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules.");
});

test('replicas of one controller spread over the nodes', async () => {
  const w = await world();
  for (const name of ['n1', 'n2', 'n3']) await w.node(name, { cpu: '8', memory: '16Gi' });
  for (let i = 0; i < 6; i++) await w.pod(`web-${i}`, { owner: 'rs-web-uid', cpu: '100m', memory: '128Mi' });
  const perNode = new Map<string, number>();
  for (let i = 0; i < 6; i++) {
    const node = await w.boundNode(`web-${i}`);
    perNode.set(node, (perNode.get(node) ?? 0) + 1);
  }
  expect(Object.fromEntries(perNode)).toEqual({ n1: 2, n2: 2, n3: 2 });
});

test('cordoned and NotReady nodes are skipped; a node made ready takes the waiting pod', async () => {
  const w = await world();
  await w.node('cordoned', { unschedulable: true });
  const notReady = await w.node('sick', { ready: false });
  await w.pod('waits');
  await unschedulableWith(w, 'waits', '0/2 nodes are available: 1 node(s) were not ready, 1 node(s) were unschedulable.');
  await w.node('healthy');
  for (let i = 0; i < 3; i++) await w.pod(`p${i}`);
  for (let i = 0; i < 3; i++) expect(await w.boundNode(`p${i}`)).toBe('healthy');
  expect(await w.boundNode('waits')).toBe('healthy');
  // The sick node recovers: its status says Ready, and pods can go there again.
  await client.patch(NODES, undefined, notReady.metadata.name!, { status: { conditions: [{ type: 'Ready', status: 'True' }] } }, true);
  await w.pod('any', { nodeSelector: { 'kubernetes.io/hostname': notReady.metadata.name! } });
  expect(await w.boundNode('any')).toBe('sick');
});

test('a pod bound by someone else between decision and binding is dropped (409), not retried', async () => {
  const rival = new GrpcApiClient(api.grpc.address);
  let rivalNode = '';
  /** Binds the pod to the rival's node just before the scheduler's own binding arrives. */
  class RacingClient extends GrpcApiClient {
    override async bind(namespace: string, name: string, nodeName: string): Promise<BindingStatus> {
      await rival.bind(namespace, name, rivalNode);
      return super.bind(namespace, name, nodeName);
    }
  }
  const w = await world({ client: new RacingClient(api.grpc.address) });
  cleanups.push(async () => rival.close());
  await w.node('mine');
  rivalNode = (await w.node('theirs', { unschedulable: true })).metadata.name!;
  await w.pod('contested', { cpu: '1' });
  expect(await w.boundNode('contested')).toBe('theirs');
  await eventually(async () => expect(w.scheduler.stats).toMatchObject({ attempts: 1, bound: 0, bindConflicts: 1, bindErrors: 0, bindsInFlight: 0 }));
  await new Promise((resolve) => setTimeout(resolve, 1500));
  expect(w.scheduler.stats).toMatchObject({ attempts: 1, queue: { active: 0, backoff: 0, unschedulable: 0, inFlight: 0 } });
});

test('a binding that fails otherwise (the API server erred) is retried after a back-off, and the assumption undone meanwhile', async () => {
  let failures = 1;
  class FlakyClient extends GrpcApiClient {
    override async bind(namespace: string, name: string, nodeName: string): Promise<BindingStatus> {
      if (failures-- > 0) throw ApiError.internal('the store is busy');
      return super.bind(namespace, name, nodeName);
    }
  }
  const w = await world({ client: new FlakyClient(api.grpc.address), queue: { initialBackoffMs: 200, maxBackoffMs: 400 } });
  await w.node('only', { cpu: '1' });
  await w.pod('retried', { cpu: '1' });
  expect(await w.boundNode('retried')).toBe('only');
  expect(w.scheduler.stats).toMatchObject({ attempts: 2, bound: 1, bindErrors: 1, bindConflicts: 0 });
  expect(w.logs.some((line) => line.includes('binding') && line.includes('the store is busy'))).toBe(true);
});

test('stop() ends a start() still waiting for informers that were never started; bad options are refused', async () => {
  const informers = new InformerFactory(client);
  const scheduler = new Scheduler({ client, informers });
  let started = false;
  const starting = scheduler.start().then(() => (started = true));
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(started).toBe(false);
  await scheduler.stop();
  await starting;
  expect(scheduler.stats).toMatchObject({ attempts: 0, bindsInFlight: 0 });
  await expect(scheduler.start()).rejects.toThrow('it is stopped');
  expect(() => new Scheduler({ client, informers, bindConcurrency: 0 })).toThrow(RangeError);
  expect(() => new Scheduler({ client, informers, percentageOfNodesToScore: 150 })).toThrow(RangeError);
});
