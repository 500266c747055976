/**
 * A priority queue of lease ids by time (ms), at most one entry per id: setting an id
 * already queued moves it. Ties are broken by id, so the order never depends on the
 * order of insertion (every member of a cluster computes the same order). A binary heap
 * with an index from id to slot: `set`, `delete` and `pop` are O(log n), `peek` O(1).
 */
import { assert } from './errors.js';

export interface DeadlineEntry {
  readonly id: bigint;
  readonly timeMs: number;
}

export class DeadlineQueue {
  private readonly heap: DeadlineEntry[] = [];
  private readonly slots = new Map<bigint, number>();

  get size(): number {
    return this.heap.length;
  }

  has(id: bigint): boolean {
    return this.slots.has(id);
  }

  /** The earliest entry, or undefined when empty. */
  peek(): DeadlineEntry | undefined {
    return this.heap[0];
  }

  /** Queue `id` at `timeMs`, moving it if already queued. */
  set(id: bigint, timeMs: number): void {
    assert(!Number.isNaN(timeMs), () => `deadline queue: NaN time for ${id}`);
    const entry = { id, timeMs };
    const slot = this.slots.get(id);
    if (slot === undefined) {
      this.heap.push(entry);
      this.slots.set(id, this.heap.length - 1);
      this.up(this.heap.length - 1);
      return;
    }
    this.heap[slot] = entry;
    this.up(slot);
    this.down(this.slots.get(id)!);
  }

  /** Remove `id`; says whether it was queued. */
  delete(id: bigint): boolean {
    const slot = this.slots.get(id);
    if (slot === undefined) return false;
    this.removeAt(slot);
    return true;
  }

  /** Remove and return the earliest entry. */
  pop(): DeadlineEntry | undefined {
    const first = this.heap[0];
    if (first !== undefined) this.removeAt(0);
    return first;
  }

  clear(): void {
    this.heap.length = 0;
    this.slots.clear();
  }

  private removeAt(slot: number): void {
    const removed = this.heap[slot]!;
    const last = this.heap.pop()!;
    this.slots.delete(removed.id);
    if (slot === this.heap.length) return;
    this.heap[slot] = last;
    this.slots.set(last.id, slot);
    this.up(slot);
    this.down(this.slots.get(last.id)!);
  }

  private before(a: DeadlineEntry, b: DeadlineEntry): boolean {
    return a.timeMs < b.timeMs || (a.timeMs === b.timeMs && a.id < b.id);
  }

  private up(slot: number): void {
    while (slot > 0) {
      const parent = (slot - 1) >> 1;
      if (!this.before(this.heap[slot]!, this.heap[parent]!)) return;
      this.swap(slot, parent);
      slot = parent;
    }
  }

  private down(slot: number): void {
    for (;;) {
      const left = 2 * slot + 1;
      const right = left + 1;
      let smallest = slot;
      if (left < this.heap.length && this.before(this.heap[left]!, this.heap[smallest]!)) smallest = left;
      if (right < this.heap.length && this.before(this.heap[right]!, this.heap[smallest]!)) smallest = right;
      if (smallest === slot) return;
      this.swap(slot, smallest);
      slot = smallest;
    }
  }

  private swap(a: number, b: number): void {
    const entryA = this.heap[a]!;
    const entryB = this.heap[b]!;
    this.heap[a] = entryB;
    this.heap[b] = entryA;
    this.slots.set(entryB.id, a);
    this.slots.set(entryA.id, b);
  }
}
