/**
 * The MsgApp messages sent to one follower and not yet acknowledged, as (last index,
 * bytes) pairs in send order: the leader's flow-control window. A fixed-capacity ring.
 */
import { assert } from './errors.js';

export class Inflights {
  private readonly indexes: number[];
  private readonly sizes: number[];
  private start = 0;
  private count = 0;
  private bytes = 0;

  /**
   * @param capacity most messages in flight (≥ 1)
   * @param maxBytes most entry bytes in flight; 0 for no limit
   */
  constructor(
    private readonly capacity: number,
    private readonly maxBytes: number,
  ) {
    this.indexes = new Array<number>(capacity).fill(0);
    this.sizes = new Array<number>(capacity).fill(0);
  }

  /** Record a message whose last entry is `index`. Indexes must increase. */
  add(index: number, bytes: number): void {
    assert(!this.full(), 'inflights: add to a full window');
    if (this.count > 0) {
      const lastIndex = this.indexes[(this.start + this.count - 1) % this.capacity]!;
      assert(index > lastIndex, () => `inflights: index ${index} not after ${lastIndex}`);
    }
    const slot = (this.start + this.count) % this.capacity;
    this.indexes[slot] = index;
    this.sizes[slot] = bytes;
    this.count++;
    this.bytes += bytes;
  }

  /** Forget every message whose last index is ≤ `index` (they are acknowledged). */
  freeLE(index: number): void {
    while (this.count > 0 && this.indexes[this.start]! <= index) {
      this.bytes -= this.sizes[this.start]!;
      this.start = (this.start + 1) % this.capacity;
      this.count--;
    }
    if (this.count === 0) this.start = 0;
  }

  full(): boolean {
    return this.count === this.capacity || (this.maxBytes > 0 && this.bytes >= this.maxBytes);
  }

  size(): number {
    return this.count;
  }

  reset(): void {
    this.start = 0;
    this.count = 0;
    this.bytes = 0;
  }
}
