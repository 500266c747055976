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
  private bytes: number[] = [];
  private keys: number[] = [];
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
      this.bytes[last]! += bytes;
      this.keys[last]! += keys;
      return;
    }
    if (last >= this.start && this.revisions[last]! > revision) this.sorted = false;
    this.revisions.push(revision);
    this.bytes.push(bytes);
    this.keys.push(keys);
  }

  /** The key whose tombstone is at `revision` was written again: it is not reclaimed there. */
  withdrawKey(revision: number): void {
    if (revision <= this.releasedThrough) return;
    this.withdrawn.set(revision, (this.withdrawn.get(revision) ?? 0) + 1);
  }

  /** Releases everything reclaimable at or below `revision`, and says how much that is. */
  release(revision: number): Reclaimed {
    if (revision <= this.releasedThrough) return { bytes: 0, keys: 0 };
    if (!this.sorted) this.sort();
    let bytes = 0;
    let keys = 0;
    let at = this.start;
    const end = upperBound(this.revisions, revision, this.start);
    for (; at < end; at++) {
      bytes += this.bytes[at]!;
      keys += this.keys[at]!;
    }
    this.start = end;
    for (const [tombstone, count] of this.withdrawn) {
      if (tombstone > revision) continue;
      keys -= count;
      this.withdrawn.delete(tombstone);
    }
    this.releasedThrough = revision;
    // Drop the released prefix once it is most of the arrays: amortized O(1) per entry.
    if (this.start > 1024 && this.start * 2 > this.revisions.length) {
      this.revisions = this.revisions.slice(this.start);
      this.bytes = this.bytes.slice(this.start);
      this.keys = this.keys.slice(this.start);
      this.start = 0;
    }
    return { bytes, keys };
  }

  private sort(): void {
    const order = Array.from({ length: this.revisions.length - this.start }, (_, i) => this.start + i);
    order.sort((a, b) => this.revisions[a]! - this.revisions[b]!);
    const revisions: number[] = [];
    const bytes: number[] = [];
    const keys: number[] = [];
    for (const i of order) {
      const last = revisions.length - 1;
      if (last >= 0 && revisions[last] === this.revisions[i]) {
        bytes[last]! += this.bytes[i]!;
        keys[last]! += this.keys[i]!;
      } else {
        revisions.push(this.revisions[i]!);
        bytes.push(this.bytes[i]!);
        keys.push(this.keys[i]!);
      }
    }
    this.revisions = revisions;
    this.bytes = bytes;
    this.keys = keys;
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
