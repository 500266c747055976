/**
 * Leader Completeness (§5.4): if an entry is committed in a term, it is present in the
 * logs of the leaders of all later terms. An entry counts as committed the first time
 * any node's durable commit index covers it, "in" that node's term at the time (the real commit
 * happened in that term or earlier, so this never over-reports). Checked when a node
 * becomes leader (against everything committed so far) and when new commits are
 * recorded (against the current leaders), so the work is proportional to what is new,
 * apart from one pass per election.
 *
 * It also checks that a node's commit index never covers an entry different from the
 * one already recorded as committed at that index (two different committed entries
 * would break State Machine Safety).
 *
 * A log that starts after a snapshot holds the committed entries up to its base in the
 * snapshot: below the base they count as present, and at the base only the term is
 * compared (the snapshot-matching checker compares snapshots with committed entries).
 */
import type { NodeId } from '../../core/types.js';
import type { ShadowLog } from './shadow-log.js';
import { violation } from './violation.js';
import type { Violation } from './violation.js';

interface Leadership {
  readonly term: number;
  readonly log: ShadowLog;
}

export class LeaderCompletenessChecker {
  /** Committed entries by index (index 0 unused). */
  private readonly terms: number[] = [0];
  private readonly payloads: number[] = [0];
  private readonly commitTerms: number[] = [0];
  private readonly leaders = new Map<NodeId, Leadership>();

  get committedIndex(): number {
    return this.terms.length - 1;
  }

  /** Term of the entry recorded committed at `index`, if it is recorded. */
  committedTermAt(index: number): number | undefined {
    return index >= 1 && index < this.terms.length ? this.terms[index] : undefined;
  }

  /**
   * `node`, in `term`, has commit index `commit` over its log `log`. Records newly
   * committed entries and checks them against the current leaders.
   */
  observeCommit(node: NodeId, term: number, commit: number, log: ShadowLog): Violation | null {
    const from = this.committedIndex + 1;
    if (commit < from) return this.checkAgreement(node, commit, log);
    if (commit > log.lastIndex) {
      return violation('leader-completeness', `n${node} commits up to ${commit} but its log ends at ${log.lastIndex}`);
    }
    // A log that starts after entries nobody recorded yet cannot name them; others will.
    if (from <= log.baseIndex) return null;
    const agreement = this.checkAgreement(node, from - 1, log);
    if (agreement !== null) return agreement;
    for (let i = from; i <= commit; i++) {
      this.terms.push(log.termAt(i)!);
      this.payloads.push(log.payloadAt(i)!);
      this.commitTerms.push(term);
    }
    for (const [leader, leadership] of this.leaders) {
      if (leadership.term <= term) continue;
      const missing = this.firstMissing(leadership, from, commit);
      if (missing !== null) return this.incomplete(leader, leadership.term, missing);
    }
    return null;
  }

  /** `node` is the leader of `term` with log `log` (called at every Ready while it leads). */
  observeLeader(node: NodeId, term: number, log: ShadowLog): Violation | null {
    const current = this.leaders.get(node);
    if (current !== undefined && current.term === term) return null;
    const leadership = { term, log };
    this.leaders.set(node, leadership);
    const missing = this.firstMissing(leadership, 1, this.committedIndex);
    return missing === null ? null : this.incomplete(node, term, missing);
  }

  /** `node` is no longer a leader (stepped down or crashed). */
  observeNotLeader(node: NodeId): void {
    this.leaders.delete(node);
  }

  /** First index in [from, to] committed before the leadership's term and absent from its log. */
  private firstMissing(leadership: Leadership, from: number, to: number): number | null {
    const log = leadership.log;
    for (let i = Math.max(from, log.baseIndex); i <= to; i++) {
      if (this.commitTerms[i]! >= leadership.term) continue;
      if (log.termAt(i) !== this.terms[i]) return i;
      if (i > log.baseIndex && log.payloadAt(i) !== this.payloads[i]) return i;
    }
    return null;
  }

  private incomplete(leader: NodeId, term: number, index: number): Violation {
    return violation(
      'leader-completeness',
      `n${leader}, leader of term ${term}, lacks entry ${index}/term ${this.terms[index]} (payload ${this.payloads[index]}) ` +
        `committed by term ${this.commitTerms[index]}`,
    );
  }

  /** The entry at `index` in `log` must be the recorded committed one. */
  private checkAgreement(node: NodeId, index: number, log: ShadowLog): Violation | null {
    if (index < 1 || index < log.baseIndex) return null;
    const sameTerm = log.termAt(index) === this.terms[index];
    if (sameTerm && (index === log.baseIndex || log.payloadAt(index) === this.payloads[index])) return null;
    return violation(
      'state-machine-safety',
      `two different entries committed at index ${index}: term ${this.terms[index]} payload ${this.payloads[index]}, ` +
        `and on n${node} term ${log.termAt(index)} payload ${log.payloadAt(index)}`,
    );
  }
}
