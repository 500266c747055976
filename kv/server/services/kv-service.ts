/**
 * etcd's KV service: Range (linearizable through a ReadIndex barrier, or serializable from
 * the local state), and Put, DeleteRange, Txn and Compact proposed through Raft. Writes
 * that cost quota are checked against it first.
 */
import type * as grpc from '@grpc/grpc-js';
import { int64ToNumber } from '../etcd-proto.js';
import type { Int64Value, WireObject } from '../etcd-proto.js';
import { revisionAfter } from '../server-context.js';
import type { KvServerContext } from '../server-context.js';
import { deleteRangeOf, putOf, rangeOf, rangeOptionsOf, txnOf, wireOpResponse, wireRangeResponse } from '../wire.js';
import { putCost, txnCost } from '../quota.js';
import { requesterOf, unary } from './handlers.js';

export function kvService(context: KvServerContext): grpc.UntypedServiceImplementation {
  const header = (revision: number) => context.header(revision);
  return {
    Range: unary(
      context,
      async (r, call) => {
        const requester = requesterOf(context, call.metadata);
        if (r.serializable !== true) await context.linearizable();
        const range = rangeOf(r);
        context.machine.auth.checkAccess(requester.user, 'read', range.key, range.end);
        const response = context.machine.store.range(range, rangeOptionsOf(r));
        return wireRangeResponse(response, context.header(response.revision));
      },
      (r) => r.serializable === true,
    ),
    Put: unary(context, async (r, call) => {
      const requester = requesterOf(context, call.metadata);
      const request = putOf(r);
      await context.checkQuota(putCost(request));
      const result = await context.propose({ kind: 'put', request, requester });
      if (result.kind !== 'put') throw new Error(`a put answered ${result.kind}`);
      return wireOpResponse(result.response, header).responsePut as WireObject;
    }),
    DeleteRange: unary(context, async (r, call) => {
      const requester = requesterOf(context, call.metadata);
      const result = await context.propose({ kind: 'deleteRange', request: deleteRangeOf(r), requester });
      if (result.kind !== 'deleteRange') throw new Error(`a delete answered ${result.kind}`);
      return wireOpResponse(result.response, header).responseDeleteRange as WireObject;
    }),
    Txn: unary(context, async (r, call) => {
      const requester = requesterOf(context, call.metadata);
      const request = txnOf(r);
      await context.checkQuota(txnCost(request));
      const result = await context.propose({ kind: 'txn', request, requester });
      if (result.kind !== 'txn') throw new Error(`a txn answered ${result.kind}`);
      return wireOpResponse(result.response, header).responseTxn as WireObject;
    }),
    Compact: unary(context, async (r) => {
      const result = await context.propose({ kind: 'compact', revision: int64ToNumber((r.revision ?? 0) as Int64Value, 'revision') });
      return { header: context.header(revisionAfter(result)) };
    }),
  };
}
