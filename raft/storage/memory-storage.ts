/**
 * A `LogStorage` held entirely in memory: for tests, the simulator and in-process use.
 * Holds a snapshot, the entries after it (an `InMemoryLog`) and the hard state.
 */
import { SnapshotOutOfDateError, assert } from '../core/errors.js';
import { EMPTY_CONF_STATE, EMPTY_HARD_STATE } from '../core/types.js';
import type { Entry, HardState, Snapshot, SnapshotMetadata } from '../core/types.js';
import { InMemoryLog } from './in-memory-log.js';
import type { InitialState, SnapshotChunk, SnapshotReader, WritableLogStorage } from './log-storage.js';

/** A `WritableLogStorage` in memory (see the file comment): for tests and in-process use. */
export class MemoryStorage implements WritableLogStorage {
  private hardState: HardState = EMPTY_HARD_STATE;
  private currentSnapshot: Snapshot;
  private log = new InMemoryLog();

  /** A storage for a brand-new member of a cluster whose initial members are `voters`. */
  constructor(voters: readonly number[] = []) {
    this.currentSnapshot = {
      metadata: { index: 0, term: 0, confState: { ...EMPTY_CONF_STATE, voters: [...voters].sort((a, b) => a - b) } },
      data: new Uint8Array(0),
    };
  }

  initialState(): InitialState {
    return { hardState: this.hardState, confState: this.currentSnapshot.metadata.confState };
  }

  setHardState(hardState: HardState): void {
    this.hardState = hardState;
  }

  entries(lo: number, hi: number, maxSizeBytes: number): Entry[] {
    return this.log.entries(lo, hi, maxSizeBytes);
  }

  term(index: number): number {
    return this.log.term(index);
  }

  firstIndex(): number {
    return this.log.firstIndex();
  }

  lastIndex(): number {
    return this.log.lastIndex();
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
    this.log.append(entries);
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
    this.log.reset(snapshot.metadata);
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
    this.log.compact(compactIndex);
  }
}
