/**
 * The suite every `LogStorage` implementation must pass, in the manner of
 * abstract-level's shared tests: an implementation's test file calls
 * `logStorageCompliance(name, factory)` with a factory for fresh, empty storages.
 *
 * It checks the read contract of `raft/storage/log-storage.ts` (what the Raft core relies
 * on, including reading a snapshot in chunks for InstallSnapshot, Raft paper §7) and the
 * write methods the driver calls: `save` (or `append` and `setHardState`) after each `Ready`,
 * `saveSnapshot` then `compact` after `RawNode.createSnapshot`, and `applySnapshot` for a
 * snapshot received from the leader. Writes may be asynchronous (a durable storage may
 * resolve once its write is on disk); reads are synchronous by contract.
 */
import { AssertionFailedError, CompactedError, SnapshotOutOfDateError, UnavailableError } from '../../../raft/core/errors.js';
import { EntryType } from '../../../raft/core/types.js';
import type { ConfState, Entry, HardState, Snapshot } from '../../../raft/core/types.js';
import { entrySizeBytes } from '../../../raft/storage/log-storage.js';
import type { LogStorage, SnapshotReader } from '../../../raft/storage/log-storage.js';

/** A `LogStorage` together with the write side the driver uses. */
export interface LogStorageUnderTest extends LogStorage {
  /** Append entries following on from the log, replacing any at the same or later indexes. */
  append(entries: readonly Entry[]): void | Promise<void>;
  setHardState(hardState: HardState): void | Promise<void>;
  /** `append` and, when given, `setHardState`, as one atomic write: what the driver calls. */
  save(entries: readonly Entry[], hardState: HardState | null): void | Promise<void>;
  /** Replace the whole contents with a snapshot received from the leader. */
  applySnapshot(snapshot: Snapshot): void | Promise<void>;
  /**
   * Record a snapshot the application took (its metadata comes from
   * `RawNode.createSnapshot`), at an index ≤ the last index; does not compact.
   */
  saveSnapshot(snapshot: Snapshot): void | Promise<void>;
  /** Discard entries up to and including `compactIndex`. */
  compact(compactIndex: number): void | Promise<void>;
  /** Release whatever the storage holds (files, handles); optional. */
  close?(): void | Promise<void>;
}

export interface LogStorageFactoryOptions {
  /** The initial members of the cluster, reported by `initialState().confState.voters`. */
  readonly voters: readonly number[];
}

/** Makes a fresh, empty storage; called once per test. */
export type LogStorageFactory = (options: LogStorageFactoryOptions) => LogStorageUnderTest | Promise<LogStorageUnderTest>;

const UNLIMITED = Number.MAX_SAFE_INTEGER;
const VOTERS = [1, 2, 3];

/** An entry with a payload of `sizeBytes` bytes (its framing cost comes on top). */
export function entry(index: number, term: number, sizeBytes = 0): Entry {
  return { index, term, type: EntryType.Normal, data: new Uint8Array(sizeBytes).fill(index % 256) };
}

/** Entries `first..last` inclusive, each of term `termOf(index)`. */
export function entries(first: number, last: number, termOf: (index: number) => number = () => 1): Entry[] {
  const result: Entry[] = [];
  for (let index = first; index <= last; index++) result.push(entry(index, termOf(index)));
  return result;
}

function snapshotAt(index: number, term: number, confState: ConfState = confStateOf([4, 5, 6]), data?: Uint8Array): Snapshot {
  return { metadata: { index, term, confState }, data: data ?? new Uint8Array([index % 256, term % 256]) };
}

function confStateOf(voters: number[], learners: number[] = []): ConfState {
  return { voters, learners, votersOutgoing: [], learnersNext: [] };
}

/** A joint configuration: every one of the four lists filled. */
const JOINT_CONF_STATE: ConfState = { voters: [1, 2, 4], learners: [5], votersOutgoing: [1, 2, 3], learnersNext: [3] };

/** Bytes 0, 1, 2, ... (mod 256): a snapshot payload whose chunks are easy to tell apart. */
function payload(sizeBytes: number): Uint8Array {
  return Uint8Array.from({ length: sizeBytes }, (_, i) => i % 256);
}

/** Read a snapshot to the end in chunks of `chunkBytes`; returns the chunks' offsets and the data. */
function readAll(reader: SnapshotReader, chunkBytes: number): { offsets: number[]; data: Uint8Array } {
  const offsets: number[] = [];
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (let reads = 0; reads < 10_000; reads++) {
    const chunk = reader.read(offset, chunkBytes);
    expect(chunk.data.byteLength).toBeLessThanOrEqual(chunkBytes);
    offsets.push(offset);
    parts.push(chunk.data.slice());
    offset += chunk.data.byteLength;
    if (chunk.done) {
      const data = new Uint8Array(offset);
      let at = 0;
      for (const part of parts) {
        data.set(part, at);
        at += part.byteLength;
      }
      return { offsets, data };
    }
    // A chunk that is not the last makes progress, or the reader would loop forever.
    expect(chunk.data.byteLength).toBeGreaterThan(0);
  }
  throw new Error('snapshot reader never reported done');
}

/** The stored snapshot, read back through the core's interface. */
function storedSnapshot(storage: LogStorage): Snapshot {
  const reader = storage.openSnapshot();
  try {
    return { metadata: reader.metadata, data: readAll(reader, 3).data };
  } finally {
    reader.close();
  }
}

/** Index and term of each entry: what equality of logs means here. */
function ids(list: readonly Entry[]): Array<[number, number]> {
  return list.map((e) => [e.index, e.term]);
}

export function logStorageCompliance(name: string, factory: LogStorageFactory): void {
  describe(`LogStorage compliance: ${name}`, () => {
    let storage: LogStorageUnderTest;

    beforeEach(async () => {
      storage = await factory({ voters: VOTERS });
    });

    afterEach(async () => {
      await storage.close?.();
    });

    /** Append 1..10 with terms 1,1,1,2,2,2,3,3,3,4. */
    async function appendTen(): Promise<void> {
      await storage.append(entries(1, 10, (index) => Math.ceil(index / 3)));
    }

    describe('when empty', () => {
      it('has first index 1, last index 0 and term(0) = 0', () => {
        expect(storage.firstIndex()).toBe(1);
        expect(storage.lastIndex()).toBe(0);
        expect(storage.term(0)).toBe(0);
      });

      it('returns no entries for the empty range after the snapshot', () => {
        expect(storage.entries(1, 1, UNLIMITED)).toEqual([]);
      });

      it('holds the empty snapshot and the initial members', () => {
        expect(storage.snapshotMetadata()).toEqual({ index: 0, term: 0, confState: confStateOf(VOTERS) });
        const state = storage.initialState();
        expect(state.hardState).toEqual({ term: 0, vote: 0, commit: 0 });
        expect(state.confState).toEqual(confStateOf(VOTERS));
      });

      it('opens the empty snapshot: no data, done at once', () => {
        const reader = storage.openSnapshot();
        expect(reader.metadata.index).toBe(0);
        expect(reader.read(0, 16)).toEqual({ data: new Uint8Array(0), done: true });
        reader.close();
      });

      it('reports terms and entries beyond the end as unavailable', () => {
        expectUnavailable(() => storage.term(1));
        expectUnavailable(() => storage.entries(1, 2, UNLIMITED));
      });
    });

    describe('append', () => {
      it('reads back what was appended, whole and in sub-ranges', async () => {
        const written = entries(1, 5, (index) => (index < 3 ? 1 : 2));
        await storage.append(written);
        expect(storage.firstIndex()).toBe(1);
        expect(storage.lastIndex()).toBe(5);
        expect(storage.entries(1, 6, UNLIMITED)).toEqual(written);
        expect(storage.entries(2, 4, UNLIMITED)).toEqual(written.slice(1, 3));
        expect(storage.entries(6, 6, UNLIMITED)).toEqual([]);
        expect([1, 2, 3, 4, 5].map((index) => storage.term(index))).toEqual([1, 1, 2, 2, 2]);
      });

      it('keeps payloads and entry types', async () => {
        const written: Entry[] = [
          { index: 1, term: 1, type: EntryType.Normal, data: new Uint8Array([1, 2, 3]) },
          { index: 2, term: 1, type: EntryType.ConfChange, data: new Uint8Array([9]) },
          { index: 3, term: 1, type: EntryType.Normal, data: new Uint8Array(0) },
        ];
        await storage.append(written);
        expect(storage.entries(1, 4, UNLIMITED)).toEqual(written);
      });

      it('extends the log batch after batch', async () => {
        await storage.append(entries(1, 3));
        await storage.append(entries(4, 4, () => 2));
        await storage.append(entries(5, 7, () => 2));
        expect(storage.lastIndex()).toBe(7);
        expect(ids(storage.entries(1, 8, UNLIMITED))).toEqual([[1, 1], [2, 1], [3, 1], [4, 2], [5, 2], [6, 2], [7, 2]]);
      });

      it('does nothing for an empty batch', async () => {
        await storage.append(entries(1, 3));
        await storage.append([]);
        expect(storage.lastIndex()).toBe(3);
      });

      it('replaces a conflicting suffix, dropping every entry after the new ones', async () => {
        await storage.append(entries(1, 5));
        await storage.append(entries(3, 4, () => 2));
        expect(storage.lastIndex()).toBe(4);
        expect(ids(storage.entries(1, 5, UNLIMITED))).toEqual([[1, 1], [2, 1], [3, 2], [4, 2]]);
        expectUnavailable(() => storage.term(5));
      });

      it('replaces a suffix with a longer one', async () => {
        await storage.append(entries(1, 3));
        await storage.append(entries(2, 6, () => 3));
        expect(ids(storage.entries(1, 7, UNLIMITED))).toEqual([[1, 1], [2, 3], [3, 3], [4, 3], [5, 3], [6, 3]]);
      });

      it('replaces the whole log from index 1', async () => {
        await storage.append(entries(1, 3));
        await storage.append(entries(1, 2, () => 5));
        expect(ids(storage.entries(1, 3, UNLIMITED))).toEqual([[1, 5], [2, 5]]);
      });

      it('refuses a batch that would leave a gap', async () => {
        await expectAssertion(async () => storage.append([entry(2, 1)]));
        await storage.append(entries(1, 3));
        await expectAssertion(async () => storage.append([entry(5, 1)]));
        expect(storage.lastIndex()).toBe(3);
      });

      it('ignores entries at or below the compacted prefix, keeping the rest', async () => {
        await appendTen();
        await storage.compact(5);
        await storage.append(entries(3, 5, () => 9));
        expect(storage.lastIndex()).toBe(10);
        expect(storage.term(5)).toBe(2);
        await storage.append(entries(4, 7, () => 9));
        expect(storage.firstIndex()).toBe(6);
        expect(storage.lastIndex()).toBe(7);
        expect(ids(storage.entries(6, 8, UNLIMITED))).toEqual([[6, 9], [7, 9]]);
      });

      it('does not alias the arrays passed in or handed out', async () => {
        const batch = entries(1, 3);
        await storage.append(batch);
        batch.length = 0;
        const read = storage.entries(1, 4, UNLIMITED);
        read.pop();
        read.push(entry(99, 99));
        expect(ids(storage.entries(1, 4, UNLIMITED))).toEqual([[1, 1], [2, 1], [3, 1]]);
      });
    });

    describe('entries size limit', () => {
      const payloadBytes = 100;
      const eachBytes = payloadBytes + entrySizeBytes(entry(0, 0, 0));

      beforeEach(async () => {
        await storage.append([1, 2, 3, 4, 5].map((index) => entry(index, 1, payloadBytes)));
      });

      it('counts entries by entrySizeBytes', () => {
        expect(entrySizeBytes(storage.entries(1, 2, UNLIMITED)[0]!)).toBe(eachBytes);
      });

      it('returns every entry in range when the limit allows', () => {
        expect(storage.entries(1, 6, UNLIMITED)).toHaveLength(5);
        expect(storage.entries(1, 6, 5 * eachBytes)).toHaveLength(5);
      });

      it('cuts the range to the entries that fit', () => {
        expect(ids(storage.entries(1, 6, 2 * eachBytes))).toEqual([[1, 1], [2, 1]]);
        expect(ids(storage.entries(2, 6, 3 * eachBytes + eachBytes - 1))).toEqual([[2, 1], [3, 1], [4, 1]]);
      });

      it('always returns at least one entry of a non-empty range', () => {
        expect(ids(storage.entries(1, 6, 0))).toEqual([[1, 1]]);
        expect(ids(storage.entries(3, 6, eachBytes - 1))).toEqual([[3, 1]]);
        expect(storage.entries(3, 3, 0)).toEqual([]);
      });
    });

    describe('compact', () => {
      beforeEach(appendTen);

      it('moves the first index past the compacted entries and keeps the last index', async () => {
        await storage.compact(4);
        expect(storage.firstIndex()).toBe(5);
        expect(storage.lastIndex()).toBe(10);
        expect(ids(storage.entries(5, 11, UNLIMITED))).toEqual(ids(entries(5, 10, (index) => Math.ceil(index / 3))));
      });

      it('keeps the term of the last compacted entry', async () => {
        await storage.compact(4);
        expect(storage.term(4)).toBe(2);
        expect(storage.term(5)).toBe(2);
      });

      it('reports compacted indexes with CompactedError', async () => {
        await storage.compact(4);
        expectCompacted(() => storage.term(3));
        expectCompacted(() => storage.entries(4, 6, UNLIMITED));
        expectCompacted(() => storage.entries(1, 6, UNLIMITED));
      });

      it('can compact the whole log', async () => {
        await storage.compact(10);
        expect(storage.firstIndex()).toBe(11);
        expect(storage.lastIndex()).toBe(10);
        expect(storage.term(10)).toBe(4);
        expect(storage.entries(11, 11, UNLIMITED)).toEqual([]);
        await storage.append([entry(11, 5)]);
        expect(ids(storage.entries(11, 12, UNLIMITED))).toEqual([[11, 5]]);
      });

      it('refuses to compact what is already compacted', async () => {
        await storage.compact(4);
        await expectRejection(async () => storage.compact(4), CompactedError, 'COMPACTED');
        await expectRejection(async () => storage.compact(2), CompactedError, 'COMPACTED');
        expect(storage.firstIndex()).toBe(5);
      });

      it('refuses to compact beyond the last index', async () => {
        await expectAssertion(async () => storage.compact(11));
        expect(storage.firstIndex()).toBe(1);
      });
    });

    describe('unavailable entries', () => {
      beforeEach(appendTen);

      it('reports reads past the end with UnavailableError', () => {
        expectUnavailable(() => storage.term(11));
        expectUnavailable(() => storage.entries(5, 12, UNLIMITED));
        expectUnavailable(() => storage.entries(11, 12, UNLIMITED));
      });

      it('allows hi = lastIndex + 1', () => {
        expect(storage.entries(10, 11, UNLIMITED)).toHaveLength(1);
      });
    });

    describe('saveSnapshot', () => {
      beforeEach(appendTen);

      it('records the snapshot as given, without compacting', async () => {
        const snapshot = snapshotAt(5, 2, confStateOf([1, 2, 3], [4]), new Uint8Array([7, 7, 7]));
        await storage.saveSnapshot(snapshot);
        expect(storage.snapshotMetadata()).toEqual(snapshot.metadata);
        expect(storedSnapshot(storage)).toEqual(snapshot);
        expect(storage.firstIndex()).toBe(1);
        expect(storage.lastIndex()).toBe(10);
        expect(storage.term(5)).toBe(2);
      });

      it('makes the snapshot’s membership the initial state’s', async () => {
        const confState = confStateOf([1, 2], [3]);
        await storage.saveSnapshot(snapshotAt(5, 2, confState));
        expect(storage.initialState().confState).toEqual(confState);
      });

      it('keeps all four lists of a joint configuration', async () => {
        await storage.saveSnapshot(snapshotAt(5, 2, JOINT_CONF_STATE));
        expect(storage.snapshotMetadata().confState).toEqual(JOINT_CONF_STATE);
        expect(storage.initialState().confState).toEqual(JOINT_CONF_STATE);
      });

      it('refuses a snapshot at or before the current one with SnapshotOutOfDateError', async () => {
        await storage.saveSnapshot(snapshotAt(5, 2, confStateOf(VOTERS)));
        for (const index of [5, 3]) {
          await expectRejection(
            async () => storage.saveSnapshot(snapshotAt(index, 1, confStateOf(VOTERS))),
            SnapshotOutOfDateError,
            'SNAPSHOT_OUT_OF_DATE',
          );
        }
        expect(storage.snapshotMetadata().index).toBe(5);
      });

      it('refuses a snapshot beyond the last index', async () => {
        await expectAssertion(async () => storage.saveSnapshot(snapshotAt(11, 4, confStateOf(VOTERS))));
        expect(storage.snapshotMetadata().index).toBe(0);
      });

      it('is followed by compaction up to (or before) it in the usual driver sequence', async () => {
        await storage.saveSnapshot(snapshotAt(7, 3, confStateOf(VOTERS)));
        await storage.compact(5); // keeping two trailing entries before the snapshot
        expect(storage.firstIndex()).toBe(6);
        expect(storage.term(7)).toBe(3);
        expect(storage.snapshotMetadata().index).toBe(7);
        expect(ids(storage.entries(6, 11, UNLIMITED))).toEqual(ids(entries(6, 10, (index) => Math.ceil(index / 3))));
      });
    });

    describe('openSnapshot', () => {
      beforeEach(appendTen);

      it('reads the data in chunks of at most the size asked for; only the last is done', async () => {
        const snapshot = snapshotAt(6, 2, confStateOf(VOTERS), payload(10));
        await storage.saveSnapshot(snapshot);
        const reader = storage.openSnapshot();
        expect(reader.metadata).toEqual(snapshot.metadata);
        const first = reader.read(0, 4);
        expect(first).toEqual({ data: payload(4), done: false });
        const { offsets, data } = readAll(reader, 4);
        expect(offsets).toEqual([0, 4, 8]);
        expect(data).toEqual(snapshot.data);
        reader.close();
      });

      it('reads from any offset, so a transfer can resume where it stopped', async () => {
        await storage.saveSnapshot(snapshotAt(6, 2, confStateOf(VOTERS), payload(10)));
        const reader = storage.openSnapshot();
        expect(reader.read(8, 4)).toEqual({ data: payload(10).slice(8), done: true });
        expect(reader.read(4, 4)).toEqual({ data: payload(10).slice(4, 8), done: false });
        expect(reader.read(4, 100)).toEqual({ data: payload(10).slice(4), done: true });
        reader.close();
      });

      it('reports done with a chunk that ends exactly at the end of the data', async () => {
        await storage.saveSnapshot(snapshotAt(6, 2, confStateOf(VOTERS), payload(8)));
        const reader = storage.openSnapshot();
        expect(reader.read(4, 4).done).toBe(true);
        reader.close();
      });

      it('stays on its snapshot after a newer one is saved and the log compacted past it', async () => {
        const old = snapshotAt(4, 2, confStateOf(VOTERS), payload(10));
        await storage.saveSnapshot(old);
        const reader = storage.openSnapshot();
        expect(reader.read(0, 4).data).toEqual(old.data.slice(0, 4));

        const newer = snapshotAt(8, 3, confStateOf([1, 2]), new Uint8Array([9, 9, 9]));
        await storage.saveSnapshot(newer);
        await storage.compact(8);
        expect(reader.metadata).toEqual(old.metadata);
        expect(reader.read(4, 100)).toEqual({ data: old.data.slice(4), done: true });
        reader.close();

        expect(storedSnapshot(storage)).toEqual(newer);
      });

      it('stays on its snapshot after one from the leader replaces the storage’s contents', async () => {
        const old = snapshotAt(4, 2, confStateOf(VOTERS), payload(10));
        await storage.saveSnapshot(old);
        const reader = storage.openSnapshot();
        await storage.applySnapshot(snapshotAt(30, 6));
        expect(readAll(reader, 3).data).toEqual(old.data);
        reader.close();
      });

      it('can be opened several times at once', async () => {
        const snapshot = snapshotAt(6, 2, confStateOf(VOTERS), payload(10));
        await storage.saveSnapshot(snapshot);
        const a = storage.openSnapshot();
        const b = storage.openSnapshot();
        expect(a.read(0, 5).data).toEqual(payload(5));
        b.close();
        expect(a.read(5, 5)).toEqual({ data: payload(10).slice(5), done: true });
        a.close();
      });
    });

    describe('applySnapshot', () => {
      it('replaces an empty storage’s contents', async () => {
        const snapshot = snapshotAt(20, 5);
        await storage.applySnapshot(snapshot);
        expect(storedSnapshot(storage)).toEqual(snapshot);
        expect(storage.snapshotMetadata()).toEqual(snapshot.metadata);
        expect(storage.firstIndex()).toBe(21);
        expect(storage.lastIndex()).toBe(20);
        expect(storage.term(20)).toBe(5);
        expect(storage.entries(21, 21, UNLIMITED)).toEqual([]);
        expectCompacted(() => storage.term(19));
        expectUnavailable(() => storage.term(21));
        expect(storage.initialState().confState).toEqual(snapshot.metadata.confState);
      });

      it('discards the whole log, even entries beyond the snapshot', async () => {
        await appendTen();
        await storage.applySnapshot(snapshotAt(6, 7));
        expect(storage.firstIndex()).toBe(7);
        expect(storage.lastIndex()).toBe(6);
        expect(storage.term(6)).toBe(7);
      });

      it('lets the log continue right after the snapshot, and only there', async () => {
        await storage.applySnapshot(snapshotAt(20, 5));
        await expectAssertion(async () => storage.append([entry(22, 5)]));
        await storage.append(entries(21, 23, () => 6));
        expect(ids(storage.entries(21, 24, UNLIMITED))).toEqual([[21, 6], [22, 6], [23, 6]]);
      });

      it('refuses an older snapshot with SnapshotOutOfDateError and changes nothing', async () => {
        const current = snapshotAt(20, 5);
        await storage.applySnapshot(current);
        await storage.append(entries(21, 22, () => 5));
        await expectRejection(
          async () => storage.applySnapshot(snapshotAt(10, 3)),
          SnapshotOutOfDateError,
          'SNAPSHOT_OUT_OF_DATE',
        );
        expect(storedSnapshot(storage)).toEqual(current);
        expect(storage.firstIndex()).toBe(21);
        expect(storage.lastIndex()).toBe(22);
      });

      it('refuses a snapshot older than one saved locally', async () => {
        await appendTen();
        await storage.saveSnapshot(snapshotAt(8, 3, confStateOf(VOTERS)));
        await expectRejection(
          async () => storage.applySnapshot(snapshotAt(6, 2)),
          SnapshotOutOfDateError,
          'SNAPSHOT_OUT_OF_DATE',
        );
        expect(storage.lastIndex()).toBe(10);
      });

      it('keeps a joint configuration whole', async () => {
        await storage.applySnapshot(snapshotAt(20, 5, JOINT_CONF_STATE));
        expect(storage.initialState().confState).toEqual(JOINT_CONF_STATE);
      });
    });

    describe('save', () => {
      it('appends the entries and sets the hard state together', async () => {
        await storage.save(entries(1, 3), { term: 1, vote: 2, commit: 1 });
        expect(ids(storage.entries(1, 4, UNLIMITED))).toEqual([[1, 1], [2, 1], [3, 1]]);
        expect(storage.initialState().hardState).toEqual({ term: 1, vote: 2, commit: 1 });
      });

      it('keeps the hard state when given none, and appends nothing when given no entries', async () => {
        await storage.save(entries(1, 3), { term: 1, vote: 2, commit: 1 });
        await storage.save(entries(4, 5), null);
        expect(storage.initialState().hardState).toEqual({ term: 1, vote: 2, commit: 1 });
        await storage.save([], { term: 2, vote: 3, commit: 5 });
        expect(storage.lastIndex()).toBe(5);
        expect(storage.initialState().hardState).toEqual({ term: 2, vote: 3, commit: 5 });
        await storage.save([], null);
        expect(storage.lastIndex()).toBe(5);
      });

      it('replaces a conflicting suffix in the same write as a new term (a new leader’s entries)', async () => {
        await storage.save(entries(1, 6), { term: 1, vote: 1, commit: 2 });
        await storage.save(entries(4, 4, () => 2), { term: 2, vote: 3, commit: 3 });
        expect(ids(storage.entries(1, 5, UNLIMITED))).toEqual([[1, 1], [2, 1], [3, 1], [4, 2]]);
        expect(storage.lastIndex()).toBe(4);
        expect(storage.initialState().hardState).toEqual({ term: 2, vote: 3, commit: 3 });
      });

      it('refuses a batch that would leave a gap and then sets no hard state either', async () => {
        await storage.save(entries(1, 2), { term: 1, vote: 1, commit: 0 });
        await expectAssertion(async () => storage.save([entry(4, 1)], { term: 9, vote: 9, commit: 9 }));
        expect(storage.lastIndex()).toBe(2);
        expect(storage.initialState().hardState).toEqual({ term: 1, vote: 1, commit: 0 });
        await storage.save(entries(3, 3), null);
        expect(storage.lastIndex()).toBe(3);
      });

      it('ignores entries at or below the compacted prefix', async () => {
        await appendTen();
        await storage.compact(5);
        await storage.save(entries(4, 6, () => 9), { term: 9, vote: 1, commit: 5 });
        expect(storage.firstIndex()).toBe(6);
        expect(storage.term(5)).toBe(2);
        expect(ids(storage.entries(6, 7, UNLIMITED))).toEqual([[6, 9]]);
        expect(storage.lastIndex()).toBe(6);
      });

      it('is seen by reads as soon as it is called, before it settles', async () => {
        const written = storage.save(entries(1, 4, (index) => (index < 3 ? 1 : 2)), { term: 2, vote: 1, commit: 2 });
        expect(storage.lastIndex()).toBe(4);
        expect(storage.term(3)).toBe(2);
        expect(storage.initialState().hardState).toEqual({ term: 2, vote: 1, commit: 2 });
        await written;
      });
    });

    describe('writes fired without waiting', () => {
      it('apply in call order, each seen by reads at once', async () => {
        const pending: Array<void | Promise<void>> = [];
        pending.push(storage.save(entries(1, 6), { term: 1, vote: 1, commit: 4 }));
        pending.push(storage.saveSnapshot(snapshotAt(4, 1, confStateOf(VOTERS), payload(5))));
        expect(storage.snapshotMetadata().index).toBe(4);
        expect(storedSnapshot(storage).data).toEqual(payload(5));
        pending.push(storage.compact(3));
        expect(storage.firstIndex()).toBe(4);
        pending.push(storage.save(entries(5, 5, () => 2), { term: 2, vote: 2, commit: 4 }));
        expect(storage.lastIndex()).toBe(5);
        pending.push(storage.applySnapshot(snapshotAt(9, 3)));
        expect(storage.firstIndex()).toBe(10);
        pending.push(storage.append(entries(10, 11, () => 3)));
        await Promise.all(pending);
        expect(ids(storage.entries(10, 12, UNLIMITED))).toEqual([[10, 3], [11, 3]]);
        expect(storage.term(9)).toBe(3);
        expect(storage.initialState().hardState).toEqual({ term: 2, vote: 2, commit: 4 });
        expect(storedSnapshot(storage)).toEqual(snapshotAt(9, 3));
      });
    });

    describe('close', () => {
      it('lets writes called before it finish, and can be called again', async () => {
        const written = [storage.save(entries(1, 3), { term: 1, vote: 1, commit: 1 }), storage.compact(1)];
        await storage.close?.();
        await Promise.all(written);
        await storage.close?.();
        expect(storage.lastIndex()).toBe(3);
      });

      it('leaves an open snapshot reader readable until it is closed', async () => {
        await appendTen();
        await storage.saveSnapshot(snapshotAt(5, 2, confStateOf(VOTERS), payload(10)));
        const reader = storage.openSnapshot();
        await storage.close?.();
        expect(readAll(reader, 4).data).toEqual(payload(10));
        reader.close();
      });
    });

    describe('initialState', () => {
      it('returns the hard state last set', async () => {
        await storage.setHardState({ term: 3, vote: 2, commit: 7 });
        await storage.setHardState({ term: 4, vote: 1, commit: 9 });
        expect(storage.initialState().hardState).toEqual({ term: 4, vote: 1, commit: 9 });
      });

      it('returns the hard state together with the latest snapshot’s membership', async () => {
        const hardState = { term: 5, vote: 3, commit: 20 };
        const snapshot = snapshotAt(20, 5, confStateOf([1, 2, 3, 4], [5]));
        await storage.applySnapshot(snapshot);
        await storage.setHardState(hardState);
        expect(storage.initialState()).toEqual({ hardState, confState: snapshot.metadata.confState });
      });
    });
  });
}

type ErrorClass = abstract new (...args: never[]) => Error;

function expectThrown(run: () => unknown, errorClass: ErrorClass, code?: string): void {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  checkError(thrown, errorClass, code);
}

async function expectRejection(run: () => Promise<unknown>, errorClass: ErrorClass, code?: string): Promise<void> {
  let thrown: unknown;
  try {
    await run();
  } catch (error) {
    thrown = error;
  }
  checkError(thrown, errorClass, code);
}

function checkError(thrown: unknown, errorClass: ErrorClass, code: string | undefined): void {
  expect(thrown).toBeInstanceOf(errorClass);
  if (code !== undefined) {
    expect(thrown).toMatchObject({ code, retryable: false });
  }
}

function expectCompacted(run: () => unknown): void {
  expectThrown(run, CompactedError, 'COMPACTED');
}

function expectUnavailable(run: () => unknown): void {
  expectThrown(run, UnavailableError, 'UNAVAILABLE');
}

/** A broken precondition of a write is a bug in the caller: an assertion, not an error code. */
async function expectAssertion(run: () => Promise<unknown>): Promise<void> {
  await expectRejection(run, AssertionFailedError);
}
