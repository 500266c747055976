/**
 * The commit index never goes back: within one incarnation of a node (its in-memory
 * commit), and on its disk across restarts (the durable hard state's commit). Also
 * checks that nothing is applied beyond the commit index.
 */
import type { NodeId } from '../../core/types.js';
import { violation } from './violation.js';
import type { Violation } from './violation.js';

interface Seen {
  incarnation: number;
  commit: number;
}

export class CommitMonotonicChecker {
  private readonly memory = new Map<NodeId, Seen>();
  private readonly durable = new Map<NodeId, number>();

  /** The in-memory commit index of `node` in its life number `incarnation`. */
  observeCommit(node: NodeId, incarnation: number, commit: number): Violation | null {
    const seen = this.memory.get(node);
    if (seen === undefined || seen.incarnation !== incarnation) {
      this.memory.set(node, { incarnation, commit });
      return null;
    }
    if (commit < seen.commit) {
      return violation('commit-monotonic', `n${node}'s commit index went back from ${seen.commit} to ${commit}`);
    }
    seen.commit = commit;
    return null;
  }

  /** `node` made a hard state with `commit` durable. */
  observeDurableCommit(node: NodeId, commit: number): Violation | null {
    const previous = this.durable.get(node) ?? 0;
    if (commit < previous) {
      return violation('commit-monotonic', `n${node}'s durable commit index went back from ${previous} to ${commit}`);
    }
    this.durable.set(node, commit);
    return null;
  }

  /** Applied must never run ahead of commit. */
  observeApplied(node: NodeId, applied: number, commit: number): Violation | null {
    if (applied <= commit) return null;
    return violation('applied-within-commit', `n${node} applied up to ${applied} with commit index ${commit}`);
  }
}
