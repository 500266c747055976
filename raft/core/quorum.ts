/**
 * Majority arithmetic, for a single voter set and for joint consensus (§6 of the thesis:
 * during a change both the old and the new set must agree). An empty set agrees to
 * everything, so a joint configuration whose outgoing half is empty acts like its
 * incoming half alone.
 */
import type { NodeId } from './types.js';

export type VoteResult = 'pending' | 'lost' | 'won';

/**
 * The highest index that a majority of `voters` hold, given each one's match index
 * (missing counts as 0). Infinity for an empty set.
 */
export function majorityCommitted(voters: ReadonlySet<NodeId>, matchOf: (id: NodeId) => number): number {
  const n = voters.size;
  if (n === 0) return Number.POSITIVE_INFINITY;
  const matches: number[] = [];
  for (const id of voters) matches.push(matchOf(id));
  matches.sort((a, b) => b - a);
  // The (n/2 + 1)-th largest is held by a majority.
  return matches[Math.floor(n / 2)]!;
}

export function majorityVoteResult(voters: ReadonlySet<NodeId>, votes: (id: NodeId) => boolean | undefined): VoteResult {
  const n = voters.size;
  if (n === 0) return 'won';
  const quorum = Math.floor(n / 2) + 1;
  let granted = 0;
  let missing = 0;
  for (const id of voters) {
    const vote = votes(id);
    if (vote === undefined) missing++;
    else if (vote) granted++;
  }
  if (granted >= quorum) return 'won';
  if (granted + missing >= quorum) return 'pending';
  return 'lost';
}

/** A (possibly joint) voter configuration: [incoming, outgoing]. */
export interface JointVoters {
  readonly incoming: ReadonlySet<NodeId>;
  readonly outgoing: ReadonlySet<NodeId>;
}

export function jointCommitted(voters: JointVoters, matchOf: (id: NodeId) => number): number {
  return Math.min(majorityCommitted(voters.incoming, matchOf), majorityCommitted(voters.outgoing, matchOf));
}

export function jointVoteResult(voters: JointVoters, votes: (id: NodeId) => boolean | undefined): VoteResult {
  const a = majorityVoteResult(voters.incoming, votes);
  const b = majorityVoteResult(voters.outgoing, votes);
  if (a === b) return a;
  if (a === 'lost' || b === 'lost') return 'lost';
  return 'pending';
}
