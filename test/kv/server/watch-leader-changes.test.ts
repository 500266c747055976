/**
 * Watches deliver every event exactly once and in revision order across leader changes
 * (the KV issue's requirement), on a 3-member cluster of `balsa kv serve` processes.
 *
 * Writers keep putting, deleting and running transactions through every member while
 * the leadership moves: `etcdctl move-leader` to a follower, and SIGKILL of the leader
 * followed by its restart, twice each. Watchers on every member, followers and leader
 * alike: etcdctl (`watch --prefix --rev=N --prev-kv -w json`, pointed at its member only,
 * so it waits for it to come back after a kill), the `etcd3` npm client's watch (one
 * member as its only host: it re-creates the watch there after a kill), and raw gRPC
 * watch streams over a prefix and over a narrower range that, as clients do, reconnect to
 * the next member from the last revision received + 1 when their stream fails. At the end each watcher must have
 * received exactly the events of its range in the history that ranges at each revision
 * (`get --rev`) reconstruct: every revision, in order, none twice, with the same values
 * and previous values.
 * Needs etcdctl: fails in CI when it is missing, skipped elsewhere.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import type { WireObject } from '../../../kv/server/etcd-proto.js';
import { describeWithTools, etcdctlAt, requireTool, spawnEtcdctl } from '../../support/etcd-tools.js';
import type { BackgroundEtcdctl } from '../../support/etcd-tools.js';
import { etcdGrpcClients } from '../../support/etcd-grpc.js';
import type { EtcdGrpcClients, Unary } from '../../support/etcd-grpc.js';
import { startKvCluster } from '../../support/kv-cluster.js';
import type { KvCluster } from '../../support/kv-cluster.js';
import { ResumingWatch } from '../../support/resuming-watch.js';

const PREFIX = 'wl/';
const PREFIX_END = 'wl0';
/** The narrower range some watchers follow: keys wl/k2, wl/k3, wl/k4. */
const NARROW = { key: 'wl/k2', rangeEnd: 'wl/k5' } as const;
const KEYS = Array.from({ length: 8 }, (_, i) => `${PREFIX}k${i}`);
/** Revisions the writers make between two faults. */
const REVISIONS_PER_PHASE = 30;
/** Generous: the machine is shared. */
const PROGRESS_TIMEOUT_MS = 60_000;
const CONVERGE_TIMEOUT_MS = 90_000;

/** An event of the history, as a watcher with prev_kv receives it. */
interface HistoryEvent {
  readonly revision: number;
  readonly type: 'PUT' | 'DELETE';
  readonly key: string;
  readonly value: string;
  readonly prevValue: string | null;
}

/** A deterministic pseudo-random sequence (mulberry32), so a failing run's writes can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One writer: puts, deletes, range deletes and multi-key transactions through the members in turn, until stopped. */
async function writer(id: number, kv: readonly Unary[], running: () => boolean, stats: { ok: number; failed: number }): Promise<void> {
  const next = random(0x5eed + id);
  const pick = () => KEYS[Math.floor(next() * KEYS.length)]!;
  for (let seq = 0, member = id; running(); seq++, member = (member + 1) % kv.length) {
    const value = `w${id}-${seq}`;
    const roll = next();
    let method: string;
    let request: WireObject;
    if (roll < 0.5) {
      [method, request] = ['Put', { key: Buffer.from(pick()), value: Buffer.from(value) }];
    } else if (roll < 0.7) {
      [method, request] = ['DeleteRange', { key: Buffer.from(pick()) }];
    } else if (roll < 0.8) {
      [method, request] = ['DeleteRange', { key: Buffer.from(KEYS[3]!), rangeEnd: Buffer.from(KEYS[6]!) }];
    } else {
      // Three distinct keys: two puts and a delete at one revision.
      const [a, b, c] = [...KEYS].sort(() => next() - 0.5);
      const op = (key: string, put: boolean): WireObject =>
        put ? { requestPut: { key: Buffer.from(key), value: Buffer.from(value) } } : { requestDeleteRange: { key: Buffer.from(key) } };
      [method, request] = ['Txn', { success: [op(a!, true), op(b!, true), op(c!, false)] }];
    }
    try {
      await kv[member]!(method, request);
      stats.ok++;
    } catch {
      // A member down or without a leader: the outcome does not matter, the history decides.
      stats.failed++;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** The events of `[key, rangeEnd)` from `from` to `to`, rebuilt from a range read at every revision. */
async function historyFromRanges(kv: Unary, from: number, to: number): Promise<HistoryEvent[]> {
  const read = async (revision: number) => {
    const response = await kv('Range', { key: Buffer.from(PREFIX), rangeEnd: Buffer.from(PREFIX_END), revision });
    return new Map(((response.kvs as WireObject[]) ?? []).map((item) => [(item.key as Buffer).toString(), { value: (item.value as Buffer).toString(), modRevision: Number(item.modRevision) }]));
  };
  const events: HistoryEvent[] = [];
  let before = await read(from - 1);
  for (let revision = from; revision <= to; revision++) {
    const after = await read(revision);
    for (const [key, kv] of after) {
      if (kv.modRevision === revision) events.push({ revision, type: 'PUT', key, value: kv.value, prevValue: before.get(key)?.value ?? null });
    }
    for (const [key, kv] of before) {
      if (!after.has(key)) events.push({ revision, type: 'DELETE', key, value: '', prevValue: kv.value });
    }
    before = after;
  }
  return events;
}

/** etcdctl's `watch -w json` output: one WatchResponse per line. */
function parseEtcdctlWatch(stdout: string): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  const text = (base64: unknown) => Buffer.from(typeof base64 === 'string' ? base64 : '', 'base64').toString();
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const response = JSON.parse(line) as { Events?: { type?: number; kv: Record<string, unknown>; prev_kv?: Record<string, unknown> }[] };
    for (const event of response.Events ?? []) {
      events.push({
        revision: Number(event.kv.mod_revision),
        type: event.type === 1 ? 'DELETE' : 'PUT',
        key: text(event.kv.key),
        value: text(event.kv.value),
        prevValue: event.prev_kv === undefined ? null : text(event.prev_kv.value),
      });
    }
  }
  return events;
}

/**
 * The `etcd3` npm client's watch on one member (the client's only host), from `start`
 * with prev_kv. The client re-creates it after a broken stream from the revision after
 * the last response's header, as it does for its users.
 */
async function startNpmWatch(endpoint: string, start: number) {
  const client = new Etcd3({ hosts: [endpoint] });
  const events: HistoryEvent[] = [];
  const errors: string[] = [];
  let reconnections = 0;
  const watcher = await client.watch().prefix(PREFIX).startRevision(String(start)).withPreviousKV().create();
  watcher.on('data', (response) => {
    for (const event of response.events) {
      events.push({
        revision: Number(event.kv.mod_revision),
        type: event.type === 'Delete' ? 'DELETE' : 'PUT',
        key: event.kv.key.toString(),
        value: event.kv.value.toString(),
        prevValue: event.prev_kv ? event.prev_kv.value.toString() : null,
      });
    }
  });
  watcher.on('disconnected', () => reconnections++);
  watcher.on('error', (error) => errors.push(String(error)));
  return {
    events,
    errors,
    get reconnections() {
      return reconnections;
    },
    async stop() {
      await watcher.cancel().catch(() => undefined);
      client.close();
    },
  };
}

const inRange = (key: string, range: { key: string; rangeEnd: string }) => key >= range.key && key < range.rangeEnd;

/** Revision order as received, then the same events as the history (ties within a revision in a fixed order). */
function expectSameEvents(name: string, received: readonly HistoryEvent[], expected: readonly HistoryEvent[]): void {
  const outOfOrder = received.findIndex((event, i) => i > 0 && event.revision < received[i - 1]!.revision);
  expect({ name, outOfOrder }).toEqual({ name, outOfOrder: -1 });
  const comparable = (events: readonly HistoryEvent[]) =>
    events
      .map(({ revision, type, key, value, prevValue }) => ({ revision, type, key, value, prevValue }))
      .sort((a, b) => a.revision - b.revision || a.key.localeCompare(b.key) || a.type.localeCompare(b.type));
  expect({ name, events: comparable(received) }).toEqual({ name, events: comparable(expected) });
}

describeWithTools(requireTool('etcdctl'), 'watches across leader changes', (etcdctl) => {
  let dir: string;
  let cluster: KvCluster;
  let rpc: EtcdGrpcClients;
  const ctl = () => etcdctlAt(etcdctl);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'balsa-kv-watch-leaders-'));
    // Frequent snapshots: a killed member restarts from one, then replays the log after it.
    cluster = await startKvCluster({ members: 3, dir, flags: ['--snapshot-count=40'] });
    rpc = etcdGrpcClients(cluster.clientEndpoints);
  });
  afterAll(async () => {
    rpc?.close();
    await cluster?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** Every running member's id and the leader it names; members that do not answer are left out. */
  const statuses = async () => {
    const answers = await Promise.all(
      rpc.maintenance.map(async (call, index) => {
        if (cluster.exited(index)) return null;
        try {
          const status = await call('Status', {});
          return { index, id: BigInt((status.header as WireObject).memberId as string), leader: BigInt(status.leader as string) };
        } catch {
          return null;
        }
      }),
    );
    return answers.filter((answer) => answer !== null);
  };

  /** The index of the member every running member names as leader, once they agree. */
  const leaderIndex = async (): Promise<number> => {
    const deadline = Date.now() + PROGRESS_TIMEOUT_MS;
    for (;;) {
      const known = await statuses();
      const leader = known.find((s) => s.id === s.leader);
      if (leader !== undefined && known.every((s) => s.leader === leader.id)) return leader.index;
      if (Date.now() > deadline) throw new Error(`no agreed leader: ${JSON.stringify(known, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };

  /** The current revision, read from any member that answers. */
  const currentRevision = async (): Promise<number> => {
    for (;;) {
      for (const [index, call] of rpc.kv.entries()) {
        if (cluster.exited(index)) continue;
        try {
          const response = await call('Range', { key: Buffer.from(PREFIX), rangeEnd: Buffer.from(PREFIX_END), countOnly: true });
          return Number((response.header as WireObject).revision);
        } catch {
          // try the next member
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };

  /** Until the writers have made `count` more revisions. */
  const progress = async (count: number): Promise<void> => {
    const target = (await currentRevision()) + count;
    const deadline = Date.now() + PROGRESS_TIMEOUT_MS;
    while ((await currentRevision()) < target) {
      if (Date.now() > deadline) throw new Error(`the writers made no progress to revision ${target}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  const moveLeader = async (): Promise<void> => {
    const from = await leaderIndex();
    const to = (from + 1) % cluster.clientEndpoints.length;
    const id = (await statuses()).find((s) => s.index === to)!.id;
    const running = cluster.clientEndpoints.filter((_, i) => !cluster.exited(i));
    expect(await ctl().out(running, 'move-leader', id.toString(16))).toContain(`Leadership transferred from`);
    expect(await leaderIndex()).toBe(to);
  };

  const killLeader = async (): Promise<void> => {
    const leader = await leaderIndex();
    await cluster.stopMember(leader, 'SIGKILL');
    await leaderIndex(); // the others elect one
    await progress(REVISIONS_PER_PHASE);
    await cluster.restartMember(leader);
  };

  test('every watcher sees every revision of its range exactly once, in order, through moves and kills of the leader', async () => {
    const endpoints = cluster.clientEndpoints;
    const seedResponse = await rpc.kv[0]!('Put', { key: Buffer.from(`${PREFIX}k0`), value: Buffer.from('seed') });
    const start = Number((seedResponse.header as WireObject).revision);
    const rotated = (first: number) => endpoints.map((_, i) => endpoints[(first + i) % endpoints.length]!);

    const etcdctlWatches: BackgroundEtcdctl[] = endpoints.map((endpoint) =>
      spawnEtcdctl(etcdctl, ['watch', '--prefix', PREFIX, `--rev=${start}`, '--prev-kv', '-w', 'json'], { endpoints: [endpoint] }),
    );
    const prefixWatches = endpoints.map((_, i) => new ResumingWatch({ endpoints: rotated(i), key: PREFIX, rangeEnd: PREFIX_END, startRevision: start }));
    const narrowWatches = endpoints.map((_, i) => new ResumingWatch({ endpoints: rotated(i), ...NARROW, startRevision: start }));
    const npmWatches = await Promise.all(endpoints.map((endpoint) => startNpmWatch(endpoint, start)));
    const stats = { ok: 0, failed: 0 };
    let writing = true;
    const writers = [0, 1].map((id) => writer(id, rpc.kv, () => writing, stats));
    try {
      await progress(REVISIONS_PER_PHASE);
      await moveLeader();
      await progress(REVISIONS_PER_PHASE);
      await killLeader();
      await progress(REVISIONS_PER_PHASE);
      await moveLeader(); // often to the member just restarted
      await progress(REVISIONS_PER_PHASE);
      await killLeader();
      await progress(REVISIONS_PER_PHASE);
    } finally {
      writing = false;
      await Promise.all(writers);
    }
    const end = await currentRevision();
    const history = await historyFromRanges(rpc.kv[await leaderIndex()]!, start, end);
    const narrowHistory = history.filter((event) => inRange(event.key, NARROW));
    expect(history.length).toBeGreaterThan(5 * REVISIONS_PER_PHASE);
    const lastOf = (events: readonly { revision: number }[]) => events.at(-1)?.revision ?? 0;

    try {
      const deadline = Date.now() + CONVERGE_TIMEOUT_MS;
      const converged = () =>
        etcdctlWatches.every((w) => lastOf(parseEtcdctlWatch(w.stdout)) >= lastOf(history)) &&
        prefixWatches.every((w) => w.fatal !== null || w.lastRevision >= lastOf(history)) &&
        narrowWatches.every((w) => w.fatal !== null || w.lastRevision >= lastOf(narrowHistory)) &&
        npmWatches.every((w) => w.errors.length > 0 || lastOf(w.events) >= lastOf(history));
      while (!converged() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));

      for (const [i, w] of etcdctlWatches.entries()) expectSameEvents(`etcdctl watch on m${i + 1}`, parseEtcdctlWatch(w.stdout), history);
      for (const [i, w] of prefixWatches.entries()) {
        expect({ watcher: i, fatal: w.fatal }).toEqual({ watcher: i, fatal: null });
        expectSameEvents(`prefix watch from m${i + 1}`, w.events, history);
      }
      for (const [i, w] of narrowWatches.entries()) {
        expect({ watcher: i, fatal: w.fatal }).toEqual({ watcher: i, fatal: null });
        expectSameEvents(`range watch from m${i + 1}`, w.events, narrowHistory);
      }
      for (const [i, w] of npmWatches.entries()) {
        expect({ watcher: i, errors: w.errors }).toEqual({ watcher: i, errors: [] });
        expectSameEvents(`etcd3 watch on m${i + 1}`, w.events, history);
      }
      // The faults did reach the watchers: some streams were broken and reopened.
      expect(prefixWatches.reduce((sum, w) => sum + w.streams, 0)).toBeGreaterThan(prefixWatches.length);
      expect(npmWatches.reduce((sum, w) => sum + w.reconnections, 0)).toBeGreaterThan(0);
    } finally {
      for (const w of npmWatches) await w.stop();
      for (const w of [...prefixWatches, ...narrowWatches]) w.stop();
      await Promise.all(etcdctlWatches.map((w) => w.stop()));
    }
  }, 600_000);
});
