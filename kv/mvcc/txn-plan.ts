/**
 * Deciding a transaction before it writes anything, as etcd does: every compare — the
 * nested transactions' too — is evaluated against the store as it was before the
 * transaction, which picks the branch that runs at each level (the plan); then the
 * operations on that path are checked against the same state. Only a transaction that
 * passes every check is applied, so a refused one changes nothing.
 */
import { compareHolds } from './compare.js';
import { CompactedError, FutureRevisionError, KeyNotFoundError, LeaseNotFoundError } from './errors.js';
import { intervalContains, keyInterval, keyString } from './key-bytes.js';
import type { KeyInterval, KeyString } from './key-bytes.js';
import { NO_LEASE } from './lease-attachments.js';
import type { Op, PutOp, RangeOp, TxnRequest } from './requests.js';
import type { KeyValue } from './types.js';

/** The branch a transaction takes, and the plans of the transactions nested in it. */
export interface TxnPlan {
  readonly succeeded: boolean;
  readonly ops: readonly Op[];
  /** Parallel to `ops`: the plan of each nested transaction, null for other operations. */
  readonly nested: readonly (TxnPlan | null)[];
}

/** The store before the transaction, as the plan and its checks see it. */
export interface PlanView {
  readonly revision: number;
  readonly compactRevision: number;
  visible(interval: KeyInterval): KeyValue[];
  get(key: KeyString): KeyValue | null;
  leaseExists(lease: bigint): boolean;
}

export function planTxn(txn: TxnRequest, view: PlanView): TxnPlan {
  const succeeded = txn.compare.every((compare) => compareHolds(compare, view.visible(keyInterval(compare.range))));
  const ops = succeeded ? txn.success : txn.failure;
  return { succeeded, ops, nested: ops.map((op) => (op.op === 'txn' ? planTxn(op, view) : null)) };
}

/**
 * The checks that need the store, on the operations the plan will run: first every put
 * (in order, nested ones in place), then every range — etcd's order, which decides which
 * error a request with several problems gets.
 */
export function checkPlan(plan: TxnPlan, view: PlanView): void {
  forEachPlannedOp(plan, (op) => {
    if (op.op === 'put') checkPutAgainstStore(op, view, 'ignore-first');
  });
  forEachPlannedOp(plan, (op) => {
    if (op.op === 'range') checkRangeRevision(op, view);
  });
  checkKeptFieldsAfterDeletes(plan);
}

/**
 * A put with ignore_value or ignore_lease needs its key to exist when it runs, but a
 * delete earlier on the path (a from-key delete may share a branch with it) removes it.
 * etcd checks such puts only against the store before the transaction, then meets the
 * missing key while applying and panics, on every member; Balsa refuses the transaction
 * with the error etcd's apply met, before anything changes. (The put is the only one of
 * its key on the path, so nothing between the delete and it brings the key back.)
 */
function checkKeptFieldsAfterDeletes(plan: TxnPlan): void {
  const deleted: KeyInterval[] = [];
  forEachPlannedOp(plan, (op) => {
    if (op.op === 'deleteRange') deleted.push(keyInterval(op.range));
    if (op.op !== 'put' || (op.ignoreValue !== true && op.ignoreLease !== true)) return;
    const key = keyString(op.key);
    if (deleted.some((interval) => intervalContains(interval, key))) throw new KeyNotFoundError();
  });
}

/**
 * A put's preconditions on the store: with ignore_value/ignore_lease the key must exist;
 * a lease must exist. A transaction checks the key first; a plain Put checks the lease
 * first (etcd's two code paths differ, and so would the error of a put failing both).
 */
export function checkPutAgainstStore(put: PutOp, view: PlanView, order: 'ignore-first' | 'lease-first'): void {
  if (order === 'lease-first') checkLease(put, view);
  if ((put.ignoreValue === true || put.ignoreLease === true) && view.get(keyString(put.key)) === null) {
    throw new KeyNotFoundError();
  }
  if (order === 'ignore-first') checkLease(put, view);
}

function checkLease(put: PutOp, view: PlanView): void {
  const lease = put.lease ?? NO_LEASE;
  if (lease !== NO_LEASE && !view.leaseExists(lease)) throw new LeaseNotFoundError(lease);
}

/**
 * A range inside a transaction may not read past the store's revision before the
 * transaction (its own revision does not exist yet) nor before the compaction point.
 */
function checkRangeRevision(range: RangeOp, view: PlanView): void {
  const revision = range.revision ?? 0;
  if (revision === 0) return;
  if (revision > view.revision) throw new FutureRevisionError();
  if (revision < view.compactRevision) throw new CompactedError(view.compactRevision);
}

function forEachPlannedOp(plan: TxnPlan, visit: (op: Op) => void): void {
  plan.ops.forEach((op, i) => {
    const nested = plan.nested[i];
    if (nested) forEachPlannedOp(nested, visit);
    else visit(op);
  });
}
