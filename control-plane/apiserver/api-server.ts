/**
 * The API server: one registry over an etcd v3 endpoint list, served over HTTP+JSON and
 * gRPC. It creates the system namespaces (`default`, `kube-system`, `kube-public`) once the
 * store answers (and, under RBAC, the default roles, whose caches then load), and reports
 * ready (`/readyz`) from then on.
 *
 * Both front-ends authenticate and authorize every request through one `RequestGuard`.
 * The server makes a random loopback token for its own process's clients (the scheduler,
 * the controllers, the deployer in `balsa server`): user `system:apiserver` in
 * `system:masters`, as kube-apiserver's loopback client; it never leaves the process.
 */
import { Registry as MetricsRegistry } from 'prom-client';
import { randomBytes } from 'node:crypto';
import { EtcdClient } from '../../kv/client/etcd-client.js';
import type { EtcdClientTls } from '../../kv/client/etcd-client.js';
import { MemberStatusClient } from '../../kv/client/member-status.js';
import type { EtcdCredentials } from '../../kv/client/etcd-client.js';
import type { Logger } from '../../kv/logging/logger.js';
import { resourceByName } from '../api/resources.js';
import { ApiGrpcServer } from './grpc-server.js';
import { ApiHttpServer } from './http-server.js';
import { Registry } from './registry.js';
import { DEFAULT_API_MAX_CONCURRENT_STREAMS, DEFAULT_API_MAX_CONNECTIONS, DEFAULT_REQUEST_LIMITS, RequestLimits } from './request-limits.js';
import type { RequestLimitsOptions } from './request-limits.js';
import { ApiRequestMetrics } from './request-metrics.js';
import type { SecretEncryption } from './secret-encryption.js';
import { RequestGuard } from './auth/request-guard.js';
import type { AuthorizationMode } from './auth/request-guard.js';
import { LOOPBACK_USER, MASTERS_GROUP } from './auth/user-info.js';
import type { UserInfo } from './auth/user-info.js';
import type { ServingTls } from './serving-tls.js';

/** Kubernetes' secure port (plain HTTP unless TLS is configured). */
export const DEFAULT_API_HTTP_PORT = 6443;
export const DEFAULT_API_GRPC_PORT = 6444;
/** Between attempts to create the system namespaces while the store has no leader yet. */
const BOOTSTRAP_RETRY_MS = 500;

export interface ApiServerOptions {
  /** etcd v3 endpoints (`host:port`, `http://host:port` or `https://host:port`). */
  readonly kvEndpoints: readonly string[];
  /** The KV client's TLS (CA, client certificate and key; see `EtcdClient`). Default none. */
  readonly kvTls?: EtcdClientTls;
  /** The KV user the API server authenticates as (`--kv-user`), for a KV with auth on; absent: none. */
  readonly kvCredentials?: EtcdCredentials;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** 0 picks a free port. */
  readonly httpPort: number;
  readonly grpcPort: number;
  /** The KV folder of every object (default `/registry`). */
  readonly prefix?: string;
  /** How long Events live (default 1 h). */
  readonly eventTtlSeconds?: number;
  /** Changes each resource's watch cache keeps (default `WATCH_CACHE_CAPACITY`; 0: no cache, each watch is a KV watch). */
  readonly watchCacheSize?: number;
  /** How Secrets are stored (`--encryption-key-file`; default: plaintext). */
  readonly encryption?: SecretEncryption;
  /** Once bootstrapped, rewrite every Secret not under the first encryption key (`--rewrite-secrets`, a key rotation's second step). */
  readonly rewriteSecrets?: boolean;
  /** Requests in flight, watches and rate per client, on both front-ends (default `DEFAULT_REQUEST_LIMITS`). */
  readonly requestLimits?: RequestLimitsOptions;
  /** Open HTTP connections past which requests are answered 429 (default `DEFAULT_API_MAX_CONNECTIONS`; 0: none). */
  readonly maxConnections?: number;
  /** HTTP/2 streams per gRPC connection (default `DEFAULT_API_MAX_CONCURRENT_STREAMS`). */
  readonly maxConcurrentStreams?: number;
  /**
   * Where the request series go, served at `/metrics` on the HTTP port; `balsa server` passes
   * its process's registry, so that the KV member's and the control loops' series are there too.
   * Default: a registry of the API server's own.
   */
  readonly metricsRegistry?: MetricsRegistry;
  /** Requests are logged to it at debug level (default: not logged). */
  readonly logger?: Logger;
  /** Told about bootstrap attempts that failed (the store not answering yet) and the secrets rewrite. */
  readonly log?: (line: string) => void;
  /** Serve both front-ends over TLS, verifying client certificates against `clientCa` (default: plaintext). */
  readonly tls?: ServingTls;
  /** Bearer tokens (`--token-auth-file`): token → user. */
  readonly tokens?: ReadonlyMap<string, UserInfo>;
  /** `--authorization-mode` (default `AlwaysAllow`). */
  readonly authorizationMode?: AuthorizationMode;
}

/** How the server's own process reaches it as `system:apiserver` (in `system:masters`). */
export interface LoopbackCredentials {
  readonly token: string;
  /** The CA that verifies the server's certificate (the trusted CA), when the server serves TLS. */
  readonly ca?: Buffer;
}

export class ApiServer {
  private bootstrapped = false;
  private bootstrapTimer: NodeJS.Timeout | null = null;
  private stopped = false;

  private constructor(
    readonly registry: Registry,
    private readonly kv: EtcdClient,
    private readonly members: MemberStatusClient,
    readonly http: ApiHttpServer,
    readonly grpc: ApiGrpcServer,
    /** What both front-ends admit (`request-limits.ts`). */
    readonly limits: RequestLimits,
    private readonly log: (line: string) => void,
    private readonly rewriteSecrets: boolean,
    private readonly guard: RequestGuard,
    readonly loopback: LoopbackCredentials,
  ) {}

  static async start(options: ApiServerOptions): Promise<ApiServer> {
    const kv = new EtcdClient(options.kvEndpoints, {
      ...(options.kvTls !== undefined ? { tls: options.kvTls } : {}),
      ...(options.kvCredentials !== undefined ? { credentials: options.kvCredentials } : {}),
    });
    const registry = new Registry({
      kv,
      ...(options.prefix !== undefined ? { prefix: options.prefix } : {}),
      ...(options.eventTtlSeconds !== undefined ? { eventTtlSeconds: options.eventTtlSeconds } : {}),
      ...(options.watchCacheSize !== undefined ? { watchCacheSize: options.watchCacheSize } : {}),
      ...(options.encryption !== undefined ? { encryption: options.encryption } : {}),
    });
    const host = options.host ?? '127.0.0.1';
    const limits = new RequestLimits(options.requestLimits ?? DEFAULT_REQUEST_LIMITS);
    const members = new MemberStatusClient(options.kvEndpoints, options.kvTls);
    const loopbackToken = randomBytes(32).toString('base64url');
    const tokens = new Map(options.tokens ?? []);
    tokens.set(loopbackToken, { name: LOOPBACK_USER, groups: [MASTERS_GROUP] });
    const log = options.log ?? (() => {});
    const guard = new RequestGuard(registry, { tokens, authorizationMode: options.authorizationMode ?? 'AlwaysAllow', log });
    const loopback: LoopbackCredentials = { token: loopbackToken, ...(options.tls?.clientCa !== undefined ? { ca: options.tls.clientCa } : {}) };
    const tls = options.tls !== undefined ? { tls: options.tls } : {};
    let http: ApiHttpServer | undefined;
    // Assigned once both front-ends are up; a /readyz before then answers 503 (its check throws).
    let server!: ApiServer;
    try {
      http = await ApiHttpServer.start({
        registry,
        host,
        port: options.httpPort,
        ready: () => server.ready(),
        limits,
        maxConnections: options.maxConnections ?? DEFAULT_API_MAX_CONNECTIONS,
        dashboard: { clusterStatus: () => members.clusterStatus() },
        metrics: new ApiRequestMetrics(options.metricsRegistry ?? new MetricsRegistry()),
        ...(options.logger !== undefined ? { logger: options.logger } : {}),
        guard,
        ...tls,
      });
      const grpc = await ApiGrpcServer.start({ registry, host, port: options.grpcPort, limits, maxConcurrentStreams: options.maxConcurrentStreams ?? DEFAULT_API_MAX_CONCURRENT_STREAMS, guard, ...tls });
      server = new ApiServer(registry, kv, members, http, grpc, limits, log, options.rewriteSecrets === true, guard, loopback);
    } catch (error) {
      await http?.stop();
      kv.close();
      members.close();
      throw error;
    }
    server.bootstrap();
    return server;
  }

  /** Resolves once the system namespaces exist and the store answers a linearizable read. */
  async ready(): Promise<void> {
    if (!this.bootstrapped) throw new Error('the system namespaces are not created yet (is the KV reachable and does it have a leader?)');
    if (!this.guard.ready) throw new Error('the authorization caches are not loaded yet');
    await this.registry.get(resourceByName('namespaces')!, undefined, 'default');
  }

  /** Stops serving (every watch ends), frees both ports and closes the KV connections. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.bootstrapTimer !== null) clearTimeout(this.bootstrapTimer);
    await Promise.all([this.http.stop(), this.grpc.stop()]);
    this.guard.stop();
    this.registry.closeWatchCaches();
    this.kv.close();
    this.members.close();
  }

  private bootstrap(): void {
    if (this.stopped) return;
    this.registry
      .ensureSystemNamespaces()
      .then(() => this.guard.start())
      .then(
      () => {
        this.bootstrapped = true;
        // Warm every resource's watch cache, so that the first watchers are served from it (a failure is retried at the next watch).
        void this.registry.startWatchCaches();
        if (this.rewriteSecrets) {
          this.registry.rewriteSecrets().then(
            (count) => this.log(`api server: rewrote ${count} secret(s) with the first encryption key`),
            (error: unknown) => this.log(`api server: rewriting the secrets failed: ${(error as Error).message}`),
          );
        }
      },
      (error: unknown) => {
        if (this.stopped) return;
        this.log(`api server: creating the system namespaces failed, retrying: ${(error as Error).message}`);
        this.bootstrapTimer = setTimeout(() => this.bootstrap(), BOOTSTRAP_RETRY_MS);
      },
    );
  }
}
