/**
 * Only the leader knows when leases expire, so a follower forwards lease keep-alives and
 * time-to-live questions to it, as etcd does: etcdctl pointed at a follower keeps a lease
 * (and its keys) alive and reads its remaining TTL exactly as it would at the leader.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithTools, requireTool, runEtcdctl, spawnEtcdctl } from '../../support/etcd-tools.js';
import { startKvCluster } from '../../support/kv-cluster.js';
import type { KvCluster } from '../../support/kv-cluster.js';

describeWithTools(requireTool('etcdctl'), 'lease calls through a follower', (etcdctl) => {
  let dir: string;
  let cluster: KvCluster;
  let follower: string;
  const out = async (endpoint: string, ...args: string[]) => {
    const result = await runEtcdctl(etcdctl, args, { endpoints: [endpoint] });
    if (result.code !== 0) throw new Error(`etcdctl ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
    return result.stdout;
  };
  const grant = async (ttlSeconds: number) => /^lease ([0-9a-f]{16}) granted/.exec(await out(follower, 'lease', 'grant', String(ttlSeconds)))![1]!;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'balsa-kv-leases-'));
    cluster = await startKvCluster({ members: 3, dir });
    const leaders = await Promise.all(cluster.clientEndpoints.map(async (e) => (await out(e, 'endpoint', 'status')).split(', ')[4]));
    follower = cluster.clientEndpoints[leaders.indexOf('false')]!;
  });
  afterAll(async () => {
    await cluster?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('keep-alive --once and timetolive on a follower answer as the leader would', async () => {
    const id = await grant(60);
    expect(await out(follower, 'lease', 'keep-alive', '--once', id)).toBe(`lease ${id} keepalived with TTL(60)\n`);
    const ttl = /^lease ([0-9a-f]{16}) granted with TTL\(60s\), remaining\((\d+)s\)\n$/.exec(await out(follower, 'lease', 'timetolive', id));
    expect(ttl?.[1]).toBe(id);
    expect(Number(ttl![2])).toBeGreaterThanOrEqual(55);
    expect(Number(ttl![2])).toBeLessThanOrEqual(60);
  });

  test('unknown leases: keep-alive fails with etcd’s error, timetolive says it expired', async () => {
    const keepAlive = await runEtcdctl(etcdctl, ['lease', 'keep-alive', '--once', '1234'], { endpoints: [follower] });
    expect(keepAlive.code).not.toBe(0);
    expect(keepAlive.stderr).toContain('etcdserver: requested lease not found');
    expect(await out(follower, 'lease', 'timetolive', '1234')).toBe('lease 0000000000001234 already expired\n');
  });

  test('a follower’s keep-alives reach the leader: the keys live while they flow and go when they stop', async () => {
    const id = await grant(3);
    expect(await out(follower, 'put', '--lease', id, 'kept', 'alive')).toBe('OK\n');
    const keepAlive = spawnEtcdctl(etcdctl, ['lease', 'keep-alive', id], { endpoints: [follower] });
    try {
      // Twice the TTL: without the renewals reaching the leader, the key would be gone.
      await new Promise((resolve) => setTimeout(resolve, 6_500));
      expect(await out(follower, 'get', 'kept')).toBe('kept\nalive\n');
      expect(keepAlive.stdout).toContain(`lease ${id} keepalived with TTL(3)`);
    } finally {
      await keepAlive.stop();
    }
    const deadline = Date.now() + 10_000;
    while ((await out(follower, 'get', 'kept')) !== '' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await out(follower, 'get', 'kept')).toBe('');
    expect(await out(follower, 'lease', 'timetolive', id)).toBe(`lease ${id} already expired\n`);
  });
});
