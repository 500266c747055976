/**
 * Applying one write transaction: every change goes into the index at the same revision
 * (the store's revision + 1), numbered in order, and becomes an event. Reads inside the
 * transaction see its earlier writes, because they read at that revision once something
 * has been written (etcd's write transaction does the same).
 *
 * A transaction may change one key more than once (a put, then a from-key delete that
 * covers it): the changes follow each other at increasing sub-revisions. An event's
 * previous version is what etcd's watchers get as prev_kv: the key's version before the
 * revision (none for a put that creates the key), never one the same transaction wrote.
 *
 * Nothing here may fail on a request: everything that can be refused was checked by
 * `checkTxn` and `checkPlan` before the batch began. The store commits the batch (bumps
 * its revision, records the history) only if it changed something.
 */
import { assert } from './errors.js';
import type { KeyIndex } from './key-index.js';
import { EMPTY_BYTES, keyInterval, keyString, ownBytes } from './key-bytes.js';
import type { KeyString } from './key-bytes.js';
import type { LeaseAttachments } from './lease-attachments.js';
import { NO_LEASE } from './lease-attachments.js';
import { shapeRange } from './range.js';
import type {
  DeleteRangeOp,
  DeleteRangeResponse,
  OpResponse,
  PutOp,
  PutResponse,
  RangeOp,
  RangeResponse,
  TxnResponse,
} from './requests.js';
import type { TxnPlan } from './txn-plan.js';
import type { KeyValue, KvEvent } from './types.js';

export class WriteBatch {
  /** The changes made so far, in order; a change's position is its sub-revision. */
  readonly events: KvEvent[] = [];

  constructor(
    private readonly index: KeyIndex,
    private readonly leases: LeaseAttachments,
    /** The store's revision before this transaction. */
    readonly beginRevision: number,
  ) {}

  /** The revision every change of this batch gets. */
  get writeRevision(): number {
    return this.beginRevision + 1;
  }

  /** What a read (or a response header) sees now: the batch's revision once it has written. */
  get currentRevision(): number {
    return this.events.length > 0 ? this.writeRevision : this.beginRevision;
  }

  txn(plan: TxnPlan): TxnResponse {
    const responses: OpResponse[] = plan.ops.map((op, i): OpResponse => {
      switch (op.op) {
        case 'range':
          return this.range(op);
        case 'put':
          return this.put(op);
        case 'deleteRange':
          return this.deleteRange(op);
        case 'txn':
          return this.txn(plan.nested[i]!);
        default:
          return unreachable(op);
      }
    });
    return { op: 'txn', revision: this.currentRevision, succeeded: plan.succeeded, responses };
  }

  range(op: RangeOp): RangeResponse {
    const requested = op.revision ?? 0;
    const revision = requested > 0 ? requested : this.currentRevision;
    assert(revision <= this.currentRevision, () => `range at ${revision} in a batch at ${this.currentRevision} was not checked`);
    const result = shapeRange(this.index.visible(keyInterval(op.range), revision), op);
    return { op: 'range', revision: this.currentRevision, ...result };
  }

  put(op: PutOp): PutResponse {
    const key = keyString(op.key);
    const previous = this.index.get(key, this.currentRevision);
    const keepsSomething = op.ignoreValue === true || op.ignoreLease === true;
    assert(!keepsSomething || previous !== null, 'ignore_value/ignore_lease on a missing key was not checked');
    const revision = this.writeRevision;
    const kv: KeyValue = {
      // One copy of a key's bytes serves all its versions.
      key: this.index.history(key)?.key ?? ownBytes(op.key),
      createRevision: previous?.createRevision ?? revision,
      modRevision: revision,
      version: (previous?.version ?? 0) + 1,
      value: op.ignoreValue === true ? previous!.value : ownBytes(op.value),
      lease: op.ignoreLease === true ? previous!.lease : (op.lease ?? NO_LEASE),
    };
    this.index.append(key, kv.key, { main: revision, sub: this.events.length, kv });
    if (previous !== null && previous.lease !== kv.lease) this.leases.detach(previous.lease, key);
    this.leases.attach(kv.lease, key);
    // `previous` is the version before this revision: only a delete can precede a put of
    // its key in one transaction, and then there is none (the put creates the key).
    this.events.push({ type: 'put', kv, prevKv: previous });
    return { op: 'put', revision, prevKv: op.prevKv === true ? previous : null };
  }

  deleteRange(op: DeleteRangeOp): DeleteRangeResponse {
    const deleted = this.index.visible(keyInterval(op.range), this.currentRevision);
    for (const previous of deleted) this.deleteKey(keyString(previous.key), previous);
    return { op: 'deleteRange', revision: this.currentRevision, deleted: deleted.length, prevKvs: op.prevKv === true ? deleted : [] };
  }

  /** Deletes one key known to exist (`previous` is its current version, maybe written by this batch). */
  deleteKey(key: KeyString, previous: KeyValue): void {
    const revision = this.writeRevision;
    this.index.append(key, previous.key, { main: revision, sub: this.events.length, kv: null });
    this.leases.detach(previous.lease, key);
    this.events.push({ type: 'delete', kv: tombstoneKv(previous.key, revision), prevKv: this.index.get(key, this.beginRevision) });
  }
}

/** A delete event's KeyValue as etcd reports it: the key and the deleting revision, all else empty. */
export function tombstoneKv(key: Uint8Array, revision: number): KeyValue {
  return { key, createRevision: 0, modRevision: revision, version: 0, value: EMPTY_BYTES, lease: NO_LEASE };
}

function unreachable(value: never): never {
  throw new Error(`unexpected op ${JSON.stringify(value)}`);
}
