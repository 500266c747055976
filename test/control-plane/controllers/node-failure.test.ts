/**
 * Self-healing end to end, with the real scheduler and controllers over a real API server
 * and KV: a Deployment's pods spread over two (fake) nodes; one node stops heartbeating;
 * the node lifecycle controller marks it unreachable and taints it, evicts its pods after
 * their toleration, and the ReplicaSet controller and the scheduler recreate them on the
 * node that is still alive.
 */
import { resourceByName } from '../../../control-plane/api/resources.js';
import type { ApiObject } from '../../../control-plane/api/types.js';
import { microTime } from '../../../control-plane/client/leader-election.js';
import { DeploymentController, NodeLifecycleController, ReplicaSetController } from '../../../control-plane/controllers/index.js';
import { EventRecorder } from '../../../control-plane/client/event-recorder.js';
import { Scheduler } from '../../../control-plane/scheduler/index.js';
import { eventually } from '../../support/eventually.js';
import { startControlPlane, TEST_QUEUE_OPTIONS } from './support/control-plane.js';
import type { ControlPlane } from './support/control-plane.js';

const NODES = resourceByName('nodes')!;
const LEASES = resourceByName('leases')!;
const PODS = resourceByName('pods')!;
const DEPLOYMENTS = resourceByName('deployments')!;

let plane: ControlPlane;
let scheduler: Scheduler;

beforeAll(async () => {
  plane = await startControlPlane();
});

afterAll(async () => {
  await scheduler?.stop();
  await plane?.stop();
});

const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

/** A stand-in node agent: registers the node, renews its lease, runs (reports Ready) the pods bound to it, confirms their deletion. */
class FakeNode {
  private timer: NodeJS.Timeout | null = null;
  constructor(
    readonly name: string,
    private readonly address: string,
  ) {}

  async register(): Promise<void> {
    await plane.client.create(NODES, undefined, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: this.name, labels: { 'kubernetes.io/hostname': this.name } },
      spec: {},
      status: {
        capacity: { cpu: '4', memory: '8Gi', pods: '110' },
        allocatable: { cpu: '4', memory: '8Gi', pods: '110' },
        conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'ready', lastHeartbeatTime: now(), lastTransitionTime: now() }],
        addresses: [{ type: 'InternalIP', address: this.address }],
      },
    });
    await plane.client.create(LEASES, 'kube-node-lease', {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.name },
      spec: { holderIdentity: this.name, leaseDurationSeconds: 3, renewTime: microTime(new Date()) },
    });
    this.timer = setInterval(() => void this.beat().catch(() => {}), 500);
  }

  /** The node dies: no more heartbeats, no more pod updates. */
  die(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private async beat(): Promise<void> {
    await plane.client.patch(LEASES, 'kube-node-lease', this.name, { spec: { renewTime: microTime(new Date()) } });
    const pods = (await plane.client.list(PODS, undefined, { fieldSelector: `spec.nodeName=${this.name}` })).items;
    for (const pod of pods) {
      if (pod.metadata.deletionTimestamp !== undefined) {
        await plane.client.delete(PODS, pod.metadata.namespace, pod.metadata.name!, { gracePeriodSeconds: 0 }).catch(() => {});
      } else if ((pod.status as { phase?: string } | undefined)?.phase !== 'Running') {
        await plane.client.patch(
          PODS,
          pod.metadata.namespace,
          pod.metadata.name!,
          { status: { phase: 'Running', podIP: this.address, hostIP: this.address, startTime: now(), conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now() }] } },
          true,
        );
      }
    }
  }
}

test("a dead node's pods are evicted and recreated on the live node", async () => {
  const alive = new FakeNode('node-alive', '127.0.0.2');
  const doomed = new FakeNode('node-doomed', '127.0.0.3');
  await alive.register();
  await doomed.register();
  await plane.startControllers([
    new ReplicaSetController({ queue: TEST_QUEUE_OPTIONS }),
    new DeploymentController({ queue: TEST_QUEUE_OPTIONS }),
    new NodeLifecycleController({ nodeMonitorGracePeriodSeconds: 3, nodeMonitorPeriodMs: 500, podEvictionTimeoutSeconds: 2, queue: TEST_QUEUE_OPTIONS }),
  ]);
  scheduler = new Scheduler({ client: plane.client, informers: plane.informers, recorder: new EventRecorder(plane.client, 'default-scheduler') });
  await scheduler.start();

  const ns = await plane.namespace('heal');
  await plane.client.create(DEPLOYMENTS, ns, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: {
      replicas: 4,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'web:1', resources: { requests: { cpu: '100m', memory: '64Mi' } } }] } },
    },
  });
  const placement = async (): Promise<Record<string, number>> => {
    const pods = (await plane.client.list(PODS, ns)).items.filter((pod: ApiObject) => pod.metadata.deletionTimestamp === undefined);
    const counts: Record<string, number> = {};
    for (const pod of pods) {
      const running = (pod.status as { phase?: string } | undefined)?.phase === 'Running';
      const key = `${String(pod.spec?.nodeName ?? 'unbound')}${running ? '' : ' (not running)'}`;
      counts[key] = (counts[key] ?? 0) + 1;
    }
    return counts;
  };
  // Spread over both nodes (the scheduler spreads one owner's replicas), all running.
  await eventually(async () => expect(await placement()).toEqual({ 'node-alive': 2, 'node-doomed': 2 }), 30_000);

  doomed.die();
  await eventually(async () => {
    const node = await plane.client.get(NODES, undefined, 'node-doomed');
    const ready = ((node.status as { conditions: { type: string; status: string }[] }).conditions ?? []).find((c) => c.type === 'Ready');
    expect(ready?.status).toBe('Unknown');
    expect((node.spec as { taints?: { key: string; effect: string }[] }).taints).toEqual(
      expect.arrayContaining([expect.objectContaining({ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' })]),
    );
  }, 20_000);
  await eventually(async () => expect(await placement()).toEqual({ 'node-alive': 4 }), 40_000);
  alive.die();
});
