/**
 * Snapshots and log compaction (Raft paper §7; thesis §5.1): the application snapshots
 * its state machine at an applied index, the core records the snapshot's metadata (last
 * included index and term, and the configuration as of that index, thesis §5.1 Figure
 * 5.1) and says how far the log may be compacted, keeping `snapshotTrailingEntries`
 * entries so that a follower a little behind catches up from the log (thesis §5.1.2).
 * A restarted node restores from its latest snapshot plus the log after it.
 */
import { InvalidArgumentError, SnapshotOutOfDateError } from '../../../raft/core/errors.js';
import { Cluster, decodeState } from './cluster.js';
import type { ClusterOptions } from './cluster.js';
import { conf, confChange, heartbeats, linesOfType, thrown } from './fixtures.js';

/** Leader 1 of [1, 2, 3] with `data` committed and applied everywhere (indexes 2, 3, ...). */
function clusterWith(data: readonly string[], options: ClusterOptions = {}): Cluster {
  const c = new Cluster([1, 2, 3], options);
  c.campaign(1);
  for (const d of data) c.propose(1, d);
  c.stabilize();
  return c;
}

describe('createSnapshot: the metadata the core records (§7, thesis §5.1)', () => {
  test('index, the term of the entry at that index (not the current term), and the configuration as of that index', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1); // 1: term 1 no-op
    c.addMember(4);
    c.propose(1, 'a'); // 2
    c.stabilize();
    c.proposeConfChange(1, confChange('l4')); // 3
    c.stabilize();
    c.propose(1, 'b'); // 4
    c.stabilize();
    c.node(1).raw.transferLeadership(2); // 5: term 2 no-op
    c.stabilize();
    c.propose(2, 'c'); // 6
    c.stabilize();
    expect(c.status(1)).toMatchObject({ term: 2, applied: 6 });

    const raw = c.node(1).raw;
    const at2 = raw.createSnapshot(2, new Uint8Array([2]));
    expect(at2.snapshot.metadata).toEqual({ index: 2, term: 1, confState: conf([1, 2, 3]) });
    expect(at2.snapshot.data).toEqual(new Uint8Array([2]));
    c.node(1).storage.saveSnapshot(at2.snapshot);

    // Index 4 follows the conf change at 3; it still has term 1 though the node is at term 2.
    const at4 = raw.createSnapshot(4, new Uint8Array([4]));
    expect(at4.snapshot.metadata).toEqual({ index: 4, term: 1, confState: conf([1, 2, 3], [4]) });
    c.node(1).storage.saveSnapshot(at4.snapshot);

    const at6 = raw.createSnapshot(6, new Uint8Array([6]));
    expect(at6.snapshot.metadata).toEqual({ index: 6, term: 2, confState: conf([1, 2, 3], [4]) });
  });

  test('a snapshot at an index before the latest conf change records the configuration in force there', () => {
    const c = clusterWith(['a']);
    c.addMember(4);
    c.proposeConfChange(1, confChange('l4')); // 3
    c.stabilize();
    heartbeats(c, 1, 2);
    c.proposeConfChange(1, confChange('v4')); // 4
    c.stabilize();
    expect(c.config(2)).toEqual(conf([1, 2, 3, 4]));
    expect(c.node(2).raw.createSnapshot(2, new Uint8Array(0)).snapshot.metadata.confState).toEqual(conf([1, 2, 3]));
    expect(c.node(2).raw.createSnapshot(3, new Uint8Array(0)).snapshot.metadata.confState).toEqual(conf([1, 2, 3], [4]));
    expect(c.node(2).raw.createSnapshot(4, new Uint8Array(0)).snapshot.metadata.confState).toEqual(conf([1, 2, 3, 4]));
  });

  test('compactIndex keeps snapshotTrailingEntries entries before the snapshot index, or is 0 when that reaches the first index', () => {
    const c = clusterWith(['a', 'b', 'c', 'd', 'e'], { snapshotTrailingEntries: 2 }); // indexes 1..6
    const raw = c.node(1).raw;
    expect(raw.createSnapshot(2, new Uint8Array(0)).compactIndex).toBe(0); // 2 - 2 = 0 < first index 1
    const at3 = c.takeSnapshot(1, 3);
    expect(at3.compactIndex).toBe(1);
    expect(c.storedLog(1)).toEqual(['1/2', '1/3', '1/4', '1/5', '1/6']);
    const at6 = c.takeSnapshot(1, 6);
    expect(at6.compactIndex).toBe(4);
    expect(c.storedLog(1)).toEqual(['1/5', '1/6']); // the two trailing entries
    expect(c.node(1).storage.snapshotMetadata().index).toBe(6);
  });

  test('with no trailing entries the log is compacted up to the snapshot index', () => {
    const c = clusterWith(['a', 'b'], { snapshotTrailingEntries: 0 });
    const plan = c.takeSnapshot(2);
    expect(plan.compactIndex).toBe(3);
    expect(c.storedLog(2)).toEqual([]);
    expect(decodeState(c.node(2).storage.snapshot().data)).toEqual(['a', 'b']);
    // The log carries on after the snapshot.
    c.propose(1, 'c');
    c.stabilize();
    expect(c.storedLog(2)).toEqual(['1/4']);
    expect(c.appliedData(2)).toEqual(['a', 'b', 'c']);
  });

  test('an index beyond the applied index is refused with InvalidArgumentError; nothing is recorded', () => {
    const c = clusterWith(['a']);
    const error = thrown(() => c.node(1).raw.createSnapshot(3, new Uint8Array(0)));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', retryable: false });
    // The node is unaffected: a valid snapshot is still possible.
    expect(c.takeSnapshot(1, 2).snapshot.metadata.index).toBe(2);
  });

  test('an index at or below the stored snapshot’s is refused with SnapshotOutOfDateError', () => {
    const c = clusterWith(['a', 'b', 'c']);
    c.takeSnapshot(1, 3);
    for (const index of [3, 2, 0]) {
      const error = thrown(() => c.node(1).raw.createSnapshot(index, new Uint8Array(0)));
      expect(error).toBeInstanceOf(SnapshotOutOfDateError);
      expect(error).toMatchObject({ code: 'SNAPSHOT_OUT_OF_DATE', retryable: false });
    }
    expect(c.takeSnapshot(1, 4).snapshot.metadata.index).toBe(4);
  });
});

describe('compaction keeps trailing entries for followers a little behind (thesis §5.1.2)', () => {
  /**
   * Follower 3 holds indexes 1..5 and misses 6 and 7; then the leader snapshots at 7
   * keeping `trailing` entries. Returns the transcript of 3 catching up.
   */
  function catchUpAfterCompaction(trailing: number): { c: Cluster; transcript: string[] } {
    const c = clusterWith(['a', 'b', 'c', 'd'], { snapshotTrailingEntries: trailing }); // 1..5
    c.isolate(3);
    c.propose(1, 'e');
    c.propose(1, 'f');
    c.stabilize();
    c.takeSnapshot(1, 7);
    c.heal();
    c.takeTranscript();
    heartbeats(c, 1, 3);
    return { c, transcript: c.takeTranscript() };
  }

  test('a follower whose next entry is still in the log catches up from the log, without a snapshot', () => {
    const { c, transcript } = catchUpAfterCompaction(3); // the leader keeps 5, 6, 7
    expect(c.storedLog(1)).toEqual(['1/5', '1/6', '1/7']);
    expect(linesOfType(transcript, 'MsgSnap')).toEqual([]);
    expect(linesOfType(transcript, 'MsgApp').filter((line) => line.startsWith('1->3') && line.includes('Entries:'))).toEqual([
      '1->3 MsgApp Term:1 Log:1/5 Commit:7 Entries:[1/6 e, 1/7 f]',
    ]);
    expect(c.node(3).installedSnapshots).toEqual([]);
    expect(c.appliedData(3)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
  });

  test('a follower whose next entry was compacted away gets the snapshot instead', () => {
    const { c, transcript } = catchUpAfterCompaction(1); // the leader keeps only 7
    expect(c.storedLog(1)).toEqual(['1/7']);
    expect(linesOfType(transcript, 'MsgSnap').length).toBeGreaterThan(0);
    expect(c.node(3).installedSnapshots.map((m) => m.index)).toEqual([7]);
    expect(c.appliedData(3)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(c.status(3)).toMatchObject({ commit: 7, applied: 7, lastIndex: 7 });
  });
});

describe('restart from the latest snapshot plus the log after it (§7)', () => {
  test('a restarted follower restores its snapshot and re-applies only the entries after it', () => {
    const c = clusterWith(['a', 'b', 'c'], { snapshotTrailingEntries: 0 }); // 1..4
    c.takeSnapshot(2); // at 4, log compacted to 4
    c.propose(1, 'd');
    c.propose(1, 'e');
    c.stabilize(); // 5, 6
    expect(c.storedLog(2)).toEqual(['1/5', '1/6']);

    c.restart(2);
    expect(c.status(2)).toMatchObject({ term: 1, commit: 6, applied: 4, lastIndex: 6 });
    const rd = c.node(2).raw.ready();
    expect(rd.snapshot).toBeNull(); // already installed: it is the stored one
    expect(rd.committedEntries.map((e) => `${e.term}/${e.index}`)).toEqual(['1/5', '1/6']);
    c.node(2).applied.push(...rd.committedEntries);
    c.node(2).raw.advance();
    expect(c.appliedData(2)).toEqual(['a', 'b', 'c', 'd', 'e']);

    c.propose(1, 'f');
    c.stabilize();
    expect(c.appliedData(2)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(c.status(2)).toMatchObject({ leader: 1, commit: 7, applied: 7 });
  });

  test('a whole cluster restarted from snapshots keeps its data and its configuration, compacted conf change included', () => {
    const c = new Cluster([1, 2, 3], { snapshotTrailingEntries: 0 });
    c.campaign(1);
    c.addMember(4);
    c.proposeConfChange(1, confChange('l4')); // 2
    c.stabilize();
    c.propose(1, 'a'); // 3
    c.stabilize();
    heartbeats(c, 1, 2);
    for (const id of c.ids) {
      expect(c.appliedData(id)).toEqual(['a']);
      c.takeSnapshot(id); // at 3: the conf change entry is compacted away everywhere
      expect(c.storedLog(id)).toEqual([]);
    }

    for (const id of c.ids) c.restart(id);
    for (const id of c.ids) {
      expect(c.config(id)).toEqual(conf([1, 2, 3], [4]));
      expect(c.status(id)).toMatchObject({ applied: 3, commit: 3, lastIndex: 3 });
    }
    for (let i = 0; i < 50 && c.leader() === 0; i++) {
      c.tickAll();
      c.stabilize();
    }
    const leader = c.leader();
    expect([1, 2, 3]).toContain(leader); // the learner does not campaign
    c.propose(leader, 'b');
    c.stabilize();
    heartbeats(c, leader, 2);
    for (const id of c.ids) expect(c.appliedData(id)).toEqual(['a', 'b']);
  });
});
