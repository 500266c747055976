/**
 * Every error the auth store and its checks raise, with etcd 3.4's exact texts and gRPC
 * statuses (its `rpctypes` errors), which clients match on. One class, a stable `code` per
 * kind: the kind decides the text and the status.
 *
 * The maintenance service (defragment, snapshot, hash) answers with etcd's *auth package*
 * texts under status UNKNOWN (`auth: permission denied`), as etcd 3.4 does there: it passes
 * the auth store's error on without turning it into its gRPC form. `asMaintenanceError`
 * gives that form.
 */
import { GrpcStatus } from '../grpc-status.js';
import type { GrpcStatusCode } from '../grpc-status.js';

const AUTH_ERRORS = {
  USER_EMPTY: { grpcCode: GrpcStatus.INVALID_ARGUMENT, text: 'user name is empty' },
  USER_ALREADY_EXISTS: { grpcCode: GrpcStatus.FAILED_PRECONDITION, text: 'user name already exists' },
  USER_NOT_FOUND: { grpcCode: GrpcStatus.FAILED_PRECONDITION, text: 'user name not found' },
  ROLE_EMPTY: { grpcCode: GrpcStatus.INVALID_ARGUMENT, text: 'role name is empty' },
  ROLE_ALREADY_EXISTS: { grpcCode: GrpcStatus.FAILED_PRECONDITION, text: 'role name already exists' },
  ROLE_NOT_FOUND: { grpcCode: GrpcStatus.FAILED_PRECONDITION, text: 'role name not found' },
  ROOT_USER_NOT_EXIST: { grpcCode: GrpcStatus.FAILED_PRECONDITION, text: 'root user does not exist' },
  ROOT_ROLE_NOT_EXIST: { grpcCode: GrpcStatus.FAILED_PRECONDITION, text: 'root user does not have root role' },
  AUTH_FAILED: { grpcCode: GrpcStatus.INVALID_ARGUMENT, text: 'authentication failed, invalid user ID or password' },
  PERMISSION_DENIED: { grpcCode: GrpcStatus.PERMISSION_DENIED, text: 'permission denied' },
  ROLE_NOT_GRANTED: { grpcCode: GrpcStatus.FAILED_PRECONDITION, text: 'role is not granted to the user' },
  PERMISSION_NOT_GRANTED: { grpcCode: GrpcStatus.FAILED_PRECONDITION, text: 'permission is not granted to the role' },
  AUTH_NOT_ENABLED: { grpcCode: GrpcStatus.FAILED_PRECONDITION, text: 'authentication is not enabled' },
  INVALID_AUTH_TOKEN: { grpcCode: GrpcStatus.UNAUTHENTICATED, text: 'invalid auth token' },
  /** Removing what auth needs while it is on: the root user, its root role, the root role. */
  INVALID_AUTH_MANAGEMENT: { grpcCode: GrpcStatus.INVALID_ARGUMENT, text: 'invalid auth management' },
} as const satisfies Record<string, { grpcCode: GrpcStatusCode; text: string }>;

export type AuthErrorCode = keyof typeof AUTH_ERRORS | 'NO_PASSWORD_USER';

/** An etcd auth error as a client sees it. Never retryable as it is: the caller must change something. */
export class AuthError extends Error {
  readonly retryable = false;
  readonly grpcCode: GrpcStatusCode;
  constructor(readonly code: AuthErrorCode) {
    // etcd 3.4 lets this one through untranslated, from its auth package.
    const known = code === 'NO_PASSWORD_USER' ? null : AUTH_ERRORS[code];
    super(known === null ? 'auth: authentication failed, password was given for no password user' : `etcdserver: ${known.text}`);
    this.grpcCode = known === null ? GrpcStatus.UNKNOWN : known.grpcCode;
    this.name = 'AuthError';
  }
}

/** What the maintenance service answers for an auth refusal: the auth package's text, status UNKNOWN (etcd 3.4). */
export function asMaintenanceError(error: AuthError): { readonly grpcCode: GrpcStatusCode; readonly message: string } {
  return { grpcCode: GrpcStatus.UNKNOWN, message: error.message.replace(/^etcdserver: /, 'auth: ') };
}
