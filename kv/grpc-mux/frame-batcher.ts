/**
 * Items (requests or responses) that are ready together leave in one frame: a frame is
 * written when the event loop turns, or at once when it holds `maxItems` items or
 * `maxBytes` bytes of messages. An item that would take a frame past `maxBytes` starts the
 * next one (so a frame is past it only when it holds a single item).
 */
export class FrameBatcher<T> {
  private items: T[] = [];
  private bytes = 0;
  private scheduled = false;

  constructor(
    private readonly limits: { readonly maxItems: number; readonly maxBytes: number },
    private readonly sizeOf: (item: T) => number,
    private readonly write: (items: T[]) => void,
  ) {}

  push(item: T): void {
    const size = this.sizeOf(item);
    if (this.items.length > 0 && this.bytes + size > this.limits.maxBytes) this.flush();
    this.items.push(item);
    this.bytes += size;
    if (this.items.length >= this.limits.maxItems || this.bytes >= this.limits.maxBytes) this.flush();
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
    this.bytes = 0;
    this.write(items);
  }

  /** Forgets what is waiting. */
  drop(): void {
    this.items = [];
    this.bytes = 0;
  }
}
