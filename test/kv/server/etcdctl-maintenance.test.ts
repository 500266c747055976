/**
 * etcdctl's maintenance commands against Balsa: the NOSPACE alarm raised when the store
 * outgrows `--quota-backend-bytes` (writes refused with etcd's error until compaction,
 * defrag and `alarm disarm`), the CORRUPT alarm (writes refused with etcd's error until
 * `alarm disarm`), `endpoint hashkv` and `endpoint health` across members, and
 * `move-leader`. `snapshot save` has its own file (`etcdctl-snapshot.test.ts`).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { WireObject } from '../../../kv/server/etcd-proto.js';
import { etcdCall } from '../../support/etcd-grpc.js';
import { describeWithTools, requireTool, runEtcdctl } from '../../support/etcd-tools.js';
import { startKvCluster } from '../../support/kv-cluster.js';
import type { KvCluster } from '../../support/kv-cluster.js';

interface EndpointStatus {
  readonly Status: { readonly header: { readonly member_id: number; readonly revision: number }; readonly leader: number; readonly errors?: string[] };
}

describeWithTools(requireTool('etcdctl'), 'maintenance through etcdctl', (etcdctl) => {
  let dir: string;
  let cluster: KvCluster;
  const ctl = (endpoints: readonly string[], ...args: string[]) => runEtcdctl(etcdctl, args, { endpoints });
  const out = async (endpoint: string, ...args: string[]) => {
    const result = await ctl([endpoint], ...args);
    if (result.code !== 0) throw new Error(`etcdctl ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
    return result.stdout;
  };
  const fails = async (endpoint: string, args: string[], message: string) => {
    const result = await ctl([endpoint], ...args);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(message);
  };
  const status = async (endpoint: string) => (JSON.parse(await out(endpoint, 'endpoint', 'status', '-w', 'json')) as EndpointStatus[])[0]!.Status;

  describe('one member with a small quota', () => {
    const quotaBytes = 20_000;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'balsa-kv-maintenance-1-'));
      cluster = await startKvCluster({ members: 1, dir, flags: [`--quota-backend-bytes=${quotaBytes}`] });
    });
    afterAll(async () => {
      await cluster?.stop();
      await rm(dir, { recursive: true, force: true });
    });

    test('outgrowing the quota raises NOSPACE: writes fail until compaction, defrag and alarm disarm', async () => {
      const endpoint = cluster.clientEndpoints[0]!;
      const value = 'x'.repeat(4_000);
      let written = 0;
      for (;;) {
        const put = await ctl([endpoint], 'put', `big/${written}`, value);
        if (put.code !== 0) {
          expect(put.stderr).toContain('etcdserver: mvcc: database space exceeded');
          break;
        }
        written++;
        expect(written).toBeLessThan(quotaBytes / value.length + 1);
      }
      expect(written).toBeGreaterThan(0);
      const before = await status(endpoint);
      const alarm = `memberID:${before.header.member_id} alarm:NOSPACE `;
      expect(await out(endpoint, 'alarm', 'list')).toBe(`${alarm}\n`);
      expect(before.errors).toEqual([alarm]);
      // Every write that grows the store is refused while the alarm is on, even a small one ...
      await fails(endpoint, ['put', 'small', 'v'], 'etcdserver: mvcc: database space exceeded');
      await fails(endpoint, ['lease', 'grant', '60'], 'etcdserver: mvcc: database space exceeded');
      expect((await status(endpoint)).header.revision).toBe(before.header.revision);
      // ... but deletes and compaction go through, and defrag answers.
      expect(await out(endpoint, 'del', '--prefix', 'big/')).toBe(`${written}\n`);
      const revision = (await status(endpoint)).header.revision;
      expect(await out(endpoint, 'compaction', String(revision))).toBe(`compacted revision ${revision}\n`);
      expect(await out(endpoint, 'defrag')).toBe(`Finished defragmenting etcd member[${endpoint}]\n`);
      await fails(endpoint, ['put', 'small', 'v'], 'etcdserver: mvcc: database space exceeded');
      expect(await out(endpoint, 'alarm', 'disarm')).toBe(`${alarm}\n`);
      expect(await out(endpoint, 'alarm', 'list')).toBe('');
      expect(await out(endpoint, 'put', 'small', 'v')).toBe('OK\n');
      expect((await status(endpoint)).errors ?? []).toEqual([]);
    });
  });

  describe('three members', () => {
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'balsa-kv-maintenance-3-'));
      cluster = await startKvCluster({ members: 3, dir });
    });
    afterAll(async () => {
      await cluster?.stop();
      await rm(dir, { recursive: true, force: true });
    });

    test('endpoint health and endpoint hashkv: every member healthy and holding the same data', async () => {
      const health = await ctl(cluster.clientEndpoints, 'endpoint', 'health');
      expect(health.code).toBe(0);
      for (const endpoint of cluster.clientEndpoints) {
        expect(health.stderr).toMatch(new RegExp(`${endpoint} is healthy: successfully committed proposal: took = `));
      }
      const hashes = async () => {
        const printed = await ctl(cluster.clientEndpoints, 'endpoint', 'hashkv');
        const lines = printed.stdout.trim().split('\n').map((line) => line.split(', '));
        expect(lines.map(([endpoint]) => endpoint)).toEqual(cluster.clientEndpoints);
        return lines.map(([, hash]) => hash);
      };
      const before = await hashes();
      expect(new Set(before).size).toBe(1);
      await out(cluster.clientEndpoints[1]!, 'put', 'hashed', 'value');
      // Linearizable reads on each member first, so that every one has applied the put.
      for (const endpoint of cluster.clientEndpoints) expect(await out(endpoint, 'get', 'hashed')).toBe('hashed\nvalue\n');
      const after = await hashes();
      expect(new Set(after).size).toBe(1);
      expect(after[0]).not.toBe(before[0]);
    });

    test('a CORRUPT alarm (raised through the Alarm API) refuses writes with etcd’s error on every member; reads answer; disarm clears it', async () => {
      const all = cluster.clientEndpoints;
      await out(all[0]!, 'put', 'before/corrupt', 'v');
      const lease = /^lease ([0-9a-f]+) granted/.exec(await out(all[0]!, 'lease', 'grant', '600'))![1]!;
      const memberId = (await status(all[1]!)).header.member_id;
      // etcdctl cannot raise an alarm: the Maintenance API can (etcd's leader does so when hashes differ).
      const raised = await etcdCall(all[1]!, 'Maintenance', 'Alarm', { action: 'ACTIVATE', memberID: String(memberId), alarm: 'CORRUPT' });
      expect(raised.alarms).toEqual([{ memberID: String(memberId), alarm: 'CORRUPT' }]);
      const alarm = `memberID:${memberId} alarm:CORRUPT `;
      expect(await out(all[0]!, 'alarm', 'list')).toBe(`${alarm}\n`);
      const revision = (await status(all[2]!)).header.revision;
      for (const endpoint of all) {
        await fails(endpoint, ['put', 'during/corrupt', 'v'], 'etcdserver: corrupt cluster');
        await fails(endpoint, ['del', 'before/corrupt'], 'etcdserver: corrupt cluster');
        await fails(endpoint, ['compaction', String(revision)], 'etcdserver: corrupt cluster');
        await fails(endpoint, ['lease', 'grant', '60'], 'etcdserver: corrupt cluster');
        await fails(endpoint, ['lease', 'revoke', lease], 'etcdserver: corrupt cluster');
        const txn = await runEtcdctl(etcdctl, ['txn'], { endpoints: [endpoint], input: '\nput during/txn v\n\n\n' });
        expect(txn.code).not.toBe(0);
        expect(txn.stderr).toContain('etcdserver: corrupt cluster');
        // Reads are served as before, linearizable or not, and so is a read-only transaction.
        expect(await out(endpoint, 'get', 'before/corrupt')).toBe('before/corrupt\nv\n');
        expect(await out(endpoint, 'get', 'before/corrupt', '--consistency=s')).toBe('before/corrupt\nv\n');
        const readOnly = await runEtcdctl(etcdctl, ['txn'], { endpoints: [endpoint], input: '\nget before/corrupt\n\n\n' });
        expect(readOnly.stdout).toBe('SUCCESS\n\nbefore/corrupt\nv\n');
      }
      // The status code is etcd's too (DATA_LOSS), and nothing changed anywhere.
      await expect(etcdCall(all[2]!, 'KV', 'Put', { key: Buffer.from('k'), value: Buffer.from('v') })).rejects.toMatchObject({
        code: grpc.status.DATA_LOSS,
        details: 'etcdserver: corrupt cluster',
      });
      for (const endpoint of all) expect((await status(endpoint)).header.revision).toBe(revision);
      expect((await status(all[0]!)).errors).toEqual([alarm]);

      expect(await out(all[2]!, 'alarm', 'disarm')).toBe(`${alarm}\n`);
      expect(await out(all[0]!, 'alarm', 'list')).toBe('');
      expect(await out(all[0]!, 'put', 'after/corrupt', 'v')).toBe('OK\n');
      expect(await out(all[1]!, 'lease', 'revoke', lease)).toBe(`lease ${lease} revoked\n`);
    });

    test('move-leader hands leadership to the member named; a bad one gets etcd’s error', async () => {
      const all = cluster.clientEndpoints;
      const statuses = await Promise.all(all.map(status));
      const leader = statuses[0]!.leader;
      const target = statuses.find((s) => s.header.member_id !== leader)!.header.member_id;
      const moved = await ctl(all, 'move-leader', target.toString(16));
      expect(moved.stdout).toBe(`Leadership transferred from ${leader.toString(16)} to ${target.toString(16)}\n`);
      for (const endpoint of all) expect((await status(endpoint)).leader).toBe(target);
      expect(await out(all[0]!, 'put', 'after', 'move')).toBe('OK\n');

      const bad = await ctl(all, 'move-leader', '1234');
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toContain('etcdserver: bad leader transferee');
      // etcd answers MoveLeader only on the leader (etcdctl looks for it first).
      const follower = all[statuses.findIndex((s) => s.header.member_id !== target)]!;
      await expect(moveLeaderRpc(follower, target)).rejects.toMatchObject({ code: grpc.status.FAILED_PRECONDITION, details: 'etcdserver: not leader' });
    });
  });
});

function moveLeaderRpc(endpoint: string, target: number): Promise<WireObject> {
  return etcdCall(endpoint, 'Maintenance', 'MoveLeader', { targetID: String(target) }, 5_000);
}
