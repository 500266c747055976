/**
 * etcdctl with `--endpoints` given as URLs (`http://127.0.0.1:port`), the form etcd's docs
 * and `member list` print, against three Balsa members: the commands that work on each
 * endpoint (endpoint status, health and hashkv, defrag, snapshot save, move-leader).
 * Several of them (status, hashkv, defrag, move-leader, the leader search before it) dial
 * the endpoint on its own and send the URL, scheme and all, as the HTTP/2 :authority, which
 * Node's HTTP/2 server refuses with RST_STREAM PROTOCOL_ERROR unless the KV server's HTTP/2
 * front mends it; health and snapshot save dial through the client's balancer, which sends
 * host:port. And a member stops cleanly on SIGTERM with connections open every way a
 * connection can be: natively, through the front, and not yet routed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadEtcdProto } from '../../../kv/server/etcd-proto.js';
import type { WireObject } from '../../../kv/server/etcd-proto.js';
import { describeWithTools, etcdctlAt, requireTool, spawnEtcdctl } from '../../support/etcd-tools.js';
import { startKvCluster } from '../../support/kv-cluster.js';
import type { KvCluster } from '../../support/kv-cluster.js';

interface EndpointStatus {
  readonly Endpoint: string;
  readonly Status: { readonly header: { readonly member_id: number }; readonly leader: number };
}

describeWithTools(requireTool('etcdctl'), 'etcdctl with http:// endpoints', (etcdctl) => {
  const { ctl, out } = etcdctlAt(etcdctl);
  let dir: string;
  let cluster: KvCluster;
  let urls: string[];
  const statuses = async () => JSON.parse(await out(urls, 'endpoint', 'status', '-w', 'json')) as EndpointStatus[];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'balsa-kv-url-endpoints-'));
    cluster = await startKvCluster({ members: 3, dir });
    urls = cluster.members.map((m) => m.clientUrl);
  });
  afterAll(async () => {
    await cluster?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('endpoint status: every member answers, naming the same leader', async () => {
    const all = await statuses();
    expect(all.map((s) => s.Endpoint)).toEqual(urls);
    expect(new Set(all.map((s) => s.Status.header.member_id)).size).toBe(3);
    expect(new Set(all.map((s) => s.Status.leader)).size).toBe(1);
    for (const url of urls) expect(await out(url, 'endpoint', 'status')).toMatch(new RegExp(`^${url}, [0-9a-f]+, 3\\.4\\.0, `));
  });

  test('endpoint health, of the endpoints given and of the cluster', async () => {
    for (const args of [['endpoint', 'health'], ['endpoint', 'health', '--cluster']]) {
      const health = await ctl(urls, ...args);
      expect(health.code).toBe(0);
      for (const url of urls) expect(health.stderr).toContain(`${url} is healthy: successfully committed proposal: took = `);
    }
  });

  test('endpoint hashkv: every member holds the same data', async () => {
    await out(urls[0]!, 'put', 'hashed', 'value');
    for (const url of urls) expect(await out(url, 'get', 'hashed')).toBe('hashed\nvalue\n');
    const lines = (await out(urls, 'endpoint', 'hashkv')).trim().split('\n').map((line) => line.split(', '));
    expect(lines.map(([endpoint]) => endpoint)).toEqual(urls);
    expect(new Set(lines.map(([, hash]) => hash)).size).toBe(1);
  });

  test('defrag, every member', async () => {
    expect(await out(urls, 'defrag')).toBe(urls.map((url) => `Finished defragmenting etcd member[${url}]\n`).join(''));
  });

  test('snapshot save', async () => {
    await out(urls[1]!, 'put', 'in/snapshot', 'yes');
    const revision = Number((JSON.parse(await out(urls[1]!, 'get', 'in/snapshot', '-w', 'json')) as { header: { revision: number } }).header.revision);
    const file = join(dir, 'backup.db');
    expect(await out(urls[1]!, 'snapshot', 'save', file)).toBe(`Snapshot saved at ${file}\n`);
    // etcd's own reader accepts the file, and it holds the put.
    const status = JSON.parse(await out(urls[1]!, 'snapshot', 'status', file, '-w', 'json')) as { revision: number; totalKey: number };
    expect(status.revision).toBeGreaterThanOrEqual(revision);
    expect(status.totalKey).toBeGreaterThan(0);
  });

  test('move-leader', async () => {
    const before = await statuses();
    const leader = before[0]!.Status.leader;
    const target = before.find((s) => s.Status.header.member_id !== leader)!.Status.header.member_id;
    expect(await out(urls, 'move-leader', target.toString(16))).toBe(`Leadership transferred from ${leader.toString(16)} to ${target.toString(16)}\n`);
    for (const status of await statuses()) expect(status.Status.leader).toBe(target);
  });

  describe('SIGTERM with connections open', () => {
    let single: KvCluster;
    let singleDir: string;
    beforeAll(async () => {
      singleDir = await mkdtemp(join(tmpdir(), 'balsa-kv-url-endpoints-stop-'));
      single = await startKvCluster({ members: 1, dir: singleDir });
    });
    afterAll(async () => {
      await single?.stop();
      await rm(singleDir, { recursive: true, force: true });
    });

    test('the member exits by itself, closes every connection and frees its client port', async () => {
      const member = single.members[0]!;
      const port = Number(member.clientEndpoint.split(':')[1]);
      // Natively: etcdctl's watch dials through its balancer (authority host:port).
      const nativeWatch = spawnEtcdctl(etcdctl, ['watch', 'k'], { endpoints: [member.clientUrl] });
      // Through the front: a watch stream whose authority carries the scheme.
      const { services } = loadEtcdProto();
      const Watch = grpc.makeGenericClientConstructor(services.Watch, 'Watch');
      const client = new Watch(member.clientEndpoint, grpc.credentials.createInsecure(), { 'grpc.default_authority': member.clientUrl });
      const stream = (client as unknown as { Watch: () => grpc.ClientDuplexStream<WireObject, WireObject> }).Watch();
      const frontEnded = new Promise<void>((resolve) => {
        stream.on('error', () => resolve());
        stream.on('end', () => resolve());
      });
      const created = new Promise<void>((resolve) => stream.once('data', () => resolve()));
      stream.write({ createRequest: { key: Buffer.from('k') } });
      await created;
      // Not yet routed: the preface alone.
      const unrouted = createConnection({ host: '127.0.0.1', port });
      unrouted.on('error', () => undefined);
      unrouted.resume(); // read what comes (the router's SETTINGS), so that the end of the connection is seen
      const unroutedClosed = new Promise<void>((resolve) => unrouted.on('close', () => resolve()));
      unrouted.write('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
      expect(await nativeWatch.waitFor(() => true, 1000)).toBe(true);

      try {
        await single.stopMember(0);
        expect(single.exitStatus(0)).toEqual({ code: 0, signal: null });
        await frontEnded;
        await unroutedClosed;
        const rebound = createServer();
        await new Promise<void>((resolve, reject) => {
          rebound.once('error', reject);
          rebound.listen(port, '127.0.0.1', () => resolve());
        });
        await new Promise<void>((resolve) => rebound.close(() => resolve()));
      } finally {
        client.close();
        unrouted.destroy();
        await nativeWatch.stop();
      }
    });
  });
});
