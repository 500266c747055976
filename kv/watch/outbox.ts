/**
 * A stream's responses waiting for the consumer: a FIFO that counts responses and wire
 * bytes. It is "full" at either budget; the stream then stops adding live events (its
 * watchers catch up from history later) but may still add the few control responses.
 */
import { assert } from './errors.js';
import type { WatchResponse } from './types.js';

export class Outbox {
  private items: { response: WatchResponse; bytes: number }[] = [];
  private head = 0;
  private totalBytes = 0;

  constructor(
    private readonly maxResponses: number,
    private readonly maxBytes: number,
  ) {
    assert(maxResponses >= 2 && maxBytes > 0, 'outbox: budgets too small');
  }

  get length(): number {
    return this.items.length - this.head;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  push(response: WatchResponse, bytes: number): void {
    this.items.push({ response, bytes });
    this.totalBytes += bytes;
  }

  shift(): WatchResponse | undefined {
    if (this.head === this.items.length) return undefined;
    const item = this.items[this.head]!;
    this.head++;
    this.totalBytes -= item.bytes;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item.response;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
    this.totalBytes = 0;
  }

  /** At or over either budget: no more live events. */
  isFull(): boolean {
    return this.length >= this.maxResponses || this.totalBytes >= this.maxBytes;
  }

  /** At most half of both budgets used: time to let lagging watchers catch up. */
  isBelowLowWater(): boolean {
    return this.length * 2 <= this.maxResponses && this.totalBytes * 2 <= this.maxBytes;
  }
}
