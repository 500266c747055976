/**
 * An informer, as client-go has it: a local cache of one kind's objects (one namespace or
 * all, optionally filtered by selectors), kept current by a list and then a watch from the
 * list's resourceVersion, and handlers told of each change. When the watch ends (the API
 * server restarted, the version was compacted: 410 Expired), the informer lists again and
 * tells the handlers what differs from its cache, so they never miss a change of state
 * (they may miss intermediate states: controllers are level-triggered).
 *
 * Handlers run synchronously in the informer's order of events; they should only enqueue
 * keys (see `WorkQueue`). Objects in the cache are shared: never modify one.
 */
import type { ResourceInfo } from '../api/resources.js';
import type { ApiObject } from '../api/types.js';
import type { ApiError } from '../apiserver/errors.js';
import type { GrpcApiClient } from './grpc-api-client.js';
import { tooManyRequestsWaitMs } from './too-many-requests.js';

/** After a failed list or a broken watch, the informer tries again after this long, doubling to the max. */
export const INFORMER_RETRY_MIN_MS = 100;
export const INFORMER_RETRY_MAX_MS = 5_000;
/** Lists are read this many objects a page. */
export const INFORMER_LIST_PAGE = 500;

export interface InformerHandlers<T extends ApiObject> {
  add?(object: T): void;
  update?(old: T, current: T): void;
  delete?(object: T): void;
}

export interface InformerOptions {
  /** Only this namespace (default: all). */
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** Told about lists and watches that failed (and will be retried). */
  readonly log?: (line: string) => void;
}

/** `namespace/name`, or `name` for cluster-scoped objects: the key of the cache and of work queues. */
export function objectKey(object: ApiObject): string {
  const { namespace, name } = object.metadata;
  return namespace === undefined || namespace === '' ? name! : `${namespace}/${name}`;
}

/** The namespace and name a key stands for. */
export function splitKey(key: string): { namespace: string | undefined; name: string } {
  const slash = key.indexOf('/');
  return slash < 0 ? { namespace: undefined, name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** What an informer reads through: the gRPC client, or (inside the API server) the registry itself. */
export type InformerSource = Pick<GrpcApiClient, 'list' | 'watch'>;

export class Informer<T extends ApiObject = ApiObject> {
  private readonly cache = new Map<string, T>();
  private readonly handlers: InformerHandlers<T>[] = [];
  private watch: { cancel(): void } | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private synced = false;
  private syncWaiters: (() => void)[] = [];
  private retryMs = INFORMER_RETRY_MIN_MS;
  /** Watches refused in a row with 429 (over the client's watch limit): each waits longer before the next. */
  private watchRefusals = 0;
  /** The resourceVersion of the last list or event seen. */
  private lastVersion = '';

  constructor(
    private readonly client: InformerSource,
    readonly info: ResourceInfo,
    private readonly options: InformerOptions = {},
  ) {}

  /** Adds handlers; objects already cached are announced to them as added. */
  on(handlers: InformerHandlers<T>): void {
    this.handlers.push(handlers);
    for (const object of this.cache.values()) handlers.add?.(object);
  }

  /** Starts listing and watching; resolves once the first list is in the cache. */
  start(): Promise<void> {
    this.relist();
    return this.waitForSync();
  }

  stop(): void {
    this.stopped = true;
    this.watch?.cancel();
    if (this.timer !== null) clearTimeout(this.timer);
    for (const wake of this.syncWaiters.splice(0)) wake();
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves once the first list is in the cache (or the informer is stopped). */
  waitForSync(): Promise<void> {
    if (this.synced || this.stopped) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  get(key: string): T | undefined {
    return this.cache.get(key);
  }

  getByName(namespace: string | undefined, name: string): T | undefined {
    return this.cache.get(namespace === undefined || namespace === '' ? name : `${namespace}/${name}`);
  }

  /** Every cached object (of `namespace` when given). */
  list(namespace?: string): T[] {
    const all = [...this.cache.values()];
    return namespace === undefined ? all : all.filter((object) => object.metadata.namespace === namespace);
  }

  get size(): number {
    return this.cache.size;
  }

  /** The resourceVersion the cache is at (the last list's or event's). */
  get resourceVersion(): string {
    return this.lastVersion;
  }

  private relist(): void {
    if (this.stopped) return;
    this.listAll().then(
      ({ items, resourceVersion }) => {
        if (this.stopped) return;
        this.replace(items);
        this.lastVersion = resourceVersion;
        this.retryMs = INFORMER_RETRY_MIN_MS;
        if (!this.synced) {
          this.synced = true;
          for (const wake of this.syncWaiters.splice(0)) wake();
        }
        this.startWatch(resourceVersion);
      },
      (error: unknown) => this.retry(`list ${this.info.plural} failed: ${(error as Error).message}`),
    );
  }

  private async listAll(): Promise<{ items: T[]; resourceVersion: string }> {
    const items: T[] = [];
    let token: string | undefined;
    let resourceVersion = '';
    do {
      const page = await this.client.list(this.info, this.options.namespace, {
        labelSelector: this.options.labelSelector,
        fieldSelector: this.options.fieldSelector,
        limit: INFORMER_LIST_PAGE,
        ...(token !== undefined ? { continue: token } : {}),
      });
      items.push(...(page.items as T[]));
      resourceVersion = page.metadata.resourceVersion ?? '';
      token = page.metadata.continue;
    } while (token !== undefined && token !== '');
    return { items, resourceVersion };
  }

  private startWatch(resourceVersion: string): void {
    if (this.stopped) return;
    this.watch = this.client.watch(
      this.info,
      this.options.namespace,
      { labelSelector: this.options.labelSelector, fieldSelector: this.options.fieldSelector, resourceVersion },
      (event) => {
        this.watchRefusals = 0;
        if (event.type === 'ERROR' || event.type === 'BOOKMARK') return;
        const object = event.object as T;
        this.lastVersion = object.metadata.resourceVersion ?? this.lastVersion;
        if (event.type === 'DELETED') this.remove(objectKey(object));
        else this.upsert(object);
      },
      (error: ApiError) => {
        this.watch = null;
        // Expired: the cache is too old to resume; list again. Anything else: resume from where we are if we can.
        if (error.reason === 'Expired' || error.reason === 'Gone') this.retry(`watch ${this.info.plural} expired: ${error.message}`, 0);
        // Refused (the list before it succeeded, which resets the back-off): as long as the server asks, and longer each time.
        else if (error.reason === 'TooManyRequests') this.retry(`watch ${this.info.plural} refused: ${error.message}`, tooManyRequestsWaitMs(++this.watchRefusals, error.details?.retryAfterSeconds));
        else this.retry(`watch ${this.info.plural} ended: ${error.message}`);
      },
    );
  }

  private retry(why: string, delayMs = this.retryMs): void {
    if (this.stopped) return;
    this.options.log?.(`informer: ${why}; listing again in ${delayMs} ms`);
    this.retryMs = Math.min(this.retryMs * 2, INFORMER_RETRY_MAX_MS);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.relist();
    }, delayMs);
  }

  /** The cache becomes `items`; handlers hear what was added, changed and removed. */
  private replace(items: readonly T[]): void {
    const seen = new Set<string>();
    for (const object of items) {
      seen.add(objectKey(object));
      this.upsert(object);
    }
    for (const key of [...this.cache.keys()]) if (!seen.has(key)) this.remove(key);
  }

  private upsert(object: T): void {
    const key = objectKey(object);
    const old = this.cache.get(key);
    if (old !== undefined && old.metadata.resourceVersion === object.metadata.resourceVersion) return;
    this.cache.set(key, object);
    for (const handlers of this.handlers) {
      if (old === undefined) handlers.add?.(object);
      else handlers.update?.(old, object);
    }
  }

  private remove(key: string): void {
    const old = this.cache.get(key);
    if (old === undefined) return;
    this.cache.delete(key);
    for (const handlers of this.handlers) handlers.delete?.(old);
  }
}
