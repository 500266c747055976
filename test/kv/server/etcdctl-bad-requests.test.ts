/**
 * A request Balsa cannot serve gets etcd's error, and changes nothing: a put larger than
 * `--max-request-bytes`, a put with a lease that does not exist, reads at a compacted or
 * a future revision, and writes to a member cut off from its quorum (which, as etcd,
 * reports "no leader" and lets the client's deadline expire rather than apply anything).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithTools, requireTool, etcdctlAt } from '../../support/etcd-tools.js';
import { startKvCluster } from '../../support/kv-cluster.js';
import type { KvCluster } from '../../support/kv-cluster.js';

interface EndpointStatus {
  readonly Status: { readonly header: { readonly revision: number }; readonly leader?: number; readonly errors?: string[] };
}

describeWithTools(requireTool('etcdctl'), 'bad requests get etcd’s errors and change nothing', (etcdctl) => {
  let dir: string;
  let cluster: KvCluster;
  const { ctl, out, fails } = etcdctlAt(etcdctl);
  const status = async (endpoint: string) => (JSON.parse(await out(endpoint, 'endpoint', 'status', '-w', 'json')) as EndpointStatus[])[0]!.Status;
  /** The revision as this member sees it, without needing a leader. */
  const localRevision = async (endpoint: string) =>
    (JSON.parse(await out(endpoint, 'get', 'any', '--consistency=s', '-w', 'json')) as { header: { revision: number } }).header.revision;

  describe('one member, --max-request-bytes=1024', () => {
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'balsa-kv-bad-1-'));
      cluster = await startKvCluster({ members: 1, dir, flags: ['--max-request-bytes=1024'] });
    });
    afterAll(async () => {
      await cluster?.stop();
      await rm(dir, { recursive: true, force: true });
    });

    test('an oversized put and a put with an unknown lease are refused, and nothing changes', async () => {
      const endpoint = cluster.clientEndpoints[0]!;
      expect(await out(endpoint, 'put', 'k', 'small')).toBe('OK\n');
      const revision = await localRevision(endpoint);
      await fails(endpoint, ['put', 'k', 'x'.repeat(2_000)], 'etcdserver: request is too large');
      await fails(endpoint, ['put', '--lease=1234', 'k', 'leased'], 'etcdserver: requested lease not found');
      await fails(endpoint, ['put', '--lease=1234', 'other', 'leased'], 'etcdserver: requested lease not found');
      expect(await localRevision(endpoint)).toBe(revision);
      expect(await out(endpoint, 'get', '--prefix', '')).toBe('k\nsmall\n');
    });

    test('reads at a compacted or a future revision get etcd’s errors', async () => {
      const endpoint = cluster.clientEndpoints[0]!;
      await out(endpoint, 'put', 'r', '1');
      await out(endpoint, 'put', 'r', '2');
      const revision = await localRevision(endpoint);
      expect(await out(endpoint, 'compaction', String(revision))).toBe(`compacted revision ${revision}\n`);
      await fails(endpoint, ['get', 'r', `--rev=${revision - 1}`], 'etcdserver: mvcc: required revision has been compacted');
      await fails(endpoint, ['get', 'r', `--rev=${revision + 100}`], 'etcdserver: mvcc: required revision is a future revision');
      await fails(endpoint, ['compaction', String(revision - 1)], 'etcdserver: mvcc: required revision has been compacted');
      await fails(endpoint, ['compaction', String(revision + 100)], 'etcdserver: mvcc: required revision is a future revision');
      expect(await out(endpoint, 'get', 'r', `--rev=${revision}`)).toBe('r\n2\n');
      expect(await localRevision(endpoint)).toBe(revision);
    });
  });

  describe('three members, two of them stopped', () => {
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'balsa-kv-bad-3-'));
      cluster = await startKvCluster({ members: 3, dir });
    });
    afterAll(async () => {
      await cluster?.stop();
      await rm(dir, { recursive: true, force: true });
    });

    test('the survivor reports no leader, refuses writes and linearizable reads, and applies nothing', async () => {
      const survivor = cluster.clientEndpoints[2]!;
      expect(await out(survivor, 'put', 'k', 'before')).toBe('OK\n');
      expect(await out(survivor, 'get', 'k')).toBe('k\nbefore\n');
      const revision = await localRevision(survivor);
      await Promise.all([cluster.stopMember(0), cluster.stopMember(1)]);

      const deadline = Date.now() + 15_000;
      while (!((await status(survivor)).errors ?? []).includes('etcdserver: no leader') && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const cutOff = await status(survivor);
      expect(cutOff.leader ?? 0).toBe(0); // etcdctl's JSON leaves out zero fields
      expect(cutOff.errors).toEqual(['etcdserver: no leader']);

      // etcd waits for a leader until the client's deadline (etcdctl's is 5 s; 2 s here).
      await fails(survivor, ['--command-timeout=2s', 'put', 'k', 'during'], /context deadline exceeded|etcdserver: request timed out/);
      await fails(survivor, ['--command-timeout=2s', 'get', 'k'], /context deadline exceeded|etcdserver: request timed out/);
      const health = await ctl(survivor, '--command-timeout=2s', 'endpoint', 'health');
      expect(health.code).not.toBe(0);
      expect(health.stderr).toContain(`${survivor} is unhealthy: failed to commit proposal:`);
      // Serializable reads still answer, from what the survivor has: nothing new.
      expect(await out(survivor, 'get', 'k', '--consistency=s')).toBe('k\nbefore\n');
      expect(await localRevision(survivor)).toBe(revision);
    });
  });
});
