/**
 * The ReplicaSet controller against a real API server and KV, with a fake node agent making
 * pods Running and Ready: it creates the pods (owned, named after the ReplicaSet), replaces
 * a deleted one, deletes not-ready pods first when scaling down, adopts a matching orphan and
 * releases a pod whose labels stop matching, counts available pods only after
 * `minReadySeconds`, and never has more pods than asked for, checked at every revision of
 * the namespace's pods while the test deletes and rescales quickly. The controller's cache
 * trails the API server throughout (`cacheLagMs`), so every test also checks that it does
 * not act twice on its own writes.
 */
import { resourceByName } from '../../../control-plane/api/resources.js';
import type { ApiObject } from '../../../control-plane/api/types.js';
import { ReplicaSetController } from '../../../control-plane/controllers/index.js';
import { eventually } from '../../support/eventually.js';
import { TEST_QUEUE_OPTIONS, startControlPlane } from './support/control-plane.js';
import type { ControlPlane } from './support/control-plane.js';
import { FakeNodeAgent, isReady } from './support/fake-node-agent.js';
import { livePods, watchPods } from './support/pod-watch.js';
import { replicaSetManifest } from './support/workloads.js';

const PODS = resourceByName('pods')!;
const REPLICASETS = resourceByName('replicasets')!;
const EVENTS = resourceByName('events')!;

/** Each test's own bound; `eventually` waits inside it are shorter. */
const TEST_TIMEOUT_MS = 60_000;
const WAIT_MS = 20_000;

let plane: ControlPlane;
let agent: FakeNodeAgent;
const controller = new ReplicaSetController({ workers: 4, queue: TEST_QUEUE_OPTIONS });

/** The controller's cache trails the API server by this long: it must never act twice on its own writes. */
const CACHE_LAG_MS = 150;

beforeAll(async () => {
  plane = await startControlPlane({ cacheLagMs: CACHE_LAG_MS });
  await plane.startControllers([controller]);
  agent = await FakeNodeAgent.start(plane.client);
}, 60_000);

afterAll(async () => {
  await agent?.stop();
  await plane?.stop();
}, 30_000);

afterEach(() => agent.setReadiness(() => true));

async function pods(namespace: string): Promise<ApiObject[]> {
  return (await plane.client.list(PODS, namespace)).items;
}

async function replicaSet(namespace: string, name: string): Promise<ApiObject> {
  return plane.client.get(REPLICASETS, namespace, name);
}

async function scale(namespace: string, name: string, replicas: number): Promise<void> {
  await plane.client.patch(REPLICASETS, namespace, name, { spec: { replicas } });
}

/** Waits until the namespace has exactly `count` live pods, all ready, and the status says so. */
async function settled(namespace: string, name: string, count: number): Promise<ApiObject[]> {
  return eventually(async () => {
    const live = livePods(await pods(namespace));
    expect(live).toHaveLength(count);
    expect(live.every(isReady)).toBe(true);
    const status = (await replicaSet(namespace, name)).status as Record<string, number>;
    expect(status).toMatchObject({ replicas: count, readyReplicas: count, availableReplicas: count, fullyLabeledReplicas: count });
    return live;
  }, WAIT_MS);
}

test('creates the pods, owned by the ReplicaSet, and reports them in its status', async () => {
  const ns = await plane.namespace('rs-create');
  const created = await plane.client.create(REPLICASETS, ns, replicaSetManifest('web', 3));
  const live = await settled(ns, 'web', 3);
  for (const pod of live) {
    expect(pod.metadata.name).toMatch(/^web-[a-z0-9]{5}$/);
    expect(pod.metadata.labels).toEqual({ app: 'web' });
    expect(pod.metadata.ownerReferences).toEqual([
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: created.metadata.uid, controller: true, blockOwnerDeletion: true },
    ]);
    expect((pod.spec as { containers: { image: string }[] }).containers[0]!.image).toBe('web:1');
  }
  expect(((await replicaSet(ns, 'web')).status as { observedGeneration: number }).observedGeneration).toBe(1);
  await eventually(async () => {
    const events = (await plane.client.list(EVENTS, ns)).items.filter((event) => event.reason === 'SuccessfulCreate');
    expect(events.map((event) => event.message).sort()).toEqual(live.map((pod) => `Created pod: ${pod.metadata.name}`).sort());
    expect((events[0]!.involvedObject as { kind: string; name: string }).name).toBe('web');
  }, WAIT_MS);
}, TEST_TIMEOUT_MS);

test('replaces a deleted pod', async () => {
  const ns = await plane.namespace('rs-replace');
  await plane.client.create(REPLICASETS, ns, replicaSetManifest('web', 2));
  const before = await settled(ns, 'web', 2);
  const victim = before[0]!.metadata.name!;
  await plane.client.delete(PODS, ns, victim);
  const after = await settled(ns, 'web', 2);
  expect(after.map((pod) => pod.metadata.name)).not.toContain(victim);
  expect(after.map((pod) => pod.metadata.name)).toContain(before[1]!.metadata.name);
}, TEST_TIMEOUT_MS);

test('scales down deleting not-ready pods first, and records the deletions', async () => {
  const ns = await plane.namespace('rs-down');
  await plane.client.create(REPLICASETS, ns, replicaSetManifest('web', 2));
  const ready = (await settled(ns, 'web', 2)).map((pod) => pod.metadata.name);
  // New pods stay unready (the ready ones stay ready): scaling back down must take exactly the new ones.
  agent.setReadiness((pod) => ready.includes(pod.metadata.name));
  await scale(ns, 'web', 5);
  await eventually(async () => {
    const live = livePods(await pods(ns));
    expect(live).toHaveLength(5);
    expect(live.filter((pod) => (pod.status as { phase?: string }).phase === 'Running')).toHaveLength(5);
  }, WAIT_MS);
  await scale(ns, 'web', 2);
  await eventually(async () => {
    const live = livePods(await pods(ns));
    expect(live.map((pod) => pod.metadata.name).sort()).toEqual([...ready].sort());
  }, WAIT_MS);
  await eventually(async () => {
    const deletions = (await plane.client.list(EVENTS, ns)).items.filter((event) => event.reason === 'SuccessfulDelete');
    expect(deletions).toHaveLength(3);
    for (const event of deletions) expect(ready.map((name) => `Deleted pod: ${name}`)).not.toContain(event.message);
  }, WAIT_MS);
}, TEST_TIMEOUT_MS);

test('adopts a matching orphan instead of creating a pod, and releases a pod that stops matching', async () => {
  const ns = await plane.namespace('rs-adopt');
  const orphan = await plane.client.create(PODS, ns, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'orphan', labels: { app: 'web' } },
    spec: { containers: [{ name: 'main', image: 'web:1' }] },
  });
  const rs = await plane.client.create(REPLICASETS, ns, replicaSetManifest('web', 2));
  const live = await settled(ns, 'web', 2);
  const adopted = live.find((pod) => pod.metadata.name === 'orphan');
  expect(adopted?.metadata.uid).toBe(orphan.metadata.uid);
  expect(adopted?.metadata.ownerReferences).toEqual([
    { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true },
  ]);
  // Relabelled out of the selector: released (no owner), and replaced.
  await plane.client.patch(PODS, ns, 'orphan', { metadata: { labels: { app: 'debug' } } });
  await eventually(async () => {
    const released = await plane.client.get(PODS, ns, 'orphan');
    expect(released.metadata.ownerReferences).toBeUndefined();
    const owned = livePods(await pods(ns)).filter((pod) => pod.metadata.labels?.app === 'web');
    expect(owned).toHaveLength(2);
  }, WAIT_MS);
  await settledOwned(ns, 2);
}, TEST_TIMEOUT_MS);

async function settledOwned(namespace: string, count: number): Promise<void> {
  await eventually(async () => {
    const status = (await replicaSet(namespace, 'web')).status as Record<string, number>;
    expect(status).toMatchObject({ replicas: count, readyReplicas: count });
  }, WAIT_MS);
}

test('counts a ready pod as available only after minReadySeconds', async () => {
  const ns = await plane.namespace('rs-minready');
  await plane.client.create(REPLICASETS, ns, replicaSetManifest('web', 2, { minReadySeconds: 2 }));
  await eventually(async () => {
    const status = (await replicaSet(ns, 'web')).status as Record<string, number>;
    expect(status).toMatchObject({ replicas: 2, readyReplicas: 2, availableReplicas: 0 });
  }, WAIT_MS);
  // No event announces that time passed: the controller must have scheduled its own look.
  await eventually(async () => {
    const status = (await replicaSet(ns, 'web')).status as Record<string, number>;
    expect(status).toMatchObject({ readyReplicas: 2, availableReplicas: 2 });
  }, WAIT_MS);
}, TEST_TIMEOUT_MS);

test('never has more pods than asked for while pods are deleted and the count changes quickly', async () => {
  const ns = await plane.namespace('rs-overshoot');
  let allowed = 5;
  const violations: string[] = [];
  const watch = await watchPods(plane.client, ns, (all) => {
    const live = livePods(all).length;
    if (live > allowed) violations.push(`${live} live pods with at most ${allowed} allowed`);
  });
  try {
    await plane.client.create(REPLICASETS, ns, replicaSetManifest('web', 5));
    await settled(ns, 'web', 5);
    // Delete pods in quick bursts, not waiting for replacements.
    for (let round = 0; round < 6; round++) {
      const victims = livePods(await pods(ns)).slice(0, 2);
      await Promise.all(victims.map((pod) => plane.client.delete(PODS, ns, pod.metadata.name!).catch(() => undefined)));
    }
    await settled(ns, 'web', 5);
    // Up and straight back down: never above the larger count, ending at the smaller.
    allowed = 9;
    await scale(ns, 'web', 9);
    await scale(ns, 'web', 3);
    await settled(ns, 'web', 3);
    allowed = 3;
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(livePods(watch.pods())).toHaveLength(3);
    expect(violations).toEqual([]);
    expect(watch.errors).toEqual([]);
  } finally {
    watch.stop();
  }
}, TEST_TIMEOUT_MS);

test('creates at most burstReplicas pods per sync, and gets there over several syncs', async () => {
  const small = new ReplicaSetController({ workers: 1, burstReplicas: 2, queue: TEST_QUEUE_OPTIONS });
  const batches: number[] = [];
  const expectCreations = small.expectations.expectCreations.bind(small.expectations);
  small.expectations.expectCreations = (key, count) => {
    batches.push(count);
    expectCreations(key, count);
  };
  // A second controller would fight the first over the same ReplicaSets: use it on a scratch plane.
  const scratch = await startControlPlane({ cacheLagMs: CACHE_LAG_MS });
  try {
    await scratch.startControllers([small]);
    const ns = await scratch.namespace('rs-burst');
    await scratch.client.create(REPLICASETS, ns, replicaSetManifest('web', 7));
    await eventually(async () => {
      const events = (await scratch.client.list(EVENTS, ns)).items.filter((event) => event.reason === 'SuccessfulCreate');
      expect(events).toHaveLength(7);
    }, WAIT_MS);
    expect((await scratch.client.list(PODS, ns)).items).toHaveLength(7);
    expect(batches).toEqual([2, 2, 2, 1]);
  } finally {
    await scratch.stop();
  }
}, TEST_TIMEOUT_MS);
