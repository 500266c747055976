/** Election Safety (§5.2): at most one leader can be elected in a given term. */
import type { NodeId } from '../../core/types.js';
import { violation } from './violation.js';
import type { Violation } from './violation.js';

export class ElectionSafetyChecker {
  private readonly leaderByTerm = new Map<number, NodeId>();

  /** `node` believes it is the leader of `term`. Returns a violation or null. */
  observeLeader(node: NodeId, term: number): Violation | null {
    const known = this.leaderByTerm.get(term);
    if (known === undefined) {
      this.leaderByTerm.set(term, node);
      return null;
    }
    if (known === node) return null;
    return violation('election-safety', `two leaders in term ${term}: n${known} and n${node}`);
  }

  /** Number of distinct (term, leader) pairs seen: the number of elections won. */
  get elections(): number {
    return this.leaderByTerm.size;
  }

  leaderOf(term: number): NodeId | undefined {
    return this.leaderByTerm.get(term);
  }
}
