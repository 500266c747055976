/**
 * What the API server admits, shared by its HTTP and gRPC front-ends, in Kubernetes' way:
 *
 * - **In flight** (kube-apiserver's `--max-requests-inflight`, `--max-mutating-requests-inflight`):
 *   at most so many read-only and so many mutating requests at once, server-wide. One more
 *   is refused at once with 429 TooManyRequests, "Too many requests, please try again
 *   later.", `Retry-After: 1` (gRPC: RESOURCE_EXHAUSTED). Long-running requests (watches,
 *   pod logs) are not counted, as in Kubernetes: they would hold a slot for hours.
 * - **Watches per client** (Balsa's `--max-watches-per-client`): open watches of one client.
 *   The client's other requests go on; another client's watches are its own.
 * - **Rate per client** (Balsa's `--max-requests-per-second-per-client`, off by default): a
 *   token bucket per client, `--max-request-burst-per-client` deep; an empty bucket is a 429
 *   whose Retry-After says when a token is back.
 *
 * A client is whoever `clientKey` names: the authenticated user (each front-end
 * authenticates a request before admitting it, as Kubernetes' filters do), else the remote
 * address — for anonymous requests, as on a server without authentication, where every
 * process of a machine is one client (which is why the rate limit is off by default). A
 * request whose credentials fail is answered 401 before it is admitted. Health checks
 * (`/healthz`, `/livez`, `/readyz`) are exempt from everything: a probe must get through to
 * a busy server.
 *
 * A refused request did nothing: it is refused before it is read further.
 */
import { ApiError } from './errors.js';
import { ANONYMOUS_USER } from './auth/user-info.js';

/** Kubernetes' message for a request refused by its in-flight limit. */
export const TOO_MANY_REQUESTS_MESSAGE = 'Too many requests, please try again later.';

/** kube-apiserver's defaults. */
export const DEFAULT_MAX_REQUESTS_INFLIGHT = 400;
export const DEFAULT_MAX_MUTATING_REQUESTS_INFLIGHT = 200;
/** Far above what a Balsa component opens (an informer per kind), low enough to bound one client. */
export const DEFAULT_MAX_WATCHES_PER_CLIENT = 1000;
/**
 * Open HTTP/1.1 connections (each watch holds one): room for every client's watches many
 * times over, well under the file descriptors a process gets.
 */
export const DEFAULT_API_MAX_CONNECTIONS = 4096;
/**
 * HTTP/2 streams per gRPC connection: above a client's watch limit, so that a client at its
 * limit, all on one connection, still has streams for its other calls (grpc-js queues calls
 * past the limit rather than sending them).
 */
export const DEFAULT_API_MAX_CONCURRENT_STREAMS = 2 * DEFAULT_MAX_WATCHES_PER_CLIENT + DEFAULT_MAX_REQUESTS_INFLIGHT;
/** Buckets of clients not heard from in this long are forgotten (a full bucket is the same as none). */
const IDLE_BUCKET_MS = 60_000;
/** Forgotten buckets are looked for at most this often. */
const BUCKET_SWEEP_INTERVAL_MS = 10_000;

/** How a request counts (see the module comment). */
export type RequestKind = 'readonly' | 'mutating' | 'watch' | 'long-running' | 'exempt';

/** Who sent a request: the authenticated user when there is one, else where it came from. */
export interface ClientIdentity {
  readonly user?: string;
  /** The peer's IP address as the socket reports it (`::ffff:127.0.0.1`, `127.0.0.1`, `::1`). */
  readonly remoteAddress: string;
}

export interface RequestLimitsOptions {
  /** Read-only requests in flight at once; 0: no limit. */
  readonly maxRequestsInflight: number;
  /** Mutating requests in flight at once; 0: no limit. */
  readonly maxMutatingRequestsInflight: number;
  /** Watches one client may have open; 0: no limit. */
  readonly maxWatchesPerClient: number;
  /** Requests per second one client may send, on average; 0: no limit. */
  readonly maxRequestsPerSecondPerClient: number;
  /** Requests one client may send at once after a quiet spell (the bucket's depth); at least 1 when the rate is on. */
  readonly maxRequestBurstPerClient: number;
}

export const DEFAULT_REQUEST_LIMITS: RequestLimitsOptions = {
  maxRequestsInflight: DEFAULT_MAX_REQUESTS_INFLIGHT,
  maxMutatingRequestsInflight: DEFAULT_MAX_MUTATING_REQUESTS_INFLIGHT,
  maxWatchesPerClient: DEFAULT_MAX_WATCHES_PER_CLIENT,
  maxRequestsPerSecondPerClient: 0,
  maxRequestBurstPerClient: 0,
};

/**
 * The name a client's limits are kept under: `user:NAME`, or `address:IP` for an anonymous
 * request (an IPv4-mapped IPv6 address as IPv4).
 */
export function clientKey(identity: ClientIdentity): string {
  if (identity.user !== undefined && identity.user !== '' && identity.user !== ANONYMOUS_USER) return `user:${identity.user}`;
  return `address:${identity.remoteAddress.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1')}`;
}

/** Frees what an admitted request holds; calling it again does nothing. */
export type Release = () => void;

interface Bucket {
  tokens: number;
  refilledAtMs: number;
}

/** Counts what is admitted; `admit` refuses past the limits. */
export class RequestLimits {
  private readonlyInflight = 0;
  private mutatingInflight = 0;
  private readonly watches = new Map<string, number>();
  private readonly buckets = new Map<string, Bucket>();
  private lastSweepMs = 0;
  private refusedCount = 0;

  constructor(
    private readonly options: RequestLimitsOptions = DEFAULT_REQUEST_LIMITS,
    private readonly nowMs: () => number = Date.now,
  ) {
    const problem = requestLimitsProblem(options);
    if (problem !== undefined) throw new Error(`request limits: ${problem}`);
  }

  /** Requests in flight now, not counting long-running ones (for tests and metrics). */
  get inflight(): { readonly readonly: number; readonly mutating: number } {
    return { readonly: this.readonlyInflight, mutating: this.mutatingInflight };
  }

  /** Requests refused so far (for tests and metrics). */
  get refused(): number {
    return this.refusedCount;
  }

  /**
   * Admits a request of `kind` from `client` (a `clientKey`), or throws ApiError
   * TooManyRequests (with `retryAfterSeconds`). The caller calls the release once the
   * request is over, however it ended. A `privileged` client (in `system:masters`: an
   * administrator, or a component over the loopback connection) always gets an answer, as
   * in kube-apiserver: no rate limit, and past the in-flight limit it goes through uncounted.
   */
  admit(client: string, kind: RequestKind, privileged = false): Release {
    if (kind === 'exempt') return () => {};
    if (!privileged) this.takeToken(client);
    switch (kind) {
      case 'readonly':
      case 'mutating':
        return this.admitInflight(kind, privileged);
      case 'watch':
        return this.admitWatch(client);
      case 'long-running':
        return () => {};
      default: {
        const never: never = kind;
        throw new Error(`request limits: unknown kind ${String(never)}`);
      }
    }
  }

  private admitInflight(kind: 'readonly' | 'mutating', privileged: boolean): Release {
    const mutating = kind === 'mutating';
    const limit = mutating ? this.options.maxMutatingRequestsInflight : this.options.maxRequestsInflight;
    const current = mutating ? this.mutatingInflight : this.readonlyInflight;
    if (limit > 0 && current >= limit) {
      if (privileged) return () => {};
      throw this.refuse(TOO_MANY_REQUESTS_MESSAGE, 1);
    }
    if (mutating) this.mutatingInflight++;
    else this.readonlyInflight++;
    return once(() => {
      if (mutating) this.mutatingInflight--;
      else this.readonlyInflight--;
    });
  }

  private admitWatch(client: string): Release {
    const open = this.watches.get(client) ?? 0;
    const limit = this.options.maxWatchesPerClient;
    if (limit > 0 && open >= limit) {
      throw this.refuse(`too many watches: this client has ${open} open, the most the server allows per client (--max-watches-per-client); end some before starting more`, 1);
    }
    this.watches.set(client, open + 1);
    return once(() => {
      const left = (this.watches.get(client) ?? 1) - 1;
      if (left === 0) this.watches.delete(client);
      else this.watches.set(client, left);
    });
  }

  /** Takes one of the client's tokens, or refuses with the seconds until one is back. */
  private takeToken(client: string): void {
    const rate = this.options.maxRequestsPerSecondPerClient;
    if (rate === 0) return;
    const now = this.nowMs();
    this.sweepBuckets(now);
    const burst = this.options.maxRequestBurstPerClient;
    const bucket = this.buckets.get(client) ?? { tokens: burst, refilledAtMs: now };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.refilledAtMs) / 1000) * rate);
    bucket.refilledAtMs = now;
    this.buckets.set(client, bucket);
    if (bucket.tokens < 1) throw this.refuse(TOO_MANY_REQUESTS_MESSAGE, Math.max(1, Math.ceil((1 - bucket.tokens) / rate)));
    bucket.tokens -= 1;
  }

  private sweepBuckets(now: number): void {
    if (now - this.lastSweepMs < BUCKET_SWEEP_INTERVAL_MS) return;
    this.lastSweepMs = now;
    for (const [client, bucket] of this.buckets) if (now - bucket.refilledAtMs > IDLE_BUCKET_MS) this.buckets.delete(client);
  }

  private refuse(message: string, retryAfterSeconds: number): ApiError {
    this.refusedCount++;
    return new ApiError('TooManyRequests', message, { retryAfterSeconds });
  }
}

/** Why `options` cannot be used (a flag's words), or undefined. */
export function requestLimitsProblem(options: RequestLimitsOptions): string | undefined {
  const counts: [keyof RequestLimitsOptions, string][] = [
    ['maxRequestsInflight', '--max-requests-inflight'],
    ['maxMutatingRequestsInflight', '--max-mutating-requests-inflight'],
    ['maxWatchesPerClient', '--max-watches-per-client'],
    ['maxRequestBurstPerClient', '--max-request-burst-per-client'],
  ];
  for (const [field, flag] of counts) {
    if (!Number.isSafeInteger(options[field]) || options[field] < 0) return `${flag} must be a whole number (0: no limit), got ${options[field]}`;
  }
  const rate = options.maxRequestsPerSecondPerClient;
  if (!Number.isFinite(rate) || rate < 0) return `--max-requests-per-second-per-client must be a number >= 0 (0: no limit), got ${rate}`;
  if (rate > 0 && options.maxRequestBurstPerClient < 1) return '--max-request-burst-per-client must be at least 1 when --max-requests-per-second-per-client is set';
  return undefined;
}

function once(release: () => void): Release {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    release();
  };
}

if (DEFAULT_API_MAX_CONCURRENT_STREAMS <= DEFAULT_MAX_WATCHES_PER_CLIENT) throw new Error('request limits: a client at its watch limit must have streams left');

/** Probes: never limited. */
const HEALTH_PATHS: ReadonlySet<string> = new Set(['/healthz', '/livez', '/readyz']);

/** How an HTTP request counts: by its method, `?watch`, and whether it is a pod's log. */
export function httpRequestKind(method: string, path: string, query: URLSearchParams): RequestKind {
  if (HEALTH_PATHS.has(path)) return 'exempt';
  const read = method === 'GET' || method === 'HEAD' || method === 'OPTIONS';
  if (!read) return 'mutating';
  const watch = query.get('watch');
  if (watch === '1' || watch === 'true') return 'watch';
  return /\/pods\/[^/]+\/log$/.test(path) ? 'long-running' : 'readonly';
}

/** How a call of the gRPC front-end (`proto/balsa/v1/api.proto`'s Objects) counts. */
export function grpcRequestKind(method: string): RequestKind {
  if (method === 'Watch') return 'watch';
  return method === 'Get' || method === 'List' ? 'readonly' : 'mutating';
}

/** Connections past the soft cap that are still answered (429) before Node drops further ones unanswered. */
export const CONNECTION_HEADROOM = 64;

/**
 * The HTTP server's open connections, past `max` of which a request is answered 429 and
 * its connection closed (rather than the connection dropped unanswered, as Node's
 * `maxConnections` does: that is kept as a backstop, `CONNECTION_HEADROOM` above).
 */
export class ConnectionCap {
  private open = 0;
  private readonly over = new WeakSet<object>();

  constructor(readonly max: number) {}

  /** Node's hard cap for a server with this soft one (0: none). */
  get hardMax(): number {
    return this.max === 0 ? Infinity : this.max + CONNECTION_HEADROOM;
  }

  /** Counts a new connection until it closes. */
  track(socket: { once(event: 'close', listener: () => void): unknown }): void {
    this.open++;
    socket.once('close', () => this.open--);
    if (this.max > 0 && this.open > this.max) this.over.add(socket);
  }

  /** The 429 for a request on a connection past the cap; undefined for one within it. */
  refusal(socket: object): ApiError | undefined {
    if (!this.over.has(socket)) return undefined;
    return new ApiError('TooManyRequests', `too many connections: the server has ${this.max} open, the most it allows (--api-max-connections)`, { retryAfterSeconds: 1 });
  }
}
