/**
 * Proposals and their errors: only the leader appends to the log (§5.3); a follower
 * forwards a proposal to the leader it knows, and every refusal is a typed, retryable
 * error saying why (raft/core/errors.ts).
 */
import { NotLeaderError, ProposalDroppedError, RaftError } from '../../../raft/core/errors.js';
import { Cluster } from './cluster.js';
import { bytes } from './fixtures.js';

function proposalError(c: Cluster, id: number): unknown {
  try {
    c.node(id).raw.propose(bytes('p'));
  } catch (error) {
    return error;
  }
  return null;
}

describe('proposal errors', () => {
  test('a follower that knows no leader drops the proposal: ProposalDroppedError no-leader, retryable', () => {
    const c = new Cluster([1, 2, 3]);
    const error = proposalError(c, 1);
    expect(error).toBeInstanceOf(ProposalDroppedError);
    expect(error).toBeInstanceOf(RaftError);
    expect(error).toMatchObject({ code: 'PROPOSAL_DROPPED', reason: 'no-leader', retryable: true });
    c.stabilize();
    expect(c.status(1).lastIndex).toBe(0);
  });

  test('a candidate and a pre-candidate drop proposals with reason no-leader', () => {
    const c = new Cluster([1, 2, 3]);
    c.isolate(1);
    c.campaign(1);
    expect(c.status(1).role).toBe('pre-candidate');
    expect(proposalError(c, 1)).toMatchObject({ reason: 'no-leader' });

    const d = new Cluster([1, 2, 3], { preVote: false });
    d.isolate(1);
    d.campaign(1);
    expect(d.status(1).role).toBe('candidate');
    expect(proposalError(d, 1)).toMatchObject({ reason: 'no-leader' });
  });

  test('a follower whose leader was lost (after check-quorum) drops proposals again', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.isolate(1);
    for (let i = 0; i < 20; i++) {
      c.tick(1);
      c.stabilize();
    }
    expect(c.status(1)).toMatchObject({ role: 'follower', leader: 0 });
    expect(proposalError(c, 1)).toMatchObject({ reason: 'no-leader' });
  });

  test('with disableProposalForwarding a follower refuses with NotLeaderError naming the leader', () => {
    const c = new Cluster([1, 2, 3], { disableProposalForwarding: true });
    c.campaign(1);
    const error = proposalError(c, 2);
    expect(error).toBeInstanceOf(NotLeaderError);
    expect(error).toMatchObject({ code: 'NOT_LEADER', leaderHint: 1, retryable: true });
    c.takeTranscript();
    c.stabilize();
    expect(c.takeTranscript()).toEqual([]);
  });

  test('a forwarded proposal reaches the leader, which appends it with its own term and index, and it commits everywhere', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.takeTranscript();
    c.propose(2, 'fwd');
    c.stabilize();
    expect(c.takeTranscript().slice(0, 3)).toEqual([
      '2->1 MsgProp Term:0 Entries:[0/0 fwd]',
      '1->2 MsgApp Term:1 Log:1/1 Commit:1 Entries:[1/2 fwd]',
      '1->3 MsgApp Term:1 Log:1/1 Commit:1 Entries:[1/2 fwd]',
    ]);
    for (const id of c.ids) expect(c.appliedData(id)).toEqual(['fwd']);
  });

  test('maxUncommittedEntriesSizeBytes drops proposals past the limit until entries are applied', () => {
    const c = new Cluster([1, 2, 3], { maxUncommittedEntriesSizeBytes: 60 });
    c.campaign(1);
    c.isolate(1); // nothing commits
    c.propose(1, 'aaaa'); // 20 bytes
    c.propose(1, 'bbbb'); // 40
    c.propose(1, 'cccc'); // 60
    expect(proposalError(c, 1)).toMatchObject({ reason: 'uncommitted-size-limit', retryable: true });
    c.heal();
    c.stabilize();
    c.tick(1);
    c.stabilize();
    expect(c.appliedData(1)).toEqual(['aaaa', 'bbbb', 'cccc']);
    expect(proposalError(c, 1)).toBeNull();
  });
});
