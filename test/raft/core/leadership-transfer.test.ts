/**
 * Leadership transfer (thesis §3.10): the leader brings the transferee's log up to date,
 * stops accepting proposals, and sends it MsgTimeoutNow; the transferee campaigns at once
 * (no pre-vote, and its vote requests override leader stickiness). A transfer that does not
 * finish within an election timeout is abandoned.
 */
import { ProposalDroppedError } from '../../../raft/core/errors.js';
import { Cluster } from './cluster.js';
import { bytes } from './fixtures.js';

describe('leadership transfer (thesis §3.10)', () => {
  test('to an up-to-date follower: MsgTimeoutNow, then the transferee wins term+1 without a pre-vote round', () => {
    const c = new Cluster([1, 2, 3]); // pre-vote and check-quorum on
    c.campaign(1);
    c.takeTranscript();
    c.node(1).raw.transferLeadership(2);
    c.stabilize();
    expect(c.takeTranscript()).toEqual([
      '1->2 MsgTimeoutNow Term:1',
      '2->1 MsgVote Term:2 Log:1/1 Transfer',
      '2->3 MsgVote Term:2 Log:1/1 Transfer',
      '1->2 MsgVoteResp Term:2',
      '3->2 MsgVoteResp Term:2',
      '2->1 MsgApp Term:2 Log:1/1 Commit:1 Entries:[2/2]',
      '2->3 MsgApp Term:2 Log:1/1 Commit:1 Entries:[2/2]',
      '1->2 MsgAppResp Term:2 Log:0/2',
      '3->2 MsgAppResp Term:2 Log:0/2',
      '2->1 MsgApp Term:2 Log:2/2 Commit:2',
      '2->3 MsgApp Term:2 Log:2/2 Commit:2',
      '1->2 MsgAppResp Term:2 Log:0/2',
      '3->2 MsgAppResp Term:2 Log:0/2',
    ]);
    expect(c.leader()).toBe(2);
    for (const id of c.ids) expect(c.status(id)).toMatchObject({ term: 2, leader: 2 });
  });

  test('a follower may ask for the transfer: the request is forwarded to the leader', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.takeTranscript();
    c.node(3).raw.transferLeadership(3);
    c.stabilize();
    expect(c.takeTranscript().slice(0, 2)).toEqual(['3->1 MsgTransferLeader Term:1', '1->3 MsgTimeoutNow Term:1']);
    expect(c.leader()).toBe(3);
    expect(c.status(3).term).toBe(2);
  });

  test('to a lagging follower: the leader first catches it up, then sends MsgTimeoutNow', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.cut(1, 3);
    c.propose(1, 'a');
    c.propose(1, 'b');
    c.stabilize();
    c.heal();
    c.node(1).raw.reportUnreachable(3); // the driver noticed the lost appends
    c.takeTranscript();

    c.node(1).raw.transferLeadership(3);
    c.stabilize();
    expect(c.takeTranscript().slice(0, 4)).toEqual([
      '1->3 MsgApp Term:1 Log:1/1 Commit:3 Entries:[1/2 a, 1/3 b]',
      '3->1 MsgAppResp Term:1 Log:0/3',
      '1->3 MsgApp Term:1 Log:1/3 Commit:3', // (the commit index, re-sent to a follower that was paused)
      '1->3 MsgTimeoutNow Term:1',
    ]);
    expect(c.leader()).toBe(3);
    expect(c.status(3).term).toBe(2);
    for (const id of c.ids) expect(c.appliedData(id)).toEqual(['a', 'b']);
  });

  test('while the transfer is under way the leader refuses proposals (retryable); once the transferee leads they work again', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.cut(1, 3);
    c.propose(1, 'a');
    c.stabilize();
    c.node(1).raw.transferLeadership(3); // 3 cannot be caught up while cut off
    expect(c.status(1).leadTransferee).toBe(3);
    let error: unknown = null;
    try {
      c.propose(1, 'b');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ProposalDroppedError);
    expect(error).toMatchObject({ reason: 'leadership-transfer', retryable: true, code: 'PROPOSAL_DROPPED' });
    // A proposal forwarded by a follower is dropped too (the follower's caller sees no error).
    c.propose(2, 'c');
    c.stabilize();
    expect(c.status(1).lastIndex).toBe(2);

    c.heal();
    c.tick(1);
    c.stabilize();
    expect(c.leader()).toBe(3);
    c.propose(3, 'd');
    c.stabilize();
    for (const id of c.ids) expect(c.appliedData(id)).toEqual(['a', 'd']);
  });

  test('a transfer that does not complete within an election timeout is abandoned and proposals work again', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.isolate(3);
    c.node(1).raw.transferLeadership(3);
    for (let i = 0; i < 9; i++) {
      c.tick(1);
      c.stabilize();
    }
    expect(c.status(1).leadTransferee).toBe(3);
    expect(() => c.propose(1, 'early')).toThrow(ProposalDroppedError);
    c.tick(1);
    c.stabilize();
    expect(c.status(1)).toMatchObject({ role: 'leader', leadTransferee: 0 });
    c.node(1).raw.propose(bytes('late'));
    c.stabilize();
    expect(c.appliedData(1)).toEqual(['late']);
  });

  test('transferring to the leader itself, or to a non-member, does nothing', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.takeTranscript();
    c.node(1).raw.transferLeadership(1);
    c.node(1).raw.transferLeadership(9);
    c.stabilize();
    expect(c.takeTranscript()).toEqual([]);
    expect(c.status(1)).toMatchObject({ role: 'leader', leadTransferee: 0 });
    c.propose(1, 'ok');
    c.stabilize();
    expect(c.appliedData(2)).toEqual(['ok']);
  });
});
