/**
 * The checkers' copy of one node's log, built from the entries its Readies hand out (each
 * Ready's entries overwrite from their first index, exactly as storage does), so that a
 * checker can read any node's log in O(1) per entry without asking the code under test.
 */
import type { NodeId } from '../../core/types.js';

export interface ShadowEntry {
  readonly index: number;
  readonly term: number;
  /** The payload identity (write id, or 0 for a no-op). */
  readonly payload: number;
}

export class ShadowLog {
  /** `terms[i]`, `payloads[i]`: the entry at index i; index 0 is a sentinel (term 0). */
  private terms: number[] = [0];
  private payloads: number[] = [0];

  constructor(readonly node: NodeId) {}

  get lastIndex(): number {
    return this.terms.length - 1;
  }

  /** Term at `index`, or undefined when the log does not reach it. */
  termAt(index: number): number | undefined {
    return index >= 0 && index < this.terms.length ? this.terms[index] : undefined;
  }

  payloadAt(index: number): number | undefined {
    return index >= 1 && index < this.payloads.length ? this.payloads[index] : undefined;
  }

  /** Append entries, replacing any at the same or later indexes. The first must not leave a gap. */
  overwrite(entries: readonly ShadowEntry[]): void {
    if (entries.length === 0) return;
    const start = entries[0]!.index;
    if (start < 1 || start > this.terms.length) {
      throw new Error(`shadow log of n${this.node}: entries from ${start} leave a gap after ${this.lastIndex}`);
    }
    this.terms.length = start;
    this.payloads.length = start;
    for (const entry of entries) {
      this.terms.push(entry.term);
      this.payloads.push(entry.payload);
    }
  }

  /** Replace the whole log (after a restart, from what the disk holds). */
  reset(entries: readonly ShadowEntry[]): void {
    this.terms = [0];
    this.payloads = [0];
    this.overwrite(entries);
  }
}
