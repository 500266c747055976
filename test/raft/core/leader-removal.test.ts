/**
 * Removing the leader (thesis §4.2.2): the leader manages the cluster until the
 * configuration without it is committed, then steps down. Rather than leave the cluster
 * to wait for an election timeout, it hands leadership over (thesis §3.10): MsgTimeoutNow
 * to the most up-to-date voter once that voter holds its whole log; if that cannot
 * happen within an election timeout it steps down anyway.
 *
 * And a removed member that never learns of its removal (thesis §4.2.3, disruptive
 * servers) times out and campaigns; pre-vote and check-quorum keep it from deposing the
 * leader or moving the cluster's term.
 */
import { ProposalDroppedError } from '../../../raft/core/errors.js';
import type { Message, NodeId } from '../../../raft/core/types.js';
import { Cluster } from './cluster.js';
import type { ClusterOptions } from './cluster.js';
import { conf, confChange, linesOfType, thrown } from './fixtures.js';

function tickAndSettle(c: Cluster, ids: readonly number[], ticks = 1): void {
  for (let i = 0; i < ticks; i++) {
    for (const id of ids) c.tick(id);
    c.stabilize();
  }
}

/** Ticks of every node until some node other than `old` leads; at most `limit`. */
function ticksUntilNewLeader(c: Cluster, old: NodeId, limit: number): number {
  for (let ticks = 0; ticks <= limit; ticks++) {
    if (c.ids.some((id) => id !== old && c.status(id).role === 'leader')) return ticks;
    tickAndSettle(c, c.ids);
  }
  return Number.POSITIVE_INFINITY;
}

describe('removing the leader (thesis §4.2.2)', () => {
  test('the leader steps down once the change commits, and hands over at once: a new leader in fewer ticks than an election timeout', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.propose(1, 'a');
    c.stabilize();
    c.takeTranscript();
    c.proposeConfChange(1, confChange('r1'));
    c.stabilize();
    expect(c.status(1)).toMatchObject({ role: 'follower', term: 1 });
    expect(linesOfType(c.takeTranscript(), 'MsgTimeoutNow')).toHaveLength(1);
    expect(ticksUntilNewLeader(c, 1, 10)).toBeLessThan(10); // electionTicks
    const leader = c.leader();
    expect([2, 3]).toContain(leader);
    expect(c.status(leader).term).toBe(2);
    for (const id of [2, 3]) expect(c.config(id)).toEqual(conf([2, 3]));
    c.propose(leader, 'b');
    c.stabilize();
    for (const id of [2, 3]) expect(c.appliedData(id)).toEqual(['a', 'b']);
  });

  test('the leader hands over to the voter with the most of its log', () => {
    const c = new Cluster([1, 2, 3, 4, 5]);
    c.campaign(1);
    // 4 and 5 hear nothing from 1: the removal commits with 1, 2 and 3, and only 2 and 3 hold all of the log.
    c.cut(1, 4);
    c.cut(1, 5);
    c.propose(1, 'a');
    c.proposeConfChange(1, confChange('r1'));
    c.stabilize();
    const handOver = linesOfType(c.takeTranscript(), 'MsgTimeoutNow');
    expect(handOver).toHaveLength(1);
    expect(['1->2 MsgTimeoutNow Term:1', '1->3 MsgTimeoutNow Term:1']).toContain(handOver[0]);
    expect(ticksUntilNewLeader(c, 1, 10)).toBeLessThan(10);
    expect([2, 3]).toContain(c.leader());
    c.heal();
    tickAndSettle(c, [c.leader()], 3);
    for (const id of [2, 3, 4, 5]) {
      expect(c.config(id)).toEqual(conf([2, 3, 4, 5]));
      expect(c.appliedData(id)).toEqual(['a']);
    }
  });

  test('once it has stepped down, the removed leader stays quiet: no campaign, no disruption', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.proposeConfChange(1, confChange('r1'));
    c.stabilize();
    expect(c.config(1)).toEqual(conf([2, 3]));
    expect(ticksUntilNewLeader(c, 1, 10)).toBeLessThan(10);
    const leader = c.leader();
    c.isolate(1); // it stops hearing from anyone: a member would time out and campaign
    c.takeTranscript();
    tickAndSettle(c, c.ids, 100);
    expect(c.takeTranscript().filter((line) => /^(DROP )?1->/.test(line))).toEqual([]);
    expect(c.status(1).role).toBe('follower');
    expect(c.status(leader)).toMatchObject({ role: 'leader', term: 2 });
  });

  test('demoting the leader to a learner hands leadership over too; it then follows, and keeps receiving the log', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.proposeConfChange(1, confChange('l1'));
    c.stabilize();
    expect(ticksUntilNewLeader(c, 1, 10)).toBeLessThan(10);
    const leader = c.leader();
    expect([2, 3]).toContain(leader);
    for (const id of [1, 2, 3]) expect(c.config(id)).toEqual(conf([2, 3], [1]));
    c.propose(leader, 'x');
    c.stabilize();
    expect(c.appliedData(1)).toEqual(['x']);
    expect(c.status(1)).toMatchObject({ role: 'follower', leader });
  });

  test('in a two-voter cluster the remaining voter takes over at once', () => {
    const c = new Cluster([1, 2]);
    c.campaign(1);
    c.proposeConfChange(1, confChange('r1'));
    c.stabilize();
    expect(ticksUntilNewLeader(c, 1, 10)).toBe(0);
    expect(c.leader()).toBe(2);
    expect(c.config(2)).toEqual(conf([2]));
    c.propose(2, 'x');
    c.stabilize();
    expect(c.appliedData(2)).toEqual(['x']);
  });

  test('until the change commits the leader goes on leading', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.cut(1, 2);
    c.cut(1, 3);
    c.proposeConfChange(1, confChange('r1'));
    c.stabilize();
    expect(c.status(1)).toMatchObject({ role: 'leader', leadTransferee: 0 });
    expect(c.config(1)).toEqual(conf([1, 2, 3]));
    c.propose(1, 'x'); // it still takes proposals
    expect(c.status(1).lastIndex).toBe(3);
    c.heal();
    c.tick(1);
    c.stabilize();
    expect(c.status(1).role).toBe('follower');
    expect(ticksUntilNewLeader(c, 1, 10)).toBeLessThan(10);
    for (const id of [2, 3]) expect(c.appliedData(id)).toEqual(['x']);
  });

  test('a transferee that is behind is caught up first; meanwhile the leader refuses proposals', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    // The removal (2) reaches both followers; the entry after it (3) is lost on its way.
    c.proposeConfChange(1, confChange('r1'));
    c.deliverAll();
    c.propose(1, 'x');
    let lose = true;
    c.dropIf = (m: Message) => lose && m.type === 'MsgApp' && m.entries.some((e) => e.index === 3);
    c.stabilize();
    expect(c.config(1)).toEqual(conf([2, 3])); // applied on the leader, which is no longer a voter
    expect(c.status(1).role).toBe('leader');
    expect(c.status(1).lastIndex).toBe(3);
    const transferee = c.status(1).leadTransferee;
    expect([2, 3]).toContain(transferee);
    const error = thrown(() => c.propose(1, 'y'));
    expect(error).toBeInstanceOf(ProposalDroppedError);
    expect(error).toMatchObject({ reason: 'leadership-transfer' });

    lose = false;
    c.takeTranscript();
    expect(ticksUntilNewLeader(c, 1, 10)).toBeLessThan(10);
    const transcript = c.takeTranscript();
    const timeoutNow = transcript.findIndex((line) => line.includes('MsgTimeoutNow'));
    const caughtUp = transcript.findIndex((line) => line === `${transferee}->1 MsgAppResp Term:1 Log:0/3`);
    expect(caughtUp).toBeGreaterThanOrEqual(0);
    expect(timeoutNow).toBeGreaterThan(caughtUp);
    expect(c.leader()).toBe(transferee);
    expect(c.status(1).role).toBe('follower');
    c.stabilize();
    expect(c.appliedData(transferee)).toEqual(['x']); // nothing the old leader accepted is lost
  });

  test('if no voter can be caught up within an election timeout, the leader steps down anyway', () => {
    // Without check-quorum, nothing else would make this leader step down.
    const c = new Cluster([1, 2, 3], { checkQuorum: false });
    c.campaign(1);
    c.proposeConfChange(1, confChange('r1'));
    c.deliverAll();
    c.propose(1, 'x');
    c.dropIf = (m: Message) => m.type === 'MsgApp' && m.entries.some((e) => e.index === 3);
    c.stabilize();
    c.isolate(1);
    expect(c.status(1)).toMatchObject({ role: 'leader' });
    expect(c.config(1)).toEqual(conf([2, 3]));
    let ticks = 0;
    while (c.status(1).role === 'leader' && ticks < 100) {
      tickAndSettle(c, [1]);
      ticks++;
    }
    expect(ticks).toBeLessThanOrEqual(10); // electionTicks
    expect(c.status(1).role).toBe('follower');
    // 2 and 3 elect a leader between themselves, on their own timeouts.
    c.dropIf = null;
    expect(ticksUntilNewLeader(c, 1, 60)).toBeLessThan(60);
    expect([2, 3]).toContain(c.leader());
  });

  test('a leader that is only in the outgoing half leads through C_old,new and hands over when it leaves it', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.addMember(4);
    c.addMember(5);
    c.proposeConfChange(1, confChange('r1 v4 v5'));
    c.stabilize();
    expect(c.node(1).confChanges.map((change) => change.confState)).toEqual([
      { voters: [2, 3, 4, 5], learners: [], votersOutgoing: [1, 2, 3], learnersNext: [] },
      conf([2, 3, 4, 5]),
    ]);
    expect(ticksUntilNewLeader(c, 1, 10)).toBeLessThan(10);
    const leader = c.leader();
    expect([2, 3, 4, 5]).toContain(leader);
    tickAndSettle(c, [leader], 3);
    for (const id of [2, 3, 4, 5]) expect(c.config(id)).toEqual(conf([2, 3, 4, 5]));
    c.propose(leader, 'x');
    c.stabilize();
    for (const id of [2, 3, 4, 5]) expect(c.appliedData(id)).toEqual(['x']);
  });
});

describe('a removed member does not disrupt the cluster (thesis §4.2.3)', () => {
  /**
   * Voters [1, 2, 3] with leader 1; 3 is removed while it hears nothing of the removal's
   * commit, so it still believes itself a voter. With `keepLog` 3 holds the removal entry
   * itself (its log is as up to date as the others'); otherwise it is cut off before the
   * removal and the cluster commits more after it.
   */
  function removedUnaware(options: ClusterOptions, keepLog: boolean): Cluster {
    const c = new Cluster([1, 2, 3], options);
    c.campaign(1);
    if (keepLog) {
      // 3 gets the entry (2) but no commit index that covers it.
      c.dropIf = (m: Message) => m.to === 3 && (m.type === 'MsgApp' || m.type === 'MsgHeartbeat') && m.commit >= 2;
    } else {
      c.isolate(3);
    }
    c.proposeConfChange(1, confChange('r3'));
    c.stabilize();
    expect(c.config(1)).toEqual(conf([1, 2]));
    expect(c.config(3)).toEqual(conf([1, 2, 3]));
    if (!keepLog) {
      c.propose(1, 'a');
      c.stabilize();
    }
    c.heal();
    c.takeTranscript();
    return c;
  }

  function expectUndisturbed(c: Cluster, term: number): void {
    expect(c.status(1)).toMatchObject({ role: 'leader', term });
    expect(c.status(2)).toMatchObject({ role: 'follower', term, leader: 1 });
    c.propose(1, 'after');
    c.stabilize();
    expect(c.appliedData(2).at(-1)).toBe('after');
  }

  test('with pre-vote: it keeps asking for pre-votes, never wins one, and nobody’s term moves', () => {
    const c = removedUnaware({ preVote: true, checkQuorum: false }, false);
    tickAndSettle(c, c.ids, 200);
    const transcript = c.takeTranscript();
    expect(linesOfType(transcript, 'MsgPreVote').filter((line) => line.startsWith('3->')).length).toBeGreaterThan(2);
    expect(linesOfType(transcript, 'MsgVote')).toEqual([]);
    expect(linesOfType(transcript, 'MsgPreVoteResp').filter((line) => line.includes('->3') && !line.includes('Rejected'))).toEqual([]);
    expect(c.status(3).term).toBe(1); // pre-vote never raises a term
    expectUndisturbed(c, 1);
  });

  test('with check-quorum only: it campaigns forever, its term climbs, but the cluster’s term and leader do not change', () => {
    const c = removedUnaware({ preVote: false, checkQuorum: true }, true);
    expect(c.storedLog(3)).toEqual(c.storedLog(2)); // as up to date as anyone: only the lease protects the cluster
    tickAndSettle(c, c.ids, 200);
    const transcript = c.takeTranscript();
    expect(linesOfType(transcript, 'MsgVote').filter((line) => line.startsWith('3->')).length).toBeGreaterThan(5);
    expect(linesOfType(transcript, 'MsgVoteResp').filter((line) => line.includes('->3') && !line.includes('Rejected'))).toEqual([]);
    expect(c.status(3).term).toBeGreaterThan(5);
    expectUndisturbed(c, 1);
  });
});
