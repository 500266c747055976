/**
 * A `LogStorage` held entirely in memory: for tests, the simulator, and as the read
 * cache of durable storages. Holds a snapshot, the entries after it and the hard state.
 */
import { CompactedError, SnapshotOutOfDateError, UnavailableError, assert } from '../core/errors.js';
import { EMPTY_CONF_STATE, EMPTY_HARD_STATE, EntryType } from '../core/types.js';
import type { Entry, HardState, Snapshot, SnapshotMetadata } from '../core/types.js';
import { limitSize } from './log-storage.js';
import type { InitialState, SnapshotChunk, SnapshotReader, WritableLogStorage } from './log-storage.js';

/** A `WritableLogStorage` in memory (see the file comment): for tests and in-process use. */
export class MemoryStorage implements WritableLogStorage {
  private hardState: HardState = EMPTY_HARD_STATE;
  private currentSnapshot: Snapshot;
  /**
   * `log[0]` is a dummy entry standing for the snapshot (its index and term); real entries
   * follow, so the entry at index i is `log[i - log[0].index]`.
   */
  private log: Entry[];

  /** A storage for a brand-new member of a cluster whose initial members are `voters`. */
  constructor(voters: readonly number[] = []) {
    this.currentSnapshot = {
      metadata: { index: 0, term: 0, confState: { ...EMPTY_CONF_STATE, voters: [...voters].sort((a, b) => a - b) } },
      data: new Uint8Array(0),
    };
    this.log = [dummyEntry(0, 0)];
  }

  initialState(): InitialState {
    return { hardState: this.hardState, confState: this.currentSnapshot.metadata.confState };
  }

  setHardState(hardState: HardState): void {
    this.hardState = hardState;
  }

  entries(lo: number, hi: number, maxSizeBytes: number): Entry[] {
    const offset = this.log[0]!.index;
    if (lo <= offset) throw new CompactedError(lo, offset + 1);
    if (hi > this.lastIndex() + 1) throw new UnavailableError(hi - 1, this.lastIndex());
    return limitSize(this.log.slice(lo - offset, hi - offset), maxSizeBytes);
  }

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

  /** The most recent snapshot, data included. */
  snapshot(): Snapshot {
    return this.currentSnapshot;
  }

  snapshotMetadata(): SnapshotMetadata {
    return this.currentSnapshot.metadata;
  }

  openSnapshot(): SnapshotReader {
    const { metadata, data } = this.currentSnapshot;
    return {
      metadata,
      read(offset: number, maxBytes: number): SnapshotChunk {
        assert(offset >= 0 && offset <= data.byteLength && maxBytes >= 1, () => `snapshot read at ${offset} of ${data.byteLength}`);
        const end = Math.min(data.byteLength, offset + maxBytes);
        return { data: data.subarray(offset, end), done: end === data.byteLength };
      },
      close(): void {},
    };
  }

  /**
   * Append entries that follow on from the stored log, replacing any stored entries at
   * the same or later indexes (a follower's log being overwritten by its leader's).
   * Entries at or below the snapshot index are ignored.
   */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = this.firstIndex();
    const lastNew = entries[entries.length - 1]!.index;
    if (lastNew < first) return;
    const fresh = entries[0]!.index < first ? entries.slice(first - entries[0]!.index) : entries;
    const start = fresh[0]!.index;
    assert(start <= this.lastIndex() + 1, () => `append leaves a gap: last ${this.lastIndex()}, appending ${start}`);
    const offset = this.log[0]!.index;
    this.log.length = start - offset;
    for (const entry of fresh) this.log.push(entry);
  }

  /** `append` then `setHardState`: nothing to sync in memory. */
  save(entries: readonly Entry[], hardState: HardState | null): void {
    this.append(entries);
    if (hardState !== null) this.hardState = hardState;
  }

  /** Nothing to release. */
  close(): void {}

  /** Replace the whole contents with a snapshot received from the leader. */
  applySnapshot(snapshot: Snapshot): void {
    const current = this.currentSnapshot.metadata.index;
    if (snapshot.metadata.index <= current) throw new SnapshotOutOfDateError(snapshot.metadata.index, current);
    this.currentSnapshot = snapshot;
    this.log = [dummyEntry(snapshot.metadata.index, snapshot.metadata.term)];
  }

  /**
   * Record a snapshot the application took (its metadata from `RawNode.createSnapshot`),
   * at an index ≤ the last index. Does not compact.
   */
  saveSnapshot(snapshot: Snapshot): void {
    const index = snapshot.metadata.index;
    const current = this.currentSnapshot.metadata.index;
    if (index <= current) throw new SnapshotOutOfDateError(index, current);
    assert(index <= this.lastIndex(), () => `snapshot index ${index} beyond last index ${this.lastIndex()}`);
    this.currentSnapshot = snapshot;
  }

  /** Discard entries up to and including `compactIndex` (≤ last index). */
  compact(compactIndex: number): void {
    const offset = this.log[0]!.index;
    if (compactIndex <= offset) throw new CompactedError(compactIndex, offset + 1);
    assert(compactIndex <= this.lastIndex(), () => `compact ${compactIndex} beyond last index ${this.lastIndex()}`);
    const term = this.term(compactIndex);
    this.log = [dummyEntry(compactIndex, term), ...this.log.slice(compactIndex - offset + 1)];
  }
}

function dummyEntry(index: number, term: number): Entry {
  return { index, term, type: EntryType.Normal, data: new Uint8Array(0) };
}
