/**
 * The checkers' copy of one node's log, built from the entries its Readies hand out (each
 * Ready's entries overwrite from their first index, exactly as storage does), so that a
 * checker can read any node's log in O(1) per entry without asking the code under test.
 *
 * A log may start after a base entry (index, term) instead of index 0: the snapshot a
 * node installed, or the point its disk was compacted to when it restarted. Below the
 * base nothing is known; at the base only the term is.
 */
import type { EntryId, NodeId } from '../../core/types.js';

export interface ShadowEntry {
  readonly index: number;
  readonly term: number;
  /** The payload identity (write id, 0 for a no-op, < 0 for a membership change). */
  readonly payload: number;
}

/** The payload recorded for the base entry, whose payload is not known. */
const UNKNOWN_PAYLOAD = Number.NaN;

export class ShadowLog {
  private base = 0;
  /** `terms[k]`, `payloads[k]`: the entry at index base + k; k = 0 is the base (term 0 at index 0). */
  private terms: number[] = [0];
  private payloads: number[] = [UNKNOWN_PAYLOAD];

  constructor(readonly node: NodeId) {}

  /** The index the log starts after (0, or a snapshot / compaction point). */
  get baseIndex(): number {
    return this.base;
  }

  get lastIndex(): number {
    return this.base + this.terms.length - 1;
  }

  /** Term at `index`, or undefined when the log does not reach it (or starts after it). */
  termAt(index: number): number | undefined {
    const k = index - this.base;
    return k >= 0 && k < this.terms.length ? this.terms[k] : undefined;
  }

  /** Payload identity at `index`, or undefined when unknown (beyond the log, or at or below its base). */
  payloadAt(index: number): number | undefined {
    const k = index - this.base;
    return k >= 1 && k < this.payloads.length ? this.payloads[k] : undefined;
  }

  /** Append entries, replacing any at the same or later indexes. The first must not leave a gap. */
  overwrite(entries: readonly ShadowEntry[]): void {
    if (entries.length === 0) return;
    const start = entries[0]!.index;
    if (start <= this.base || start > this.lastIndex + 1) {
      throw new Error(`shadow log of n${this.node}: entries from ${start} do not follow on from ${this.base}..${this.lastIndex}`);
    }
    this.terms.length = start - this.base;
    this.payloads.length = start - this.base;
    for (const entry of entries) {
      this.terms.push(entry.term);
      this.payloads.push(entry.payload);
    }
  }

  /** Replace the whole log: the entries follow on from `base` (after a restart, or a snapshot install). */
  reset(entries: readonly ShadowEntry[], base: EntryId = { index: 0, term: 0 }): void {
    this.base = base.index;
    this.terms = [base.term];
    this.payloads = [UNKNOWN_PAYLOAD];
    this.overwrite(entries);
  }
}
