/**
 * InstallSnapshot (Raft paper §7, Figure 13; thesis §5.1, Figure 5.3): a follower whose
 * next entries the leader has compacted away receives the snapshot as chunks, in order
 * from offset 0, the last one marked `done` (the total size is never needed up front).
 * The follower acknowledges the bytes it holds; a lost chunk or acknowledgement is
 * resent from the last acknowledged offset, never from zero; a stalled transfer is
 * resent after `snapshotTimeoutTicks`, independently of heartbeats. Meanwhile the leader
 * keeps replicating to the others, and a newer snapshot does not restart the transfer.
 */
import type { Message, NodeId, Snapshot, SnapshotMessage, SnapshotMetadata } from '../../../raft/core/types.js';
import type { RawNode } from '../../../raft/core/raw-node.js';
import type { MemoryStorage } from '../../../raft/storage/memory-storage.js';
import { Cluster } from './cluster.js';
import type { ClusterOptions } from './cluster.js';
import { bytes, entry, newRawNode, render } from './fixtures.js';

// ---- The follower's side, driven by hand ----

const METADATA: SnapshotMetadata = {
  index: 10,
  term: 2,
  confState: { voters: [1, 2, 3], learners: [], votersOutgoing: [], learnersNext: [] },
};

function chunk(offset: number, text: string, done: boolean, overrides: Partial<SnapshotMessage> = {}): SnapshotMessage {
  return { type: 'MsgSnap', from: 1, to: 2, term: 2, snapshot: METADATA, offset, data: bytes(text), done, ...overrides };
}

/** Handle every Ready of a lone node as a driver must; returns the messages and the snapshots installed. */
function drain(raw: RawNode, storage: MemoryStorage): { messages: string[]; installed: Snapshot[] } {
  const messages: string[] = [];
  const installed: Snapshot[] = [];
  while (raw.hasReady()) {
    const rd = raw.ready();
    if (rd.snapshot !== null) {
      storage.applySnapshot(rd.snapshot);
      installed.push(rd.snapshot);
    }
    storage.append(rd.entries);
    if (rd.hardState !== null) storage.setHardState(rd.hardState);
    messages.push(...render(rd.messages));
    raw.advance();
  }
  return { messages, installed };
}

function snapResponses(messages: readonly string[]): string[] {
  return messages.filter((line) => line.split(' ')[1] === 'MsgSnapResp');
}

describe('InstallSnapshot, the follower’s side (§7)', () => {
  test('it acknowledges each chunk that starts at the bytes it holds, and rejects any other with the offset it needs', () => {
    const { raw, storage } = newRawNode(2);
    raw.step(chunk(0, 'abcd', false));
    expect(drain(raw, storage).messages).toEqual(['2->1 MsgSnapResp Term:2 Snapshot:10 Offset:4']);
    raw.step(chunk(8, 'ijkl', false)); // the chunk at 4 was lost
    expect(drain(raw, storage).messages).toEqual(['2->1 MsgSnapResp Term:2 Snapshot:10 Offset:4 Rejected']);
    raw.step(chunk(4, 'efgh', false));
    expect(drain(raw, storage).messages).toEqual(['2->1 MsgSnapResp Term:2 Snapshot:10 Offset:8']);
    raw.step(chunk(0, 'abcd', false)); // a duplicate (its acknowledgement was lost): resume at 8, not 4
    expect(drain(raw, storage).messages).toEqual(['2->1 MsgSnapResp Term:2 Snapshot:10 Offset:8 Rejected']);
    expect(storage.snapshotMetadata().index).toBe(0); // nothing installed before the last chunk
  });

  test('after the done chunk it installs the assembled snapshot, then answers MsgAppResp at the snapshot index', () => {
    const { raw, storage } = newRawNode(2);
    raw.step(chunk(0, 'abcd', false));
    raw.step(chunk(4, 'efgh', false));
    drain(raw, storage);
    raw.step(chunk(8, 'ij', true));
    const rd = raw.ready();
    expect(rd.snapshot).toEqual({ metadata: METADATA, data: bytes('abcdefghij') });
    storage.applySnapshot(rd.snapshot!);
    const messages = render(rd.messages);
    raw.advance();
    messages.push(...drain(raw, storage).messages);
    expect(messages).toContain('2->1 MsgAppResp Term:2 Log:0/10');
    expect(raw.status()).toMatchObject({ term: 2, leader: 1, commit: 10, applied: 10, lastIndex: 10, config: METADATA.confState });
    // The log continues after the snapshot.
    raw.step({ type: 'MsgApp', from: 1, to: 2, term: 2, logTerm: 2, index: 10, entries: [entry(2, 11, 'x')], commit: 11 });
    const next = drain(raw, storage);
    expect(next.messages).toEqual(['2->1 MsgAppResp Term:2 Log:0/11']);
    expect(raw.status()).toMatchObject({ commit: 11, applied: 11 });
  });

  test('a snapshot small enough for one chunk is installed from that chunk alone', () => {
    const { raw, storage } = newRawNode(2);
    raw.step(chunk(0, 'all', true));
    const { messages, installed } = drain(raw, storage);
    expect(installed).toEqual([{ metadata: METADATA, data: bytes('all') }]);
    expect(messages).toContain('2->1 MsgAppResp Term:2 Log:0/10');
  });

  test('a transfer resumes only with the same leader: a new leader’s chunk past 0 is rejected with offset 0', () => {
    const { raw, storage } = newRawNode(2);
    raw.step(chunk(0, 'abcd', false));
    drain(raw, storage);
    raw.step(chunk(4, 'efgh', false, { from: 3, term: 3 }));
    expect(snapResponses(drain(raw, storage).messages)).toEqual(['2->3 MsgSnapResp Term:3 Snapshot:10 Offset:0 Rejected']);
    raw.step(chunk(0, 'abcd', false, { from: 3, term: 3 }));
    expect(snapResponses(drain(raw, storage).messages)).toEqual(['2->3 MsgSnapResp Term:3 Snapshot:10 Offset:4']);
  });

  test('a transfer resumes only for the same snapshot: another snapshot’s chunk past 0 is rejected with offset 0', () => {
    const { raw, storage } = newRawNode(2);
    raw.step(chunk(0, 'abcd', false));
    drain(raw, storage);
    const newer = { ...METADATA, index: 12 };
    raw.step(chunk(4, 'efgh', false, { snapshot: newer }));
    expect(drain(raw, storage).messages).toEqual(['2->1 MsgSnapResp Term:2 Snapshot:12 Offset:0 Rejected']);
    // Same index, other term: another snapshot too.
    raw.step(chunk(0, 'abcd', false));
    drain(raw, storage);
    raw.step(chunk(4, 'efgh', false, { snapshot: { ...METADATA, term: 1 } }));
    expect(drain(raw, storage).messages).toEqual(['2->1 MsgSnapResp Term:2 Snapshot:10 Offset:0 Rejected']);
  });

  test('a follower whose commit index already covers the snapshot installs nothing and answers with its commit index', () => {
    const { raw, storage } = newRawNode(2);
    const log = Array.from({ length: 12 }, (_, i) => entry(i < 10 ? 1 : 2, i + 1, `e${i + 1}`));
    raw.step({ type: 'MsgApp', from: 1, to: 2, term: 2, logTerm: 0, index: 0, entries: log, commit: 12 });
    drain(raw, storage);
    raw.step(chunk(0, 'all', true));
    const { messages, installed } = drain(raw, storage);
    expect(installed).toEqual([]);
    expect(messages).toEqual(['2->1 MsgAppResp Term:2 Log:0/12']);
    expect(raw.status()).toMatchObject({ commit: 12, applied: 12, lastIndex: 12 });
    expect(storage.lastIndex()).toBe(12);
  });
});

// ---- The whole transfer, in a cluster ----

const SNAPSHOT_STATE = ['aaaa', 'bbbb', 'cccc']; // 14 bytes: 'aaaa\nbbbb\ncccc'

/**
 * Leader 1 of [1, 2, 3], chunks of 4 bytes. Node 3 is cut off while 'aaaa', 'bbbb' and
 * 'cccc' commit (indexes 2..4); the leader then snapshots at 4 and compacts its whole
 * log, so 3 can only catch up through the snapshot. Nothing has been sent to 3 since.
 */
function laggingFollower(options: ClusterOptions = {}): Cluster {
  const c = new Cluster([1, 2, 3], { snapshotChunkBytes: 4, snapshotTrailingEntries: 0, ...options });
  c.campaign(1);
  c.isolate(3);
  for (const data of SNAPSHOT_STATE) c.propose(1, data);
  c.stabilize();
  expect(c.takeSnapshot(1).snapshot.metadata.index).toBe(4);
  expect(c.node(1).storage.firstIndex()).toBe(5);
  c.heal();
  c.takeTranscript();
  return c;
}

/** One heartbeat from the leader, and everything that follows from it. */
function heartbeat(c: Cluster, leader: NodeId = 1): void {
  c.tick(leader);
  c.stabilize();
}

/** The snapshot lines of a transcript, without the `Term:1` noise. */
function snapLines(transcript: readonly string[]): string[] {
  return transcript
    .filter((line) => /^(DROP )?\d+->\d+ MsgSnap(Resp)? /.test(line))
    .map((line) => line.replace(' Term:1', ''));
}

function isSnapChunk(m: Message, offset: number): boolean {
  return m.type === 'MsgSnap' && m.offset === offset;
}

function isHeartbeatOf(m: Message, node: NodeId): boolean {
  return (m.type === 'MsgHeartbeat' || m.type === 'MsgHeartbeatResp') && (m.to === node || m.from === node);
}

/**
 * A drop filter for a transfer to node 3: the first message matching `lose` is lost, and
 * once the transfer has started every heartbeat to and from 3 is lost too, so that only
 * the snapshot's own timeout can move it on.
 */
function loseOnceWithoutHeartbeats(lose: (m: Message) => boolean): (m: Message) => boolean {
  let started = false;
  let lost = false;
  return (m) => {
    if (m.type === 'MsgSnap') started = true;
    if (started && isHeartbeatOf(m, 3)) return true;
    if (!lost && lose(m)) {
      lost = true;
      return true;
    }
    return false;
  };
}

/** Tick the leader once and deliver; returns the snapshot lines of what happened. */
function tickSnapLines(c: Cluster): string[] {
  heartbeat(c);
  return snapLines(c.takeTranscript());
}

function expectCaughtUp(c: Cluster, follower: NodeId): void {
  expect(c.appliedData(follower)).toEqual(c.appliedData(1));
  expect(c.status(follower).commit).toBe(c.status(1).commit);
  expect(c.status(1).progress!.get(follower)).toMatchObject({ match: c.status(1).lastIndex, pendingSnapshot: 0 });
  expect(c.status(1).progress!.get(follower)!.state).not.toBe('snapshot');
}

describe('InstallSnapshot, the whole transfer (§7)', () => {
  test('a lagging follower gets the snapshot in chunks from offset 0, at most maxInflightSnapshotChunks ahead of its acknowledgements', () => {
    const c = laggingFollower({ maxInflightSnapshotChunks: 2 });
    heartbeat(c);
    const snaps = snapLines(c.takeTranscript());
    const chunks = snaps.filter((line) => line.includes('MsgSnap '));
    expect(chunks).toEqual([
      '1->3 MsgSnap Snapshot:1/4 Offset:0 Bytes:4',
      '1->3 MsgSnap Snapshot:1/4 Offset:4 Bytes:4',
      '1->3 MsgSnap Snapshot:1/4 Offset:8 Bytes:4',
      '1->3 MsgSnap Snapshot:1/4 Offset:12 Bytes:2 Done',
    ]);
    const acks = snaps.filter((line) => line.includes('MsgSnapResp'));
    expect(acks.slice(0, 3)).toEqual([
      '3->1 MsgSnapResp Snapshot:4 Offset:4',
      '3->1 MsgSnapResp Snapshot:4 Offset:8',
      '3->1 MsgSnapResp Snapshot:4 Offset:12',
    ]);
    expect(acks.filter((line) => line.includes('Rejected'))).toEqual([]);
    // The window: the chunk at 8 goes out only after the chunk at 0 is acknowledged, the one at 12 after the one at 4.
    expect(snaps.indexOf('1->3 MsgSnap Snapshot:1/4 Offset:8 Bytes:4')).toBeGreaterThan(snaps.indexOf('3->1 MsgSnapResp Snapshot:4 Offset:4'));
    expect(snaps.indexOf('1->3 MsgSnap Snapshot:1/4 Offset:12 Bytes:2 Done')).toBeGreaterThan(
      snaps.indexOf('3->1 MsgSnapResp Snapshot:4 Offset:8'),
    );

    expect(c.node(3).installedSnapshots).toEqual([c.node(1).storage.snapshotMetadata()]);
    expect(c.status(3)).toMatchObject({ commit: 4, applied: 4, lastIndex: 4 });
    expectCaughtUp(c, 3);

    // Replication carries on from the snapshot through the log.
    c.propose(1, 'dddd');
    c.stabilize();
    expect(c.storedLog(3)).toEqual(['1/5']);
    expect(c.appliedData(3)).toEqual([...SNAPSHOT_STATE, 'dddd']);
  });

  test('while the transfer is under way the follower is in snapshot state on the leader, with the bytes it acknowledged', () => {
    const c = laggingFollower({ maxInflightSnapshotChunks: 1 });
    c.dropIf = (m) => m.type === 'MsgSnap' && m.offset >= 8; // the transfer stalls after 8 bytes
    heartbeat(c);
    expect(c.status(1).progress!.get(3)).toMatchObject({ state: 'snapshot', pendingSnapshot: 4, snapshotAckedBytes: 8 });
    expect(c.node(3).installedSnapshots).toEqual([]);
  });

  test('a lost chunk is resent from the last acknowledged offset, not from zero', () => {
    const c = laggingFollower({ maxInflightSnapshotChunks: 2 });
    c.dropIf = loseOnceWithoutHeartbeats((m) => isSnapChunk(m, 4));
    heartbeat(c); // the heartbeat reaches 3; what follows happens without any further tick
    const snaps = snapLines(c.takeTranscript());
    expect(chunksOf(snaps)).toEqual([
      'Offset:0 Bytes:4',
      'Offset:4 Bytes:4', // dropped
      'Offset:8 Bytes:4', // rejected: 3 holds 4 bytes
      'Offset:4 Bytes:4',
      'Offset:8 Bytes:4',
      'Offset:12 Bytes:2 Done',
    ]);
    expect(snaps).toContain('DROP 1->3 MsgSnap Snapshot:1/4 Offset:4 Bytes:4');
    expect(snaps).toContain('3->1 MsgSnapResp Snapshot:4 Offset:4 Rejected');
    expect(c.node(3).installedSnapshots.map((m) => m.index)).toEqual([4]);
    expectCaughtUp(c, 3);
  });

  test('a stalled transfer is resent from the acknowledged offset after snapshotTimeoutTicks, with no heartbeat involved', () => {
    const c = laggingFollower({ maxInflightSnapshotChunks: 1, snapshotTimeoutTicks: 3 });
    c.dropIf = loseOnceWithoutHeartbeats((m) => isSnapChunk(m, 4));
    expect(tickSnapLines(c)).toEqual([
      '1->3 MsgSnap Snapshot:1/4 Offset:0 Bytes:4',
      '3->1 MsgSnapResp Snapshot:4 Offset:4',
      'DROP 1->3 MsgSnap Snapshot:1/4 Offset:4 Bytes:4',
    ]);
    // Nothing is acknowledged any more; nothing is resent before the timeout...
    expect(tickSnapLines(c)).toEqual([]);
    expect(tickSnapLines(c)).toEqual([]);
    // ...and at the timeout (3 ticks after the last acknowledgement, well before an
    // election timeout) the transfer resumes at 4 and runs to the end.
    const resumed = tickSnapLines(c);
    expect(chunksOf(resumed)).toEqual(['Offset:4 Bytes:4', 'Offset:8 Bytes:4', 'Offset:12 Bytes:2 Done']);
    expect(resumed.filter((line) => line.includes('Rejected'))).toEqual([]);
    expect(c.node(3).installedSnapshots.map((m) => m.index)).toEqual([4]);
    expectCaughtUp(c, 3);
  });

  test('a resent chunk that is lost too is resent again after another timeout', () => {
    const c = laggingFollower({ maxInflightSnapshotChunks: 1, snapshotTimeoutTicks: 3 });
    let losses = 0;
    const quiet = loseOnceWithoutHeartbeats(() => false);
    c.dropIf = (m) => {
      if (isSnapChunk(m, 4) && losses < 2) {
        losses++;
        return true;
      }
      return quiet(m);
    };
    expect(chunksOf(tickSnapLines(c))).toEqual(['Offset:0 Bytes:4', 'Offset:4 Bytes:4']);
    const after = [1, 2, 3, 4, 5, 6].map(() => chunksOf(tickSnapLines(c)));
    expect(after).toEqual([[], [], ['Offset:4 Bytes:4'], [], [], ['Offset:4 Bytes:4', 'Offset:8 Bytes:4', 'Offset:12 Bytes:2 Done']]);
    expectCaughtUp(c, 3);
  });

  test('a lost acknowledgement: the resent chunk is refused with the offset the follower holds, and the transfer goes on from there', () => {
    const c = laggingFollower({ maxInflightSnapshotChunks: 1, snapshotTimeoutTicks: 3 });
    c.dropIf = loseOnceWithoutHeartbeats((m) => m.type === 'MsgSnapResp' && m.offset === 8);
    expect(tickSnapLines(c)).toEqual([
      '1->3 MsgSnap Snapshot:1/4 Offset:0 Bytes:4',
      '3->1 MsgSnapResp Snapshot:4 Offset:4',
      '1->3 MsgSnap Snapshot:1/4 Offset:4 Bytes:4',
      'DROP 3->1 MsgSnapResp Snapshot:4 Offset:8',
    ]);
    expect(tickSnapLines(c)).toEqual([]);
    expect(tickSnapLines(c)).toEqual([]);
    const resumed = tickSnapLines(c);
    expect(resumed.slice(0, 3)).toEqual([
      '1->3 MsgSnap Snapshot:1/4 Offset:4 Bytes:4', // the leader knows of 4 bytes only
      '3->1 MsgSnapResp Snapshot:4 Offset:8 Rejected', // the follower has 8
      '1->3 MsgSnap Snapshot:1/4 Offset:8 Bytes:4',
    ]);
    expect(chunksOf(resumed)).toEqual(['Offset:4 Bytes:4', 'Offset:8 Bytes:4', 'Offset:12 Bytes:2 Done']);
    expectCaughtUp(c, 3);
  });

  test('the follower’s answer after installing is lost: the leader recovers without installing the snapshot a second time', () => {
    const c = laggingFollower({ maxInflightSnapshotChunks: 2, snapshotTimeoutTicks: 3 });
    let lost = false;
    c.dropIf = (m) => {
      if (!lost && m.type === 'MsgAppResp' && m.from === 3 && m.index === 4 && !m.reject) {
        lost = true;
        return true;
      }
      return false;
    };
    heartbeat(c);
    expect(lost).toBe(true);
    expect(c.node(3).installedSnapshots.map((m) => m.index)).toEqual([4]);
    for (let i = 0; i < 6; i++) heartbeat(c);
    expect(c.node(3).installedSnapshots.map((m) => m.index)).toEqual([4]);
    expectCaughtUp(c, 3);
    c.propose(1, 'dddd');
    c.stabilize();
    expect(c.appliedData(3)).toEqual([...SNAPSHOT_STATE, 'dddd']);
  });

  test('the leader keeps committing with the other followers while a transfer is under way', () => {
    const c = laggingFollower({ maxInflightSnapshotChunks: 1, snapshotTimeoutTicks: 3 });
    let stalled = true;
    c.dropIf = (m) => stalled && m.type === 'MsgSnap' && m.offset >= 8;
    heartbeat(c);
    expect(c.status(1).progress!.get(3)).toMatchObject({ state: 'snapshot', pendingSnapshot: 4 });

    c.propose(1, 'dddd');
    c.propose(2, 'eeee'); // forwarded by a follower, as well
    c.stabilize();
    for (const id of [1, 2]) expect(c.appliedData(id)).toEqual([...SNAPSHOT_STATE, 'dddd', 'eeee']);
    expect(c.status(1).commit).toBe(6);
    expect(c.status(1).progress!.get(3)).toMatchObject({ state: 'snapshot', pendingSnapshot: 4 });
    expect(c.appliedData(3)).toEqual([]);

    stalled = false;
    for (let i = 0; i < 3; i++) heartbeat(c);
    expect(c.node(3).installedSnapshots.map((m) => m.index)).toEqual([4]);
    expect(c.storedLog(3)).toEqual(['1/5', '1/6']); // the rest came from the log
    expectCaughtUp(c, 3);
  });

  test('a snapshot taken during a transfer does not restart it; the follower gets the newer one only after installing the first', () => {
    const c = laggingFollower({ maxInflightSnapshotChunks: 1, snapshotTimeoutTicks: 3 });
    c.dropIf = loseOnceWithoutHeartbeats((m) => isSnapChunk(m, 4));
    heartbeat(c); // 3 holds 4 bytes of the snapshot at 4; the chunk at 4 is lost
    c.propose(1, 'dddd');
    c.propose(1, 'eeee');
    c.stabilize();
    expect(c.takeSnapshot(1).snapshot.metadata.index).toBe(6); // compacts everything up to 6
    c.propose(1, 'ffff');
    c.stabilize();
    c.takeTranscript();
    for (let i = 0; i < 3; i++) heartbeat(c); // snapshotTimeoutTicks
    for (let i = 0; i < 5; i++) heartbeat(c);
    const snaps = snapLines(c.takeTranscript());
    const chunks = snaps.filter((line) => line.includes('MsgSnap '));
    const doneFirst = chunks.indexOf('1->3 MsgSnap Snapshot:1/4 Offset:12 Bytes:2 Done');
    expect(chunks.slice(0, doneFirst + 1)).toEqual([
      '1->3 MsgSnap Snapshot:1/4 Offset:4 Bytes:4',
      '1->3 MsgSnap Snapshot:1/4 Offset:8 Bytes:4',
      '1->3 MsgSnap Snapshot:1/4 Offset:12 Bytes:2 Done',
    ]);
    // Then, and only then, the newer snapshot (its data is 'aaaa\nbbbb\ncccc\ndddd\neeee', 24 bytes), from 0.
    expect(chunks.slice(doneFirst + 1).map((line) => line.split(' Bytes')[0])).toEqual([
      '1->3 MsgSnap Snapshot:1/6 Offset:0',
      '1->3 MsgSnap Snapshot:1/6 Offset:4',
      '1->3 MsgSnap Snapshot:1/6 Offset:8',
      '1->3 MsgSnap Snapshot:1/6 Offset:12',
      '1->3 MsgSnap Snapshot:1/6 Offset:16',
      '1->3 MsgSnap Snapshot:1/6 Offset:20',
    ]);
    expect(c.node(3).installedSnapshots.map((m) => m.index)).toEqual([4, 6]);
    expect(c.appliedData(3)).toEqual([...SNAPSHOT_STATE, 'dddd', 'eeee', 'ffff']);
    expectCaughtUp(c, 3);
  });

  test('a follower restarted mid-transfer has lost its chunks: it refuses the next one with offset 0, and the transfer starts over at the next snapshot timeout', () => {
    const c = laggingFollower({ maxInflightSnapshotChunks: 1, snapshotTimeoutTicks: 3 });
    c.dropIf = loseOnceWithoutHeartbeats((m) => isSnapChunk(m, 4));
    heartbeat(c);
    expect(c.status(1).progress!.get(3)).toMatchObject({ state: 'snapshot', snapshotAckedBytes: 4 });
    c.restart(3);
    c.takeTranscript();
    // A refusal below the acknowledged offset could be a reordered old answer: the leader
    // believes it only once a whole snapshot timeout passes without progress.
    for (let i = 0; i < 6; i++) heartbeat(c);
    const snaps = snapLines(c.takeTranscript());
    expect(snaps.slice(0, 3)).toEqual([
      '1->3 MsgSnap Snapshot:1/4 Offset:4 Bytes:4',
      '3->1 MsgSnapResp Snapshot:4 Offset:0 Rejected',
      '1->3 MsgSnap Snapshot:1/4 Offset:0 Bytes:4',
    ]);
    expect(chunksOf(snaps)).toEqual(['Offset:4 Bytes:4', 'Offset:0 Bytes:4', 'Offset:4 Bytes:4', 'Offset:8 Bytes:4', 'Offset:12 Bytes:2 Done']);
    expect(c.node(3).installedSnapshots.map((m) => m.index)).toEqual([4]);
    expectCaughtUp(c, 3);
  });

  test('a snapshot spread over many chunks arrives intact (the follower’s state equals the leader’s)', () => {
    const data = Array.from({ length: 40 }, (_, i) => `value-${i}`);
    const c = new Cluster([1, 2, 3], { snapshotChunkBytes: 7, snapshotTrailingEntries: 0, maxInflightSnapshotChunks: 3 });
    c.campaign(1);
    c.isolate(3);
    for (const d of data) c.propose(1, d);
    c.stabilize();
    c.takeSnapshot(1);
    c.heal();
    heartbeat(c);
    expect(c.node(3).installedSnapshots).toHaveLength(1);
    expect(c.appliedData(3)).toEqual(data);
    expect(c.node(3).storage.snapshot()).toEqual(c.node(1).storage.snapshot());
    expectCaughtUp(c, 3);
  });
});

describe('InstallSnapshot: chunk boundaries (§7)', () => {
  // State sizes around the 4-byte chunk: empty, less than one chunk, exactly one, two, and a byte more.
  const cases: [string[], number, string[]][] = [
    [[], 0, ['Offset:0 Bytes:0 Done']],
    [['a'], 1, ['Offset:0 Bytes:1 Done']],
    [['abcd'], 4, ['Offset:0 Bytes:4 Done']],
    [['abc', 'efg'], 7, ['Offset:0 Bytes:4', 'Offset:4 Bytes:3 Done']],
    [['abc', 'efgh'], 8, ['Offset:0 Bytes:4', 'Offset:4 Bytes:4 Done']],
    [['abcd', 'efgh'], 9, ['Offset:0 Bytes:4', 'Offset:4 Bytes:4', 'Offset:8 Bytes:1 Done']],
  ];

  test.each(cases)('state %j (%i bytes) goes in chunks %j', (state, size, expected) => {
    const c = new Cluster([1, 2, 3], { snapshotChunkBytes: 4, snapshotTrailingEntries: 0 });
    c.campaign(1);
    c.isolate(3);
    for (const data of state) c.propose(1, data);
    c.propose(1, ''); // (an empty entry, so that even the empty state has something to compact)
    c.stabilize();
    expect(c.takeSnapshot(1).snapshot.data.byteLength).toBe(size);
    c.heal();
    c.takeTranscript();
    heartbeat(c);
    expect(chunksOf(snapLines(c.takeTranscript()))).toEqual(expected);
    expect(c.appliedData(3)).toEqual(state);
    expectCaughtUp(c, 3);
  });
});

describe('InstallSnapshot carries the configuration (§7, thesis §4.3)', () => {
  test('a follower that catches up through a snapshot taken in C_old,new restores the joint configuration, then leaves it', () => {
    const c = new Cluster([1, 2, 3], { snapshotTrailingEntries: 0, snapshotChunkBytes: 4 });
    c.campaign(1);
    c.addMember(4);
    c.addMember(5);
    c.isolate(3);
    // Hold everyone in C_old,new: the leave entry (3) reaches only 2, so it cannot commit.
    c.dropIf = (m: Message) => m.type === 'MsgApp' && m.to !== 2 && m.entries.some((e) => e.index === 3);
    c.proposeConfChange(1, { changes: [{ type: 'add-voter', node: 4 }, { type: 'add-voter', node: 5 }] });
    c.stabilize();
    expect(c.config(1).votersOutgoing).toEqual([1, 2, 3]);
    expect(c.status(1).commit).toBe(2);
    const plan = c.takeSnapshot(1);
    expect(plan.snapshot.metadata).toMatchObject({
      index: 2,
      confState: { voters: [1, 2, 3, 4, 5], learners: [], votersOutgoing: [1, 2, 3], learnersNext: [] },
    });
    c.reconnect(3);
    heartbeat(c);
    expect(c.node(3).installedSnapshots.map((m) => m.index)).toEqual([2]);
    expect(c.config(3)).toEqual(plan.snapshot.metadata.confState);
    expect(c.status(3).voters).toEqual([1, 2, 3, 4, 5]);

    c.heal();
    for (let i = 0; i < 3; i++) heartbeat(c);
    for (const id of [1, 2, 3, 4, 5]) {
      expect(c.config(id)).toEqual({ voters: [1, 2, 3, 4, 5], learners: [], votersOutgoing: [], learnersNext: [] });
    }
  });

  test('removing a follower in the middle of its transfer ends the transfer and closes the reader', () => {
    const c = laggingFollower({ maxInflightSnapshotChunks: 1 });
    let closed = 0;
    const storage = c.node(1).storage;
    const open = storage.openSnapshot.bind(storage);
    storage.openSnapshot = () => {
      const reader = open();
      return { ...reader, read: reader.read.bind(reader), close: () => closed++ };
    };
    c.dropIf = (m) => m.type === 'MsgSnap' && m.offset >= 4;
    heartbeat(c);
    expect(c.status(1).progress!.get(3)!.state).toBe('snapshot');
    c.proposeConfChange(1, { changes: [{ type: 'remove', node: 3 }] });
    c.stabilize();
    expect(c.status(1).progress!.has(3)).toBe(false);
    expect(closed).toBe(1);
    c.takeTranscript();
    for (let i = 0; i < 50; i++) heartbeat(c);
    expect(snapLines(c.takeTranscript())).toEqual([]);
  });
});

describe('InstallSnapshot: what the leader does with the snapshot storage and with unreachable followers (§7)', () => {
  /** Count the readers `id`'s storage opens, and those closed. */
  function watchReaders(c: Cluster, id: NodeId): { opened: number[]; closed: number[] } {
    const storage = c.node(id).storage;
    const open = storage.openSnapshot.bind(storage);
    const seen = { opened: [] as number[], closed: [] as number[] };
    storage.openSnapshot = () => {
      const reader = open();
      seen.opened.push(reader.metadata.index);
      return {
        metadata: reader.metadata,
        read: (offset, maxBytes) => reader.read(offset, maxBytes),
        close: () => {
          seen.closed.push(reader.metadata.index);
          reader.close();
        },
      };
    };
    return seen;
  }

  test('the leader opens the snapshot once per transfer and closes the reader when the transfer ends', () => {
    const c = laggingFollower({ maxInflightSnapshotChunks: 1, snapshotTimeoutTicks: 3 });
    const readers = watchReaders(c, 1);
    c.dropIf = loseOnceWithoutHeartbeats((m) => isSnapChunk(m, 4));
    heartbeat(c);
    c.propose(1, 'dddd');
    c.stabilize();
    c.takeSnapshot(1); // a newer snapshot (at 5) mid-transfer: no new reader for this transfer
    expect(readers).toEqual({ opened: [4], closed: [] });
    for (let i = 0; i < 3; i++) heartbeat(c);
    expect(c.node(3).installedSnapshots.map((m) => m.index)).toEqual([4, 5]);
    expect(readers).toEqual({ opened: [4, 5], closed: [4, 5] });
  });

  test('a leader that steps down mid-transfer closes its reader', () => {
    const c = laggingFollower({ maxInflightSnapshotChunks: 1 });
    const readers = watchReaders(c, 1);
    c.dropIf = (m) => m.type === 'MsgSnap' && m.offset >= 4;
    heartbeat(c);
    expect(readers.opened).toEqual([4]);
    c.node(1).raw.transferLeadership(2);
    c.stabilize();
    expect(c.leader()).toBe(2);
    expect(readers.closed).toEqual([4]);
  });

  test('no snapshot is sent to a follower the leader has not heard from lately; it is sent once the follower answers', () => {
    const c = new Cluster([1, 2, 3], { snapshotChunkBytes: 4, snapshotTrailingEntries: 0 });
    c.campaign(1);
    c.isolate(3);
    for (let i = 0; i < 12; i++) heartbeat(c); // a check-quorum period passes without a word from 3
    expect(c.status(1).progress!.get(3)!.recentActive).toBe(false);
    for (const data of SNAPSHOT_STATE) c.propose(1, data);
    c.stabilize();
    c.takeSnapshot(1);
    c.takeTranscript();
    for (let i = 0; i < 5; i++) heartbeat(c);
    expect(snapLines(c.takeTranscript())).toEqual([]); // not even attempted (and dropped)
    expect(c.status(1).progress!.get(3)!.state).not.toBe('snapshot');

    c.heal();
    heartbeat(c);
    expect(c.node(3).installedSnapshots.map((m) => m.index)).toEqual([4]);
    expectCaughtUp(c, 3);
  });

  test('a follower restarted after installing a snapshot restores from it', () => {
    const c = laggingFollower();
    heartbeat(c);
    c.propose(1, 'dddd');
    c.stabilize();
    c.restart(3);
    expect(c.status(3)).toMatchObject({ applied: 4, commit: 5, lastIndex: 5 });
    c.stabilize();
    expect(c.appliedData(3)).toEqual([...SNAPSHOT_STATE, 'dddd']);
  });
});

/** The offsets, sizes and done marks of the chunks among snapshot lines. */
function chunksOf(lines: readonly string[]): string[] {
  return lines.filter((line) => / MsgSnap /.test(line)).map((line) => line.split(/ Snapshot:\d+\/\d+ /)[1]!);
}
