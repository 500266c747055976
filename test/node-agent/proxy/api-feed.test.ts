/**
 * The proxy fed by the API server (`startServiceProxyFromApi`): a `balsa server` process
 * (KV and API server), a Service and its Endpoints created through the API, and the proxy
 * routing to the back end they name (the changes arriving by the watch, after the first
 * list); an Endpoints update is followed, and a deleted Service loses its listener.
 *
 * The Service has no selector, so the endpoints controller leaves its hand-written
 * Endpoints alone (as Kubernetes' does).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resourceByName } from '../../../control-plane/api/resources.js';
import { GrpcApiClient } from '../../../control-plane/client/grpc-api-client.js';
import { ServiceProxy, startServiceProxyFromApi } from '../../../node-agent/proxy/index.js';
import type { ServiceProxyFeed } from '../../../node-agent/proxy/index.js';
import { apiCall } from '../../support/api-http.js';
import { eventually } from '../../support/eventually.js';
import { startKvCluster } from '../../support/kv-cluster.js';
import type { KvCluster } from '../../support/kv-cluster.js';
import { NODE_IP, endpointsOf, freePort, service, startEchoBackend, whoAnswers } from './proxy-fixtures.js';
import type { EchoBackend } from './proxy-fixtures.js';

const SERVICES = resourceByName('services')!;
const ENDPOINTS = resourceByName('endpoints')!;
const NAMESPACES = resourceByName('namespaces')!;

let dir: string;
let cluster: KvCluster;
let client: GrpcApiClient;
let proxy: ServiceProxy;
let feed: ServiceProxyFeed | undefined;
let a: EchoBackend;
let b: EchoBackend;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'balsa-proxy-'));
  cluster = await startKvCluster({ members: 1, dir, apiServer: true });
  const member = cluster.members[0]!;
  await eventually(async () => expect((await apiCall(member.apiUrl!, 'GET', '/readyz')).status).toBe(200), 60_000);
  client = new GrpcApiClient(member.apiGrpcAddress!);
  a = await startEchoBackend('a');
  b = await startEchoBackend('b');
});

afterAll(async () => {
  feed?.stop();
  await proxy?.close();
  client?.close();
  await a?.close();
  await b?.close();
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Creates a selector-less Service with one unnamed TCP port. */
async function createService(namespace: string, name: string, port: number): Promise<void> {
  await client.create(SERVICES, namespace, { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: service(name, [{ port }]).spec });
}

test('a Service and Endpoints created through the API are served; an Endpoints update is followed', async () => {
  const namespace = 'proxy-test';
  await client.create(NAMESPACES, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  const port = await freePort(NODE_IP);
  proxy = new ServiceProxy({ listenHost: NODE_IP });
  feed = startServiceProxyFromApi(client, proxy);
  await feed.synced;

  await createService(namespace, 'web', port);
  await client.create(ENDPOINTS, namespace, endpointsOf('web', [a], namespace));
  await eventually(async () => expect(await whoAnswers(port)).toBe('a'));

  const current = await client.get(ENDPOINTS, namespace, 'web');
  await client.update(ENDPOINTS, { ...endpointsOf('web', [b], namespace), metadata: current.metadata });
  await eventually(async () => expect(await whoAnswers(port)).toBe('b'));
  for (let i = 0; i < 3; i++) expect(await whoAnswers(port)).toBe('b');

  await client.delete(SERVICES, namespace, 'web');
  await eventually(async () => expect(proxy.listeners()).toEqual([]));
  // One proxy per node address: this one leaves 127.0.0.2 to the next test's.
  feed.stop();
  await proxy.close();
});

test('Services and Endpoints that exist before the feed starts are served from its first list', async () => {
  const namespace = 'proxy-listed';
  await client.create(NAMESPACES, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  const port = await freePort(NODE_IP);
  await createService(namespace, 'listed', port);
  await client.create(ENDPOINTS, namespace, endpointsOf('listed', [a, b], namespace));
  const second = new ServiceProxy({ listenHost: NODE_IP });
  const secondFeed = startServiceProxyFromApi(client, second);
  try {
    await secondFeed.synced;
    expect(second.listeners().map((listener) => listener.port)).toEqual([port]);
    await eventually(async () => expect(second.listeners()[0]!.state).toBe('listening'));
    expect([await whoAnswers(port), await whoAnswers(port)].sort()).toEqual(['a', 'b']);
  } finally {
    secondFeed.stop();
    await second.close();
  }
});
