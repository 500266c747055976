/**
 * The Deployment controller (with the ReplicaSet controller under it) against a real API
 * server and KV, a fake node agent making pods ready (pods of the image `web:broken` never
 * become ready), and controller caches that trail the API server. It proves: the first
 * rollout (ReplicaSet named by the template hash, revision 1, conditions, events); rolling
 * updates that keep within maxSurge and maxUnavailable at every revision of the pods;
 * Recreate never running old and new pods together; the revision history limit; an undo
 * reusing the old ReplicaSet under a new revision; pause and resume; proportional scaling of
 * a stuck rollout; and ProgressDeadlineExceeded when pods never become ready.
 */
import { resourceByName } from '../../../control-plane/api/resources.js';
import type { ApiObject } from '../../../control-plane/api/types.js';
import { DeploymentController, ReplicaSetController } from '../../../control-plane/controllers/index.js';
import { eventually } from '../../support/eventually.js';
import { TEST_QUEUE_OPTIONS, startControlPlane } from './support/control-plane.js';
import type { ControlPlane } from './support/control-plane.js';
import { FakeNodeAgent, isReady } from './support/fake-node-agent.js';
import { livePods, watchPods } from './support/pod-watch.js';
import { deploymentManifest } from './support/workloads.js';
import type { DeploymentOptions } from './support/workloads.js';

const PODS = resourceByName('pods')!;
const REPLICASETS = resourceByName('replicasets')!;
const DEPLOYMENTS = resourceByName('deployments')!;
const EVENTS = resourceByName('events')!;

const TEST_TIMEOUT_MS = 90_000;
const WAIT_MS = 30_000;
const BROKEN_IMAGE = 'web:broken';

type Json = Record<string, unknown>;
type Condition = { type: string; status: string; reason: string; message: string };

let plane: ControlPlane;
let agent: FakeNodeAgent;

beforeAll(async () => {
  plane = await startControlPlane({ cacheLagMs: 100 });
  await plane.startControllers([
    new ReplicaSetController({ workers: 4, queue: TEST_QUEUE_OPTIONS }),
    new DeploymentController({ workers: 4, queue: TEST_QUEUE_OPTIONS }),
  ]);
  agent = await FakeNodeAgent.start(plane.client, { readyDelayMs: 100, readiness: (pod) => imageOf(pod) !== BROKEN_IMAGE });
}, 60_000);

afterAll(async () => {
  await agent?.stop();
  await plane?.stop();
}, 30_000);

function imageOf(object: ApiObject | Json): string {
  const spec = (object.spec ?? {}) as { containers?: { image?: string }[]; template?: { spec?: { containers?: { image?: string }[] } } };
  const containers = spec.containers ?? spec.template?.spec?.containers ?? [];
  return containers[0]?.image ?? '';
}

async function deployment(ns: string, name = 'web'): Promise<ApiObject> {
  return plane.client.get(DEPLOYMENTS, ns, name);
}

async function replicaSets(ns: string): Promise<ApiObject[]> {
  return (await plane.client.list(REPLICASETS, ns)).items;
}

function statusOf(object: ApiObject): Json {
  return (object.status ?? {}) as Json;
}

function condition(object: ApiObject, type: string): Condition | undefined {
  return ((statusOf(object).conditions ?? []) as Condition[]).find((candidate) => candidate.type === type);
}

function annotation(object: ApiObject, key: string): string | undefined {
  return object.metadata.annotations?.[key];
}

async function setImage(ns: string, image: string, name = 'web'): Promise<void> {
  await plane.client.patch(DEPLOYMENTS, ns, name, { spec: { template: { spec: { containers: [{ name: 'main', image }] } } } });
}

/** Waits for the rollout of `image` to complete: every wanted pod updated and available, the status current. */
async function rolledOut(ns: string, replicas: number, image: string, name = 'web'): Promise<ApiObject> {
  return eventually(async () => {
    const current = await deployment(ns, name);
    expect(imageOf((current.spec as Json).template as Json)).toBe(image);
    expect(statusOf(current)).toMatchObject({ observedGeneration: current.metadata.generation, replicas, updatedReplicas: replicas, availableReplicas: replicas, readyReplicas: replicas });
    expect(condition(current, 'Progressing')?.reason).toBe('NewReplicaSetAvailable');
    const live = livePods((await plane.client.list(PODS, ns)).items);
    expect(live.map(imageOf)).toEqual(Array(replicas).fill(image));
    return current;
  }, WAIT_MS);
}

async function create(ns: string, replicas: number, options: DeploymentOptions = {}, name = 'web'): Promise<ApiObject> {
  return plane.client.create(DEPLOYMENTS, ns, deploymentManifest(name, replicas, options));
}

test('creates its ReplicaSet, named by the template hash, and reports the finished rollout', async () => {
  const ns = await plane.namespace('deploy-create');
  const created = await create(ns, 3);
  const done = await rolledOut(ns, 3, 'web:1');
  const [rs, ...others] = await replicaSets(ns);
  expect(others).toEqual([]);
  const hash = rs!.metadata.labels!['pod-template-hash']!;
  expect(hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{6,10}$/);
  expect(rs!.metadata.name).toBe(`web-${hash}`);
  expect(rs!.metadata.labels).toEqual({ app: 'web', 'pod-template-hash': hash });
  expect((rs!.spec as Json).selector).toEqual({ matchLabels: { app: 'web', 'pod-template-hash': hash } });
  expect(((rs!.spec as Json).template as { metadata: Json }).metadata.labels).toEqual({ app: 'web', 'pod-template-hash': hash });
  expect(rs!.metadata.ownerReferences).toEqual([
    { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: created.metadata.uid, controller: true, blockOwnerDeletion: true },
  ]);
  expect(rs!.metadata.annotations).toEqual({
    'deployment.kubernetes.io/revision': '1',
    'deployment.kubernetes.io/desired-replicas': '3',
    'deployment.kubernetes.io/max-replicas': '4',
  });
  expect(annotation(done, 'deployment.kubernetes.io/revision')).toBe('1');
  for (const pod of livePods((await plane.client.list(PODS, ns)).items)) expect(pod.metadata.labels).toEqual({ app: 'web', 'pod-template-hash': hash });
  expect(condition(done, 'Available')).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' });
  expect(condition(done, 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "web-${hash}" has successfully progressed.` });
  expect(statusOf(done).unavailableReplicas).toBe(0);
  await eventually(async () => {
    const events = (await plane.client.list(EVENTS, ns)).items.filter((event) => event.reason === 'ScalingReplicaSet');
    expect(events.map((event) => event.message)).toEqual([`Scaled up replica set web-${hash} to 3`]);
    expect((events[0]!.involvedObject as { kind: string }).kind).toBe('Deployment');
  }, WAIT_MS);
}, TEST_TIMEOUT_MS);

describe.each([
  { replicas: 3, maxSurge: 1, maxUnavailable: 0, surge: 1, unavailable: 0 },
  { replicas: 4, maxSurge: '25%', maxUnavailable: '25%', surge: 1, unavailable: 1 },
  { replicas: 3, maxSurge: 0, maxUnavailable: 1, surge: 0, unavailable: 1 },
  { replicas: 5, maxSurge: '30%', maxUnavailable: '30%', surge: 2, unavailable: 1 },
])('a rolling update with maxSurge $maxSurge and maxUnavailable $maxUnavailable of $replicas', ({ replicas, maxSurge, maxUnavailable, surge, unavailable }) => {
  test(`keeps at most ${replicas}+${surge} pods and at least ${replicas}-${unavailable} ready at every revision`, async () => {
    const ns = await plane.namespace('deploy-rolling');
    await create(ns, replicas, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge, maxUnavailable } } });
    await rolledOut(ns, replicas, 'web:1');
    const violations: string[] = [];
    let mixed = false;
    const watch = await watchPods(plane.client, ns, (all) => {
      const live = livePods(all);
      const ready = live.filter(isReady).length;
      if (live.length > replicas + surge) violations.push(`${live.length} pods`);
      if (ready < replicas - unavailable) violations.push(`${ready} ready pods`);
      if (new Set(live.map(imageOf)).size > 1) mixed = true;
    });
    try {
      await setImage(ns, 'web:2');
      await rolledOut(ns, replicas, 'web:2');
      expect(violations).toEqual([]);
      expect(mixed).toBe(true);
      expect(watch.errors).toEqual([]);
      const sets = await replicaSets(ns);
      expect(sets.map((rs) => [imageOf(rs), (rs.spec as Json).replicas, annotation(rs, 'deployment.kubernetes.io/revision')]).sort()).toEqual([
        ['web:1', 0, '1'],
        ['web:2', replicas, '2'],
      ]);
    } finally {
      watch.stop();
    }
  }, TEST_TIMEOUT_MS);
});

test('Recreate removes every old pod before it creates a new one', async () => {
  const ns = await plane.namespace('deploy-recreate');
  await create(ns, 3, { strategy: { type: 'Recreate' } });
  await rolledOut(ns, 3, 'web:1');
  const violations: string[] = [];
  const watch = await watchPods(plane.client, ns, (all) => {
    // Terminating pods count: Recreate waits until they are gone, not just marked.
    const images = new Set(all.map(imageOf));
    if (images.size > 1) violations.push(`pods of ${[...images].join(' and ')} at once`);
  });
  try {
    await setImage(ns, 'web:2');
    await rolledOut(ns, 3, 'web:2');
    expect(violations).toEqual([]);
  } finally {
    watch.stop();
  }
}, TEST_TIMEOUT_MS);

test('keeps revisionHistoryLimit old ReplicaSets, deleting the oldest', async () => {
  const ns = await plane.namespace('deploy-history');
  await create(ns, 1, { revisionHistoryLimit: 1 });
  await rolledOut(ns, 1, 'web:1');
  for (const image of ['web:2', 'web:3']) {
    await setImage(ns, image);
    await rolledOut(ns, 1, image);
  }
  await eventually(async () => {
    const sets = await replicaSets(ns);
    expect(sets.map((rs) => [annotation(rs, 'deployment.kubernetes.io/revision'), imageOf(rs), (rs.spec as Json).replicas]).sort()).toEqual([
      ['2', 'web:2', 0],
      ['3', 'web:3', 1],
    ]);
  }, WAIT_MS);
  expect(annotation(await deployment(ns), 'deployment.kubernetes.io/revision')).toBe('3');
}, TEST_TIMEOUT_MS);

test('an undo (the old template copied back) reuses the old ReplicaSet under the next revision', async () => {
  const ns = await plane.namespace('deploy-undo');
  await create(ns, 2);
  await rolledOut(ns, 2, 'web:1');
  const [first] = await replicaSets(ns);
  await setImage(ns, 'web:2');
  await rolledOut(ns, 2, 'web:2');
  await setImage(ns, 'web:1');
  const done = await rolledOut(ns, 2, 'web:1');
  const sets = await replicaSets(ns);
  expect(sets).toHaveLength(2);
  const reused = sets.find((rs) => rs.metadata.uid === first!.metadata.uid)!;
  expect(reused.metadata.annotations).toMatchObject({ 'deployment.kubernetes.io/revision': '3', 'deployment.kubernetes.io/revision-history': '1' });
  expect((reused.spec as Json).replicas).toBe(2);
  expect(annotation(done, 'deployment.kubernetes.io/revision')).toBe('3');
}, TEST_TIMEOUT_MS);

test('paused: scaling goes on but the rollout waits; resumed: it rolls out', async () => {
  const ns = await plane.namespace('deploy-pause');
  await create(ns, 2);
  await rolledOut(ns, 2, 'web:1');
  await plane.client.patch(DEPLOYMENTS, ns, 'web', { spec: { paused: true } });
  await eventually(async () => expect(condition(await deployment(ns), 'Progressing')).toMatchObject({ status: 'Unknown', reason: 'DeploymentPaused', message: 'Deployment is paused' }), WAIT_MS);
  await setImage(ns, 'web:2');
  await plane.client.patch(DEPLOYMENTS, ns, 'web', { spec: { replicas: 3 } });
  await eventually(async () => {
    const sets = await replicaSets(ns);
    expect(sets.map((rs) => [imageOf(rs), (rs.spec as Json).replicas])).toEqual([['web:1', 3]]);
    expect(livePods((await plane.client.list(PODS, ns)).items).filter(isReady)).toHaveLength(3);
    expect(statusOf(await deployment(ns))).toMatchObject({ replicas: 3, availableReplicas: 3, updatedReplicas: 0 });
  }, WAIT_MS);
  // Long enough for a rollout to have started, had pausing not stopped it.
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  expect((await replicaSets(ns)).map(imageOf)).toEqual(['web:1']);
  await plane.client.patch(DEPLOYMENTS, ns, 'web', { spec: { paused: false } });
  await rolledOut(ns, 3, 'web:2');
}, TEST_TIMEOUT_MS);

test('scaling a stuck rollout shares the new replicas out in proportion (Kubernetes\' 10 → 15 example)', async () => {
  const ns = await plane.namespace('deploy-proportional');
  await create(ns, 10, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } }, progressDeadlineSeconds: 600 });
  await rolledOut(ns, 10, 'web:1');
  await setImage(ns, BROKEN_IMAGE);
  const sizes = async (): Promise<[string, unknown][]> => (await replicaSets(ns)).map((rs) => [imageOf(rs), (rs.spec as Json).replicas] as [string, unknown]).sort();
  // Stuck: 8 old (2 unavailable allowed) and 5 new (3 surge) that never become ready.
  await eventually(async () => expect(await sizes()).toEqual([['web:1', 8], [BROKEN_IMAGE, 5]]), WAIT_MS);
  await plane.client.patch(DEPLOYMENTS, ns, 'web', { spec: { replicas: 15 } });
  // 5 more (18 allowed in all): 3 to the old ReplicaSet, 2 to the new one.
  await eventually(async () => expect(await sizes()).toEqual([['web:1', 11], [BROKEN_IMAGE, 7]]), WAIT_MS);
}, TEST_TIMEOUT_MS);

test('reports ProgressDeadlineExceeded when the new pods never become ready', async () => {
  const ns = await plane.namespace('deploy-deadline');
  await create(ns, 2, { image: BROKEN_IMAGE, progressDeadlineSeconds: 2 });
  const stuck = await eventually(async () => {
    const current = await deployment(ns);
    expect(condition(current, 'Progressing')).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded' });
    return current;
  }, WAIT_MS);
  const [rs] = await replicaSets(ns);
  expect(condition(stuck, 'Progressing')!.message).toBe(`ReplicaSet "${rs!.metadata.name}" has timed out progressing.`);
  expect(condition(stuck, 'Available')).toMatchObject({ status: 'False', reason: 'MinimumReplicasUnavailable' });
  expect(statusOf(stuck)).toMatchObject({ replicas: 2, updatedReplicas: 2, availableReplicas: 0, unavailableReplicas: 2 });
}, TEST_TIMEOUT_MS);
