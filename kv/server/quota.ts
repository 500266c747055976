/**
 * etcd's backend quota: what a write costs, and whether it fits. A write fits while the
 * store's size plus its cost stays below `--quota-backend-bytes`; one that does not is
 * refused with "database space exceeded" and raises the NOSPACE alarm (etcd's
 * quotaKVServer), after which the state machine refuses every write that costs quota
 * until `etcdctl alarm disarm`.
 */
import type { Op, PutRequest, TxnRequest } from '../mvcc/requests.js';
import { QUOTA_KV_OVERHEAD_BYTES, QUOTA_LEASE_OVERHEAD_BYTES } from './constants.js';

export function putCost(request: Pick<PutRequest, 'key' | 'value'>): number {
  return QUOTA_KV_OVERHEAD_BYTES + request.key.byteLength + request.value.byteLength;
}

/** The dearer branch's puts (nested transactions' included). */
export function txnCost(request: TxnRequest): number {
  const branch = (ops: readonly Op[]): number =>
    ops.reduce((sum, op) => sum + (op.op === 'put' ? putCost(op) : op.op === 'txn' ? txnCost(op) : 0), 0);
  return Math.max(branch(request.success), branch(request.failure));
}

export const leaseGrantCost = QUOTA_LEASE_OVERHEAD_BYTES;

/** Whether a write of `cost` fits the quota (etcd: size + cost < quota); a write that costs nothing always does. */
export function fitsQuota(sizeBytes: number, cost: number, quotaBytes: number): boolean {
  return cost === 0 || sizeBytes + cost < quotaBytes;
}
