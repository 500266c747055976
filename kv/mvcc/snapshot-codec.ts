/**
 * The store's snapshot format: msgpack of plain arrays (no maps, no msgpackr records),
 * written in one fixed order, so that equal stores give equal bytes.
 *
 *   [magic, format, revision, compactRevision, keys, compactRevisionEvents]
 *   compactRevision: -1 if never compacted
 *   keys:   [[key, [record, ...]], ...]               in key order
 *   record: [main, sub]                                a tombstone
 *         | [main, sub, createRevision, version, value, lease]   a version (mod = main)
 *   compactRevisionEvents: [[type, kv, prevKv | null], ...]
 *   kv:     [key, createRevision, modRevision, version, value, lease]
 *
 * Leases are decimal strings (exact for all 64 bits). The history after the compaction
 * point is not written: every change after it is a record in the index, so it is rebuilt
 * from there. The changes made *at* the compaction point are written out, because their
 * previous versions are no longer in the index.
 *
 * Decoding checks every field and refuses anything else with `SnapshotCorruptError`.
 */
import { Packr } from 'msgpackr';

import { SnapshotCorruptError } from './errors.js';
import { NEVER_COMPACTED } from './history.js';
import { ownBytes } from './key-bytes.js';
import type { KeyRecord } from './key-index.js';
import type { KeyValue, KvEvent } from './types.js';

const MAGIC = 'balsa-mvcc';
/** Bumped on any incompatible change of the layout. */
export const SNAPSHOT_FORMAT = 2;
/**
 * Format 1 wrote 0 for a store never compacted (it could not compact at 0); format 2
 * writes -1 (`NEVER_COMPACTED`), and 0 means compacted at 0. Both are read.
 */
const FIRST_FORMAT = 1;

const packr = new Packr({ useRecords: false, mapsAsObjects: true });

/** Everything a snapshot holds. */
export interface SnapshotState {
  readonly revision: number;
  readonly compactRevision: number;
  /** Every indexed key with its records, in key order. */
  readonly keys: readonly { readonly key: Uint8Array; readonly records: readonly KeyRecord[] }[];
  /** The history entry at the compaction point, if it is kept. */
  readonly compactRevisionEvents: readonly KvEvent[];
}

export function encodeSnapshot(state: SnapshotState): Uint8Array {
  return packr.pack([
    MAGIC,
    SNAPSHOT_FORMAT,
    state.revision,
    state.compactRevision,
    state.keys.map(({ key, records }) => [key, records.map(recordToTuple)]),
    state.compactRevisionEvents.map(eventToTuple),
  ]);
}

function eventToTuple(event: KvEvent): unknown[] {
  return [event.type === 'put' ? 0 : 1, kvToTuple(event.kv), event.prevKv && kvToTuple(event.prevKv)];
}

/** Keys encoded between two pauses of `encodeSnapshotInSteps`. */
export const SNAPSHOT_KEYS_PER_STEP = 2_000;

/**
 * The same bytes as `encodeSnapshot(state)`, as consecutive parts (join them for the
 * whole), encoded `SNAPSHOT_KEYS_PER_STEP` keys at a time with `pause()` awaited between
 * steps, so that a large store's snapshot does not hold the event loop (a member encoding
 * hundreds of thousands of records in one go missed its heartbeats and lost its
 * leadership). `state` must not change meanwhile.
 */
export async function encodeSnapshotInSteps(state: SnapshotState, pause: () => Promise<void>): Promise<Uint8Array[]> {
  const parts: Uint8Array[] = [
    Uint8Array.of(0x96), // an array of the 6 fields below
    packr.pack(MAGIC),
    packr.pack(SNAPSHOT_FORMAT),
    packr.pack(state.revision),
    packr.pack(state.compactRevision),
    arrayHeader(state.keys.length),
  ];
  for (let from = 0; from < state.keys.length; from += SNAPSHOT_KEYS_PER_STEP) {
    if (from > 0) await pause();
    const end = Math.min(state.keys.length, from + SNAPSHOT_KEYS_PER_STEP);
    for (let i = from; i < end; i++) {
      const { key, records } = state.keys[i]!;
      parts.push(packr.pack([key, records.map(recordToTuple)]));
    }
  }
  parts.push(packr.pack(state.compactRevisionEvents.map(eventToTuple)));
  return parts;
}

/** msgpack's header of an array of `length` elements (the shortest form, as every encoder writes it). */
function arrayHeader(length: number): Uint8Array {
  if (length < 16) return Uint8Array.of(0x90 | length);
  if (length < 0x1_0000) return Uint8Array.of(0xdc, length >>> 8, length & 0xff);
  return Uint8Array.of(0xdd, length >>> 24, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff);
}

export function decodeSnapshot(encoded: Uint8Array): SnapshotState {
  let decoded: unknown;
  try {
    decoded = packr.unpack(encoded);
  } catch (error) {
    throw new SnapshotCorruptError(`not msgpack: ${(error as Error).message}`);
  }
  const [magic, format, revision, compactRevision, keys, events] = tuple(decoded, 6, 'snapshot');
  if (magic !== MAGIC) throw new SnapshotCorruptError('not an mvcc snapshot');
  if (format !== SNAPSHOT_FORMAT && format !== FIRST_FORMAT) throw new SnapshotCorruptError(`format ${String(format)}, expected ${SNAPSHOT_FORMAT}`);
  const compacted = compactRevision === NEVER_COMPACTED ? NEVER_COMPACTED : count(compactRevision, 'compactRevision');
  return {
    revision: count(revision, 'revision'),
    compactRevision: format === FIRST_FORMAT && compacted === 0 ? NEVER_COMPACTED : compacted,
    keys: list(keys, 'keys').map((entry) => {
      const [key, records] = tuple(entry, 2, 'key entry');
      const keyBytes = bytes(key, 'key');
      return { key: keyBytes, records: list(records, 'records').map((record) => recordFromTuple(record, keyBytes)) };
    }),
    compactRevisionEvents: list(events, 'events').map(eventFromTuple),
  };
}

function recordToTuple(record: KeyRecord): unknown[] {
  const kv = record.kv;
  return kv === null
    ? [record.main, record.sub]
    : [record.main, record.sub, kv.createRevision, kv.version, kv.value, kv.lease.toString()];
}

function recordFromTuple(value: unknown, key: Uint8Array): KeyRecord {
  if (!Array.isArray(value) || (value.length !== 2 && value.length !== 6)) throw new SnapshotCorruptError('malformed record');
  const main = count(value[0], 'record.main');
  const sub = count(value[1], 'record.sub');
  if (value.length === 2) return { main, sub, kv: null };
  const kv: KeyValue = {
    key,
    createRevision: count(value[2], 'createRevision'),
    modRevision: main,
    version: count(value[3], 'version'),
    value: bytes(value[4], 'value'),
    lease: lease(value[5]),
  };
  return { main, sub, kv };
}

function kvToTuple(kv: KeyValue): unknown[] {
  return [kv.key, kv.createRevision, kv.modRevision, kv.version, kv.value, kv.lease.toString()];
}

function kvFromTuple(value: unknown): KeyValue {
  const [key, createRevision, modRevision, version, data, leaseId] = tuple(value, 6, 'kv');
  return {
    key: bytes(key, 'kv.key'),
    createRevision: count(createRevision, 'kv.createRevision'),
    modRevision: count(modRevision, 'kv.modRevision'),
    version: count(version, 'kv.version'),
    value: bytes(data, 'kv.value'),
    lease: lease(leaseId),
  };
}

function eventFromTuple(value: unknown): KvEvent {
  const [type, kv, prevKv] = tuple(value, 3, 'event');
  if (type !== 0 && type !== 1) throw new SnapshotCorruptError(`event type ${String(type)}`);
  return { type: type === 0 ? 'put' : 'delete', kv: kvFromTuple(kv), prevKv: prevKv === null ? null : kvFromTuple(prevKv) };
}

function tuple(value: unknown, length: number, what: string): unknown[] {
  if (!Array.isArray(value) || value.length !== length) throw new SnapshotCorruptError(`${what} is not a ${length}-tuple`);
  return value;
}

function list(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new SnapshotCorruptError(`${what} is not a list`);
  return value;
}

function count(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new SnapshotCorruptError(`${what} is not a count`);
  return value;
}

function lease(value: unknown): bigint {
  if (typeof value !== 'string' || !/^-?\d+$/.test(value)) throw new SnapshotCorruptError('lease is not a decimal integer');
  return BigInt(value);
}

/**
 * msgpackr hands out Buffers that may share memory with the snapshot bytes: copy into
 * plain arrays. `ArrayBuffer.isView` rather than `instanceof` (Buffers from another realm).
 */
function bytes(value: unknown, what: string): Uint8Array {
  if (!ArrayBuffer.isView(value) || value instanceof DataView) throw new SnapshotCorruptError(`${what} is not bytes`);
  return ownBytes(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
}
