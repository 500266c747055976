/**
 * A small client of the API server's Kubernetes REST API, on `fetch` (HTTP/1.1 + JSON):
 * read, list page by page, create, replace, merge-patch, delete, watch, and a pod's log as
 * it streams. Error answers become `ApiClientError`s carrying the server's `Status`; a
 * server that cannot be reached becomes an `ApiUnreachableError`.
 */
import type { ApiList, ApiObject, Status, WatchEvent } from '../api/types.js';
import { apiVersionOf, resourceByName, resourcePath } from '../api/resources.js';
import type { ResourceInfo } from '../api/resources.js';
import { LIST_PAGE_LIMIT, LIST_PAGES_MAX, REQUEST_TIMEOUT_MS, WATCH_LINE_BYTES_MAX } from './constants.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { retryAfterSecondsOf, TOO_MANY_REQUESTS_ATTEMPTS_MAX, tooManyRequestsWaitMs } from '../client/too-many-requests.js';
import { ApiClientError, ApiUnreachableError, CliError } from './errors.js';
import { httpsFetch } from './https-fetch.js';
import type { TlsMaterial } from './https-fetch.js';

export { ApiClientError, ApiUnreachableError } from './errors.js';

/** Which objects a list or watch covers. */
export interface ListOptions {
  /** The namespace; `undefined` for all namespaces (or a cluster-scoped kind). */
  readonly namespace?: string;
  /** `app=web,tier!=db` */
  readonly labelSelector?: string;
  /** `metadata.name=web` */
  readonly fieldSelector?: string;
}

export interface ListPageOptions extends ListOptions {
  readonly limit?: number;
  readonly continue?: string;
  readonly resourceVersion?: string;
}

export interface WatchOptions extends ListOptions {
  /** Start after this revision; without it the server first sends ADDED for every existing object. */
  readonly resourceVersion?: string;
  /** Ends the watch (the iterator then finishes). */
  readonly signal?: AbortSignal;
}

/** Kubernetes' `PodLogOptions` the CLI sets. */
export interface PodLogOptions {
  /** Absent: the pod's only container (the server says which to choose when there are several). */
  readonly container?: string;
  /** Keep streaming while the container runs. */
  readonly follow?: boolean;
  /** The log of the attempt before the current one. */
  readonly previous?: boolean;
  /** Only the last this many lines. */
  readonly tailLines?: number;
  /** At most this many bytes. */
  readonly limitBytes?: number;
  /** Ends the stream (the iterator then simply finishes). */
  readonly signal?: AbortSignal;
}

/** `DeleteOptions` fields the CLI sets. */
export interface DeleteOptions {
  readonly gracePeriodSeconds?: number;
  readonly propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
}

/** Every item of a list, read page by page, and the revision the list was read at. */
export interface ListResult {
  readonly items: ApiObject[];
  readonly resourceVersion: string;
}

export interface ApiClientOptions {
  /** Per-request limit, watches excepted. Default `REQUEST_TIMEOUT_MS`. */
  readonly requestTimeoutMs?: number;
  /** Sent as `Authorization: Bearer <token>`. */
  readonly token?: string;
  /** PEM: the CA that verifies an https server, and a client certificate and key to present. */
  readonly tls?: TlsMaterial;
}

interface RequestOptions {
  readonly body?: unknown;
  readonly contentType?: string;
  readonly signal?: AbortSignal;
  /** No request timeout (watches). */
  readonly streaming?: boolean;
}

const PODS: ResourceInfo = resourceByName('pods')!;

function queryString(parameters: Readonly<Record<string, string | number | undefined>>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(parameters)) {
    if (value !== undefined && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

/**
 * The message of whatever made `fetch` fail (`connect ECONNREFUSED 127.0.0.1:6443`). Duck-typed
 * rather than `instanceof`: the error may come from another realm (undici's, under a test VM).
 */
function fetchFailureCause(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause as { message?: unknown; code?: unknown; errors?: unknown } | undefined;
  if (typeof cause === 'object' && cause !== null) {
    // undici wraps several attempts (IPv4 and IPv6) in an AggregateError with an empty message.
    if (Array.isArray(cause.errors) && cause.errors.length > 0) {
      const first = cause.errors[0] as { message?: unknown };
      if (typeof first.message === 'string' && first.message !== '') return first.message;
    }
    if (typeof cause.message === 'string' && cause.message !== '') return cause.message;
    if (typeof cause.code === 'string') return cause.code;
  }
  return (error as Error).message;
}

function isStatus(value: unknown): value is Status {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'Status';
}

/** A `Status` for an error answer whose body is not one (a proxy's HTML page, an empty body). */
function synthesizedStatus(code: number, statusText: string, body: string): Status {
  const text = body.trim().slice(0, 300);
  return {
    apiVersion: 'v1',
    kind: 'Status',
    metadata: {},
    status: 'Failure',
    message: text === '' ? `the server responded with HTTP ${code} ${statusText}` : `the server responded with HTTP ${code}: ${text}`,
    reason: code === 404 ? 'NotFound' : code === 409 ? 'Conflict' : '',
    code,
  };
}

export class ApiClient {
  /** The base URL, without a trailing slash. */
  readonly server: string;
  private readonly requestTimeoutMs: number;
  private readonly token: string | undefined;
  private readonly tls: ApiClientOptions['tls'];

  constructor(server: string, options: ApiClientOptions = {}) {
    this.server = server.replace(/\/+$/, '');
    this.requestTimeoutMs = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
    this.token = options.token;
    this.tls = options.tls;
  }

  /** One object; `ApiClientError` (404 NotFound) when absent. */
  async get(info: ResourceInfo, namespace: string | undefined, name: string): Promise<ApiObject> {
    return (await this.request('GET', resourcePath(info, scoped(info, namespace), name))) as ApiObject;
  }

  /** One page of a list. */
  async listPage(info: ResourceInfo, options: ListPageOptions = {}): Promise<ApiList> {
    const query = queryString({
      labelSelector: options.labelSelector,
      fieldSelector: options.fieldSelector,
      limit: options.limit,
      continue: options.continue,
      resourceVersion: options.resourceVersion,
    });
    return (await this.request('GET', `${resourcePath(info, scoped(info, options.namespace))}${query}`)) as ApiList;
  }

  /** Every object of a list, read `LIST_PAGE_LIMIT` at a time following `continue`. */
  async list(info: ResourceInfo, options: ListOptions = {}): Promise<ListResult> {
    const items: ApiObject[] = [];
    let resourceVersion = '';
    let token: string | undefined;
    for (let page = 0; page < LIST_PAGES_MAX; page++) {
      const list = await this.listPage(info, { ...options, limit: LIST_PAGE_LIMIT, ...(token === undefined ? {} : { continue: token }) });
      if (page === 0) resourceVersion = list.metadata?.resourceVersion ?? '';
      for (const item of list.items ?? []) items.push(withTypeMeta(item, info));
      token = list.metadata?.continue;
      if (token === undefined || token === '') return { items, resourceVersion };
    }
    throw new Error(`listing ${info.plural}: more than ${LIST_PAGES_MAX} pages of ${LIST_PAGE_LIMIT}`);
  }

  /** POST to the collection; the created object. */
  async create(info: ResourceInfo, namespace: string | undefined, object: ApiObject): Promise<ApiObject> {
    return (await this.request('POST', resourcePath(info, scoped(info, namespace)), { body: object })) as ApiObject;
  }

  /** PUT the whole object; a 409 Conflict when `metadata.resourceVersion` is stale. */
  async replace(info: ResourceInfo, namespace: string | undefined, name: string, object: ApiObject): Promise<ApiObject> {
    return (await this.request('PUT', resourcePath(info, scoped(info, namespace), name), { body: object })) as ApiObject;
  }

  /** RFC 7386 JSON merge patch; `null` values remove fields. */
  async mergePatch(info: ResourceInfo, namespace: string | undefined, name: string, patch: unknown): Promise<ApiObject> {
    return (await this.request('PATCH', resourcePath(info, scoped(info, namespace), name), {
      body: patch,
      contentType: 'application/merge-patch+json',
    })) as ApiObject;
  }

  /** DELETE; the object as the server last had it (with `deletionTimestamp` while finalizers hold it). */
  async delete(info: ResourceInfo, namespace: string | undefined, name: string, options: DeleteOptions = {}): Promise<ApiObject> {
    const body = Object.keys(options).length === 0 ? undefined : { kind: 'DeleteOptions', apiVersion: 'v1', ...options };
    return (await this.request('DELETE', resourcePath(info, scoped(info, namespace), name), body === undefined ? {} : { body })) as ApiObject;
  }

  /**
   * The watch stream, one event per line, until the server ends it or `signal` is aborted
   * (the iterator then simply finishes). Leaving the loop early closes the connection.
   */
  async *watch(info: ResourceInfo, options: WatchOptions = {}): AsyncGenerator<WatchEvent> {
    const query = queryString({
      watch: 1,
      labelSelector: options.labelSelector,
      fieldSelector: options.fieldSelector,
      resourceVersion: options.resourceVersion,
    });
    const decoder = new TextDecoder();
    let buffered = '';
    for await (const chunk of this.stream(`${resourcePath(info, scoped(info, options.namespace))}${query}`, options.signal)) {
      buffered += decoder.decode(chunk, { stream: true });
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (line !== '') yield parseWatchLine(line, info);
        newline = buffered.indexOf('\n');
      }
      if (buffered.length > WATCH_LINE_BYTES_MAX) throw new Error(`watch ${info.plural}: a line longer than ${WATCH_LINE_BYTES_MAX} bytes`);
    }
    // Stopped mid-line: what is buffered is not a whole event.
    if (options.signal?.aborted) return;
    const last = buffered.trim();
    if (last !== '') yield parseWatchLine(last, info);
  }

  /**
   * A container's log, chunk by chunk as the server sends it, until it ends or `signal` is
   * aborted (the iterator then simply finishes). An error answer (no such pod or container,
   * no previous attempt) is an `ApiClientError` before the first chunk.
   */
  async *podLog(namespace: string, name: string, options: PodLogOptions = {}): AsyncGenerator<Uint8Array> {
    const query = queryString({
      container: options.container,
      follow: options.follow === true ? 'true' : undefined,
      previous: options.previous === true ? 'true' : undefined,
      tailLines: options.tailLines,
      limitBytes: options.limitBytes,
    });
    try {
      yield* this.stream(`${resourcePath(PODS, namespace, name)}/log${query}`, options.signal);
    } catch (error) {
      if (error instanceof ApiClientError || error instanceof CliError) throw error;
      throw new CliError(`the log of pod "${name}" broke off: ${fetchFailureCause(error)}`);
    }
  }

  /**
   * The body of a streamed GET, chunk by chunk, until the server ends it or `signal` is
   * aborted (the iterator then simply finishes). Leaving the loop early closes the connection.
   */
  private async *stream(path: string, signal: AbortSignal | undefined): AsyncGenerator<Uint8Array> {
    const controller = new AbortController();
    const onAbort = (): void => controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (signal?.aborted) return;
      let response: Response;
      try {
        response = await this.send('GET', path, { signal: controller.signal, streaming: true });
      } catch (error) {
        if (signal?.aborted) return;
        throw error;
      }
      if (response.body === null) return;
      try {
        for await (const chunk of response.body) yield chunk as Uint8Array;
      } catch (error) {
        if (controller.signal.aborted) return;
        throw error;
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      controller.abort();
    }
  }

  private async request(method: string, path: string, options: RequestOptions = {}): Promise<unknown> {
    const response = await this.send(method, path, options);
    const text = await response.text();
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new CliError(`the API server answered ${method} ${path} with a body that is not JSON: ${text.slice(0, 200)}`);
    }
  }

  /**
   * Sends a request; an error answer becomes an `ApiClientError`, a network failure an
   * `ApiUnreachableError`. A 429 is sent again after the server's Retry-After, with back-off
   * (`too-many-requests.ts`): the server did nothing with it.
   */
  private async send(method: string, path: string, options: RequestOptions): Promise<Response> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.sendOnce(method, path, options);
      } catch (error) {
        if (!(error instanceof ApiClientError) || error.status.code !== 429 || attempt >= TOO_MANY_REQUESTS_ATTEMPTS_MAX) throw error;
        try {
          await sleep(tooManyRequestsWaitMs(attempt, error.status.details?.retryAfterSeconds), undefined, options.signal === undefined ? {} : { signal: options.signal });
        } catch {
          throw error; // aborted while waiting: the 429 is the answer
        }
      }
    }
  }

  private async sendOnce(method: string, path: string, options: RequestOptions): Promise<Response> {
    const signals: AbortSignal[] = [];
    if (options.signal !== undefined) signals.push(options.signal);
    if (options.streaming !== true) signals.push(AbortSignal.timeout(this.requestTimeoutMs));
    const headers: Record<string, string> = { accept: 'application/json' };
    if (options.body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
    let response: Response;
    try {
      const init = {
        method,
        headers,
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
        ...(signals.length === 0 ? {} : { signal: AbortSignal.any(signals) }),
      };
      // fetch takes no CA or client certificate: node:https does, its answer wrapped as a Response.
      response = this.tls !== undefined && this.server.startsWith('https:') ? await httpsFetch(`${this.server}${path}`, init, this.tls) : await fetch(`${this.server}${path}`, init);
    } catch (error) {
      if (options.signal?.aborted) throw error;
      if ((error as Error).name === 'TimeoutError') {
        throw new ApiUnreachableError(this.server, `${method} ${path}: no answer within ${this.requestTimeoutMs / 1000}s`);
      }
      throw new ApiUnreachableError(this.server, fetchFailureCause(error));
    }
    if (response.ok) return response;
    const body = await response.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      parsed = undefined;
    }
    const status = isStatus(parsed) ? { ...parsed, code: parsed.code || response.status } : synthesizedStatus(response.status, response.statusText, body);
    // The header says it when the body does not (a proxy's 429).
    const retryAfter = retryAfterSecondsOf(response.headers.get('retry-after'));
    if (retryAfter !== undefined && status.details?.retryAfterSeconds === undefined) status.details = { ...status.details, retryAfterSeconds: retryAfter };
    throw new ApiClientError(status);
  }
}

/** Namespaces mean nothing for cluster-scoped kinds: leave them out of the path. */
function scoped(info: ResourceInfo, namespace: string | undefined): string | undefined {
  return info.namespaced ? namespace : undefined;
}

/** List items may lack `apiVersion`/`kind` (Kubernetes leaves them out); fill them in. */
function withTypeMeta(item: ApiObject, info: ResourceInfo): ApiObject {
  if (item.apiVersion && item.kind) return item;
  return { ...item, apiVersion: item.apiVersion || apiVersionOf(info), kind: item.kind || info.kind };
}

function parseWatchLine(line: string, info: ResourceInfo): WatchEvent {
  let event: WatchEvent;
  try {
    event = JSON.parse(line) as WatchEvent;
  } catch (error) {
    throw new Error(`watch ${info.plural}: a line that is not JSON (${(error as Error).message}): ${line.slice(0, 200)}`);
  }
  if (event.type !== 'ERROR' && event.object !== undefined && event.object.kind !== 'Status') {
    return { type: event.type, object: withTypeMeta(event.object as ApiObject, info) };
  }
  return event;
}
