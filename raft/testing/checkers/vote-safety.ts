/**
 * Vote safety (§5.2): each server votes for at most one candidate in a given term, and
 * `currentTerm`/`votedFor` are persistent state, so the durable hard state of a node
 * must never record two different votes for one term, nor a term going back — across
 * crashes and restarts included.
 */
import type { HardState, NodeId } from '../../core/types.js';
import { NONE } from '../../core/types.js';
import { violation } from './violation.js';
import type { Violation } from './violation.js';

interface DurableVote {
  term: number;
  vote: NodeId;
}

export class VoteSafetyChecker {
  private readonly byNode = new Map<NodeId, DurableVote>();

  /** `node` made `hardState` durable. */
  observeDurableHardState(node: NodeId, hardState: HardState): Violation | null {
    const known = this.byNode.get(node);
    if (known === undefined || hardState.term > known.term) {
      this.byNode.set(node, { term: hardState.term, vote: hardState.vote });
      return null;
    }
    if (hardState.term < known.term) {
      return violation('vote-safety', `n${node}'s durable term went back from ${known.term} to ${hardState.term}`);
    }
    if (hardState.vote === NONE) return null;
    if (known.vote === NONE) {
      known.vote = hardState.vote;
      return null;
    }
    if (known.vote !== hardState.vote) {
      return violation('vote-safety', `n${node} voted twice in term ${hardState.term}: for n${known.vote} and for n${hardState.vote}`);
    }
    return null;
  }
}
