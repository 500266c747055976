/**
 * Every kept version of every key: the MVCC index.
 *
 * Each key has its records in revision order: a version written by a put, or a
 * tombstone written by a delete. A key is visible at revision r when its newest record
 * at or before r is a version (etcd's generations, flattened: a tombstone ends one).
 * Keys are kept in a sorted array beside the map, for range scans in key order.
 *
 * Records are ordered by revision, then by `sub`, the change's place within its
 * revision. A key usually changes at most once per revision, but a transaction may change
 * it more than once (etcd lets a put and a from-key delete of one key share a branch):
 * what is visible at a revision is then the last of its records there.
 */
import { assert } from './errors.js';
import type { KeyInterval, KeyString } from './key-bytes.js';
import type { KeyValue } from './types.js';

/** One record of a key: a version, or a tombstone (`kv` null) at the deleting revision. */
export interface KeyRecord {
  /** The revision of the write. */
  readonly main: number;
  /** The change's position among its revision's changes, from 0. */
  readonly sub: number;
  readonly kv: KeyValue | null;
}

/** A key's bytes and its records, oldest first (never empty while the key is indexed). */
export interface KeyHistory {
  readonly key: Uint8Array;
  readonly records: KeyRecord[];
}

/** What one record costs beyond its key and value bytes (objects, numbers), roughly. */
export const RECORD_OVERHEAD_BYTES = 64;

export class KeyIndex {
  private readonly histories = new Map<KeyString, KeyHistory>();
  /** The indexed keys in ascending order (a key leaves when compaction empties it). */
  private sortedKeys: KeyString[] = [];
  private recordBytes = 0;

  /** The number of indexed keys, deleted ones whose tombstone is still kept included. */
  get keyCount(): number {
    return this.sortedKeys.length;
  }

  /** Approximate memory held by the records: keys, values and per-record overhead. */
  get sizeBytes(): number {
    return this.recordBytes;
  }

  /** The version of `key` visible at `revision`, or null (never written, deleted, compacted). */
  get(key: KeyString, revision: number): KeyValue | null {
    const history = this.histories.get(key);
    return history === undefined ? null : visibleAt(history.records, revision);
  }

  history(key: KeyString): KeyHistory | undefined {
    return this.histories.get(key);
  }

  /** Every version visible at `revision` in `interval`, in key order. */
  visible(interval: KeyInterval, revision: number): KeyValue[] {
    const found: KeyValue[] = [];
    for (let i = this.lowerBound(interval.start); i < this.sortedKeys.length; i++) {
      const key = this.sortedKeys[i]!;
      if (interval.end !== undefined && key >= interval.end) break;
      const kv = visibleAt(this.histories.get(key)!.records, revision);
      if (kv !== null) found.push(kv);
    }
    return found;
  }

  /**
   * Adds a record as `key`'s newest. It must come after every record the key has (a
   * higher revision, or a higher sub-revision in the same one): history is only ever
   * appended to.
   */
  append(key: KeyString, keyBytes: Uint8Array, record: KeyRecord): void {
    let history = this.histories.get(key);
    if (history === undefined) {
      history = { key: keyBytes, records: [] };
      this.histories.set(key, history);
      this.sortedKeys.splice(this.lowerBound(key), 0, key);
    }
    const last = history.records.at(-1);
    assert(
      last === undefined || last.main < record.main || (last.main === record.main && last.sub < record.sub),
      () => `record at ${record.main}.${record.sub} after one at ${last!.main}.${last!.sub}`,
    );
    assert(record.kv !== null || (last !== undefined && last.kv !== null), 'a tombstone must follow a version');
    history.records.push(record);
    this.recordBytes += recordSize(history.key, record);
  }

  /**
   * Forgets what no read at or after `revision` can see: for each key, every record
   * before its newest one at or before `revision`, and that one too if it is a tombstone.
   * A key left with no records leaves the index. O(records).
   */
  compact(revision: number): void {
    const emptied = new Set<KeyString>();
    for (const [key, history] of this.histories) {
      const records = history.records;
      let keep = lastAtOrBefore(records, revision);
      if (keep < 0) continue;
      if (records[keep]!.kv === null) keep++;
      for (let i = 0; i < keep; i++) this.recordBytes -= recordSize(history.key, records[i]!);
      records.splice(0, keep);
      if (records.length === 0) emptied.add(key);
    }
    if (emptied.size === 0) return;
    for (const key of emptied) this.histories.delete(key);
    this.sortedKeys = this.sortedKeys.filter((key) => !emptied.has(key));
  }

  /** Every key with its history, in key order. */
  *entries(): IterableIterator<readonly [KeyString, KeyHistory]> {
    for (const key of this.sortedKeys) yield [key, this.histories.get(key)!];
  }

  /** The first position in `sortedKeys` whose key is ≥ `key`. */
  private lowerBound(key: KeyString): number {
    let low = 0;
    let high = this.sortedKeys.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.sortedKeys[middle]! < key) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}

/** The position of the newest record at or before `revision`, or -1. */
export function lastAtOrBefore(records: readonly KeyRecord[], revision: number): number {
  // Most reads are at the current revision: the newest record answers them at once.
  const newest = records.length - 1;
  if (newest < 0 || records[newest]!.main <= revision) return newest;
  let low = 0;
  let high = newest; // records[high].main > revision
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (records[middle]!.main <= revision) low = middle + 1;
    else high = middle;
  }
  return low - 1;
}

function visibleAt(records: readonly KeyRecord[], revision: number): KeyValue | null {
  const at = lastAtOrBefore(records, revision);
  return at < 0 ? null : records[at]!.kv;
}

function recordSize(key: Uint8Array, record: KeyRecord): number {
  return RECORD_OVERHEAD_BYTES + key.byteLength + (record.kv === null ? 0 : record.kv.value.byteLength);
}
