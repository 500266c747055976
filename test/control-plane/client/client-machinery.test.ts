/**
 * What the scheduler, the controllers and the node agents build on, against a real API
 * server and KV: informers (a cache that follows list + watch, and that relists after the
 * API server went away, telling handlers what changed meanwhile), leader election through a
 * Lease (one leader; a released lease is taken over at once; a leader that cannot renew
 * stops leading before anyone else starts), the event recorder (repeats counted on one
 * Event), pod binding (once: a second bind is 409), and Events expiring after their TTL.
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
import { Informer } from '../../../control-plane/client/informer.js';
import { LeaderElector } from '../../../control-plane/client/leader-election.js';
import { LeaderElectedRunner } from '../../../control-plane/client/leader-elected-runner.js';
import { freePort } from '../../../raft/testing/process-cluster.js';
import { apiCall } from '../../support/api-http.js';
import { etcdGrpcClients } from '../../support/etcd-grpc.js';
import { eventually } from '../../support/eventually.js';
import { startKvCluster } from '../../support/kv-cluster.js';
import type { KvCluster } from '../../support/kv-cluster.js';

const CONFIGMAPS = resourceByName('configmaps')!;
const PODS = resourceByName('pods')!;
const EVENTS = resourceByName('events')!;

let dir: string;
let cluster: KvCluster;
let api: ApiServer;
let client: GrpcApiClient;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'balsa-client-'));
  cluster = await startKvCluster({ members: 1, dir });
  api = await ApiServer.start({ kvEndpoints: cluster.clientEndpoints, httpPort: 0, grpcPort: 0, eventTtlSeconds: 3 });
  client = new GrpcApiClient(api.grpc.address);
  await eventually(async () => expect((await apiCall(api.http.url, 'GET', '/readyz')).status).toBe(200));
});

afterAll(async () => {
  client?.close();
  await api?.stop();
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

const configMap = (name: string, value: string): ApiObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { value } });

test('an informer follows list + watch, and after its API server comes back relists and reports what changed meanwhile', async () => {
  const grpcPort = await freePort();
  let own = await ApiServer.start({ kvEndpoints: cluster.clientEndpoints, httpPort: 0, grpcPort });
  const ownClient = new GrpcApiClient(`127.0.0.1:${grpcPort}`);
  await client.create(CONFIGMAPS, 'default', configMap('inf-kept', '1'));
  await client.create(CONFIGMAPS, 'default', configMap('inf-deleted', '1'));
  const informer = new Informer(ownClient, CONFIGMAPS, { namespace: 'default' });
  const seen: string[] = [];
  informer.on({
    add: (object) => seen.push(`add ${object.metadata.name}`),
    update: (_old, object) => seen.push(`update ${object.metadata.name} ${(object.data as { value: string }).value}`),
    delete: (object) => seen.push(`delete ${object.metadata.name}`),
  });
  try {
    await informer.start();
    expect(seen.filter((line) => line.startsWith('add inf-')).sort()).toEqual(['add inf-deleted', 'add inf-kept']);
    await client.patch(CONFIGMAPS, 'default', 'inf-kept', { data: { value: '2' } });
    await eventually(async () => expect(seen).toContain('update inf-kept 2'));

    // The informer's API server goes away; changes happen; history is compacted; it comes back.
    await own.stop();
    await client.patch(CONFIGMAPS, 'default', 'inf-kept', { data: { value: '3' } });
    await client.delete(CONFIGMAPS, 'default', 'inf-deleted');
    await client.create(CONFIGMAPS, 'default', configMap('inf-added', '1'));
    const revision = Number((await client.list(CONFIGMAPS, 'default')).metadata.resourceVersion);
    const rpc = etcdGrpcClients(cluster.clientEndpoints);
    await rpc.kv[0]!('Compact', { revision, physical: true });
    rpc.close();
    own = await ApiServer.start({ kvEndpoints: cluster.clientEndpoints, httpPort: 0, grpcPort });
    await eventually(async () => expect(seen).toEqual(expect.arrayContaining(['update inf-kept 3', 'delete inf-deleted', 'add inf-added'])));
    expect(informer.getByName('default', 'inf-deleted')).toBeUndefined();
    expect((informer.getByName('default', 'inf-kept')!.data as { value: string }).value).toBe('3');
  } finally {
    informer.stop();
    ownClient.close();
    await own.stop();
  }
});

test('leader election: one leader; a released lease is taken over; a leader that cannot renew stops before another starts', async () => {
  const transitions: { who: string; leading: boolean; atMs: number }[] = [];
  const clients = [new GrpcApiClient(api.grpc.address), new GrpcApiClient(api.grpc.address), new GrpcApiClient(api.grpc.address)];
  const elector = (who: string, index: number) =>
    new LeaderElector({
      client: clients[index]!,
      name: 'test-component',
      identity: who,
      leaseDurationSeconds: 3,
      renewDeadlineMs: 2_000,
      retryPeriodMs: 200,
      onStartedLeading: () => transitions.push({ who, leading: true, atMs: Date.now() }),
      onStoppedLeading: () => transitions.push({ who, leading: false, atMs: Date.now() }),
    });
  const a = elector('a', 0);
  const b = elector('b', 1);
  const c = elector('c', 2);
  try {
    a.start();
    await eventually(async () => expect(a.isLeader).toBe(true));
    b.start();
    c.start();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect([a.isLeader, b.isLeader, c.isLeader]).toEqual([true, false, false]);

    // Released: a standby takes over at its next try, well before the lease would expire.
    const releasedAt = Date.now();
    await a.stop();
    await eventually(async () => expect(b.isLeader || c.isLeader).toBe(true), 2_000);
    expect(Date.now() - releasedAt).toBeLessThan(2_000);
    const second = b.isLeader ? b : c;
    const secondName = b.isLeader ? 'b' : 'c';
    const third = b.isLeader ? c : b;
    const thirdName = b.isLeader ? 'c' : 'b';

    // The leader loses the API server (its client is closed): it stops leading after its renew
    // deadline, and the other takes over only after the lease expired — never both at once.
    clients[secondName === 'b' ? 1 : 2]!.close();
    await eventually(async () => expect(third.isLeader).toBe(true), 10_000);
    expect(second.isLeader).toBe(false);
    const stopped = transitions.find((t) => t.who === secondName && !t.leading)!;
    const started = transitions.find((t) => t.who === thirdName && t.leading)!;
    expect(stopped.atMs).toBeLessThanOrEqual(started.atMs);
    const lease = await client.get(resourceByName('leases')!, 'kube-system', 'test-component');
    expect(lease.spec).toMatchObject({ holderIdentity: thirdName, leaseTransitions: 2 });
  } finally {
    await Promise.all([a.stop(), b.stop(), c.stop()]);
    for (const each of clients) each.close();
  }
});

test('a leader whose renewal hangs (a slow store, a client waiting out 429s) stops leading at its renew deadline, not when the call ends', async () => {
  const own = new GrpcApiClient(api.grpc.address);
  let stall = false;
  const never = new Promise<ApiObject>(() => {});
  // The lease's writes hang once `stall` is set; everything else goes through.
  const stalling = new Proxy(own, {
    get(target, property, receiver) {
      if (property === 'update' || property === 'create') return (...args: unknown[]) => (stall ? never : (Reflect.get(target, property, receiver) as (...a: unknown[]) => Promise<ApiObject>).apply(target, args));
      const value = Reflect.get(target, property, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  const transitions: boolean[] = [];
  const elector = new LeaderElector({
    client: stalling,
    name: 'stalling-component',
    identity: 'slow',
    leaseDurationSeconds: 3,
    renewDeadlineMs: 1_000,
    retryPeriodMs: 200,
    onStartedLeading: () => transitions.push(true),
    onStoppedLeading: () => transitions.push(false),
  });
  try {
    elector.start();
    await eventually(async () => expect(elector.isLeader).toBe(true));
    stall = true;
    await eventually(async () => expect(elector.isLeader).toBe(false), 5_000);
    expect(transitions).toEqual([true, false]);
  } finally {
    // Its hung try never ends: stop() would wait for it, so only the timers are let go here.
    void elector.stop();
    own.close();
  }
});

test('a leader-elected component runs only in the process that leads, and moves when that one stops', async () => {
  const running: string[] = [];
  const runner = (who: string) =>
    new LeaderElectedRunner({
      client,
      name: 'test-runner',
      identity: who,
      leaseDurationSeconds: 3,
      renewDeadlineMs: 2_000,
      retryPeriodMs: 200,
      start: async () => {
        running.push(who);
        return { stop: async () => void running.splice(running.indexOf(who), 1) };
      },
    });
  const first = runner('first');
  const second = runner('second');
  try {
    first.start();
    await eventually(async () => expect(running).toEqual(['first']));
    second.start();
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(running).toEqual(['first']);
    await first.stop();
    expect(running).toEqual([]);
    await eventually(async () => expect(running).toEqual(['second']), 3_000);
  } finally {
    await Promise.all([first.stop(), second.stop()]);
  }
  expect(running).toEqual([]);
});

test('a pod is bound once: the binding sets nodeName and PodScheduled; a second is 409', async () => {
  await client.create(PODS, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'to-bind' }, spec: { containers: [{ name: 'c', image: 'i' }] } });
  // Answered as Kubernetes answers a binding: a Status, Success.
  expect(await client.bind('default', 'to-bind', 'node-1')).toEqual({ apiVersion: 'v1', kind: 'Status', metadata: {}, status: 'Success', code: 201 });
  const bound = await client.get(PODS, 'default', 'to-bind');
  expect(bound.spec?.nodeName).toBe('node-1');
  expect((bound.status as { conditions: unknown[] }).conditions).toContainEqual(expect.objectContaining({ type: 'PodScheduled', status: 'True' }));
  const again = await client.bind('default', 'to-bind', 'node-2').catch((error: unknown) => error as ApiError);
  expect(again).toBeInstanceOf(ApiError);
  expect(again).toMatchObject({ reason: 'Conflict', message: expect.stringContaining('pod to-bind is already assigned to node "node-1"') });

  // The HTTP subresource as kubectl-style tools post it.
  await client.create(PODS, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'to-bind-http' }, spec: { containers: [{ name: 'c', image: 'i' }] } });
  const answer = await apiCall(api.http.url, 'POST', '/api/v1/namespaces/default/pods/to-bind-http/binding', {
    apiVersion: 'v1',
    kind: 'Binding',
    metadata: { name: 'to-bind-http' },
    target: { apiVersion: 'v1', kind: 'Node', name: 'node-2' },
  });
  expect(answer.status).toBe(201);
  expect((await client.get(PODS, 'default', 'to-bind-http')).spec?.nodeName).toBe('node-2');
});

test('the event recorder counts repeats on one Event, and Events expire after their TTL', async () => {
  const subject = await client.create(CONFIGMAPS, 'default', configMap('event-subject', '1'));
  const recorder = new EventRecorder(client, 'test-controller');
  await recorder.record(subject, 'Warning', 'Broken', 'it broke');
  await recorder.record(subject, 'Warning', 'Broken', 'it broke');
  await recorder.record(subject, 'Normal', 'Fixed', 'it works');
  const about = async () =>
    (await client.list(EVENTS, 'default', { fieldSelector: 'involvedObject.name=event-subject' })).items as unknown as {
      reason: string;
      count: number;
      source: { component: string };
      involvedObject: { uid: string };
    }[];
  const events = await about();
  expect(events.map((event) => `${event.reason} ${event.count}`).sort()).toEqual(['Broken 2', 'Fixed 1']);
  expect(events[0]!.source.component).toBe('test-controller');
  expect(events[0]!.involvedObject.uid).toBe(subject.metadata.uid);
  // This API server's event TTL is 3 s: its KV lease removes them.
  await eventually(async () => expect(await about()).toEqual([]), 20_000);
});
