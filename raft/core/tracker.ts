/**
 * The leader's bookkeeping over the configuration: who votes (possibly jointly), who
 * learns, each member's progress, and the votes of the current election.
 */
import { Progress } from './progress.js';
import { jointCommitted, jointVoteResult } from './quorum.js';
import type { JointVoters, VoteResult } from './quorum.js';
import type { ConfState, NodeId } from './types.js';

export interface VoteTally {
  readonly granted: number;
  readonly rejected: number;
  readonly result: VoteResult;
}

export class ProgressTracker {
  voters: JointVoters = { incoming: new Set(), outgoing: new Set() };
  learners: ReadonlySet<NodeId> = new Set();
  /** Outgoing voters that become learners when the joint configuration is left. */
  learnersNext: ReadonlySet<NodeId> = new Set();
  readonly progress = new Map<NodeId, Progress>();
  private readonly votes = new Map<NodeId, boolean>();

  constructor(
    confState: ConfState,
    private readonly maxInflightMessages: number,
    private readonly maxInflightBytes: number,
  ) {
    this.applyConf(confState, 0);
  }

  /**
   * Switch to `confState`. Members that stay keep their progress; new ones start probing
   * after `lastIndex`, counted as recently active (so that adding a member cannot make
   * check-quorum depose the leader at once); removed ones are dropped.
   */
  applyConf(confState: ConfState, lastIndex: number): void {
    this.voters = { incoming: new Set(confState.voters), outgoing: new Set(confState.votersOutgoing) };
    this.learners = new Set(confState.learners);
    this.learnersNext = new Set(confState.learnersNext);
    const members = new Set(this.memberIds());
    for (const [id, pr] of this.progress) {
      if (members.has(id)) continue;
      pr.closeSnapshotTransfer();
      this.progress.delete(id);
    }
    for (const id of members) {
      if (this.progress.has(id)) continue;
      const pr = this.newProgress(lastIndex + 1);
      pr.recentActive = true;
      this.progress.set(id, pr);
    }
  }

  isJoint(): boolean {
    return this.voters.outgoing.size > 0;
  }

  newProgress(next: number): Progress {
    return new Progress(next, this.maxInflightMessages, this.maxInflightBytes);
  }

  /** Every voter (either half) and learner, ascending. */
  memberIds(): NodeId[] {
    const ids = new Set<NodeId>([...this.voters.incoming, ...this.voters.outgoing, ...this.learners, ...this.learnersNext]);
    return [...ids].sort((a, b) => a - b);
  }

  voterIds(): NodeId[] {
    return [...new Set<NodeId>([...this.voters.incoming, ...this.voters.outgoing])].sort((a, b) => a - b);
  }

  isVoter(id: NodeId): boolean {
    return this.voters.incoming.has(id) || this.voters.outgoing.has(id);
  }

  /** A single voter and no learners: it can decide everything alone. */
  isSingleton(): boolean {
    return this.voters.outgoing.size === 0 && this.voters.incoming.size === 1;
  }

  /** The highest index held by a quorum (by match index). */
  committed(): number {
    return jointCommitted(this.voters, (id) => this.progress.get(id)?.match ?? 0);
  }

  /** Whether a quorum has been heard from in the current check-quorum period. */
  quorumActive(): boolean {
    return jointVoteResult(this.voters, (id) => this.progress.get(id)?.recentActive ?? false) === 'won';
  }

  /** The vote result if exactly `acks` had said yes (used for ReadIndex rounds). */
  voteResultOf(acks: ReadonlySet<NodeId>): VoteResult {
    return jointVoteResult(this.voters, (id) => (acks.has(id) ? true : undefined));
  }

  resetVotes(): void {
    this.votes.clear();
  }

  /** Record a vote; a member's first answer in an election is the one that counts. */
  recordVote(id: NodeId, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  tallyVotes(): VoteTally {
    let granted = 0;
    let rejected = 0;
    for (const id of this.voterIds()) {
      const vote = this.votes.get(id);
      if (vote === true) granted++;
      else if (vote === false) rejected++;
    }
    return { granted, rejected, result: jointVoteResult(this.voters, (id) => this.votes.get(id)) };
  }

  confState(): ConfState {
    return {
      voters: [...this.voters.incoming].sort((a, b) => a - b),
      votersOutgoing: [...this.voters.outgoing].sort((a, b) => a - b),
      learners: [...this.learners].sort((a, b) => a - b),
      learnersNext: [...this.learnersNext].sort((a, b) => a - b),
    };
  }
}
