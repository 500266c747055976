/**
 * Every error the lessor raises. Each has a stable `code`, says whether the same call may
 * succeed later, and names the gRPC status the server answers with. The messages of the
 * errors a client can see are etcd v3.4's own texts (its `rpctypes` errors), because
 * etcd clients recognise errors by them.
 */

import { GrpcStatus } from '../grpc-status.js';
import type { GrpcStatusCode } from '../grpc-status.js';

/** The gRPC statuses, under the name this package has always exported them by. */
export const GrpcCode = GrpcStatus;
export type GrpcCode = GrpcStatusCode;

export type LeaseErrorCode =
  | 'LEASE_NOT_FOUND'
  | 'LEASE_EXISTS'
  | 'LEASE_TTL_TOO_LARGE'
  | 'LEASE_INVALID_ID'
  | 'LEASE_NOT_PRIMARY'
  | 'LEASE_EXPIRED'
  | 'LEASE_SNAPSHOT_CORRUPT';

export abstract class LeaseError extends Error {
  abstract readonly code: LeaseErrorCode;
  /** True when the same call may succeed later without any change by the caller. */
  abstract readonly retryable: boolean;
  /** The gRPC status the server answers with. */
  abstract readonly grpcCode: GrpcCode;
}

/** No lease has this id (never granted, revoked, or expired and revoked). */
export class LeaseNotFoundError extends LeaseError {
  readonly code = 'LEASE_NOT_FOUND';
  readonly retryable = false;
  readonly grpcCode = GrpcCode.NOT_FOUND;
  constructor(readonly leaseId: bigint) {
    super('etcdserver: requested lease not found');
    this.name = 'LeaseNotFoundError';
  }
}

/** A grant named an id that is already in use. */
export class LeaseExistsError extends LeaseError {
  readonly code = 'LEASE_EXISTS';
  readonly retryable = false;
  readonly grpcCode = GrpcCode.FAILED_PRECONDITION;
  constructor(readonly leaseId: bigint) {
    super('etcdserver: lease already exists');
    this.name = 'LeaseExistsError';
  }
}

/** A grant asked for more than `MAX_LEASE_TTL_SECONDS`. */
export class LeaseTtlTooLargeError extends LeaseError {
  readonly code = 'LEASE_TTL_TOO_LARGE';
  readonly retryable = false;
  readonly grpcCode = GrpcCode.OUT_OF_RANGE;
  constructor(readonly ttlSeconds: number) {
    super('etcdserver: too large lease TTL');
    this.name = 'LeaseTtlTooLargeError';
  }
}

/**
 * A grant named a negative id or one beyond int64. etcd 3.4 has no such check (the server
 * only ever picks positive ids); Balsa refuses them, so the message is Balsa's own.
 */
export class LeaseInvalidIdError extends LeaseError {
  readonly code = 'LEASE_INVALID_ID';
  readonly retryable = false;
  readonly grpcCode = GrpcCode.INVALID_ARGUMENT;
  constructor(readonly leaseId: bigint) {
    super(`etcdserver: invalid lease id ${leaseId}: must be between 1 and 2^63-1`);
    this.name = 'LeaseInvalidIdError';
  }
}

/**
 * Only the primary lessor (the one on the Raft leader) renews leases and knows their
 * remaining TTL: forward the request to the leader and retry there. Never shown to
 * clients (etcd's internal `not a primary lessor`).
 */
export class LeaseNotPrimaryError extends LeaseError {
  readonly code = 'LEASE_NOT_PRIMARY';
  readonly retryable = true;
  readonly grpcCode = GrpcCode.UNAVAILABLE;
  constructor() {
    super('not a primary lessor');
    this.name = 'LeaseNotPrimaryError';
  }
}

/**
 * A renew of a lease that is past its deadline and waits for its revocation. etcd makes
 * such a renew wait: when the revoke applies it answers `LeaseNotFoundError`; if this
 * node loses leadership first, `LeaseNotPrimaryError` (forward). The server does that
 * waiting; the lessor only says which case it is.
 */
export class LeaseExpiredError extends LeaseError {
  readonly code = 'LEASE_EXPIRED';
  readonly retryable = true;
  readonly grpcCode = GrpcCode.NOT_FOUND;
  constructor(readonly leaseId: bigint) {
    super('etcdserver: requested lease not found');
    this.name = 'LeaseExpiredError';
  }
}

/** Bytes given to `decodeLessorSnapshot` are not a lessor snapshot (damaged or foreign). */
export class LeaseSnapshotCorruptError extends LeaseError {
  readonly code = 'LEASE_SNAPSHOT_CORRUPT';
  readonly retryable = false;
  readonly grpcCode = GrpcCode.FAILED_PRECONDITION;
  constructor(detail: string) {
    super(`lease snapshot corrupt: ${detail}`);
    this.name = 'LeaseSnapshotCorruptError';
  }
}

/** A broken invariant of the lessor: a bug, not an operating error. */
export class LeaseAssertionError extends Error {
  constructor(message: string) {
    super(`kv/lease invariant broken: ${message}`);
    this.name = 'LeaseAssertionError';
  }
}

export function assert(condition: boolean, message: string | (() => string)): asserts condition {
  if (!condition) throw new LeaseAssertionError(typeof message === 'string' ? message : message());
}
