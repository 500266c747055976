/**
 * `balsa kv serve` driven by the real etcdctl (Debian's etcd-client, 3.4): what an etcd
 * user types works and prints what etcd prints, on one member and on three (any member
 * answers; followers forward writes and serve linearizable reads through ReadIndex).
 * Needs etcdctl: fails in CI when it is missing, skipped elsewhere with the reason printed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithTools, requireTool, runEtcdctl, spawnEtcdctl } from '../../support/etcd-tools.js';
import { startKvCluster } from '../../support/kv-cluster.js';
import type { KvCluster } from '../../support/kv-cluster.js';

describeWithTools(requireTool('etcdctl'), 'balsa kv serve, driven by etcdctl', (etcdctl) => {
  let dir: string;
  let cluster: KvCluster;
  const ctl = (member: number, ...args: string[]) => runEtcdctl(etcdctl, args, { endpoints: [cluster.clientEndpoints[member]!] });
  const out = async (member: number, ...args: string[]) => {
    const result = await ctl(member, ...args);
    if (result.code !== 0) throw new Error(`etcdctl ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
    return result.stdout;
  };

  describe('one member', () => {
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'balsa-kv-1-'));
      cluster = await startKvCluster({ members: 1, dir });
    });
    afterAll(async () => {
      await cluster?.stop();
      await rm(dir, { recursive: true, force: true });
    });

    test('put, get (prefix, from-key, keys-only, sort, limit and count, revision) and del', async () => {
      expect(await out(0, 'put', 'a/1', 'one')).toBe('OK\n');
      expect(await out(0, 'put', 'a/2', 'two')).toBe('OK\n');
      expect(await out(0, 'put', 'a/1', 'uno')).toBe('OK\n');
      expect(await out(0, 'get', 'a/1')).toBe('a/1\nuno\n');
      expect(await out(0, 'get', '--prefix', 'a/')).toBe('a/1\nuno\na/2\ntwo\n');
      expect(await out(0, 'get', '--prefix', 'a/', '--keys-only')).toBe('a/1\n\na/2\n\n');
      expect(await out(0, 'get', '--prefix', 'a/', '--sort-by=MODIFY', '--order=DESCEND', '--limit=1')).toBe('a/1\nuno\n');
      expect(await out(0, 'get', '--from-key', 'a/2')).toBe('a/2\ntwo\n');
      // etcdctl 3.4 has no --count-only; the JSON answer carries etcd's count (before the limit).
      expect(JSON.parse(await out(0, 'get', '--prefix', 'a/', '--limit=1', '-w', 'json'))).toMatchObject({ count: 2, more: true });
      // Revision 2 was the first put: the value then.
      expect(await out(0, 'get', 'a/1', '--rev=2')).toBe('a/1\none\n');
      expect(await out(0, 'del', 'a/2')).toBe('1\n');
      expect(await out(0, 'get', '--prefix', 'a/')).toBe('a/1\nuno\n');
      expect(await out(0, 'del', 'nothing-here')).toBe('0\n');
    });

    test('txn from standard input, as `etcdctl txn` reads it', async () => {
      await out(0, 'put', 't', 'before');
      const input = 'value("t") = "before"\n\nput t after\n\nput t never\n\n';
      const run = await runEtcdctl(etcdctl, ['txn'], { endpoints: cluster.clientEndpoints, input });
      expect(run.stdout).toBe('SUCCESS\n\nOK\n');
      expect(await out(0, 'get', 't')).toBe('t\nafter\n');
      const again = await runEtcdctl(etcdctl, ['txn'], { endpoints: cluster.clientEndpoints, input });
      expect(again.stdout).toBe('FAILURE\n\nOK\n');
      expect(await out(0, 'get', 't')).toBe('t\nnever\n');
    });

    test('leases: grant, attach, timetolive with keys, list, revoke deletes the keys', async () => {
      const granted = await out(0, 'lease', 'grant', '60');
      const id = /^lease ([0-9a-f]+) granted with TTL\(60s\)$/.exec(granted.trim())?.[1];
      expect(id).toBeDefined();
      expect(await out(0, 'put', '--lease', id!, 'leased', 'v')).toBe('OK\n');
      expect(await out(0, 'lease', 'timetolive', id!, '--keys')).toMatch(new RegExp(`^lease ${id} granted with TTL\\(60s\\), remaining\\(\\d+s\\), attached keys\\(\\[leased\\]\\)\\n$`));
      expect(await out(0, 'lease', 'list')).toContain(id!);
      expect(await out(0, 'lease', 'revoke', id!)).toBe(`lease ${id} revoked\n`);
      expect(await out(0, 'get', 'leased')).toBe('');
      const unknown = await ctl(0, 'lease', 'revoke', id!);
      expect(unknown.code).not.toBe(0);
      expect(unknown.stderr).toContain('etcdserver: requested lease not found');
    });

    test('watch with --prev-kv sees puts and deletes in order; compaction refuses old revisions with etcd’s error', async () => {
      const watch = spawnEtcdctl(etcdctl, ['watch', '--prefix', 'w/', '--prev-kv'], { endpoints: cluster.clientEndpoints });
      try {
        await new Promise((resolve) => setTimeout(resolve, 500));
        await out(0, 'put', 'w/x', '1');
        await out(0, 'put', 'w/x', '2');
        await out(0, 'del', 'w/x');
        const expected = 13;
        await watch.waitFor((stdout) => stdout.split('\n').length > expected, 10_000);
        expect(watch.stdout.split('\n').slice(0, expected)).toEqual(['PUT', 'w/x', '1', 'PUT', 'w/x', '1', 'w/x', '2', 'DELETE', 'w/x', '2', 'w/x', '']);
      } finally {
        await watch.stop();
      }
      const status = JSON.parse(await out(0, 'endpoint', 'status', '-w', 'json')) as { Status: { header: { revision: number } } }[];
      const revision = status[0]!.Status.header.revision;
      expect(await out(0, 'compaction', String(revision))).toBe(`compacted revision ${revision}\n`);
      const old = await ctl(0, 'get', 'a/1', '--rev=2');
      expect(old.code).not.toBe(0);
      expect(old.stderr).toContain('etcdserver: mvcc: required revision has been compacted');
    });

    test('endpoint status and member list describe the member', async () => {
      const status = await out(0, 'endpoint', 'status');
      expect(status).toMatch(new RegExp(`^${cluster.clientEndpoints[0]}, [0-9a-f]+, 3\\.4\\.0, \\d+ [kKMG]?i?B, true, false, \\d+, \\d+, \\d+, \\n$`));
      expect(await out(0, 'member', 'list')).toMatch(/^[0-9a-f]+, started, m1, http:\/\/127\.0\.0\.1:\d+, http:\/\/127\.0\.0\.1:\d+, false\n$/);
    });
  });

  describe('three members', () => {
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'balsa-kv-3-'));
      cluster = await startKvCluster({ members: 3, dir });
    });
    afterAll(async () => {
      await cluster?.stop();
      await rm(dir, { recursive: true, force: true });
    });

    test('a write through any member is read back, linearizably, from every member', async () => {
      for (const [i] of cluster.clientEndpoints.entries()) {
        expect(await out(i, 'put', `k${i}`, `from-${i}`)).toBe('OK\n');
        for (const [j] of cluster.clientEndpoints.entries()) expect(await out(j, 'get', `k${i}`)).toBe(`k${i}\nfrom-${i}\n`);
      }
      const members = (await out(0, 'member', 'list')).trim().split('\n');
      expect(members).toHaveLength(3);
      const leaders = await Promise.all(
        cluster.clientEndpoints.map(async (_, i) => (await out(i, 'endpoint', 'status')).split(', ')[4]),
      );
      expect(leaders.filter((isLeader) => isLeader === 'true')).toHaveLength(1);
    });
  });
});
