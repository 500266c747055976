/**
 * `balsa server`: three processes, each a KV member with the API server on it. Every API
 * server serves the same cluster state (a write through one is read and watched through
 * the others), an acknowledged write survives the crash of the member it went through,
 * and SIGTERM stops a member's KV and API server with exit status 0.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiCall, HttpWatch } from '../../support/api-http.js';
import { eventually } from '../../support/eventually.js';
import { startKvCluster } from '../../support/kv-cluster.js';
import type { KvCluster } from '../../support/kv-cluster.js';

let dir: string;
let cluster: KvCluster;
let urls: string[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'balsa-server-'));
  cluster = await startKvCluster({ members: 3, dir, apiServer: true });
  urls = cluster.members.map((member) => member.apiUrl!);
  for (const url of urls) await eventually(async () => expect((await apiCall(url, 'GET', '/readyz')).status).toBe(200));
});

afterAll(async () => {
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

const secret = (name: string) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name }, stringData: { password: 'hunter2' } });

test('a write through one member is read and watched through the others', async () => {
  const list = await apiCall(urls[1]!, 'GET', '/api/v1/namespaces/default/secrets');
  const watch = new HttpWatch(urls[2]!, `/api/v1/namespaces/default/secrets?watch=1&resourceVersion=${list.body.metadata.resourceVersion}`);
  const created = await apiCall(urls[0]!, 'POST', '/api/v1/namespaces/default/secrets', secret('shared'));
  expect(created.status).toBe(201);
  // stringData is folded into base64 data at create.
  expect(created.body.data).toEqual({ password: Buffer.from('hunter2').toString('base64') });
  expect(created.body.type).toBe('Opaque');
  // Linearizable: the next read through another member sees it.
  const read = await apiCall(urls[1]!, 'GET', '/api/v1/namespaces/default/secrets/shared');
  expect(read.body.metadata.resourceVersion).toBe(created.body.metadata.resourceVersion);
  await eventually(async () => expect(watch.events.map((event) => `${event.type} ${event.object.metadata.name}`)).toEqual(['ADDED shared']));
  watch.stop();
});

test('an acknowledged write survives the crash of the member it went through', async () => {
  const created = await apiCall(urls[0]!, 'POST', '/api/v1/namespaces/default/secrets', secret('durable'));
  expect(created.status).toBe(201);
  await cluster.killMember(0);
  const read = await eventually(async () => {
    const answer = await apiCall(urls[1]!, 'GET', '/api/v1/namespaces/default/secrets/durable');
    expect(answer.status).toBe(200);
    return answer;
  });
  expect(read.body.metadata.uid).toBe(created.body.metadata.uid);
  await cluster.restartMember(0);
  await eventually(async () => expect((await apiCall(urls[0]!, 'GET', '/api/v1/namespaces/default/secrets/durable')).status).toBe(200));
});

test('SIGTERM stops the member and its API server: exit status 0, the API port closed', async () => {
  await cluster.stopMember(2, 'SIGTERM');
  expect(cluster.exitStatus(2)).toEqual({ code: 0, signal: null });
  await expect(apiCall(urls[2]!, 'GET', '/healthz')).rejects.toThrow();
});
