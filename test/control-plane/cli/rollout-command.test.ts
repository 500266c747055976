/**
 * `balsa rollout` run in-process against a real API server with the workload controllers
 * and a fake node agent: `status` following a rollout to kubectl's `successfully rolled out`
 * and failing on a progress deadline or `--timeout`; `history` with change causes and one
 * revision's template; `undo` (previous and `--to-revision`, skipped when nothing changes,
 * refused while paused); `pause` and `resume`; `restart`; usage errors.
 */
import { resourceByName } from '../../../control-plane/api/resources.js';
import type { ApiObject } from '../../../control-plane/api/types.js';
import { DeploymentController, ReplicaSetController } from '../../../control-plane/controllers/index.js';
import { eventually } from '../../support/eventually.js';
import { TEST_QUEUE_OPTIONS, startControlPlane } from '../controllers/support/control-plane.js';
import type { ControlPlane } from '../controllers/support/control-plane.js';
import { FakeNodeAgent } from '../controllers/support/fake-node-agent.js';
import { deploymentManifest } from '../controllers/support/workloads.js';
import type { DeploymentOptions } from '../controllers/support/workloads.js';
import { runBalsa } from './cli-test-io.js';

const DEPLOYMENTS = resourceByName('deployments')!;
const REPLICASETS = resourceByName('replicasets')!;

const TEST_TIMEOUT_MS = 60_000;
const WAIT_MS = 20_000;
const BROKEN_IMAGE = 'web:broken';
/** Every `rollout status` of these tests gives up after this long rather than outlive its test. */
const STATUS_TIMEOUT = '30s';

let plane: ControlPlane;
let agent: FakeNodeAgent;

beforeAll(async () => {
  plane = await startControlPlane();
  await plane.startControllers([
    new ReplicaSetController({ workers: 2, queue: TEST_QUEUE_OPTIONS }),
    new DeploymentController({ workers: 2, queue: TEST_QUEUE_OPTIONS }),
  ]);
  agent = await FakeNodeAgent.start(plane.client, {
    readyDelayMs: 200,
    readiness: (pod) => ((pod.spec as { containers: { image: string }[] }).containers[0]!.image !== BROKEN_IMAGE),
  });
}, 60_000);

afterAll(async () => {
  await agent?.stop();
  await plane?.stop();
}, 30_000);

function balsa(ns: string, ...args: string[]): ReturnType<typeof runBalsa> {
  return runBalsa(plane, [...args, '-n', ns]);
}

async function create(ns: string, replicas: number, options: DeploymentOptions = {}): Promise<ApiObject> {
  return plane.client.create(DEPLOYMENTS, ns, deploymentManifest('web', replicas, options));
}

/** Changes the template (image) and the change cause, as `kubectl apply` of a new manifest would. */
async function release(ns: string, image: string, cause: string): Promise<void> {
  await plane.client.patch(DEPLOYMENTS, ns, 'web', {
    metadata: { annotations: { 'kubernetes.io/change-cause': cause } },
    spec: { template: { spec: { containers: [{ name: 'main', image }] } } },
  });
}

function image(deployment: ApiObject): string {
  return (deployment.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers[0]!.image;
}

const STATUS_LINE = new RegExp(
  [
    '^Waiting for deployment spec update to be observed\\.\\.\\.$',
    '^Waiting for deployment "web" rollout to finish: \\d+ out of \\d+ new replicas have been updated\\.\\.\\.$',
    '^Waiting for deployment "web" rollout to finish: \\d+ old replicas are pending termination\\.\\.\\.$',
    '^Waiting for deployment "web" rollout to finish: \\d+ of \\d+ updated replicas are available\\.\\.\\.$',
  ].join('|'),
);

test('status follows the rollout to the end', async () => {
  const ns = await plane.namespace('rollout-status');
  await create(ns, 3, { annotations: { 'kubernetes.io/change-cause': 'first' } });
  const result = await balsa(ns, 'rollout', 'status', 'deployment/web', '--timeout', STATUS_TIMEOUT);
  expect(result.code).toBe(0);
  expect(result.stderr).toBe('');
  const lines = result.stdout.trimEnd().split('\n');
  expect(lines.at(-1)).toBe('deployment "web" successfully rolled out');
  for (const line of lines.slice(0, -1)) expect(line).toMatch(STATUS_LINE);
  expect(new Set(lines).size).toBe(lines.length);
  // Done already: one line.
  expect(await balsa(ns, 'rollout', 'status', 'deployment', 'web', '--timeout', STATUS_TIMEOUT)).toEqual({ code: 0, stdout: 'deployment "web" successfully rolled out\n', stderr: '' });
}, TEST_TIMEOUT_MS);

test('status fails on ProgressDeadlineExceeded, on --timeout, and prints once with --watch=false', async () => {
  const ns = await plane.namespace('rollout-stuck');
  await create(ns, 2, { image: BROKEN_IMAGE, progressDeadlineSeconds: 2 });
  const stuck = await balsa(ns, 'rollout', 'status', 'deploy/web', '--timeout', '30s');
  expect(stuck.code).toBe(1);
  expect(stuck.stderr).toBe('error: deployment "web" exceeded its progress deadline\n');

  const slow = await plane.namespace('rollout-timeout');
  await plane.client.create(DEPLOYMENTS, slow, deploymentManifest('web', 2, { image: BROKEN_IMAGE }));
  const started = Date.now();
  const timedOut = await balsa(slow, 'rollout', 'status', 'deployment/web', '--timeout=1s');
  expect(timedOut.code).toBe(1);
  expect(timedOut.stderr).toBe('error: timed out waiting for the condition\n');
  expect(Date.now() - started).toBeLessThan(10_000);
  const once = await balsa(slow, 'rollout', 'status', 'deployment/web', '--watch=false');
  expect(once.code).toBe(0);
  expect(once.stdout).toBe('Waiting for deployment "web" rollout to finish: 0 of 2 updated replicas are available...\n');
}, TEST_TIMEOUT_MS);

test('history, undo to the previous revision and to a given one', async () => {
  const ns = await plane.namespace('rollout-history');
  await create(ns, 2, { annotations: { 'kubernetes.io/change-cause': 'first' } });
  expect((await balsa(ns, 'rollout', 'status', 'deployment/web', '--timeout', STATUS_TIMEOUT)).code).toBe(0);
  await release(ns, 'web:2', 'second');
  expect((await balsa(ns, 'rollout', 'status', 'deployment/web', '--timeout', STATUS_TIMEOUT)).code).toBe(0);
  expect(await balsa(ns, 'rollout', 'history', 'deployment/web')).toEqual({
    code: 0,
    stdout: 'deployment.apps/web \nREVISION  CHANGE-CAUSE\n1         first\n2         second\n\n',
    stderr: '',
  });
  const one = await balsa(ns, 'rollout', 'history', 'deployment/web', '--revision', '1');
  expect(one.code).toBe(0);
  expect(one.stdout).toMatch(/^deployment\.apps\/web with revision #1\nPod Template:\n {2}Labels:\s+app=web\n/);
  expect(one.stdout).toContain('Image:');
  expect(one.stdout).toContain('web:1');
  expect(await balsa(ns, 'rollout', 'history', 'deployment/web', '--revision', '7')).toEqual({ code: 1, stdout: '', stderr: 'error: unable to find specified revision 7 in history\n' });

  // Back to revision 1's template: the controller reuses its ReplicaSet as revision 3.
  expect(await balsa(ns, 'rollout', 'undo', 'deployment/web')).toEqual({ code: 0, stdout: 'deployment.apps/web rolled back\n', stderr: '' });
  const undone = await plane.client.get(DEPLOYMENTS, ns, 'web');
  expect(image(undone)).toBe('web:1');
  expect(undone.metadata.annotations?.['kubernetes.io/change-cause']).toBe('first');
  expect((undone.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels).toEqual({ app: 'web' });
  expect((await balsa(ns, 'rollout', 'status', 'deployment/web', '--timeout', STATUS_TIMEOUT)).code).toBe(0);
  await eventually(async () => {
    expect((await balsa(ns, 'rollout', 'history', 'deployment/web')).stdout).toBe('deployment.apps/web \nREVISION  CHANGE-CAUSE\n2         second\n3         first\n\n');
  }, WAIT_MS);
  expect((await plane.client.list(REPLICASETS, ns)).items).toHaveLength(2);

  expect(await balsa(ns, 'rollout', 'undo', 'deployment/web', '--to-revision', '3')).toEqual({
    code: 0,
    stdout: 'deployment.apps/web skipped rollback (current template already matches revision 3)\n',
    stderr: '',
  });
  expect(await balsa(ns, 'rollout', 'undo', 'deployment/web', '--to-revision=2')).toEqual({ code: 0, stdout: 'deployment.apps/web rolled back\n', stderr: '' });
  expect(image(await plane.client.get(DEPLOYMENTS, ns, 'web'))).toBe('web:2');
  expect((await balsa(ns, 'rollout', 'status', 'deployment/web', '--timeout', STATUS_TIMEOUT)).code).toBe(0);
  expect(await balsa(ns, 'rollout', 'undo', 'deployment/web', '--to-revision', '9')).toEqual({ code: 1, stdout: '', stderr: 'error: unable to find specified revision 9 in history\n' });
}, TEST_TIMEOUT_MS);

test('pause and resume; no undo while paused', async () => {
  const ns = await plane.namespace('rollout-pause');
  await create(ns, 1);
  expect((await balsa(ns, 'rollout', 'status', 'deployment/web', '--timeout', STATUS_TIMEOUT)).code).toBe(0);
  expect(await balsa(ns, 'rollout', 'pause', 'deployment/web')).toEqual({ code: 0, stdout: 'deployment.apps/web paused\n', stderr: '' });
  expect((await plane.client.get(DEPLOYMENTS, ns, 'web')).spec?.paused).toBe(true);
  expect(await balsa(ns, 'rollout', 'pause', 'deployment/web')).toEqual({ code: 1, stdout: '', stderr: 'error: deployments.apps "web" is already paused\n' });
  await release(ns, 'web:2', 'second');
  expect(await balsa(ns, 'rollout', 'undo', 'deployment/web', '--to-revision', '1')).toEqual({
    code: 1,
    stdout: '',
    stderr: "error: you cannot rollback a paused deployment; resume it first with 'balsa rollout resume' and try again\n",
  });
  // Paused: the new template is not rolled out.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  expect((await plane.client.list(REPLICASETS, ns)).items).toHaveLength(1);
  expect(await balsa(ns, 'rollout', 'resume', 'deployment', 'web')).toEqual({ code: 0, stdout: 'deployment.apps/web resumed\n', stderr: '' });
  expect(await balsa(ns, 'rollout', 'resume', 'deployment', 'web')).toEqual({ code: 1, stdout: '', stderr: 'error: deployments.apps "web" is not paused\n' });
  expect((await balsa(ns, 'rollout', 'status', 'deployment/web', '--timeout', STATUS_TIMEOUT)).code).toBe(0);
  expect((await plane.client.list(REPLICASETS, ns)).items).toHaveLength(2);
}, TEST_TIMEOUT_MS);

test('restart rolls out the same template again, stamped with the restart time', async () => {
  const ns = await plane.namespace('rollout-restart');
  await create(ns, 2);
  expect((await balsa(ns, 'rollout', 'status', 'deployment/web', '--timeout', STATUS_TIMEOUT)).code).toBe(0);
  expect(await balsa(ns, 'rollout', 'restart', 'deployment/web')).toEqual({ code: 0, stdout: 'deployment.apps/web restarted\n', stderr: '' });
  const restarted = await plane.client.get(DEPLOYMENTS, ns, 'web');
  expect((restarted.spec as { template: { metadata: { annotations: Record<string, string> } } }).template.metadata.annotations).toEqual({
    'kubectl.kubernetes.io/restartedAt': '2026-12-02T02:47:50Z',
  });
  expect((await balsa(ns, 'rollout', 'status', 'deployment/web', '--timeout', STATUS_TIMEOUT)).code).toBe(0);
  expect((await plane.client.list(REPLICASETS, ns)).items).toHaveLength(2);
}, TEST_TIMEOUT_MS);

test('usage errors and help', async () => {
  const ns = await plane.namespace('rollout-usage');
  const none = await balsa(ns, 'rollout');
  expect(none.code).toBe(2);
  expect(none.stderr).toContain('error: you must specify a subcommand: status, history, undo, pause, resume, restart');
  expect((await balsa(ns, 'rollout', 'bogus', 'deployment/web')).code).toBe(2);
  expect((await balsa(ns, 'rollout', 'status')).code).toBe(2);
  expect((await balsa(ns, 'rollout', 'status', 'deployment')).code).toBe(2);
  expect((await balsa(ns, 'rollout', 'history', 'deployment/web', '--to-revision', '1')).code).toBe(2);
  expect(await balsa(ns, 'rollout', 'status', 'rs/web')).toEqual({ code: 1, stdout: '', stderr: 'error: rollout status is not supported for replicasets: only deployments have rollouts\n' });
  expect(await balsa(ns, 'rollout', 'pause', 'deployment/nope')).toEqual({ code: 1, stdout: '', stderr: 'Error from server (NotFound): deployments.apps "nope" not found\n' });
  const help = await balsa(ns, 'rollout', '--help');
  expect(help.code).toBe(0);
  expect(help.stdout).toContain('balsa rollout SUBCOMMAND');
}, TEST_TIMEOUT_MS);
