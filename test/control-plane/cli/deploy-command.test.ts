/**
 * `balsa deploy` and `balsa promote` as a build pipeline runs them, against a real API
 * server with the workload controllers and a fake node agent that makes pods Ready (those of
 * a broken image never): a new image rolls out and the command exits 0 with plain lines
 * only (the built binary, stdout not a terminal); the same image again changes nothing; a
 * rollout past its progress deadline, a `--timeout` and a template changed meanwhile exit 1
 * with the reason; unknown deployments and containers change nothing; on a terminal the
 * progress is one line rewritten in place. `promote` copies the exact live template into
 * another namespace (creating the Deployment there, or keeping its replicas) and refuses a
 * source whose rollout is not complete or failed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resourceByName } from '../../../control-plane/api/resources.js';
import type { ApiObject } from '../../../control-plane/api/types.js';
import { DeploymentController, EndpointsController, ReplicaSetController } from '../../../control-plane/controllers/index.js';
import { runBalsa as runBuiltBalsa } from '../../support/balsa-process.js';
import { eventually } from '../../support/eventually.js';
import { TEST_QUEUE_OPTIONS, startControlPlane } from '../controllers/support/control-plane.js';
import type { ControlPlane } from '../controllers/support/control-plane.js';
import { FakeNodeAgent } from '../controllers/support/fake-node-agent.js';
import { deploymentManifest } from '../controllers/support/workloads.js';
import type { DeploymentOptions } from '../controllers/support/workloads.js';
import { captureIo, runBalsa } from './cli-test-io.js';
import { runClientCommand } from '../../../control-plane/cli/client-commands.js';

const DEPLOYMENTS = resourceByName('deployments')!;
const REPLICASETS = resourceByName('replicasets')!;

const TEST_TIMEOUT_MS = 90_000;
const WAIT_MS = 20_000;
const BROKEN_IMAGE = 'web:broken';
/** Every deploy of these tests gives up after this long rather than outlive its test. */
const DEPLOY_TIMEOUT = '40s';

/** `rollout status`'s lines while a rolling update is under way. */
const STATUS_LINE = new RegExp(
  [
    '^Waiting for deployment spec update to be observed\\.\\.\\.$',
    '^Waiting for deployment "web" rollout to finish: \\d+ out of \\d+ new replicas have been updated\\.\\.\\.$',
    '^Waiting for deployment "web" rollout to finish: \\d+ old replicas are pending termination\\.\\.\\.$',
    '^Waiting for deployment "web" rollout to finish: \\d+ of \\d+ updated replicas are available\\.\\.\\.$',
  ].join('|'),
);

let plane: ControlPlane;
let agent: FakeNodeAgent;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'balsa-deploy-'));
  plane = await startControlPlane();
  await plane.startControllers([
    new ReplicaSetController({ workers: 2, queue: TEST_QUEUE_OPTIONS }),
    new DeploymentController({ workers: 2, queue: TEST_QUEUE_OPTIONS }),
    new EndpointsController({ workers: 2, queue: TEST_QUEUE_OPTIONS }),
  ]);
  agent = await FakeNodeAgent.start(plane.client, {
    readyDelayMs: 200,
    podIP: '127.0.0.9',
    readiness: (pod) => !(pod.spec as { containers: { image: string }[] }).containers.some((container) => container.image === BROKEN_IMAGE),
  });
}, 60_000);

afterAll(async () => {
  await agent?.stop();
  await plane?.stop();
  await rm(dir, { recursive: true, force: true });
}, 30_000);

function balsa(...args: string[]): ReturnType<typeof runBalsa> {
  return runBalsa(plane, args);
}

/** The built `balsa`, as a pipeline runs it: a process whose stdout is a pipe. */
function builtBalsa(...args: string[]): ReturnType<typeof runBuiltBalsa> {
  return runBuiltBalsa(args, { env: { BALSA_SERVER: plane.url, HOME: dir, BALSA_CONFIG: join(dir, 'no-config.json') } });
}

async function createLive(ns: string, replicas: number, options: DeploymentOptions = {}): Promise<ApiObject> {
  await plane.client.create(DEPLOYMENTS, ns, deploymentManifest('web', replicas, options));
  expect((await balsa('rollout', 'status', 'deployment/web', '-n', ns, '--timeout', DEPLOY_TIMEOUT)).code).toBe(0);
  return plane.client.get(DEPLOYMENTS, ns, 'web');
}

type Template = { metadata: { labels: Record<string, string> }; spec: { containers: { name: string; image: string }[] } };

function template(deployment: ApiObject): Template {
  return (deployment.spec as { template: Template }).template;
}

/** The lines of `stdout`, checked to be plain: no carriage return, no escape sequence. */
function plainLines(stdout: string): string[] {
  expect(stdout).not.toContain('\r');
  expect(stdout).not.toContain('\u001b');
  expect(stdout.endsWith('\n')).toBe(true);
  return stdout.slice(0, -1).split('\n');
}

/** The progress lines between the first line and the last: rollout status's, each different from the one before. */
function expectProgress(lines: readonly string[]): void {
  for (const [index, line] of lines.entries()) {
    expect(line).toMatch(STATUS_LINE);
    if (index > 0) expect(line).not.toBe(lines[index - 1]);
  }
}

test('deploy sets the image, records the cause and exits 0 once the rollout is live; again, it changes nothing', async () => {
  const ns = await plane.namespace('deploy');
  await createLive(ns, 3);
  const result = await builtBalsa('deploy', 'web', '--image', 'web:2', '-n', ns, '--timeout', DEPLOY_TIMEOUT);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  const lines = plainLines(result.stdout);
  expect(lines[0]).toBe('deployment.apps/web image updated (main: web:1 -> web:2)');
  expect(lines.at(-1)).toBe('deployment "web" successfully rolled out (image web:2)');
  expect(lines.length).toBeGreaterThan(2);
  expectProgress(lines.slice(1, -1));

  const deployment = await plane.client.get(DEPLOYMENTS, ns, 'web');
  expect(template(deployment).spec.containers).toEqual([expect.objectContaining({ name: 'main', image: 'web:2' })]);
  expect(deployment.metadata.annotations?.['kubernetes.io/change-cause']).toBe('balsa deploy --image web:2');
  expect(deployment.status).toMatchObject({ replicas: 3, updatedReplicas: 3, availableReplicas: 3 });
  const replicaSets = (await plane.client.list(REPLICASETS, ns)).items;
  expect(replicaSets).toHaveLength(2);
  const newest = replicaSets.find((rs) => template(rs).spec.containers[0]!.image === 'web:2')!;
  expect(newest.spec).toMatchObject({ replicas: 3 });
  expect(newest.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
  expect((await balsa('rollout', 'history', 'deployment/web', '-n', ns)).stdout).toContain('2         balsa deploy --image web:2\n');

  // The same image: nothing written, and the rollout confirmed complete.
  const again = await builtBalsa('deploy', 'deployment/web', '--image', 'web:2', '-n', ns);
  expect(again).toEqual({
    code: 0,
    stdout: 'deployment.apps/web unchanged (container main already has image web:2)\ndeployment "web" successfully rolled out (image web:2)\n',
    stderr: '',
  });
  expect((await plane.client.get(DEPLOYMENTS, ns, 'web')).metadata.resourceVersion).toBe(deployment.metadata.resourceVersion);
}, TEST_TIMEOUT_MS);

test('deploy exits 1 with the reason when the rollout exceeds its progress deadline', async () => {
  const ns = await plane.namespace('deploy-stuck');
  await createLive(ns, 2, { progressDeadlineSeconds: 2 });
  const result = await balsa('deploy', 'web', '--image', BROKEN_IMAGE, '-n', ns, '--timeout', DEPLOY_TIMEOUT);
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/^error: deployment "web" exceeded its progress deadline \(ProgressDeadlineExceeded: ReplicaSet "web-[a-z0-9]+" has timed out progressing\.\)\n$/);
  const lines = plainLines(result.stdout);
  expect(lines[0]).toBe(`deployment.apps/web image updated (main: web:1 -> ${BROKEN_IMAGE})`);
  expectProgress(lines.slice(1));

  // The same (failed) image again: nothing changes, and the failure is reported again.
  const again = await balsa('deploy', 'web', '--image', BROKEN_IMAGE, '-n', ns, '--timeout', DEPLOY_TIMEOUT);
  expect(again.code).toBe(1);
  expect(again.stdout).toBe(`deployment.apps/web unchanged (container main already has image ${BROKEN_IMAGE})\n`);
  expect(again.stderr).toMatch(/^error: deployment "web" exceeded its progress deadline \(ProgressDeadlineExceeded: /);
}, TEST_TIMEOUT_MS);

test('deploy of a BlueGreen Deployment exits 0 once the Service serves the new version, and 1 with the reason when a version never gets healthy', async () => {
  const ns = await plane.namespace('deploy-bg');
  await plane.client.create(resourceByName('services')!, ns, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 8080 }] } });
  const manifest = deploymentManifest('web', 2, { strategy: { type: 'BlueGreen', blueGreen: { activeService: 'web', scaleDownDelaySeconds: 0, healthTimeoutSeconds: 3 } } });
  const container = (manifest.spec as { template: { spec: { containers: Record<string, unknown>[] } } }).template.spec.containers[0]!;
  container.readinessProbe = { httpGet: { path: '/healthz', port: 8080 } };
  await plane.client.create(DEPLOYMENTS, ns, manifest);
  expect((await balsa('rollout', 'status', 'deployment/web', '-n', ns, '--timeout', DEPLOY_TIMEOUT)).code).toBe(0);

  const live = await builtBalsa('deploy', 'web', '--image', 'web:2', '-n', ns, '--timeout', DEPLOY_TIMEOUT);
  expect({ code: live.code, stderr: live.stderr }).toEqual({ code: 0, stderr: '' });
  expect(plainLines(live.stdout).at(-1)).toBe('deployment "web" successfully rolled out (service "web" serves the new version) (image web:2)');
  const servedBy = async (): Promise<string> => ((await plane.client.get(resourceByName('services')!, ns, 'web')).spec as { selector: Record<string, string> }).selector['pod-template-hash']!;
  const liveHash = await servedBy();
  const liveRs = (await plane.client.list(REPLICASETS, ns)).items.find((rs) => template(rs).spec.containers[0]!.image === 'web:2')!;
  expect(liveRs.metadata.labels?.['pod-template-hash']).toBe(liveHash);

  const broken = await builtBalsa('deploy', 'web', '--image', BROKEN_IMAGE, '-n', ns, '--timeout', DEPLOY_TIMEOUT);
  expect(broken.code).toBe(1);
  expect(broken.stderr).toMatch(/BlueGreenHealthTimeout/);
  // Traffic never moved off the live version.
  expect(await servedBy()).toBe(liveHash);
}, TEST_TIMEOUT_MS);

test('deploy exits 1 when --timeout passes, and when the template is changed while it rolls out', async () => {
  const ns = await plane.namespace('deploy-timeout');
  await createLive(ns, 2);
  const started = Date.now();
  const result = await builtBalsa('deploy', 'web', '--image', BROKEN_IMAGE, '-n', ns, '--timeout', '2s');
  expect(result.code).toBe(1);
  expect(result.stderr).toBe('error: timed out waiting for the rollout of web\n');
  expect(plainLines(result.stdout)[0]).toBe(`deployment.apps/web image updated (main: web:1 -> ${BROKEN_IMAGE})`);
  expect(Date.now() - started).toBeLessThan(30_000);

  // Someone deploys over the stuck rollout: the one followed is over, and did not go live.
  agent.setReadiness((pod) => !(pod.spec as { containers: { image: string }[] }).containers.some((c) => c.image === BROKEN_IMAGE || c.image === 'web:stuck-again'));
  try {
    const following = balsa('deploy', 'web', '--image', 'web:stuck-again', '-n', ns, '--timeout', DEPLOY_TIMEOUT);
    await eventually(async () => expect(template(await plane.client.get(DEPLOYMENTS, ns, 'web')).spec.containers[0]!.image).toBe('web:stuck-again'), WAIT_MS);
    await plane.client.patch(DEPLOYMENTS, ns, 'web', { spec: { template: { spec: { containers: [{ name: 'main', image: 'web:3' }] } } } });
    const superseded = await following;
    expect(superseded.code).toBe(1);
    expect(superseded.stderr).toBe('error: deployment "web" was changed while it rolled out: it no longer has the pod template deployed (it now has image web:3)\n');
  } finally {
    agent.setReadiness((pod) => !(pod.spec as { containers: { image: string }[] }).containers.some((c) => c.image === BROKEN_IMAGE));
  }
}, TEST_TIMEOUT_MS);

test('deploy: unknown deployment, unknown or ambiguous container, usage errors; nothing is changed', async () => {
  const ns = await plane.namespace('deploy-errors');
  expect(await balsa('deploy', 'nope', '--image', 'web:2', '-n', ns)).toEqual({ code: 1, stdout: '', stderr: 'Error from server (NotFound): deployments.apps "nope" not found\n' });

  const manifest = deploymentManifest('web', 1);
  (manifest.spec as { template: Template }).template.spec.containers.push({ name: 'log', image: 'fluent:1' });
  await plane.client.create(DEPLOYMENTS, ns, manifest);
  expect((await balsa('rollout', 'status', 'deployment/web', '-n', ns, '--timeout', DEPLOY_TIMEOUT)).code).toBe(0);
  const before = await plane.client.get(DEPLOYMENTS, ns, 'web');
  expect(await balsa('deploy', 'web', '--image', 'web:2', '-n', ns)).toEqual({
    code: 1,
    stdout: '',
    stderr: 'error: deployment "web" has 2 containers (main, log): choose one with --container\n',
  });
  expect(await balsa('deploy', 'web', '--image', 'web:2', '--container', 'nginx', '-n', ns)).toEqual({
    code: 1,
    stdout: '',
    stderr: 'error: unable to find container named "nginx" in deployment "web": its containers are main, log\n',
  });
  expect((await plane.client.get(DEPLOYMENTS, ns, 'web')).metadata.resourceVersion).toBe(before.metadata.resourceVersion);

  const missingImage = await balsa('deploy', 'web', '-n', ns);
  expect(missingImage.code).toBe(2);
  expect(missingImage.stderr).toBe("error: --image IMAGE is required\nSee 'balsa deploy --help' for usage.\n");
  expect((await balsa('deploy', '--image', 'web:2', '-n', ns)).code).toBe(2);
  expect((await balsa('deploy', 'web', '--image', 'web:2', '--timeout', 'soon', '-n', ns)).code).toBe(2);
  expect((await balsa('deploy', 'rs/web', '--image', 'web:2', '-n', ns)).code).toBe(2);

  // --container picks one of several; the others are left as they are.
  const chosen = await balsa('deploy', 'web', '--image', 'fluent:2', '--container', 'log', '-n', ns, '--timeout', DEPLOY_TIMEOUT);
  expect(chosen.code).toBe(0);
  expect(chosen.stdout).toMatch(/^deployment\.apps\/web image updated \(log: fluent:1 -> fluent:2\)\n/);
  expect(chosen.stdout).toMatch(/\ndeployment "web" successfully rolled out \(images main=web:1, log=fluent:2\)\n$/);
  const after = await plane.client.get(DEPLOYMENTS, ns, 'web');
  expect(template(after).spec.containers.map((container) => [container.name, container.image])).toEqual([
    ['main', 'web:1'],
    ['log', 'fluent:2'],
  ]);
  expect(after.metadata.annotations?.['kubernetes.io/change-cause']).toBe('balsa deploy --image fluent:2 --container log');
}, TEST_TIMEOUT_MS);

test('deploy on a terminal rewrites one progress line in place, and ends it with the verdict', async () => {
  const ns = await plane.namespace('deploy-tty');
  await createLive(ns, 2);
  const captured = captureIo({ env: { BALSA_SERVER: plane.url } });
  const code = await runClientCommand(['deploy', 'web', '--image', 'web:2', '-n', ns, '--timeout', DEPLOY_TIMEOUT], { ...captured.io, interactive: true, columns: 200 });
  expect(captured.stderr()).toBe('');
  expect(code).toBe(0);
  const output = captured.stdout();
  expect(output.startsWith('deployment.apps/web image updated (main: web:1 -> web:2)\n\r\u001b[K')).toBe(true);
  expect(output.endsWith('\r\u001b[Kdeployment "web" successfully rolled out (image web:2)\n')).toBe(true);
  // One line on screen: only the first line and the verdict end with a newline.
  expect(output.split('\n')).toHaveLength(3);
  const shown = output.split('\n')[1]!.split('\r\u001b[K').slice(1);
  expectProgress(shown.slice(0, -1));
}, TEST_TIMEOUT_MS);

test('promote copies the exact live template to another namespace, creating or updating the deployment there', async () => {
  const from = await plane.namespace('test');
  const to = await plane.namespace('production');
  await createLive(from, 2, { labels: { tier: 'front' }, annotations: { team: 'web' } });
  expect((await balsa('deploy', 'web', '--image', 'web:2', '-n', from, '--timeout', DEPLOY_TIMEOUT)).code).toBe(0);
  const source = await plane.client.get(DEPLOYMENTS, from, 'web');

  const created = await builtBalsa('promote', 'web', '--from', from, '--to', to, '--timeout', DEPLOY_TIMEOUT);
  expect(created.stderr).toBe('');
  expect(created.code).toBe(0);
  const lines = plainLines(created.stdout);
  expect(lines[0]).toBe(`deployment.apps/web created in ${to} from ${from}/web@2 (image web:2)`);
  expect(lines.at(-1)).toBe('deployment "web" successfully rolled out (image web:2)');
  expectProgress(lines.slice(1, -1));
  const target = await plane.client.get(DEPLOYMENTS, to, 'web');
  expect(target.spec?.template).toEqual(source.spec?.template);
  expect(target.spec?.replicas).toBe(2);
  expect(target.metadata.labels).toEqual(source.metadata.labels);
  expect(target.metadata.annotations).toMatchObject({ 'balsa.dev/promoted-from': `${from}/web@2`, team: 'web', 'kubernetes.io/change-cause': `balsa promote --from ${from} --to ${to}` });
  expect(target.status).toMatchObject({ replicas: 2, updatedReplicas: 2, availableReplicas: 2 });

  // Production keeps its own size; the next release in test follows it there.
  expect((await balsa('scale', 'deployment/web', '--replicas', '3', '-n', to)).code).toBe(0);
  expect((await balsa('deploy', 'web', '--image', 'web:3', '-n', from, '--timeout', DEPLOY_TIMEOUT)).code).toBe(0);
  const next = await balsa('promote', 'deployment/web', '--from', from, '--to', to, '--timeout', DEPLOY_TIMEOUT);
  expect(next.stderr).toBe('');
  expect(next.code).toBe(0);
  expect(next.stdout).toMatch(new RegExp(`^deployment\\.apps/web configured in ${to} from ${from}/web@3 \\(image web:3\\)\\n`));
  expect(next.stdout).toMatch(/\ndeployment "web" successfully rolled out \(image web:3\)\n$/);
  const updated = await plane.client.get(DEPLOYMENTS, to, 'web');
  expect(updated.spec?.template).toEqual((await plane.client.get(DEPLOYMENTS, from, 'web')).spec?.template);
  expect(updated.spec?.replicas).toBe(3);
  expect(updated.status).toMatchObject({ replicas: 3, updatedReplicas: 3, availableReplicas: 3 });

  expect(await balsa('promote', 'web', '--from', from, '--to', to)).toEqual({
    code: 0,
    stdout: `deployment.apps/web unchanged in ${to} from ${from}/web@3 (image web:3)\ndeployment "web" successfully rolled out (image web:3)\n`,
    stderr: '',
  });
}, TEST_TIMEOUT_MS);

test('promote refuses a source mid-rollout or failed, and a missing one; the target is left alone', async () => {
  const from = await plane.namespace('test-stuck');
  const to = await plane.namespace('production-stuck');
  await createLive(from, 2);
  await plane.client.patch(DEPLOYMENTS, from, 'web', { spec: { template: { spec: { containers: [{ name: 'main', image: BROKEN_IMAGE }] } } } });
  await eventually(async () => expect((await plane.client.get(DEPLOYMENTS, from, 'web')).status).toMatchObject({ updatedReplicas: 1 }), WAIT_MS);
  const midway = await balsa('promote', 'web', '--from', from, '--to', to);
  expect(midway.code).toBe(1);
  expect(midway.stdout).toBe('');
  expect(midway.stderr).toMatch(
    new RegExp(`^error: cannot promote deployment "web" from ${from}: its rollout is not complete \\(Waiting for deployment "web" rollout to finish: .*\\); only what is live is promoted\\n$`),
  );
  await expect(plane.client.get(DEPLOYMENTS, to, 'web')).rejects.toThrow(/not found/);

  await plane.client.patch(DEPLOYMENTS, from, 'web', { spec: { progressDeadlineSeconds: 1 } });
  await eventually(async () => {
    const failed = await balsa('promote', 'web', '--from', from, '--to', to);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(
      new RegExp(`^error: cannot promote deployment "web" from ${from}: its rollout failed: deployment "web" exceeded its progress deadline \\(ProgressDeadlineExceeded: .*\\)\\n$`),
    );
  }, WAIT_MS);
  await expect(plane.client.get(DEPLOYMENTS, to, 'web')).rejects.toThrow(/not found/);

  expect(await balsa('promote', 'api', '--from', from, '--to', to)).toEqual({
    code: 1,
    stdout: '',
    stderr: `Error from server (NotFound): reading the deployment to promote from namespace "${from}": deployments.apps "api" not found\n`,
  });
  expect((await balsa('promote', 'web', '--from', from)).code).toBe(2);
  expect((await balsa('promote', 'web', '--from', from, '--to', from)).code).toBe(2);
  expect((await balsa('promote', 'web', '--from', from, '--to', to, '-n', to)).code).toBe(2);
}, TEST_TIMEOUT_MS);
