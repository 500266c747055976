/**
 * A durable `WritableLogStorage` on LevelDB (the `level` package, classic-level under
 * Node), with snapshot data in files beside it (`snapshot-files.ts`).
 *
 * The core reads synchronously, so the whole log after the compaction point, the hard
 * state and the snapshot metadata are loaded at open and kept in memory; snapshot data
 * stays on disk and is read in chunks. A write updates memory at once (reads reflect it
 * when the call returns) and joins a queue that makes writes durable one at a time, in
 * call order; its promise resolves once it is synced. A write that fails leaves the
 * storage unusable: every later write rejects with the same error.
 *
 * On disk (`<dir>/log` is the LevelDB database, `storage-codec.ts` has its layout):
 * - `save` is one synced batch: the new entries as one run (one LevelDB record however many
 *   entries: per-entry records cost more than the rest of a write), the deletion of the
 *   runs a conflicting suffix (§5.3) starts before, and the hard state. A save that only
 *   raises the commit index writes nothing: the new commit index goes with the next batch
 *   (or at `close`), as etcd's WAL syncs no commit-only record. One lost in a crash is
 *   learnt again from the leader, and a stored one never passes the entries stored before
 *   it; at open the commit index reported is at least the snapshot's index and the
 *   compaction point (both hold committed entries only). On the commit path that spares
 *   every member a disk write per commit.
 * - `saveSnapshot` and `applySnapshot` first write the data file (temporary name, sync,
 *   rename, directory sync), then one synced batch switches the snapshot record to it;
 *   `applySnapshot`'s batch also moves the compaction point to the snapshot and deletes
 *   every run. The previous file is deleted once no reader has it open.
 * - `compact` writes the new compaction point, then deletes the runs wholly up to it, neither
 *   synced: losing a compaction loses nothing the protocol depends on, and LevelDB's log
 *   is replayed in order, so a later synced write makes it durable too.
 *
 * At open, runs wholly at or below the compaction point (left by an interrupted compaction)
 * are deleted, a database of the earlier layout (a record per entry) is rewritten as runs, and so are snapshot files other than the recorded one (temporary files of
 * interrupted writes, files written but never recorded, files superseded before a crash).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Level } from 'level';
import { SnapshotOutOfDateError, StorageCorruptError, assert } from '../core/errors.js';
import { EMPTY_CONF_STATE, EMPTY_HARD_STATE } from '../core/types.js';
import type { Entry, HardState, Snapshot, SnapshotMetadata } from '../core/types.js';
import { InMemoryLog } from './in-memory-log.js';
import type { InitialState, SnapshotChunk, SnapshotReader, WritableLogStorage } from './log-storage.js';
import { SnapshotFiles } from './snapshot-files.js';
import {
  COMPACTED_KEY,
  ENTRY_KEY_END,
  ENTRY_KEY_MIN,
  ENTRY_PER_KEY_FORMAT_VERSION,
  FORMAT_KEY,
  RUN_KEY_END,
  RUN_KEY_MIN,
  HARD_STATE_KEY,
  SNAPSHOT_KEY,
  STORAGE_FORMAT_VERSION,
  decodeCompactionPoint,
  decodeEntry,
  decodeEntryKey,
  decodeFormat,
  decodeHardState,
  decodeRun,
  decodeRunKey,
  decodeSnapshotRecord,
  encodeCompactionPoint,
  encodeFormat,
  encodeHardState,
  encodeRun,
  encodeSnapshotRecord,
  runKey,
} from './storage-codec.js';
import type { CompactionPoint, SnapshotRecord } from './storage-codec.js';

/** Where and how `LevelStorage.open` opens a storage. */
export interface LevelStorageOptions {
  /**
   * The directory holding the storage, created (with its parents) if missing: the LevelDB
   * database in `<dir>/log`, snapshot data in `<dir>/snapshots`. One storage at a time
   * per directory: LevelDB locks it, and a second open fails (`LEVEL_DATABASE_NOT_OPEN`,
   * caused by `LEVEL_LOCKED`).
   */
  readonly dir: string;
  /**
   * The initial members of the cluster (node ids), reported by
   * `initialState().confState.voters` for a brand-new directory, as for
   * `new MemoryStorage(voters)`; stored, so a reopen reports them too. Ignored when the
   * directory already holds state. Default: none.
   */
  readonly initialVoters?: readonly number[];
}

/** The LevelDB database's subdirectory of `LevelStorageOptions.dir`. */
export const LOG_DIRECTORY = 'log';
/** The snapshot files' subdirectory of `LevelStorageOptions.dir`. */
export const SNAPSHOT_DIRECTORY = 'snapshots';
/**
 * Writes called and not yet durable, at most. A driver waits for each write before the
 * next `Ready`, so a longer queue is a caller that never waits: a bug.
 */
export const WRITE_QUEUE_MAX = 1024;

type Database = Level<Uint8Array, Uint8Array>;
type Operation = { type: 'put'; key: Uint8Array; value: Uint8Array } | { type: 'del'; key: Uint8Array };
/** The part of a write that makes it durable; runs in the write queue. */
type DurableWrite = () => Promise<void>;

/** What the storage finds on disk at open. */
interface StoredState {
  readonly hardState: HardState;
  readonly snapshot: SnapshotRecord;
  readonly compacted: CompactionPoint;
  /** The entries after the compaction point, contiguous. */
  readonly entries: Entry[];
  /** The runs on disk holding them, by first index, each with the last index it still holds. */
  readonly runs: Run[];
}

/** A run of entries on disk: its key's index, and the last index of the log it still holds (later runs replace the rest). */
interface Run {
  readonly first: number;
  last: number;
}

/** The latest snapshot as reads see it. */
interface CurrentSnapshot {
  readonly metadata: SnapshotMetadata;
  /** Its data file; `null` for the empty snapshot at index 0. */
  readonly fileName: string | null;
  /** Its data while the file is not yet recorded (readers read from memory meanwhile); then `null`. */
  pendingData: Uint8Array | null;
}

const SYNC = { sync: true } as const;
const EMPTY_DATA = new Uint8Array(0);

/**
 * A durable `WritableLogStorage`: the log, hard state and snapshot metadata in a level
 * database, snapshot data in files; every write is synced before its promise resolves,
 * except one that only raises the commit index (see `save`).
 * Open it with `LevelStorage.open`; the log after the last snapshot is kept in memory for
 * the core's synchronous reads.
 */
export class LevelStorage implements WritableLogStorage {
  private hardState: HardState;
  private snapshot: CurrentSnapshot;
  /** The log after the compaction point, as stored: the core's reads are answered from it. */
  private readonly log: InMemoryLog;
  /** The runs on disk, in index order (see `storage-codec.ts`). */
  private runs: Run[];
  /** The snapshot file the durable record points to. */
  private recordedSnapshotFile: string | null;
  /** Settles when the last queued write has finished, successfully or not; never rejects. */
  private queueTail: Promise<void> = Promise.resolve();
  private queuedWrites = 0;
  /** The first error of a durable write: the storage is unusable from then on. */
  private failure: { readonly error: unknown } | null = null;
  private closing: Promise<void> | null = null;
  /** The hard state in memory has a commit index not yet written (the rest of it is). */
  private hardStateUnwritten = false;

  private constructor(
    private readonly db: Database,
    private readonly files: SnapshotFiles,
    stored: StoredState,
  ) {
    this.hardState = stored.hardState;
    this.snapshot = { metadata: stored.snapshot.metadata, fileName: stored.snapshot.fileName, pendingData: null };
    this.recordedSnapshotFile = stored.snapshot.fileName;
    this.log = new InMemoryLog(stored.compacted, stored.entries);
    this.runs = stored.runs;
  }

  /**
   * Open the storage in `options.dir`, creating it if missing, and load its state.
   * Rejects with `StorageCorruptError` if the stored state cannot be read.
   */
  static async open(options: LevelStorageOptions): Promise<LevelStorage> {
    await mkdir(options.dir, { recursive: true });
    const files = await SnapshotFiles.open(join(options.dir, SNAPSHOT_DIRECTORY));
    const db: Database = new Level<Uint8Array, Uint8Array>(join(options.dir, LOG_DIRECTORY), {
      keyEncoding: 'view',
      valueEncoding: 'view',
    });
    await db.open();
    try {
      const stored = await loadState(db, options.initialVoters ?? []);
      await files.removeAllBut(stored.snapshot.fileName);
      return new LevelStorage(db, files, stored);
    } catch (error) {
      await db.close();
      throw error;
    }
  }

  initialState(): InitialState {
    return { hardState: this.hardState, confState: this.snapshot.metadata.confState };
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

  snapshotMetadata(): SnapshotMetadata {
    return this.snapshot.metadata;
  }

  /**
   * A reader of the latest snapshot: from its file once recorded (the file is kept until
   * the reader is closed), from memory while the write is still under way.
   */
  openSnapshot(): SnapshotReader {
    const { metadata, fileName, pendingData } = this.snapshot;
    if (fileName === null || pendingData !== null) return memoryReader(metadata, pendingData ?? EMPTY_DATA);
    return this.files.openReader(fileName, metadata);
  }

  /**
   * Append `entries` and, when given, set the hard state, in one synced batch. The entries
   * follow on from the log (no gap) and replace any stored entries at the same or later
   * indexes; entries at or below the compaction point are ignored.
   */
  save(entries: readonly Entry[], hardState: HardState | null): Promise<void> {
    return this.write(() => {
      const termOrVote = hardState !== null && (hardState.term !== this.hardState.term || hardState.vote !== this.hardState.vote);
      if (entries.length === 0 && !termOrVote) {
        // Only the commit index moved: written with the next write instead (see the file comment).
        if (hardState !== null) {
          this.hardState = { term: hardState.term, vote: hardState.vote, commit: hardState.commit };
          this.hardStateUnwritten = true;
        }
        return async () => {};
      }
      const operations = this.appendToLog(entries);
      if (hardState !== null) this.hardState = { term: hardState.term, vote: hardState.vote, commit: hardState.commit };
      if (hardState !== null || this.hardStateUnwritten) {
        operations.push({ type: 'put', key: HARD_STATE_KEY, value: encodeHardState(this.hardState) });
        this.hardStateUnwritten = false;
      }
      return async () => {
        if (operations.length > 0) await this.db.batch(operations, SYNC);
      };
    });
  }

  /** `save(entries, null)`. */
  append(entries: readonly Entry[]): Promise<void> {
    return this.save(entries, null);
  }

  /** `save([], hardState)`. */
  setHardState(hardState: HardState): Promise<void> {
    return this.save([], hardState);
  }

  /**
   * Replace the whole contents with a snapshot received from the leader: the log is
   * discarded, the hard state kept. Refused with `SnapshotOutOfDateError` unless newer
   * than the current snapshot. The storage holds on to `snapshot.data` (do not modify it).
   */
  applySnapshot(snapshot: Snapshot): Promise<void> {
    return this.write(() => {
      const { index, term } = snapshot.metadata;
      const current = this.snapshot.metadata.index;
      if (index <= current) throw new SnapshotOutOfDateError(index, current);
      const point: CompactionPoint = { index, term };
      // The whole log goes, in the same batch as the record.
      const operations: Operation[] = [{ type: 'put', key: COMPACTED_KEY, value: encodeCompactionPoint(point) }];
      for (const run of this.runs) operations.push({ type: 'del', key: runKey(run.first) });
      this.runs = [];
      this.log.reset(point);
      return this.replaceSnapshot(snapshot, operations);
    });
  }

  /**
   * Record a snapshot the application took, at an index ≤ the last index and newer than
   * the current snapshot (else `SnapshotOutOfDateError`). Does not compact. The storage
   * holds on to `snapshot.data` (do not modify it).
   */
  saveSnapshot(snapshot: Snapshot): Promise<void> {
    return this.write(() => {
      const index = snapshot.metadata.index;
      const current = this.snapshot.metadata.index;
      if (index <= current) throw new SnapshotOutOfDateError(index, current);
      assert(index <= this.lastIndex(), () => `snapshot index ${index} beyond last index ${this.lastIndex()}`);
      return this.replaceSnapshot(snapshot, []);
    });
  }

  /**
   * Discard entries up to and including `compactIndex` (≤ last index). Refused with
   * `CompactedError` at or below the current compaction point. Not synced (see above).
   */
  compact(compactIndex: number): Promise<void> {
    return this.write(() => {
      const point: CompactionPoint = this.log.compact(compactIndex);
      const gone = this.runs.filter((run) => run.last <= compactIndex);
      this.runs = this.runs.filter((run) => run.last > compactIndex);
      return async () => {
        // The point first: entries at or below it are ignored at open, so a crash
        // between the two leaves a consistent log.
        await this.db.put(COMPACTED_KEY, encodeCompactionPoint(point));
        if (gone.length > 0) await this.db.batch(gone.map((run) => ({ type: 'del' as const, key: runKey(run.first) })));
      };
    });
  }

  /**
   * Close the database once every queued write has finished. Writes called afterwards
   * reject; reads keep answering from memory, and open snapshot readers stay usable
   * until closed. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.queueTail
      .then(async () => {
        if (this.hardStateUnwritten && this.failure === null) await this.db.put(HARD_STATE_KEY, encodeHardState(this.hardState), SYNC);
      })
      .catch(() => undefined)
      .then(() => this.db.close());
    return this.closing;
  }

  /**
   * Run `prepare` now (it checks the write's preconditions, updates memory and returns
   * the durable part), then queue the durable part behind every earlier write. A refused
   * precondition rejects without changing anything and leaves the storage usable.
   */
  private write(prepare: () => DurableWrite): Promise<void> {
    let durable: DurableWrite;
    try {
      if (this.failure !== null) throw this.failure.error;
      assert(this.closing === null, 'write to a closed LevelStorage');
      assert(this.queuedWrites < WRITE_QUEUE_MAX, () => `more than ${WRITE_QUEUE_MAX} writes queued`);
      durable = prepare();
    } catch (error) {
      return Promise.reject(error);
    }
    this.queuedWrites++;
    const result = this.queueTail.then(async () => {
      try {
        if (this.failure !== null) throw this.failure.error;
        await durable();
      } catch (error) {
        this.failure ??= { error };
        throw error;
      } finally {
        this.queuedWrites--;
      }
    });
    this.queueTail = result.catch(() => undefined);
    return result;
  }

  /**
   * Append to the in-memory log (as `MemoryStorage.append`); returns the batch operations:
   * the new entries as one run, and the deletion of the runs starting at or after it (the
   * run it starts inside keeps its replaced tail on disk, which the new run overrides).
   */
  private appendToLog(entries: readonly Entry[]): Operation[] {
    const fresh = this.log.append(entries);
    if (fresh.length === 0) return [];
    const first = fresh[0]!.index;
    const operations: Operation[] = [];
    while (this.runs.length > 0 && this.runs[this.runs.length - 1]!.first >= first) {
      operations.push({ type: 'del', key: runKey(this.runs.pop()!.first) });
    }
    const before = this.runs[this.runs.length - 1];
    if (before !== undefined && before.last >= first) before.last = first - 1;
    this.runs.push({ first, last: fresh[fresh.length - 1]!.index });
    operations.push({ type: 'put', key: runKey(first), value: encodeRun(fresh) });
    return operations;
  }

  /**
   * Make `snapshot` the current one in memory; the returned durable part writes its file,
   * then records it (with `operations`) in one synced batch, then retires the file the
   * record pointed to before.
   */
  private replaceSnapshot(snapshot: Snapshot, operations: Operation[]): DurableWrite {
    const { metadata, data } = snapshot;
    const fileName = SnapshotFiles.fileName(metadata.index, metadata.term);
    const current: CurrentSnapshot = { metadata, fileName, pendingData: data };
    this.snapshot = current;
    const record = encodeSnapshotRecord({ metadata, fileName });
    return async () => {
      await this.files.write(fileName, data);
      await this.db.batch([{ type: 'put', key: SNAPSHOT_KEY, value: record }, ...operations], SYNC);
      const previous = this.recordedSnapshotFile;
      this.recordedSnapshotFile = fileName;
      current.pendingData = null;
      if (previous !== null && previous !== fileName) this.files.retire(previous);
    };
  }
}

/** Read the stored state, or initialize a brand-new database with `voters`. */
async function loadState(db: Database, voters: readonly number[]): Promise<StoredState> {
  const [format, hardState, snapshot, compacted] = await db.getMany([FORMAT_KEY, HARD_STATE_KEY, SNAPSHOT_KEY, COMPACTED_KEY]);
  if (format === undefined) return initialize(db, voters);
  const version = decodeFormat(format);
  if (version !== STORAGE_FORMAT_VERSION && version !== ENTRY_PER_KEY_FORMAT_VERSION) {
    throw new StorageCorruptError(`format ${version}, expected ${STORAGE_FORMAT_VERSION}`);
  }
  if (hardState === undefined || snapshot === undefined || compacted === undefined) {
    throw new StorageCorruptError('a state record is missing');
  }
  const point = decodeCompactionPoint(compacted);
  const { entries, runs } = version === ENTRY_PER_KEY_FORMAT_VERSION ? await migrateToRuns(db, point.index) : await loadRuns(db, point.index);
  const stored = decodeHardState(hardState);
  const snapshotRecord = decodeSnapshotRecord(snapshot);
  // A snapshot and a compacted log hold committed entries only: the commit index is at
  // least as far, though the one stored may lag (a commit index alone is not written
  // at once, and a crash may fall between a received snapshot and the next write).
  const commit = Math.max(stored.commit, snapshotRecord.metadata.index, point.index);
  return {
    hardState: { ...stored, commit },
    snapshot: snapshotRecord,
    compacted: point,
    entries,
    runs,
  };
}

/**
 * The entries after `offset` from the runs, each replacing from its first index on what
 * the runs before it hold; they must run without a gap from `offset + 1`. Runs wholly at
 * or below `offset` (left by a compaction interrupted between its record and its
 * deletions) are deleted.
 */
async function loadRuns(db: Database, offset: number): Promise<{ entries: Entry[]; runs: Run[] }> {
  const entries: Entry[] = [];
  const runs: Run[] = [];
  const stale: Uint8Array[] = [];
  for await (const [key, value] of db.iterator({ gte: RUN_KEY_MIN, lt: RUN_KEY_END })) {
    const first = decodeRunKey(key);
    const run = decodeRun(first, value);
    const last = run[run.length - 1]!.index;
    if (last <= offset) {
      stale.push(key);
      continue;
    }
    // What this run replaces: the tail of the log from its first index on.
    const keep = Math.max(0, Math.min(entries.length, first - offset - 1));
    entries.length = keep;
    while (runs.length > 0 && runs[runs.length - 1]!.first >= first) runs.pop();
    if (runs.length > 0) runs[runs.length - 1]!.last = Math.min(runs[runs.length - 1]!.last, first - 1);
    const expected = offset + entries.length + 1;
    const from = Math.max(first, offset + 1);
    if (from !== expected) throw new StorageCorruptError(`run ${first} leaves a gap: entry ${expected} was expected`);
    for (let i = from - first; i < run.length; i++) entries.push(run[i]!);
    runs.push({ first, last });
  }
  if (stale.length > 0) await db.batch(stale.map((key) => ({ type: 'del' as const, key })));
  return { entries, runs };
}

/** A format-1 database (a key per entry): its entries become one run, in one synced batch. */
async function migrateToRuns(db: Database, offset: number): Promise<{ entries: Entry[]; runs: Run[] }> {
  const entries: Entry[] = [];
  const keys: Uint8Array[] = [];
  for await (const [key, value] of db.iterator({ gte: ENTRY_KEY_MIN, lt: ENTRY_KEY_END })) {
    keys.push(key);
    const index = decodeEntryKey(key);
    if (index <= offset) continue;
    const entry = decodeEntry(value);
    const expected = offset + entries.length + 1;
    if (index !== expected || entry.index !== index) {
      throw new StorageCorruptError(`entry ${entry.index} under key ${index} where ${expected} was expected`);
    }
    entries.push(entry);
  }
  const operations: Operation[] = keys.map((key) => ({ type: 'del', key }));
  if (entries.length > 0) operations.push({ type: 'put', key: runKey(entries[0]!.index), value: encodeRun(entries) });
  operations.push({ type: 'put', key: FORMAT_KEY, value: encodeFormat() });
  await db.batch(operations, SYNC);
  return { entries, runs: entries.length === 0 ? [] : [{ first: entries[0]!.index, last: entries[entries.length - 1]!.index }] };
}

/** Record the empty state of a new member of a cluster of `voters`, synced. */
async function initialize(db: Database, voters: readonly number[]): Promise<StoredState> {
  for await (const _key of db.keys({ limit: 1 })) throw new StorageCorruptError('a database without a format record');
  const state: StoredState = {
    hardState: EMPTY_HARD_STATE,
    snapshot: {
      metadata: { index: 0, term: 0, confState: { ...EMPTY_CONF_STATE, voters: [...voters].sort((a, b) => a - b) } },
      fileName: null,
    },
    compacted: { index: 0, term: 0 },
    entries: [],
    runs: [],
  };
  await db.batch(
    [
      { type: 'put', key: FORMAT_KEY, value: encodeFormat() },
      { type: 'put', key: HARD_STATE_KEY, value: encodeHardState(state.hardState) },
      { type: 'put', key: SNAPSHOT_KEY, value: encodeSnapshotRecord(state.snapshot) },
      { type: 'put', key: COMPACTED_KEY, value: encodeCompactionPoint(state.compacted) },
    ],
    SYNC,
  );
  return state;
}

function memoryReader(metadata: SnapshotMetadata, data: Uint8Array): SnapshotReader {
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
