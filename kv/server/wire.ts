/**
 * etcd's wire messages (as `etcd-proto.ts` decodes them: camelCase fields, int64s as
 * strings, bytes as Buffers, enums as names) to the store's request shapes, and the
 * store's answers back. Out-of-range int64s are refused here, at the edge.
 */
import type {
  Compare,
  CompareResult,
  DeleteRangeRequest,
  Op,
  OpResponse,
  PutRequest,
  RangeOptions,
  RangeResponse,
  SortOrder,
  SortTarget,
  TxnRequest,
} from '../mvcc/requests.js';
import type { KeyRange, KeyValue, KvEvent } from '../mvcc/types.js';
import { int64ToBigInt, int64ToNumber } from './etcd-proto.js';
import type { Int64Value, WireObject } from './etcd-proto.js';

const EMPTY = new Uint8Array(0);

function bytes(value: unknown): Uint8Array {
  return value instanceof Uint8Array ? value : EMPTY;
}

function num(value: unknown, field: string): number {
  return value === undefined || value === null ? 0 : int64ToNumber(value as Int64Value, field);
}

function big(value: unknown, field: string): bigint {
  return value === undefined || value === null ? 0n : int64ToBigInt(value as Int64Value, field);
}

export function rangeOf(message: WireObject): KeyRange {
  return { key: bytes(message.key), end: bytes(message.rangeEnd) };
}

const SORT_ORDERS: Record<string, SortOrder> = { NONE: 'none', ASCEND: 'ascend', DESCEND: 'descend' };
const SORT_TARGETS: Record<string, SortTarget> = { KEY: 'key', VERSION: 'version', CREATE: 'create', MOD: 'mod', VALUE: 'value' };

export function rangeOptionsOf(m: WireObject): RangeOptions {
  return {
    limit: num(m.limit, 'limit'),
    revision: num(m.revision, 'revision'),
    sortOrder: SORT_ORDERS[String(m.sortOrder)] ?? 'none',
    sortTarget: SORT_TARGETS[String(m.sortTarget)] ?? 'key',
    keysOnly: m.keysOnly === true,
    countOnly: m.countOnly === true,
    minModRevision: num(m.minModRevision, 'min_mod_revision'),
    maxModRevision: num(m.maxModRevision, 'max_mod_revision'),
    minCreateRevision: num(m.minCreateRevision, 'min_create_revision'),
    maxCreateRevision: num(m.maxCreateRevision, 'max_create_revision'),
  };
}

export function putOf(m: WireObject): PutRequest {
  return {
    key: bytes(m.key),
    value: bytes(m.value),
    lease: big(m.lease, 'lease'),
    prevKv: m.prevKv === true,
    ignoreValue: m.ignoreValue === true,
    ignoreLease: m.ignoreLease === true,
  };
}

export function deleteRangeOf(m: WireObject): DeleteRangeRequest {
  return { range: rangeOf(m), prevKv: m.prevKv === true };
}

const RESULTS: Record<string, CompareResult> = { EQUAL: 'equal', GREATER: 'greater', LESS: 'less', NOT_EQUAL: 'notEqual' };

function compareOf(m: WireObject): Compare {
  const base = { range: { key: bytes(m.key), end: bytes(m.rangeEnd) }, result: RESULTS[String(m.result)] ?? 'equal' };
  switch (String(m.target)) {
    case 'VERSION':
      return { ...base, target: 'version', version: num(m.version, 'version') };
    case 'CREATE':
      return { ...base, target: 'create', createRevision: num(m.createRevision, 'create_revision') };
    case 'MOD':
      return { ...base, target: 'mod', modRevision: num(m.modRevision, 'mod_revision') };
    case 'VALUE':
      return { ...base, target: 'value', value: bytes(m.value) };
    case 'LEASE':
      return { ...base, target: 'lease', lease: big(m.lease, 'lease') };
    default:
      throw new Error(`unknown compare target ${String(m.target)}`);
  }
}

function opOf(m: WireObject): Op {
  if (m.requestRange) return { op: 'range', range: rangeOf(m.requestRange as WireObject), ...rangeOptionsOf(m.requestRange as WireObject) };
  if (m.requestPut) return { op: 'put', ...putOf(m.requestPut as WireObject) };
  if (m.requestDeleteRange) return { op: 'deleteRange', ...deleteRangeOf(m.requestDeleteRange as WireObject) };
  if (m.requestTxn) return { op: 'txn', ...txnOf(m.requestTxn as WireObject) };
  throw new Error('a transaction operation with no request');
}

export function txnOf(m: WireObject): TxnRequest {
  const list = (value: unknown): WireObject[] => (Array.isArray(value) ? (value as WireObject[]) : []);
  return { compare: list(m.compare).map(compareOf), success: list(m.success).map(opOf), failure: list(m.failure).map(opOf) };
}

/** mvccpb.KeyValue on the wire. */
export function wireKeyValue(kv: KeyValue): WireObject {
  return {
    key: kv.key,
    createRevision: kv.createRevision,
    modRevision: kv.modRevision,
    version: kv.version,
    value: kv.value,
    lease: kv.lease.toString(),
  };
}

export function wireEvent(event: KvEvent): WireObject {
  return {
    type: event.type === 'put' ? 'PUT' : 'DELETE',
    kv: wireKeyValue(event.kv),
    ...(event.prevKv === null ? {} : { prevKv: wireKeyValue(event.prevKv) }),
  };
}

export function wireRangeResponse(response: RangeResponse, header: WireObject): WireObject {
  return { header, kvs: response.kvs.map(wireKeyValue), more: response.more, count: response.count };
}

/**
 * A transaction's per-operation answers (etcdserverpb.ResponseOp), headers included. Only
 * the outermost transaction's header is whole: the headers of the answers inside it carry
 * only the revision (a read's, a write's), and a nested transaction's header is empty, as
 * etcd leaves them.
 */
export function wireOpResponse(response: OpResponse, header: (revision: number) => WireObject, nested = false): WireObject {
  switch (response.op) {
    case 'range':
      return { responseRange: wireRangeResponse(response, header(response.revision)) };
    case 'put':
      return { responsePut: { header: header(response.revision), ...(response.prevKv ? { prevKv: wireKeyValue(response.prevKv) } : {}) } };
    case 'deleteRange':
      return {
        responseDeleteRange: { header: header(response.revision), deleted: response.deleted, prevKvs: response.prevKvs.map(wireKeyValue) },
      };
    case 'txn':
      return {
        responseTxn: {
          header: nested ? {} : header(response.revision),
          succeeded: response.succeeded,
          responses: response.responses.map((r) => wireOpResponse(r, (revision) => ({ revision }), true)),
        },
      };
    default: {
      const unexpected: never = response;
      throw new Error(`unknown op response ${JSON.stringify(unexpected)}`);
    }
  }
}
