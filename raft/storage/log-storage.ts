/**
 * What the Raft core reads from. The core only reads; the driver writes (after a
 * `Ready`) through the implementation's own methods. Reads are synchronous: an
 * implementation backed by a disk keeps the part of the log the core may ask for in
 * memory and persists in the background of the driver's write path.
 */
import type { ConfState, Entry, HardState, Snapshot, SnapshotMetadata } from '../core/types.js';

/** What a node starts from: its persisted hard state and the membership of its latest snapshot. */
export interface InitialState {
  readonly hardState: HardState;
  readonly confState: ConfState;
}

/** The read side of a Raft log storage, which the core calls synchronously (see the file comment). */
export interface LogStorage {
  /** The persisted hard state and the membership of the latest snapshot. */
  initialState(): InitialState;
  /**
   * Entries in [lo, hi), cut to at most `maxSizeBytes` in total (by `entrySizeBytes`)
   * but never to fewer than one entry when the range is not empty.
   * Throws `CompactedError` if lo ≤ the snapshot index, `UnavailableError` if hi > last+1.
   */
  entries(lo: number, hi: number, maxSizeBytes: number): Entry[];
  /**
   * The term of the entry at `index`, for index in [firstIndex()-1, lastIndex()]
   * (firstIndex()-1 is the snapshot's index, whose term is kept).
   */
  term(index: number): number;
  /** Index of the first entry still available (snapshot index + 1). */
  firstIndex(): number;
  /** Index of the last entry (the snapshot's index when the log after it is empty). */
  lastIndex(): number;
  /** The metadata of the most recent snapshot (index 0 before any). */
  snapshotMetadata(): SnapshotMetadata;
  /**
   * Open the most recent snapshot for reading in chunks. The reader stays valid until
   * closed, even if newer snapshots are stored meanwhile, so that a transfer to a
   * follower can finish on the snapshot it started with.
   */
  openSnapshot(): SnapshotReader;
}

/**
 * The write side a driver (`RaftNode`) needs, on top of the core's read side. Reads
 * reflect a write as soon as the write is called; the returned promise settles once the
 * write is durable (synced to disk for a disk-backed storage). The driver waits for it
 * before sending any message that depends on the write. A write that fails leaves the
 * storage unusable: every later write rejects with the same error, and the driver stops.
 */
export interface WritableLogStorage extends LogStorage {
  /**
   * Append `entries` (they follow on from the log, replacing any stored entries at the
   * same or later indexes; entries at or below the snapshot index are ignored) and, when
   * given, set the hard state, in one atomic durable write. A write that changes only the
   * hard state's commit index need not be synced: the core never needs a commit index back
   * from storage to be safe (it is learnt again from the leader).
   */
  save(entries: readonly Entry[], hardState: HardState | null): void | Promise<void>;
  /** Replace the whole contents with a snapshot received from the leader. Durable on return. */
  applySnapshot(snapshot: Snapshot): void | Promise<void>;
  /**
   * Record a snapshot the application took (metadata from `RawNode.createSnapshot`), at an
   * index ≤ the last index. Does not compact. Durable on return.
   */
  saveSnapshot(snapshot: Snapshot): void | Promise<void>;
  /** Discard entries up to and including `compactIndex` (≤ last index). */
  compact(compactIndex: number): void | Promise<void>;
  /**
   * Release files and handles; writes after `close` reject. (`MemoryStorage` holds
   * nothing to release and stays usable, so that a test can restart a node on it.)
   */
  close(): void | Promise<void>;
}

/** Reads one snapshot's data in chunks, without knowing its total size in advance. */
export interface SnapshotReader {
  readonly metadata: SnapshotMetadata;
  /** Up to `maxBytes` bytes from `offset`; `done` when the data ends with them. */
  read(offset: number, maxBytes: number): SnapshotChunk;
  /** The reader is no longer needed. */
  close(): void;
}

/** One piece of a snapshot's data; `done` on the last. */
export interface SnapshotChunk {
  readonly data: Uint8Array;
  readonly done: boolean;
}

/** Bytes an entry counts for in size limits: its payload plus a fixed framing cost. */
export function entrySizeBytes(entry: Entry): number {
  return entry.data.byteLength + ENTRY_FRAMING_BYTES;
}

/** Approximate encoded size of an entry's term, index and type. */
export const ENTRY_FRAMING_BYTES = 16;

/** Cut `entries` (in place order) to at most `maxSizeBytes`, keeping at least one. */
export function limitSize(entries: Entry[], maxSizeBytes: number): Entry[] {
  if (entries.length === 0) return entries;
  let size = entrySizeBytes(entries[0]!);
  let count = 1;
  for (; count < entries.length; count++) {
    size += entrySizeBytes(entries[count]!);
    if (size > maxSizeBytes) break;
  }
  return count === entries.length ? entries : entries.slice(0, count);
}
