/**
 * The MVCC key-value store, with etcd's semantics: an in-memory, deterministic state
 * machine that the KV server applies committed Raft entries to (and serves reads from).
 *
 * - One global revision, 1 for the empty store. Each write that changes something makes
 *   exactly one new revision, shared by all its changes, numbered in order (etcd's
 *   sub-revisions). A delete that deletes nothing, and a read-only transaction, do not.
 * - Per key: create and mod revision, version (1 at creation, +1 per put, gone with a
 *   delete), lease. Every version stays readable until compacted.
 * - The history of changes is kept from the compaction point on, for watches
 *   (`changesSince`), and offered live as it is made (`onChanges`).
 *
 * Nothing here reads a clock (but for pacing compaction's physical cleanup, which no
 * answer depends on) or draws randomness, and iteration orders are fixed, so the
 * same requests in the same order give every member the same store, byte for byte
 * (`snapshot()`), and the same `hashKv`.
 *
 * Requests are refused with etcd's errors (`errors.ts`) before anything changes. Keys and
 * values are copied in; `KeyValue`s handed out are shared with the store and must not be
 * modified.
 */
import { performance } from 'node:perf_hooks';
import { crc32 } from 'node:zlib';

import type { CleanupScheduler } from './cleanup-scheduler.js';
import { nextTurnScheduler } from './cleanup-scheduler.js';
import { COMPACTION_BATCH_KEYS, COMPACTION_BATCH_RECORDS, COMPACTION_SLICE_KEYS, COMPACTION_STEP_BUDGET_MS } from './constants.js';
import { assert, CompactedError, FutureRevisionError, MvccAssertionError, SnapshotCorruptError } from './errors.js';
import { hashKeyValues } from './hash.js';
import { FIRST_CHANGE_REVISION, History, NEVER_COMPACTED } from './history.js';
import { keyBytes, keyInterval, keyString } from './key-bytes.js';
import type { KeyString } from './key-bytes.js';
import { KeyIndex, lastAtOrBefore } from './key-index.js';
import { LeaseAttachments } from './lease-attachments.js';
import { shapeRange } from './range.js';
import { RecordView } from './record-view.js';
import {
  checkDeleteRequest,
  checkPutRequest,
  checkRangeRequest,
  checkTxn,
  DEFAULT_MAX_TXN_OPS,
} from './request-checks.js';
import type {
  DeleteRangeRequest,
  DeleteRangeResponse,
  PutRequest,
  PutResponse,
  RangeOptions,
  RangeResponse,
  TxnRequest,
  TxnResponse,
} from './requests.js';
import { decodeSnapshot, encodeSnapshot, encodeSnapshotInSteps } from './snapshot-codec.js';
import type { SnapshotState } from './snapshot-codec.js';
import { checkPlan, checkPutAgainstStore, planTxn } from './txn-plan.js';
import type { PlanView } from './txn-plan.js';
import { tombstoneKv, WriteBatch } from './write-batch.js';
import type { KeyRange, KvEvent, RevisionChanges } from './types.js';

/** The revision of the empty store (etcd's too). */
export const INITIAL_REVISION = 1;

export interface MvccStoreOptions {
  /**
   * Whether a lease exists, for puts that attach one (the lessor's knowledge; the store
   * keeps none). Default: no lease exists, so any put with a lease is refused.
   */
  readonly leaseExists?: (lease: bigint) => boolean;
  /** The most compares, or operations in one branch, a transaction may have (etcd's --max-txn-ops). Default 128. */
  readonly maxTxnOps?: number;
  /** When compaction's physical cleanup steps run. Default: one batch per event-loop turn. */
  readonly cleanupScheduler?: CleanupScheduler;
  /** The most keys one cleanup step cleans. Default `COMPACTION_BATCH_KEYS`. */
  readonly cleanupBatchKeys?: number;
  /** The most records one cleanup step drops. Default `COMPACTION_BATCH_RECORDS`. */
  readonly cleanupBatchRecords?: number;
}

/**
 * Told of every new revision, synchronously, right after it is committed (the store
 * already answers reads at it). Must not throw: a throw reaches the writer, although its
 * write is done, and the listeners after it are not told.
 */
export type ChangesListener = (changes: RevisionChanges) => void;

/** etcd's HashKV answer. */
export interface HashKvResult {
  readonly hash: number;
  /** The store's current revision (not the hashed one). */
  readonly revision: number;
  /** The compaction point (`NEVER_COMPACTED`, -1, as etcd says, if there was none). */
  readonly compactRevision: number;
}

export class MvccStore {
  private index = new KeyIndex();
  private history = new History();
  private leases = new LeaseAttachments();
  private current = INITIAL_REVISION;
  private compacted = NEVER_COMPACTED;
  private readonly listeners = new Set<ChangesListener>();
  private readonly leaseExists: (lease: bigint) => boolean;
  private readonly maxTxnOps: number;
  private readonly cleanupScheduler: CleanupScheduler;
  private readonly cleanupBatch: { readonly keys: number; readonly records: number };
  private cleanupScheduled = false;
  private closed = false;

  constructor(options: MvccStoreOptions = {}) {
    this.leaseExists = options.leaseExists ?? (() => false);
    this.cleanupScheduler = options.cleanupScheduler ?? nextTurnScheduler;
    this.cleanupBatch = { keys: options.cleanupBatchKeys ?? COMPACTION_BATCH_KEYS, records: options.cleanupBatchRecords ?? COMPACTION_BATCH_RECORDS };
    assert(this.cleanupBatch.keys > 0 && this.cleanupBatch.records > 0, 'cleanup batches must be positive');
    this.maxTxnOps = options.maxTxnOps ?? DEFAULT_MAX_TXN_OPS;
    assert(Number.isSafeInteger(this.maxTxnOps) && this.maxTxnOps > 0, () => `maxTxnOps = ${this.maxTxnOps}`);
  }

  /** The current revision: that of the latest write (1 for the empty store). */
  get revision(): number {
    return this.current;
  }

  /** The same as `revision`, as a method (the watch hub's `WatchableStore` contract). */
  currentRevision(): number {
    return this.current;
  }

  /** The compaction point: reads below it fail. `NEVER_COMPACTED` (-1) until the first compaction. */
  compactRevision(): number {
    return this.compacted;
  }

  // -------------------------------------------------------------------------------------
  // KV requests

  range(range: KeyRange, options: RangeOptions = {}): RangeResponse {
    checkRangeRequest(range);
    const revision = this.readableRevision(options.revision ?? 0);
    const result = shapeRange(this.index.visible(keyInterval(range), revision), options);
    // The header names the store's revision, whichever revision was read (as etcd does).
    return { op: 'range', revision: this.current, ...result };
  }

  put(request: PutRequest): PutResponse {
    checkPutRequest(request);
    const op = { op: 'put', ...request } as const;
    checkPutAgainstStore(op, this.planView(), 'lease-first');
    return this.write((batch) => batch.put(op));
  }

  deleteRange(request: DeleteRangeRequest): DeleteRangeResponse {
    checkDeleteRequest(request);
    return this.write((batch) => batch.deleteRange({ op: 'deleteRange', ...request }));
  }

  /**
   * Compares, then runs one branch, atomically at one revision. Refused as a whole —
   * nothing changes — if the request is malformed (too many operations, a key written
   * twice, an empty key, ...) or an operation on the chosen path cannot run (a missing
   * key for ignore_value, a missing lease, a range at a future or compacted revision).
   */
  txn(request: TxnRequest): TxnResponse {
    checkTxn(request, this.maxTxnOps);
    const view = this.planView();
    const plan = planTxn(request, view);
    checkPlan(plan, view);
    return this.write((batch) => batch.txn(plan));
  }

  /**
   * Forgets the history before `revision`: reads below it fail from now on, and each key
   * keeps only its versions from its newest one at or before `revision` on (none, if that
   * was a delete). Refused at or below the compaction point (as etcd does, so revision 0
   * is accepted once, by a store never compacted).
   *
   * Takes effect at once for everything the store answers, counts, hashes and snapshots;
   * the memory is freed by a background cleanup, a bounded batch of keys per scheduler
   * step (etcd 3.4 does the same with its backend), so that a compaction of a large store
   * holds up the writes applied after it for one batch at a time, not for a walk of every
   * key.
   */
  compact(revision: number): void {
    if (revision <= this.compacted) throw new CompactedError(this.compacted);
    if (revision > this.current) throw new FutureRevisionError();
    this.index.compact(revision);
    this.history.compact(revision);
    this.compacted = revision;
    this.scheduleCleanup();
  }

  /** Whether compaction's physical cleanup has work left (never affects any answer). */
  cleaningUp(): boolean {
    return this.index.cleaning;
  }

  /** Approximate memory physically held by records, cleanup not yet done included (for measurements). */
  physicalSizeBytes(): number {
    return this.index.physicalSizeBytes;
  }

  /** The number of keys a fully compacted store holds (deleted keys with a kept tombstone included). */
  keyCount(): number {
    return this.index.keyCount;
  }

  /** Stops the background cleanup: the store is no longer used (a restore replaced it). */
  close(): void {
    this.closed = true;
  }

  // -------------------------------------------------------------------------------------
  // History, for watches

  /**
   * Every change from `startRevision` (inclusive) to the current revision, one entry per
   * revision, oldest first; empty when `startRevision` is in the future. Refused with
   * `CompactedError` below the compaction point; at the compaction point itself the
   * changes are complete (as etcd lets a watch start there).
   */
  changesSince(startRevision: number): RevisionChanges[] {
    assert(Number.isSafeInteger(startRevision) && startRevision >= 1, () => `start revision ${startRevision}`);
    if (startRevision < this.compacted) throw new CompactedError(this.compacted);
    return this.history.since(startRevision);
  }

  /** Calls `listener` with every new revision's changes, in order. Returns the unsubscribe. */
  onChanges(listener: ChangesListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // -------------------------------------------------------------------------------------
  // Leases

  /** The keys currently attached to `lease`, in key order. */
  keysWithLease(lease: bigint): Uint8Array[] {
    return this.leases.keys(lease).map(keyBytes);
  }

  /**
   * Deletes every key attached to `lease`, in key order, in one revision (what revoking
   * or expiring the lease does). No new revision if it holds no keys.
   */
  deleteKeysOfLease(lease: bigint): { readonly revision: number; readonly deleted: number } {
    const keys = this.leases.keys(lease);
    if (keys.length === 0) return { revision: this.current, deleted: 0 };
    return this.write((batch) => {
      for (const key of keys) batch.deleteKey(key, this.index.get(key, this.current)!);
      return { revision: batch.writeRevision, deleted: keys.length };
    });
  }

  // -------------------------------------------------------------------------------------
  // Integrity, size, snapshots

  /**
   * etcd's HashKV: a hash of the key-value history up to `revision` (0: the current one)
   * that survives compaction, equal on members that applied the same writes. Refused
   * at or below the compaction point, and above the current revision.
   */
  hashKv(revision = 0): HashKvResult {
    if (revision > 0 && revision <= this.compacted) throw new CompactedError(this.compacted);
    if (revision > this.current) throw new FutureRevisionError();
    const at = revision > 0 ? revision : this.current;
    return { hash: hashKeyValues(this.index, at, this.compacted), revision: this.current, compactRevision: this.compacted };
  }

  /** A hash of the whole store, history and compaction point included (etcd's Hash). */
  hash(): number {
    return crc32(this.snapshot());
  }

  /**
   * Approximate memory held by keys, values and their versions, in bytes (for quota and
   * status), as in a fully compacted store: equal on members that applied the same
   * requests, whatever their cleanup has reached.
   */
  sizeBytes(): number {
    return this.index.sizeBytes;
  }

  /**
   * Every record kept (versions and tombstones not compacted away) in revision order, as
   * of now: what etcd's backend holds in its `key` bucket. Cheap to take; later writes and
   * compactions do not change it.
   */
  records(): RecordView {
    return RecordView.take(this.index, this.history, this.compacted);
  }

  /** Everything, deterministically encoded: equal stores give equal bytes. */
  snapshot(): Uint8Array {
    return encodeSnapshot(this.snapshotState());
  }

  /**
   * The bytes of `snapshot()` at the time of the call, as consecutive parts, encoded a step
   * at a time with `pause()` between steps (see `encodeSnapshotInSteps`): writes made
   * meanwhile are not in it. What is captured at once is a copy of each key's list of
   * records (references).
   */
  snapshotInSteps(pause: () => Promise<void>): Promise<Uint8Array[]> {
    const state = this.snapshotState();
    const frozen: SnapshotState = { ...state, keys: state.keys.map(({ key, records }) => ({ key, records: records.slice() })) };
    return encodeSnapshotInSteps(frozen, pause);
  }

  private snapshotState(): SnapshotState {
    return {
      revision: this.current,
      compactRevision: this.compacted,
      keys: [...this.index.logicalEntries()],
      compactRevisionEvents: this.history.at(this.compacted)?.events ?? [],
    };
  }

  /** A store equal to the one `snapshot()` was taken from. Throws `SnapshotCorruptError`. */
  static restore(bytes: Uint8Array, options: MvccStoreOptions = {}): MvccStore {
    const state = decodeSnapshot(bytes);
    const store = new MvccStore(options);
    try {
      store.load(state);
    } catch (error) {
      if (error instanceof MvccAssertionError) throw new SnapshotCorruptError(error.message);
      throw error;
    }
    return store;
  }

  // -------------------------------------------------------------------------------------

  /** The revision a top-level range reads: 0 or less is the current one. */
  private readableRevision(requested: number): number {
    if (requested > this.current) throw new FutureRevisionError();
    const revision = requested > 0 ? requested : this.current;
    if (revision < this.compacted) throw new CompactedError(this.compacted);
    return revision;
  }

  private scheduleCleanup(): void {
    if (this.cleanupScheduled || this.closed || !this.index.cleaning) return;
    this.cleanupScheduled = true;
    this.cleanupScheduler(() => {
      this.cleanupScheduled = false;
      if (this.closed) return;
      if (this.cleanStep()) this.scheduleCleanup();
    });
  }

  /**
   * One step of physical cleanup: up to a batch of keys, in slices, stopping early once
   * the step has run `COMPACTION_STEP_BUDGET_MS`. Returns whether work is left. The clock
   * decides only how much memory is freed per turn, which nothing answered depends on.
   */
  private cleanStep(): boolean {
    const started = performance.now();
    let keys = 0;
    for (;;) {
      const slice = Math.min(COMPACTION_SLICE_KEYS, this.cleanupBatch.keys - keys);
      if (!this.index.cleanStep(slice, this.cleanupBatch.records)) return false;
      keys += slice;
      if (keys >= this.cleanupBatch.keys || performance.now() - started >= COMPACTION_STEP_BUDGET_MS) return true;
    }
  }

  private planView(): PlanView {
    const revision = this.current;
    return {
      revision,
      compactRevision: this.compacted,
      visible: (interval) => this.index.visible(interval, revision),
      get: (key: KeyString) => this.index.get(key, revision),
      leaseExists: this.leaseExists,
    };
  }

  /**
   * Runs `apply` in a batch at the next revision, and commits that revision if it
   * changed anything: history first, then listeners, which may read the store.
   */
  private write<T>(apply: (batch: WriteBatch) => T): T {
    const batch = new WriteBatch(this.index, this.leases, this.current);
    const result = apply(batch);
    if (batch.events.length > 0) {
      const changes: RevisionChanges = { revision: batch.writeRevision, events: batch.events };
      this.current = changes.revision;
      this.history.append(changes);
      for (const listener of [...this.listeners]) listener(changes);
    }
    return result;
  }

  /** Rebuilds this (empty) store from a decoded snapshot; assertion failures mean corruption. */
  private load(state: SnapshotState): void {
    assert(state.compactRevision <= state.revision && state.revision >= INITIAL_REVISION, 'revisions out of order');
    this.index = new KeyIndex(state.compactRevision);
    for (const { key, records } of state.keys) {
      const name = keyString(key);
      for (const record of records) {
        assert(record.main <= state.revision, () => `record at ${record.main} after revision ${state.revision}`);
        this.index.append(name, key, record);
      }
      const latest = records.at(-1)?.kv;
      if (latest) this.leases.attach(latest.lease, name);
    }
    this.current = state.revision;
    this.compacted = state.compactRevision;
    this.history = rebuildHistory(this.index, state);
  }
}

/**
 * The history from the index: every record after the compaction point is one change, in
 * its revision at its sub-revision, its previous version the key's version before that
 * revision (none for a put that creates the key), as the live events have it. The
 * changes at the compaction point itself come from the snapshot.
 */
function rebuildHistory(index: KeyIndex, state: SnapshotState): History {
  const first = Math.max(FIRST_CHANGE_REVISION, state.compactRevision);
  const byRevision: KvEvent[][] = Array.from({ length: Math.max(0, state.revision - first + 1) }, () => []);
  if (state.compactRevisionEvents.length > 0) {
    assert(state.compactRevision >= FIRST_CHANGE_REVISION, 'changes at a revision that has none');
    byRevision[0] = [...state.compactRevisionEvents];
  }
  for (const [, history] of index.entries()) {
    for (const record of history.records) {
      if (record.main <= state.compactRevision) continue;
      assert(record.main >= FIRST_CHANGE_REVISION, () => `record at revision ${record.main}`);
      const before = lastAtOrBefore(history.records, record.main - 1);
      const previous = before < 0 ? null : history.records[before]!.kv;
      const event: KvEvent = record.kv === null
        ? { type: 'delete', kv: tombstoneKv(history.key, record.main), prevKv: previous }
        : { type: 'put', kv: record.kv, prevKv: record.kv.version === 1 ? null : previous };
      const events = byRevision[record.main - first]!;
      assert(events[record.sub] === undefined, () => `two changes at ${record.main}.${record.sub}`);
      events[record.sub] = event;
    }
  }
  const entries = byRevision.map((events, i) => {
    const revision = first + i;
    // A hole (a sub-revision without a change) would be skipped by every(): index instead.
    const complete = Array.from({ length: events.length }, (_, sub) => events[sub]);
    assert(complete.length > 0 && !complete.some((event) => event === undefined), () => `changes at revision ${revision} are incomplete`);
    return { revision, events: complete as KvEvent[] };
  });
  return new History(first, entries);
}
