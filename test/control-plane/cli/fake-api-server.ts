/**
 * A small stand-in for the API server, for the client command tests: Kubernetes' REST paths
 * for every kind of `api/resources.ts`, objects kept in a Map, a revision counter, list
 * paging, label selectors, simple field selectors, watches (replay from a revision, then
 * live), compare-and-swap on `resourceVersion` (409), merge patches, finalizers holding a
 * deleted object, and Kubernetes' `Status` bodies for errors. Tests can look at the
 * requests received and change objects behind the client's back.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { RESOURCES, apiVersionOf } from '../../../control-plane/api/resources.js';
import type { ResourceInfo } from '../../../control-plane/api/resources.js';
import { matchesLabels, parseLabelSelector } from '../../../control-plane/api/selectors.js';
import type { ApiObject, Status, WatchEventType } from '../../../control-plane/api/types.js';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly body: unknown;
  readonly contentType: string | undefined;
}

interface ParsedPath {
  readonly info: ResourceInfo;
  readonly namespace: string | undefined;
  readonly name: string | undefined;
  readonly subresource: string | undefined;
}

interface HistoryEntry {
  readonly revision: number;
  readonly type: WatchEventType;
  readonly object: ApiObject;
}

export interface FakeApiServerOptions {
  /** The creation time stamped on new objects. */
  readonly creationTimestamp?: string;
  /** Objects present from the start. */
  readonly objects?: readonly ApiObject[];
}

function status(code: number, reason: string, message: string, details?: Status['details']): Status {
  return { apiVersion: 'v1', kind: 'Status', metadata: {}, status: 'Failure', message, reason, code, ...(details ? { details } : {}) };
}

function resourceName(info: ResourceInfo): string {
  return info.group === '' ? info.plural : `${info.plural}.${info.group}`;
}

function kindName(info: ResourceInfo): string {
  return info.group === '' ? info.kind : `${info.kind}.${info.group}`;
}

/** RFC 7386. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const result: Record<string, unknown> =
    typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

function fieldValue(object: unknown, path: string): string {
  let current: unknown = object;
  for (const part of path.split('.')) current = typeof current === 'object' && current !== null ? (current as Record<string, unknown>)[part] : undefined;
  return current === undefined || current === null ? '' : String(current);
}

export class FakeApiServer {
  readonly objects = new Map<string, ApiObject>();
  readonly requests: RecordedRequest[] = [];
  /** Runs before each request is handled; may change objects, or answer instead (return a Status). */
  beforeRequest: ((request: RecordedRequest) => Status | undefined) | undefined;
  revision = 1;
  private readonly history: HistoryEntry[] = [];
  private readonly watchers = new Set<{ filter: (object: ApiObject) => boolean; response: ServerResponse }>();
  private readonly server = createServer((request, response) => void this.handle(request, response));
  private uidCounter = 0;
  private readonly creationTimestamp: string;
  url = '';

  private constructor(options: FakeApiServerOptions) {
    this.creationTimestamp = options.creationTimestamp ?? '2026-12-02T01:47:50Z';
  }

  static async start(options: FakeApiServerOptions = {}): Promise<FakeApiServer> {
    const fake = new FakeApiServer(options);
    for (const object of options.objects ?? []) fake.store(object);
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    return fake;
  }

  async close(): Promise<void> {
    for (const watcher of this.watchers) watcher.response.end();
    this.watchers.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The stored object of a kind (`Pod`), namespace and name. */
  get(kind: string, namespace: string | undefined, name: string): ApiObject | undefined {
    const info = RESOURCES.find((candidate) => candidate.kind === kind)!;
    return this.objects.get(this.key(info, namespace, name));
  }

  /** Stores (creates or replaces) an object as a write would, bumping the revision and telling watchers. */
  store(object: ApiObject): ApiObject {
    const info = RESOURCES.find((candidate) => candidate.kind === object.kind)!;
    const namespace = info.namespaced ? (object.metadata.namespace ?? 'default') : undefined;
    const key = this.key(info, namespace, object.metadata.name!);
    const existing = this.objects.get(key);
    const revision = ++this.revision;
    const stored: ApiObject = {
      ...structuredClone(object),
      apiVersion: apiVersionOf(info),
      kind: info.kind,
      metadata: {
        ...structuredClone(object.metadata),
        ...(namespace === undefined ? {} : { namespace }),
        uid: existing?.metadata.uid ?? object.metadata.uid ?? `uid-${++this.uidCounter}`,
        creationTimestamp: existing?.metadata.creationTimestamp ?? object.metadata.creationTimestamp ?? this.creationTimestamp,
        resourceVersion: String(revision),
      },
    };
    if (namespace === undefined) delete stored.metadata.namespace;
    this.objects.set(key, stored);
    this.record(revision, existing === undefined ? 'ADDED' : 'MODIFIED', stored);
    return stored;
  }

  /** Removes an object for good (a finalizer let go), telling watchers. */
  remove(kind: string, namespace: string | undefined, name: string): void {
    const info = RESOURCES.find((candidate) => candidate.kind === kind)!;
    const key = this.key(info, namespace, name);
    const existing = this.objects.get(key);
    if (existing === undefined) return;
    this.objects.delete(key);
    const revision = ++this.revision;
    this.record(revision, 'DELETED', { ...existing, metadata: { ...existing.metadata, resourceVersion: String(revision) } });
  }

  private key(info: ResourceInfo, namespace: string | undefined, name: string): string {
    return `${resourceName(info)}/${info.namespaced ? (namespace ?? '') : ''}/${name}`;
  }

  private record(revision: number, type: WatchEventType, object: ApiObject): void {
    this.history.push({ revision, type, object });
    for (const watcher of this.watchers) {
      if (watcher.filter(object)) watcher.response.write(`${JSON.stringify({ type, object })}\n`);
    }
  }

  private parsePath(path: string): ParsedPath | undefined {
    const parts = path.split('/').filter((part) => part !== '').map(decodeURIComponent);
    let group = '';
    let rest: string[];
    if (parts[0] === 'api' && parts[1] === 'v1') rest = parts.slice(2);
    else if (parts[0] === 'apis' && parts[2] === 'v1') {
      group = parts[1]!;
      rest = parts.slice(3);
    } else return undefined;
    let namespace: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    const info = RESOURCES.find((candidate) => candidate.plural === rest[0] && candidate.group === group);
    if (info === undefined) return undefined;
    return { info, namespace, name: rest[1], subresource: rest[2] };
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://fake');
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const recorded: RecordedRequest = {
      method: request.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      body: text === '' ? undefined : (JSON.parse(text) as unknown),
      contentType: request.headers['content-type'],
    };
    this.requests.push(recorded);
    const injected = this.beforeRequest?.(recorded);
    if (injected !== undefined) return this.send(response, injected.code, injected);
    const parsed = this.parsePath(url.pathname);
    if (parsed === undefined) return this.send(response, 404, status(404, 'NotFound', `the server could not find the requested resource (${url.pathname})`));
    if (parsed.name === undefined) {
      if (recorded.method === 'GET' && url.searchParams.get('watch') === '1') return this.watch(parsed, url.searchParams, response);
      if (recorded.method === 'GET') return this.list(parsed, url.searchParams, response);
      if (recorded.method === 'POST') return this.create(parsed, recorded.body as ApiObject, response);
    } else {
      switch (recorded.method) {
        case 'GET':
          return this.read(parsed, response);
        case 'PUT':
          return this.replace(parsed, recorded.body as ApiObject, response);
        case 'PATCH':
          return this.patch(parsed, recorded.body, response);
        case 'DELETE':
          return this.remove_(parsed, recorded.body as Record<string, unknown> | undefined, response);
      }
    }
    return this.send(response, 405, status(405, 'MethodNotAllowed', `${recorded.method} is not supported here`));
  }

  private send(response: ServerResponse, code: number, body: unknown): void {
    response.writeHead(code, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  }

  private filterFor(parsed: ParsedPath, query: URLSearchParams): (object: ApiObject) => boolean {
    const selector = parseLabelSelector(query.get('labelSelector') ?? '');
    const fields = (query.get('fieldSelector') ?? '')
      .split(',')
      .filter((part) => part !== '')
      .map((part) => part.split('=') as [string, string]);
    return (object) =>
      object.kind === parsed.info.kind &&
      (parsed.namespace === undefined || object.metadata.namespace === parsed.namespace) &&
      matchesLabels(selector, object.metadata.labels) &&
      fields.every(([path, value]) => fieldValue(object, path) === value);
  }

  private list(parsed: ParsedPath, query: URLSearchParams, response: ServerResponse): void {
    const matching = [...this.objects.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, object]) => object)
      .filter(this.filterFor(parsed, query));
    const start = Number(query.get('continue') ?? '0');
    const limit = Number(query.get('limit') ?? '0') || matching.length;
    const items = matching.slice(start, start + limit);
    const next = start + limit < matching.length ? String(start + limit) : undefined;
    this.send(response, 200, {
      apiVersion: apiVersionOf(parsed.info),
      kind: `${parsed.info.kind}List`,
      metadata: { resourceVersion: String(this.revision), ...(next === undefined ? {} : { continue: next }) },
      items,
    });
  }

  private watch(parsed: ParsedPath, query: URLSearchParams, response: ServerResponse): void {
    const filter = this.filterFor(parsed, query);
    response.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    const from = query.get('resourceVersion');
    if (from === null || from === '' || from === '0') {
      for (const object of this.objects.values()) if (filter(object)) response.write(`${JSON.stringify({ type: 'ADDED', object })}\n`);
    } else {
      for (const entry of this.history) {
        if (entry.revision > Number(from) && filter(entry.object)) response.write(`${JSON.stringify({ type: entry.type, object: entry.object })}\n`);
      }
    }
    const watcher = { filter, response };
    this.watchers.add(watcher);
    response.on('close', () => this.watchers.delete(watcher));
  }

  private notFound(parsed: ParsedPath): Status {
    const name = parsed.name ?? '';
    return status(404, 'NotFound', `${resourceName(parsed.info)} "${name}" not found`, { name, kind: parsed.info.plural, group: parsed.info.group });
  }

  private read(parsed: ParsedPath, response: ServerResponse): void {
    const object = this.objects.get(this.key(parsed.info, parsed.namespace, parsed.name!));
    if (object === undefined) return this.send(response, 404, this.notFound(parsed));
    this.send(response, 200, object);
  }

  /** The one validation the tests need: replicas must not be negative. */
  private invalid(parsed: ParsedPath, object: ApiObject): Status | undefined {
    const replicas = (object.spec as { replicas?: number } | undefined)?.replicas;
    if (replicas === undefined || replicas >= 0) return undefined;
    const name = object.metadata.name ?? '';
    return status(422, 'Invalid', `${kindName(parsed.info)} "${name}" is invalid: spec.replicas: Invalid value: ${replicas}: must be greater than or equal to 0`, {
      name,
      kind: parsed.info.kind,
      causes: [{ reason: 'FieldValueInvalid', message: 'Invalid value: -1: must be greater than or equal to 0', field: 'spec.replicas' }],
    });
  }

  private create(parsed: ParsedPath, body: ApiObject, response: ServerResponse): void {
    const name = body.metadata?.name ?? '';
    const namespace = parsed.info.namespaced ? parsed.namespace : undefined;
    if (this.objects.has(this.key(parsed.info, namespace, name))) {
      return this.send(response, 409, status(409, 'AlreadyExists', `${resourceName(parsed.info)} "${name}" already exists`, { name, kind: parsed.info.plural }));
    }
    const invalid = this.invalid(parsed, body);
    if (invalid !== undefined) return this.send(response, 422, invalid);
    const { status: _ignored, ...withoutStatus } = body;
    const stored = this.store({ ...withoutStatus, metadata: { ...body.metadata, ...(namespace === undefined ? {} : { namespace }) } } as ApiObject);
    this.send(response, 201, stored);
  }

  private conflict(parsed: ParsedPath): Status {
    return status(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${resourceName(parsed.info)} "${parsed.name}": the object has been modified; please apply your changes to the latest version and try again`,
      { name: parsed.name, kind: parsed.info.plural },
    );
  }

  private replace(parsed: ParsedPath, body: ApiObject, response: ServerResponse): void {
    const current = this.objects.get(this.key(parsed.info, parsed.namespace, parsed.name!));
    if (current === undefined) return this.send(response, 404, this.notFound(parsed));
    const expected = body.metadata?.resourceVersion;
    if (expected !== undefined && expected !== current.metadata.resourceVersion) return this.send(response, 409, this.conflict(parsed));
    const invalid = this.invalid(parsed, body);
    if (invalid !== undefined) return this.send(response, 422, invalid);
    // A PUT of the object never changes its status (that is the /status subresource's).
    const next: ApiObject = { ...body, metadata: { ...body.metadata, namespace: current.metadata.namespace } };
    if (parsed.subresource !== 'status') {
      if (current.status === undefined) delete next.status;
      else next.status = current.status;
    }
    this.send(response, 200, this.store(next));
  }

  private patch(parsed: ParsedPath, body: unknown, response: ServerResponse): void {
    const current = this.objects.get(this.key(parsed.info, parsed.namespace, parsed.name!));
    if (current === undefined) return this.send(response, 404, this.notFound(parsed));
    const expected = (body as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion;
    if (expected !== undefined && expected !== current.metadata.resourceVersion) return this.send(response, 409, this.conflict(parsed));
    const next = mergePatch(current, body) as ApiObject;
    this.send(response, 200, this.store(next));
  }

  private remove_(parsed: ParsedPath, _options: Record<string, unknown> | undefined, response: ServerResponse): void {
    const current = this.objects.get(this.key(parsed.info, parsed.namespace, parsed.name!));
    if (current === undefined) return this.send(response, 404, this.notFound(parsed));
    if ((current.metadata.finalizers ?? []).length > 0) {
      const marked = current.metadata.deletionTimestamp !== undefined ? current : this.store({ ...current, metadata: { ...current.metadata, deletionTimestamp: '2026-12-02T02:00:00Z' } });
      return this.send(response, 200, marked);
    }
    this.remove(parsed.info.kind, parsed.namespace, parsed.name!);
    this.send(response, 200, current);
  }
}
