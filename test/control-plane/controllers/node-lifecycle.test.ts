/**
 * The node lifecycle controller against a real API server, with fake nodes whose heartbeat
 * Leases the test renews or lets lapse (grace period 2 s, default eviction 2 s): a silent
 * node becomes Ready=Unknown and tainted unreachable, its pods unready and then evicted
 * after their toleration (those that tolerate it for ever stay), and it loses the taints when
 * its agent is back; a node whose agent's clock is far off but that keeps renewing stays
 * Ready; a pod that does not tolerate a NoExecute taint on a healthy node is marked for
 * deletion at once but not forced; the pods of a deleted node are force-deleted (not those
 * of a node it never saw); time is the injected clock's, not the wall clock's.
 */
import type { ApiObject } from '../../../control-plane/api/types.js';
import { NodeLifecycleController } from '../../../control-plane/controllers/node-lifecycle/node-lifecycle-controller.js';
import { eventually } from '../../support/eventually.js';
import {
  LEASES,
  NODES,
  PODS,
  ensureNamespace,
  eventsAbout,
  freshNamespace,
  isGone,
  microTime,
  podObject,
  registerNode,
  renewLease,
  reportNodeReady,
  reportPod,
  runControllers,
  sleep,
  startLifecycleCluster,
} from './support-lifecycle.js';
import type { LifecycleCluster, RunningControllers } from './support-lifecycle.js';

let cluster: LifecycleCluster;
let controllers: RunningControllers;
const agents: NodeJS.Timeout[] = [];

beforeAll(async () => {
  cluster = await startLifecycleCluster();
  await ensureNamespace(cluster.client, 'kube-node-lease');
  controllers = await runControllers(cluster.client, [
    new NodeLifecycleController({ nodeMonitorGracePeriodSeconds: 2, nodeMonitorPeriodMs: 200, podEvictionTimeoutSeconds: 2 }),
  ]);
}, 60_000);

afterAll(async () => {
  for (const agent of agents) clearInterval(agent);
  await controllers?.stop();
  await cluster?.stop();
});

/** A fake agent renewing its node's lease every 300 ms, its clock `skewMs` off. */
function keepRenewing(name: string, skewMs = 0): NodeJS.Timeout {
  const agent = setInterval(() => {
    const renew = skewMs === 0 ? renewLease(cluster.client, name) : cluster.client.patch(LEASES, 'kube-node-lease', name, { spec: { renewTime: microTime(new Date(Date.now() + skewMs)) } });
    renew.catch(() => {});
  }, 300);
  agents.push(agent);
  return agent;
}

const taintsOf = (node: ApiObject) => ((node.spec?.taints ?? []) as { key: string; effect: string }[]).map((taint) => `${taint.key}:${taint.effect}`).sort();
const readyOf = (node: ApiObject) => ((node.status?.conditions ?? []) as { type: string; status: string; reason?: string; message?: string }[]).find((c) => c.type === 'Ready');

test('a silent node goes Unknown and tainted, its pods unready then evicted after their toleration; back, it loses the taints', async () => {
  const { client } = cluster;
  const ns = await freshNamespace(client, 'nl');
  await registerNode(client, 'silent-1');
  await registerNode(client, 'alive-1');
  await registerNode(client, 'skewed-1');
  keepRenewing('alive-1');
  keepRenewing('skewed-1', -3_600_000);
  const evicted = await client.create(PODS, ns, podObject('default-toleration', { nodeName: 'silent-1' }));
  await client.create(PODS, ns, podObject('tolerates-forever', { nodeName: 'silent-1', tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' }] }));
  await client.create(PODS, ns, podObject('tolerates-an-hour', { nodeName: 'silent-1', tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 3600 }] }));
  await client.create(PODS, ns, podObject('on-alive', { nodeName: 'alive-1' }));
  await reportPod(client, ns, 'default-toleration', { ip: '10.3.0.1', ready: true });

  const silent = await eventually(async () => {
    const node = await client.get(NODES, undefined, 'silent-1');
    expect(readyOf(node)).toMatchObject({ status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' });
    expect(taintsOf(node)).toEqual(['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']);
    return node;
  }, 15_000);
  const noExecute = (silent.spec!.taints as { effect: string; timeAdded?: string }[]).find((taint) => taint.effect === 'NoExecute')!;
  expect(noExecute.timeAdded).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  // Just tainted: the default toleration (2 s) has not run out yet.
  expect(await isGone(client, PODS, ns, 'default-toleration')).toBe(false);
  await eventually(async () => expect(await eventsAbout(client, 'default', 'silent-1')).toContain('NodeNotReady'));
  // Its pods are no longer Ready.
  await eventually(async () => {
    const pod = await client.get(PODS, ns, 'default-toleration');
    expect((pod.status!.conditions as { type: string; status: string }[]).find((c) => c.type === 'Ready')?.status).toBe('False');
  }, 5_000).catch(async (error) => {
    // It may already have been evicted, which is fine too.
    if (!(await isGone(client, PODS, ns, 'default-toleration'))) throw error;
  });

  // Evicted (marked, then forced: no agent will confirm) after its 2 s.
  await eventually(async () => expect(await isGone(client, PODS, ns, 'default-toleration')).toBe(true), 15_000);
  expect(await eventsAbout(client, ns, 'default-toleration')).toContain('TaintManagerEviction');
  expect(evicted.metadata.uid).toBeDefined();
  // Those that tolerate it for ever, or for an hour, stay; so does the pod of the live node.
  for (const name of ['tolerates-forever', 'tolerates-an-hour', 'on-alive']) {
    expect((await client.get(PODS, ns, name)).metadata.deletionTimestamp).toBeUndefined();
  }
  // A node that keeps renewing stays Ready and untainted, whatever its clock says.
  for (const name of ['alive-1', 'skewed-1']) {
    const node = await client.get(NODES, undefined, name);
    expect(readyOf(node)?.status).toBe('True');
    expect(taintsOf(node)).toEqual([]);
  }

  // The agent comes back: it renews and reports Ready; the taints go.
  keepRenewing('silent-1');
  await reportNodeReady(client, 'silent-1');
  await eventually(async () => {
    const node = await client.get(NODES, undefined, 'silent-1');
    expect(readyOf(node)?.status).toBe('True');
    expect(taintsOf(node)).toEqual([]);
  }, 15_000);
}, 60_000);

test('a pod that does not tolerate a NoExecute taint of a healthy node is marked at once, and not forced', async () => {
  const { client } = cluster;
  const ns = await freshNamespace(client, 'nl');
  await registerNode(client, 'dedicated-1');
  keepRenewing('dedicated-1');
  await client.create(PODS, ns, podObject('intruder', { nodeName: 'dedicated-1' }));
  await client.create(PODS, ns, podObject('guest', { nodeName: 'dedicated-1', tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoExecute' }] }));
  await client.patch(NODES, undefined, 'dedicated-1', { spec: { taints: [{ key: 'dedicated', value: 'db', effect: 'NoExecute' }] } });
  await eventually(async () => {
    const pod = await client.get(PODS, ns, 'intruder');
    expect(pod.metadata.deletionTimestamp).toBeDefined();
    expect(pod.metadata.deletionGracePeriodSeconds).toBe(30);
  });
  expect((await client.get(PODS, ns, 'guest')).metadata.deletionTimestamp).toBeUndefined();
  await client.delete(PODS, ns, 'intruder', { gracePeriodSeconds: 0 });
}, 30_000);

test('the pods of a node deleted from the API are force-deleted', async () => {
  const { client } = cluster;
  const ns = await freshNamespace(client, 'nl');
  await registerNode(client, 'doomed-1');
  keepRenewing('doomed-1');
  await client.create(PODS, ns, podObject('stranded-1', { nodeName: 'doomed-1' }));
  await client.create(PODS, ns, podObject('stranded-2', { nodeName: 'doomed-1', tolerations: [{ operator: 'Exists' }] }));
  // A node this controller never saw is the pod GC's business (it may be registering now).
  await client.create(PODS, ns, podObject('early', { nodeName: 'not-yet-registered' }));
  await client.delete(NODES, undefined, 'doomed-1');
  await eventually(async () => {
    expect(await isGone(client, PODS, ns, 'stranded-1')).toBe(true);
    expect(await isGone(client, PODS, ns, 'stranded-2')).toBe(true);
  }, 15_000);
  expect(await isGone(client, PODS, ns, 'early')).toBe(false);
}, 30_000);

test('time is the injected clock: an hour-long grace period and toleration pass when the clock says so', async () => {
  const { client } = cluster;
  // The controller of the other tests gives way to one on a clock the test moves.
  await controllers.stop();
  let offsetMs = 0;
  controllers = await runControllers(
    client,
    [new NodeLifecycleController({ nodeMonitorGracePeriodSeconds: 3600, nodeMonitorPeriodMs: 100, podEvictionTimeoutSeconds: 3600 })],
    () => new Date(Date.now() + offsetMs),
  );
  const ns = await freshNamespace(client, 'nl');
  await registerNode(client, 'clocked-1');
  await client.create(PODS, ns, podObject('patient', { nodeName: 'clocked-1' }));
  await sleep(500);
  expect(readyOf(await client.get(NODES, undefined, 'clocked-1'))?.status).toBe('True');

  offsetMs += 3_601_000;
  await eventually(async () => expect(taintsOf(await client.get(NODES, undefined, 'clocked-1'))).toContain('node.kubernetes.io/unreachable:NoExecute'), 10_000);
  await sleep(500);
  expect(await isGone(client, PODS, ns, 'patient')).toBe(false);
  offsetMs += 3_601_000;
  await eventually(async () => expect(await isGone(client, PODS, ns, 'patient')).toBe(true), 10_000);
}, 30_000);
