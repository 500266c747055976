/**
 * HPACK's dynamic table (RFC 7541 §2.3.2, §4): first in, first out, newest at the lowest
 * index; an entry's size is its name's and value's octets plus 32 (§4.1); adding an entry
 * evicts the oldest until it fits, and an entry larger than the whole table empties it and
 * is not added (§4.4).
 */
import type { HeaderEntry } from './static-table.js';

/** What an entry costs beyond its octets (§4.1). */
export const ENTRY_OVERHEAD_BYTES = 32;

export class DynamicTable {
  /** Oldest first: entry `i` (1 = newest) is `entries[entries.length - i]`, at `head` and after. */
  private entries: HeaderEntry[] = [];
  private head = 0;
  private size = 0;

  /** `maxSizeBytes`: the table's size limit until a size update changes it. */
  constructor(private maxSizeBytes: number) {}

  /** Entries in the table. */
  get length(): number {
    return this.entries.length - this.head;
  }

  /** Its size by §4.1's measure, in bytes. */
  get sizeBytes(): number {
    return this.size;
  }

  get maxBytes(): number {
    return this.maxSizeBytes;
  }

  /** Entry `index` (1 = the newest), or undefined past the oldest. */
  get(index: number): HeaderEntry | undefined {
    if (index < 1 || index > this.length) return undefined;
    return this.entries[this.entries.length - index];
  }

  add(entry: HeaderEntry): void {
    const cost = entrySize(entry);
    if (cost > this.maxSizeBytes) {
      this.entries = [];
      this.head = 0;
      this.size = 0;
      return;
    }
    this.evictTo(this.maxSizeBytes - cost);
    this.entries.push(entry);
    this.size += cost;
  }

  /** A dynamic table size update (§6.3): a new limit, evicting what no longer fits. */
  resize(maxSizeBytes: number): void {
    this.maxSizeBytes = maxSizeBytes;
    this.evictTo(maxSizeBytes);
  }

  private evictTo(limitBytes: number): void {
    while (this.size > limitBytes) {
      this.size -= entrySize(this.entries[this.head]!);
      this.head++;
    }
    // Drop evicted slots now and then, not on every eviction.
    if (this.head > 32 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }
}

function entrySize(entry: HeaderEntry): number {
  // latin1 strings: one character per octet.
  return entry.name.length + entry.value.length + ENTRY_OVERHEAD_BYTES;
}
