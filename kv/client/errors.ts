/**
 * The errors of the etcd client, each with a stable code. `retryable` says whether the same
 * request may succeed if tried again later (the cluster had no leader, a member was down).
 */
import { status } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';

export type EtcdClientErrorCode =
  | 'INVALID_ENDPOINT'
  /** TLS files given that cannot be read, or a certificate without its key. */
  | 'INVALID_TLS'
  | 'CLOSED'
  | 'UNAVAILABLE'
  | 'TIMEOUT'
  | 'COMPACTED'
  | 'WATCH_CANCELED'
  | 'REQUEST_REJECTED'
  | 'SERVER_ERROR';

export class EtcdClientError extends Error {
  override readonly name: string = 'EtcdClientError';

  constructor(
    readonly code: EtcdClientErrorCode,
    message: string,
    /** The gRPC status the server answered with, when it came from one. */
    readonly grpcCode?: status,
  ) {
    super(message);
  }

  get retryable(): boolean {
    return this.code === 'UNAVAILABLE' || this.code === 'TIMEOUT';
  }

  static fromGrpc(error: ServiceError): EtcdClientError {
    const message = error.details || error.message;
    switch (error.code) {
      case status.UNAVAILABLE:
        return new EtcdClientError('UNAVAILABLE', `etcd unavailable: ${message}`, error.code);
      case status.DEADLINE_EXCEEDED:
        return new EtcdClientError('TIMEOUT', `etcd request timed out: ${message}`, error.code);
      case status.OUT_OF_RANGE:
        return new EtcdClientError('COMPACTED', message, error.code);
      case status.INVALID_ARGUMENT:
      case status.FAILED_PRECONDITION:
      case status.RESOURCE_EXHAUSTED:
      case status.PERMISSION_DENIED:
      case status.UNAUTHENTICATED:
        return new EtcdClientError('REQUEST_REJECTED', message, error.code);
      default:
        return new EtcdClientError('SERVER_ERROR', message, error.code);
    }
  }
}

/** The revision asked for is older than the store's compaction point. */
export class EtcdCompactedError extends EtcdClientError {
  override readonly name = 'EtcdCompactedError';

  constructor(
    readonly requestedRevision: number,
    readonly compactRevision: number,
  ) {
    super('COMPACTED', `revision ${requestedRevision} has been compacted (compacted up to ${compactRevision})`);
  }
}
