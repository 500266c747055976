/**
 * The garbage collector against a real API server, on a chain Deployment → ReplicaSet →
 * pods that the test builds itself with owner references (no workload controllers run):
 * background deletion removes the chain top-down and only unhooks a dependent that has
 * another owner; foreground deletion keeps each owner (with its `foregroundDeletion`
 * finalizer) until its blocking dependents are gone, bottom-up; orphaning removes the
 * references and keeps the dependents; an owner reference is a uid, so an object of the
 * owner's name but another uid is no owner.
 */
import type { ApiObject, OwnerReference } from '../../../control-plane/api/types.js';
import { GarbageCollector } from '../../../control-plane/controllers/garbage-collector/garbage-collector.js';
import { eventually } from '../../support/eventually.js';
import { CONFIGMAPS, DEPLOYMENTS, PODS, REPLICASETS, freshNamespace, isGone, podObject, runControllers, sleep, startLifecycleCluster } from './support-lifecycle.js';
import type { LifecycleCluster, RunningControllers } from './support-lifecycle.js';

let cluster: LifecycleCluster;
let controllers: RunningControllers;

beforeAll(async () => {
  cluster = await startLifecycleCluster();
  controllers = await runControllers(cluster.client, [new GarbageCollector()]);
}, 60_000);

afterAll(async () => {
  await controllers?.stop();
  await cluster?.stop();
});

function ownedBy(owner: ApiObject, block = true): OwnerReference {
  return { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name!, uid: owner.metadata.uid!, controller: true, blockOwnerDeletion: block };
}

const template = { metadata: { labels: { app: 'app' } }, spec: { containers: [{ name: 'main', image: 'app:1' }] } };

/** Deployment `app` → ReplicaSet `app-rs` → pods `app-rs-0`, `app-rs-1` (bound to a node when `nodeName`). */
async function chain(ns: string, nodeName?: string): Promise<{ deployment: ApiObject; replicaSet: ApiObject; pods: ApiObject[] }> {
  const { client } = cluster;
  const deployment = await client.create(DEPLOYMENTS, ns, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'app' }, spec: { replicas: 2, selector: { matchLabels: { app: 'app' } }, template } });
  const replicaSet = await client.create(REPLICASETS, ns, {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'app-rs', ownerReferences: [ownedBy(deployment)] },
    spec: { replicas: 2, selector: { matchLabels: { app: 'app' } }, template },
  });
  const pods = [];
  for (const name of ['app-rs-0', 'app-rs-1']) {
    pods.push(await client.create(PODS, ns, podObject(name, { labels: { app: 'app' }, ownerReferences: [ownedBy(replicaSet)], ...(nodeName ? { nodeName } : {}) })));
  }
  return { deployment, replicaSet, pods };
}

test('background: owner gone, its dependents go, down the chain; a dependent with another owner only loses the reference', async () => {
  const { client } = cluster;
  const ns = await freshNamespace(client, 'gc');
  const { replicaSet } = await chain(ns);
  const keeper = await client.create(CONFIGMAPS, ns, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'keeper' } });
  await client.create(PODS, ns, podObject('shared', { ownerReferences: [ownedBy(replicaSet), { ...ownedBy(keeper, false), controller: false }] }));

  await client.delete(DEPLOYMENTS, ns, 'app');
  await eventually(async () => {
    expect(await isGone(client, REPLICASETS, ns, 'app-rs')).toBe(true);
    expect(await isGone(client, PODS, ns, 'app-rs-0')).toBe(true);
    expect(await isGone(client, PODS, ns, 'app-rs-1')).toBe(true);
    const shared = await client.get(PODS, ns, 'shared');
    expect(shared.metadata.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'ConfigMap', name: 'keeper', uid: keeper.metadata.uid, controller: false, blockOwnerDeletion: false }]);
  });
});

test('foreground: each owner waits, with its finalizer, until its blocking dependents are gone', async () => {
  const { client } = cluster;
  const ns = await freshNamespace(client, 'gc');
  // Bound pods are only marked by a delete (their agent would confirm): the chain has to wait for them.
  await chain(ns, 'node-1');
  await client.delete(DEPLOYMENTS, ns, 'app', { propagationPolicy: 'Foreground' });
  await eventually(async () => {
    for (const name of ['app-rs-0', 'app-rs-1']) expect((await client.get(PODS, ns, name)).metadata.deletionTimestamp).toBeDefined();
    const replicaSet = await client.get(REPLICASETS, ns, 'app-rs');
    expect(replicaSet.metadata.deletionTimestamp).toBeDefined();
    expect(replicaSet.metadata.finalizers).toEqual(['foregroundDeletion']);
  });
  await sleep(500);
  const deployment = await client.get(DEPLOYMENTS, ns, 'app');
  expect(deployment.metadata.deletionTimestamp).toBeDefined();
  expect(deployment.metadata.finalizers).toEqual(['foregroundDeletion']);
  expect(await isGone(client, REPLICASETS, ns, 'app-rs')).toBe(false);

  // The agent confirms one pod is gone: the rest still waits for the other.
  await client.delete(PODS, ns, 'app-rs-0', { gracePeriodSeconds: 0 });
  await sleep(500);
  expect(await isGone(client, REPLICASETS, ns, 'app-rs')).toBe(false);
  expect(await isGone(client, DEPLOYMENTS, ns, 'app')).toBe(false);

  await client.delete(PODS, ns, 'app-rs-1', { gracePeriodSeconds: 0 });
  await eventually(async () => {
    expect(await isGone(client, REPLICASETS, ns, 'app-rs')).toBe(true);
    expect(await isGone(client, DEPLOYMENTS, ns, 'app')).toBe(true);
  });
});

test('foreground with nothing to wait for: the finalizer is removed at once', async () => {
  const { client } = cluster;
  const ns = await freshNamespace(client, 'gc');
  await client.create(CONFIGMAPS, ns, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'lonely' } });
  const marked = await client.delete(CONFIGMAPS, ns, 'lonely', { propagationPolicy: 'Foreground' });
  expect(marked.metadata.finalizers).toEqual(['foregroundDeletion']);
  await eventually(async () => expect(await isGone(client, CONFIGMAPS, ns, 'lonely')).toBe(true));
});

test('orphan: the dependents lose their reference and stay; the owner goes', async () => {
  const { client } = cluster;
  const ns = await freshNamespace(client, 'gc');
  const { replicaSet } = await chain(ns);
  await client.delete(DEPLOYMENTS, ns, 'app', { propagationPolicy: 'Orphan' });
  await eventually(async () => expect(await isGone(client, DEPLOYMENTS, ns, 'app')).toBe(true));
  const kept = await client.get(REPLICASETS, ns, 'app-rs');
  expect(kept.metadata.uid).toBe(replicaSet.metadata.uid);
  expect(kept.metadata.ownerReferences).toBeUndefined();
  await sleep(500);
  for (const name of ['app-rs-0', 'app-rs-1']) {
    const pod = await client.get(PODS, ns, name);
    expect(pod.metadata.deletionTimestamp).toBeUndefined();
    expect(pod.metadata.ownerReferences).toEqual([ownedBy(replicaSet)]);
  }
});

test('an owner is its uid: an object of the same name but another uid is no owner', async () => {
  const { client } = cluster;
  const ns = await freshNamespace(client, 'gc');
  const first = await client.create(CONFIGMAPS, ns, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'owner' } });
  await client.create(PODS, ns, podObject('dependent', { ownerReferences: [ownedBy(first)] }));
  await sleep(300);
  expect(await isGone(client, PODS, ns, 'dependent')).toBe(false);
  // Deleted and created again under the same name at once: the new one does not own the pod.
  await client.delete(CONFIGMAPS, ns, 'owner');
  await client.create(CONFIGMAPS, ns, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'owner' } });
  await eventually(async () => expect(await isGone(client, PODS, ns, 'dependent')).toBe(true));
  expect(await isGone(client, CONFIGMAPS, ns, 'owner')).toBe(false);
});
