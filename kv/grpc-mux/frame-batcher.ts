/**
 * Items (requests or responses) that are ready together leave in one frame: a frame is
 * written when the event loop turns, or at once when it holds `max` items.
 */
export class FrameBatcher<T> {
  private items: T[] = [];
  private scheduled = false;

  constructor(
    private readonly max: number,
    private readonly write: (items: T[]) => void,
  ) {}

  push(item: T): void {
    this.items.push(item);
    if (this.items.length >= this.max) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Writes what is waiting now (nothing if nothing is). */
  flush(): void {
    this.scheduled = false;
    if (this.items.length === 0) return;
    const items = this.items;
    this.items = [];
    this.write(items);
  }

  /** Forgets what is waiting. */
  drop(): void {
    this.items = [];
  }
}
