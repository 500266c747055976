/**
 * The log after the latest compaction point, in memory: what `MemoryStorage` holds, and
 * the read cache that lets `LevelStorage` answer the core's synchronous reads. `log[0]`
 * is a dummy entry standing for the compaction point (its index and term); real entries
 * follow, so the entry at index i is `log[i - log[0].index]`.
 */
import { CompactedError, UnavailableError, assert } from '../core/errors.js';
import { EntryType } from '../core/types.js';
import type { Entry, EntryId } from '../core/types.js';
import { limitSize } from './log-storage.js';

export class InMemoryLog {
  private log: Entry[];

  /** A log compacted up to `point`, holding `entries` (contiguous, from point.index + 1). */
  constructor(point: EntryId = { index: 0, term: 0 }, entries: readonly Entry[] = []) {
    this.log = [dummyEntry(point), ...entries];
  }

  /** See `LogStorage.entries`. */
  entries(lo: number, hi: number, maxSizeBytes: number): Entry[] {
    const offset = this.log[0]!.index;
    if (lo <= offset) throw new CompactedError(lo, offset + 1);
    if (hi > this.lastIndex() + 1) throw new UnavailableError(hi - 1, this.lastIndex());
    return limitSize(this.log.slice(lo - offset, hi - offset), maxSizeBytes);
  }

  /** See `LogStorage.term`: the compaction point's term is kept. */
  term(index: number): number {
    const offset = this.log[0]!.index;
    if (index < offset) throw new CompactedError(index, offset + 1);
    if (index - offset >= this.log.length) throw new UnavailableError(index, this.lastIndex());
    return this.log[index - offset]!.term;
  }

  firstIndex(): number {
    return this.log[0]!.index + 1;
  }

  lastIndex(): number {
    return this.log[0]!.index + this.log.length - 1;
  }

  /**
   * Append entries that follow on from the log, replacing any at the same or later
   * indexes; entries at or below the compaction point are ignored. Returns the entries
   * actually stored (empty when none were).
   */
  append(entries: readonly Entry[]): readonly Entry[] {
    if (entries.length === 0) return [];
    const first = this.firstIndex();
    const lastNew = entries[entries.length - 1]!.index;
    if (lastNew < first) return [];
    const fresh = entries[0]!.index < first ? entries.slice(first - entries[0]!.index) : entries;
    const start = fresh[0]!.index;
    assert(start <= this.lastIndex() + 1, () => `append leaves a gap: last ${this.lastIndex()}, appending ${start}`);
    fresh.forEach((entry, i) => assert(entry.index === start + i, () => `appended indexes not contiguous at ${entry.index}`));
    this.log.length = start - this.log[0]!.index;
    for (const entry of fresh) this.log.push(entry);
    return fresh;
  }

  /**
   * Discard entries up to and including `compactIndex` (≤ last index; `CompactedError` at
   * or below the compaction point). Returns the new compaction point.
   */
  compact(compactIndex: number): EntryId {
    const offset = this.log[0]!.index;
    if (compactIndex <= offset) throw new CompactedError(compactIndex, offset + 1);
    assert(compactIndex <= this.lastIndex(), () => `compact ${compactIndex} beyond last index ${this.lastIndex()}`);
    const point = { index: compactIndex, term: this.term(compactIndex) };
    this.log = [dummyEntry(point), ...this.log.slice(compactIndex - offset + 1)];
    return point;
  }

  /** Drop everything: the log is now empty after `point` (a snapshot received from the leader). */
  reset(point: EntryId): void {
    this.log = [dummyEntry(point)];
  }
}

function dummyEntry(point: EntryId): Entry {
  return { index: point.index, term: point.term, type: EntryType.Normal, data: new Uint8Array(0) };
}
