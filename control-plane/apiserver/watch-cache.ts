/**
 * The watch cache: one KV watch per resource, shared by every API watch of it, as
 * Kubernetes' API server does. Without it each client watch is a KV watch of its own, so the
 * KV sends, and the API server decodes and encodes, every change once per watcher; with it
 * every change crosses from the KV once, is decoded at most once (only when some watcher's
 * selector has to look inside it) and encoded once per side (the object as it is, or as it
 * was when deleted), whatever the number of watchers.
 *
 * The cache keeps the last `capacity` changes, so that a watch from a recent
 * resourceVersion (an informer that just listed, a client resuming) replays from memory.
 * It serves a watch from revision N only when it holds every change after N: N at or after
 * the revision it started from and after the last change it evicted. Otherwise the
 * registry falls back to a KV watch of that client's own, which answers older revisions or
 * 410 Expired exactly as before. Delivery order is the KV's: revision order, each change
 * once.
 *
 * When the cache's KV watch fails (the KV compacted past a watch that could not keep up, or
 * the client closed), every watcher it serves ends with that error (410 Expired: the
 * client lists again, as with Kubernetes) and the cache is dropped; the next watch starts
 * a new one.
 */
import { EtcdCompactedError } from '../../kv/client/errors.js';
import type { EtcdClient, KeyValue, WatchEvent, WatchHandle } from '../../kv/client/etcd-client.js';
import type { ApiObject, WatchEventType } from '../api/types.js';
import { ApiError } from './errors.js';
import { prefixEnd } from './storage-keys.js';
import { decodeObject, storedJsonWithVersion, withVersion } from './stored-objects.js';

/** Changes kept per resource for watches that start in the past. */
export const WATCH_CACHE_CAPACITY = 10_000;

/** One change of the resource, decoded and encoded on demand and at most once. */
export class CachedChange {
  readonly revision: number;
  readonly key: string;
  private currentObject: ApiObject | undefined;
  private previousObject: ApiObject | null | undefined;
  private currentText: string | undefined;
  private previousText: string | undefined;

  constructor(
    readonly type: 'PUT' | 'DELETE',
    private readonly kv: KeyValue,
    private readonly prevKv: KeyValue | null,
  ) {
    // A DELETE's key-value carries the revision of the delete.
    this.revision = kv.modRevision;
    this.key = kv.key.toString('latin1');
  }

  get hasPrevious(): boolean {
    return this.prevKv !== null;
  }

  /** The object after a PUT. */
  current(): ApiObject {
    return (this.currentObject ??= decodeObject(this.kv));
  }

  /** The object before the change (its own resourceVersion), null when the key was new. */
  previous(): ApiObject | null {
    if (this.previousObject === undefined) this.previousObject = this.prevKv === null ? null : decodeObject(this.prevKv);
    return this.previousObject;
  }

  /** The JSON of the object after a PUT. */
  currentJson(): string {
    return (this.currentText ??= storedJsonWithVersion(this.kv.value, this.revision));
  }

  /** The JSON of the object as it was, at the revision of this change: what a DELETED event carries. */
  previousJson(): string {
    return (this.previousText ??= storedJsonWithVersion(this.prevKv!.value, this.revision));
  }

  /** The object a DELETED event carries. */
  previousAtRevision(): ApiObject {
    return withVersion(this.previous()!, this.revision);
  }
}

/**
 * A KV watch event as a change of plaintext values: `plain` decrypts what is stored
 * encrypted (Secrets), before anything splices JSON into it. Throws ApiError when it cannot.
 */
export function changeInClear(event: WatchEvent, plain?: (kv: KeyValue) => KeyValue): CachedChange {
  if (plain === undefined) return new CachedChange(event.type, event.kv, event.prevKv);
  // A DELETE's key-value has no value: nothing to decrypt.
  return new CachedChange(event.type, event.type === 'DELETE' ? event.kv : plain(event.kv), event.prevKv === null ? null : plain(event.prevKv));
}

/**
 * A watch event on its way to one client: the type as that client sees it, and the object
 * both as a value and as JSON, each made only when asked (the front-ends ask for the JSON,
 * and share it with every other client sent the same change).
 */
export interface ServedWatchEvent {
  readonly type: WatchEventType;
  readonly object: ApiObject;
  json(): string;
}

/** A watch event of an object in hand (the listed objects a watch without a resourceVersion begins with). */
export function objectEvent(type: WatchEventType, object: ApiObject): ServedWatchEvent {
  let text: string | undefined;
  return { type, object, json: () => (text ??= JSON.stringify(object)) };
}

class CachedEvent implements ServedWatchEvent {
  constructor(
    readonly type: WatchEventType,
    private readonly change: CachedChange,
    private readonly side: 'current' | 'previous',
  ) {}

  get object(): ApiObject {
    return this.side === 'current' ? this.change.current() : this.change.previousAtRevision();
  }

  json(): string {
    return this.side === 'current' ? this.change.currentJson() : this.change.previousJson();
  }
}

/** What one watcher asked for. */
export interface CacheWatcherOptions {
  /** Changes after this revision. */
  readonly afterRevision: number;
  /** Only keys starting with this (a namespace's folder, or one object's key). */
  readonly keyPrefix: string;
  /** When only one object's key, exactly (a watch on one object's URL). */
  readonly exactKey: boolean;
  /** A label/field selector; undefined: everything (no object is decoded for this watcher). */
  readonly passes?: (object: ApiObject) => boolean;
  readonly onEvent: (event: ServedWatchEvent) => void;
  readonly onEnd: (error: ApiError) => void;
}

/** The event a change makes for one watcher, or null when the watcher is not to see it. */
export function eventFor(change: CachedChange, watcher: CacheWatcherOptions): ServedWatchEvent | null {
  if (watcher.exactKey ? change.key !== watcher.keyPrefix : !change.key.startsWith(watcher.keyPrefix)) return null;
  const passes = watcher.passes;
  if (passes === undefined) {
    if (change.type === 'DELETE') return change.hasPrevious ? new CachedEvent('DELETED', change, 'previous') : null;
    return new CachedEvent(change.hasPrevious ? 'MODIFIED' : 'ADDED', change, 'current');
  }
  const previous = change.previous();
  const was = previous !== null && passes(previous);
  if (change.type === 'DELETE') return was ? new CachedEvent('DELETED', change, 'previous') : null;
  if (passes(change.current())) return new CachedEvent(was ? 'MODIFIED' : 'ADDED', change, 'current');
  // It no longer matches the selector: to this watcher it is gone.
  return was ? new CachedEvent('DELETED', change, 'previous') : null;
}

export interface WatchCacheHandle {
  cancel(): void;
}

export class WatchCache {
  /** The last changes, oldest first, at most `capacity`. */
  private readonly changes: CachedChange[] = [];
  /** Where the oldest kept change is in `changes` (a ring would save the shifts; this keeps it plain). */
  private first = 0;
  /** Every change after this revision has been received or evicted; a watch from here or later is served. */
  private servedFrom: number;
  private readonly watchers = new Set<CacheWatcherOptions>();
  private handle: WatchHandle | null = null;
  private failure: ApiError | null = null;

  private constructor(
    private readonly capacity: number,
    startRevision: number,
    private readonly onFailed: (cache: WatchCache) => void,
  ) {
    this.servedFrom = startRevision;
  }

  /**
   * Starts a cache of the keys under `prefix` from the KV's current revision, keeping the
   * last `capacity` changes (at least 1). `onFailed` is called once if its KV watch fails
   * (the owner then drops it).
   */
  static async start(
    kv: EtcdClient,
    prefix: Buffer,
    onFailed: (cache: WatchCache) => void,
    capacity = WATCH_CACHE_CAPACITY,
    plain?: (kv: KeyValue) => KeyValue,
  ): Promise<WatchCache> {
    const { revision } = await kv.range(prefix, { rangeEnd: prefixEnd(prefix), countOnly: true });
    const cache = new WatchCache(Math.max(1, capacity), revision, onFailed);
    cache.handle = kv.watch(prefix, {
      rangeEnd: prefixEnd(prefix),
      startRevision: revision + 1,
      prevKv: true,
      onEvents: (events) => {
        try {
          for (const event of events) cache.add(changeInClear(event, plain));
        } catch (error) {
          // A value that cannot be decrypted: every watcher ends with it (a 500 naming the key).
          cache.fail(error instanceof ApiError ? error : ApiError.internal((error as Error).message));
        }
      },
      onError: (error) => cache.fail(error instanceof EtcdCompactedError ? ApiError.expired(`the watch cache fell behind the KV's compaction (${error.compactRevision})`) : ApiError.unavailable(error.message)),
    });
    return cache;
  }

  /** Whether a watch from after `revision` can be served from here. */
  serves(revision: number): boolean {
    return this.failure === null && revision >= this.servedFrom;
  }

  /** The revision of the last change received (the start revision before any): every watcher has been given every change up to it. */
  get revision(): number {
    return this.changes.length > this.first ? this.changes.at(-1)!.revision : this.servedFrom;
  }

  /** How many watchers it serves. */
  get watcherCount(): number {
    return this.watchers.size;
  }

  /**
   * Serves a watcher: the kept changes after its revision first, then every new one.
   * Returns null (and does nothing) when this cache cannot: the caller watches the KV.
   */
  watch(watcher: CacheWatcherOptions): WatchCacheHandle | null {
    if (!this.serves(watcher.afterRevision)) return null;
    let cancelled = false;
    for (let i = this.first; i < this.changes.length && !cancelled; i++) {
      const change = this.changes[i]!;
      if (change.revision <= watcher.afterRevision) continue;
      const event = eventFor(change, watcher);
      if (event !== null) watcher.onEvent(event);
    }
    this.watchers.add(watcher);
    return {
      cancel: () => {
        cancelled = true;
        this.watchers.delete(watcher);
      },
    };
  }

  /** Stops the KV watch; watchers get nothing more (their owners are closing too). */
  close(): void {
    this.handle?.cancel();
    this.watchers.clear();
  }

  private add(change: CachedChange): void {
    if (this.failure !== null) return;
    this.changes.push(change);
    if (this.changes.length - this.first > this.capacity) {
      this.servedFrom = Math.max(this.servedFrom, this.changes[this.first]!.revision);
      this.changes[this.first++] = undefined as unknown as CachedChange;
      // Compact the array once half of it is evicted slots.
      if (this.first > this.capacity) {
        this.changes.splice(0, this.first);
        this.first = 0;
      }
    }
    for (const watcher of this.watchers) {
      if (change.revision <= watcher.afterRevision) continue;
      const event = eventFor(change, watcher);
      if (event !== null) watcher.onEvent(event);
    }
  }

  private fail(error: ApiError): void {
    if (this.failure !== null) return;
    this.failure = error;
    this.handle?.cancel();
    const watchers = [...this.watchers];
    this.watchers.clear();
    this.onFailed(this);
    for (const watcher of watchers) watcher.onEnd(error);
  }
}
