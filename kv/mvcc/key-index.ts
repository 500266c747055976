/**
 * Every kept version of every key: the MVCC index.
 *
 * Each key has its records in revision order: a version written by a put, or a
 * tombstone written by a delete. A key is visible at revision r when its newest record
 * at or before r is a version (etcd's generations, flattened: a tombstone ends one).
 * Keys are kept in an ordered set (a B+tree) beside the map, for range scans in key order.
 *
 * Records are ordered by revision, then by `sub`, the change's place within its
 * revision. A key usually changes at most once per revision, but a transaction may change
 * it more than once (etcd lets a put and a from-key delete of one key share a branch):
 * what is visible at a revision is then the last of its records there.
 *
 * Compaction is in two parts. `compact` is logical and immediate: from then on the index
 * answers, counts and sizes as if every record the compaction forgets were gone. The
 * records themselves go later, a bounded batch of keys per `cleanStep`: nothing the
 * index answers depends on how far that has got (`logicalRecords` is what a key holds
 * logically; reads at or after the compaction point never reach the older records).
 */
import { assert } from './errors.js';
import { NEVER_COMPACTED } from './history.js';
import type { KeyInterval, KeyString } from './key-bytes.js';
import { OrderedKeySet } from './ordered-key-set.js';
import { ReclaimLedger } from './reclaim-ledger.js';
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
  /** The keys physically indexed, in ascending order (a key leaves when cleanup empties it). */
  private readonly keys = new OrderedKeySet();
  /** The logical compaction point: nothing answered depends on records it forgets. */
  private compacted: number;
  private readonly ledger: ReclaimLedger;
  private logicalKeys = 0;
  private logicalBytes = 0;
  private physicalBytes = 0;
  /** What physical cleanup is carrying out: up to which revision, and the last key done. */
  private cleanup: { target: number; after: KeyString | undefined } | undefined;

  constructor(compactRevision: number = NEVER_COMPACTED) {
    this.compacted = compactRevision;
    this.ledger = new ReclaimLedger(compactRevision);
  }

  /**
   * The number of keys a fully compacted index holds: deleted ones whose tombstone is
   * still after the compaction point included. The same on every member, whatever its
   * cleanup has reached.
   */
  get keyCount(): number {
    return this.logicalKeys;
  }

  /**
   * Approximate memory held by the records a fully compacted index keeps: keys, values
   * and per-record overhead. Logical, like `keyCount` (the quota compares it on every
   * member, so it must not depend on cleanup progress).
   */
  get sizeBytes(): number {
    return this.logicalBytes;
  }

  /** What the records still physically held take (cleanup not yet done included). */
  get physicalSizeBytes(): number {
    return this.physicalBytes;
  }

  /** The keys physically held (cleanup not yet done included). */
  get physicalKeyCount(): number {
    return this.keys.size;
  }

  /** Whether physical cleanup has work left. */
  get cleaning(): boolean {
    return this.cleanup !== undefined;
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
    for (const key of this.keys.from(interval.start)) {
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
      this.keys.add(key);
    }
    const last = history.records.at(-1);
    assert(
      last === undefined || last.main < record.main || (last.main === record.main && last.sub < record.sub),
      () => `record at ${record.main}.${record.sub} after one at ${last!.main}.${last!.sub}`,
    );
    assert(record.kv !== null || (last !== undefined && last.kv !== null), 'a tombstone must follow a version');
    history.records.push(record);
    const size = recordSize(history.key, record);
    this.physicalBytes += size;
    this.logicalBytes += size;
    // What this record makes reclaimable at its revision, and whether it (re)creates the key.
    let reclaimBytes = 0;
    if (last === undefined || (last.kv === null && last.main <= this.compacted)) this.logicalKeys++;
    else if (last.kv === null) this.ledger.withdrawKey(last.main);
    else reclaimBytes += recordSize(history.key, last);
    if (record.kv === null) reclaimBytes += size;
    if (reclaimBytes > 0 || record.kv === null) this.ledger.add(record.main, reclaimBytes, record.kv === null ? 1 : 0);
  }

  /** The logical compaction point (`NEVER_COMPACTED` before the first). */
  get compactRevision(): number {
    return this.compacted;
  }

  /**
   * Forgets, logically and at once, what no read at or after `revision` can see: for
   * each key, every record before its newest one at or before `revision`, and that one
   * too if it is a tombstone; a key left with nothing leaves. O(revisions since the last
   * compaction) in plain arithmetic. The records go physically in later `cleanStep`s,
   * which start over from the first key (a cleanup under way goes on to the new point).
   */
  compact(revision: number): void {
    assert(revision > this.compacted, () => `compact at ${revision}, compacted at ${this.compacted}`);
    const reclaimed = this.ledger.release(revision);
    this.logicalBytes -= reclaimed.bytes;
    this.logicalKeys -= reclaimed.keys;
    this.compacted = revision;
    this.cleanup = { target: revision, after: undefined };
  }

  /**
   * Physically drops what compaction forgot, from the key after the last one done, for at
   * most `maxKeys` keys or `maxRecords` dropped records. Returns whether work is left.
   */
  cleanStep(maxKeys: number, maxRecords: number): boolean {
    const cleanup = this.cleanup;
    if (cleanup === undefined) return false;
    const emptied: KeyString[] = [];
    let keysDone = 0;
    let recordsDropped = 0;
    let finished = true;
    for (const key of this.keys.from(cleanup.after)) {
      if (key === cleanup.after) continue;
      if (keysDone >= maxKeys || recordsDropped >= maxRecords) {
        finished = false;
        break;
      }
      const history = this.histories.get(key)!;
      const drop = forgottenBy(history.records, cleanup.target);
      if (drop > 0) {
        for (let i = 0; i < drop; i++) this.physicalBytes -= recordSize(history.key, history.records[i]!);
        history.records.splice(0, drop);
        if (history.records.length === 0) emptied.push(key);
        recordsDropped += drop;
      }
      keysDone++;
      cleanup.after = key;
    }
    for (const key of emptied) {
      this.histories.delete(key);
      this.keys.delete(key);
    }
    if (finished) this.cleanup = undefined;
    return !finished;
  }

  /** Every key physically held with its history, in key order. */
  *entries(): IterableIterator<readonly [KeyString, KeyHistory]> {
    for (const key of this.keys) yield [key, this.histories.get(key)!];
  }

  /**
   * Every key a fully compacted index would hold, with the records it would keep, in key
   * order: what snapshots, record views and rebuilt history are made of. The records are
   * the history's own array when cleanup has nothing to drop from it, a copy otherwise.
   */
  *logicalEntries(): IterableIterator<KeyHistory> {
    for (const key of this.keys) {
      const history = this.histories.get(key)!;
      const drop = forgottenBy(history.records, this.compacted);
      if (drop === 0) yield history;
      else if (drop < history.records.length) yield { key: history.key, records: history.records.slice(drop) };
    }
  }
}

/**
 * How many of a key's oldest records a compaction at `revision` forgets: those before
 * its newest record at or before `revision`, and that one too if it is a tombstone.
 */
function forgottenBy(records: readonly KeyRecord[], revision: number): number {
  if (records.length === 0 || records[0]!.main > revision) return 0;
  const keep = lastAtOrBefore(records, revision);
  return records[keep]!.kv === null ? keep + 1 : keep;
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
