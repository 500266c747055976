/**
 * The checks etcd makes on a request before looking at the store (its gRPC layer's
 * checkRangeRequest, checkPutRequest, checkTxnRequest and checkIntervals), in etcd's
 * order, so that a bad request gets the same error from Balsa as from etcd.
 */
import {
  DuplicateKeyError,
  EmptyKeyError,
  LeaseProvidedError,
  TooManyOpsError,
  ValueProvidedError,
} from './errors.js';
import { intervalContains, keyString } from './key-bytes.js';
import type { KeyInterval, KeyString } from './key-bytes.js';
import type { DeleteRangeRequest, Op, PutRequest, TxnRequest } from './requests.js';
import type { KeyRange } from './types.js';

/** etcd's default for `--max-txn-ops`. */
export const DEFAULT_MAX_TXN_OPS = 128;

export function checkRangeRequest(range: KeyRange): void {
  if (range.key.byteLength === 0) throw new EmptyKeyError();
}

export function checkPutRequest(put: PutRequest): void {
  if (put.key.byteLength === 0) throw new EmptyKeyError();
  if (put.ignoreValue === true && put.value.byteLength !== 0) throw new ValueProvidedError();
  if (put.ignoreLease === true && (put.lease ?? 0n) !== 0n) throw new LeaseProvidedError();
}

export function checkDeleteRequest(request: DeleteRangeRequest): void {
  if (request.range.key.byteLength === 0) throw new EmptyKeyError();
}

/** The whole transaction: its shape, then each branch for keys written twice. */
export function checkTxn(txn: TxnRequest, maxTxnOps: number): void {
  checkTxnShape(txn, maxTxnOps);
  // etcd checks the branches separately: only one of them ever runs.
  checkWrites(txn.success);
  checkWrites(txn.failure);
}

/**
 * The limit counts the longest of the compare list and the two branches, not their sum
 * (so up to `maxTxnOps` operations per branch); a nested transaction gets what its parent
 * left of the limit.
 */
function checkTxnShape(txn: TxnRequest, maxTxnOps: number): void {
  const longest = Math.max(txn.compare.length, txn.success.length, txn.failure.length);
  if (longest > maxTxnOps) throw new TooManyOpsError();
  for (const compare of txn.compare) {
    if (compare.range.key.byteLength === 0) throw new EmptyKeyError();
  }
  for (const op of [...txn.success, ...txn.failure]) checkOp(op, maxTxnOps - longest);
}

function checkOp(op: Op, maxTxnOps: number): void {
  switch (op.op) {
    case 'range':
      return checkRangeRequest(op.range);
    case 'put':
      return checkPutRequest(op);
    case 'deleteRange':
      return checkDeleteRequest(op);
    case 'txn':
      return checkTxnShape(op, maxTxnOps);
    default:
      return unreachable(op);
  }
}

interface BranchWrites {
  readonly puts: Set<KeyString>;
  readonly deletes: KeyInterval[];
}

/**
 * Refuses a branch that writes a key twice: two puts of one key, or a put of a key that a
 * delete of the branch (or of a transaction nested in it) covers. Overlapping deletes are
 * allowed (the second finds nothing left to delete). The same key may be put in both
 * branches of a nested transaction, since only one runs. Nested transactions are checked
 * first, then this level's puts against everything collected — etcd's order, kept so
 * that the same requests pass and fail: a nested transaction's put is checked against
 * the deletes of this level and of the nested transactions before it, not after it, so
 * `txn{put k}; txn{delete k}` passes where `txn{delete k}; txn{put k}` is refused.
 *
 * "Covers" is etcd's interval check (`deleteInterval`), which reads a delete's range
 * end literally: a from-key delete (end "\0") or a delete of everything covers no key
 * here, although it deletes them. A branch may therefore change a key more than once in
 * its revision (a put, then a from-key delete of it; a delete, then a put), which the
 * store applies in order, as etcd does.
 */
function checkWrites(ops: readonly Op[]): BranchWrites {
  const deletes: KeyInterval[] = [];
  for (const op of ops) if (op.op === 'deleteRange') deletes.push(deleteInterval(op.range));

  const puts = new Set<KeyString>();
  for (const op of ops) {
    if (op.op !== 'txn') continue;
    const then = checkWrites(op.success);
    const otherwise = checkWrites(op.failure);
    for (const key of then.puts) {
      if (puts.has(key) || covered(deletes, key)) throw new DuplicateKeyError();
      puts.add(key);
    }
    for (const key of otherwise.puts) {
      if ((puts.has(key) && !then.puts.has(key)) || covered(deletes, key)) throw new DuplicateKeyError();
      puts.add(key);
    }
    deletes.push(...then.deletes, ...otherwise.deletes);
  }

  for (const op of ops) {
    if (op.op !== 'put') continue;
    const key = keyString(op.key);
    if (puts.has(key) || covered(deletes, key)) throw new DuplicateKeyError();
    puts.add(key);
  }
  return { puts, deletes };
}

/**
 * A delete's keys as etcd's duplicate check sees them: the single key for an empty end,
 * else [key, end) with the end taken as a key — "\0" included, below every non-empty key.
 */
function deleteInterval(range: KeyRange): KeyInterval {
  const start = keyString(range.key);
  return { start, end: range.end.byteLength === 0 ? `${start}\0` : keyString(range.end) };
}

function covered(deletes: readonly KeyInterval[], key: KeyString): boolean {
  return deletes.some((interval) => intervalContains(interval, key));
}

function unreachable(value: never): never {
  throw new Error(`unexpected op ${JSON.stringify(value)}`);
}
