/**
 * `balsa logs`, the built binary as people run it, against an API server whose pods' node
 * serves logs as the node agent does: the whole log, the last lines, another container
 * (by -c or inline), the previous attempt, `pod/NAME` and `deployment/NAME`; the server's
 * refusals printed as kubectl prints them, with exit status 1. In-process: `-f` prints what
 * is appended as it arrives, until interrupted.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resourceByName } from '../../../control-plane/api/resources.js';
import { runClientCommand } from '../../../control-plane/cli/client-commands.js';
import { runBalsa } from '../../support/balsa-process.js';
import { eventually } from '../../support/eventually.js';
import { PODS, podOn, startLogNode } from '../apiserver/support/log-node.js';
import type { LogNode } from '../apiserver/support/log-node.js';
import { startControlPlane } from '../controllers/support/control-plane.js';
import type { ControlPlane } from '../controllers/support/control-plane.js';
import { captureIo } from './cli-test-io.js';

const DEPLOYMENTS = resourceByName('deployments')!;

let dir: string;
let plane: ControlPlane;
let node: LogNode;
let namespace: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'balsa-logs-cli-'));
  plane = await startControlPlane();
  node = await startLogNode(plane.client, 'node-a');
  namespace = await plane.namespace('logs');
  // No ~/.balsa/config.json of the machine's: the server comes from BALSA_SERVER only.
  env = { BALSA_SERVER: plane.url, HOME: dir, BALSA_CONFIG: join(dir, 'no-config.json') };
  await plane.client.create(PODS, namespace, podOn('web', 'node-a', ['app']));
  await node.addContainer(namespace, 'web', 'app', { current: 'one\ntwo\nthree\n', previous: 'crashed once\n' });
  await plane.client.create(PODS, namespace, podOn('multi', 'node-a', ['app', 'sidecar']));
  await node.addContainer(namespace, 'multi', 'app', { current: 'app line\n' });
  await node.addContainer(namespace, 'multi', 'sidecar', { current: 'sidecar line\n' });
});

afterAll(async () => {
  await node?.stop();
  await plane?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

function logs(...args: string[]): ReturnType<typeof runBalsa> {
  return runBalsa(['logs', '-n', namespace, ...args], { env });
}

test('prints the log of the only container', async () => {
  expect(await logs('web')).toEqual({ code: 0, stdout: 'one\ntwo\nthree\n', stderr: '' });
});

test('--tail prints the last lines', async () => {
  expect(await logs('web', '--tail', '2')).toEqual({ code: 0, stdout: 'two\nthree\n', stderr: '' });
  expect(await logs('web', '--tail=-1')).toEqual({ code: 0, stdout: 'one\ntwo\nthree\n', stderr: '' });
});

test('-c, or the container after the pod, picks the container', async () => {
  expect(await logs('multi', '-c', 'sidecar')).toEqual({ code: 0, stdout: 'sidecar line\n', stderr: '' });
  expect(await logs('multi', 'app')).toEqual({ code: 0, stdout: 'app line\n', stderr: '' });
});

test('--previous and -p print the attempt before', async () => {
  expect(await logs('web', '--previous')).toEqual({ code: 0, stdout: 'crashed once\n', stderr: '' });
  expect(await logs('-p', 'pod/web')).toEqual({ code: 0, stdout: 'crashed once\n', stderr: '' });
});

test('deployment/NAME prints the log of its first pod, saying which', async () => {
  const labels = { app: 'api' };
  await plane.client.create(DEPLOYMENTS, namespace, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'api' },
    spec: { replicas: 2, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'api', image: 'api:1' }] } } },
  });
  // One pod waits for a node, the other runs on node-a: the bound one is shown.
  await plane.client.create(PODS, namespace, { ...podOn('api-pending', '', ['api']), metadata: { name: 'api-pending', labels } });
  await plane.client.create(PODS, namespace, { ...podOn('api-bound', 'node-a', ['api']), metadata: { name: 'api-bound', labels } });
  await node.addContainer(namespace, 'api-bound', 'api', { current: 'api ready\n' });
  expect(await logs('deployment/api')).toEqual({ code: 0, stdout: 'api ready\n', stderr: 'Found 2 pods, using pod/api-bound\n' });
});

test("the server's refusals, as kubectl prints them, exit 1", async () => {
  expect(await logs('web', '-c', 'db')).toEqual({ code: 1, stdout: '', stderr: 'Error from server (BadRequest): container db is not valid for pod web\n' });
  expect(await logs('multi')).toEqual({
    code: 1,
    stdout: '',
    stderr: 'Error from server (BadRequest): a container name must be specified for pod multi, choose one of: [app sidecar]\n',
  });
  expect(await logs('nope')).toEqual({ code: 1, stdout: '', stderr: 'Error from server (NotFound): pods "nope" not found\n' });
  expect(await logs('multi', '-c', 'sidecar', '--previous')).toEqual({
    code: 1,
    stdout: '',
    stderr: 'Error from server (BadRequest): previous terminated container "sidecar" in pod "multi" not found\n',
  });
});

test('usage errors exit 2', async () => {
  const missing = await logs();
  expect(missing.code).toBe(2);
  expect(missing.stderr).toBe("error: POD or TYPE/NAME is a required argument for the logs command\nSee 'balsa logs --help' for usage.\n");
  const both = await logs('multi', 'app', '-c', 'sidecar');
  expect(both.code).toBe(2);
  expect(both.stderr).toBe("error: only one of -c or an inline [CONTAINER] arg is allowed\nSee 'balsa logs --help' for usage.\n");
});

test('-f prints what is appended as it arrives, until interrupted', async () => {
  await plane.client.create(PODS, namespace, podOn('tail', 'node-a', ['app']));
  await node.addContainer(namespace, 'tail', 'app', { current: 'first\n' });
  const interrupt = new AbortController();
  const captured = captureIo({ env: { BALSA_SERVER: plane.url }, signal: interrupt.signal });
  const exit = runClientCommand(['logs', '-n', namespace, '-f', 'tail'], captured.io);
  await eventually(async () => expect(captured.stdout()).toBe('first\n'));
  await node.append(namespace, 'tail', 'app', 'second\n');
  await eventually(async () => expect(captured.stdout()).toBe('first\nsecond\n'));
  interrupt.abort();
  expect(await exit).toBe(0);
  expect(captured.stderr()).toBe('');
  await eventually(async () => expect(node.openReads).toBe(0));
});
