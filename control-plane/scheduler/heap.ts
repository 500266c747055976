/**
 * A binary min-heap by `less` that also removes and re-sorts any item it holds (it tracks
 * each item's position), for the scheduling queue's active and back-off queues. Items are
 * objects, identified by reference; one may be in a heap once.
 */
export class Heap<T extends object> {
  private readonly items: T[] = [];
  private readonly positions = new Map<T, number>();

  constructor(private readonly less: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  has(item: T): boolean {
    return this.positions.has(item);
  }

  push(item: T): void {
    if (this.positions.has(item)) throw new Error('the item is in the heap already');
    this.items.push(item);
    this.positions.set(item, this.items.length - 1);
    this.up(this.items.length - 1);
  }

  /** The least item, left in place. */
  peek(): T | undefined {
    return this.items[0];
  }

  /** Takes the least item out. */
  pop(): T | undefined {
    const first = this.items[0];
    if (first !== undefined) this.removeAt(0);
    return first;
  }

  /** Takes `item` out; whether it was in. */
  remove(item: T): boolean {
    const index = this.positions.get(item);
    if (index === undefined) return false;
    this.removeAt(index);
    return true;
  }

  /** Puts `item` back in order after what `less` reads of it changed. */
  update(item: T): void {
    const index = this.positions.get(item);
    if (index === undefined) throw new Error('the item is not in the heap');
    this.down(this.up(index));
  }

  /** Every item, in no particular order (do not change the heap while iterating). */
  values(): IterableIterator<T> {
    return this.items.values();
  }

  private removeAt(index: number): void {
    const item = this.items[index]!;
    const last = this.items.pop()!;
    this.positions.delete(item);
    if (index === this.items.length) return;
    this.items[index] = last;
    this.positions.set(last, index);
    this.down(this.up(index));
  }

  /** Moves the item at `index` up while it is less than its parent; returns where it ends. */
  private up(index: number): number {
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!this.less(this.items[index]!, this.items[parent]!)) break;
      this.swap(index, parent);
      index = parent;
    }
    return index;
  }

  private down(index: number): void {
    for (;;) {
      const left = 2 * index + 1;
      const right = left + 1;
      let least = index;
      if (left < this.items.length && this.less(this.items[left]!, this.items[least]!)) least = left;
      if (right < this.items.length && this.less(this.items[right]!, this.items[least]!)) least = right;
      if (least === index) return;
      this.swap(index, least);
      index = least;
    }
  }

  private swap(a: number, b: number): void {
    const itemA = this.items[a]!;
    const itemB = this.items[b]!;
    this.items[a] = itemB;
    this.items[b] = itemA;
    this.positions.set(itemB, a);
    this.positions.set(itemA, b);
  }
}
