/**
 * One watch stream: what one etcd Watch gRPC call carries. Many watchers share it and
 * its outbox of responses, which the transport drains with `take()`.
 *
 * **Delivery.** A watcher starting in the past first catches up from the store's
 * history, then receives live events as they are committed. Each event reaches it
 * exactly once and in revision order: `Watcher.nextRevision` says where it stands, and
 * since the store notifies synchronously (see `WatchableStore`), nothing can be
 * committed between reading the history and switching to live events. All the events of
 * one revision that a watcher selects go in one response (split only into fragments, and
 * only when the watcher asked for it); while catching up, one response may hold several
 * whole revisions, up to the size limit.
 *
 * **A slow consumer** never loses or duplicates events, and never makes the stream
 * buffer without bound: when the outbox reaches its budget (responses or bytes), a
 * watcher with a live event to send becomes *unsynced* at that event's revision and
 * stops receiving live events (etcd's approach). When the consumer has taken the outbox
 * below half its budget, unsynced watchers catch up from history, as much as the budget
 * allows, and become synced again once they reach the current revision. A watcher whose
 * next revision was compacted meanwhile gets `compacted` and is canceled, as in etcd.
 *
 * **Consumer contract.** Call `take()` until it returns undefined, or until the
 * transport pushes back (then again once it drains). The readable listener is called,
 * synchronously, when the outbox goes from empty to non-empty outside `take()`; it should
 * only schedule the draining, not do it.
 */
import type { KeyRange, KvEvent, RevisionChanges } from '../mvcc/types.js';
import { MAX_PENDING_CONTROL_RESPONSES, MAX_REVISIONS_PER_CATCH_UP_RESPONSE } from './constants.js';
import { assert, CancelReason, WatchStreamClosedError, WatchStreamOverloadedError } from './errors.js';
import { splitIntoFragments } from './fragment.js';
import { isEmptyRange, normalizeRange } from './key-range.js';
import { Outbox } from './outbox.js';
import type { WatchableStore, WatchCreateRequest, WatchResponse } from './types.js';
import { Watcher } from './watcher.js';
import { eventFieldBytes, RESPONSE_OVERHEAD_BYTES, responseBytes } from './wire-size.js';

/** Per-stream limits (see `WatchHubOptions` for their meaning and defaults). */
export interface WatchStreamLimits {
  readonly maxResponseBytes: number;
  readonly maxPendingResponses: number;
  readonly maxPendingBytes: number;
  readonly maxWatchers: number;
}

export class WatchStream {
  /** Every watcher, in creation order. */
  private readonly watchers = new Map<number, Watcher>();
  /** The watchers catching up from history, in the order they fell behind. */
  private readonly unsynced = new Set<Watcher>();
  private readonly outbox: Outbox;
  private nextAutoId = 0;
  /** A progress request waits for every watcher to be synced. */
  private progressRequested = false;
  private readableListener: (() => void) | undefined;
  private notifying = false;
  private taking = false;
  private syncing = false;
  private closed = false;

  constructor(
    private readonly store: WatchableStore,
    private readonly limits: WatchStreamLimits,
    private readonly onClose: (stream: WatchStream) => void,
  ) {
    this.outbox = new Outbox(limits.maxPendingResponses, limits.maxPendingBytes);
  }

  // ---- Client requests. ----

  /**
   * Create a watcher (etcd's WatchCreateRequest). Answers `created` with its id (then its
   * events), or `create-refused` with watch id -1 and the reason; returns the id or -1.
   * Throws `WatchStreamClosedError`, `WatchStreamOverloadedError`.
   */
  create(request: WatchCreateRequest): number {
    this.checkRequestAllowed();
    assert(Number.isSafeInteger(request.startRevision), () => `watch create: start revision ${request.startRevision}`);
    const requestedId = request.watchId ?? 0;
    assert(Number.isSafeInteger(requestedId), () => `watch create: watch id ${requestedId}`);
    const revision = this.store.currentRevision();
    const range = normalizeRange(request.key, request.rangeEnd);
    const refusal = this.refusal(request.startRevision, range, requestedId);
    if (refusal !== undefined) {
      this.pushControl({ kind: 'create-refused', watchId: -1, revision, cancelReason: refusal });
      return -1;
    }
    const id = requestedId !== 0 ? requestedId : this.assignId();
    const watcher = new Watcher({
      id,
      range,
      noPut: request.filters?.noPut ?? false,
      noDelete: request.filters?.noDelete ?? false,
      prevKv: request.prevKv ?? false,
      fragment: request.fragment ?? false,
      progressNotify: request.progressNotify ?? false,
      nextRevision: request.startRevision === 0 ? revision + 1 : request.startRevision,
    });
    this.watchers.set(id, watcher);
    this.pushControl({ kind: 'created', watchId: id, revision });
    if (watcher.nextRevision > revision) {
      watcher.synced = true;
    } else {
      this.unsynced.add(watcher);
      this.syncWatchers();
    }
    return id;
  }

  /**
   * Cancel a watcher: answers `canceled`; no event of it follows. An unknown id gets no
   * answer, as in etcd; returns whether the watcher existed.
   */
  cancel(watchId: number): boolean {
    this.checkRequestAllowed();
    const watcher = this.watchers.get(watchId);
    if (watcher === undefined) return false;
    this.remove(watcher);
    this.pushControl({ kind: 'canceled', watchId, revision: this.store.currentRevision() });
    this.maybeSendRequestedProgress();
    return true;
  }

  /**
   * etcd's progress request: once every watcher of the stream is synced (at once if they
   * are), a `progress` response with watch id -1 at the current revision. A stream with
   * no watcher gets nothing, as in etcd.
   */
  requestProgress(): void {
    this.checkRequestAllowed();
    if (this.watchers.size === 0) return;
    this.progressRequested = true;
    this.maybeSendRequestedProgress();
  }

  // ---- The consumer. ----

  /** The next response to send, or undefined when there is none for now. */
  take(): WatchResponse | undefined {
    if (this.closed) return undefined;
    this.taking = true;
    try {
      if (this.unsynced.size > 0 && this.outbox.isBelowLowWater()) this.syncWatchers();
      return this.outbox.shift();
    } finally {
      this.taking = false;
    }
  }

  /** Set the listener told when responses become available (see the class comment). */
  onReadable(listener: (() => void) | undefined): void {
    this.readableListener = listener;
  }

  /** Drop every watcher and pending response. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.watchers.clear();
    this.unsynced.clear();
    this.outbox.clear();
    this.readableListener = undefined;
    this.onClose(this);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get watcherCount(): number {
    return this.watchers.size;
  }

  get unsyncedWatcherCount(): number {
    return this.unsynced.size;
  }

  get pendingResponses(): number {
    return this.outbox.length;
  }

  get pendingBytes(): number {
    return this.outbox.bytes;
  }

  // ---- From the hub. ----

  /** A revision was committed: hand its events to the synced watchers. */
  deliver(changes: RevisionChanges): void {
    if (this.closed) return;
    for (const watcher of this.watchers.values()) {
      if (!watcher.synced || changes.revision < watcher.nextRevision) continue;
      const events = watcher.select(changes.events);
      if (events.length === 0) {
        watcher.nextRevision = changes.revision + 1;
      } else if (this.outbox.isFull()) {
        watcher.synced = false;
        this.unsynced.add(watcher);
      } else {
        this.pushEvents(watcher, events, changes.revision);
        watcher.nextRevision = changes.revision + 1;
      }
    }
  }

  /**
   * A progress tick: a `progress` response to each synced watcher that asked for them and
   * was sent no event since the previous tick. Skipped for watchers starting in the
   * future (etcd-io/etcd#20229, backported to 3.4) and while the outbox is full.
   */
  notifyProgress(): void {
    if (this.closed) return;
    const revision = this.store.currentRevision();
    for (const watcher of this.watchers.values()) {
      if (!watcher.progressNotify) continue;
      if (watcher.idle && watcher.synced && watcher.nextRevision <= revision + 1 && !this.outbox.isFull()) {
        this.pushControl({ kind: 'progress', watchId: watcher.id, revision });
      }
      watcher.idle = true;
    }
  }

  /** The store was replaced by a snapshot: every watcher catches up from history again. */
  resync(): void {
    if (this.closed) return;
    for (const watcher of this.watchers.values()) {
      if (!watcher.synced) continue;
      watcher.synced = false;
      this.unsynced.add(watcher);
    }
    this.syncWatchers();
  }

  // ---- Catching up. ----

  private syncWatchers(): void {
    if (this.syncing) return;
    this.syncing = true;
    try {
      for (const watcher of [...this.unsynced]) {
        if (this.outbox.isFull()) break;
        this.syncWatcher(watcher);
        if (this.unsynced.delete(watcher)) this.unsynced.add(watcher); // still behind: last in line, so all get a turn
      }
    } finally {
      this.syncing = false;
    }
    this.maybeSendRequestedProgress();
  }

  /** Read the watcher's history from `nextRevision` while the outbox has room. */
  private syncWatcher(watcher: Watcher): void {
    const current = this.store.currentRevision();
    const compactRevision = this.store.compactRevision();
    if (watcher.nextRevision < compactRevision) {
      this.remove(watcher);
      this.pushControl({ kind: 'compacted', watchId: watcher.id, revision: current, compactRevision });
      return;
    }
    let batch: KvEvent[] = [];
    let batchBytes = RESPONSE_OVERHEAD_BYTES;
    let batchRevisions = 0;
    let batchEnd = 0;
    const flush = (headerRevision: number): void => {
      this.pushEvents(watcher, batch, headerRevision);
      watcher.nextRevision = batchEnd + 1;
      batch = [];
      batchBytes = RESPONSE_OVERHEAD_BYTES;
      batchRevisions = 0;
    };
    const history = watcher.nextRevision > current ? [] : this.store.changesSince(watcher.nextRevision);
    let previous = watcher.nextRevision - 1;
    for (const changes of history) {
      assert(changes.revision > previous && changes.revision <= current, () => `watch: history revision ${changes.revision} after ${previous} (current ${current})`);
      previous = changes.revision;
      const events = watcher.select(changes.events);
      if (events.length === 0) {
        if (batch.length === 0) watcher.nextRevision = changes.revision + 1;
        else batchEnd = changes.revision;
        continue;
      }
      let bytes = 0;
      for (const event of events) bytes += eventFieldBytes(event);
      const overLimit = batchBytes + bytes > this.limits.maxResponseBytes || batchRevisions >= MAX_REVISIONS_PER_CATCH_UP_RESPONSE;
      if (batch.length > 0 && overLimit) {
        flush(batchEnd);
        if (this.outbox.isFull()) return;
      }
      batch.push(...events);
      batchBytes += bytes;
      batchRevisions++;
      batchEnd = changes.revision;
    }
    if (batch.length > 0) {
      batchEnd = current;
      flush(current);
    }
    watcher.nextRevision = Math.max(watcher.nextRevision, current + 1);
    watcher.synced = true;
    this.unsynced.delete(watcher);
  }

  private maybeSendRequestedProgress(): void {
    if (!this.progressRequested || this.unsynced.size > 0) return;
    this.progressRequested = false;
    if (this.watchers.size > 0) {
      this.pushControl({ kind: 'progress', watchId: -1, revision: this.store.currentRevision() });
    }
  }

  // ---- Helpers. ----

  private refusal(startRevision: number, range: KeyRange, requestedId: number): string | undefined {
    if (startRevision < 0) return CancelReason.NEGATIVE_START_REVISION;
    if (isEmptyRange(range)) return CancelReason.EMPTY_RANGE;
    if (requestedId < 0) return CancelReason.NEGATIVE_WATCH_ID;
    if (requestedId !== 0 && this.watchers.has(requestedId)) return CancelReason.DUPLICATE_WATCH_ID;
    if (this.watchers.size >= this.limits.maxWatchers) return CancelReason.TOO_MANY_WATCHERS;
    return undefined;
  }

  /** etcd's rule: the lowest id from 0 up not yet handed out by this rule nor in use. */
  private assignId(): number {
    while (this.watchers.has(this.nextAutoId)) this.nextAutoId++;
    return this.nextAutoId++;
  }

  private remove(watcher: Watcher): void {
    this.watchers.delete(watcher.id);
    this.unsynced.delete(watcher);
  }

  private checkRequestAllowed(): void {
    if (this.closed) throw new WatchStreamClosedError();
    if (this.outbox.length >= this.limits.maxPendingResponses + MAX_PENDING_CONTROL_RESPONSES) {
      throw new WatchStreamOverloadedError(this.outbox.length);
    }
  }

  private pushEvents(watcher: Watcher, events: readonly KvEvent[], revision: number): void {
    const pieces = watcher.fragment ? splitIntoFragments(events, this.limits.maxResponseBytes) : [events];
    pieces.forEach((piece, i) => {
      const response: WatchResponse = { kind: 'events', watchId: watcher.id, revision, events: piece, fragment: i < pieces.length - 1 };
      this.push(response, responseBytes(piece));
    });
    watcher.idle = false;
  }

  private pushControl(response: WatchResponse): void {
    const reasonBytes = response.kind === 'create-refused' ? response.cancelReason.length + 2 : 0;
    this.push(response, RESPONSE_OVERHEAD_BYTES + reasonBytes);
  }

  private push(response: WatchResponse, bytes: number): void {
    const wasEmpty = this.outbox.length === 0;
    this.outbox.push(response, bytes);
    const listener = this.readableListener;
    if (!wasEmpty || this.taking || this.notifying || listener === undefined) return;
    this.notifying = true;
    try {
      listener();
    } finally {
      this.notifying = false;
    }
  }
}
