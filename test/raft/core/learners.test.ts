/**
 * Learners, the non-voting members of thesis §4.2.1 ("catching up new servers"): a new
 * server first joins without a vote, receives the log (or a snapshot) and heartbeats,
 * and is promoted once caught up. A learner never campaigns and never counts towards a
 * commit, an election, a ReadIndex confirmation (thesis §6.4) or check-quorum (§6.2).
 */
import { Cluster } from './cluster.js';
import { conf, confChange, heartbeats, linesOfType } from './fixtures.js';

function tickAndSettle(c: Cluster, ids: readonly number[], ticks: number): void {
  for (let i = 0; i < ticks; i++) {
    for (const id of ids) c.tick(id);
    c.stabilize();
  }
}

/** Leader 1 of voters [1, 2, 3] with learner 4, brought up to date. */
function withLearner(options: ConstructorParameters<typeof Cluster>[1] = {}): Cluster {
  const c = new Cluster([1, 2, 3], options);
  c.campaign(1);
  c.addMember(4);
  c.proposeConfChange(1, confChange('l4'));
  c.stabilize();
  heartbeats(c, 1, 2);
  for (const id of [1, 2, 3, 4]) expect(c.config(id)).toEqual(conf([1, 2, 3], [4]));
  c.takeTranscript();
  return c;
}

describe('learners receive the log but do not vote (thesis §4.2.1)', () => {
  test('a learner receives and applies committed entries', () => {
    const c = withLearner();
    c.propose(1, 'x');
    c.stabilize();
    expect(c.appliedData(4)).toEqual(['x']);
    expect(c.status(4)).toMatchObject({ role: 'follower', leader: 1, commit: 3 });
    expect(c.status(1).progress!.get(4)).toMatchObject({ match: 3 });
  });

  test('a learner’s acknowledgement does not count towards a commit', () => {
    const c = withLearner();
    c.cut(1, 2);
    c.cut(1, 3);
    c.propose(1, 'x');
    c.stabilize();
    expect(c.status(1).progress!.get(4)).toMatchObject({ match: 3 });
    expect(c.status(1).commit).toBe(2); // leader + learner: not a majority of {1, 2, 3}
    c.heal();
    heartbeats(c, 1);
    expect(c.status(1).commit).toBe(3);
  });

  test('a learner never campaigns, on its timeout or when asked', () => {
    const c = withLearner();
    c.isolate(4);
    tickAndSettle(c, [4], 100);
    c.node(4).raw.campaign();
    c.stabilize();
    const transcript = c.takeTranscript();
    expect(transcript.filter((line) => /^(DROP )?4->/.test(line))).toEqual([]);
    expect(c.status(4)).toMatchObject({ role: 'follower', term: 1 });
  });

  test('candidates do not ask learners for votes, and a learner cannot make up a majority', () => {
    const c = withLearner();
    // 2 can reach only the learner: it campaigns, but {2, 4} is no majority of {1, 2, 3}.
    c.cut(2, 1);
    c.cut(2, 3);
    c.takeTranscript();
    tickAndSettle(c, [2], 60);
    const transcript = c.takeTranscript();
    expect(transcript.filter((line) => /Msg(Pre)?Vote /.test(line) && line.includes('->4 '))).toEqual([]);
    expect(linesOfType(transcript, 'MsgPreVote').length).toBeGreaterThan(0);
    expect(c.status(2).role).not.toBe('leader');
    expect(c.status(1)).toMatchObject({ role: 'leader', term: 1 });
  });

  test('a learner does not confirm a ReadIndex round', () => {
    const c = withLearner();
    c.cut(1, 2);
    c.cut(1, 3);
    c.node(1).raw.readIndex('r');
    c.stabilize();
    expect(c.node(1).readStates).toEqual([]); // only the learner answered the heartbeat
    c.heal();
    heartbeats(c, 1);
    expect(c.node(1).readStates).toEqual([{ index: 2, context: 'r' }]);
  });

  test('a leader that hears only from a learner fails check-quorum and steps down (§6.2)', () => {
    const c = withLearner();
    c.cut(1, 2);
    c.cut(1, 3);
    tickAndSettle(c, [1], 20);
    expect(c.status(1).role).toBe('follower');
  });

  test('a learner added after the log was compacted receives the snapshot, then the log', () => {
    const c = new Cluster([1, 2, 3], { snapshotTrailingEntries: 0, snapshotChunkBytes: 3 });
    c.campaign(1);
    for (const d of ['a', 'b', 'c']) c.propose(1, d);
    c.stabilize();
    c.takeSnapshot(1); // at 4
    c.addMember(4);
    c.proposeConfChange(1, confChange('l4')); // 5
    c.stabilize();
    heartbeats(c, 1, 3);
    expect(c.node(4).installedSnapshots.map((m) => m.index)).toEqual([4]);
    expect(linesOfType(c.takeTranscript(), 'MsgSnap').length).toBeGreaterThan(1); // 'a\nb\nc' in chunks of 3 bytes
    c.propose(1, 'd');
    c.stabilize();
    expect(c.appliedData(4)).toEqual(['a', 'b', 'c', 'd']);
    expect(c.config(4)).toEqual(conf([1, 2, 3], [4]));
  });
});

describe('promotion and demotion (thesis §4.2.1)', () => {
  test('adding as voter a caught-up learner promotes it: it then counts towards commits', () => {
    const c = withLearner();
    c.propose(1, 'x');
    c.stabilize();
    c.proposeConfChange(1, confChange('v4'));
    c.stabilize();
    for (const id of [1, 2, 3, 4]) expect(c.config(id)).toEqual(conf([1, 2, 3, 4]));
    // With 4 voting, the leader and 4 are not a majority of four, but with 2 they are.
    c.cut(1, 3);
    c.cut(1, 2);
    c.propose(1, 'y');
    c.stabilize();
    expect(c.status(1).commit).toBe(4);
    c.reconnect(1);
    c.cut(1, 3);
    heartbeats(c, 1);
    expect(c.status(1).commit).toBe(5); // 1, 2 and 4: a majority of {1, 2, 3, 4}
  });

  test('a promoted learner can be elected', () => {
    const c = withLearner();
    c.proposeConfChange(1, confChange('v4'));
    c.stabilize();
    c.node(1).raw.transferLeadership(4);
    c.stabilize();
    expect(c.leader()).toBe(4);
    expect(c.status(4).term).toBe(2);
  });

  test('a voter demoted to learner stops campaigning and stops counting', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.proposeConfChange(1, confChange('l3'));
    c.stabilize();
    for (const id of [1, 2, 3]) expect(c.config(id)).toEqual(conf([1, 2], [3]));
    c.cut(1, 2);
    c.propose(1, 'x');
    c.stabilize();
    expect(c.appliedData(3)).toEqual([]); // 1 and 3 do not commit: 3 no longer votes
    expect(c.status(1).commit).toBe(2);
    c.isolate(3);
    c.takeTranscript();
    tickAndSettle(c, [3], 60);
    expect(c.takeTranscript().filter((line) => /^(DROP )?3->/.test(line))).toEqual([]);
    expect(c.status(3)).toMatchObject({ role: 'follower', term: 1 });
  });
});
