/**
 * `etcdctl snapshot save` from a Balsa member writes what etcd's tools read:
 *
 * - `snapshot status` (real bbolt: it opens the file and runs bbolt's consistency check
 *   first) prints the member's revision, and the hash, key count and size of the data
 *   the file holds — the same data Balsa's own bbolt reader finds in it;
 * - `snapshot restore` accepts it (the SHA-256 trailer checks out), and a real etcd 3.4
 *   started on the restored data directory serves the same keys with the same values,
 *   versions, create and mod revisions at every revision from the compaction point on,
 *   refuses older ones as compacted, is at the same revision, holds the same history
 *   (its HashKV is the hash of the file's `key` bucket), and has the same leases with
 *   the same keys attached;
 * - and the reverse: a snapshot etcd saves of that data reads with Balsa's bbolt reader,
 *   its records and leases byte for byte those Balsa wrote.
 *
 * And the bbolt writer's files in general — overflow pages, a tall tree, inline and empty
 * buckets — pass real bbolt's check, with the hash etcdctl computes.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeRevisionKey } from '../../../kv/backend/index.js';
import { planBoltFile, readBoltFile } from '../../../kv/backend/bolt/index.js';
import type { BoltBucketSource, BoltDatabase } from '../../../kv/backend/bolt/index.js';
import { loadEtcdProto } from '../../../kv/server/etcd-proto.js';
import { Crc32c } from '../../support/crc32c.js';
import { describeWithTools, etcdctlAt, etcdTools, runEtcdctl, startRealEtcd } from '../../support/etcd-tools.js';
import type { MemberBootstrap, RealEtcd } from '../../support/etcd-tools.js';
import { startKvCluster } from '../../support/kv-cluster.js';
import type { KvCluster } from '../../support/kv-cluster.js';

const proto = loadEtcdProto();

interface SnapshotStatus {
  readonly hash: number;
  readonly revision: number;
  readonly totalKey: number;
  readonly totalSize: number;
}

interface GetJson {
  readonly header: { readonly revision: number };
  readonly kvs?: readonly Record<string, unknown>[];
  readonly count?: number;
}

/** What `snapshot status` computes, from what Balsa's reader finds: CRC-32C over bucket names, keys and values. */
function statusOf(db: BoltDatabase): Omit<SnapshotStatus, 'revision'> {
  const crc = new Crc32c();
  let totalKey = 0;
  for (const bucket of db.buckets) {
    crc.update(bucket.name);
    for (const entry of bucket.entries) {
      crc.update(entry.key).update(entry.value);
      totalKey++;
    }
  }
  return { hash: crc.value, totalKey, totalSize: db.meta.pageCount * db.meta.pageSizeBytes };
}

describeWithTools(etcdTools(), 'snapshot save from a Balsa member, read by etcd’s tools', ({ etcdctl, etcd }) => {
  const { ctl, out } = etcdctlAt(etcdctl);
  let dir: string;
  let balsa: KvCluster;
  let endpoint: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'balsa-kv-snapshot-'));
    balsa = await startKvCluster({ members: 1, dir });
    endpoint = balsa.clientEndpoints[0]!;
  });
  afterAll(async () => {
    await balsa?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const revisionOf = async (at: string) => (JSON.parse(await out(at, 'get', 'a', '-w', 'json')) as GetJson).header.revision;
  const leaseOf = async (ttl: number) => /^lease ([0-9a-f]+) granted/.exec(await out(endpoint, 'lease', 'grant', String(ttl)))![1]!;

  test('status and restore: a real etcd serves the member’s data, history and leases', async () => {
    // A history: overwrites, deletes, a lease with keys and one without, an empty value,
    // a transaction of a hundred changes (one revision, many sub-revisions, many pages),
    // a value larger than a page, and a compaction with writes before and after it.
    await out(endpoint, 'put', 'a', '1');
    await out(endpoint, 'put', 'b', '2');
    await out(endpoint, 'put', 'a', '3');
    await out(endpoint, 'del', 'b');
    const withKeys = await leaseOf(600);
    const withoutKeys = await leaseOf(300);
    await out(endpoint, 'put', 'leased/1', 'x', `--lease=${withKeys}`);
    await out(endpoint, 'put', 'leased/2', 'y', `--lease=${withKeys}`);
    await out(endpoint, 'put', 'empty', '');
    const bulk = Array.from({ length: 100 }, (_, i) => `put bulk/${String(i).padStart(3, '0')} "${String(i).padEnd(1_500, '.')}"`);
    const txn = await runEtcdctl(etcdctl, ['txn'], { endpoints: [endpoint], input: `\n${bulk.join('\n')}\n\n\n` });
    expect(txn.stdout).toMatch(/^SUCCESS\n/);
    await out(endpoint, 'put', 'big', 'B'.repeat(100_000));
    await out(endpoint, 'put', 'ключ с пробелами', 'значение');
    const compactAt = await revisionOf(endpoint);
    await out(endpoint, 'put', 'a', '4');
    await out(endpoint, 'del', 'empty');
    expect(await out(endpoint, 'del', 'bulk/', '--prefix')).toBe('100\n'); // a hundred tombstones in one revision
    expect(await out(endpoint, 'compaction', String(compactAt))).toBe(`compacted revision ${compactAt}\n`);
    await out(endpoint, 'put', 'after', 'compaction');
    const revision = await revisionOf(endpoint);

    const file = join(dir, 'snapshot.db');
    expect(await out(endpoint, 'snapshot', 'save', file)).toBe(`Snapshot saved at ${file}\n`);
    const bytes = await readFile(file);
    // A whole number of 4 KiB pages, then the SHA-256 of them: what restore looks for.
    expect(bytes.byteLength % 4096).toBe(32);
    const body = bytes.subarray(0, bytes.byteLength - 32);
    expect(bytes.subarray(body.byteLength)).toEqual(createHash('sha256').update(body).digest());

    const db = readBoltFile(bytes);
    expect(db.problems).toEqual([]);
    const status = JSON.parse(await out(endpoint, 'snapshot', 'status', file, '-w', 'json')) as SnapshotStatus;
    expect(status).toEqual({ ...statusOf(db), revision });
    expect(status.totalSize).toBe(body.byteLength);
    // Every key alive at the compaction point (its version then), the 103 changes since
    // (a put, a delete, a hundred deletes, a put); then consistent_index and the two
    // compaction revisions, the two leases, the cluster version, the member, authRevision.
    const aliveAtCompaction = (JSON.parse(await out(endpoint, 'get', '', '--from-key', `--rev=${compactAt}`, '--keys-only', '-w', 'json')) as GetJson).count!;
    expect(aliveAtCompaction).toBe(106);
    expect(status.totalKey).toBe(aliveAtCompaction + 103 + 3 + 2 + 1 + 1 + 1);

    // Restore, and start a real etcd on the result.
    const restored: RealEtcd = await startRealEtcd({
      etcd,
      dir,
      prepareDataDir: async (member: MemberBootstrap) => {
        const result = await runEtcdctl(etcdctl, [
          'snapshot', 'restore', file,
          `--name=${member.name}`, `--data-dir=${member.dataDir}`,
          `--initial-cluster=${member.initialCluster}`, `--initial-cluster-token=${member.clusterToken}`,
          `--initial-advertise-peer-urls=${member.peerUrl}`,
        ], { endpoints: [endpoint] });
        if (result.code !== 0) throw new Error(`snapshot restore exited ${result.code}: ${result.stderr}`);
      },
    });
    try {
      const real = restored.clientEndpoints[0]!;
      const all = async (at: string, rev: number) => {
        const got = JSON.parse(await out(at, 'get', '', '--from-key', `--rev=${rev}`, '-w', 'json')) as GetJson;
        return { revision: got.header.revision, count: got.count ?? 0, kvs: got.kvs ?? [] };
      };
      for (let rev = compactAt; rev <= revision; rev++) expect(await all(real, rev)).toEqual(await all(endpoint, rev));
      expect((await all(real, revision)).kvs.length).toBeGreaterThan(5);
      const compacted = `etcdserver: mvcc: required revision has been compacted`;
      for (const at of [endpoint, real]) {
        const result = await ctl(at, 'get', 'a', `--rev=${compactAt - 1}`);
        expect(result.code).not.toBe(0);
        expect(result.stderr).toContain(compacted);
      }

      // etcd's HashKV hashes its `key` bucket: every record after the compaction point, and
      // those at or before it that are still their key's newest. Computed from the file.
      const keyBucket = db.buckets.find((b) => b.name.toString() === 'key')!;
      const keyOf = (value: Buffer) => (proto.decode('mvccpb.KeyValue', value).key as Buffer).toString('latin1');
      const later = new Set(keyBucket.entries.filter((e) => decodeRevisionKey(e.key).main > compactAt).map((e) => keyOf(e.value)));
      const keyHash = new Crc32c().update(Buffer.from('key'));
      for (const entry of keyBucket.entries) {
        if (decodeRevisionKey(entry.key).main > compactAt || !later.has(keyOf(entry.value))) keyHash.update(entry.key).update(entry.value);
      }
      expect((await out(real, 'endpoint', 'hashkv')).trim()).toBe(`${real}, ${keyHash.value}`);

      // Leases: the same ids, TTLs and attached keys.
      const leases = async (at: string) => (await out(at, 'lease', 'list')).trim().split('\n').slice(1).sort();
      expect(await leases(real)).toEqual([withKeys, withoutKeys].sort());
      expect(await leases(endpoint)).toEqual([withKeys, withoutKeys].sort());
      for (const id of [withKeys, withoutKeys]) {
        const lease = async (at: string) => {
          const ttl = JSON.parse(await out(at, 'lease', 'timetolive', id, '--keys', '-w', 'json')) as { id: number; 'granted-ttl': number; keys?: string[] };
          return { id: ttl.id, grantedTtl: ttl['granted-ttl'], keys: [...(ttl.keys ?? [])].sort() };
        };
        expect(await lease(real)).toEqual(await lease(endpoint));
      }
      expect((JSON.parse(await out(real, 'lease', 'timetolive', withKeys, '--keys', '-w', 'json')) as { keys: string[] }).keys).toHaveLength(2);

      // The reverse: etcd's own snapshot of the restored data reads with Balsa's reader
      // (free pages, no freelist written), and holds the records and leases Balsa wrote.
      const etcdFile = join(dir, 'from-etcd.db');
      await out(real, 'snapshot', 'save', etcdFile);
      const etcdDb = readBoltFile(await readFile(etcdFile));
      expect(etcdDb.problems).toEqual([]);
      const contents = (of: BoltDatabase, name: string) => of.buckets.find((b) => b.name.toString() === name)!.entries.map((e) => [e.key.toString('hex'), e.value.toString('hex')]);
      expect(contents(etcdDb, 'key')).toEqual(contents(db, 'key'));
      expect(contents(etcdDb, 'lease')).toEqual(contents(db, 'lease'));
    } finally {
      await restored.stop();
    }
  });

  test('any file the bbolt writer makes passes real bbolt’s check, with the hash etcdctl computes', async () => {
    const entries = (count: number, keyBytes: number, valueBytes: (i: number) => number) =>
      Array.from({ length: count }, (_, i) => {
        const key = Buffer.alloc(keyBytes, 0x6b);
        key.writeUInt32BE(i, keyBytes - 4);
        return { key, value: Buffer.alloc(valueBytes(i), i % 256) };
      });
    const bucket = (name: string, list: ReturnType<typeof entries>): BoltBucketSource => ({ name: Buffer.from(name), entries: () => list });
    const buckets = [
      bucket('tall', entries(1_500, 1_000, (i) => i % 50)), // four keys to a branch page: several levels
      bucket('overflow', entries(40, 8, (i) => (i % 10 === 0 ? 20_000 + i * 1_000 : 300))),
      bucket('inline', entries(5, 8, () => 10)),
      bucket('empty', []),
    ];
    const file = planBoltFile(buckets);
    const path = join(dir, 'writer.db');
    await writeFile(path, Buffer.concat([...file.pages()]));
    const status = JSON.parse(await out(endpoint, 'snapshot', 'status', path, '-w', 'json')) as SnapshotStatus;
    expect(status).toEqual({ ...statusOf(readBoltFile(await readFile(path))), revision: 0 });
    expect(status.totalKey).toBe(1_545);
  });
});
