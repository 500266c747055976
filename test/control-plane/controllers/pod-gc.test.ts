/**
 * Pod garbage collection against a real API server (threshold 3 terminated pods, orphan
 * quarantine 1 s): terminated pods over the threshold go, evicted ones first and then the
 * oldest; pods bound to a node that does not exist are force-deleted after the quarantine,
 * those of a real node stay; a terminating pod on a node its operator declared out of
 * service is force-deleted.
 */
import { PodGcController } from '../../../control-plane/controllers/pod-gc/pod-gc-controller.js';
import { eventually } from '../../support/eventually.js';
import { NODES, PODS, freshNamespace, isGone, podObject, reportPod, runControllers, sleep, startLifecycleCluster } from './support-lifecycle.js';
import type { LifecycleCluster, RunningControllers } from './support-lifecycle.js';

let cluster: LifecycleCluster;
let controllers: RunningControllers;

beforeAll(async () => {
  cluster = await startLifecycleCluster();
  controllers = await runControllers(cluster.client, [new PodGcController({ terminatedPodThreshold: 3, periodMs: 300, orphanQuarantineSeconds: 1 })]);
}, 60_000);

afterAll(async () => {
  await controllers?.stop();
  await cluster?.stop();
});

test('terminated pods beyond the threshold go: evicted first, then the oldest', async () => {
  const { client } = cluster;
  const ns = await freshNamespace(client, 'gc');
  await client.create(PODS, ns, podObject('t-old'));
  // Creation times have a one-second grain: make t-old older than the rest for sure.
  await sleep(1_100);
  for (const name of ['a-new-1', 'a-new-2', 'a-new-3', 'z-evicted', 'still-running']) await client.create(PODS, ns, podObject(name));
  await reportPod(client, ns, 'still-running', { phase: 'Running' });
  for (const name of ['t-old', 'a-new-1', 'a-new-2', 'a-new-3']) await reportPod(client, ns, name, { phase: 'Succeeded' });
  await reportPod(client, ns, 'z-evicted', { phase: 'Failed', reason: 'Evicted' });

  await eventually(async () => {
    expect(await isGone(client, PODS, ns, 'z-evicted')).toBe(true);
    expect(await isGone(client, PODS, ns, 't-old')).toBe(true);
  });
  await sleep(600);
  for (const name of ['a-new-1', 'a-new-2', 'a-new-3', 'still-running']) expect(await isGone(client, PODS, ns, name)).toBe(false);
  for (const name of ['a-new-1', 'a-new-2', 'a-new-3', 'still-running']) await client.delete(PODS, ns, name);
}, 30_000);

test('pods of a node that does not exist are force-deleted after the quarantine; those of a real node stay', async () => {
  const { client } = cluster;
  const ns = await freshNamespace(client, 'gc');
  await client.create(NODES, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'real-node' }, spec: {} });
  await client.create(PODS, ns, podObject('orphan', { nodeName: 'no-such-node' }));
  await client.create(PODS, ns, podObject('housed', { nodeName: 'real-node' }));
  await sleep(300);
  // Still in quarantine.
  expect(await isGone(client, PODS, ns, 'orphan')).toBe(false);
  await eventually(async () => expect(await isGone(client, PODS, ns, 'orphan')).toBe(true), 10_000);
  expect(await isGone(client, PODS, ns, 'housed')).toBe(false);
}, 30_000);

test('a terminating pod on an out-of-service node is force-deleted', async () => {
  const { client } = cluster;
  const ns = await freshNamespace(client, 'gc');
  await client.create(NODES, undefined, {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'dead-node' },
    spec: { taints: [{ key: 'node.kubernetes.io/out-of-service', value: 'nodeshutdown', effect: 'NoExecute' }] },
    status: { conditions: [{ type: 'Ready', status: 'Unknown' }] },
  });
  await client.create(PODS, ns, podObject('stuck', { nodeName: 'dead-node' }));
  const marked = await client.delete(PODS, ns, 'stuck');
  expect(marked.metadata.deletionGracePeriodSeconds).toBe(30);
  await eventually(async () => expect(await isGone(client, PODS, ns, 'stuck')).toBe(true), 10_000);
}, 30_000);
