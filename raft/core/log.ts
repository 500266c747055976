/**
 * The Raft log as the core sees it: entries already in `LogStorage` (stable) followed by
 * entries appended in memory and not yet persisted (unstable). Tracks the commit index
 * and how far entries have been handed out for applying.
 *
 *   storage:  [firstIndex ............ storage.lastIndex]
 *   unstable:                 [offset ........................ lastIndex]
 *
 * Unstable entries shadow stable ones at the same indexes: an overwrite by a new leader
 * first lands in memory, and replaces the stored suffix when the driver persists it.
 *
 * A snapshot received from the leader is also unstable until the driver installs it: it
 * then stands for the whole log up to its index, and the stored log is ignored.
 */
import { assert } from './errors.js';
import type { Entry, EntryId, Snapshot } from './types.js';
import type { LogStorage } from '../storage/log-storage.js';
import { entrySizeBytes, limitSize } from '../storage/log-storage.js';

export class RaftLog {
  /** Index of the first unstable entry (storage.lastIndex() + 1 when all is stable). */
  private offset: number;
  private unstable: Entry[] = [];
  /** A snapshot from the leader, not yet installed by the driver. */
  unstableSnapshot: Snapshot | null = null;
  /** Highest index known committed (Figure 2: commitIndex). Never decreases. */
  committed: number;
  /** Highest index handed out for applying and acknowledged by `advance` (lastApplied). */
  applied: number;

  constructor(private readonly storage: LogStorage) {
    this.offset = storage.lastIndex() + 1;
    // Everything up to the stored snapshot is committed and reflected in the application's state.
    const snapshotIndex = Math.max(storage.snapshotMetadata().index, storage.firstIndex() - 1);
    this.committed = snapshotIndex;
    this.applied = snapshotIndex;
  }

  firstIndex(): number {
    return this.unstableSnapshot !== null ? this.unstableSnapshot.metadata.index + 1 : this.storage.firstIndex();
  }

  lastIndex(): number {
    if (this.unstable.length > 0) return this.offset + this.unstable.length - 1;
    return this.unstableSnapshot !== null ? this.unstableSnapshot.metadata.index : this.storage.lastIndex();
  }

  /** The index of the latest snapshot: the unstable one, else the stored one. */
  snapshotIndex(): number {
    return this.unstableSnapshot !== null ? this.unstableSnapshot.metadata.index : this.storage.snapshotMetadata().index;
  }

  lastTerm(): number {
    return this.term(this.lastIndex()) ?? 0;
  }

  lastEntryId(): EntryId {
    const index = this.lastIndex();
    return { index, term: this.term(index) ?? 0 };
  }

  /** The term of the entry at `index`, or undefined when it is compacted or beyond the log. */
  term(index: number): number | undefined {
    if (index >= this.offset && index - this.offset < this.unstable.length) return this.unstable[index - this.offset]!.term;
    if (this.unstableSnapshot !== null) {
      return index === this.unstableSnapshot.metadata.index ? this.unstableSnapshot.metadata.term : undefined;
    }
    if (index < this.storage.firstIndex() - 1 || index > this.storage.lastIndex()) return undefined;
    if (index >= this.offset) return undefined;
    return this.storage.term(index);
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /**
   * §5.4.1: a candidate's log (ending at `index`/`term`) is at least as up to date as
   * ours if its last term is higher, or equal with an index at least as large.
   */
  isUpToDate(index: number, term: number): boolean {
    const lastTerm = this.lastTerm();
    return term > lastTerm || (term === lastTerm && index >= this.lastIndex());
  }

  /**
   * The follower side of AppendEntries (§5.3). If our entry at `prevIndex` has
   * `prevTerm`, append `entries` (dropping those we already hold, truncating at the first
   * conflict), advance commit to min(leaderCommit, last new index) and return that last
   * new index. Otherwise return undefined and change nothing.
   */
  maybeAppend(prevIndex: number, prevTerm: number, leaderCommit: number, entries: readonly Entry[]): number | undefined {
    if (!this.matchTerm(prevIndex, prevTerm)) return undefined;
    const lastNew = prevIndex + entries.length;
    const conflict = this.findConflict(entries);
    if (conflict !== 0) {
      assert(conflict > this.committed, () => `entry ${conflict} conflicts with committed entry (committed ${this.committed})`);
      this.append(entries.slice(conflict - (prevIndex + 1)));
    }
    this.commitTo(Math.min(leaderCommit, lastNew));
    return lastNew;
  }

  /**
   * The index of the first of `entries` that we do not hold with the same term (a
   * conflict, or simply new), or 0 when we hold them all.
   */
  private findConflict(entries: readonly Entry[]): number {
    for (const entry of entries) {
      if (!this.matchTerm(entry.index, entry.term)) return entry.index;
    }
    return 0;
  }

  /**
   * Fast back-off (§5.3, last paragraphs): the largest index ≤ `index` whose term is ≤
   * `term`, with that term. Every entry after it in our log has a larger term than
   * `term`, so cannot match a log whose entry at `index` has term `term`.
   */
  findConflictByTerm(index: number, term: number): EntryId {
    let i = Math.min(index, this.lastIndex());
    for (; i > 0; i--) {
      const t = this.term(i);
      if (t === undefined) break; // compacted: the snapshot point is the best guess
      if (t <= term) return { index: i, term: t };
    }
    return { index: i, term: this.term(i) ?? 0 };
  }

  /** Append entries following on from (or overwriting part of) the log. Returns the last index. */
  append(entries: readonly Entry[]): number {
    if (entries.length === 0) return this.lastIndex();
    const first = entries[0]!.index;
    assert(first > this.committed, () => `append at ${first} would overwrite committed entries (committed ${this.committed})`);
    assert(first <= this.lastIndex() + 1, () => `append at ${first} leaves a gap after ${this.lastIndex()}`);
    if (first === this.offset + this.unstable.length) {
      for (const entry of entries) this.unstable.push(entry);
    } else if (first <= this.offset) {
      // Replaces every unstable entry, and stored ones from `first` on once persisted.
      this.offset = first;
      this.unstable = entries.slice();
    } else {
      this.unstable.length = first - this.offset;
      for (const entry of entries) this.unstable.push(entry);
    }
    return this.lastIndex();
  }

  /**
   * Replace the whole log with a snapshot from the leader (§7): everything up to its
   * index is committed and will be installed by the driver before any later entry.
   */
  restore(snapshot: Snapshot): void {
    const index = snapshot.metadata.index;
    assert(index > this.committed, () => `restoring snapshot ${index} at or below the commit index ${this.committed}`);
    this.unstableSnapshot = snapshot;
    this.unstable = [];
    this.offset = index + 1;
    this.committed = index;
  }

  /** The driver installed the unstable snapshot at `index`, and so applied it. */
  snapshotInstalled(index: number): void {
    if (this.unstableSnapshot === null || this.unstableSnapshot.metadata.index !== index) return;
    this.unstableSnapshot = null;
    if (this.applied < index) this.applied = index;
  }

  hasUnstableEntries(): boolean {
    return this.unstable.length > 0;
  }

  unstableEntries(): Entry[] {
    return this.unstable.slice();
  }

  /**
   * The entries up to `index` (of `term`) are now durable. If that entry has since been
   * overwritten in memory (a different term), the newer entries stay unstable.
   */
  stableTo(index: number, term: number): void {
    if (index < this.offset || index >= this.offset + this.unstable.length || this.term(index) !== term) return;
    this.unstable = this.unstable.slice(index + 1 - this.offset);
    this.offset = index + 1;
  }

  /** Entries in [lo, lastIndex], at most `maxSizeBytes` (at least one). */
  entriesFrom(lo: number, maxSizeBytes: number): Entry[] {
    if (lo > this.lastIndex()) return [];
    return this.slice(lo, this.lastIndex() + 1, maxSizeBytes);
  }

  /** Entries in [lo, hi), at most `maxSizeBytes` (at least one when the range is not empty). */
  slice(lo: number, hi: number, maxSizeBytes: number): Entry[] {
    assert(lo >= this.firstIndex() && hi <= this.lastIndex() + 1 && lo <= hi, () => `slice [${lo}, ${hi}) out of log bounds`);
    if (lo === hi) return [];
    let result: Entry[] = [];
    if (lo < this.offset) {
      result = this.storage.entries(lo, Math.min(hi, this.offset), maxSizeBytes);
      // Storage cut the range short for size: the unstable part would exceed it too.
      if (result.length < Math.min(hi, this.offset) - lo) return result;
    }
    if (hi > this.offset) {
      const from = Math.max(lo, this.offset) - this.offset;
      const part = this.unstable.slice(from, hi - this.offset);
      result = result.length === 0 ? part : result.concat(part);
    }
    return limitSize(result, maxSizeBytes);
  }

  commitTo(index: number): void {
    if (index <= this.committed) return;
    assert(index <= this.lastIndex(), () => `commit ${index} is beyond the last index ${this.lastIndex()}`);
    this.committed = index;
  }

  /** Commit up to `index` if its entry is of `term` (the leader's rule, §5.4.2). */
  maybeCommit(index: number, term: number): boolean {
    if (index > this.committed && this.term(index) === term) {
      this.commitTo(index);
      return true;
    }
    return false;
  }

  hasEntriesToApply(): boolean {
    return this.committed > this.applied && this.unstableSnapshot === null;
  }

  /** Committed entries after `applied`, at most `maxSizeBytes` of them (at least one). */
  nextEntriesToApply(maxSizeBytes: number): Entry[] {
    if (!this.hasEntriesToApply()) return [];
    return this.slice(this.applied + 1, this.committed + 1, maxSizeBytes);
  }

  appliedTo(index: number): void {
    assert(index <= this.committed && index >= this.applied, () => `applied ${index} outside [${this.applied}, ${this.committed}]`);
    this.applied = index;
  }
}

/** Total bytes of entries, by the storage's accounting. */
export function entriesSizeBytes(entries: readonly Entry[]): number {
  let size = 0;
  for (const entry of entries) size += entrySizeBytes(entry);
  return size;
}
