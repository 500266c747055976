/**
 * The watch hub: subscribes once to the store's committed changes and fans them out to
 * every open stream. One `WatchStream` per etcd Watch gRPC call (`openStream`), closed
 * when the call ends.
 */
import type { RevisionChanges } from '../mvcc/types.js';
import {
  DEFAULT_MAX_PENDING_BYTES,
  DEFAULT_MAX_PENDING_RESPONSES,
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_MAX_WATCHERS_PER_STREAM,
} from './constants.js';
import { assert } from './errors.js';
import type { WatchableStore } from './types.js';
import { WatchStream } from './watch-stream.js';
import type { WatchStreamLimits } from './watch-stream.js';
import { RESPONSE_OVERHEAD_BYTES } from './wire-size.js';

export interface WatchHubOptions {
  /**
   * Largest response, in wire bytes: responses of watchers that asked for `fragment` are
   * split above it, and catch-up responses pack whole revisions up to it. Use the
   * server's max request bytes. Default `DEFAULT_MAX_RESPONSE_BYTES` (1.5 MiB).
   */
  readonly maxResponseBytes?: number;
  /** Responses a stream holds before its watchers fall back to history. Default 128. */
  readonly maxPendingResponses?: number;
  /** The same budget in wire bytes. Default `DEFAULT_MAX_PENDING_BYTES` (8 MiB). */
  readonly maxPendingBytes?: number;
  /** Watchers per stream. Default `DEFAULT_MAX_WATCHERS_PER_STREAM`. */
  readonly maxWatchersPerStream?: number;
}

export class WatchHub {
  private readonly streams = new Set<WatchStream>();
  private readonly limits: WatchStreamLimits;
  private readonly unsubscribe: () => void;
  private lastRevision: number;
  private closed = false;

  constructor(
    private readonly store: WatchableStore,
    options: WatchHubOptions = {},
  ) {
    this.limits = {
      maxResponseBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
      maxPendingResponses: options.maxPendingResponses ?? DEFAULT_MAX_PENDING_RESPONSES,
      maxPendingBytes: options.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES,
      maxWatchers: options.maxWatchersPerStream ?? DEFAULT_MAX_WATCHERS_PER_STREAM,
    };
    assert(this.limits.maxResponseBytes > 2 * RESPONSE_OVERHEAD_BYTES, 'watch hub: maxResponseBytes too small');
    assert(this.limits.maxPendingResponses >= 2, 'watch hub: maxPendingResponses must be at least 2');
    assert(this.limits.maxPendingBytes > 0, 'watch hub: maxPendingBytes must be positive');
    assert(this.limits.maxWatchers > 0, 'watch hub: maxWatchersPerStream must be positive');
    this.lastRevision = store.currentRevision();
    this.unsubscribe = store.onChanges((changes) => this.dispatch(changes));
  }

  /** A new stream, for one Watch call. */
  openStream(): WatchStream {
    assert(!this.closed, 'watch hub: openStream after close');
    const stream = new WatchStream(this.store, this.limits, (closed) => this.streams.delete(closed));
    this.streams.add(stream);
    return stream;
  }

  /** One progress-notify tick for every stream (the driver calls it every interval). */
  notifyProgress(): void {
    for (const stream of [...this.streams]) stream.notifyProgress();
  }

  /**
   * The store was replaced by a snapshot (a follower installing the leader's): every
   * watcher catches up from the restored history, or is told it was compacted.
   */
  storeRestored(): void {
    this.lastRevision = this.store.currentRevision();
    for (const stream of [...this.streams]) stream.resync();
  }

  /** Unsubscribe from the store and close every stream. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    for (const stream of [...this.streams]) stream.close();
  }

  get streamCount(): number {
    return this.streams.size;
  }

  /** Watchers open over every stream. */
  get watcherCount(): number {
    let count = 0;
    for (const stream of this.streams) count += stream.watcherCount;
    return count;
  }

  private dispatch(changes: RevisionChanges): void {
    assert(
      changes.revision === this.store.currentRevision() && changes.revision > this.lastRevision,
      () => `watch hub: notified of revision ${changes.revision} after ${this.lastRevision} (store at ${this.store.currentRevision()})`,
    );
    this.lastRevision = changes.revision;
    for (const stream of [...this.streams]) stream.deliver(changes);
  }
}
