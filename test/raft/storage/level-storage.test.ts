/**
 * `LevelStorage` against the `LogStorage` compliance suite, plus what only a durable
 * storage has: reopening restores exactly what was written, the initial members are
 * taken from a brand-new directory only, snapshot files outlive the readers that use
 * them and no longer, leftovers of interrupted writes are removed at open, queued writes
 * reach the disk in call order, and a closed or failed storage refuses writes.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { AssertionFailedError } from '../../../raft/core/errors.js';
import { EntryType } from '../../../raft/core/types.js';
import type { ConfState, Entry, HardState, Snapshot } from '../../../raft/core/types.js';
import { LOG_DIRECTORY, LevelStorage, SNAPSHOT_DIRECTORY } from '../../../raft/storage/level-storage.js';
import type { SnapshotReader } from '../../../raft/storage/log-storage.js';
import { SnapshotFiles } from '../../../raft/storage/snapshot-files.js';
import { StorageCorruptError } from '../../../raft/core/errors.js';
import { FORMAT_KEY, encodeEntry, encodeRun, entryKey, runKey } from '../../../raft/storage/storage-codec.js';
import { Packr } from 'msgpackr';
import { entries, entry, logStorageCompliance } from './log-storage-compliance.js';

const UNLIMITED = Number.MAX_SAFE_INTEGER;

/** Directories made by this file's tests, removed after each test. */
const directories: string[] = [];

function freshDirectory(): string {
  const dir = mkdtempSync(join(tmpdir(), 'balsa-level-storage-'));
  directories.push(dir);
  return dir;
}

/** Storages opened by a test and not yet closed by it: closed after each test. */
const opened: LevelStorage[] = [];

async function open(dir: string, initialVoters?: readonly number[]): Promise<LevelStorage> {
  const storage = await LevelStorage.open(initialVoters === undefined ? { dir } : { dir, initialVoters });
  opened.push(storage);
  return storage;
}

afterEach(async () => {
  // The compliance suite closes its own storage; closing twice is allowed.
  for (const storage of opened.splice(0)) await storage.close();
  for (const dir of directories.splice(0)) rmSync(dir, { recursive: true, force: true });
});

logStorageCompliance('LevelStorage', ({ voters }) => open(freshDirectory(), voters));

function confStateOf(voters: number[], learners: number[] = []): ConfState {
  return { voters, learners, votersOutgoing: [], learnersNext: [] };
}

function snapshotAt(index: number, term: number, sizeBytes = 10, confState = confStateOf([1, 2, 3])): Snapshot {
  return { metadata: { index, term, confState }, data: Uint8Array.from({ length: sizeBytes }, (_, i) => (index + i) % 256) };
}

function readWhole(reader: SnapshotReader): Uint8Array {
  const parts: number[] = [];
  for (let offset = 0; ; ) {
    const chunk = reader.read(offset, 7);
    parts.push(...chunk.data);
    offset += chunk.data.byteLength;
    if (chunk.done) return Uint8Array.from(parts);
  }
}

function storedSnapshot(storage: LevelStorage): Snapshot {
  const reader = storage.openSnapshot();
  try {
    return { metadata: reader.metadata, data: readWhole(reader) };
  } finally {
    reader.close();
  }
}

/** Everything the read side reports, for comparing a storage before and after a reopen. */
function observe(storage: LevelStorage) {
  const first = storage.firstIndex();
  const last = storage.lastIndex();
  return {
    first,
    last,
    terms: Array.from({ length: last - first + 2 }, (_, i) => storage.term(first - 1 + i)),
    entries: storage.entries(first, last + 1, UNLIMITED),
    initialState: storage.initialState(),
    snapshot: storedSnapshot(storage),
  };
}

function snapshotFiles(dir: string): string[] {
  return readdirSync(join(dir, SNAPSHOT_DIRECTORY)).sort();
}

async function reopen(storage: LevelStorage, dir: string): Promise<LevelStorage> {
  await storage.close();
  return open(dir);
}

describe('LevelStorage', () => {
  describe('reopening', () => {
    it('restores entries (types and payloads), hard state and snapshot exactly', async () => {
      const dir = freshDirectory();
      const storage = await open(dir, [1, 2, 3]);
      const written: Entry[] = [
        { index: 1, term: 1, type: EntryType.Normal, data: new Uint8Array([1, 2, 3]) },
        { index: 2, term: 1, type: EntryType.ConfChange, data: new Uint8Array([9]) },
        { index: 3, term: 2, type: EntryType.Normal, data: new Uint8Array(0) },
        { index: 4, term: 2, type: EntryType.Normal, data: new Uint8Array(3000).fill(7) },
      ];
      await storage.save(written, { term: 2, vote: 3, commit: 3 });
      const snapshot = snapshotAt(2, 1, 5000, { voters: [1, 2, 4], learners: [5], votersOutgoing: [1, 2, 3], learnersNext: [3] });
      await storage.saveSnapshot(snapshot);
      const before = observe(storage);

      const reopened = await reopen(storage, dir);
      expect(observe(reopened)).toEqual(before);
      expect(reopened.entries(1, 5, UNLIMITED)).toEqual(written);
      expect(storedSnapshot(reopened)).toEqual(snapshot);
      expect(reopened.initialState()).toEqual({ hardState: { term: 2, vote: 3, commit: 3 }, confState: snapshot.metadata.confState });
    });

    it('has no trace of a suffix a later save replaced: one run per save, later runs replacing earlier ones from their first index', async () => {
      const dir = freshDirectory();
      const storage = await open(dir);
      await storage.save(entries(1, 3), { term: 1, vote: 1, commit: 2 });
      await storage.save(entries(4, 9), null);
      await storage.save(entries(10, 12), null);
      // A new leader's entries from 6 on: the run at 10 goes, the run at 4 keeps 4..5.
      await storage.save(entries(6, 7, () => 2), { term: 2, vote: 2, commit: 2 });
      const reopened = await reopen(storage, dir);
      expect(reopened.lastIndex()).toBe(7);
      expect(reopened.entries(1, 8, UNLIMITED).map((e) => e.term)).toEqual([1, 1, 1, 1, 1, 2, 2]);
      // And again, from inside the run just written.
      await reopened.save(entries(7, 8, () => 3), { term: 3, vote: 3, commit: 2 });
      const again = await reopen(reopened, dir);
      expect(again.entries(1, 9, UNLIMITED).map((e) => e.term)).toEqual([1, 1, 1, 1, 1, 2, 3, 3]);
      await again.close();
      expect(await withRawDatabase(dir, (db) => db.getMany([1, 4, 6, 7, 10].map(runKey)))).toEqual([
        expect.any(Uint8Array),
        expect.any(Uint8Array),
        expect.any(Uint8Array),
        expect.any(Uint8Array),
        undefined,
      ]);
    });

    it('opens a database of the earlier layout (a record per entry) and rewrites it as runs', async () => {
      const dir = freshDirectory();
      await (await open(dir)).close();
      const packr = new Packr({ useRecords: false, mapsAsObjects: true });
      await withRawDatabase(dir, (db) =>
        db.batch([
          { type: 'put', key: FORMAT_KEY, value: packr.pack(1) },
          ...[1, 2, 3, 4].map((index) => ({ type: 'put' as const, key: entryKey(index), value: encodeEntry(entry(index, index < 3 ? 1 : 2)) })),
        ]),
      );
      const migrated = await open(dir);
      expect(migrated.entries(1, 5, UNLIMITED)).toEqual([entry(1, 1), entry(2, 1), entry(3, 2), entry(4, 2)]);
      await migrated.append(entries(5, 6, () => 2));
      const reopened = await reopen(migrated, dir);
      expect(reopened.entries(1, 7, UNLIMITED).map((e) => e.term)).toEqual([1, 1, 2, 2, 2, 2]);
      await reopened.close();
      expect(await withRawDatabase(dir, (db) => db.getMany([entryKey(1), entryKey(4), runKey(1), FORMAT_KEY]))).toEqual([
        undefined,
        undefined,
        expect.any(Uint8Array),
        packr.pack(2),
      ]);
    });

    it('reports first index, last index and terms after a compaction that lags the snapshot', async () => {
      const dir = freshDirectory();
      const storage = await open(dir);
      await storage.append(entries(1, 20, (index) => Math.ceil(index / 5)));
      await storage.saveSnapshot(snapshotAt(15, 3));
      await storage.compact(12);

      const reopened = await reopen(storage, dir);
      expect(reopened.firstIndex()).toBe(13);
      expect(reopened.lastIndex()).toBe(20);
      expect(reopened.term(12)).toBe(3);
      expect([13, 15, 16, 20].map((index) => reopened.term(index))).toEqual([3, 3, 4, 4]);
      expect(() => reopened.term(11)).toThrow(/compacted/);
      expect(reopened.snapshotMetadata().index).toBe(15);
      // The log goes on where it was.
      await reopened.append(entries(21, 22, () => 5));
      expect((await reopen(reopened, dir)).lastIndex()).toBe(22);
    });

    it('a commit index set alone survives a clean close, and goes out with the next write of entries or of a term and vote', async () => {
      const dir = freshDirectory();
      const storage = await open(dir);
      await storage.save(entries(1, 5), { term: 2, vote: 1, commit: 1 });
      await storage.setHardState({ term: 2, vote: 1, commit: 3 });
      expect(storage.initialState().hardState).toEqual({ term: 2, vote: 1, commit: 3 });
      // Closed cleanly: the commit index is there.
      const reopened = await reopen(storage, dir);
      expect(reopened.initialState().hardState).toEqual({ term: 2, vote: 1, commit: 3 });
      await reopened.setHardState({ term: 2, vote: 1, commit: 4 });
      await reopened.save(entries(6, 6, () => 2), null);
      await reopened.setHardState({ term: 2, vote: 1, commit: 5 });
      // A term or a vote is written at once, with the latest commit index.
      await reopened.setHardState({ term: 3, vote: 2, commit: 5 });
      expect((await reopen(reopened, dir)).initialState().hardState).toEqual({ term: 3, vote: 2, commit: 5 });
    });

    it('reports the state a received snapshot left: log discarded, term and vote kept, committed up to the snapshot', async () => {
      const dir = freshDirectory();
      const storage = await open(dir);
      await storage.save(entries(1, 10), { term: 1, vote: 1, commit: 4 });
      await storage.applySnapshot(snapshotAt(7, 3, 64));

      const reopened = await reopen(storage, dir);
      expect(reopened.firstIndex()).toBe(8);
      expect(reopened.lastIndex()).toBe(7);
      expect(reopened.term(7)).toBe(3);
      // A snapshot holds committed entries only: a commit index stored below it (a crash
      // before the next write raised it) reads as the snapshot's, or the core would refuse it.
      expect(reopened.initialState().hardState).toEqual({ term: 1, vote: 1, commit: 7 });
      expect(storedSnapshot(reopened)).toEqual(snapshotAt(7, 3, 64));
    });

    it('after compacting the whole log, continues from the compaction point', async () => {
      const dir = freshDirectory();
      const storage = await open(dir);
      await storage.append(entries(1, 6, () => 2));
      await storage.compact(6);
      const reopened = await reopen(storage, dir);
      expect([reopened.firstIndex(), reopened.lastIndex(), reopened.term(6)]).toEqual([7, 6, 2]);
      expect(reopened.entries(7, 7, UNLIMITED)).toEqual([]);
    });

    it('ignores and deletes runs found wholly at or below the compaction point', async () => {
      const dir = freshDirectory();
      const storage = await open(dir);
      await storage.append(entries(1, 3));
      await storage.append(entries(4, 8));
      await storage.compact(5);
      await storage.close();
      // What a crash between the compaction's record and its deletions leaves behind: the
      // run at 1 (wholly compacted); the run at 4 stays, holding 6..8 still.
      await withRawDatabase(dir, (db) => db.put(runKey(1), encodeRun(entries(1, 3))));

      const reopened = await open(dir);
      expect([reopened.firstIndex(), reopened.lastIndex()]).toEqual([6, 8]);
      await reopened.close();
      expect(await withRawDatabase(dir, (db) => db.getMany([runKey(1), runKey(4)]))).toEqual([undefined, expect.any(Uint8Array)]);
    });
  });

  describe('a damaged database', () => {
    async function damaged(plant: (db: Level<Uint8Array, Uint8Array>) => Promise<void>): Promise<string> {
      const dir = freshDirectory();
      const storage = await open(dir);
      await storage.append(entries(1, 2));
      await storage.append(entries(3, 3));
      await storage.append(entries(4, 5));
      await storage.close();
      await withRawDatabase(dir, plant);
      return dir;
    }

    it('is refused at open when a run does not decode', async () => {
      const dir = await damaged((db) => db.put(runKey(3), new Uint8Array([0xc1])));
      await expect(LevelStorage.open({ dir })).rejects.toThrow(StorageCorruptError);
    });

    it('is refused at open when the log has a gap', async () => {
      const dir = await damaged((db) => db.del(runKey(3)));
      await expect(LevelStorage.open({ dir })).rejects.toThrow(/run 4 leaves a gap: entry 3 was expected/);
    });

    it('is refused at open when an entry sits under another index', async () => {
      const dir = await damaged((db) => db.put(runKey(3), encodeRun([entry(9, 1)])));
      await expect(LevelStorage.open({ dir })).rejects.toThrow(StorageCorruptError);
    });
  });

  describe('initial members', () => {
    it('come from initialVoters for a brand-new directory, sorted, and stay on reopen', async () => {
      const dir = freshDirectory();
      const storage = await open(dir, [3, 1, 2]);
      expect(storage.initialState().confState).toEqual(confStateOf([1, 2, 3]));
      await storage.close();
      expect((await open(dir)).initialState().confState).toEqual(confStateOf([1, 2, 3]));
    });

    it('are ignored when the directory already holds state', async () => {
      const dir = freshDirectory();
      await (await open(dir, [1, 2, 3])).close();
      const reopened = await open(dir, [7, 8]);
      expect(reopened.initialState().confState.voters).toEqual([1, 2, 3]);
      expect(reopened.snapshotMetadata()).toEqual({ index: 0, term: 0, confState: confStateOf([1, 2, 3]) });
    });

    it('default to none', async () => {
      expect((await open(freshDirectory())).initialState().confState).toEqual(confStateOf([]));
    });
  });

  describe('snapshot files', () => {
    it('keeps one file per recorded snapshot, deleting the previous one when no reader holds it', async () => {
      const dir = freshDirectory();
      const storage = await open(dir);
      await storage.append(entries(1, 10));
      expect(snapshotFiles(dir)).toEqual([]);
      await storage.saveSnapshot(snapshotAt(4, 1));
      expect(snapshotFiles(dir)).toEqual([SnapshotFiles.fileName(4, 1)]);
      await storage.saveSnapshot(snapshotAt(6, 1));
      expect(snapshotFiles(dir)).toEqual([SnapshotFiles.fileName(6, 1)]);
      await storage.applySnapshot(snapshotAt(12, 2));
      expect(snapshotFiles(dir)).toEqual([SnapshotFiles.fileName(12, 2)]);
    });

    it('keeps a file a reader still uses after a newer snapshot is stored, and deletes it when the reader closes', async () => {
      const dir = freshDirectory();
      const storage = await open(dir);
      await storage.append(entries(1, 10));
      const old = snapshotAt(4, 1, 100);
      await storage.saveSnapshot(old);
      const reader = storage.openSnapshot();
      const second = storage.openSnapshot();
      expect(reader.read(0, 10).data).toEqual(old.data.slice(0, 10));

      await storage.saveSnapshot(snapshotAt(8, 1));
      await storage.compact(8);
      const oldFile = SnapshotFiles.fileName(4, 1);
      expect(snapshotFiles(dir)).toEqual([oldFile, SnapshotFiles.fileName(8, 1)]);
      expect(readWhole(reader)).toEqual(old.data);
      second.close();
      expect(snapshotFiles(dir)).toContain(oldFile);
      reader.close();
      expect(snapshotFiles(dir)).toEqual([SnapshotFiles.fileName(8, 1)]);
      expect(() => reader.read(0, 1)).toThrow(AssertionFailedError);
      expect(storedSnapshot(storage)).toEqual(snapshotAt(8, 1));
    });

    it('serves a snapshot from memory until its file is recorded', async () => {
      const dir = freshDirectory();
      const storage = await open(dir);
      await storage.append(entries(1, 10));
      const saved = storage.saveSnapshot(snapshotAt(5, 1, 300));
      const reader = storage.openSnapshot();
      await saved;
      expect(readWhole(reader)).toEqual(snapshotAt(5, 1, 300).data);
      reader.close();
      expect(snapshotFiles(dir)).toEqual([SnapshotFiles.fileName(5, 1)]);
    });

    it('removes temporary and unrecorded files at open, and keeps the recorded one', async () => {
      const dir = freshDirectory();
      const storage = await open(dir);
      await storage.append(entries(1, 10));
      await storage.saveSnapshot(snapshotAt(4, 1));
      await storage.close();
      const snapshots = join(dir, SNAPSHOT_DIRECTORY);
      const strays = [`${SnapshotFiles.fileName(6, 1)}.tmp`, SnapshotFiles.fileName(7, 1), SnapshotFiles.fileName(2, 1), 'junk.tmp'];
      for (const name of strays) writeFileSync(join(snapshots, name), new Uint8Array([1, 2, 3]));

      const reopened = await open(dir);
      expect(snapshotFiles(dir)).toEqual([SnapshotFiles.fileName(4, 1)]);
      expect(storedSnapshot(reopened)).toEqual(snapshotAt(4, 1));
    });

    it('refuses to open when the recorded file is missing', async () => {
      const dir = freshDirectory();
      const storage = await open(dir);
      await storage.append(entries(1, 10));
      await storage.saveSnapshot(snapshotAt(4, 1));
      await storage.close();
      rmSync(join(dir, SNAPSHOT_DIRECTORY, SnapshotFiles.fileName(4, 1)));
      await expect(LevelStorage.open({ dir })).rejects.toThrow(StorageCorruptError);
      // The failed open released the database: a second attempt gets as far again.
      await expect(LevelStorage.open({ dir })).rejects.toThrow(/snapshot file .* is missing/);
    });
  });

  describe('the write queue', () => {
    it('makes writes fired without waiting durable in call order', async () => {
      const dir = freshDirectory();
      const storage = await open(dir, [1]);
      const pending: Array<Promise<void>> = [];
      const hardStates: HardState[] = [];
      for (let round = 1; round <= 30; round++) {
        const last = storage.lastIndex();
        // Every third round a new term overwrites the last two entries.
        const from = round % 3 === 0 ? Math.max(storage.firstIndex(), last - 1) : last + 1;
        const hardState = { term: Math.ceil(round / 3) + 1, vote: 1, commit: from - 1 };
        hardStates.push(hardState);
        pending.push(storage.save(entries(from, from + 2, () => hardState.term), hardState));
        if (round % 10 === 0) {
          pending.push(storage.saveSnapshot(snapshotAt(from - 1, storage.term(from - 1))));
          pending.push(storage.compact(from - 2));
        }
      }
      const expected = observe(storage);
      const settled: number[] = [];
      pending.forEach((write, i) => void write.then(() => settled.push(i)));
      await Promise.all(pending);
      expect(settled).toEqual(pending.map((_, i) => i));

      const reopened = await reopen(storage, dir);
      expect(observe(reopened)).toEqual(expected);
      expect(reopened.initialState().hardState).toEqual(hardStates[hardStates.length - 1]);
    });

    it('refuses writes after close, and close waits for the queued ones', async () => {
      const dir = freshDirectory();
      const storage = await open(dir);
      const queued = storage.append(entries(1, 5));
      const closed = storage.close();
      await expect(storage.append(entries(6, 6))).rejects.toThrow(AssertionFailedError);
      await expect(storage.setHardState({ term: 1, vote: 1, commit: 1 })).rejects.toThrow(/closed/);
      await expect(storage.saveSnapshot(snapshotAt(2, 1))).rejects.toThrow(/closed/);
      await expect(storage.applySnapshot(snapshotAt(20, 1))).rejects.toThrow(/closed/);
      await expect(storage.compact(2)).rejects.toThrow(/closed/);
      await queued;
      await closed;
      expect(storage.lastIndex()).toBe(5);
      expect((await open(dir)).lastIndex()).toBe(5);
    });

    it('after a failed write, rejects every later write with the same error', async () => {
      const dir = freshDirectory();
      const storage = await open(dir);
      await storage.append(entries(1, 10));
      rmSync(join(dir, SNAPSHOT_DIRECTORY), { recursive: true });
      const failed = storage.saveSnapshot(snapshotAt(5, 1));
      const queuedBehind = storage.append(entries(11, 11));
      const error = await failed.then(
        () => null,
        (reason: unknown) => reason,
      );
      expect(error).toMatchObject({ code: 'ENOENT' });
      await expect(queuedBehind).rejects.toBe(error);
      await expect(storage.setHardState({ term: 1, vote: 1, commit: 1 })).rejects.toBe(error);
      await storage.close();

      // Nothing after the failure reached the disk.
      mkdirSync(join(dir, SNAPSHOT_DIRECTORY));
      const reopened = await open(dir);
      expect([reopened.lastIndex(), reopened.snapshotMetadata().index]).toEqual([10, 0]);
    });
  });

  it('creates the directory, with its parents, when missing', async () => {
    const dir = join(freshDirectory(), 'a', 'b');
    await open(dir);
    expect(existsSync(join(dir, LOG_DIRECTORY))).toBe(true);
    expect(existsSync(join(dir, SNAPSHOT_DIRECTORY))).toBe(true);
  });

  it('cannot be opened twice at once on the same directory', async () => {
    const dir = freshDirectory();
    await open(dir);
    await expect(LevelStorage.open({ dir })).rejects.toMatchObject({ code: 'LEVEL_DATABASE_NOT_OPEN', cause: { code: 'LEVEL_LOCKED' } });
  });
});

/** Open the storage's LevelDB directly, for planting what a crash could leave. */
async function withRawDatabase<T>(dir: string, run: (db: Level<Uint8Array, Uint8Array>) => Promise<T>): Promise<T> {
  const db = new Level<Uint8Array, Uint8Array>(join(dir, LOG_DIRECTORY), { keyEncoding: 'view', valueEncoding: 'view' });
  await db.open();
  try {
    return await run(db);
  } finally {
    await db.close();
  }
}
