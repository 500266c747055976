/**
 * RaftNode's write path: persist before send (Ready's ordering rule), group commit, and
 * snapshots taken by applied-entry thresholds that a restarted node restores from.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LevelStorage } from '../../../raft/storage/level-storage.js';
import { MemoryStorage } from '../../../raft/storage/memory-storage.js';
import type { Entry, HardState, Message } from '../../../raft/core/types.js';
import { NodeCluster, waitUntil, write } from './node-cluster.js';
import { decodeSnapshotData } from '../../../raft/node-envelope.js';
import type { WritableLogStorage } from '../../../raft/storage/log-storage.js';

let cluster: NodeCluster;
afterEach(async () => {
  await cluster.stop();
  expect(cluster.errors).toEqual([]);
});

/** A MemoryStorage whose writes take a while and that records what is durable. */
class SlowStorage extends MemoryStorage {
  saves = 0;
  durableLastIndex = 0;
  durableTerm = 0;
  durableVote = 0;

  override save(entries: readonly Entry[], hardState: HardState | null): Promise<void> {
    super.save(entries, hardState);
    this.saves++;
    const lastIndex = this.lastIndex();
    return new Promise((resolve) =>
      setTimeout(() => {
        this.durableLastIndex = Math.max(this.durableLastIndex, lastIndex);
        if (hardState !== null) {
          this.durableTerm = hardState.term;
          this.durableVote = hardState.vote;
        }
        resolve();
      }, 3),
    );
  }
}

/** The application's part of the storage's latest snapshot. */
function readAll(storage: WritableLogStorage): Uint8Array {
  const reader = storage.openSnapshot();
  const chunks: Uint8Array[] = [];
  for (let offset = 0, done = false; !done; ) {
    const chunk = reader.read(offset, 1 << 20);
    chunks.push(chunk.data);
    offset += chunk.data.byteLength;
    done = chunk.done;
  }
  reader.close();
  return decodeSnapshotData(Buffer.concat(chunks)).appData;
}

/** A MemoryStorage whose writes can be held on disk until released. */
class HoldableStorage extends MemoryStorage {
  private held: (() => void)[] | null = null;
  hold(): void {
    this.held ??= [];
  }
  release(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const finish of held) finish();
  }
  override save(entries: readonly Entry[], hardState: HardState | null): Promise<void> {
    super.save(entries, hardState);
    if (this.held === null) return Promise.resolve();
    return new Promise((resolve) => this.held!.push(resolve));
  }
}

describe('RaftNode: persist before send', () => {
  test('no vote, acknowledgement or commit index leaves a node before the entries and hard state it depends on are durable', async () => {
    const storages = new Map([1, 2, 3].map((id) => [id, new SlowStorage()]));
    cluster = new NodeCluster([1, 2, 3]);
    const violations: string[] = [];
    for (const [id, storage] of storages) cluster.storages.set(id, storage);
    cluster.wrapTransport = (id, transport) => {
      const storage = storages.get(id)!;
      const send = transport.send.bind(transport);
      transport.send = (messages: readonly Message[]) => {
        for (const m of messages) {
          // A pre-vote asks about a future term without taking it (thesis §9.6): nothing to persist.
          const preVote = m.type === 'MsgPreVote' || m.type === 'MsgPreVoteResp';
          if (!preVote && m.term > storage.durableTerm) violations.push(`${m.type} at term ${m.term} before term ${m.term} was durable`);
          if (m.type === 'MsgVoteResp' && !m.reject && storage.durableVote !== m.to) violations.push(`vote for ${m.to} not durable`);
          // A leader sends appends while it writes them itself (thesis §10.2.1), but never
          // calls committed what is not yet on its disk.
          if ((m.type === 'MsgApp' || m.type === 'MsgHeartbeat') && m.commit > storage.durableLastIndex) {
            violations.push(`${m.type} says committed up to ${m.commit} before it was durable`);
          }
          if (m.type === 'MsgAppResp' && !m.reject && m.index > storage.durableLastIndex) violations.push(`ack of ${m.index} before durable`);
        }
        send(messages);
      };
      return transport;
    };
    await cluster.start();
    const leader = await cluster.leader();
    await Promise.all(Array.from({ length: 50 }, (_, i) => leader.propose(write(`p${i}`, 'v'))));
    expect(storages.get(leader.id)!.durableLastIndex).toBeGreaterThanOrEqual(50);
    expect(violations).toEqual([]);
  });

  test('a leader sends its appends while its own write is under way, and answers only once that write is done', async () => {
    const storages = new Map([1, 2, 3].map((id) => [id, new HoldableStorage()]));
    cluster = new NodeCluster([1, 2, 3]);
    for (const [id, storage] of storages) cluster.storages.set(id, storage);
    await cluster.start();
    const leader = await cluster.leader();
    await leader.propose(write('warm', 'up'));
    const leaderStorage = storages.get(leader.id)!;
    leaderStorage.hold();
    const before = leaderStorage.lastIndex();
    let answered = false;
    const proposal = leader.propose(write('parallel', 'write')).then((result) => {
      answered = true;
      return result;
    });
    await waitUntil(() => leaderStorage.lastIndex() > before, 2000);
    const target = leaderStorage.lastIndex();
    // Both followers hold the entry (a majority has it durably) while the leader's own write is still held...
    const followers = cluster.followers(leader);
    await waitUntil(() => followers.every((f) => storages.get(f.id)!.lastIndex() >= target), 2000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    // ...but the leader answers nothing, and no follower applies it, before its own write is done.
    expect(answered).toBe(false);
    for (const f of followers) expect(cluster.machines.get(f.id)!.values.has('parallel')).toBe(false);
    leaderStorage.release();
    await expect(proposal).resolves.toMatchObject({ previous: null });
    await cluster.appliedEverywhere((await proposal).index);
  });

  test('proposals made while a write is on disk share the next write (group commit)', async () => {
    const storages = new Map([1, 2, 3].map((id) => [id, new SlowStorage()]));
    cluster = new NodeCluster([1, 2, 3]);
    for (const [id, storage] of storages) cluster.storages.set(id, storage);
    await cluster.start();
    const leader = await cluster.leader();
    const storage = storages.get(leader.id)!;
    const before = storage.saves;
    await Promise.all(Array.from({ length: 300 }, (_, i) => leader.propose(write(`g${i}`, 'v'))));
    const writes = storage.saves - before;
    // One write per proposal would be 300; batching makes it a handful per round trip.
    expect(writes).toBeLessThan(60);
  });
});

describe('RaftNode: snapshots', () => {
  test('a snapshot is taken every snapshotEveryEntries applied entries and the log is compacted behind it', async () => {
    cluster = await new NodeCluster([1, 2, 3], { snapshotEveryEntries: 20, raft: { snapshotTrailingEntries: 5 } }).start();
    const leader = await cluster.leader();
    for (let i = 0; i < 60; i++) await leader.propose(write(`s${i}`, `${i}`));
    const storage = cluster.storages.get(leader.id)!;
    expect(storage.snapshotMetadata().index).toBeGreaterThanOrEqual(40);
    expect(storage.firstIndex()).toBeGreaterThan(30);
  });

  test('a slow snapshot does not hold the node up: the leader goes on committing, and the snapshot, once ready, is of the state when it was started', async () => {
    cluster = await new NodeCluster([1, 2, 3], { snapshotEveryEntries: 10, raft: { snapshotTrailingEntries: 0 } }).start();
    const leader = await cluster.leader();
    const machine = cluster.machines.get(leader.id)!;
    let release!: () => void;
    machine.snapshotGate = new Promise((resolve) => (release = resolve));
    for (let i = 0; i < 10; i++) await leader.propose(write(`s${i}`, 'early'));
    await waitUntil(() => machine.snapshotsStarted === 1, 2000);
    const startedAt = machine.snapshotStartedAt;
    // Meanwhile: many more commits, and heartbeats (no election).
    const term = leader.status().term;
    for (let i = 0; i < 30; i++) await leader.propose(write(`s${i}`, 'late'));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(leader.status()).toMatchObject({ role: 'leader', term });
    const storage = cluster.storages.get(leader.id)!;
    expect(storage.snapshotMetadata().index).toBe(0);
    expect(machine.snapshotsStarted).toBe(1);
    // The next snapshot (due at once: many entries applied since) waits for good.
    machine.snapshotGate = new Promise(() => {});
    release();
    await waitUntil(() => storage.snapshotMetadata().index > 0, 2000);
    expect(storage.snapshotMetadata().index).toBe(startedAt);
    const values = new Map(JSON.parse(new TextDecoder().decode(readAll(storage))) as [string, string][]);
    expect(values.get('s0')).toBe('early');
    expect(storage.firstIndex()).toBe(startedAt + 1);
  });

  test('a restarted node restores its state machine from its latest snapshot and the log after it', async () => {
    cluster = await new NodeCluster([1, 2, 3], { snapshotEveryEntries: 10, raft: { snapshotTrailingEntries: 2 } }).start();
    const leader = await cluster.leader();
    let last = 0;
    for (let i = 0; i < 35; i++) last = (await leader.propose(write(`k${i % 7}`, `${i}`))).index;
    await cluster.appliedEverywhere(last);
    const follower = cluster.followers(leader)[0]!;
    const expected = new Map(cluster.machines.get(follower.id)!.values);
    await cluster.stopNode(follower.id);
    const restarted = await cluster.startNode(follower.id);
    const machine = cluster.machines.get(follower.id)!;
    expect(machine.restores).toBe(1);
    expect(cluster.storages.get(follower.id)!.snapshotMetadata().index).toBeGreaterThan(0);
    await cluster.appliedEverywhere(last);
    expect(machine.values).toEqual(expected);
    expect(restarted.status().appliedIndex).toBeGreaterThanOrEqual(last);
  });

  test('a follower that was down while the leader compacted catches up through a snapshot streamed in chunks', async () => {
    cluster = await new NodeCluster([1, 2, 3], {
      snapshotEveryEntries: 10,
      raft: { snapshotTrailingEntries: 0, snapshotChunkBytes: 64 },
    }).start();
    const leader = await cluster.leader();
    const follower = cluster.followers(leader)[0]!;
    await cluster.stopNode(follower.id);
    let last = 0;
    for (let i = 0; i < 40; i++) last = (await leader.propose(write(`c${i}`, 'x'.repeat(20)))).index;
    expect(cluster.storages.get(leader.id)!.firstIndex()).toBeGreaterThan(cluster.storages.get(follower.id)!.lastIndex() + 1);
    await cluster.startNode(follower.id);
    await cluster.appliedEverywhere(last);
    const machine = cluster.machines.get(follower.id)!;
    expect(machine.restores).toBeGreaterThanOrEqual(1);
    expect(machine.values).toEqual(cluster.machines.get(leader.id)!.values);
  });
});

describe('RaftNode on LevelStorage', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'balsa-node-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('every acknowledged write survives stopping and restarting the whole cluster', async () => {
    cluster = new NodeCluster([1, 2, 3], { snapshotEveryEntries: 25, raft: { snapshotTrailingEntries: 5 } });
    cluster.openStorage = (id) => LevelStorage.open({ dir: join(dir, `n${id}`) });
    await cluster.start();
    let leader = await cluster.leader();
    const acknowledged = await Promise.all(Array.from({ length: 60 }, (_, i) => leader.propose(write(`d${i}`, `${i}`))));
    const lastAcknowledged = Math.max(...acknowledged.map((r) => r.index));
    await cluster.appliedEverywhere(lastAcknowledged);
    // Snapshots are taken off the Ready loop: each member records its own before the stop.
    await waitUntil(() => [1, 2, 3].every((id) => cluster.storages.get(id)!.snapshotMetadata().index > 0), 5000);
    await cluster.stop();
    for (const id of [1, 2, 3]) await cluster.startNode(id);
    leader = await cluster.leader();
    const { index } = await leader.propose(write('after-restart', 'yes'));
    expect(index).toBeGreaterThan(lastAcknowledged);
    await cluster.appliedEverywhere(index);
    for (const machine of cluster.machines.values()) {
      for (let i = 0; i < 60; i++) expect(machine.values.get(`d${i}`)).toBe(`${i}`);
    }
    // Each had applied past 25 entries, so each restarted from a snapshot taken before the stop.
    expect([...cluster.machines.values()].every((machine) => machine.restores === 1)).toBe(true);
  });
});
