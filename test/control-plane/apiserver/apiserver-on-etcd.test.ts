/**
 * `balsa apiserver --kv-endpoints` alone, over a real etcd 3.4: objects land in etcd under
 * /registry in Kubernetes' layout, and both front-ends work — HTTP+JSON, and gRPC
 * (`proto/balsa/v1`) with its error codes and server-streaming watch. SIGTERM stops it with
 * exit status 0 and frees its ports.
 */
import net from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status as grpcStatus } from '@grpc/grpc-js';
import { resourceByName } from '../../../control-plane/api/resources.js';
import type { WatchEvent } from '../../../control-plane/api/types.js';
import { ApiError } from '../../../control-plane/apiserver/errors.js';
import { GrpcApiClient } from '../../../control-plane/client/grpc-api-client.js';
import { freePort } from '../../../raft/testing/process-cluster.js';
import { apiCall } from '../../support/api-http.js';
import { startBalsa } from '../../support/balsa-process.js';
import type { BalsaServerProcess } from '../../support/balsa-process.js';
import { describeWithTools, etcdTools, runEtcdctl, startRealEtcd } from '../../support/etcd-tools.js';
import type { RealEtcd } from '../../support/etcd-tools.js';
import { eventually } from '../../support/eventually.js';

const CONFIGMAPS = resourceByName('configmaps')!;
const PODS = resourceByName('pods')!;

describeWithTools(etcdTools(), 'balsa apiserver over a real etcd', (tools) => {
  let dir: string;
  let etcd: RealEtcd;
  let server: BalsaServerProcess;
  let base: string;
  let httpPort: number;
  let grpcPort: number;
  let client: GrpcApiClient;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'balsa-apiserver-etcd-'));
    etcd = await startRealEtcd({ etcd: tools.etcd, dir });
    [httpPort, grpcPort] = [await freePort(), await freePort()];
    server = await startBalsa(
      ['apiserver', '--kv-endpoints', etcd.clientEndpoints.join(','), '--api-port', String(httpPort), '--api-grpc-port', String(grpcPort)],
      /API server on http:\/\//,
    );
    base = `http://127.0.0.1:${httpPort}`;
    await eventually(async () => expect((await apiCall(base, 'GET', '/readyz')).status).toBe(200));
    client = new GrpcApiClient(`127.0.0.1:${grpcPort}`);
  });

  afterAll(async () => {
    client?.close();
    await server?.stop();
    await etcd?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('objects are stored in etcd under /registry/<resource>/<namespace>/<name>', async () => {
    const created = await apiCall(base, 'POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'in-etcd' }, data: { a: '1' } });
    expect(created.status).toBe(201);
    const got = await runEtcdctl(tools.etcdctl, ['get', '/registry/configmaps/default/in-etcd', '-w', 'json'], { endpoints: etcd.clientEndpoints });
    const kv = JSON.parse(got.stdout).kvs[0];
    expect(String(kv.mod_revision)).toBe(created.body.metadata.resourceVersion);
    expect(JSON.parse(Buffer.from(kv.value, 'base64').toString()).data).toEqual({ a: '1' });
    const namespaces = await runEtcdctl(tools.etcdctl, ['get', '--prefix', '--keys-only', '/registry/namespaces/'], { endpoints: etcd.clientEndpoints });
    expect(namespaces.stdout.split('\n').filter((line) => line !== '')).toEqual(['/registry/namespaces/default', '/registry/namespaces/kube-node-lease', '/registry/namespaces/kube-public', '/registry/namespaces/kube-system']);
  });

  test('gRPC: create, get, update with conflicts as ABORTED, list and delete', async () => {
    const created = await client.create(CONFIGMAPS, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'via-grpc' }, data: { v: '1' } });
    expect(created.metadata.uid).toBeDefined();
    const again = await client.create(CONFIGMAPS, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'via-grpc' } }).catch((error: unknown) => error);
    expect(again).toBeInstanceOf(ApiError);
    expect((again as ApiError).reason).toBe('AlreadyExists');
    expect((again as ApiError).grpcCode).toBe(grpcStatus.ALREADY_EXISTS);

    const updated = await client.update(CONFIGMAPS, { ...created, data: { v: '2' } });
    expect(Number(updated.metadata.resourceVersion)).toBeGreaterThan(Number(created.metadata.resourceVersion));
    const stale = await client.update(CONFIGMAPS, { ...created, data: { v: '3' } }).catch((error: unknown) => error as ApiError);
    expect(stale).toMatchObject({ reason: 'Conflict', message: expect.stringContaining('the object has been modified') });
    expect((await client.get(CONFIGMAPS, 'default', 'via-grpc')).data).toEqual({ v: '2' });

    const invalid = await client.create(PODS, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [] } }).catch((error: unknown) => error as ApiError);
    expect(invalid).toMatchObject({ reason: 'Invalid' });
    expect((invalid as ApiError).details?.causes?.map((cause) => cause.field)).toContain('spec.containers');

    const list = await client.list(CONFIGMAPS, 'default', { fieldSelector: 'metadata.name=via-grpc' });
    expect(list.items.map((item) => item.metadata.name)).toEqual(['via-grpc']);
    await client.delete(CONFIGMAPS, 'default', 'via-grpc');
    const missing = await client.get(CONFIGMAPS, 'default', 'via-grpc').catch((error: unknown) => error as ApiError);
    expect(missing).toMatchObject({ reason: 'NotFound', message: 'configmaps "via-grpc" not found' });
  });

  test('gRPC: a server-streaming watch from a list revision sees the later changes; one from before the server started, compacted, ends with Expired', async () => {
    const list = await client.list(PODS, 'default');
    const events: WatchEvent[] = [];
    const ended: ApiError[] = [];
    const watch = client.watch(PODS, 'default', { resourceVersion: list.metadata.resourceVersion! }, (event) => events.push(event), (error) => ended.push(error));
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'watched' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
    await client.create(PODS, 'default', pod);
    await client.patch(PODS, 'default', 'watched', { status: { phase: 'Running' } }, true);
    await client.delete(PODS, 'default', 'watched');
    await eventually(async () => expect(events.map((event) => event.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']));
    expect((events[1]!.object as unknown as { status: { phase: string } }).status.phase).toBe('Running');
    watch.cancel();
    expect(ended).toEqual([]);

    const latest = Number((await client.list(PODS, 'default')).metadata.resourceVersion);
    await runEtcdctl(tools.etcdctl, ['compaction', String(latest)], { endpoints: etcd.clientEndpoints });
    // The watch cache holds every change since the server started; a revision from before that is the KV's to answer.
    const expired: ApiError[] = [];
    client.watch(PODS, 'default', { resourceVersion: '1' }, () => {}, (error) => expired.push(error));
    await eventually(async () => expect(expired).toHaveLength(1));
    expect(expired[0]).toMatchObject({ reason: 'Expired', httpCode: 410 });
  });

  test("the dashboard's Raft view (/ui/api/members) reads a real etcd's member list and status", async () => {
    const answer = await apiCall(base, 'GET', '/ui/api/members');
    expect(answer.status).toBe(200);
    expect(answer.body.members).toHaveLength(1);
    const [member] = answer.body.members;
    expect(member).toMatchObject({ role: 'leader', lag: 0, clientUrls: etcd.clientEndpoints.map((endpoint) => (endpoint.startsWith('http') ? endpoint : `http://${endpoint}`)) });
    expect(answer.body.leader).toBe(member.id);
    expect(member.term).toBeGreaterThanOrEqual(1);
    expect(member.commitIndex).toBeGreaterThanOrEqual(member.appliedIndex);
  });

  test('SIGTERM: exit status 0, both ports free', async () => {
    const exit = await server.stop();
    expect(exit).toEqual({ code: 0, signal: null });
    for (const port of [httpPort, grpcPort]) {
      await new Promise<void>((resolve, reject) => {
        const probe = net.createServer();
        probe.once('error', reject);
        probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
      });
    }
  });
});
