/**
 * A point-in-time list of every record the store keeps — each version and each tombstone
 * not compacted away — in revision order (main, then sub): what etcd's backend holds in
 * its `key` bucket, for `snapshot save`.
 *
 * Taking it is cheap and later writes or compactions do not change it: the records at or
 * before the compaction point (at most one per key, the version still current there) are
 * copied into an array, and the changes after it are the history's entries, which are
 * never modified once made. Keys and values are shared with the store, not copied.
 */
import type { KeyIndex } from './key-index.js';
import type { History } from './history.js';
import type { KeyValue, RevisionChanges } from './types.js';

/** One kept record: a version (`kv`), or a tombstone (`kv` null) of `key`, written at (main, sub). */
export interface RevisionRecord {
  readonly main: number;
  readonly sub: number;
  readonly key: Uint8Array;
  readonly kv: KeyValue | null;
}

export class RecordView implements Iterable<RevisionRecord> {
  private constructor(
    /** Records at or before the compaction point, in revision order. */
    private readonly compacted: readonly RevisionRecord[],
    /** Every change after the compaction point, oldest first. */
    private readonly changes: readonly RevisionChanges[],
  ) {}

  /** The view of `index` and `history` as they are now. */
  static take(index: KeyIndex, history: History, compactRevision: number): RecordView {
    const compacted: RevisionRecord[] = [];
    if (compactRevision > 0) {
      for (const { key, records } of index.logicalEntries()) {
        // Compaction leaves each key its newest record at or before the point (a version), first.
        const first = records[0];
        if (first !== undefined && first.main <= compactRevision) compacted.push({ main: first.main, sub: first.sub, key, kv: first.kv });
      }
      compacted.sort((a, b) => a.main - b.main || a.sub - b.sub);
    }
    return new RecordView(compacted, history.since(compactRevision + 1));
  }

  /** The records in revision order; each iteration starts over. */
  *[Symbol.iterator](): Iterator<RevisionRecord> {
    yield* this.compacted;
    for (const { revision, events } of this.changes) {
      for (let sub = 0; sub < events.length; sub++) {
        const event = events[sub]!;
        yield { main: revision, sub, key: event.kv.key, kv: event.type === 'put' ? event.kv : null };
      }
    }
  }
}
