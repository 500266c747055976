/**
 * The API server's errors: each is a Kubernetes `Status` (reason, message, HTTP code,
 * details naming the object and, for invalid objects, each field that broke a rule), and
 * maps to a gRPC status for the gRPC front-end. Messages are Kubernetes' own wording, so
 * that people and tools that know Kubernetes read them as they expect.
 */
import { status as grpcStatus } from '@grpc/grpc-js';
import type { ResourceInfo } from '../api/resources.js';
import { invalidStatus } from '../api/field-errors.js';
import type { FieldError } from '../api/field-errors.js';
import type { Status } from '../api/types.js';

export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Expired'
  | 'Invalid'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'UnsupportedMediaType'
  | 'RequestEntityTooLarge'
  | 'TooManyRequests'
  | 'Timeout'
  | 'ServiceUnavailable'
  | 'InternalError';

const HTTP_CODE: Record<StatusReason, number> = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  MethodNotAllowed: 405,
  NotAcceptable: 406,
  AlreadyExists: 409,
  Conflict: 409,
  Gone: 410,
  Expired: 410,
  RequestEntityTooLarge: 413,
  UnsupportedMediaType: 415,
  Invalid: 422,
  TooManyRequests: 429,
  InternalError: 500,
  ServiceUnavailable: 503,
  Timeout: 504,
};

const GRPC_CODE: Record<StatusReason, grpcStatus> = {
  BadRequest: grpcStatus.INVALID_ARGUMENT,
  Unauthorized: grpcStatus.UNAUTHENTICATED,
  Forbidden: grpcStatus.PERMISSION_DENIED,
  NotFound: grpcStatus.NOT_FOUND,
  MethodNotAllowed: grpcStatus.UNIMPLEMENTED,
  NotAcceptable: grpcStatus.INVALID_ARGUMENT,
  AlreadyExists: grpcStatus.ALREADY_EXISTS,
  Conflict: grpcStatus.ABORTED,
  Gone: grpcStatus.OUT_OF_RANGE,
  Expired: grpcStatus.OUT_OF_RANGE,
  RequestEntityTooLarge: grpcStatus.RESOURCE_EXHAUSTED,
  UnsupportedMediaType: grpcStatus.INVALID_ARGUMENT,
  Invalid: grpcStatus.INVALID_ARGUMENT,
  TooManyRequests: grpcStatus.RESOURCE_EXHAUSTED,
  InternalError: grpcStatus.INTERNAL,
  ServiceUnavailable: grpcStatus.UNAVAILABLE,
  Timeout: grpcStatus.DEADLINE_EXCEEDED,
};

/** `pods`, or `deployments.apps`: how Kubernetes names a resource in its messages. */
export function qualifiedResource(info: ResourceInfo): string {
  return info.group === '' ? info.plural : `${info.plural}.${info.group}`;
}

export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    readonly reason: StatusReason,
    message: string,
    readonly details: Status['details'] = undefined,
  ) {
    super(message);
  }

  get httpCode(): number {
    return HTTP_CODE[this.reason];
  }

  get grpcCode(): grpcStatus {
    return GRPC_CODE[this.reason];
  }

  /** Worth trying again unchanged (the store was unavailable or slow). */
  get retryable(): boolean {
    return this.reason === 'ServiceUnavailable' || this.reason === 'Timeout' || this.reason === 'TooManyRequests';
  }

  toStatus(): Status {
    const status: Status = {
      apiVersion: 'v1',
      kind: 'Status',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.httpCode,
    };
    if (this.details !== undefined) status.details = this.details;
    return status;
  }

  /** The error a `Status` describes (the gRPC client rebuilds errors from it). */
  static fromStatus(status: Status): ApiError {
    const reason = (status.reason in HTTP_CODE ? status.reason : 'InternalError') as StatusReason;
    return new ApiError(reason, status.message, status.details);
  }

  static notFound(info: ResourceInfo, name: string): ApiError {
    return new ApiError('NotFound', `${qualifiedResource(info)} "${name}" not found`, { name, group: info.group, kind: info.plural });
  }

  static alreadyExists(info: ResourceInfo, name: string): ApiError {
    return new ApiError('AlreadyExists', `${qualifiedResource(info)} "${name}" already exists`, { name, group: info.group, kind: info.plural });
  }

  static conflict(info: ResourceInfo, name: string, why: string): ApiError {
    return new ApiError('Conflict', `Operation cannot be fulfilled on ${qualifiedResource(info)} "${name}": ${why}`, {
      name,
      group: info.group,
      kind: info.plural,
    });
  }

  /** 422: the object broke the rules `errors` name (Kubernetes' message, a cause per field). */
  static invalid(info: ResourceInfo, name: string, errors: readonly FieldError[]): ApiError {
    return ApiError.fromStatus(invalidStatus(info.kind, info.group, name, errors));
  }

  static forbidden(info: ResourceInfo, name: string, why: string): ApiError {
    return new ApiError('Forbidden', `${qualifiedResource(info)} "${name}" is forbidden: ${why}`, { name, group: info.group, kind: info.plural });
  }

  static badRequest(message: string): ApiError {
    return new ApiError('BadRequest', message);
  }

  /** A resourceVersion (watch) or continue token (list) older than the store's compaction. */
  static expired(message: string): ApiError {
    return new ApiError('Expired', message);
  }

  static internal(message: string): ApiError {
    return new ApiError('InternalError', `Internal error occurred: ${message}`);
  }

  static unavailable(message: string): ApiError {
    return new ApiError('ServiceUnavailable', message, { retryAfterSeconds: 1 });
  }

  static timeout(message: string): ApiError {
    return new ApiError('Timeout', message, { retryAfterSeconds: 1 });
  }
}
