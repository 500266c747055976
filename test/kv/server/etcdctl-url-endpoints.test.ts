/**
 * etcdctl with `--endpoints` given as URLs (`http://127.0.0.1:port`), the form etcd's docs
 * and `member list` print, against three Balsa members: the commands that work on each
 * endpoint (endpoint status, health and hashkv, defrag, snapshot save, move-leader).
 * Several of them (status, hashkv, defrag, move-leader, the leader search before it) dial
 * the endpoint on its own and send the URL, scheme and all, as the HTTP/2 :authority, which
 * Node's HTTP/2 server refuses with RST_STREAM PROTOCOL_ERROR unless the KV server's HTTP/2
 * front mends it; health and snapshot save dial through the client's balancer, which sends
 * host:port.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KvStateMachine } from '../../../kv/server/kv-state-machine.js';
import { decodeSnapshotFile } from '../../../kv/server/snapshot-file.js';
import { describeWithTools, etcdctlAt, requireTool } from '../../support/etcd-tools.js';
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
    const file = join(dir, 'backup.db');
    expect(await out(urls[1]!, 'snapshot', 'save', file)).toBe(`Snapshot saved at ${file}\n`);
    const machine = new KvStateMachine({ now: () => 0, minLeaseTtlSeconds: 1 });
    machine.restore(decodeSnapshotFile(await readFile(file)));
    expect(machine.store.range({ key: Buffer.from('in/snapshot'), end: new Uint8Array(0) }).kvs[0]?.value).toEqual(Buffer.from('yes'));
  });

  test('move-leader', async () => {
    const before = await statuses();
    const leader = before[0]!.Status.leader;
    const target = before.find((s) => s.Status.header.member_id !== leader)!.Status.header.member_id;
    expect(await out(urls, 'move-leader', target.toString(16))).toBe(`Leadership transferred from ${leader.toString(16)} to ${target.toString(16)}\n`);
    for (const status of await statuses()) expect(status.Status.leader).toBe(target);
  });
});
