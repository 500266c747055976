/**
 * Joint consensus (thesis §4.3; Raft paper §6): a change of more than one voter first
 * enters the joint configuration C_old,new, in which every decision (commitment and
 * election) needs a majority of the old voters and a majority of the new ones; once the
 * joint entry is applied the leader proposes the entry that leaves it, C_new, by itself.
 */
import type { AppliedConfChange, Message } from '../../../raft/core/types.js';
import { Cluster, renderConfState } from './cluster.js';
import { conf, confChange, heartbeats, linesOfType } from './fixtures.js';

function rendered(changes: readonly AppliedConfChange[]): string[] {
  return changes.map((change) => `${change.index}: ${renderConfState(change.confState)}`);
}

/** Tick everyone until one of `candidates` leads (at most 100 ticks); returns it. */
function electAmong(c: Cluster, candidates: readonly number[]): number {
  const leading = (): number => candidates.find((id) => c.status(id).role === 'leader') ?? 0;
  for (let i = 0; i < 100 && leading() === 0; i++) {
    c.tickAll();
    c.stabilize();
  }
  expect(leading()).not.toBe(0);
  return leading();
}

/** Leader 1 of [1, 2, 3], with nodes 4 and 5 started (not yet members). */
function fiveNodes(): Cluster {
  const c = new Cluster([1, 2, 3]);
  c.campaign(1);
  c.addMember(4);
  c.addMember(5);
  return c;
}

describe('entering and leaving a joint configuration (thesis §4.3)', () => {
  test('adding two voters enters C_old,new, and the leader leaves it for C_new by itself', () => {
    const c = fiveNodes();
    c.takeTranscript();
    c.proposeConfChange(1, confChange('v4 v5'));
    c.stabilize();
    heartbeats(c, 1, 3);
    const entries = linesOfType(c.takeTranscript(), 'MsgApp').filter((line) => line.startsWith('1->2') && line.includes('Entries:'));
    expect(entries).toEqual([
      '1->2 MsgApp Term:1 Log:1/1 Commit:1 Entries:[1/2 conf(v4 v5)]',
      '1->2 MsgApp Term:1 Log:1/2 Commit:2 Entries:[1/3 conf(leave)]',
    ]);
    for (const id of [1, 2, 3, 4, 5]) {
      expect(rendered(c.node(id).confChanges)).toEqual(['2: voters:(1 2 3 4 5)&&(1 2 3)', '3: voters:(1 2 3 4 5)']);
      expect(c.config(id)).toEqual(conf([1, 2, 3, 4, 5]));
    }
    c.propose(1, 'x');
    c.stabilize();
    for (const id of [1, 2, 3, 4, 5]) expect(c.appliedData(id)).toEqual(['x']);
  });

  test('replacing a voter (remove 3, add 4) goes through C_old,new and ends with 3 out', () => {
    const c = fiveNodes();
    c.proposeConfChange(1, confChange('r3 v4'));
    c.stabilize();
    heartbeats(c, 1, 3);
    expect(rendered(c.node(2).confChanges)).toEqual(['2: voters:(1 2 4)&&(1 2 3)', '3: voters:(1 2 4)']);
    for (const id of [1, 2, 4]) expect(c.config(id)).toEqual(conf([1, 2, 4]));
    expect(c.status(1).progress!.has(3)).toBe(false);
  });

  test('a voter demoted in a joint change votes in the outgoing half, then becomes a learner', () => {
    const c = fiveNodes();
    c.proposeConfChange(1, confChange('l3 v4 v5'));
    c.stabilize();
    heartbeats(c, 1, 3);
    expect(rendered(c.node(3).confChanges)).toEqual([
      '2: voters:(1 2 4 5)&&(1 2 3) learnersNext:(3)',
      '3: voters:(1 2 4 5) learners:(3)',
    ]);
    for (const id of [1, 2, 3, 4, 5]) expect(c.config(id)).toEqual(conf([1, 2, 4, 5], [3]));
    c.propose(1, 'x');
    c.stabilize();
    expect(c.appliedData(3)).toEqual(['x']); // still replicated to, as a learner
  });

  test('status().voters lists the voters of both halves while joint', () => {
    const c = fiveNodes();
    // Hold the cluster in C_old,new: acknowledgements of the leave entry from 2 and 3 are lost.
    c.dropIf = (m) => m.type === 'MsgAppResp' && (m.from === 2 || m.from === 3) && m.index >= 3;
    c.proposeConfChange(1, confChange('r2 r3 v4 v5'));
    c.stabilize();
    expect(c.config(1)).toEqual(conf([1, 4, 5], [], [1, 2, 3]));
    expect(c.status(1).voters).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('in C_old,new decisions need both majorities (thesis §4.3)', () => {
  /**
   * Voters [1, 2, 3] move to [1, 4, 5]. Acknowledgements from `silenced` of entries after
   * the joint one (index 2) are lost, so the leader enters C_old,new but the entry that
   * leaves it (3) can only commit with the help of the others.
   */
  function heldInJoint(silenced: readonly number[]): Cluster {
    const c = fiveNodes();
    c.dropIf = (m: Message) => m.type === 'MsgAppResp' && silenced.includes(m.from) && m.index >= 3;
    c.proposeConfChange(1, confChange('r2 r3 v4 v5'));
    c.stabilize();
    heartbeats(c, 1, 3);
    expect(c.config(1)).toEqual(conf([1, 4, 5], [], [1, 2, 3]));
    return c;
  }

  test('a majority of the new voters alone does not commit', () => {
    const c = heldInJoint([2, 3]);
    expect(c.status(1).lastIndex).toBe(3); // the leave entry, held by 1, 4 and 5: all of C_new
    expect(c.status(1).progress!.get(4)).toMatchObject({ match: 3 });
    expect(c.status(1).commit).toBe(2);
    c.heal();
    heartbeats(c, 1, 2);
    expect(c.status(1).commit).toBe(3);
    for (const id of [1, 4, 5]) expect(c.config(id)).toEqual(conf([1, 4, 5]));
  });

  test('a majority of the old voters alone does not commit', () => {
    const c = heldInJoint([4, 5]);
    expect(c.status(1).progress!.get(2)).toMatchObject({ match: 3 });
    expect(c.status(1).commit).toBe(2);
    c.heal();
    heartbeats(c, 1, 2);
    expect(c.status(1).commit).toBe(3);
    for (const id of [1, 4, 5]) expect(c.config(id)).toEqual(conf([1, 4, 5]));
  });

  test('a ReadIndex round needs a majority of each half (thesis §6.4)', () => {
    const c = heldInJoint([2, 3]);
    c.dropIf = (m: Message) => m.type === 'MsgHeartbeatResp' && (m.from === 2 || m.from === 3);
    c.node(1).raw.readIndex('r');
    c.stabilize();
    expect(c.node(1).readStates).toEqual([]); // confirmed by 4 and 5 (all of C_new), none of C_old
    c.heal();
    heartbeats(c, 1, 2);
    expect(c.node(1).readStates.map((rs) => rs.context)).toEqual(['r']);
  });

  test('check-quorum needs a majority of each half: a leader that hears only the new voters steps down (§6.2)', () => {
    const c = heldInJoint([2, 3]);
    c.cut(1, 2);
    c.cut(1, 3);
    heartbeats(c, 1, 20);
    expect(c.status(1).role).toBe('follower');
  });

  test('an election needs a majority of each half; with both, the new leader finishes the change', () => {
    const c = fiveNodes();
    // Everyone applies C_old,new (2), but the leave entry (3) never reaches 2 and 3, so it
    // cannot commit: the cluster stays joint.
    c.dropIf = (m: Message) => m.type === 'MsgApp' && (m.to === 2 || m.to === 3) && m.entries.some((e) => e.index === 3);
    c.proposeConfChange(1, confChange('r2 r3 v4 v5'));
    c.stabilize();
    heartbeats(c, 1, 2);
    for (const id of [1, 2, 3, 4, 5]) expect(c.config(id)).toEqual(conf([1, 4, 5], [], [1, 2, 3]));
    c.heal();

    // The leader goes away; the old voters and the new ones cannot talk to each other.
    c.isolate(1);
    for (const a of [2, 3]) for (const b of [4, 5]) c.cut(a, b);
    c.takeTranscript();
    for (let i = 0; i < 100; i++) {
      c.tickAll();
      c.stabilize();
    }
    // Each side campaigns and gets its partner's (pre-)vote, but {2, 3} is a majority of
    // C_old only and {4, 5} of C_new only: nobody wins.
    const granted = c.takeTranscript().filter((line) => /^\d->\d Msg(Pre)?VoteResp /.test(line) && !line.includes('Rejected'));
    expect(granted.some((line) => line.startsWith('2->3') || line.startsWith('3->2'))).toBe(true);
    expect(granted.some((line) => line.startsWith('4->5') || line.startsWith('5->4'))).toBe(true);
    for (const id of [2, 3, 4, 5]) expect(c.status(id).role).not.toBe('leader');

    c.heal();
    c.isolate(1);
    const leader = electAmong(c, [2, 3, 4, 5]);
    // The new leader leaves the joint configuration; the cluster ends in C_new with one leader.
    heartbeats(c, leader, 3);
    c.reconnect(1);
    heartbeats(c, leader, 3);
    for (const id of [1, 4, 5]) expect(c.config(id)).toEqual(conf([1, 4, 5]));
    const final = c.leader();
    expect([1, 4, 5]).toContain(final);
    c.propose(final, 'x');
    c.stabilize();
    for (const id of [1, 4, 5]) expect(c.appliedData(id)).toEqual(['x']);
  });

  test('a new leader elected in C_old,new leaves it by itself, once it has applied an entry of its term', () => {
    const c = fiveNodes();
    c.proposeConfChange(1, confChange('l4 l5')); // 2: 4 and 5 learn the log first
    c.stabilize();
    heartbeats(c, 1, 2);
    // The leave entry (4) never leaves node 1; everyone else applies C_old,new (3).
    c.dropIf = (m: Message) => m.type === 'MsgApp' && m.entries.some((e) => e.index === 4);
    c.proposeConfChange(1, confChange('r2 r3 v4 v5'));
    c.stabilize();
    heartbeats(c, 1, 2);
    for (const id of [2, 3, 4, 5]) {
      expect(c.config(id)).toEqual(conf([1, 4, 5], [], [1, 2, 3]));
      expect(c.status(id).lastIndex).toBe(3);
    }
    c.heal();
    c.isolate(1);
    const leader = electAmong(c, [2, 3, 4, 5]);
    heartbeats(c, leader, 3);
    const last = c.node(leader).confChanges.at(-1)!;
    expect(renderConfState(last.confState)).toBe('voters:(1 4 5)');
    expect(last.index).toBe(5); // its own leave entry, after its no-op at 4
    for (const id of [4, 5]) expect(c.config(id)).toEqual(conf([1, 4, 5]));
  });
});
