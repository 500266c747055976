/**
 * The API server's HTTP+JSON front-end, in Kubernetes' URL layout and object shapes (for
 * people, the balsa CLI and kubectl-style tools). Every error answer is a `Status` with the
 * HTTP code of its reason. A watch (`?watch=1`) is a chunked response of one JSON event per
 * line; it ends after `timeoutSeconds`, when the client goes, when the server stops, or with
 * an ERROR event (410 Expired for a compacted resourceVersion); with `allowWatchBookmarks`
 * it also carries BOOKMARK events. PATCH takes the three patch types (`patch-types.ts`);
 * `.../{name}/scale` is a Deployment's or ReplicaSet's Scale. A pod's log
 * (`pods/{name}/log`) is streamed from its node's agent (`pod-logs.ts`). `/ui` is the web
 * dashboard (`ui/`).
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import { invalidStatus } from '../api/field-errors.js';
import { apiVersionOf } from '../api/resources.js';
import type { Logger } from '../../kv/logging/logger.js';
import { answerMetrics } from '../../kv/server/metrics/metrics-endpoint.js';
import type { ApiObject } from '../api/types.js';
import type { ServedWatchEvent } from './watch-cache.js';
import { discoveryDocument } from './discovery.js';
import { ApiError } from './errors.js';
import { parseResourcePath } from './http-routes.js';
import { clientKey, ConnectionCap, httpRequestKind } from './request-limits.js';
import type { RequestLimits } from './request-limits.js';
import { checkJsonDepth, checkSelectorLength } from './json-depth.js';
import type { ResourceRoute } from './http-routes.js';
import { OPENAPI_V2_PATH, openApiDocument } from './openapi.js';
import { patchTypeOf } from './patch-types.js';
import { servePodLog } from './pod-logs.js';
import type { DeleteOptions, ListOptions, Registry, RegistryWatch, WriteOptions } from './registry.js';
import type { FilterOptions } from './object-filter.js';
import type { ApiRequestMetrics } from './request-metrics.js';
import { BINDING_SUCCESS, toApiError } from './registry.js';
import { isDashboardPath, serveDashboard } from './ui/dashboard-routes.js';
import type { DashboardBackend } from './ui/dashboard-routes.js';
import { listTable, objectTable, tableRequest } from './table-output.js';
import type { TableRequest } from './table-output.js';
import { httpVerb, requestNamespace } from './auth/request-attributes.js';
import type { ResourceAttributes } from './auth/request-attributes.js';
import { RequestGuard } from './auth/request-guard.js';
import type { UserInfo } from './auth/user-info.js';
import { MASTERS_GROUP } from './auth/user-info.js';
import { tlsServerOptions, tlsSocketCredentials } from './serving-tls.js';
import type { ServingTls } from './serving-tls.js';

/** The largest request body accepted (Kubernetes' limit). */
export const MAX_REQUEST_BODY_BYTES = 3 * 1024 * 1024;
/** An error answered before the body was read reads at most this much more of it before closing the connection instead. */
const MAX_DRAIN_BYTES = MAX_REQUEST_BODY_BYTES + 1024 * 1024;
/** ... and waits at most this long for it. */
const DRAIN_TIMEOUT_MS = 10_000;
/** A watch without `timeoutSeconds` ends after this long (clients watch again from where they were). */
export const DEFAULT_WATCH_TIMEOUT_SECONDS = 30 * 60;
/** A watch with `allowWatchBookmarks=true` gets a BOOKMARK this often (Kubernetes: about a minute), and one as its timeout ends it. */
export const WATCH_BOOKMARK_INTERVAL_MS = 60_000;
/** The version this server reports at `/version`: the Kubernetes API it follows. */
export const SERVED_KUBERNETES_VERSION = { major: '1', minor: '20', gitVersion: 'v1.20.0-balsa' };

export interface ApiHttpServerOptions {
  readonly registry: Registry;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Answers `/readyz`: resolves when the server can serve (its store answers). */
  readonly ready?: () => Promise<void>;
  /** Requests in flight, watches and rate per client (`request-limits.ts`; shared with the gRPC front-end). Default: none. */
  readonly limits?: RequestLimits;
  /** Open connections past which requests are answered 429 (0: no limit). Default 0. */
  readonly maxConnections?: number;
  /** What the dashboard (`/ui`) shows beyond the API: the KV's Raft members. */
  readonly dashboard?: DashboardBackend;
  /** Counts every request, and its registry is served at `/metrics` (absent: no `/metrics`). */
  readonly metrics?: ApiRequestMetrics;
  /** Each request is logged at debug level, once answered (Kubernetes' httplog). */
  readonly logger?: Logger;
  /** Authentication and authorization (default: every request allowed, bad tokens refused). */
  readonly guard?: RequestGuard;
  /** Serve HTTPS (default: plain HTTP); with a client CA, agents' logs are read over HTTPS with this identity too. */
  readonly tls?: ServingTls;
}

export class ApiHttpServer {
  private readonly watches = new Set<{ watch: RegistryWatch | null; response: http.ServerResponse }>();
  private stopping = false;
  private readonly connections: ConnectionCap;

  private readonly guard: RequestGuard;

  private constructor(
    private readonly server: http.Server,
    private readonly options: ApiHttpServerOptions,
  ) {
    this.connections = new ConnectionCap(options.maxConnections ?? 0);
    this.guard = options.guard ?? new RequestGuard(options.registry);
  }

  static async start(options: ApiHttpServerOptions): Promise<ApiHttpServer> {
    const server = options.tls === undefined ? http.createServer() : https.createServer(tlsServerOptions(options.tls));
    const front = new ApiHttpServer(server, options);
    server.maxConnections = front.connections.hardMax;
    server.on('connection', (socket: Duplex) => front.connections.track(socket));
    server.on('request', (request: http.IncomingMessage, response: http.ServerResponse) => {
      options.metrics?.track(request, response);
      if (options.logger?.isLevelEnabled('debug') === true) logRequest(options.logger, request, response);
      front.handle(request, response).catch((error: unknown) => front.fail(request, response, toApiError(error)));
    });
    server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => answerClientError(error, socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    return front;
  }

  /** `http://host:port`, or `https://` when serving TLS. */
  get url(): string {
    const address = this.server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `${this.options.tls === undefined ? 'http' : 'https'}://${host}:${address.port}`;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Ends every watch, closes every connection and frees the port. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const entry of this.watches) {
      entry.watch?.cancel();
      entry.response.end();
    }
    this.watches.clear();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const url = requestUrl(request.url ?? '/');
    const method = request.method ?? 'GET';
    const path = url.pathname;
    const kind = httpRequestKind(method, path, url.searchParams);
    if (kind !== 'exempt') this.refuseOverCap(request, response);
    // Who asks, before the limits (a bad credential is 401 first): they count per user.
    const user = this.guard.authenticate({ ...tlsSocketCredentials(request.socket as TLSSocket), ...(request.headers.authorization !== undefined ? { authorization: request.headers.authorization } : {}) });
    if (kind !== 'exempt') this.admit(request, response, kind, user);
    const route = parseResourcePath(path);
    const resource = route === null ? undefined : resourceAttributes(route, url.searchParams);
    const verb = route === null ? method.toLowerCase() : (httpVerb(method, route.name !== undefined, isTrue(url.searchParams.get('watch'))) ?? method.toLowerCase());
    await this.guard.authorize({ user, verb, ...(resource !== undefined ? { resource } : { path }) });
    if (path === '/healthz' || path === '/livez') return this.text(response, 200, 'ok');
    if (path === '/readyz') {
      try {
        await this.options.ready?.();
        return this.text(response, 200, 'ok');
      } catch (error) {
        return this.text(response, 503, `not ready: ${(error as Error).message}`);
      }
    }
    if (isDashboardPath(path)) return serveDashboard(url, method, response, this.options.dashboard);
    const metrics = this.options.metrics;
    if (path === '/metrics' && metrics !== undefined && (method === 'GET' || method === 'HEAD')) return answerMetrics(metrics.registry, request, response);
    if (path === '/version') return this.json(response, 200, { ...SERVED_KUBERNETES_VERSION, platform: `${process.platform}/${process.arch}` });
    if (path === OPENAPI_V2_PATH) {
      if (method !== 'GET') throw new ApiError('MethodNotAllowed', `the server does not allow this method on the requested resource (${method} ${path})`);
      const document = openApiDocument(request.headers.accept, SERVED_KUBERNETES_VERSION.gitVersion);
      response.writeHead(200, { 'Content-Type': document.contentType, 'Content-Length': document.body.length });
      response.end(document.body);
      return;
    }
    const discovery = discoveryDocument(path);
    if (discovery !== undefined) {
      if (method !== 'GET') throw new ApiError('MethodNotAllowed', `the server does not allow this method on the requested resource (${method} ${path})`);
      return this.json(response, 200, discovery);
    }
    if (route === null) throw new ApiError('NotFound', `the server could not find the requested resource (${method} ${path})`);
    await this.handleResource(route, method, url.searchParams, request, response, user);
  }

  /** A request on a connection past the cap is refused 429, and the connection then closes. */
  private refuseOverCap(request: http.IncomingMessage, response: http.ServerResponse): void {
    const overCap = this.connections.refusal(request.socket);
    if (overCap !== undefined) {
      response.shouldKeepAlive = false;
      throw overCap;
    }
  }

  /**
   * The limits' hook (`request-limits.ts`): throws 429 for a request past them; an admitted
   * request holds its place until its response is over.
   */
  private admit(request: http.IncomingMessage, response: http.ServerResponse, kind: Exclude<ReturnType<typeof httpRequestKind>, 'exempt'>, user: UserInfo): void {
    const release = this.options.limits?.admit(clientKey({ user: user.name, remoteAddress: request.socket.remoteAddress ?? '' }), kind, user.groups.includes(MASTERS_GROUP));
    if (release !== undefined) response.once('close', release);
  }

  private async handleResource(
    route: ResourceRoute,
    method: string,
    query: URLSearchParams,
    request: http.IncomingMessage,
    response: http.ServerResponse,
    user: UserInfo,
  ): Promise<void> {
    const { info, namespace, name, subresource } = route;
    const registry = this.options.registry;
    if (subresource === 'binding' && info.kind === 'Pod' && name !== undefined && namespace !== undefined) {
      if (method !== 'POST') throw new ApiError('MethodNotAllowed', `the server does not allow this method on the requested resource (${method} pods/binding)`);
      await registry.bind(namespace, name, await readJson(request));
      return this.json(response, 201, BINDING_SUCCESS);
    }
    if (subresource === 'log' && info.kind === 'Pod' && name !== undefined && namespace !== undefined) {
      if (method !== 'GET') throw new ApiError('MethodNotAllowed', `the server does not allow this method on the requested resource (${method} pods/log)`);
      const tls = this.options.tls;
      const agentTls = tls?.clientCa !== undefined ? { cert: tls.cert, key: tls.key, ca: tls.clientCa } : undefined;
      return servePodLog(registry, namespace, name, query, response, agentTls);
    }
    if (subresource === 'scale' && name !== undefined && namespace !== undefined) {
      switch (method) {
        case 'GET':
          return this.json(response, 200, await registry.getScale(info, namespace, name));
        case 'PUT':
          return this.json(response, 200, await registry.updateScale(info, namespace, name, await readJson(request), writeOptions(query, 'UpdateOptions')));
        case 'PATCH': {
          const type = patchTypeOf(request.headers['content-type']);
          return this.json(response, 200, await registry.patchScale(info, namespace, name, await readJson(request), type, writeOptions(query, 'PatchOptions')));
        }
        default:
          throw new ApiError('MethodNotAllowed', `the server does not allow this method on the requested resource (${method} ${info.plural}/scale)`);
      }
    }
    if (subresource !== undefined && subresource !== 'status') {
      throw new ApiError('NotFound', `the server could not find the requested resource (${info.plural}/${subresource})`);
    }
    const status = subresource === 'status' ? 'status' : undefined;
    const asTable = method === 'GET' ? tableRequest(request.headers.accept, query) : null;
    if (name === undefined) {
      switch (method) {
        case 'GET': {
          if (isTrue(query.get('watch'))) return this.watch(route, query, response, asTable);
          const list = await registry.list(info, namespace, listOptions(query));
          return this.json(response, 200, asTable === null ? list : listTable(info, list, asTable, new Date()));
        }
        case 'POST':
          if (info.namespaced && namespace === undefined) throw new ApiError('MethodNotAllowed', `a ${info.kind} is created in a namespace: POST to .../namespaces/{namespace}/${info.plural}`);
        {
          const body = await readJson(request);
          this.guard.checkCreate(user, resourceAttributes(route, query), body);
          return this.json(response, 201, await registry.create(info, namespace, body, writeOptions(query, 'CreateOptions')));
        }
        case 'DELETE': {
          const options = deleteOptions(query, await readJson(request, true));
          const list = await registry.list(info, namespace, listOptions(query));
          const deleted: ApiObject[] = [];
          for (const item of list.items) {
            try {
              deleted.push(await registry.delete(info, item.metadata.namespace, item.metadata.name!, options));
            } catch (error) {
              if (!(error instanceof ApiError && error.reason === 'NotFound')) throw error;
            }
          }
          return this.json(response, 200, { ...list, items: deleted });
        }
        default:
          throw new ApiError('MethodNotAllowed', `the server does not allow this method on the requested resource (${method} ${info.plural})`);
      }
    }
    if (info.namespaced && namespace === undefined) throw new ApiError('NotFound', `the server could not find the requested resource (${info.plural} is namespaced: use .../namespaces/{namespace}/${info.plural}/${name})`);
    switch (method) {
      case 'GET': {
        if (isTrue(query.get('watch'))) return this.watch(route, query, response, asTable);
        const object = await registry.get(info, namespace, name);
        return this.json(response, 200, asTable === null ? object : objectTable(info, object, asTable, new Date()));
      }
      case 'PUT':
        return this.json(response, 200, await registry.update(info, namespace, name, await readJson(request), status, writeOptions(query, 'UpdateOptions')));
      case 'PATCH': {
        const type = patchTypeOf(request.headers['content-type']);
        return this.json(response, 200, await registry.patch(info, namespace, name, await readJson(request), status, type, writeOptions(query, 'PatchOptions')));
      }
      case 'DELETE':
        if (status !== undefined) throw new ApiError('MethodNotAllowed', 'the status subresource cannot be deleted');
        return this.json(response, 200, await registry.delete(info, namespace, name, deleteOptions(query, await readJson(request, true))));
      default:
        throw new ApiError('MethodNotAllowed', `the server does not allow this method on the requested resource (${method} ${info.plural}/${name})`);
    }
  }

  /** A watch; with `asTable`, each event's object is a one-row Table. */
  private watch(route: ResourceRoute, query: URLSearchParams, response: http.ServerResponse, asTable: TableRequest | null): void {
    const timeoutSeconds = query.has('timeoutSeconds') ? nonNegativeInteger(query.get('timeoutSeconds')!, 'timeoutSeconds') : DEFAULT_WATCH_TIMEOUT_SECONDS;
    const bookmarks = isTrue(query.get('allowWatchBookmarks'));
    const entry: { watch: RegistryWatch | null; response: http.ServerResponse } = { watch: null, response };
    let timer: NodeJS.Timeout | null = null;
    let bookmarkTimer: NodeJS.Timeout | null = null;
    const bookmark = (): void => {
      const revision = entry.watch?.progressRevision() ?? 0;
      if (revision > 0 && !response.writableEnded) response.write(`${JSON.stringify(bookmarkEvent(route, revision))}\n`);
    };
    const finish = (): void => {
      if (timer !== null) clearTimeout(timer);
      if (bookmarkTimer !== null) clearInterval(bookmarkTimer);
      entry.watch?.cancel();
      this.watches.delete(entry);
      if (!response.writableEnded) response.end();
    };
    const send = (event: ServedWatchEvent): void => {
      if (response.writableEnded) return;
      const object = asTable === null || event.type === 'BOOKMARK' ? event.json() : JSON.stringify(objectTable(route.info, event.object, asTable, new Date()));
      response.write(`{"type":"${event.type}","object":${object}}\n`);
    };
    // Throws before anything is written when the options are bad: the client gets a plain 400.
    entry.watch = this.options.registry.watch(
      route.info,
      route.namespace,
      { ...watchFilter(query), resourceVersion: query.get('resourceVersion') ?? undefined, ...(route.name !== undefined ? { name: route.name } : {}) },
      send,
      (error) => {
        const status = JSON.stringify(error.toStatus());
        if (!response.writableEnded) response.write(`{"type":"ERROR","object":${status}}\n`);
        finish();
      },
    );
    if (this.stopping) return finish();
    this.watches.add(entry);
    response.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
    response.flushHeaders();
    response.on('close', finish);
    if (bookmarks) bookmarkTimer = setInterval(bookmark, WATCH_BOOKMARK_INTERVAL_MS);
    // A client that asked for bookmarks learns, as the watch ends, where to watch again from.
    const expire = (): void => {
      if (bookmarks) bookmark();
      finish();
    };
    if (timeoutSeconds > 0) timer = setTimeout(expire, timeoutSeconds * 1000);
  }

  private json(response: http.ServerResponse, code: number, body: unknown, headers: http.OutgoingHttpHeaders = {}): void {
    const text = JSON.stringify(body);
    response.writeHead(code, { ...headers, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    response.end(text);
  }

  private text(response: http.ServerResponse, code: number, body: string): void {
    response.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
    response.end(body);
  }

  /**
   * Answers an error. A body the handler did not read is read (and dropped) first, up to
   * `MAX_DRAIN_BYTES`: a client still uploading when the connection closed would get a
   * reset instead of the answer. Past that, the answer goes out and the connection closes.
   */
  private async fail(request: http.IncomingMessage, response: http.ServerResponse, error: ApiError): Promise<void> {
    if (response.headersSent) {
      response.destroy();
      return;
    }
    if (!(await drainBody(request))) response.shouldKeepAlive = false;
    if (response.headersSent || response.destroyed) return;
    // Kubernetes sends a Status's retryAfterSeconds as Retry-After too (429, 503, 504).
    const retryAfter = error.details?.retryAfterSeconds;
    this.json(response, error.httpCode, error.toStatus(), retryAfter === undefined ? {} : { 'Retry-After': String(retryAfter) });
  }
}

function logRequest(logger: Logger, request: http.IncomingMessage, response: http.ServerResponse): void {
  const started = performance.now();
  response.once('finish', () => {
    const latencyMs = Math.round((performance.now() - started) * 1000) / 1000;
    logger.debug({ verb: request.method, uri: request.url, code: response.statusCode, latencyMs, userAgent: request.headers['user-agent'] ?? '' }, 'request');
  });
}

/**
 * Answers a request Node's HTTP parser refused (a malformed request line, an unknown
 * method, headers past Node's limit) with a Status, as every other error is answered, and
 * closes the connection: nothing after a malformed request can be framed.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  // Node's own rule: no answer once a response on this connection has begun (its bytes would follow that one's).
  const inFlight = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent === true) {
    socket.destroy();
    return;
  }
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const code = tooLarge ? 431 : 400;
  const status = {
    apiVersion: 'v1',
    kind: 'Status',
    metadata: {},
    status: 'Failure',
    message: tooLarge ? 'the request line and headers are larger than the server accepts' : `the request is not valid HTTP/1.1 (${error.code ?? 'parse error'})`,
    reason: tooLarge ? 'RequestEntityTooLarge' : 'BadRequest',
    code,
  };
  // A HEAD answer has no body (the client would read one as the next response).
  const head = (error as { rawPacket?: Buffer }).rawPacket?.subarray(0, 5).toString('latin1') === 'HEAD ';
  const body = head ? '' : JSON.stringify(status);
  socket.end(
    `HTTP/1.1 ${code} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\nContent-Type: application/json\r\nContent-Length: ${head ? Buffer.byteLength(JSON.stringify(status)) : Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * A BOOKMARK event, in Kubernetes' form: an object of the watched kind carrying only the
 * resourceVersion the watch has caught up with (a client that watches again from it misses
 * nothing and replays nothing).
 */
function bookmarkEvent(route: ResourceRoute, revision: number): { type: 'BOOKMARK'; object: { apiVersion: string; kind: string; metadata: { resourceVersion: string } } } {
  return { type: 'BOOKMARK', object: { apiVersion: apiVersionOf(route.info), kind: route.info.kind, metadata: { resourceVersion: String(revision) } } };
}

/** The request's URL; a path that starts `//` stays a path (not a host). 400 when it does not parse. */
function requestUrl(target: string): URL {
  try {
    return target.startsWith('/') ? new URL(`http://localhost${target}`) : new URL(target, 'http://localhost');
  } catch {
    throw ApiError.badRequest(`the request URL does not parse: ${target.slice(0, 200)}`);
  }
}

/** What authorization reads of a resource request. */
function resourceAttributes(route: ResourceRoute, query: URLSearchParams): ResourceAttributes {
  const fieldSelector = query.get('fieldSelector');
  const namespace = requestNamespace(route.info, route.namespace, route.name);
  return {
    info: route.info,
    ...(route.subresource !== undefined ? { subresource: route.subresource } : {}),
    ...(namespace !== undefined ? { namespace } : {}),
    ...(route.name !== undefined ? { name: route.name } : {}),
    ...(fieldSelector !== null ? { fieldSelector } : {}),
  };
}

function isTrue(value: string | null): boolean {
  return value === '1' || value === 'true';
}

function nonNegativeInteger(value: string, name: string): number {
  if (!/^\d+$/.test(value)) throw ApiError.badRequest(`${name} must be a non-negative integer, got "${value}"`);
  return Number(value);
}

function listOptions(query: URLSearchParams): ListOptions {
  const options: { -readonly [K in keyof ListOptions]: ListOptions[K] } = {};
  const version = query.get('resourceVersion');
  const match = query.get('resourceVersionMatch');
  if (version !== null) options.resourceVersion = version;
  if (match !== null) options.resourceVersionMatch = match;
  const label = query.get('labelSelector');
  const field = query.get('fieldSelector');
  const limit = query.get('limit');
  const token = query.get('continue');
  if (label !== null) options.labelSelector = checkSelectorLength(label, 'labelSelector');
  if (field !== null) options.fieldSelector = checkSelectorLength(field, 'fieldSelector');
  if (limit !== null && limit !== '') options.limit = nonNegativeInteger(limit, 'limit');
  if (token !== null) options.continue = token;
  return options;
}

/**
 * `?dryRun=All` (the only value Kubernetes defines; repeated or absent is fine): validate,
 * answer, store nothing. Any other value is 422, as Kubernetes answers bad write options.
 */
function writeOptions(query: URLSearchParams, kind: 'CreateOptions' | 'UpdateOptions' | 'PatchOptions' | 'DeleteOptions', fromBody?: unknown): WriteOptions {
  const values = fromBody !== undefined ? fromBody : query.getAll('dryRun');
  if (!Array.isArray(values) || values.some((value) => value !== 'All')) {
    throw ApiError.fromStatus(invalidStatus(kind, 'meta.k8s.io', '', [{ field: 'dryRun', type: 'NotSupported', value: values, detail: 'supported values: "All"' }]));
  }
  return values.length > 0 ? { dryRun: true } : {};
}

/** What a watch takes of the list options: its selectors (a watch starts from `resourceVersion` its own way). */
function watchFilter(query: URLSearchParams): FilterOptions {
  const { labelSelector, fieldSelector } = listOptions(query);
  return { ...(labelSelector !== undefined ? { labelSelector } : {}), ...(fieldSelector !== undefined ? { fieldSelector } : {}) };
}

function deleteOptions(query: URLSearchParams, body: unknown): DeleteOptions {
  const source = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const options: { gracePeriodSeconds?: number; propagationPolicy?: DeleteOptions['propagationPolicy']; preconditions?: DeleteOptions['preconditions']; dryRun?: boolean } = {
    ...writeOptions(query, 'DeleteOptions', source.dryRun ?? undefined),
  };
  const grace = source.gracePeriodSeconds ?? query.get('gracePeriodSeconds') ?? undefined;
  if (grace !== undefined && grace !== null) {
    const value = typeof grace === 'number' ? grace : Number(grace);
    if (!Number.isInteger(value) || value < 0) throw ApiError.badRequest(`gracePeriodSeconds must be a non-negative integer, got ${JSON.stringify(grace)}`);
    options.gracePeriodSeconds = value;
  }
  const policy = source.propagationPolicy ?? query.get('propagationPolicy') ?? undefined;
  if (policy !== undefined && policy !== null) {
    if (policy !== 'Orphan' && policy !== 'Background' && policy !== 'Foreground') {
      throw ApiError.badRequest(`propagationPolicy must be Orphan, Background or Foreground, got ${JSON.stringify(policy)}`);
    }
    options.propagationPolicy = policy;
  }
  if (source.orphanDependents === true && options.propagationPolicy === undefined) options.propagationPolicy = 'Orphan';
  const preconditions = source.preconditions as { uid?: unknown; resourceVersion?: unknown } | undefined;
  if (preconditions !== undefined && preconditions !== null) {
    options.preconditions = {
      ...(typeof preconditions.uid === 'string' ? { uid: preconditions.uid } : {}),
      ...(typeof preconditions.resourceVersion === 'string' ? { resourceVersion: preconditions.resourceVersion } : {}),
    };
  }
  return options;
}

/**
 * Reads the rest of a request's body and drops it, up to `MAX_DRAIN_BYTES` and
 * `DRAIN_TIMEOUT_MS`. True when the body ended (the connection can carry the answer and more).
 */
function drainBody(request: http.IncomingMessage): Promise<boolean> {
  if (request.complete) return Promise.resolve(true);
  if (request.destroyed) return Promise.resolve(false);
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > MAX_DRAIN_BYTES) return Promise.resolve(false);
  return new Promise((resolve) => {
    let seen = 0;
    const done = (ended: boolean): void => {
      clearTimeout(timer);
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('close', onClose);
      resolve(ended);
    };
    const onData = (chunk: Buffer): void => {
      seen += chunk.length;
      if (seen > MAX_DRAIN_BYTES) done(false);
    };
    const onEnd = (): void => done(true);
    const onClose = (): void => done(request.complete);
    const timer = setTimeout(() => done(false), DRAIN_TIMEOUT_MS);
    request.on('data', onData);
    request.once('end', onEnd);
    request.once('close', onClose);
    request.resume();
  });
}

/**
 * The request body as JSON (undefined for an empty body when `optional`). 413 past the
 * limit (the rest of the body is left for `fail` to drain), 400 when it does not parse.
 */
async function readJson(request: http.IncomingMessage, optional = false): Promise<unknown> {
  const tooLarge = (): ApiError => new ApiError('RequestEntityTooLarge', `the request body is larger than ${MAX_REQUEST_BODY_BYTES} bytes`);
  if (Number(request.headers['content-length'] ?? 0) > MAX_REQUEST_BODY_BYTES) throw tooLarge();
  const body = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= MAX_REQUEST_BODY_BYTES) {
        chunks.push(chunk);
        return;
      }
      request.off('data', onData);
      request.pause();
      reject(tooLarge());
    };
    request.on('data', onData);
    request.once('end', () => resolve(Buffer.concat(chunks)));
    request.once('error', reject);
    request.once('close', () => {
      if (!request.complete) reject(ApiError.badRequest('the client closed the connection before the request body ended'));
    });
  });
  const text = body.toString('utf8');
  if (text.trim() === '') {
    if (optional) return undefined;
    throw ApiError.badRequest('the request body is empty: expected a JSON object');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw ApiError.badRequest(`the request body is not valid JSON: ${(error as Error).message}`);
  }
  checkJsonDepth(value, 'the request body');
  return value;
}
