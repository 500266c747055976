/**
 * A whole small cluster of real processes, as people run it: `balsa server` (KV, API
 * server, scheduler, controllers) and two `balsa agent`s on their own loopback addresses
 * (127.0.0.2 and 127.0.0.3), running the web app with the process runtime. A Deployment's
 * pods spread over both nodes and become Ready; its Service answers on every node through
 * that node's proxy, from pods of both nodes; an agent killed with SIGKILL and started
 * again adopts its pods without restarting them; `balsa logs` reads a pod's output; agents
 * stopped with SIGTERM leave no container process behind.
 */
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { apiCall } from '../support/api-http.js';
import type { ParsedJson } from '../support/api-http.js';
import { runBalsa } from '../support/balsa-process.js';
import { LOCAL_NODES, LocalCluster } from './support/local-cluster.js';
import { eventually } from '../support/eventually.js';
import { freePort } from '../../raft/testing/process-cluster.js';

const NODES = LOCAL_NODES;
const REPLICAS = 4;

let local: LocalCluster;
let app: string;
let api: string;
let servicePort: number;

/** The command lines of this test's app processes still running (the app itself, not the runtime's shell around it). */
function appProcesses(): string[] {
  try {
    return execFileSync('pgrep', ['-f', '-a', `^${process.execPath} ${app}$`], { encoding: 'utf8' }).trim().split('\n').filter((line) => line !== '');
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

/** A GET on a connection of its own (fetch would reuse one, and a proxy balances connections, not requests). */
function getOnce(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { agent: false, timeout: 5_000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve(body));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`GET ${url} timed out`)));
    request.on('error', reject);
  });
}

async function pods(): Promise<ParsedJson[]> {
  return (await apiCall(api, 'GET', '/api/v1/namespaces/default/pods?labelSelector=app%3Dweb')).body.items as ParsedJson[];
}

function isReady(pod: ParsedJson): boolean {
  return (pod.status?.conditions ?? []).some((condition: ParsedJson) => condition.type === 'Ready' && condition.status === 'True');
}

beforeAll(async () => {
  local = await LocalCluster.start('local-cluster');
  app = local.app;
  api = local.api;
  servicePort = await freePort();
}, 120_000);

afterAll(async () => {
  await local?.stop();
}, 120_000);

test('both nodes register Ready with their addresses', async () => {
  await eventually(async () => {
    const nodes = (await apiCall(api, 'GET', '/api/v1/nodes')).body.items as ParsedJson[];
    expect(nodes.map((node) => node.metadata.name).sort()).toEqual(NODES.map((node) => node.name));
    for (const node of nodes) {
      expect(node.status.conditions.find((condition: ParsedJson) => condition.type === 'Ready')?.status).toBe('True');
      expect(node.status.addresses).toContainEqual({ type: 'InternalIP', address: NODES.find((known) => known.name === node.metadata.name)!.ip });
    }
  });
});

test("a Deployment's pods spread over both nodes and become Ready; its Service answers on every node, from pods of both", async () => {
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: {
      replicas: REPLICAS,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          terminationGracePeriodSeconds: 5,
          containers: [local.webContainer('web:1')],
        },
      },
    },
  };
  expect((await apiCall(api, 'POST', '/apis/apps/v1/namespaces/default/deployments', deployment)).status).toBe(201);
  const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: servicePort, targetPort: 'http' }] } };
  expect((await apiCall(api, 'POST', '/api/v1/namespaces/default/services', service)).status).toBe(201);

  await eventually(async () => {
    const current = await pods();
    expect(current.filter(isReady)).toHaveLength(REPLICAS);
    expect(new Set(current.map((pod) => pod.spec.nodeName))).toEqual(new Set(NODES.map((node) => node.name)));
  }, 90_000);
  for (const pod of await pods()) {
    const node = NODES.find((known) => known.name === pod.spec.nodeName)!;
    expect(pod.status.phase).toBe('Running');
    expect(pod.status.podIP).toBe(node.ip);
    expect(pod.status.containerStatuses[0].ports[0]).toMatchObject({ name: 'http', containerPort: 8080, protocol: 'TCP' });
  }

  // Every node's proxy balances over every ready pod, wherever it runs.
  const names = new Set(((await pods()) as ParsedJson[]).map((pod) => pod.metadata.name as string));
  for (const node of NODES) {
    const answered = new Set<string>();
    await eventually(async () => {
      const body = await getOnce(`http://${node.ip}:${servicePort}/`);
      const match = /^hello from web:1 \((.+)\)\n$/.exec(body);
      expect(match).not.toBeNull();
      answered.add(match![1]!);
      expect(answered.size).toBe(REPLICAS);
    }, 60_000);
    expect(answered).toEqual(names);
  }
}, 180_000);

test('balsa logs shows what a pod printed, through the API server and its agent', async () => {
  const [pod] = await pods();
  const hostPort = pod.status.containerStatuses[0].ports[0].hostPort as number;
  const run = await runBalsa(['logs', pod.metadata.name, '--tail', '1'], { env: { BALSA_SERVER: api } });
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
  expect(run.stdout).toBe(`listening on ${hostPort}\n`);
});

test('a pod whose readiness probe fails leaves the Service on every node, and comes back when it recovers', async () => {
  const [victim, ...others] = await pods();
  const hostPort = victim.status.containerStatuses[0].ports[0].hostPort as number;
  const post = (path: string): Promise<Response> => fetch(`http://${victim.status.podIP}:${hostPort}${path}`, { method: 'POST', signal: AbortSignal.timeout(5_000) });
  expect((await post('/fail')).status).toBe(200);
  await eventually(async () => {
    const pod = (await pods()).find((candidate) => candidate.metadata.name === victim.metadata.name)!;
    expect(isReady(pod)).toBe(false);
    expect(pod.status.containerStatuses[0].ready).toBe(false);
  });
  // Once the Endpoints dropped it, no connection reaches it, through either node.
  await eventually(async () => {
    const endpoints = (await apiCall(api, 'GET', '/api/v1/namespaces/default/endpoints/web')).body;
    expect(endpoints.subsets.flatMap((subset: ParsedJson) => (subset.notReadyAddresses ?? []).map((address: ParsedJson) => address.targetRef.name))).toEqual([victim.metadata.name]);
  });
  for (const node of NODES) {
    for (let i = 0; i < 2 * REPLICAS; i++) expect(await getOnce(`http://${node.ip}:${servicePort}/`)).not.toContain(`(${victim.metadata.name})`);
  }
  expect(others.every(isReady)).toBe(true);
  expect((await post('/recover')).status).toBe(200);
  await eventually(async () => expect(((await pods()).find((candidate) => candidate.metadata.name === victim.metadata.name)!.status.containerStatuses[0].ready)).toBe(true));
  // An Unhealthy Event told why.
  const events = (await apiCall(api, 'GET', `/api/v1/namespaces/default/events?fieldSelector=${encodeURIComponent(`involvedObject.name=${victim.metadata.name}`)}`)).body.items as ParsedJson[];
  expect(events.map((event) => `${event.reason}: ${event.message}`)).toContainEqual(expect.stringMatching(/^Unhealthy: Readiness probe failed: HTTP probe failed with statuscode: 503/));
}, 120_000);

test('a container that keeps crashing is restarted with back-off and shown as CrashLoopBackOff', async () => {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'crasher' },
    spec: { containers: [{ name: 'crash', image: 'crash:1', command: [process.execPath, '-e', 'console.log("starting"); process.exit(3)'] }] },
  };
  expect((await apiCall(api, 'POST', '/api/v1/namespaces/default/pods', pod)).status).toBe(201);
  await eventually(async () => {
    const status = (await apiCall(api, 'GET', '/api/v1/namespaces/default/pods/crasher')).body.status;
    const container = status.containerStatuses[0];
    expect(container.restartCount).toBeGreaterThanOrEqual(1);
    expect(container.state.waiting).toMatchObject({ reason: 'CrashLoopBackOff' });
    expect(container.state.waiting.message).toMatch(/^back-off \d+s restarting failed container=crash pod=crasher_default\(/);
    expect(container.lastState.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
  }, 60_000);
  expect((await apiCall(api, 'DELETE', '/api/v1/namespaces/default/pods/crasher')).status).toBe(200);
  await eventually(async () => expect((await apiCall(api, 'GET', '/api/v1/namespaces/default/pods/crasher')).status).toBe(404));
}, 120_000);

test('an agent killed with SIGKILL and started again adopts its running pods without restarting them', async () => {
  const before = (await pods()).filter((pod) => pod.spec.nodeName === 'node-a');
  expect(before.length).toBeGreaterThan(0);
  const containers = new Map(before.map((pod) => [pod.metadata.name as string, pod.status.containerStatuses[0].containerID as string]));
  const processesBefore = appProcesses().length;

  await local.agents.get('node-a')!.stop('SIGKILL');
  // The pods go on serving while their agent is away.
  expect(appProcesses()).toHaveLength(processesBefore);
  await local.startAgent(NODES[0]!);

  await eventually(async () => {
    const after = (await pods()).filter((pod) => pod.spec.nodeName === 'node-a');
    expect(after.map((pod) => pod.metadata.name).sort()).toEqual([...containers.keys()].sort());
    for (const pod of after) {
      expect(isReady(pod)).toBe(true);
      expect(pod.status.containerStatuses[0].containerID).toBe(containers.get(pod.metadata.name));
      expect(pod.status.containerStatuses[0].restartCount).toBe(0);
    }
  }, 60_000);
  expect(appProcesses()).toHaveLength(processesBefore);
}, 120_000);

test('agents stopped with SIGTERM stop their pods and leave no container process behind', async () => {
  expect(appProcesses()).toHaveLength(REPLICAS);
  for (const [name, agent] of local.agents) {
    const exit = await agent.stop('SIGTERM');
    expect({ name, ...exit }).toEqual({ name, code: 0, signal: null });
  }
  local.agents.clear();
  expect(appProcesses()).toEqual([]);
}, 120_000);
