/**
 * `balsa scale` run in-process against a real API server with the workload controllers
 * running: kubectl's `scaled` line, the ReplicaSet controller then making the pods, the
 * `--current-replicas` precondition, selectors, and the errors for a missing count, a kind
 * without replicas and a missing object.
 */
import { resourceByName } from '../../../control-plane/api/resources.js';
import { DeploymentController, ReplicaSetController } from '../../../control-plane/controllers/index.js';
import { eventually } from '../../support/eventually.js';
import { TEST_QUEUE_OPTIONS, startControlPlane } from '../controllers/support/control-plane.js';
import type { ControlPlane } from '../controllers/support/control-plane.js';
import { FakeNodeAgent } from '../controllers/support/fake-node-agent.js';
import { livePods } from '../controllers/support/pod-watch.js';
import { deploymentManifest, replicaSetManifest } from '../controllers/support/workloads.js';
import { runBalsa } from './cli-test-io.js';

const PODS = resourceByName('pods')!;
const REPLICASETS = resourceByName('replicasets')!;
const DEPLOYMENTS = resourceByName('deployments')!;

const TEST_TIMEOUT_MS = 60_000;
const WAIT_MS = 20_000;

let plane: ControlPlane;
let agent: FakeNodeAgent;

beforeAll(async () => {
  plane = await startControlPlane();
  await plane.startControllers([
    new ReplicaSetController({ workers: 2, queue: TEST_QUEUE_OPTIONS }),
    new DeploymentController({ workers: 2, queue: TEST_QUEUE_OPTIONS }),
  ]);
  agent = await FakeNodeAgent.start(plane.client);
}, 60_000);

afterAll(async () => {
  await agent?.stop();
  await plane?.stop();
}, 30_000);

function balsa(ns: string, ...args: string[]): ReturnType<typeof runBalsa> {
  return runBalsa(plane, [...args, '-n', ns]);
}

async function specReplicas(ns: string, info: typeof DEPLOYMENTS, name: string): Promise<unknown> {
  return (await plane.client.get(info, ns, name)).spec?.replicas;
}

async function livePodCount(ns: string): Promise<number> {
  return livePods((await plane.client.list(PODS, ns)).items).length;
}

test('scales a deployment (both argument forms) and the controllers follow', async () => {
  const ns = await plane.namespace('scale-deploy');
  await plane.client.create(DEPLOYMENTS, ns, deploymentManifest('web', 1));
  await eventually(async () => expect(await livePodCount(ns)).toBe(1), WAIT_MS);
  expect(await balsa(ns, 'scale', 'deployment', 'web', '--replicas', '3')).toEqual({ code: 0, stdout: 'deployment.apps/web scaled\n', stderr: '' });
  expect(await specReplicas(ns, DEPLOYMENTS, 'web')).toBe(3);
  await eventually(async () => expect(await livePodCount(ns)).toBe(3), WAIT_MS);
  expect(await balsa(ns, 'scale', '--replicas=2', 'deploy/web')).toEqual({ code: 0, stdout: 'deployment.apps/web scaled\n', stderr: '' });
  await eventually(async () => expect(await livePodCount(ns)).toBe(2), WAIT_MS);
}, TEST_TIMEOUT_MS);

test('--current-replicas is a precondition checked on the object written', async () => {
  const ns = await plane.namespace('scale-precondition');
  await plane.client.create(REPLICASETS, ns, replicaSetManifest('web', 3));
  expect(await balsa(ns, 'scale', 'rs', 'web', '--current-replicas', '2', '--replicas', '5')).toEqual({
    code: 1,
    stdout: '',
    stderr: 'error: Expected replicas to be 2, was 3\n',
  });
  expect(await specReplicas(ns, REPLICASETS, 'web')).toBe(3);
  expect(await balsa(ns, 'scale', 'replicaset/web', '--current-replicas=3', '--replicas=1')).toEqual({ code: 0, stdout: 'replicaset.apps/web scaled\n', stderr: '' });
  expect(await specReplicas(ns, REPLICASETS, 'web')).toBe(1);
  await eventually(async () => expect(await livePodCount(ns)).toBe(1), WAIT_MS);
}, TEST_TIMEOUT_MS);

test('by selector and --all', async () => {
  const ns = await plane.namespace('scale-selector');
  await plane.client.create(REPLICASETS, ns, replicaSetManifest('api', 1));
  await plane.client.create(REPLICASETS, ns, replicaSetManifest('web', 1));
  expect((await balsa(ns, 'scale', 'rs', '-l', 'app=web', '--replicas', '0')).stdout).toBe('replicaset.apps/web scaled\n');
  expect(await specReplicas(ns, REPLICASETS, 'web')).toBe(0);
  expect(await specReplicas(ns, REPLICASETS, 'api')).toBe(1);
  expect((await balsa(ns, 'scale', 'rs', '--all', '--replicas', '2')).stdout).toBe('replicaset.apps/api scaled\nreplicaset.apps/web scaled\n');
  expect(await balsa(ns, 'scale', 'deployments', '--all', '--replicas', '2')).toEqual({ code: 0, stdout: '', stderr: `No resources found in ${ns} namespace.\n` });
}, TEST_TIMEOUT_MS);

test('errors: no count, a kind without replicas, a missing object', async () => {
  const ns = await plane.namespace('scale-errors');
  const missing = await balsa(ns, 'scale', 'deployment/web');
  expect(missing.code).toBe(2);
  expect(missing.stderr).toBe("error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0\nSee 'balsa scale --help' for usage.\n");
  expect((await balsa(ns, 'scale', 'deployment/web', '--replicas', '-1')).code).toBe(2);
  expect(await balsa(ns, 'scale', 'pod/web', '--replicas', '1')).toEqual({ code: 1, stdout: '', stderr: 'error: cannot scale pods: only deployments and replicasets have a replica count\n' });
  expect(await balsa(ns, 'scale', 'deployment', 'nope', '--replicas', '1')).toEqual({ code: 1, stdout: '', stderr: 'Error from server (NotFound): deployments.apps "nope" not found\n' });
  const help = await balsa(ns, 'scale', '--help');
  expect(help.code).toBe(0);
  expect(help.stdout).toContain('balsa scale --replicas=COUNT');
}, TEST_TIMEOUT_MS);
