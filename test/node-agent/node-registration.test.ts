/**
 * The node in the API: registered with its labels, taints, capacity, addresses and the
 * agent's endpoint; its Lease renewed; Ready posted, and posted again at once when the
 * node lifecycle controller has marked the node Unknown (it never sets Ready back itself).
 */
import { resourceByName } from '../../control-plane/api/resources.js';
import type { ApiObject } from '../../control-plane/api/types.js';
import { NODE_LEASE_NAMESPACE, readyCondition } from '../../control-plane/controllers/node-lifecycle/node-health.js';
import { eventually } from '../support/eventually.js';
import { startAgentHarness } from './support/agent-harness.js';
import type { AgentHarness } from './support/agent-harness.js';

const NODES = resourceByName('nodes')!;
const LEASES = resourceByName('leases')!;

let harness: AgentHarness;

beforeAll(async () => {
  harness = await startAgentHarness({
    labels: { zone: 'a' },
    taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }],
    resources: { cpu: '3', memory: '6Gi', pods: 20 },
  });
});

afterAll(async () => {
  await harness?.stop();
});

test('the node is registered with its labels, taints, capacity, addresses, endpoint and Ready', async () => {
  const node = await harness.plane.client.get(NODES, undefined, harness.nodeName);
  expect(node.metadata.labels).toMatchObject({ zone: 'a', 'kubernetes.io/hostname': harness.nodeName, 'kubernetes.io/os': process.platform });
  expect(node.metadata.labels!['kubernetes.io/arch']).toBe(process.arch === 'x64' ? 'amd64' : process.arch);
  expect(node.spec?.taints).toEqual([{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }]);
  const status = node.status as Record<string, unknown>;
  expect(status.capacity).toEqual({ cpu: '3', memory: '6Gi', pods: '20' });
  expect(status.allocatable).toEqual({ cpu: '3', memory: '6Gi', pods: '20' });
  expect(status.addresses).toEqual([
    { type: 'InternalIP', address: '127.0.0.1' },
    { type: 'Hostname', address: harness.nodeName },
  ]);
  expect(status.daemonEndpoints).toEqual({ kubeletEndpoint: { Port: harness.agent.port } });
  expect(readyCondition(node)).toMatchObject({ status: 'True', reason: 'KubeletReady' });
  const types = ((status.conditions ?? []) as { type: string }[]).map((condition) => condition.type);
  expect(types).toEqual(expect.arrayContaining(['Ready', 'MemoryPressure', 'DiskPressure']));
});

test('the Lease in kube-node-lease is renewed', async () => {
  const first = await harness.plane.client.get(LEASES, NODE_LEASE_NAMESPACE, harness.nodeName);
  expect(first.spec).toMatchObject({ holderIdentity: harness.nodeName, leaseDurationSeconds: 40 });
  expect(String(first.spec?.renewTime)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  await eventually(async () => {
    const later = await harness.plane.client.get(LEASES, NODE_LEASE_NAMESPACE, harness.nodeName);
    expect(later.spec?.renewTime).not.toBe(first.spec?.renewTime);
  });
});

test('a node marked Unknown by the lifecycle controller is posted Ready again with a fresh heartbeat', async () => {
  const node = await harness.plane.client.get(NODES, undefined, harness.nodeName);
  const conditions = ((node.status?.conditions ?? []) as Record<string, unknown>[]).map((condition) =>
    condition.type === 'Ready' ? { ...condition, status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' } : condition,
  );
  const marked = await harness.plane.client.updateStatus(NODES, { ...node, status: { ...node.status, conditions } });
  const before = readyCondition(marked)!;
  const back: ApiObject = await eventually(async () => {
    const current = await harness.plane.client.get(NODES, undefined, harness.nodeName);
    expect(readyCondition(current)?.status).toBe('True');
    return current;
  });
  expect(readyCondition(back)?.reason).toBe('KubeletReady');
  expect(readyCondition(back)?.lastTransitionTime).toBeDefined();
  expect(Date.parse(readyCondition(back)!.lastHeartbeatTime!)).toBeGreaterThanOrEqual(Date.parse(before.lastHeartbeatTime!));
});
