/**
 * Every error the MVCC store raises. Request errors carry etcd's exact message text
 * (etcd's `api/v3rpc/rpctypes` server-side errors) and the gRPC status code etcd answers
 * with, so the server turns them into statuses without a table of its own, and etcd
 * clients recognise them by text as they do etcd's. Each also has a stable `code` and
 * says whether the same call may succeed later.
 *
 * A broken invariant is a bug, not an operating error: `assert` throws
 * `MvccAssertionError`, which is none of the above and should crash the caller.
 */

import { GrpcStatus } from '../grpc-status.js';
import type { GrpcStatusCode } from '../grpc-status.js';

export { GrpcStatus };
export type { GrpcStatusCode };

/** The stable codes of `MvccError`s, one per class. */
export type MvccErrorCode =
  | 'COMPACTED'
  | 'FUTURE_REVISION'
  | 'EMPTY_KEY'
  | 'KEY_NOT_FOUND'
  | 'VALUE_PROVIDED'
  | 'LEASE_PROVIDED'
  | 'TOO_MANY_OPS'
  | 'DUPLICATE_KEY'
  | 'LEASE_NOT_FOUND'
  | 'SNAPSHOT_CORRUPT';

/** The base of every error the store raises on purpose. */
export abstract class MvccError extends Error {
  abstract readonly code: MvccErrorCode;
  /** The gRPC status etcd answers this error with. */
  abstract readonly grpcCode: GrpcStatusCode;
  /** True when the same call may succeed later without any change by the caller. */
  abstract readonly retryable: boolean;
}

/** The revision asked for is below the compaction point: its history is gone. */
export class CompactedError extends MvccError {
  readonly code = 'COMPACTED';
  readonly grpcCode = GrpcStatus.OUT_OF_RANGE;
  readonly retryable = false;
  /** The store's compaction point when the error was raised (what a watch reports). */
  constructor(readonly compactRevision: number) {
    super('etcdserver: mvcc: required revision has been compacted');
    this.name = 'CompactedError';
  }
}

/**
 * The revision asked for is above the store's current revision. Retryable: a lagging
 * member (a serializable read on a follower) may reach it.
 */
export class FutureRevisionError extends MvccError {
  readonly code = 'FUTURE_REVISION';
  readonly grpcCode = GrpcStatus.OUT_OF_RANGE;
  readonly retryable = true;
  constructor() {
    super('etcdserver: mvcc: required revision is a future revision');
    this.name = 'FutureRevisionError';
  }
}

/** A request (or a compare) names an empty key. */
export class EmptyKeyError extends MvccError {
  readonly code = 'EMPTY_KEY';
  readonly grpcCode = GrpcStatus.INVALID_ARGUMENT;
  readonly retryable = false;
  constructor() {
    super('etcdserver: key is not provided');
    this.name = 'EmptyKeyError';
  }
}

/**
 * A put with ignore_value or ignore_lease names a key that does not exist (there is
 * nothing to keep). etcd also answers an empty transaction operation with this error.
 */
export class KeyNotFoundError extends MvccError {
  readonly code = 'KEY_NOT_FOUND';
  readonly grpcCode = GrpcStatus.INVALID_ARGUMENT;
  readonly retryable = false;
  constructor() {
    super('etcdserver: key not found');
    this.name = 'KeyNotFoundError';
  }
}

/** A put with ignore_value also gives a value. */
export class ValueProvidedError extends MvccError {
  readonly code = 'VALUE_PROVIDED';
  readonly grpcCode = GrpcStatus.INVALID_ARGUMENT;
  readonly retryable = false;
  constructor() {
    super('etcdserver: value is provided');
    this.name = 'ValueProvidedError';
  }
}

/** A put with ignore_lease also gives a lease. */
export class LeaseProvidedError extends MvccError {
  readonly code = 'LEASE_PROVIDED';
  readonly grpcCode = GrpcStatus.INVALID_ARGUMENT;
  readonly retryable = false;
  constructor() {
    super('etcdserver: lease is provided');
    this.name = 'LeaseProvidedError';
  }
}

/** A transaction has more compares, or more operations in one branch, than allowed. */
export class TooManyOpsError extends MvccError {
  readonly code = 'TOO_MANY_OPS';
  readonly grpcCode = GrpcStatus.INVALID_ARGUMENT;
  readonly retryable = false;
  constructor() {
    super('etcdserver: too many operations in txn request');
    this.name = 'TooManyOpsError';
  }
}

/** A transaction branch writes one key twice (two puts, or a put inside a deleted range). */
export class DuplicateKeyError extends MvccError {
  readonly code = 'DUPLICATE_KEY';
  readonly grpcCode = GrpcStatus.INVALID_ARGUMENT;
  readonly retryable = false;
  constructor() {
    super('etcdserver: duplicate key given in txn request');
    this.name = 'DuplicateKeyError';
  }
}

/** A put attaches a lease that does not exist. */
export class LeaseNotFoundError extends MvccError {
  readonly code = 'LEASE_NOT_FOUND';
  readonly grpcCode = GrpcStatus.NOT_FOUND;
  readonly retryable = false;
  constructor(readonly lease: bigint) {
    super('etcdserver: requested lease not found');
    this.name = 'LeaseNotFoundError';
  }
}

/** Bytes given to `MvccStore.restore` are not a snapshot this code wrote. */
export class SnapshotCorruptError extends MvccError {
  readonly code = 'SNAPSHOT_CORRUPT';
  readonly grpcCode = GrpcStatus.DATA_LOSS;
  readonly retryable = false;
  constructor(detail: string) {
    super(`mvcc snapshot: ${detail}`);
    this.name = 'SnapshotCorruptError';
  }
}

/** An invariant of the store, or a precondition on its caller, does not hold: a bug. */
export class MvccAssertionError extends Error {
  constructor(message: string) {
    super(`mvcc assertion failed: ${message}`);
    this.name = 'MvccAssertionError';
  }
}

export function assert(condition: boolean, message: string | (() => string)): asserts condition {
  if (!condition) throw new MvccAssertionError(typeof message === 'string' ? message : message());
}
