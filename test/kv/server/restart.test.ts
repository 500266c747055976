/**
 * A Balsa KV member restarted on its data directory loses nothing: three real
 * `balsa kv serve` processes with a small `--snapshot-count` and few entries kept behind
 * a snapshot (so that Raft snapshots and log compaction happen) take puts, deletes, transactions, leases (one revoked, one live
 * with keys) and a compaction; then they are (a) all stopped with SIGTERM and restarted,
 * (b) the leader is killed with SIGKILL under write load and restarted, (c) all killed
 * with SIGKILL and restarted. After each, every member holds the same revision and the
 * same keys with their versions and create and mod revisions (etcdctl's JSON and HashKV),
 * history before the compaction is refused with etcd's error while later revisions still
 * read, the live lease keeps its keys and its remaining TTL (lease checkpoints on), the
 * revoked one stays gone, and every acknowledged write is there.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LEASE_CHECKPOINT_INTERVAL_ENV, SNAPSHOT_CATCH_UP_ENTRIES_ENV } from '../../../kv/server/server-options.js';
import type { WireObject } from '../../../kv/server/etcd-proto.js';
import { EtcdGrpcClient } from '../../support/etcd-grpc.js';
import { describeWithTools, etcdctlAt, requireTool } from '../../support/etcd-tools.js';
import { eventually } from '../../support/eventually.js';
import { startKvCluster } from '../../support/kv-cluster.js';
import type { KvCluster } from '../../support/kv-cluster.js';

/** Applied entries between Raft snapshots: small, so that every phase spans several. */
const SNAPSHOT_COUNT = 20;
/** Log entries kept behind a snapshot: few, so that the log is compacted (and a member killed under load catches up from a snapshot). */
const CATCH_UP_ENTRIES = 5;
const LEASE_TTL_SECONDS = 600;
/** The live lease's remaining TTL must have dropped this far before the first restart ... */
const TTL_ELAPSED_BEFORE_RESTART_SECONDS = 10;
/** ... and may not come back above this (a reset would show the full TTL, or one more second). */
const TTL_RESTARTED_MAX_SECONDS = LEASE_TTL_SECONDS - 4;

/** What etcdctl's `get -w json` prints (keys and values base64). */
interface JsonRange {
  readonly header: { readonly cluster_id: number; readonly member_id: number; readonly revision: number };
  readonly kvs?: readonly JsonKv[];
  readonly count?: number;
}
interface JsonKv {
  readonly key: string;
  readonly create_revision: number;
  readonly mod_revision: number;
  readonly version: number;
  readonly value: string;
  readonly lease?: number;
}

/** Everything a restart must keep, as read through etcdctl before it. */
interface Expected {
  readonly revision: number;
  readonly clusterId: number;
  readonly kvs: readonly JsonKv[];
  /** The whole key space at `pastRevision` (after the compaction point). */
  readonly past: readonly JsonKv[];
  readonly hashKv: string;
  readonly members: string;
}

const decode = (base64: string) => Buffer.from(base64, 'base64').toString();

describeWithTools(requireTool('etcdctl'), 'members restarted on their data directories', (etcdctl) => {
  let dir: string;
  let cluster: KvCluster;
  const { out, ctl } = etcdctlAt(etcdctl);
  /** Every acknowledged write's key and value: each must survive every restart. */
  const acknowledged = new Map<string, string>();
  let compactRevision = 0;
  let pastRevision = 0;
  let liveLease = '';
  let revokedLease = '';

  const json = async <T>(endpoint: string, ...args: string[]) => JSON.parse(await out(endpoint, ...args, '-w', 'json')) as T;
  const leaderIndex = async () => {
    const statuses = await Promise.all(
      cluster.clientEndpoints.map(async (e) => (await json<{ Status: { leader: number; header: { member_id: number } } }[]>(e, 'endpoint', 'status'))[0]!.Status),
    );
    const leader = statuses[0]!.leader;
    expect(statuses.every((s) => s.leader === leader && leader !== 0)).toBe(true);
    return statuses.findIndex((s) => s.header.member_id === leader);
  };
  const hashKvAt = async (endpoint: string, revision: number) => (await out(endpoint, 'endpoint', 'hashkv', `--rev=${revision}`)).trim().split(', ')[1]!;
  const memberList = async (endpoint: string) => {
    const listed = await json<{ header: { cluster_id: number }; members: { ID: number; name: string; peerURLs: string[]; clientURLs: string[] }[] }>(endpoint, 'member', 'list');
    return JSON.stringify({ cluster: listed.header.cluster_id, members: listed.members });
  };
  const remainingTtl = async (endpoint: string, lease: string) => {
    const printed = await out(endpoint, 'lease', 'timetolive', lease, '--keys');
    const match = new RegExp(`^lease ${lease} granted with TTL\\(${LEASE_TTL_SECONDS}s\\), remaining\\((\\d+)s\\), attached keys\\(\\[(.*)\\]\\)\\n$`).exec(printed);
    if (match === null) throw new Error(`unexpected timetolive output: ${printed}`);
    return { remaining: Number(match[1]), keys: match[2]!.split(' ').sort() };
  };

  /** What the cluster holds now, read (linearizably) through member `index`. */
  const capture = async (index = 0): Promise<Expected> => {
    const endpoint = cluster.clientEndpoints[index]!;
    const now = await json<JsonRange>(endpoint, 'get', '', '--prefix');
    const past = await json<JsonRange>(endpoint, 'get', '', '--prefix', `--rev=${pastRevision}`);
    return {
      revision: now.header.revision,
      clusterId: now.header.cluster_id,
      kvs: now.kvs ?? [],
      past: past.kvs ?? [],
      hashKv: await hashKvAt(endpoint, now.header.revision),
      members: await memberList(endpoint),
    };
  };

  /** Every member holds exactly `expected`, and everything acknowledged. */
  const expectIntact = async (expected: Expected) => {
    for (const endpoint of cluster.clientEndpoints) {
      // Serializable: this member's own state, once it has caught up.
      const now = await eventually(async () => {
        const range = await json<JsonRange>(endpoint, 'get', '', '--prefix', '--consistency=s');
        expect(range.header.revision).toBe(expected.revision);
        return range;
      });
      expect(now.header.cluster_id).toBe(expected.clusterId);
      expect(now.kvs ?? []).toEqual(expected.kvs);
      const past = await json<JsonRange>(endpoint, 'get', '', '--prefix', '--consistency=s', `--rev=${pastRevision}`);
      expect(past.kvs ?? []).toEqual(expected.past);
      const compacted = await ctl(endpoint, 'get', '', '--prefix', '--consistency=s', `--rev=${compactRevision - 1}`);
      expect(compacted.code).not.toBe(0);
      expect(compacted.stderr).toContain('etcdserver: mvcc: required revision has been compacted');
      expect(await hashKvAt(endpoint, expected.revision)).toBe(expected.hashKv);
      expect(await eventually(() => memberList(endpoint).then((listed) => (expect(listed).toBe(expected.members), listed)))).toBe(expected.members);
      const values = new Map((now.kvs ?? []).map((kv) => [decode(kv.key), decode(kv.value)]));
      for (const [key, value] of acknowledged) expect([key, values.get(key)]).toEqual([key, value]);
    }
    const endpoint = cluster.clientEndpoints[0]!;
    expect(await out(endpoint, 'lease', 'list')).toBe(`found 1 leases\n${liveLease}\n`);
    const ttl = await remainingTtl(endpoint, liveLease);
    expect(ttl.keys).toEqual(['leased/a1', 'leased/a2']);
    expect(ttl.remaining).toBeGreaterThan(0);
    expect(ttl.remaining).toBeLessThanOrEqual(TTL_RESTARTED_MAX_SECONDS);
    expect(await out(endpoint, 'lease', 'timetolive', revokedLease)).toBe(`lease ${revokedLease} already expired\n`);
  };

  const restartAll = async () => {
    for (let i = 0; i < cluster.members.length; i++) await cluster.restartMember(i);
    await eventually(leaderIndex);
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'balsa-kv-restart-'));
    cluster = await startKvCluster({
      members: 3,
      dir,
      flags: [`--snapshot-count=${SNAPSHOT_COUNT}`, '--experimental-enable-lease-checkpoint'],
      env: {
        // Over a second: a checkpoint whose remaining TTL rounds up to the full TTL is skipped (etcd's rule).
        [LEASE_CHECKPOINT_INTERVAL_ENV]: '2000',
        // Compact the log right behind each snapshot: a restart finds only the snapshot and a short log.
        [SNAPSHOT_CATCH_UP_ENTRIES_ENV]: String(CATCH_UP_ENTRIES),
      },
    });
    const client = new EtcdGrpcClient(cluster.clientEndpoints[0]!);
    const put = async (key: string, value: string, lease?: string) => {
      await client.call('KV', 'Put', { key: Buffer.from(key), value: Buffer.from(value), ...(lease === undefined ? {} : { lease }) });
      acknowledged.set(key, value);
    };
    const del = async (key: string, prefix = false) => {
      const rangeEnd = prefix ? Buffer.from(key.slice(0, -1) + String.fromCharCode(key.charCodeAt(key.length - 1) + 1)) : undefined;
      await client.call('KV', 'DeleteRange', { key: Buffer.from(key), ...(rangeEnd === undefined ? {} : { rangeEnd }) });
      for (const written of [...acknowledged.keys()]) if (prefix ? written.startsWith(key) : written === key) acknowledged.delete(written);
    };
    try {
      // Several versions of 20 keys, then deletes (one by one and a prefix).
      for (let i = 0; i < 60; i++) await put(`k/${String(i % 20).padStart(3, '0')}`, `v${i}`);
      for (let i = 0; i < 5; i++) await del(`k/00${i}`);
      await del('k/01', true);
      // Transactions, half of which take the failure branch.
      for (let i = 0; i < 10; i++) {
        const key = `k/00${i % 10}`;
        const txn = await client.call('KV', 'Txn', {
          compare: [{ key: Buffer.from(key), target: 'VERSION', result: 'GREATER', version: '0' }],
          success: [{ requestPut: { key: Buffer.from(`t/${i}`), value: Buffer.from('exists') } }],
          failure: [{ requestPut: { key: Buffer.from(`t/${i}`), value: Buffer.from('missing') } }, { requestPut: { key: Buffer.from(key), value: Buffer.from('refilled') } }],
        });
        acknowledged.set(`t/${i}`, txn.succeeded === true ? 'exists' : 'missing');
        if (txn.succeeded !== true) acknowledged.set(key, 'refilled');
      }
      // A live lease with two keys; another with a key, revoked (its key goes with it).
      const grant = async () => BigInt((await client.call('Lease', 'LeaseGrant', { TTL: LEASE_TTL_SECONDS })).ID as string);
      const live = await grant();
      const revoked = await grant();
      liveLease = live.toString(16).padStart(16, '0'); // etcdctl prints lease IDs as 16 hex digits
      revokedLease = revoked.toString(16).padStart(16, '0');
      await put('leased/a1', 'a1', live.toString());
      await put('leased/a2', 'a2', live.toString());
      await put('leased/b1', 'b1', revoked.toString());
      await client.call('Lease', 'LeaseRevoke', { ID: revoked.toString() });
      acknowledged.delete('leased/b1');
      // A compaction in the middle of the history, with writes on both sides of it.
      for (let i = 0; i < 10; i++) await put(`before-compaction/${i}`, `${i}`);
      compactRevision = Number(((await client.call('KV', 'Range', { key: Buffer.from('k/'), limit: 1 })).header as WireObject).revision);
      for (let i = 0; i < 10; i++) await put(`k/${String(20 + i).padStart(3, '0')}`, `late${i}`);
      await client.call('KV', 'Compact', { revision: String(compactRevision) });
      pastRevision = compactRevision + 5;
      for (let i = 0; i < 10; i++) await put(`after-compaction/${i}`, `${i}`);
    } finally {
      client.close();
    }
    // Let the live lease age, so that a restart giving it its full TTL again would show.
    await eventually(async () => expect((await remainingTtl(cluster.clientEndpoints[0]!, liveLease)).remaining).toBeLessThanOrEqual(LEASE_TTL_SECONDS - TTL_ELAPSED_BEFORE_RESTART_SECONDS), 60_000, 1000);
  });
  afterAll(async () => {
    await cluster?.stop();
    if (process.env.BALSA_KEEP_ETCD_DIRS !== '1') await rm(dir, { recursive: true, force: true });
  });

  test('(a) every member stopped with SIGTERM and restarted', async () => {
    const expected = await capture();
    expect(expected.kvs.length).toBeGreaterThan(20);
    await Promise.all(cluster.members.map((_, i) => cluster.stopMember(i)));
    await restartAll();
    await expectIntact(expected);
  });

  test('(b) the leader killed with SIGKILL under write load, then restarted', async () => {
    const leader = await eventually(leaderIndex);
    const writeTo = cluster.clientEndpoints.filter((_, i) => i !== leader);
    const writer = new Writer(writeTo);
    const running = writer.run();
    try {
      await writer.acknowledgedAtLeast(20);
      await cluster.killMember(leader);
      // The others go on without it.
      await writer.acknowledgedAtLeast(writer.acknowledged.size + 20);
      await cluster.restartMember(leader);
      await writer.acknowledgedAtLeast(writer.acknowledged.size + 20);
    } finally {
      writer.stop();
      await running;
    }
    for (const [key, value] of writer.acknowledged) acknowledged.set(key, value);
    // What the writes that failed did is unknown: the reference is the cluster's state now.
    const expected = await capture((leader + 1) % cluster.members.length);
    await expectIntact(expected);
  });

  test('(c) every member killed with SIGKILL and restarted', async () => {
    const expected = await capture();
    await Promise.all(cluster.members.map((_, i) => cluster.killMember(i)));
    await restartAll();
    await expectIntact(expected);
  });
});

/**
 * Puts `load/<n>` = `<n>` one after another, round the endpoints given, until stopped;
 * a write that fails (the leader gone, an election) is skipped, not retried.
 */
class Writer {
  readonly acknowledged = new Map<string, string>();
  private readonly clients: EtcdGrpcClient[];
  private stopped = false;
  private next = 0;

  constructor(endpoints: readonly string[]) {
    this.clients = endpoints.map((endpoint) => new EtcdGrpcClient(endpoint));
  }

  async run(): Promise<void> {
    try {
      while (!this.stopped) {
        const n = this.next++;
        const key = `load/${String(n).padStart(5, '0')}`;
        try {
          await this.clients[n % this.clients.length]!.call('KV', 'Put', { key: Buffer.from(key), value: Buffer.from(String(n)) }, 5_000);
          this.acknowledged.set(key, String(n));
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    } finally {
      for (const client of this.clients) client.close();
    }
  }

  /** Until `count` writes have been acknowledged. */
  acknowledgedAtLeast(count: number): Promise<void> {
    return eventually(async () => expect(this.acknowledged.size).toBeGreaterThanOrEqual(count), 60_000, 100);
  }

  stop(): void {
    this.stopped = true;
  }
}
