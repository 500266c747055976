/**
 * Log Matching (§5.3): if two logs contain an entry with the same index and term, the
 * entries are identical and so are the logs up to that index. Checked incrementally:
 * a registry keyed by (index, term) remembers the payload and the term of the entry
 * before it, and every entry any node is about to persist must agree with it. By
 * induction on the index, agreeing on (payload, previous term) at every (index, term)
 * gives the whole property. Also: terms never decrease along a log.
 */
import type { NodeId } from '../../core/types.js';
import type { ShadowEntry } from './shadow-log.js';
import { violation } from './violation.js';
import type { Violation } from './violation.js';

/** Terms must stay below this for the registry's numeric key. */
const TERM_LIMIT = 1 << 22;

interface Registered {
  readonly payload: number;
  readonly previousTerm: number;
  readonly firstSeenOn: NodeId;
}

export class LogMatchingChecker {
  private readonly registry = new Map<number, Registered>();

  /**
   * `node` appends `entries` (contiguous) after an entry whose term is `previousTerm`
   * (0 when the entries start at index 1).
   */
  observeAppend(node: NodeId, previousTerm: number, entries: readonly ShadowEntry[]): Violation | null {
    let prevTerm = previousTerm;
    let prevIndex = entries.length > 0 ? entries[0]!.index - 1 : 0;
    for (const entry of entries) {
      if (entry.index !== prevIndex + 1) {
        return violation('log-matching', `n${node} appends index ${entry.index} right after ${prevIndex}`);
      }
      if (entry.term < prevTerm) {
        return violation('log-matching', `n${node}'s log term goes down at index ${entry.index}: ${prevTerm} then ${entry.term}`);
      }
      if (entry.term >= TERM_LIMIT) throw new Error(`term ${entry.term} beyond the log-matching checker's limit`);
      const key = entry.index * TERM_LIMIT + entry.term;
      const known = this.registry.get(key);
      if (known === undefined) {
        this.registry.set(key, { payload: entry.payload, previousTerm: prevTerm, firstSeenOn: node });
      } else if (known.payload !== entry.payload || known.previousTerm !== prevTerm) {
        return violation(
          'log-matching',
          `entry ${entry.index}/term ${entry.term} differs: n${known.firstSeenOn} has payload ${known.payload} after term ${known.previousTerm}, ` +
            `n${node} has payload ${entry.payload} after term ${prevTerm}`,
        );
      }
      prevTerm = entry.term;
      prevIndex = entry.index;
    }
    return null;
  }
}
