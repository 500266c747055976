/**
 * One watcher: its range, filters and options, and how far it has been served.
 *
 * `nextRevision` is the first revision whose events it has not been given: every
 * matching event of every revision below it has been put in the stream's outbox exactly
 * once, and none at or above it. It only grows. A *synced* watcher receives live
 * events as the store commits them; an *unsynced* one reads them from history
 * (`changesSince(nextRevision)`) when the outbox has room, then becomes synced.
 */
import type { KeyRange, KvEvent } from '../mvcc/types.js';
import { rangeContains } from './key-range.js';

export interface WatcherOptions {
  readonly id: number;
  readonly range: KeyRange;
  readonly noPut: boolean;
  readonly noDelete: boolean;
  readonly prevKv: boolean;
  readonly fragment: boolean;
  readonly progressNotify: boolean;
  readonly nextRevision: number;
}

export class Watcher {
  readonly id: number;
  readonly range: KeyRange;
  readonly noPut: boolean;
  readonly noDelete: boolean;
  readonly prevKv: boolean;
  readonly fragment: boolean;
  readonly progressNotify: boolean;
  nextRevision: number;
  synced = false;
  /** No events were sent to it since the last progress tick (etcd's per-watcher flag). */
  idle = true;

  constructor(options: WatcherOptions) {
    this.id = options.id;
    this.range = options.range;
    this.noPut = options.noPut;
    this.noDelete = options.noDelete;
    this.prevKv = options.prevKv;
    this.fragment = options.fragment;
    this.progressNotify = options.progressNotify;
    this.nextRevision = options.nextRevision;
  }

  /** The events of one revision this watcher is to receive, as it is to receive them. */
  select(events: readonly KvEvent[]): KvEvent[] {
    const selected: KvEvent[] = [];
    for (const event of events) {
      if (event.type === 'put' ? this.noPut : this.noDelete) continue;
      if (!rangeContains(this.range, event.kv.key)) continue;
      selected.push(this.prevKv || event.prevKv === null ? event : { type: event.type, kv: event.kv, prevKv: null });
    }
    return selected;
  }
}
