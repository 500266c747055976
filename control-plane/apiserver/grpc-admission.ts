/**
 * The request limits (`request-limits.ts`) on the gRPC front-end: each handler of a service
 * implementation, wrapped so that a call is admitted before its handler runs, and refused
 * with the limits' ApiError (429 TooManyRequests: RESOURCE_EXHAUSTED, with its Status in
 * the trailing metadata) without running it otherwise. An admitted call holds its place
 * until it is over: a unary call until it is answered, a watch until its stream closes.
 */
import type * as grpc from '@grpc/grpc-js';
import { ApiError } from './errors.js';
import { clientKey, grpcRequestKind } from './request-limits.js';
import type { RequestLimits } from './request-limits.js';
import { MASTERS_GROUP } from './auth/user-info.js';
import type { UserInfo } from './auth/user-info.js';

type AnyCall = grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>;
type UnaryHandler = (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => void;
type StreamHandler = (call: grpc.ServerWritableStream<unknown, unknown>) => void;

/**
 * `implementation` with every handler behind `limits`; `toServiceError` turns a refusal into
 * the call's status; `userOf` says who makes the call, whose limits it counts against
 * (undefined: anonymous, counted against its address; null: its credentials were refused,
 * which the handler answers at once, as the HTTP front-end answers 401 before its limits).
 */
export function admitted(
  implementation: grpc.UntypedServiceImplementation,
  limits: RequestLimits,
  toServiceError: (error: ApiError) => Partial<grpc.StatusObject>,
  userOf: (call: AnyCall) => UserInfo | undefined | null = () => undefined,
): grpc.UntypedServiceImplementation {
  const wrapped: grpc.UntypedServiceImplementation = {};
  for (const [method, handler] of Object.entries(implementation)) {
    const kind = grpcRequestKind(method);
    const admit = (call: AnyCall): (() => void) => {
      const user = userOf(call);
      if (user === null) return () => {};
      const key = clientKey({ ...(user !== undefined ? { user: user.name } : {}), remoteAddress: peerAddress(call.getPeer()) });
      return limits.admit(key, kind, user?.groups.includes(MASTERS_GROUP) ?? false);
    };
    if (kind === 'watch') {
      wrapped[method] = (call: grpc.ServerWritableStream<unknown, unknown>) => {
        let release: () => void;
        try {
          release = admit(call);
        } catch (error) {
          call.emit('error', toServiceError(asApiError(error)));
          return;
        }
        call.once('close', release);
        call.once('cancelled', release);
        call.once('error', release);
        (handler as StreamHandler)(call);
      };
    } else {
      wrapped[method] = (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        let release: () => void;
        try {
          release = admit(call);
        } catch (error) {
          callback(toServiceError(asApiError(error)));
          return;
        }
        call.once('cancelled', release);
        (handler as UnaryHandler)(call, (error, value) => {
          release();
          callback(error, value);
        });
      };
    }
  }
  return wrapped;
}

/** The IP address in grpc-js's peer string (`127.0.0.1:5000`, `[::1]:5000`, `::1:5000`). */
export function peerAddress(peer: string): string {
  const separator = peer.lastIndexOf(':');
  const host = separator < 0 ? peer : peer.slice(0, separator);
  return host.replace(/^\[(.*)\]$/, '$1');
}

function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  throw error;
}
