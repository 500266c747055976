/**
 * The registry: every read and write of API objects, over an etcd v3 KV. The HTTP and gRPC
 * front-ends are thin translations of it.
 *
 * Consistency, the Kubernetes way, with the KV doing the hard part:
 * - `resourceVersion` is the object's key's mod revision; a list's is the revision it read.
 * - create is a transaction on "the key does not exist" (and "the namespace is as read");
 *   update and delete compare the key's mod revision with the one the change was computed
 *   from. A client that sent a resourceVersion gets 409 Conflict when it is not the current
 *   one; a change without one (a patch, a delete) is recomputed on the new state and tried
 *   again, a bounded number of times.
 * - a list reads one revision, page after page (the continue token carries it), so its pages
 *   are one consistent snapshot; once that revision is compacted the token is 410 Expired.
 * - a watch from resourceVersion N is the KV's watch from N + 1: every change after a list
 *   at N arrives exactly once, in order. N older than the compaction point is 410 Expired.
 *
 * Deletion: an object with finalizers, or a pod still bound to a node, is not removed but
 * marked (`metadata.deletionTimestamp`); it goes when its finalizers are all removed (an
 * update that empties them deletes it) or, for a pod, when its node agent confirms the
 * containers are gone (a delete with grace period 0).
 */
import { customAlphabet, nanoid } from 'nanoid';
import { EtcdClientError, EtcdCompactedError } from '../../kv/client/errors.js';
import type { EtcdClient, KeyValue, TxnOperation, TxnResult, WatchHandle } from '../../kv/client/etcd-client.js';
import { applyCreateDefaults, applyDefaults } from '../api/defaults.js';
import { invalidStatus } from '../api/field-errors.js';
import type { FieldError } from '../api/field-errors.js';
import { RESOURCES, apiVersionOf, resourceForKind } from '../api/resources.js';
import type { ResourceInfo } from '../api/resources.js';
import type { ApiList, ApiObject } from '../api/types.js';
import { validateCreate, validateStatusUpdate, validateUpdate } from '../api/validation.js';
import { ApiError } from './errors.js';
import { applyPatch, checkPatch } from './patch-types.js';
import type { PatchType } from './patch-types.js';
import { SCALE_PATCH_SCHEMA, patchSchemaOf } from './patch-strategies.js';
import { checkScalable, readScale, scaleOf } from './scale-subresource.js';
import { ObjectFilter } from './object-filter.js';
import { jsonEqual } from '../api/json-values.js';
import type { FilterOptions } from './object-filter.js';
import { StorageKeys, prefixEnd } from './storage-keys.js';
import { decodeContinue, encodeContinue } from './continue-token.js';
import { RecentObjects } from './recent-objects.js';
import type { Current } from './recent-objects.js';
import { decodeObject, encodeObject, withVersion } from './stored-objects.js';
import { SecretEncryption } from './secret-encryption.js';
import { WATCH_CACHE_CAPACITY, WatchCache, changeInClear, eventFor, objectEvent } from './watch-cache.js';
import type { CacheWatcherOptions, ServedWatchEvent } from './watch-cache.js';

/** A change computed on a stale object is recomputed at most this many times. */
export const UPDATE_ATTEMPTS = 8;
/** The largest page a list answers, whatever `limit` asks. */
export const LIST_PAGE_MAX = 5_000;
/** Namespaces every cluster has; they are created at start and may not be deleted. */
export const SYSTEM_NAMESPACES: readonly string[] = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/** Default time to live of an Event. */
export const DEFAULT_EVENT_TTL_SECONDS = 3600;
/**
 * Events created within this long share one KV lease (granted for the TTL plus this), as
 * Kubernetes' lease manager does: at most a minute, and a tenth of the TTL for short ones.
 */
const EVENT_LEASE_REUSE_MAX_MS = 60_000;

/** Kubernetes' alphabet for generated name suffixes: no vowels (no words), no look-alikes. */
const nameSuffix = customAlphabet('bcdfghjklmnpqrstvwxz2456789', 5);

const NAMESPACES = RESOURCES.find((info) => info.kind === 'Namespace')!;
const PODS = RESOURCES.find((info) => info.kind === 'Pod')!;
const SECRETS = RESOURCES.find((info) => info.kind === 'Secret')!;

export interface ListOptions extends FilterOptions {
  /** With `resourceVersionMatch` `Exact`: the list as of this revision. Otherwise (`''`, `'0'`: any; a number: not older than it) the list is read at the latest revision, which satisfies both. */
  readonly resourceVersion?: string;
  /** `Exact` or `NotOlderThan`; only with a resourceVersion (422 otherwise, as Kubernetes answers). */
  readonly resourceVersionMatch?: string;
  /** At most this many items (0 or absent: all). */
  readonly limit?: number;
  /** A token from the previous page's `metadata.continue`. */
  readonly continue?: string;
}

export interface WatchOptions extends FilterOptions {
  /** Changes after this revision; absent, '' or '0': the current objects as ADDED first, then changes. */
  readonly resourceVersion?: string;
  /** Only this object (a watch on one object's URL). */
  readonly name?: string;
}

/** How a write is made. */
export interface WriteOptions {
  /** Validate and answer what the write would make, and store nothing (`?dryRun=All`). */
  readonly dryRun?: boolean;
}

export interface DeleteOptions extends WriteOptions {
  readonly gracePeriodSeconds?: number;
  readonly propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  readonly preconditions?: { readonly uid?: string; readonly resourceVersion?: string };
}

export interface RegistryOptions {
  readonly kv: EtcdClient;
  /** Events are removed this long after they were created (a KV lease does it; default 1 h, Kubernetes' `--event-ttl`). */
  readonly eventTtlSeconds?: number;
  /** The KV folder of every object (default `/registry`). */
  readonly prefix?: string;
  /** The clock for timestamps (tests pin it). */
  readonly now?: () => Date;
  /** Changes each resource's watch cache keeps (default `WATCH_CACHE_CAPACITY`); 0: no cache, every watch is a KV watch of its own. */
  readonly watchCacheSize?: number;
  /** How Secrets are stored (default `SecretEncryption.identity`: as plaintext). */
  readonly encryption?: SecretEncryption;
}

export interface RegistryWatch {
  /** Stops the watch; no event is delivered after it returns. */
  cancel(): void;
  /**
   * A revision the watch has caught up with: every change up to it that the watcher was to
   * see has been delivered (what a BOOKMARK event carries). 0 before the watch started.
   */
  progressRevision(): number;
}

/** What a binding answers, as Kubernetes' `pods/binding` does: a Status, Success (not the pod). */
export const BINDING_SUCCESS = { apiVersion: 'v1', kind: 'Status', metadata: {}, status: 'Success', code: 201 } as const;

/** RFC 3339 at second precision, as Kubernetes writes timestamps. */
export function timestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export class Registry {
  readonly keys: StorageKeys;
  private readonly kv: EtcdClient;
  private readonly now: () => Date;
  private readonly eventTtlSeconds: number;
  private eventLease: { id: string; grantedAtMs: number } | null = null;
  /** The latest state seen of recently read or written keys: first guesses for writes (see RecentObjects). */
  private readonly recent = new RecentObjects();
  /** Per resource plural: its watch cache, or its start in progress. */
  private readonly watchCaches = new Map<string, WatchCache | Promise<WatchCache>>();
  private watchCachesClosed = false;
  private readonly watchCacheSize: number;
  private readonly encryption: SecretEncryption;
  /** The KV folder of every Secret: the values `encryption` applies to. */
  private readonly secretsFolder: Buffer;

  constructor(options: RegistryOptions) {
    this.kv = options.kv;
    this.eventTtlSeconds = options.eventTtlSeconds ?? DEFAULT_EVENT_TTL_SECONDS;
    this.keys = new StorageKeys(options.prefix);
    this.now = options.now ?? (() => new Date());
    this.watchCacheSize = options.watchCacheSize ?? WATCH_CACHE_CAPACITY;
    this.encryption = options.encryption ?? SecretEncryption.identity;
    this.secretsFolder = this.keys.collection(SECRETS, undefined);
  }

  async get(info: ResourceInfo, namespace: string | undefined, name: string): Promise<ApiObject> {
    const current = await this.read(info, namespace, name);
    if (current === null) throw ApiError.notFound(info, name);
    return current.object;
  }

  async list(info: ResourceInfo, namespace: string | undefined, options: ListOptions = {}): Promise<ApiList> {
    const filter = ObjectFilter.parse(info, options);
    const limit = options.limit === undefined || options.limit <= 0 ? Infinity : Math.min(options.limit, LIST_PAGE_MAX);
    const collection = this.keys.collection(info, namespace);
    const end = prefixEnd(collection);
    let start = collection;
    let revision = exactListRevision(options);
    if (options.continue !== undefined && options.continue !== '') {
      const token = decodeContinue(options.continue, collection);
      start = token.start;
      revision = token.revision;
    }
    const items: ApiObject[] = [];
    let remaining: number | undefined;
    let next: Buffer | null = null;
    for (;;) {
      const want = limit === Infinity ? 0 : Math.max(limit - items.length, 1);
      const page = await this.kvCall(() => this.kv.range(start, { rangeEnd: end, revision, limit: want }), revision, options.continue ? CONTINUE_EXPIRED : LIST_VERSION_EXPIRED);
      if (revision === 0) revision = page.revision;
      for (const kv of page.kvs) {
        const object = decodeObject(this.plain(kv));
        if (filter.matches(object)) items.push(object);
      }
      const last = page.kvs.at(-1);
      if (!page.more || last === undefined) break;
      start = Buffer.concat([last.key, Buffer.of(0)]);
      if (items.length >= limit) {
        next = start;
        if (filter.everything) remaining = page.count - page.kvs.length;
        break;
      }
    }
    const metadata: ApiList['metadata'] = { resourceVersion: String(revision) };
    if (next !== null) {
      metadata.continue = encodeContinue(revision, next, collection);
      if (remaining !== undefined) metadata.remainingItemCount = remaining;
    }
    return { apiVersion: apiVersionOf(info), kind: `${info.kind}List`, metadata, items };
  }

  async create(info: ResourceInfo, namespace: string | undefined, body: unknown, options: WriteOptions = {}): Promise<ApiObject> {
    const object = checkBody(info, body);
    const meta = object.metadata;
    if (info.namespaced) {
      if (meta.namespace !== undefined && meta.namespace !== '' && namespace !== undefined && meta.namespace !== namespace) {
        throw ApiError.badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      meta.namespace = namespace ?? meta.namespace ?? 'default';
    } else {
      delete meta.namespace;
    }
    if ((meta.name === undefined || meta.name === '') && typeof meta.generateName === 'string' && meta.generateName !== '') {
      meta.name = `${meta.generateName}${nameSuffix()}`;
    }
    for (const field of ['uid', 'resourceVersion', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation'] as const) delete meta[field];
    // Status is observed, not asked for: a create starts from none (a Node may report its own at registration).
    if (info.hasStatus && info.kind !== 'Node') delete object.status;
    applyDefaults(info, object);
    applyCreateDefaults(info, object);
    throwIfInvalid(info, object, validateCreate(info, object));
    meta.uid = nanoid();
    meta.creationTimestamp = timestamp(this.now());
    meta.generation = 1;
    const name = meta.name!;
    const key = this.keys.object(info, meta.namespace, name);
    if (options.dryRun === true) return this.dryRunCreate(info, object);
    const value = this.encode(key, object);
    const lease = info.kind === 'Event' ? await this.kvCall(() => this.eventLeaseId()) : undefined;

    // The namespace as last seen (no read when this registry saw it lately): the transaction
    // compares its mod revision, so a stale one only costs a failed attempt, whose failure
    // branch brings the current one.
    const namespaceKey = info.namespaced ? this.keys.object(NAMESPACES, undefined, meta.namespace!) : null;
    let namespaceState = namespaceKey === null ? null : (this.recent.get(namespaceKey) ?? null);
    // Unknown, or remembered as terminating (it may have been deleted and made again since): read it.
    if (namespaceKey !== null && (namespaceState === null || namespaceState.object.metadata.deletionTimestamp !== undefined)) {
      namespaceState = await this.read(NAMESPACES, undefined, meta.namespace!);
    }
    for (let attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
      const compare: Parameters<EtcdClient['txn']>[0][number][] = [{ key, target: 'CREATE', result: 'EQUAL', createRevision: 0 }];
      if (namespaceKey !== null) {
        if (namespaceState === null) throw ApiError.notFound(NAMESPACES, meta.namespace!);
        if (namespaceState.object.metadata.deletionTimestamp !== undefined) {
          throw ApiError.forbidden(info, name, `unable to create new content in namespace ${meta.namespace} because it is being terminated`);
        }
        compare.push({ key: namespaceKey, target: 'MOD', result: 'EQUAL', modRevision: namespaceState.kv.modRevision });
      }
      const failure: TxnOperation[] = namespaceKey === null ? [{ range: { key } }] : [{ range: { key } }, { range: { key: namespaceKey } }];
      const put = { key, value, ...(lease !== undefined ? { lease } : {}) };
      const result = await this.kvCall(() => this.kv.txn(compare, [{ put }], failure));
      if (result.succeeded) {
        const created = withVersion(object, result.revision);
        this.remember({ ...put, lease: lease ?? '0', createRevision: result.revision, modRevision: result.revision, version: 1 }, created);
        return created;
      }
      const existing = result.ranges[0]![0];
      if (existing !== undefined) {
        // The very bytes this create wrote: an earlier attempt landed and its answer was lost
        // (the KV client sent it again), not someone else's object.
        if (existing.value.equals(value)) {
          const created = withVersion(object, existing.modRevision);
          this.remember(existing, created);
          return created;
        }
        throw ApiError.alreadyExists(info, name);
      }
      // The namespace changed since it was seen: the failure branch read it.
      const namespaceKv = result.ranges[1]?.[0];
      namespaceState = namespaceKv === undefined ? null : this.remember(namespaceKv);
    }
    throw ApiError.conflict(info, name, 'the namespace kept changing; please try again');
  }

  /** What a create would answer, judged on the stored state (namespace present and not terminating, name free); nothing is written. */
  private async dryRunCreate(info: ResourceInfo, object: ApiObject): Promise<ApiObject> {
    const { namespace, name } = object.metadata;
    if (info.namespaced) {
      const state = await this.read(NAMESPACES, undefined, namespace!);
      if (state === null) throw ApiError.notFound(NAMESPACES, namespace!);
      if (state.object.metadata.deletionTimestamp !== undefined) {
        throw ApiError.forbidden(info, name!, `unable to create new content in namespace ${namespace} because it is being terminated`);
      }
    }
    if ((await this.read(info, namespace, name!)) !== null) throw ApiError.alreadyExists(info, name!);
    return object;
  }

  /**
   * Replaces an object (`subresource` undefined: metadata and spec, keeping status) or its
   * status (`'status'`: only status). A `metadata.resourceVersion` in `body` must be the
   * current one.
   */
  async update(info: ResourceInfo, namespace: string | undefined, name: string, body: unknown, subresource?: 'status', options: WriteOptions = {}): Promise<ApiObject> {
    const object = checkBody(info, body);
    checkNameAndNamespace(info, object, namespace, name);
    const expected = object.metadata.resourceVersion;
    return this.guaranteedUpdate(
      info,
      namespace,
      name,
      expected,
      (current) => (subresource === 'status' ? this.statusUpdate(info, current, object) : this.specUpdate(info, current, structuredClone(object))),
      options,
    );
  }

  /**
   * Applies a patch to the object, or to its status: a JSON merge patch (RFC 7386, the
   * default), a strategic merge patch (Kubernetes' list merging by key, `kubectl apply`) or a
   * JSON patch (RFC 6902). A `metadata.resourceVersion` the patch sets must be the current one.
   */
  async patch(info: ResourceInfo, namespace: string | undefined, name: string, patch: unknown, subresource?: 'status', type: PatchType = 'merge', options: WriteOptions = {}): Promise<ApiObject> {
    const expected = checkPatch(patch, type);
    return this.guaranteedUpdate(info, namespace, name, expected, (current) => {
      const object = checkBody(info, applyPatch(current, patch, type, patchSchemaOf(info.kind)));
      checkResourceVersion(info, name, object.metadata.resourceVersion, current);
      checkNameAndNamespace(info, object, namespace, name);
      return subresource === 'status' ? this.statusUpdate(info, current, object) : this.specUpdate(info, current, object);
    }, options);
  }

  /** The object's `scale` subresource (Deployments and ReplicaSets; 404 for other kinds). */
  async getScale(info: ResourceInfo, namespace: string | undefined, name: string): Promise<ApiObject> {
    checkScalable(info);
    return scaleOf(await this.get(info, namespace, name));
  }

  /** Writes the object's replica count from a Scale (PUT `.../scale`); answers the new Scale. */
  async updateScale(info: ResourceInfo, namespace: string | undefined, name: string, body: unknown, options: WriteOptions = {}): Promise<ApiObject> {
    checkScalable(info);
    const { replicas, resourceVersion } = readScale(name, body);
    return scaleOf(await this.guaranteedUpdate(info, namespace, name, resourceVersion, (current) => this.withReplicas(info, current, replicas), options));
  }

  /** Patches the object's Scale (what `kubectl scale` sends: a merge patch of `spec.replicas`); answers the new Scale. */
  async patchScale(info: ResourceInfo, namespace: string | undefined, name: string, patch: unknown, type: PatchType, options: WriteOptions = {}): Promise<ApiObject> {
    checkScalable(info);
    const expected = checkPatch(patch, type);
    return scaleOf(
      await this.guaranteedUpdate(info, namespace, name, expected, (current) => {
        const { replicas, resourceVersion } = readScale(name, applyPatch(scaleOf(current), patch, type, SCALE_PATCH_SCHEMA));
        checkResourceVersion(info, name, resourceVersion, current);
        return this.withReplicas(info, current, replicas);
      }, options),
    );
  }

  private withReplicas(info: ResourceInfo, current: ApiObject, replicas: number): ApiObject {
    const next = structuredClone(current);
    next.spec = { ...next.spec, replicas };
    return this.specUpdate(info, current, next);
  }

  async delete(info: ResourceInfo, namespace: string | undefined, name: string, options: DeleteOptions = {}): Promise<ApiObject> {
    if (info === NAMESPACES && SYSTEM_NAMESPACES.includes(name)) throw ApiError.forbidden(info, name, 'this namespace may not be deleted');
    for (let attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
      const current = await this.read(info, namespace, name);
      if (current === null) throw ApiError.notFound(info, name);
      const object = current.object;
      checkPreconditions(info, name, object, options.preconditions);
      const marked = this.markForDeletion(info, object, options);
      if (options.dryRun === true) return marked ?? object;
      const key = current.kv.key;
      const compare = [{ key, target: 'MOD' as const, result: 'EQUAL' as const, modRevision: current.kv.modRevision }];
      let result: TxnResult;
      if (marked === null) {
        result = await this.kvCall(() => this.kv.txn(compare, [{ delete: { key } }]));
        if (result.succeeded) {
          this.recent.delete(key);
          return withVersion(object, result.revision);
        }
      } else {
        if (jsonEqual(marked, object)) return object;
        const put = { key, value: this.encode(key, marked), ...keepLease(current.kv) };
        result = await this.kvCall(() => this.kv.txn(compare, [{ put }]));
        if (result.succeeded) {
          const written = withVersion(marked, result.revision);
          this.remember({ ...put, lease: put.lease ?? '0', createRevision: current.kv.createRevision, modRevision: result.revision, version: current.kv.version + 1 }, written);
          return written;
        }
      }
      if (options.preconditions?.resourceVersion !== undefined) throw ApiError.conflict(info, name, 'the object has been modified; please apply your changes to the latest version and try again');
    }
    throw ApiError.conflict(info, name, 'the object kept changing; please try again');
  }

  /**
   * Watches a collection (`namespace` undefined: every namespace). `onEvent` gets each event
   * in revision order, never before this returns; `onEnd` is called once if the watch
   * cannot go on (410 Expired when `resourceVersion` is older than the watch cache holds and
   * the KV compacted it, 503 when the store is gone). Throws ApiError at once for bad options.
   *
   * Served from the resource's watch cache when it holds every change after the revision
   * (one KV watch for all watchers; see watch-cache.ts), else by a KV watch of its own.
   */
  watch(
    info: ResourceInfo,
    namespace: string | undefined,
    options: WatchOptions,
    onEvent: (event: ServedWatchEvent) => void,
    onEnd: (error: ApiError) => void,
  ): RegistryWatch {
    const filter = ObjectFilter.parse(info, options);
    const requested = options.resourceVersion ?? '';
    let fromRevision: number | null = null;
    if (requested !== '' && requested !== '0') {
      if (!/^\d+$/.test(requested)) throw ApiError.badRequest(`invalid resource version: "${requested}"`);
      fromRevision = Number(requested);
    }
    // One object's key when the watch names it (and its namespace, for a namespaced kind); else the collection's folder.
    const exactKey = options.name !== undefined && (!info.namespaced || namespace !== undefined);
    const keyPrefix = (exactKey ? this.keys.object(info, namespace, options.name!) : this.keys.collection(info, namespace)).toString('latin1');
    const name = options.name;
    const passes =
      filter.everything && (name === undefined || exactKey) ? undefined : (object: ApiObject): boolean => (name === undefined || object.metadata.name === name) && filter.matches(object);
    let handle: { cancel(): void } | null = null;
    /** The revision the watch started after, then how far its source is known to have gone. */
    let progress = 0;
    let sourceRevision: () => number = () => 0;
    let cancelled = false;
    let ended = false;
    const end = (error: ApiError): void => {
      if (ended || cancelled) return;
      ended = true;
      handle?.cancel();
      onEnd(error);
    };
    const start = (after: number): void => {
      if (cancelled) return;
      const watcher: CacheWatcherOptions = {
        afterRevision: after,
        keyPrefix,
        exactKey,
        ...(passes !== undefined ? { passes } : {}),
        onEvent: (event) => {
          if (!cancelled && !ended) onEvent(event);
        },
        onEnd: end,
      };
      progress = after;
      const cache = this.watchCacheFor(info);
      const cached = cache?.watch(watcher) ?? null;
      if (cached !== null) {
        handle = cached;
        sourceRevision = () => cache!.revision;
      } else {
        let seen = 0;
        handle = this.watchKv(info, namespace, watcher, (revision) => (seen = revision));
        sourceRevision = () => seen;
      }
    };
    if (fromRevision !== null) {
      // Not at once: a cache replays its kept changes as it is joined, and the front-ends must
      // have sent their headers before the first event (no event arrives before this returns).
      const after = fromRevision;
      queueMicrotask(() => start(after));
    } else {
      // "Get state and start at most recent": the current objects as ADDED, then changes after them.
      this.list(info, namespace, options).then(
        (list) => {
          if (cancelled) return;
          for (const item of list.items) if (passes === undefined || passes(item)) onEvent(objectEvent('ADDED', item));
          start(Number(list.metadata.resourceVersion));
        },
        (error: unknown) => end(error instanceof ApiError ? error : toApiError(error)),
      );
    }
    return {
      cancel: () => {
        cancelled = true;
        handle?.cancel();
      },
      progressRevision: () => Math.max(progress, sourceRevision()),
    };
  }

  /**
   * Starts the watch caches of every resource now (the API server does, so that the first
   * watchers are served from them); without it each starts at its resource's first watch.
   */
  async startWatchCaches(): Promise<void> {
    await Promise.all(RESOURCES.map((info) => this.startWatchCache(info)));
  }

  /** Stops every watch cache (the API server's stop). */
  closeWatchCaches(): void {
    this.watchCachesClosed = true;
    for (const cache of this.watchCaches.values()) if (cache instanceof WatchCache) cache.close();
    this.watchCaches.clear();
  }

  /** How many client watches the caches serve, per resource (for tests and metrics). */
  watchCacheWatchers(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const [plural, cache] of this.watchCaches) if (cache instanceof WatchCache) counts.set(plural, cache.watcherCount);
    return counts;
  }

  /** The resource's cache when it runs; otherwise undefined, and one is started for the next watches. */
  private watchCacheFor(info: ResourceInfo): WatchCache | undefined {
    const cache = this.watchCaches.get(info.plural);
    if (cache instanceof WatchCache) return cache;
    if (cache === undefined && this.watchCacheSize > 0) void this.startWatchCache(info);
    return undefined;
  }

  private async startWatchCache(info: ResourceInfo): Promise<void> {
    if (this.watchCaches.has(info.plural) || this.watchCachesClosed || this.watchCacheSize === 0) return;
    const starting = WatchCache.start(
      this.kv,
      this.keys.collection(info, undefined),
      (failed) => {
        if (this.watchCaches.get(info.plural) === failed) this.watchCaches.delete(info.plural);
      },
      this.watchCacheSize,
      this.clearer(info),
    );
    this.watchCaches.set(info.plural, starting);
    let cache: WatchCache;
    try {
      cache = await starting;
    } catch {
      // The KV is unreachable: watches go to the KV themselves until a later watch starts the cache.
      if (this.watchCaches.get(info.plural) === starting) this.watchCaches.delete(info.plural);
      return;
    }
    if (this.watchCachesClosed || this.watchCaches.get(info.plural) !== starting) {
      cache.close();
      return;
    }
    this.watchCaches.set(info.plural, cache);
  }

  /** A watch of the KV of this watcher's own: for revisions the cache does not hold. */
  private watchKv(info: ResourceInfo, namespace: string | undefined, watcher: CacheWatcherOptions, onRevision: (revision: number) => void): WatchHandle {
    const collection = this.keys.collection(info, namespace);
    const after = watcher.afterRevision;
    const clear = this.clearer(info);
    const handle: WatchHandle = this.kv.watch(collection, {
      rangeEnd: prefixEnd(collection),
      startRevision: after + 1,
      prevKv: true,
      onEvents: (events) => {
        for (const event of events) {
          let change;
          try {
            change = changeInClear(event, clear);
          } catch (error) {
            // A value that cannot be decrypted ends the watch with a 500 naming its key.
            handle.cancel();
            watcher.onEnd(toApiError(error));
            return;
          }
          const served = eventFor(change, watcher);
          if (served !== null) watcher.onEvent(served);
          onRevision(change.revision);
        }
      },
      onError: (error) => watcher.onEnd(error instanceof EtcdCompactedError ? ApiError.expired(`too old resource version: ${after} (${error.compactRevision})`) : toApiError(error)),
    });
    return handle;
  }

  /**
   * Binds a pod to a node (the `pods/binding` subresource the scheduler writes): sets
   * `spec.nodeName` and the `PodScheduled` condition. 409 Conflict when the pod is already
   * bound (to any node: someone else scheduled it) or is being deleted.
   */
  async bind(namespace: string, name: string, body: unknown): Promise<ApiObject> {
    const binding = (typeof body === 'object' && body !== null ? body : {}) as { kind?: unknown; metadata?: { name?: unknown }; target?: { kind?: unknown; name?: unknown } };
    if (binding.kind !== undefined && binding.kind !== 'Binding') throw ApiError.badRequest(`the body must be a v1 Binding, got kind ${JSON.stringify(binding.kind)}`);
    if (binding.metadata?.name !== undefined && binding.metadata.name !== name) {
      throw ApiError.badRequest(`the name of the binding (${String(binding.metadata.name)}) does not match the pod on the URL (${name})`);
    }
    const node = binding.target?.name;
    if (typeof node !== 'string' || node === '') {
      throw ApiError.invalid(PODS, name, [{ field: 'target.name', type: 'Required', detail: 'the node to bind to' }]);
    }
    if (binding.target?.kind !== undefined && binding.target.kind !== 'Node' && binding.target.kind !== '') {
      throw ApiError.invalid(PODS, name, [{ field: 'target.kind', type: 'NotSupported', value: binding.target.kind, detail: 'supported values: "Node"' }]);
    }
    return this.guaranteedUpdate(PODS, namespace, name, undefined, (pod) => {
      if (pod.metadata.deletionTimestamp !== undefined) throw ApiError.conflict(PODS, name, `pod ${name} is being deleted, cannot be assigned to a host`);
      const assigned = pod.spec?.nodeName;
      if (typeof assigned === 'string' && assigned !== '') throw ApiError.conflict(PODS, name, `pod ${name} is already assigned to node "${assigned}"`);
      pod.spec = { ...pod.spec, nodeName: node };
      const status = (pod.status ?? {}) as { conditions?: Record<string, unknown>[] };
      const conditions = (status.conditions ?? []).filter((condition) => condition.type !== 'PodScheduled');
      conditions.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: timestamp(this.now()) });
      pod.status = { ...status, conditions };
      return pod;
    });
  }

  /** Creates each of SYSTEM_NAMESPACES that is missing. */
  async ensureSystemNamespaces(): Promise<void> {
    for (const name of SYSTEM_NAMESPACES) {
      try {
        await this.create(NAMESPACES, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
      } catch (error) {
        if (!(error instanceof ApiError && error.reason === 'AlreadyExists')) throw error;
      }
    }
  }

  /** The stored object and its key-value, or null. A linearizable read. */
  private async read(info: ResourceInfo, namespace: string | undefined, name: string): Promise<Current | null> {
    const key = this.keys.object(info, namespace, name);
    const result = await this.kvCall(() => this.kv.range(key));
    const kv = result.kvs[0];
    if (kv === undefined) {
      this.recent.delete(key);
      return null;
    }
    return this.remember(kv);
  }

  /**
   * Notes `kv` (decoded as `object` when given) as the latest seen of its key; returns it.
   * `kv` is as stored (a Secret's value encrypted): the object is its plaintext.
   */
  private remember(kv: KeyValue, object: ApiObject = decodeObject(this.plain(kv))): Current {
    return this.recent.remember(kv, object);
  }

  /** The value stored for `object` at `key`: its JSON, encrypted when it is a Secret. */
  private encode(key: Buffer, object: ApiObject): Buffer {
    const json = encodeObject(object);
    return this.isSecret(key) ? this.encryption.seal(key, json) : json;
  }

  /**
   * How a resource's watched values are put in the clear: only Secrets are ever encrypted,
   * so every other resource's watch path (pods, at scale) skips the per-value check.
   */
  private clearer(info: ResourceInfo): ((kv: KeyValue) => KeyValue) | undefined {
    return info.kind === 'Secret' ? (kv) => this.plain(kv) : undefined;
  }

  /** `kv` with its value in the clear (a Secret's decrypted). Throws ApiError 500 when it cannot be. */
  private plain(kv: KeyValue): KeyValue {
    if (!this.isSecret(kv.key)) return kv;
    return { ...kv, value: this.encryption.open(kv.key, kv.value).value };
  }

  /** Whether a stored value would be written differently now (a Secret not under the first key). */
  private staleValue(kv: KeyValue): boolean {
    return this.isSecret(kv.key) && this.encryption.isStale(kv.value);
  }

  private isSecret(key: Buffer): boolean {
    return key.length > this.secretsFolder.length && key.subarray(0, this.secretsFolder.length).equals(this.secretsFolder);
  }

  /**
   * Rewrites every Secret whose stored value is not under the first encryption key (written
   * before a rotation, or before encryption was on), each by a compare-and-swap on its mod
   * revision, so that a concurrent write wins and is not undone. Returns how many it found
   * stale (each rewritten, or written meanwhile by another update, which uses the first key too).
   * A value no key decrypts stops it with an ApiError 500 naming its key (the rest are left as they are).
   */
  async rewriteSecrets(): Promise<number> {
    if (this.encryption.keys.length === 0) return 0;
    const end = prefixEnd(this.secretsFolder);
    let start = this.secretsFolder;
    let rewritten = 0;
    for (;;) {
      const page = await this.kvCall(() => this.kv.range(start, { rangeEnd: end, limit: LIST_PAGE_MAX }));
      for (const kv of page.kvs) {
        if (!this.staleValue(kv)) continue;
        const object = this.remember(kv).object;
        try {
          await this.guaranteedUpdate(SECRETS, object.metadata.namespace, object.metadata.name!, undefined, (current) => current);
          rewritten++;
        } catch (error) {
          // Deleted meanwhile: nothing to rewrite.
          if (!(error instanceof ApiError && error.reason === 'NotFound')) throw error;
        }
      }
      const last = page.kvs.at(-1);
      if (!page.more || last === undefined) return rewritten;
      start = Buffer.concat([last.key, Buffer.of(0)]);
    }
  }

  /**
   * Read, compute, compare-and-swap, until the swap lands or `expected` (a resourceVersion
   * the client sent) is not the current one. `compute` gets a copy of the current object and
   * returns the new one; an object marked for deletion whose finalizers are all gone is
   * removed instead of written.
   */
  private async guaranteedUpdate(
    info: ResourceInfo,
    namespace: string | undefined,
    name: string,
    expected: string | undefined,
    compute: (current: ApiObject) => ApiObject,
    options: WriteOptions = {},
  ): Promise<ApiObject> {
    const stale = (): ApiError => ApiError.conflict(info, name, 'the object has been modified; please apply your changes to the latest version and try again');
    const key = this.keys.object(info, namespace, name);
    // The latest state this registry saw, if any, else a read. A guess from memory is checked
    // by the transaction's compare; when it was wrong, the failure branch brings the truth.
    let current: Current | null = this.recent.get(key) ?? null;
    let fromMemory = current !== null;
    if (current === null) current = await this.read(info, namespace, name);
    for (let attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
      if (current === null) throw ApiError.notFound(info, name);
      const version = current.object.metadata.resourceVersion;
      let next: ApiObject;
      try {
        if (expected !== undefined && expected !== '' && expected !== version) throw stale();
        next = compute(structuredClone(current.object));
      } catch (error) {
        // Judged on a remembered state that may be old: judge again on a fresh read.
        if (!fromMemory) throw error;
        fromMemory = false;
        current = await this.read(info, namespace, name);
        continue;
      }
      delete next.metadata.resourceVersion;
      const unchanged = { ...current.object, metadata: { ...current.object.metadata } };
      delete unchanged.metadata.resourceVersion;
      // A value not under the first encryption key is rewritten even when unchanged (key rotation).
      if (jsonEqual(next, unchanged) && !this.staleValue(current.kv)) {
        if (!fromMemory) return current.object;
        // No change against memory; make sure against the store.
        fromMemory = false;
        current = await this.read(info, namespace, name);
        continue;
      }
      // A dry run is judged on the stored state, never on memory alone.
      if (options.dryRun === true) {
        if (fromMemory) {
          fromMemory = false;
          current = await this.read(info, namespace, name);
          continue;
        }
        return { ...next, metadata: { ...next.metadata, resourceVersion: version } };
      }
      const compare = [{ key, target: 'MOD' as const, result: 'EQUAL' as const, modRevision: current.kv.modRevision }];
      const finished = next.metadata.deletionTimestamp !== undefined && (next.metadata.finalizers ?? []).length === 0 && !awaitsNamespaceFinalizers(info, next) && !awaitsPodTermination(info, next);
      const put = { key, value: this.encode(key, next), ...keepLease(current.kv) };
      const result = await this.kvCall(() => this.kv.txn(compare, finished ? [{ delete: { key } }] : [{ put }], [{ range: { key } }]));
      if (result.succeeded) {
        const written = withVersion(next, result.revision);
        if (finished) this.recent.delete(key);
        else this.remember({ ...put, lease: put.lease ?? '0', createRevision: current.kv.createRevision, modRevision: result.revision, version: current.kv.version + 1 }, written);
        return written;
      }
      // Someone else wrote it (the failure branch read what is there now), unless what is
      // there is this very write: an earlier attempt landed and its answer was lost (the KV
      // client sent it again), and it is done.
      const now = result.ranges[0]?.[0];
      if (!finished && now !== undefined && now.modRevision > current.kv.modRevision && now.value.equals(put.value)) {
        const written = withVersion(next, now.modRevision);
        this.remember(now, written);
        return written;
      }
      if (now === undefined) this.recent.delete(key);
      current = now === undefined ? null : this.remember(now);
      if (expected !== undefined && expected !== '' && !fromMemory) throw stale();
      fromMemory = false;
    }
    throw ApiError.conflict(info, name, 'the object kept changing; please try again');
  }

  private specUpdate(info: ResourceInfo, current: ApiObject, object: ApiObject): ApiObject {
    const meta = object.metadata;
    const was = current.metadata;
    meta.uid ??= was.uid;
    meta.creationTimestamp ??= was.creationTimestamp;
    if (meta.uid !== was.uid) {
      throw ApiError.conflict(info, was.name!, `Precondition failed: UID in precondition: ${meta.uid}, UID in object meta: ${was.uid}`);
    }
    // Deletion marks are the server's to set; a client update cannot set or clear them.
    setOrDelete(meta, 'deletionTimestamp', was.deletionTimestamp);
    setOrDelete(meta, 'deletionGracePeriodSeconds', was.deletionGracePeriodSeconds);
    if (info.hasStatus) setOrDelete(object, 'status', current.status);
    keepAllocatedFields(info, object, current);
    applyDefaults(info, object);
    throwIfInvalid(info, object, validateUpdate(info, object, current));
    meta.generation = (was.generation ?? 1) + (contentChanged(info, object, current) ? 1 : 0);
    return object;
  }

  private statusUpdate(info: ResourceInfo, current: ApiObject, object: ApiObject): ApiObject {
    if (!info.hasStatus) throw new ApiError('NotFound', `the server could not find the requested resource (${info.plural}/status)`);
    const next = structuredClone(current);
    setOrDelete(next, 'status', object.status);
    throwIfInvalid(info, next, validateStatusUpdate(info, next, current));
    return next;
  }

  /** The object marked for deletion, or null when it can be removed now. */
  private markForDeletion(info: ResourceInfo, object: ApiObject, options: DeleteOptions): ApiObject | null {
    const next = structuredClone(object);
    const meta = next.metadata;
    const finalizers = [...(meta.finalizers ?? [])];
    if (options.propagationPolicy === 'Orphan' && !finalizers.includes('orphan')) finalizers.push('orphan');
    if (options.propagationPolicy === 'Foreground' && !finalizers.includes('foregroundDeletion')) finalizers.push('foregroundDeletion');
    if (finalizers.length > 0) meta.finalizers = finalizers;
    const now = this.now();
    if (info === NAMESPACES) {
      meta.deletionTimestamp ??= timestamp(now);
      meta.deletionGracePeriodSeconds = 0;
      next.status = { ...(next.status ?? {}), phase: 'Terminating' };
      return awaitsNamespaceFinalizers(info, next) || finalizers.length > 0 ? next : null;
    }
    if (info.kind === 'Pod') {
      const grace = podGracePeriod(next, options.gracePeriodSeconds);
      if (grace > 0) {
        const deadline = new Date(now.getTime() + grace * 1000);
        // A second delete may shorten the grace period, never lengthen it.
        if (meta.deletionGracePeriodSeconds === undefined || grace < meta.deletionGracePeriodSeconds) {
          meta.deletionTimestamp = timestamp(deadline);
          meta.deletionGracePeriodSeconds = grace;
        }
        return next;
      }
    }
    if (finalizers.length === 0) return null;
    meta.deletionTimestamp ??= timestamp(now);
    meta.deletionGracePeriodSeconds = 0;
    return next;
  }

  /** The KV lease new Events are attached to: one per reuse window (see EVENT_LEASE_REUSE_MAX_MS). */
  private async eventLeaseId(): Promise<string> {
    const nowMs = Date.now();
    const reuseMs = Math.min(EVENT_LEASE_REUSE_MAX_MS, this.eventTtlSeconds * 100);
    if (this.eventLease !== null && nowMs - this.eventLease.grantedAtMs < reuseMs) return this.eventLease.id;
    const id = await this.kv.leaseGrant(this.eventTtlSeconds + Math.ceil(reuseMs / 1000));
    this.eventLease = { id, grantedAtMs: nowMs };
    return id;
  }

  /** `call`, its KV errors as API errors; a read at `readRevision` that the KV compacted is 410 Expired with `expired`, one past its revision 504. */
  private async kvCall<T>(call: () => Promise<T>, readRevision = 0, expired = CONTINUE_EXPIRED): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof EtcdClientError && readRevision > 0) {
        // The KV answers both with OUT_OF_RANGE (which its client calls COMPACTED): the text tells them apart.
        if (/future revision/.test(error.message)) {
          const { revision } = await this.kvCall(() => this.kv.range(this.keys.collection(NAMESPACES, undefined), { countOnly: true }));
          throw ApiError.timeout(`Too large resource version: ${readRevision}, current: ${revision}`);
        }
        if (error.code === 'COMPACTED') throw ApiError.expired(expired);
      }
      throw toApiError(error);
    }
  }
}

const CONTINUE_EXPIRED = 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.';
const LIST_VERSION_EXPIRED = 'The resourceVersion for the provided list is too old.';

/**
 * The revision a list must be read at: `resourceVersion` with `resourceVersionMatch=Exact`,
 * else 0 (the latest: it is as new as any resourceVersion asked for). 422 for the
 * combinations Kubernetes refuses, in its words; 400 for a resourceVersion not a number.
 */
function exactListRevision(options: ListOptions): number {
  const match = options.resourceVersionMatch ?? '';
  if (match === '') return 0;
  const version = options.resourceVersion ?? '';
  const errors: FieldError[] = [];
  const field = 'resourceVersionMatch';
  if (version === '') errors.push({ field, type: 'Forbidden', detail: 'resourceVersionMatch is forbidden unless resourceVersion is provided' });
  if ((options.continue ?? '') !== '') errors.push({ field, type: 'Forbidden', detail: 'resourceVersionMatch is forbidden when continue is provided' });
  if (match !== 'Exact' && match !== 'NotOlderThan') errors.push({ field, type: 'NotSupported', value: match, detail: 'supported values: "Exact", "NotOlderThan", ""' });
  if (match === 'Exact' && version === '0') errors.push({ field, type: 'Forbidden', detail: 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"' });
  if (errors.length > 0) throw ApiError.fromStatus(invalidStatus('ListOptions', 'meta.k8s.io', '', errors));
  if (!/^\d+$/.test(version)) throw ApiError.badRequest(`invalid resource version: "${version}"`);
  return match === 'Exact' ? Number(version) : 0;
}

/** Fields the server allocated that a replacing update may leave out: kept as they are (a Service's cluster IP). */
function keepAllocatedFields(info: ResourceInfo, object: ApiObject, current: ApiObject): void {
  if (info.kind !== 'Service' || object.spec === undefined || current.spec === undefined) return;
  for (const field of ['clusterIP', 'clusterIPs'] as const) {
    if (object.spec[field] === undefined && current.spec[field] !== undefined) object.spec[field] = current.spec[field];
  }
}

/** A rewrite of a key keeps the lease it was attached to (a put without one would detach it). */
function keepLease(kv: KeyValue): { lease?: string } {
  return kv.lease !== '0' && kv.lease !== '' ? { lease: kv.lease } : {};
}

/** The grace period a pod delete gets: 0 for a pod no node runs (nothing to stop). */
function podGracePeriod(pod: ApiObject, requested: number | undefined): number {
  const spec = pod.spec ?? {};
  const phase = (pod.status as { phase?: unknown } | undefined)?.phase;
  if (typeof spec.nodeName !== 'string' || spec.nodeName === '' || phase === 'Succeeded' || phase === 'Failed') return 0;
  const fallback = typeof spec.terminationGracePeriodSeconds === 'number' ? spec.terminationGracePeriodSeconds : 30;
  const grace = requested ?? fallback;
  return Math.max(0, Math.floor(grace));
}

/** A namespace marked for deletion stays until its `spec.finalizers` are done (the namespace controller's work). */
function awaitsNamespaceFinalizers(info: ResourceInfo, object: ApiObject): boolean {
  return info === NAMESPACES && Array.isArray(object.spec?.finalizers) && (object.spec.finalizers as unknown[]).length > 0;
}

/** A pod in its grace period stays until its node agent deletes it with grace 0. */
function awaitsPodTermination(info: ResourceInfo, object: ApiObject): boolean {
  return info.kind === 'Pod' && (object.metadata.deletionGracePeriodSeconds ?? 0) > 0;
}

function contentChanged(info: ResourceInfo, next: ApiObject, current: ApiObject): boolean {
  if (info.hasStatus) return !jsonEqual(next.spec, current.spec);
  const strip = (object: ApiObject): Record<string, unknown> => {
    const { metadata: _metadata, apiVersion: _apiVersion, kind: _kind, ...rest } = object;
    return rest;
  };
  return !jsonEqual(strip(next), strip(current));
}

function setOrDelete<T extends object, K extends keyof T>(target: T, field: K, value: T[K] | undefined): void {
  if (value === undefined) delete target[field];
  else target[field] = value;
}

/** A patch that set `metadata.resourceVersion` (a JSON patch may) asks for that version: 409 when it is not the current one. */
function checkResourceVersion(info: ResourceInfo, name: string, asked: string | undefined, current: ApiObject): void {
  if (asked !== undefined && asked !== '' && asked !== current.metadata.resourceVersion) {
    throw ApiError.conflict(info, name, 'the object has been modified; please apply your changes to the latest version and try again');
  }
}

function checkPreconditions(info: ResourceInfo, name: string, object: ApiObject, preconditions: DeleteOptions['preconditions']): void {
  if (preconditions?.uid !== undefined && preconditions.uid !== object.metadata.uid) {
    throw ApiError.conflict(info, name, `Precondition failed: UID in precondition: ${preconditions.uid}, UID in object meta: ${object.metadata.uid}`);
  }
  if (preconditions?.resourceVersion !== undefined && preconditions.resourceVersion !== object.metadata.resourceVersion) {
    throw ApiError.conflict(
      info,
      name,
      `Precondition failed: ResourceVersion in precondition: ${preconditions.resourceVersion}, ResourceVersion in object meta: ${object.metadata.resourceVersion}`,
    );
  }
}

/** The body as an object of this resource: a JSON object, its apiVersion and kind this resource's (filled in when absent). */
function checkBody(info: ResourceInfo, body: unknown): ApiObject {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw ApiError.badRequest('the request body must be a JSON object');
  const object = structuredClone(body) as ApiObject;
  const apiVersion = apiVersionOf(info);
  object.apiVersion ??= apiVersion;
  object.kind ??= info.kind;
  if (object.apiVersion !== apiVersion || object.kind !== info.kind) {
    const served = resourceForKind(String(object.apiVersion), String(object.kind));
    const what = served === undefined ? `no kind "${String(object.kind)}" is registered for version "${String(object.apiVersion)}"` : `${served.kind} is not ${info.kind}`;
    throw ApiError.badRequest(`the body is not a ${apiVersion} ${info.kind}: ${what}`);
  }
  if (typeof object.metadata !== 'object' || object.metadata === null || Array.isArray(object.metadata)) {
    if (object.metadata !== undefined) throw ApiError.badRequest('metadata must be a JSON object');
    object.metadata = {};
  }
  return object;
}

function checkNameAndNamespace(info: ResourceInfo, object: ApiObject, namespace: string | undefined, name: string): void {
  const meta = object.metadata;
  if (meta.name !== undefined && meta.name !== name) {
    throw ApiError.badRequest(`the name of the object (${String(meta.name)}) does not match the name on the URL (${name})`);
  }
  meta.name = name;
  if (info.namespaced) {
    if (meta.namespace !== undefined && meta.namespace !== '' && meta.namespace !== namespace) {
      throw ApiError.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    meta.namespace = namespace;
  }
}

function throwIfInvalid(info: ResourceInfo, object: ApiObject, errors: readonly FieldError[]): void {
  if (errors.length === 0) return;
  const name = typeof object.metadata.name === 'string' ? object.metadata.name : '';
  throw ApiError.invalid(info, name, errors);
}



/** A failure of the KV as the API's error: 503 when the store cannot be reached, 504 when it was too slow. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof EtcdClientError) {
    if (error.code === 'UNAVAILABLE' || error.code === 'CLOSED') return ApiError.unavailable(`the storage is unavailable: ${error.message}`);
    if (error.code === 'TIMEOUT') return ApiError.timeout(`the storage did not answer in time: ${error.message}`);
    if (/too large/i.test(error.message)) return new ApiError('RequestEntityTooLarge', error.message);
    return ApiError.internal(error.message);
  }
  return ApiError.internal(error instanceof Error ? error.message : String(error));
}
