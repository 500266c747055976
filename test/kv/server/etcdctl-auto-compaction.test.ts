/**
 * `--auto-compaction-mode` and `--auto-compaction-retention` as etcd reads them: in
 * revision mode the leader keeps the last N revisions, compacting the rest, so reads
 * further back get etcd's "compacted" error; in periodic mode it keeps a retention's worth
 * of history. Revision mode checks every 5 minutes in etcd; the test shortens that with
 * Balsa's test knob (`BALSA_KV_AUTO_COMPACTION_CHECK_INTERVAL_MS`).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AUTO_COMPACTION_CHECK_INTERVAL_ENV } from '../../../kv/server/server-options.js';
import { describeWithTools, requireTool, runEtcdctl } from '../../support/etcd-tools.js';
import { startKvCluster } from '../../support/kv-cluster.js';
import type { KvCluster } from '../../support/kv-cluster.js';

interface HashKv {
  readonly HashKV: { readonly header: { readonly revision: number }; readonly compact_revision?: number };
}

describeWithTools(requireTool('etcdctl'), 'auto-compaction', (etcdctl) => {
  let dir: string;
  let cluster: KvCluster | undefined;
  const out = async (endpoint: string, ...args: string[]) => {
    const result = await runEtcdctl(etcdctl, args, { endpoints: [endpoint] });
    if (result.code !== 0) throw new Error(`etcdctl ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
    return result.stdout;
  };
  /** The store's revision and compaction point, from `endpoint hashkv` (etcd says -1 when never compacted). */
  const revisions = async (endpoint: string) => {
    const [entry] = JSON.parse(await out(endpoint, 'endpoint', 'hashkv', '-w', 'json')) as HashKv[];
    return { revision: entry!.HashKV.header.revision, compacted: entry!.HashKV.compact_revision ?? 0 };
  };
  const until = async <T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (let value = await read(); ; value = await read()) {
      if (done(value) || Date.now() > deadline) return value;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'balsa-kv-auto-compaction-'));
  });
  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  test('revision mode keeps the last N revisions on every member', async () => {
    cluster = await startKvCluster({
      members: 3,
      dir,
      flags: ['--auto-compaction-mode=revision', '--auto-compaction-retention=5'],
      env: { [AUTO_COMPACTION_CHECK_INTERVAL_ENV]: '200' },
    });
    const endpoint = cluster.clientEndpoints[1]!;
    for (let i = 1; i <= 12; i++) await out(endpoint, 'put', 'counter', String(i));
    const { revision } = await revisions(endpoint);
    expect(revision).toBe(13);
    for (const member of cluster.clientEndpoints) {
      const state = await until(() => revisions(member), (r) => r.compacted === revision - 5, 5_000);
      expect(state).toEqual({ revision, compacted: revision - 5 });
    }
    expect(await out(endpoint, 'get', 'counter', `--rev=${revision - 5}`)).toBe('counter\n7\n');
    const old = await runEtcdctl(etcdctl, ['get', 'counter', `--rev=${revision - 6}`], { endpoints: [endpoint] });
    expect(old.code).not.toBe(0);
    expect(old.stderr).toContain('etcdserver: mvcc: required revision has been compacted');
  });

  test('periodic mode keeps a retention’s worth of history', async () => {
    cluster = await startKvCluster({ members: 1, dir, flags: ['--auto-compaction-mode=periodic', '--auto-compaction-retention=2s'] });
    const endpoint = cluster.clientEndpoints[0]!;
    await out(endpoint, 'put', 'early', '1');
    const early = (await revisions(endpoint)).revision;
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    await out(endpoint, 'put', 'late', '1');
    const late = (await revisions(endpoint)).revision;
    // Within a couple of retentions, history before the early write's time is compacted,
    // but never what is younger than a retention.
    const state = await until(() => revisions(endpoint), (r) => r.compacted >= early, 6_000);
    expect(state.compacted).toBeGreaterThanOrEqual(early);
    expect(state.compacted).toBeLessThan(late);
    expect(await out(endpoint, 'get', 'late', `--rev=${late}`)).toBe('late\n1\n');
  });
});
