/**
 * A deterministic priority queue of simulator events, ordered by (virtual time, insertion
 * sequence): events due at the same time come out in the order they were scheduled, so a
 * run depends on nothing but its seed. A binary heap over parallel arrays.
 */

export class EventQueue<T> {
  private times: number[] = [];
  private sequences: number[] = [];
  private values: T[] = [];
  private nextSequence = 0;

  get size(): number {
    return this.values.length;
  }

  /** Schedule `value` at virtual time `time` (an integer number of units). */
  push(time: number, value: T): void {
    if (!Number.isSafeInteger(time)) throw new Error(`event time must be a safe integer, got ${time}`);
    let i = this.values.length;
    this.times.push(time);
    this.sequences.push(this.nextSequence++);
    this.values.push(value);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  /** Time of the earliest event, or `Infinity` when empty. */
  peekTime(): number {
    return this.values.length === 0 ? Infinity : this.times[0]!;
  }

  /** Remove and return the earliest event (its time is `peekTime()` before the call). Throws when empty. */
  pop(): T {
    const n = this.values.length;
    if (n === 0) throw new Error('pop from an empty event queue');
    const value = this.values[0]!;
    const last = n - 1;
    if (last > 0) this.swap(0, last);
    this.times.pop();
    this.sequences.pop();
    this.values.pop();
    let i = 0;
    const size = last;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= size) break;
      const right = left + 1;
      const child = right < size && this.less(right, left) ? right : left;
      if (!this.less(child, i)) break;
      this.swap(i, child);
      i = child;
    }
    return value;
  }

  private less(a: number, b: number): boolean {
    const ta = this.times[a]!;
    const tb = this.times[b]!;
    return ta < tb || (ta === tb && this.sequences[a]! < this.sequences[b]!);
  }

  private swap(a: number, b: number): void {
    const t = this.times[a]!;
    this.times[a] = this.times[b]!;
    this.times[b] = t;
    const s = this.sequences[a]!;
    this.sequences[a] = this.sequences[b]!;
    this.sequences[b] = s;
    const v = this.values[a]!;
    this.values[a] = this.values[b]!;
    this.values[b] = v;
  }
}
