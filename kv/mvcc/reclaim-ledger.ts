/**
 * What each revision makes reclaimable: the bytes of the records, and the keys, that a
 * compaction at or after that revision forgets. It lets the index say what it holds
 * *logically* (as if every compaction had been carried out in full) the moment a
 * compaction is decided, without walking the keys, and so the same on every member
 * whatever its physical cleanup has reached.
 *
 * A record becomes reclaimable at a revision fixed when that revision is written: a
 * version when the key's next record is written (its revision), a tombstone at its own
 * revision. A key becomes reclaimable at its tombstone's revision, unless it is written
 * again before a compaction reaches that revision: then the claim is withdrawn
 * (`withdrawKey`), which is the one entry made for a past revision.
 *
 * Revisions are added in ascending order by live writes, and in any order while a store
 * is rebuilt from a snapshot; the ledger sorts itself once before the next release.
 */
import { assert } from './errors.js';

export interface Reclaimed {
  readonly bytes: number;
  readonly keys: number;
}

export class ReclaimLedger {
  /** Ascending while `sorted`; entries before `start` are released. */
  private revisions: number[] = [];
  /**
   * Running totals of bytes and keys over the entries, so that a release of any number of
   * revisions is two look-ups: entry i's own amount is `total[i] - total[i - 1]`.
   */
  private totalBytes: number[] = [];
  private totalKeys: number[] = [];
  private start = 0;
  private sorted = true;
  /** Key claims withdrawn, by the tombstone's revision (few: a key deleted and re-created). */
  private readonly withdrawn = new Map<number, number>();
  /** Everything at or below this revision is released. */
  private releasedThrough: number;

  constructor(releasedThrough: number) {
    this.releasedThrough = releasedThrough;
  }

  /** Bytes and keys that become reclaimable at `revision` (above everything released). */
  add(revision: number, bytes: number, keys: number): void {
    assert(revision > this.releasedThrough, () => `reclaim at ${revision}, released through ${this.releasedThrough}`);
    const last = this.revisions.length - 1;
    if (last >= this.start && this.revisions[last] === revision) {
      this.totalBytes[last]! += bytes;
      this.totalKeys[last]! += keys;
      return;
    }
    if (last >= this.start && this.revisions[last]! > revision) this.sorted = false;
    this.revisions.push(revision);
    this.totalBytes.push((this.totalBytes[last] ?? 0) + bytes);
    this.totalKeys.push((this.totalKeys[last] ?? 0) + keys);
  }

  /** The key whose tombstone is at `revision` was written again: it is not reclaimed there. */
  withdrawKey(revision: number): void {
    if (revision <= this.releasedThrough) return;
    this.withdrawn.set(revision, (this.withdrawn.get(revision) ?? 0) + 1);
  }

  /**
   * Releases everything reclaimable at or below `revision`, and says how much that is.
   * O(log entries + withdrawn claims).
   */
  release(revision: number): Reclaimed {
    if (revision <= this.releasedThrough) return { bytes: 0, keys: 0 };
    if (!this.sorted) this.sort();
    const end = upperBound(this.revisions, revision, this.start);
    const before = this.start - 1;
    let bytes = 0;
    let keys = 0;
    if (end > this.start) {
      bytes = this.totalBytes[end - 1]! - (this.totalBytes[before] ?? 0);
      keys = this.totalKeys[end - 1]! - (this.totalKeys[before] ?? 0);
    }
    this.start = end;
    for (const [tombstone, count] of this.withdrawn) {
      if (tombstone > revision) continue;
      keys -= count;
      this.withdrawn.delete(tombstone);
    }
    this.releasedThrough = revision;
    // Drop the released prefix once it is most of the arrays: amortized O(1) per entry.
    // The last released entry stays, as the base of the running totals after it.
    if (this.start > 1024 && this.start * 2 > this.revisions.length) {
      this.revisions = this.revisions.slice(this.start - 1);
      this.totalBytes = this.totalBytes.slice(this.start - 1);
      this.totalKeys = this.totalKeys.slice(this.start - 1);
      this.start = 1;
    }
    return { bytes, keys };
  }

  private sort(): void {
    const base = this.start;
    const amount = (totals: number[], i: number): number => totals[i]! - (i > 0 ? totals[i - 1]! : 0);
    const order = Array.from({ length: this.revisions.length - base }, (_, i) => base + i);
    order.sort((a, b) => this.revisions[a]! - this.revisions[b]!);
    const revisions: number[] = [];
    const totalBytes: number[] = [];
    const totalKeys: number[] = [];
    for (const i of order) {
      const last = revisions.length - 1;
      if (last < 0 || revisions[last] !== this.revisions[i]) {
        revisions.push(this.revisions[i]!);
        totalBytes.push(last < 0 ? 0 : totalBytes[last]!);
        totalKeys.push(last < 0 ? 0 : totalKeys[last]!);
      }
      totalBytes[totalBytes.length - 1]! += amount(this.totalBytes, i);
      totalKeys[totalKeys.length - 1]! += amount(this.totalKeys, i);
    }
    this.revisions = revisions;
    this.totalBytes = totalBytes;
    this.totalKeys = totalKeys;
    this.start = 0;
    this.sorted = true;
  }
}

/** The first position at or after `from` in ascending `values` whose value is > `value`. */
function upperBound(values: readonly number[], value: number, from: number): number {
  let low = from;
  let high = values.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (values[middle]! <= value) low = middle + 1;
    else high = middle;
  }
  return low;
}
