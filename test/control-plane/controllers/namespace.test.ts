/**
 * The namespace controller against a real API server: a namespace marked for deletion has
 * its content deleted, kind by kind; it stays `Terminating`, with Kubernetes' conditions
 * saying what remains and which finalizers hold it, while objects wait for finalizers or pods
 * for their grace period (force-deleted once it has passed); then the controller removes its
 * `kubernetes` finalizer and the namespace goes. Namespaces not being deleted are untouched.
 */
import type { ApiObject } from '../../../control-plane/api/types.js';
import { NamespaceController } from '../../../control-plane/controllers/namespace/namespace-controller.js';
import { eventually } from '../../support/eventually.js';
import { CONFIGMAPS, DEPLOYMENTS, NAMESPACES, PODS, REPLICASETS, SERVICES, freshNamespace, isGone, podObject, runControllers, startLifecycleCluster } from './support-lifecycle.js';
import type { LifecycleCluster, RunningControllers } from './support-lifecycle.js';

let cluster: LifecycleCluster;
let controllers: RunningControllers;

beforeAll(async () => {
  cluster = await startLifecycleCluster();
  controllers = await runControllers(cluster.client, [new NamespaceController({ recheckMs: 300 })]);
}, 60_000);

afterAll(async () => {
  await controllers?.stop();
  await cluster?.stop();
});

const conditionsOf = (namespace: ApiObject) => (namespace.status?.conditions ?? []) as { type: string; status: string; reason: string; message: string }[];

test('the content goes, then the namespace; meanwhile it is Terminating and says what remains', async () => {
  const { client } = cluster;
  const ns = await freshNamespace(client, 'doomed');
  const bystander = await freshNamespace(client, 'kept');
  const template = { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'main', image: 'app:1' }] } };
  await client.create(DEPLOYMENTS, ns, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'a' }, spec: { selector: { matchLabels: { app: 'a' } }, template } });
  await client.create(REPLICASETS, ns, { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'a-1' }, spec: { selector: { matchLabels: { app: 'a' } }, template } });
  await client.create(SERVICES, ns, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'a' }, spec: { selector: { app: 'a' }, ports: [{ port: 80 }] } });
  await client.create(PODS, ns, podObject('unbound'));
  // On a node whose agent is gone: marked for 2 s, then forced.
  await client.create(PODS, ns, podObject('bound', { nodeName: 'gone-node', terminationGracePeriodSeconds: 2 }));
  await client.create(CONFIGMAPS, ns, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'held', finalizers: ['example.com/hold'] } });
  await client.create(CONFIGMAPS, bystander, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'untouched' } });

  await client.delete(NAMESPACES, undefined, ns);
  const terminating = await eventually(async () => {
    const namespace = await client.get(NAMESPACES, undefined, ns);
    expect(namespace.status?.phase).toBe('Terminating');
    const conditions = conditionsOf(namespace);
    expect(conditions.find((c) => c.type === 'NamespaceContentRemaining')).toMatchObject({ status: 'True', reason: 'SomeResourcesRemain' });
    expect(conditions.find((c) => c.type === 'NamespaceFinalizersRemaining')).toMatchObject({
      status: 'True',
      reason: 'SomeFinalizersRemain',
      message: 'Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances',
    });
    expect(conditions.find((c) => c.type === 'NamespaceDeletionContentFailure')).toMatchObject({ status: 'False', reason: 'ContentDeleted' });
    return namespace;
  });
  expect(terminating.spec?.finalizers).toEqual(['kubernetes']);
  await eventually(async () => {
    for (const [info, name] of [
      [DEPLOYMENTS, 'a'],
      [REPLICASETS, 'a-1'],
      [SERVICES, 'a'],
      [PODS, 'unbound'],
      [PODS, 'bound'],
    ] as const) {
      expect(await isGone(client, info, ns, name)).toBe(true);
    }
  }, 15_000);
  // The finalizer's owner is done: the last object goes, and then the namespace.
  const held = await client.get(CONFIGMAPS, ns, 'held');
  expect(held.metadata.deletionTimestamp).toBeDefined();
  await client.patch(CONFIGMAPS, ns, 'held', { metadata: { finalizers: null } });
  await eventually(async () => expect(await isGone(client, NAMESPACES, undefined, ns)).toBe(true), 15_000);

  expect((await client.get(CONFIGMAPS, bystander, 'untouched')).metadata.deletionTimestamp).toBeUndefined();
  expect((await client.get(NAMESPACES, undefined, bystander)).status?.phase).toBe('Active');
}, 45_000);

test('an empty namespace goes at once', async () => {
  const { client } = cluster;
  const ns = await freshNamespace(client, 'empty');
  await client.delete(NAMESPACES, undefined, ns);
  await eventually(async () => expect(await isGone(client, NAMESPACES, undefined, ns)).toBe(true));
});
