/**
 * The limits a KV member puts on each client, besides `--max-request-bytes`:
 *
 * - `--max-concurrent-streams` (etcd 3.4's flag, same default: 2^32-1, no limit): the
 *   HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS the gRPC server announces on every client
 *   connection. A client opening more streams than that has the extra ones refused with
 *   RST_STREAM REFUSED_STREAM (RFC 9113 §5.1.2), which nothing on the server saw: grpc-js
 *   retries such a call once by itself, then fails it UNAVAILABLE "Stream refused by
 *   server"; HTTP/2 clients that read the setting (grpc-js and grpc-go do) queue calls past
 *   it instead of sending them.
 * - `--max-watchers-per-stream` (Balsa's; etcd has no such limit): the watchers one Watch
 *   stream may hold. One more is refused as etcd refuses a watch it cannot create, with a
 *   response that is `created` and `canceled` at once, watch id -1, and the reason
 *   `etcdserver: too many watchers on this stream`; the stream and its other watchers go on.
 *   Watch streams per connection are bounded by `--max-concurrent-streams`.
 */
import { DEFAULT_MAX_WATCHERS_PER_STREAM } from '../watch/index.js';

/** etcd's default `--max-concurrent-streams` (math.MaxUint32): HTTP/2's largest value, no limit. */
export const DEFAULT_MAX_CONCURRENT_STREAMS = 2 ** 32 - 1;

export { DEFAULT_MAX_WATCHERS_PER_STREAM };

/** What a member limits per client (defaults above). */
export interface KvClientLimits {
  /** HTTP/2 streams one client connection may have open at once. */
  readonly maxConcurrentStreams: number;
  /** Watchers one Watch stream may hold. */
  readonly maxWatchersPerStream: number;
}

export const DEFAULT_KV_CLIENT_LIMITS: KvClientLimits = {
  maxConcurrentStreams: DEFAULT_MAX_CONCURRENT_STREAMS,
  maxWatchersPerStream: DEFAULT_MAX_WATCHERS_PER_STREAM,
};

/**
 * Why `value` is not a usable limit (a whole number from 1 to `max`), or undefined when it
 * is. (etcd takes 0 streams, which no client could use; Balsa refuses it.)
 */
export function limitProblem(value: number, max: number): string | undefined {
  if (!Number.isSafeInteger(value) || value < 1 || value > max) return `must be a whole number from 1 to ${max}`;
  return undefined;
}

/** The gRPC server options that enforce `limits` (none for the defaults: Node's HTTP/2 server already announces 2^32-1). */
export function grpcServerLimitOptions(limits: KvClientLimits): Record<string, number> {
  return limits.maxConcurrentStreams === DEFAULT_MAX_CONCURRENT_STREAMS ? {} : { 'grpc.max_concurrent_streams': limits.maxConcurrentStreams };
}
