/**
 * Linearizable reads with ReadIndex (thesis §6.4): the leader records its commit index,
 * proves it is still the leader with a heartbeat round acknowledged by a quorum, and only
 * then hands out the read point; a leader that has not yet committed an entry of its own
 * term first waits until it has (its commit index may lag its predecessor's); followers
 * forward reads to the leader.
 */
import { ProposalDroppedError } from '../../../raft/core/errors.js';
import type { Message } from '../../../raft/core/types.js';
import { Cluster, renderMessage } from './cluster.js';
import { linesOfType } from './fixtures.js';

describe('ReadIndex on the leader (thesis §6.4)', () => {
  test('the read state appears only once a quorum has acknowledged the heartbeat round carrying the request', () => {
    const c = new Cluster([1, 2, 3, 4, 5]);
    c.campaign(1);
    c.node(1).raw.readIndex('r1');
    const heartbeats = c.takeOutgoing();
    expect(heartbeats.map(renderMessage)).toEqual([
      '1->2 MsgHeartbeat Term:1 Commit:1 Context:r1',
      '1->3 MsgHeartbeat Term:1 Commit:1 Context:r1',
      '1->4 MsgHeartbeat Term:1 Commit:1 Context:r1',
      '1->5 MsgHeartbeat Term:1 Commit:1 Context:r1',
    ]);
    const ackFrom = (m: Message): void => {
      c.deliver(m);
      for (const ack of c.takeOutgoing()) c.deliver(ack);
      c.takeOutgoing();
    };
    ackFrom(heartbeats[0]!);
    expect(c.node(1).readStates).toEqual([]); // the leader and 2: not a quorum of 5
    ackFrom(heartbeats[1]!);
    expect(c.node(1).readStates).toEqual([{ index: 1, context: 'r1' }]);
    ackFrom(heartbeats[2]!);
    expect(c.node(1).readStates).toHaveLength(1); // answered once
  });

  test('the read index is the leader’s commit index when the request arrived', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.propose(1, 'a');
    c.stabilize();
    c.node(1).raw.readIndex('r');
    c.stabilize();
    expect(c.node(1).readStates).toEqual([{ index: 2, context: 'r' }]);
  });

  test('a single-voter cluster answers at once, with no heartbeat round', () => {
    const c = new Cluster([1]);
    c.campaign(1);
    c.takeTranscript();
    c.node(1).raw.readIndex('r');
    c.stabilize();
    expect(c.takeTranscript()).toEqual([]);
    expect(c.node(1).readStates).toEqual([{ index: 1, context: 'r' }]);
  });

  test('a read issued before the new leader committed an entry of its term waits, and then covers its predecessor’s commits', () => {
    const c = new Cluster([1, 2, 3], { preVote: false, checkQuorum: false });
    c.campaign(1);
    // 1 commits x with 2's help; 2 never hears that x is committed.
    c.cut(1, 3);
    c.dropIf = (m) => m.type === 'MsgApp' && m.commit >= 2;
    c.propose(1, 'x');
    c.stabilize();
    expect(c.status(1).commit).toBe(2);
    expect(c.status(2).commit).toBe(1);

    // 2 becomes leader; its empty entry is not committed yet.
    c.heal();
    c.isolate(1);
    c.dropIf = (m) => m.type === 'MsgAppResp';
    c.campaign(2);
    expect(c.status(2)).toMatchObject({ role: 'leader', term: 2, commit: 1 });
    c.node(2).raw.readIndex('r');
    c.stabilize();
    // Answering now would give read index 1: a read that misses the committed x.
    expect(linesOfType(c.takeTranscript(), 'MsgHeartbeat')).toEqual([]);
    expect(c.node(2).readStates).toEqual([]);

    c.dropIf = null;
    c.tick(2);
    c.stabilize();
    expect(c.status(2).commit).toBe(3);
    expect(linesOfType(c.takeTranscript(), 'MsgHeartbeat')).toEqual([
      'DROP 2->1 MsgHeartbeat Term:2 Commit:0',
      '2->3 MsgHeartbeat Term:2 Commit:0',
      'DROP 2->1 MsgHeartbeat Term:2 Commit:0 Context:r',
      '2->3 MsgHeartbeat Term:2 Commit:3 Context:r',
    ]);
    expect(c.node(2).readStates).toEqual([{ index: 3, context: 'r' }]);
  });
});

describe('ReadIndex on a follower (thesis §6.4)', () => {
  test('the follower forwards the request and gets the leader’s commit index, which may be ahead of its own', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    // 3 receives 'a' but misses the append telling it 'a' is committed.
    c.dropIf = (m) => m.type === 'MsgApp' && m.to === 3 && m.entries.length === 0;
    c.propose(1, 'a');
    c.stabilize();
    c.dropIf = null;
    expect(c.status(3).commit).toBe(1);
    c.takeTranscript();

    c.node(3).raw.readIndex('f');
    c.stabilize();
    expect(c.takeTranscript()).toEqual([
      '3->1 MsgReadIndex Term:0 Context:f',
      '1->2 MsgHeartbeat Term:1 Commit:2 Context:f',
      '1->3 MsgHeartbeat Term:1 Commit:2 Context:f',
      '2->1 MsgHeartbeatResp Term:1 Context:f',
      '3->1 MsgHeartbeatResp Term:1 Context:f',
      '1->3 MsgReadIndexResp Term:1 Index:2 Context:f',
    ]);
    expect(c.node(3).readStates).toEqual([{ index: 2, context: 'f' }]);
    // The read may be served once 3 has applied index 2 (here the heartbeat brought it).
    expect(c.status(3).applied).toBe(2);
  });

  test('a follower that knows no leader refuses the read', () => {
    const c = new Cluster([1, 2, 3]);
    expect(() => c.node(2).raw.readIndex('f')).toThrow(new ProposalDroppedError('no-leader'));
  });
});

describe('a deposed leader cannot serve reads (thesis §6.4)', () => {
  function deposedLeaderReads(staleRead: boolean): Cluster {
    const c = new Cluster([1, 2, 3], { testingBugs: { staleRead } });
    c.campaign(1);
    c.isolate(1);
    for (let i = 0; i < 40 && c.status(2).role !== 'leader' && c.status(3).role !== 'leader'; i++) {
      c.tick(2);
      c.tick(3);
      c.stabilize();
    }
    const leader = c.status(2).role === 'leader' ? 2 : 3;
    c.propose(leader, 'b');
    c.stabilize();
    expect(c.status(leader).commit).toBe(3); // 'b' is committed (and acknowledged) at index 3

    expect(c.status(1).role).toBe('leader'); // 1 has not noticed yet
    c.node(1).raw.readIndex('stale?');
    c.stabilize();
    for (let i = 0; i < 5; i++) {
      c.tick(1);
      c.stabilize();
    }
    return c;
  }

  test('a leader cut off from the quorum never produces a read state', () => {
    const c = deposedLeaderReads(false);
    expect(c.node(1).readStates).toEqual([]);
  });

  test('with testingBugs.staleRead it answers at once, with an index that misses a committed write', () => {
    const c = deposedLeaderReads(true);
    expect(c.node(1).readStates).toEqual([{ index: 1, context: 'stale?' }]);
  });

  test('the deposed leader’s heartbeat round is answered with the higher term, which makes it step down', () => {
    const c = deposedLeaderReads(false);
    c.heal();
    c.tick(1);
    c.stabilize();
    expect(c.status(1)).toMatchObject({ role: 'follower', term: 2 });
    expect(c.node(1).readStates).toEqual([]);
  });
});
