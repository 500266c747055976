/**
 * What the store is asked and what it answers: etcd's KV requests and responses
 * (etcdserverpb RangeRequest, PutRequest, DeleteRangeRequest, TxnRequest, Compare and
 * their responses) as TypeScript shapes. Revisions, limits and counts are numbers (the
 * server converts the wire's int64s, refusing unsafe ones); lease ids are bigints.
 *
 * Every response carries `revision`: the store revision it was served at, which the
 * server puts in the response header (etcd fills it the same way inside a transaction,
 * where a response after a write already sees the transaction's revision).
 */
import type { KeyRange, KeyValue } from './types.js';

/** How a range sorts its result (etcd's RangeRequest.SortOrder). */
export type SortOrder = 'none' | 'ascend' | 'descend';

/** Which field a range sorts on (etcd's RangeRequest.SortTarget). */
export type SortTarget = 'key' | 'version' | 'create' | 'mod' | 'value';

/** Range options, as etcd's RangeRequest has them; absent means etcd's default. */
export interface RangeOptions {
  /** At most this many keys; 0 or less (default): no limit. */
  readonly limit?: number;
  /** Read as of this revision; 0 or less (default): the current revision. */
  readonly revision?: number;
  /** Default 'none' (key order); with a target other than 'key', 'none' means 'ascend'. */
  readonly sortOrder?: SortOrder;
  /** Default 'key'. */
  readonly sortTarget?: SortTarget;
  /** Return the keys with empty values. */
  readonly keysOnly?: boolean;
  /** Return only `count`, no keys. */
  readonly countOnly?: boolean;
  /** Filters on the returned keys, applied before the limit; 0 (default): no bound. */
  readonly minModRevision?: number;
  readonly maxModRevision?: number;
  readonly minCreateRevision?: number;
  readonly maxCreateRevision?: number;
}

export interface RangeResponse {
  readonly op: 'range';
  readonly revision: number;
  readonly kvs: readonly KeyValue[];
  /** More keys passed the filters than the limit let through. */
  readonly more: boolean;
  /**
   * Keys in the range at the read revision, as etcd counts them: before the limit and
   * before the min/max revision filters.
   */
  readonly count: number;
}

export interface PutRequest {
  readonly key: Uint8Array;
  /** Must be empty with `ignoreValue`. */
  readonly value: Uint8Array;
  /** 0n or absent: no lease. Must be 0n/absent with `ignoreLease`. */
  readonly lease?: bigint;
  /** Answer with the key as it was before. */
  readonly prevKv?: boolean;
  /** Keep the key's current value (the key must exist). */
  readonly ignoreValue?: boolean;
  /** Keep the key's current lease (the key must exist). */
  readonly ignoreLease?: boolean;
}

export interface PutResponse {
  readonly op: 'put';
  readonly revision: number;
  /** The key as it was, when asked for and it existed. */
  readonly prevKv: KeyValue | null;
}

export interface DeleteRangeRequest {
  readonly range: KeyRange;
  /** Answer with the deleted keys as they were. */
  readonly prevKv?: boolean;
}

export interface DeleteRangeResponse {
  readonly op: 'deleteRange';
  /** The new revision if anything was deleted (or written before, in a transaction); else the current one. */
  readonly revision: number;
  readonly deleted: number;
  /** The deleted keys as they were, when asked for; else empty. */
  readonly prevKvs: readonly KeyValue[];
}

/** How a compare relates the key's field (left) to the operand (right). */
export type CompareResult = 'equal' | 'greater' | 'less' | 'notEqual';

interface CompareBase {
  /** The key, or (with `end`) every key of the range: each must satisfy the compare. */
  readonly range: KeyRange;
  readonly result: CompareResult;
}

/**
 * One condition of a transaction (etcd's Compare), on the field `target` names. A key
 * that does not exist compares as version 0, create and mod revision 0, lease 0; but a
 * value compare on a missing key (or an empty range) is always false.
 */
export type Compare =
  | (CompareBase & { readonly target: 'version'; readonly version: number })
  | (CompareBase & { readonly target: 'create'; readonly createRevision: number })
  | (CompareBase & { readonly target: 'mod'; readonly modRevision: number })
  | (CompareBase & { readonly target: 'value'; readonly value: Uint8Array })
  | (CompareBase & { readonly target: 'lease'; readonly lease: bigint });

export type CompareTarget = Compare['target'];

export interface TxnRequest {
  /** All must hold for `success` to run; otherwise `failure` runs. */
  readonly compare: readonly Compare[];
  readonly success: readonly Op[];
  readonly failure: readonly Op[];
}

export interface TxnResponse {
  readonly op: 'txn';
  /** The transaction's revision if it wrote anything; else the current one. */
  readonly revision: number;
  readonly succeeded: boolean;
  /** One per operation of the branch that ran, in order. */
  readonly responses: readonly OpResponse[];
}

export interface RangeOp extends RangeOptions {
  readonly op: 'range';
  readonly range: KeyRange;
}

export interface PutOp extends PutRequest {
  readonly op: 'put';
}

export interface DeleteRangeOp extends DeleteRangeRequest {
  readonly op: 'deleteRange';
}

export interface TxnOp extends TxnRequest {
  readonly op: 'txn';
}

/** One operation of a transaction (etcd's RequestOp). */
export type Op = RangeOp | PutOp | DeleteRangeOp | TxnOp;

/** One operation's result (etcd's ResponseOp). */
export type OpResponse = RangeResponse | PutResponse | DeleteRangeResponse | TxnResponse;
