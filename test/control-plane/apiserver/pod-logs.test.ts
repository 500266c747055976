/**
 * `GET /api/v1/namespaces/{ns}/pods/{name}/log` through the API server's HTTP front-end, to
 * the node agent's real logs server on the pod's node: the whole log, its last lines, a byte
 * limit, another container, the previous attempt, a follow that streams what is appended
 * and ends when the client goes (the request to the agent ends too) or the container
 * exits; Kubernetes' answers for a missing pod, a missing or unknown container, an unbound
 * pod and bad options; the agent's own refusals passed on; 503 when the agent is down.
 */
import { apiCall } from '../../support/api-http.js';
import { eventually } from '../../support/eventually.js';
import { startControlPlane } from '../controllers/support/control-plane.js';
import type { ControlPlane } from '../controllers/support/control-plane.js';
import { PODS, podOn, startLogNode } from './support/log-node.js';
import type { LogNode } from './support/log-node.js';

let plane: ControlPlane;
let node: LogNode;
let downNode: LogNode;
let namespace: string;

beforeAll(async () => {
  plane = await startControlPlane();
  node = await startLogNode(plane.client, 'node-a');
  // A node whose agent has gone away: its Node object still names the (now closed) port.
  downNode = await startLogNode(plane.client, 'node-down');
  await downNode.stopServer();
  namespace = await plane.namespace('logs');
  await plane.client.create(PODS, namespace, podOn('web', 'node-a', ['app']));
  await node.addContainer(namespace, 'web', 'app', { current: 'one\ntwo\nthree\n', previous: 'crashed once\n' });
  await plane.client.create(PODS, namespace, podOn('multi', 'node-a', ['app', 'sidecar'], ['setup']));
  await node.addContainer(namespace, 'multi', 'app', { current: 'app line\n' });
  await node.addContainer(namespace, 'multi', 'sidecar', { current: 'sidecar line\n' });
  await node.addContainer(namespace, 'multi', 'setup', { current: 'setup done\n', running: false });
});

afterAll(async () => {
  await node?.stop();
  await downNode?.stop();
  await plane?.stop();
});

function logPath(pod: string, query = ''): string {
  return `/api/v1/namespaces/${namespace}/pods/${pod}/log${query === '' ? '' : `?${query}`}`;
}

/** A log answer read to its end: status, content type and text. */
async function readLog(pod: string, query = ''): Promise<{ status: number; type: string | null; text: string }> {
  const response = await fetch(`${plane.url}${logPath(pod, query)}`, { signal: AbortSignal.timeout(20_000) });
  return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
}

/** A followed log being read: `text()` grows as chunks arrive, `ended` settles when the server ends it. */
function followLog(pod: string, query: string): { text: () => string; ended: Promise<void>; abort: () => void } {
  const controller = new AbortController();
  let text = '';
  const ended = (async () => {
    const response = await fetch(`${plane.url}${logPath(pod, query)}`, { signal: controller.signal });
    expect(response.status).toBe(200);
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) text += decoder.decode(chunk, { stream: true });
    } catch (error) {
      if (!controller.signal.aborted) throw error;
    }
  })();
  return { text: () => text, ended, abort: () => controller.abort() };
}

describe('reading a log', () => {
  test('the whole log of the only container, as plain text', async () => {
    const answer = await readLog('web');
    expect(answer).toEqual({ status: 200, type: 'text/plain; charset=utf-8', text: 'one\ntwo\nthree\n' });
  });

  test('the last lines (tailLines), and at most limitBytes bytes', async () => {
    expect((await readLog('web', 'tailLines=2')).text).toBe('two\nthree\n');
    expect((await readLog('web', 'tailLines=0')).text).toBe('');
    expect((await readLog('web', 'limitBytes=6')).text).toBe('one\ntw');
    expect((await readLog('web', 'tailLines=2&limitBytes=4')).text).toBe('two\n');
  });

  test('the container named, an init container included', async () => {
    expect(await readLog('multi', 'container=sidecar')).toMatchObject({ status: 200, text: 'sidecar line\n' });
    expect(await readLog('multi', 'container=setup')).toMatchObject({ status: 200, text: 'setup done\n' });
  });

  test('the previous attempt (previous=true)', async () => {
    expect(await readLog('web', 'previous=true')).toMatchObject({ status: 200, text: 'crashed once\n' });
  });
});

describe('following a log', () => {
  test('what is appended arrives while the client reads; the client leaving ends the request to the agent', async () => {
    const stream = followLog('web', 'follow=true&tailLines=1');
    await eventually(async () => expect(stream.text()).toBe('three\n'));
    expect(node.openReads).toBe(1);
    await node.append(namespace, 'web', 'app', 'four\n');
    await eventually(async () => expect(stream.text()).toBe('three\nfour\n'));
    await node.append(namespace, 'web', 'app', 'five\n');
    await eventually(async () => expect(stream.text()).toBe('three\nfour\nfive\n'));
    stream.abort();
    await stream.ended;
    await eventually(async () => expect(node.openReads).toBe(0));
  });

  test('the stream ends when the container exits, with everything it wrote', async () => {
    await plane.client.create(PODS, namespace, podOn('job', 'node-a', ['task']));
    await node.addContainer(namespace, 'job', 'task', { current: 'started\n' });
    const stream = followLog('job', 'follow=true');
    await eventually(async () => expect(stream.text()).toBe('started\n'));
    await node.append(namespace, 'job', 'task', 'finished\n');
    node.exit(namespace, 'job', 'task');
    await stream.ended;
    expect(stream.text()).toBe('started\nfinished\n');
  });
});

describe('refusals, as Kubernetes words them', () => {
  test('a missing pod is 404', async () => {
    const answer = await apiCall(plane.url, 'GET', logPath('nope'));
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ kind: 'Status', reason: 'NotFound', message: 'pods "nope" not found' });
  });

  test('no container named in a pod of several: 400 listing them, init containers apart', async () => {
    const answer = await apiCall(plane.url, 'GET', logPath('multi'));
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({
      reason: 'BadRequest',
      message: 'a container name must be specified for pod multi, choose one of: [app sidecar] or one of the init containers: [setup]',
    });
  });

  test('a container the pod does not have: 400', async () => {
    const answer = await apiCall(plane.url, 'GET', logPath('web', 'container=db'));
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ reason: 'BadRequest', message: 'container db is not valid for pod web' });
  });

  test('a pod not bound to a node: 400', async () => {
    await plane.client.create(PODS, namespace, podOn('pending', '', ['app']));
    const answer = await apiCall(plane.url, 'GET', logPath('pending'));
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ reason: 'BadRequest', message: 'pod pending does not have a host assigned' });
  });

  test('tailLines and limitBytes: 400 when not integers, 422 below their minimum', async () => {
    const notNumber = await apiCall(plane.url, 'GET', logPath('web', 'tailLines=ten'));
    expect(notNumber.status).toBe(400);
    expect(notNumber.body).toMatchObject({ reason: 'BadRequest', message: 'tailLines must be an integer, got "ten"' });
    const negative = await apiCall(plane.url, 'GET', logPath('web', 'tailLines=-1'));
    expect(negative.status).toBe(422);
    expect(negative.body).toMatchObject({ reason: 'Invalid', message: 'PodLogOptions "web" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0' });
    const zeroBytes = await apiCall(plane.url, 'GET', logPath('web', 'limitBytes=0'));
    expect(zeroBytes.status).toBe(422);
    expect(zeroBytes.body).toMatchObject({ reason: 'Invalid', message: 'PodLogOptions "web" is invalid: limitBytes: Invalid value: 0: must be greater than 0' });
    const badBytes = await apiCall(plane.url, 'GET', logPath('web', 'limitBytes=1k'));
    expect(badBytes.status).toBe(400);
    expect(badBytes.body).toMatchObject({ reason: 'BadRequest', message: 'limitBytes must be an integer, got "1k"' });
  });

  test('what the agent cannot honour is refused, not ignored', async () => {
    const answer = await apiCall(plane.url, 'GET', logPath('web', 'timestamps=true'));
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ reason: 'BadRequest', message: 'timestamps are not supported: the node agent keeps no time for each log line' });
  });

  test('only GET: 405', async () => {
    const answer = await apiCall(plane.url, 'POST', logPath('web'), {});
    expect(answer.status).toBe(405);
    expect(answer.body).toMatchObject({ reason: 'MethodNotAllowed' });
  });

  test('a pod on a node that does not exist: the node is not found', async () => {
    await plane.client.create(PODS, namespace, podOn('orphan', 'ghost', ['app']));
    const answer = await apiCall(plane.url, 'GET', logPath('orphan'));
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ reason: 'NotFound', message: 'nodes "ghost" not found' });
  });
});

describe("the agent's answers", () => {
  test('no previous attempt: the agent\'s 400 and message', async () => {
    const answer = await apiCall(plane.url, 'GET', logPath('multi', 'container=sidecar&previous=true'));
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ kind: 'Status', reason: 'BadRequest', message: 'previous terminated container "sidecar" in pod "multi" not found' });
  });

  test('a container that has not started: the agent\'s 400', async () => {
    await plane.client.create(PODS, namespace, podOn('starting', 'node-a', ['app']));
    await node.addContainer(namespace, 'starting', 'app', {});
    const answer = await apiCall(plane.url, 'GET', logPath('starting'));
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ reason: 'BadRequest', message: 'container "app" in pod "starting" is waiting to start' });
  });

  test('a pod the agent does not run: the agent\'s 404', async () => {
    await plane.client.create(PODS, namespace, podOn('elsewhere', 'node-a', ['app']));
    const answer = await apiCall(plane.url, 'GET', logPath('elsewhere'));
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ reason: 'NotFound', message: `pod "elsewhere" in namespace "${namespace}" is not running on this node` });
  });

  test('an agent that cannot be reached: 503 saying which node and where', async () => {
    await plane.client.create(PODS, namespace, podOn('stranded', 'node-down', ['app']));
    const answer = await apiCall(plane.url, 'GET', logPath('stranded'));
    expect(answer.status).toBe(503);
    expect(answer.body).toMatchObject({ kind: 'Status', reason: 'ServiceUnavailable' });
    expect(answer.body.message).toBe(
      `the node agent of node "node-down" cannot be reached at http://127.0.0.1:${downNode.port}: connect ECONNREFUSED 127.0.0.1:${downNode.port}`,
    );
  });
});
