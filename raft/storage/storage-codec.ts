/**
 * How `LevelStorage` lays its state out in LevelDB: the keys, and the msgpack encoding of
 * each value. Decoding checks every field, so that a damaged or foreign database is
 * refused with `StorageCorruptError` at open instead of feeding nonsense to the core.
 *
 * Keys (all binary):
 * - `r` + an index as 8 bytes big-endian: a run of log entries from that index on, as one
 *   write appended them (format 2). Big-endian keeps LevelDB's bytewise order equal to
 *   index order. A run replaces, from its first index on, whatever runs before it in key
 *   order hold: so a new leader's entries overwrite a conflicting suffix (§5.3) without
 *   rewriting the run it starts in; runs starting at or after it are deleted with it.
 * - `e` + the index as 8 bytes big-endian: one log entry (format 1, read to migrate).
 * - `m:format`, `m:hard-state`, `m:snapshot`, `m:compacted`: one record each.
 */
import { Packr } from 'msgpackr';
import { StorageCorruptError } from '../core/errors.js';
import { EntryType } from '../core/types.js';
import type { ConfState, Entry, HardState, SnapshotMetadata } from '../core/types.js';

/** The layout written by this code; bumped on any incompatible change. */
export const STORAGE_FORMAT_VERSION = 2;
/** The layout before runs: one key per entry. Opened, and migrated to runs. */
export const ENTRY_PER_KEY_FORMAT_VERSION = 1;

/**
 * The durable snapshot record: the metadata of the latest snapshot and the name of the
 * file (in the snapshot directory) holding its data; `null` for the empty snapshot at
 * index 0, whose data is empty.
 */
export interface SnapshotRecord {
  readonly metadata: SnapshotMetadata;
  readonly fileName: string | null;
}

/**
 * The compaction point: the index and term of the last discarded entry. The log holds
 * exactly the entries after it; it is the snapshot's index after `applySnapshot`, and
 * wherever `compact` last cut otherwise (which may lag behind the latest snapshot).
 */
export interface CompactionPoint {
  readonly index: number;
  readonly term: number;
}

const ENTRY_PREFIX = 0x65; // 'e'
const RUN_PREFIX = 0x72; // 'r'
const ENTRY_KEY_BYTES = 9;
const TWO_POW_32 = 0x1_0000_0000;

const encoder = new TextEncoder();
export const FORMAT_KEY = encoder.encode('m:format');
export const HARD_STATE_KEY = encoder.encode('m:hard-state');
export const SNAPSHOT_KEY = encoder.encode('m:snapshot');
export const COMPACTED_KEY = encoder.encode('m:compacted');

/** Plain maps and arrays only (no msgpackr records), so the format stands on its own. */
const packr = new Packr({ useRecords: false, mapsAsObjects: true });

export function entryKey(index: number): Uint8Array {
  return indexKey(ENTRY_PREFIX, index);
}

/** The key of the run of entries starting at `first`. */
export function runKey(first: number): Uint8Array {
  return indexKey(RUN_PREFIX, first);
}

/** The lowest run key (index 0) and a key above every run key, for ranges over all runs. */
export const RUN_KEY_MIN = runKey(0);
export const RUN_KEY_END = Uint8Array.of(RUN_PREFIX + 1);

export function decodeRunKey(key: Uint8Array): number {
  return decodeIndexKey(RUN_PREFIX, key, 'run');
}

/** Entries with contiguous indexes as one value: a list of `[index, term, type, data]` tuples. */
export function encodeRun(entries: readonly Entry[]): Uint8Array {
  const tuples = new Array<unknown>(entries.length);
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    tuples[i] = [entry.index, entry.term, entry.type, entry.data];
  }
  return packr.pack(tuples);
}

/** The entries of the run stored under `first`: at least one, contiguous from `first`. */
export function decodeRun(first: number, value: Uint8Array): Entry[] {
  const decoded: unknown = unpack(value, 'run');
  if (!Array.isArray(decoded) || decoded.length === 0) throw new StorageCorruptError(`run ${first} is not a list of entries`);
  return decoded.map((tuple: unknown, i) => {
    const entry = entryOf(tuple);
    if (entry.index !== first + i) throw new StorageCorruptError(`run ${first} holds entry ${entry.index} at position ${i}`);
    return entry;
  });
}

function indexKey(prefix: number, index: number): Uint8Array {
  const key = new Uint8Array(ENTRY_KEY_BYTES);
  const view = new DataView(key.buffer);
  key[0] = prefix;
  view.setUint32(1, Math.floor(index / TWO_POW_32));
  view.setUint32(5, index >>> 0);
  return key;
}

/** The lowest key any entry can have (index 0), for ranges over the whole log. */
export const ENTRY_KEY_MIN = entryKey(0);
/** A key above every entry key. */
export const ENTRY_KEY_END = Uint8Array.of(ENTRY_PREFIX + 1);

export function decodeEntryKey(key: Uint8Array): number {
  return decodeIndexKey(ENTRY_PREFIX, key, 'entry');
}

function decodeIndexKey(prefix: number, key: Uint8Array, what: string): number {
  if (key.byteLength !== ENTRY_KEY_BYTES || key[0] !== prefix) throw new StorageCorruptError(`malformed ${what} key`);
  const view = new DataView(key.buffer, key.byteOffset, key.byteLength);
  return view.getUint32(1) * TWO_POW_32 + view.getUint32(5);
}

/** An entry as the tuple `[index, term, type, data]`. */
export function encodeEntry(entry: Entry): Uint8Array {
  return packr.pack([entry.index, entry.term, entry.type, entry.data]);
}

export function decodeEntry(value: Uint8Array): Entry {
  return entryOf(unpack(value, 'entry'));
}

function entryOf(decoded: unknown): Entry {
  if (!Array.isArray(decoded) || decoded.length !== 4) throw new StorageCorruptError('entry is not a 4-tuple');
  const [index, term, type, data] = decoded as unknown[];
  if (type !== EntryType.Normal && type !== EntryType.ConfChange) throw new StorageCorruptError(`entry type ${String(type)}`);
  return { index: count(index, 'entry index'), term: count(term, 'entry term'), type, data: bytes(data, 'entry data') };
}

export function encodeHardState(hardState: HardState): Uint8Array {
  return packr.pack({ term: hardState.term, vote: hardState.vote, commit: hardState.commit });
}

export function decodeHardState(value: Uint8Array): HardState {
  const record = object(unpack(value, 'hard state'), 'hard state');
  return {
    term: count(record['term'], 'hard state term'),
    vote: count(record['vote'], 'hard state vote'),
    commit: count(record['commit'], 'hard state commit'),
  };
}

export function encodeSnapshotRecord(record: SnapshotRecord): Uint8Array {
  const { index, term, confState } = record.metadata;
  return packr.pack({
    index,
    term,
    confState: {
      voters: [...confState.voters],
      learners: [...confState.learners],
      votersOutgoing: [...confState.votersOutgoing],
      learnersNext: [...confState.learnersNext],
    },
    fileName: record.fileName,
  });
}

export function decodeSnapshotRecord(value: Uint8Array): SnapshotRecord {
  const record = object(unpack(value, 'snapshot record'), 'snapshot record');
  const fileName = record['fileName'];
  if (fileName !== null && typeof fileName !== 'string') throw new StorageCorruptError('snapshot file name');
  const metadata: SnapshotMetadata = {
    index: count(record['index'], 'snapshot index'),
    term: count(record['term'], 'snapshot term'),
    confState: decodeConfState(record['confState']),
  };
  if ((metadata.index === 0) !== (fileName === null)) {
    throw new StorageCorruptError(`snapshot at ${metadata.index} with file ${String(fileName)}`);
  }
  return { metadata, fileName };
}

export function encodeCompactionPoint(point: CompactionPoint): Uint8Array {
  return packr.pack({ index: point.index, term: point.term });
}

export function decodeCompactionPoint(value: Uint8Array): CompactionPoint {
  const record = object(unpack(value, 'compaction point'), 'compaction point');
  return { index: count(record['index'], 'compacted index'), term: count(record['term'], 'compacted term') };
}

export function encodeFormat(): Uint8Array {
  return packr.pack(STORAGE_FORMAT_VERSION);
}

export function decodeFormat(value: Uint8Array): number {
  return count(unpack(value, 'format'), 'format version');
}

function decodeConfState(value: unknown): ConfState {
  const record = object(value, 'conf state');
  return {
    voters: ids(record['voters'], 'voters'),
    learners: ids(record['learners'], 'learners'),
    votersOutgoing: ids(record['votersOutgoing'], 'votersOutgoing'),
    learnersNext: ids(record['learnersNext'], 'learnersNext'),
  };
}

function unpack(value: Uint8Array, what: string): unknown {
  try {
    return packr.unpack(value);
  } catch (error) {
    throw new StorageCorruptError(`${what} does not decode: ${(error as Error).message}`);
  }
}

function object(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new StorageCorruptError(`${what} is not a map`);
  return value as Record<string, unknown>;
}

function count(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new StorageCorruptError(`${what} ${String(value)}`);
  return value;
}

function ids(value: unknown, what: string): number[] {
  if (!Array.isArray(value)) throw new StorageCorruptError(`${what} is not a list`);
  return value.map((id) => count(id, what));
}

/**
 * msgpackr hands out Node `Buffer`s that may share memory with the value read: copy into
 * a plain `Uint8Array`. `ArrayBuffer.isView` rather than `instanceof`, which fails for a
 * `Buffer` made in another realm (a Jest sandbox, a vm context).
 */
function bytes(value: unknown, what: string): Uint8Array {
  if (!ArrayBuffer.isView(value) || value instanceof DataView) throw new StorageCorruptError(`${what} is not bytes`);
  return new Uint8Array(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength));
}
