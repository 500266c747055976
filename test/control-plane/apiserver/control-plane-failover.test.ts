/**
 * `balsa server` is a whole control plane: three members, each a KV member with the API
 * server, the scheduler and the controller manager, one of each active at a time (leases
 * in kube-system). A Deployment becomes a ReplicaSet whose pods are scheduled onto a
 * (fake, registered) node; when the member whose controller manager is active is killed,
 * another member's takes over and a scale-up is carried out.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resourceByName } from '../../../control-plane/api/resources.js';
import type { ApiObject } from '../../../control-plane/api/types.js';
import { GrpcApiClient } from '../../../control-plane/client/grpc-api-client.js';
import { microTime } from '../../../control-plane/client/leader-election.js';
import { eventually } from '../../support/eventually.js';
import { startKvCluster } from '../../support/kv-cluster.js';
import type { KvCluster } from '../../support/kv-cluster.js';

const NODES = resourceByName('nodes')!;
const LEASES = resourceByName('leases')!;
const PODS = resourceByName('pods')!;
const DEPLOYMENTS = resourceByName('deployments')!;

let dir: string;
let cluster: KvCluster;
let clients: GrpcApiClient[];
let heartbeat: NodeJS.Timeout | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'balsa-control-plane-'));
  cluster = await startKvCluster({ members: 3, dir, apiServer: true });
  clients = cluster.members.map((member) => new GrpcApiClient(member.apiGrpcAddress!));
  await eventually(async () => expect((await clients[0]!.list(resourceByName('namespaces')!, undefined)).items.length).toBeGreaterThanOrEqual(4));
});

afterAll(async () => {
  if (heartbeat !== undefined) clearInterval(heartbeat);
  for (const client of clients ?? []) client.close();
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** A node that reports Ready, with room for pods, and renews its heartbeat lease (acting as its agent). */
async function registerFakeNode(client: GrpcApiClient, name: string): Promise<void> {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  await client.create(NODES, undefined, {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name } },
    spec: {},
    status: {
      capacity: { cpu: '4', memory: '8Gi', pods: '110' },
      allocatable: { cpu: '4', memory: '8Gi', pods: '110' },
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'ready', lastHeartbeatTime: now, lastTransitionTime: now }],
    },
  });
  await client.create(LEASES, 'kube-node-lease', {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name },
    spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: microTime(new Date()) },
  });
}

function holderOf(lease: ApiObject): string {
  return String((lease.spec as { holderIdentity?: string }).holderIdentity ?? '');
}

test('a Deployment is rolled out onto a node, and a killed member\'s controller manager is replaced by another\'s', async () => {
  const client = clients[1]!;
  await registerFakeNode(client, 'node-a');
  heartbeat = setInterval(() => {
    void client.patch(LEASES, 'kube-node-lease', 'node-a', { spec: { renewTime: microTime(new Date()) } }).catch(() => {});
  }, 5_000);

  await client.create(DEPLOYMENTS, 'default', {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'web:1', resources: { requests: { cpu: '100m', memory: '64Mi' } } }] } },
    },
  });
  const webPods = async () => (await client.list(PODS, 'default', { labelSelector: 'app=web' })).items;
  await eventually(async () => {
    const pods = await webPods();
    expect(pods).toHaveLength(2);
    expect(pods.map((pod) => pod.spec?.nodeName)).toEqual(['node-a', 'node-a']);
  }, 30_000);

  // Which member's controller manager is active: the lease holder is `<member name>_<pid>`.
  const lease = await client.get(LEASES, 'kube-system', 'balsa-controller-manager');
  const activeName = holderOf(lease).split('_')[0]!;
  const active = cluster.members.findIndex((member) => member.name === activeName);
  expect(active).toBeGreaterThanOrEqual(0);
  await cluster.killMember(active);
  const survivor = clients[(active + 1) % 3]!;

  // The lease lasts 15 s: a standby takes it once it has seen it unrenewed that long.
  await eventually(async () => {
    const current = await survivor.get(LEASES, 'kube-system', 'balsa-controller-manager');
    expect(holderOf(current).split('_')[0]).not.toBe(activeName);
  }, 40_000);
  await survivor.patch(DEPLOYMENTS, 'default', 'web', { spec: { replicas: 3 } });
  await eventually(async () => {
    const pods = (await survivor.list(PODS, 'default', { labelSelector: 'app=web' })).items;
    expect(pods.filter((pod) => pod.spec?.nodeName === 'node-a')).toHaveLength(3);
  }, 30_000);
});
