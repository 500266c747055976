/**
 * Zero failed requests through a blue-green switch, with real processes: `balsa server`
 * (KV, API server, scheduler, controllers) and two `balsa agent`s on 127.0.0.2 and
 * 127.0.0.3 running the web app (it answers `hello from <image>`) behind a BlueGreen
 * Deployment whose active Service is reached through each node's proxy. Steady load (a new
 * connection per request, several in parallel, through both nodes) runs while the image
 * goes web:1 → web:2 and `balsa rollout undo` brings web:1 back, each followed by
 * `balsa rollout status` to its exit 0.
 *
 * What it asserts, with no timing:
 * - no request failed (no connection error, every answer 200);
 * - before the first change only web:1 answered;
 * - per node, the versions never go back: once an answer of the new version came, no
 *   request started after it got the old one (the proxy's switch is one change of its
 *   backends, made when the Endpoints followed the Service's single selector update — so
 *   there is one moment per node, and only requests in flight at it may still be
 *   answered by the old pods, which keep running for `scaleDownDelaySeconds` to finish
 *   them);
 * - after `rollout status` returned, every node answered with the new version, and the
 *   last answers of each phase are all the new version.
 */
import http from 'node:http';
import { apiCall } from '../support/api-http.js';
import type { ParsedJson } from '../support/api-http.js';
import { eventually } from '../support/eventually.js';
import { freePort } from '../../raft/testing/process-cluster.js';
import { runBalsa } from '../control-plane/cli/cli-test-io.js';
import { LOCAL_NODES, LocalCluster } from './support/local-cluster.js';

const NODES = LOCAL_NODES;
const REPLICAS = 2;
/** Requests in flight at once (each on its own connection). */
const LOAD_PARALLELISM = 4;
/** Requests each phase keeps going after its `rollout status` returned. */
const REQUESTS_AFTER_SWITCH = 40;

let local: LocalCluster;
let api: string;
let servicePort: number;

interface Answer {
  readonly node: string;
  readonly startMs: number;
  readonly endMs: number;
  /** `web:1` / `web:2`, or undefined when it failed. */
  readonly version?: string;
  readonly failure?: string;
}

/** A GET on a connection of its own; the answer's version, or why it failed. */
function getOnce(node: { name: string; ip: string }): Promise<Answer> {
  const startMs = performance.now();
  return new Promise((resolve) => {
    const done = (fields: { version?: string; failure?: string }): void => resolve({ node: node.name, startMs, endMs: performance.now(), ...fields });
    const request = http.get(`http://${node.ip}:${servicePort}/`, { agent: false, timeout: 10_000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => {
        const match = /^hello from (web:\d) \(/.exec(body);
        if (response.statusCode !== 200 || match === null) done({ failure: `HTTP ${response.statusCode}: ${body}` });
        else done({ version: match[1]! });
      });
      response.on('error', (error) => done({ failure: error.message }));
    });
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', (error) => done({ failure: error.message }));
  });
}

/** Steady load through both nodes until `stop()`; every answer kept. */
function startLoad(): { answers: Answer[]; stop: () => Promise<void> } {
  const answers: Answer[] = [];
  let running = true;
  const workers = Array.from({ length: LOAD_PARALLELISM }, async (_, worker) => {
    for (let i = 0; running; i++) answers.push(await getOnce(NODES[(worker + i) % NODES.length]!));
  });
  return {
    answers,
    stop: async () => {
      running = false;
      await Promise.all(workers);
    },
  };
}

/** Waits until `count` more answers arrived. */
async function moreAnswers(answers: readonly Answer[], count: number): Promise<void> {
  const target = answers.length + count;
  await eventually(async () => expect(answers.length).toBeGreaterThanOrEqual(target), 60_000);
}

/**
 * Checks one phase (from `oldVersion` to `newVersion`): per node, no request that started
 * after an answer of the new version completed got the old one; the phase's last answers
 * through each node are the new version.
 */
function checkOneWaySwitch(phase: readonly Answer[], oldVersion: string, newVersion: string): void {
  for (const node of NODES) {
    const answers = phase.filter((answer) => answer.node === node.name);
    const firstNew = Math.min(...answers.filter((answer) => answer.version === newVersion).map((answer) => answer.endMs));
    expect({ node: node.name, firstNew: Number.isFinite(firstNew) }).toEqual({ node: node.name, firstNew: true });
    const wentBack = answers.filter((answer) => answer.startMs > firstNew && answer.version !== newVersion);
    expect({ node: node.name, wentBack }).toEqual({ node: node.name, wentBack: [] });
    const versions = new Set(answers.map((answer) => answer.version));
    expect([...versions].every((version) => version === oldVersion || version === newVersion)).toBe(true);
    expect(answers.slice(-5).map((answer) => answer.version)).toEqual(Array(Math.min(5, answers.length)).fill(newVersion));
  }
}

beforeAll(async () => {
  local = await LocalCluster.start('blue-green');
  api = local.api;
  servicePort = await freePort();
}, 120_000);

afterAll(async () => {
  await local?.stop();
}, 120_000);

function balsa(...args: string[]): ReturnType<typeof runBalsa> {
  return runBalsa({ url: api }, args);
}

async function setImage(image: string): Promise<void> {
  const current = (await apiCall(api, 'GET', '/apis/apps/v1/namespaces/default/deployments/web')).body;
  current.spec.template.spec.containers[0].image = image;
  expect((await apiCall(api, 'PUT', '/apis/apps/v1/namespaces/default/deployments/web', current)).status).toBe(200);
}

test('no request fails while traffic switches web:1 → web:2 and back, and after each switch only the new version answers', async () => {
  const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: servicePort, targetPort: 'http' }] } };
  expect((await apiCall(api, 'POST', '/api/v1/namespaces/default/services', service)).status).toBe(201);
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: {
      replicas: REPLICAS,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'BlueGreen', blueGreen: { activeService: 'web', scaleDownDelaySeconds: 5 } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          terminationGracePeriodSeconds: 5,
          containers: [local.webContainer('web:1')],
        },
      },
    },
  };
  const created = await apiCall(api, 'POST', '/apis/apps/v1/namespaces/default/deployments', deployment);
  expect(created.status).toBe(201);
  expect((await balsa('rollout', 'status', 'deployment/web', '--timeout', '180s')).code).toBe(0);
  for (const node of NODES) await eventually(async () => expect((await getOnce(node)).version).toBe('web:1'), 60_000);

  const load = startLoad();
  try {
    await moreAnswers(load.answers, 20);
    const before = load.answers.length;

    await setImage('web:2');
    const toV2 = await balsa('rollout', 'status', 'deployment/web', '--timeout', '180s');
    expect(toV2).toMatchObject({ code: 0, stderr: '' });
    expect(toV2.stdout).toContain('deployment "web" successfully rolled out');
    await moreAnswers(load.answers, REQUESTS_AFTER_SWITCH);
    const switchedBack = load.answers.length;

    const undo = await balsa('rollout', 'undo', 'deployment/web');
    expect(undo).toEqual({ code: 0, stdout: 'deployment.apps/web rolled back\n', stderr: '' });
    expect((await balsa('rollout', 'status', 'deployment/web', '--timeout', '180s')).code).toBe(0);
    await moreAnswers(load.answers, REQUESTS_AFTER_SWITCH);
    await load.stop();

    const answers = load.answers;
    expect(answers.filter((answer) => answer.failure !== undefined)).toEqual([]);
    expect(new Set(answers.slice(0, before).map((answer) => answer.version))).toEqual(new Set(['web:1']));
    checkOneWaySwitch(answers.slice(before, switchedBack), 'web:1', 'web:2');
    checkOneWaySwitch(answers.slice(switchedBack), 'web:2', 'web:1');
    // The Deployment says so too: revision 3 (web:1 again) serving.
    const final = (await apiCall(api, 'GET', '/apis/apps/v1/namespaces/default/deployments/web')).body as ParsedJson;
    expect(final.metadata.annotations['deployment.balsa.dev/active-revision']).toBe('3');
  } finally {
    await load.stop();
  }
}, 600_000);
