/**
 * The API server's gRPC front-end (`proto/balsa/v1/api.proto`): the registry's operations
 * one to one, objects as JSON bytes, watches as server streams. Errors carry the gRPC code of
 * their Kubernetes reason, the message as details, and the Status in `balsa-status-bin`.
 */
import * as grpc from '@grpc/grpc-js';
import { RESOURCES } from '../api/resources.js';
import type { ResourceInfo } from '../api/resources.js';
import type { ApiObject } from '../api/types.js';
import type { ServedWatchEvent } from './watch-cache.js';
import type { WireObject } from '../../kv/server/etcd-proto.js';
import { objectsService } from './balsa-proto.js';
import { MuxServer } from '../../kv/grpc-mux/index.js';
import { ApiError } from './errors.js';
import { admitted } from './grpc-admission.js';
import { checkJsonDepth, checkSelectorLength } from './json-depth.js';
import type { DeleteOptions, Registry, RegistryWatch } from './registry.js';
import type { RequestLimits } from './request-limits.js';
import { BINDING_SUCCESS, toApiError } from './registry.js';
import type { ResourceAttributes, Verb } from './auth/request-attributes.js';
import { requestNamespace } from './auth/request-attributes.js';
import { RequestGuard } from './auth/request-guard.js';
import type { UserInfo } from './auth/user-info.js';
import { grpcServerCredentials } from './serving-tls.js';
import type { ServingTls } from './serving-tls.js';

/** At most this many events in one watch message (a batch is sent at the latest when the event loop turns). */
export const WATCH_BATCH_EVENTS_MAX = 256;

const BINDING_SUCCESS_JSON = Buffer.from(JSON.stringify(BINDING_SUCCESS));

/** The trailing metadata key that carries an error's whole Status (JSON). */
export const STATUS_METADATA_KEY = 'balsa-status-bin';

export interface ApiGrpcServerOptions {
  readonly registry: Registry;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Requests in flight, watches and rate per client (`request-limits.ts`; shared with the HTTP front-end). Default: none. */
  readonly limits?: RequestLimits;
  /** HTTP/2 streams one connection may have open (SETTINGS_MAX_CONCURRENT_STREAMS). Default: Node's, 2^32-1. */
  readonly maxConcurrentStreams?: number;
  /** Authentication and authorization (default: every request allowed, bad tokens refused). */
  readonly guard?: RequestGuard;
  /** Serve TLS (default: plaintext). */
  readonly tls?: ServingTls;
}

/** Any call of the service: what the gate reads (metadata, the TLS peer). */
type AnyCall = Pick<grpc.ServerUnaryCall<WireObject, WireObject>, 'metadata' | 'getAuthContext'>;

interface Ref {
  info: ResourceInfo;
  namespace: string | undefined;
  name: string | undefined;
}

type WatchCall = grpc.ServerWritableStream<WireObject, WireObject>;
type OpenWatches = Set<{ watch: RegistryWatch | null; call: WatchCall }>;

export class ApiGrpcServer {
  private constructor(
    private readonly server: grpc.Server,
    private readonly calls: OpenWatches,
    private readonly mux: MuxServer,
    readonly port: number,
    readonly host: string,
  ) {}

  static async start(options: ApiGrpcServerOptions): Promise<ApiGrpcServer> {
    const server = new grpc.Server({
      'grpc.enable_channelz': 0,
      'grpc.max_receive_message_length': 4 * 1024 * 1024,
      ...(options.maxConcurrentStreams !== undefined ? { 'grpc.max_concurrent_streams': options.maxConcurrentStreams } : {}),
    });
    const host = options.host ?? '127.0.0.1';
    const calls: OpenWatches = new Set();
    const registry = options.registry;
    const guard = options.guard ?? new RequestGuard(registry);
    /** The caller, once allowed to do `verb` on `ref` (401/403 thrown otherwise). */
    const gate = async (call: AnyCall, verb: Verb, ref: Ref, extra: { subresource?: string; fieldSelector?: string } = {}): Promise<UserInfo> => {
      const user = authenticatedUser(guard, call);
      await guard.authorize({ user, verb, resource: refAttributes(ref, extra) });
      return user;
    };
    const unary = (handler: (request: WireObject, call: AnyCall) => Promise<unknown>): grpc.handleUnaryCall<WireObject, WireObject> => (call, callback) => {
      Promise.resolve(call.request)
        .then((request) => handler(decoded(request), call))
        .then(
        (response) => callback(null, response as WireObject),
        (error: unknown) => callback(toServiceError(toApiError(error))),
      );
    };
    const objectReply = (object: ApiObject): WireObject => ({ object: Buffer.from(JSON.stringify(object)) });
    const implementation = {
      Get: unary(async (request, call) => {
        const ref = parseRef(request.ref, true);
        await gate(call, 'get', ref);
        return objectReply(await registry.get(ref.info, ref.namespace, ref.name!));
      }),
      List: unary(async (request, call) => {
        const ref = parseRef(request.ref, false);
        await gate(call, 'list', ref, { fieldSelector: String(request.fieldSelector ?? '') });
        const list = await registry.list(ref.info, ref.namespace, {
          labelSelector: checkSelectorLength(String(request.labelSelector ?? ''), 'label_selector'),
          fieldSelector: checkSelectorLength(String(request.fieldSelector ?? ''), 'field_selector'),
          limit: Number(request.limit ?? 0),
          continue: String(request.continue ?? ''),
        });
        return {
          items: list.items.map((item) => Buffer.from(JSON.stringify(item))),
          resourceVersion: list.metadata.resourceVersion ?? '',
          continue: list.metadata.continue ?? '',
        };
      }),
      Create: unary(async (request, call) => {
        const ref = parseRef(request.ref, false);
        const user = await gate(call, 'create', ref);
        const body = parseJson(request.object);
        guard.checkCreate(user, refAttributes(ref), body);
        return objectReply(await registry.create(ref.info, ref.namespace, body));
      }),
      Update: unary(async (request, call) => {
        const ref = parseRef(request.ref, true);
        await gate(call, 'update', ref);
        return objectReply(await registry.update(ref.info, ref.namespace, ref.name!, parseJson(request.object)));
      }),
      UpdateStatus: unary(async (request, call) => {
        const ref = parseRef(request.ref, true);
        await gate(call, 'update', ref, { subresource: 'status' });
        return objectReply(await registry.update(ref.info, ref.namespace, ref.name!, parseJson(request.object), 'status'));
      }),
      Patch: unary(async (request, call) => {
        const ref = parseRef(request.ref, true);
        await gate(call, 'patch', ref, request.status === true ? { subresource: 'status' } : {});
        return objectReply(await registry.patch(ref.info, ref.namespace, ref.name!, parseJson(request.mergePatch), request.status === true ? 'status' : undefined));
      }),
      Delete: unary(async (request, call) => {
        const ref = parseRef(request.ref, true);
        await gate(call, 'delete', ref);
        return objectReply(await registry.delete(ref.info, ref.namespace, ref.name!, deleteOptions(request)));
      }),
      Bind: unary(async (request, call) => {
        const ref = parseRef(request.ref, true);
        if (ref.info.kind !== 'Pod') throw ApiError.badRequest(`only pods are bound to nodes, not ${ref.info.plural}`);
        await gate(call, 'create', ref, { subresource: 'binding' });
        await registry.bind(ref.namespace!, ref.name!, { kind: 'Binding', target: { kind: 'Node', name: String(request.nodeName ?? '') } });
        return { object: BINDING_SUCCESS_JSON };
      }),
      Watch: (call: WatchCall) => {
        const ref = (() => {
          try {
            return parseRef(decoded(call.request).ref, false);
          } catch {
            // The watch itself answers the bad request.
            return null;
          }
        })();
        const allowed = ref === null ? Promise.resolve() : gate(call, 'watch', ref, { fieldSelector: String(call.request.fieldSelector ?? '') }).then(() => undefined);
        allowed.then(
          () => {
            if (!call.cancelled) watch(registry, calls, call);
          },
          (error: unknown) => call.emit('error', toServiceError(toApiError(error))),
        );
      },
    };
    const definition = undecodableAsRequests(objectsService());
    const userOf = (call: AnyCall): UserInfo | null => {
      try {
        return authenticatedUser(guard, call);
      } catch {
        // Bad credentials: the handler answers 401, before any limit.
        return null;
      }
    };
    const served = options.limits === undefined ? implementation : admitted(implementation, options.limits, toServiceError, userOf);
    server.addService(definition, served);
    // The unary methods also on one stream per client (GrpcApiClient sends them there).
    const mux = new MuxServer();
    mux.register(definition, served);
    mux.addTo(server);
    const port = await new Promise<number>((resolve, reject) => {
      server.bindAsync(`${host}:${options.port}`, grpcServerCredentials(options.tls), (error, bound) => (error ? reject(error) : resolve(bound)));
    });
    return new ApiGrpcServer(server, calls, mux, port, host);
  }

  /** `host:port`, for a gRPC client. */
  get address(): string {
    return `${this.host}:${this.port}`;
  }

  /** Ends every watch and frees the port. */
  async stop(): Promise<void> {
    for (const entry of this.calls) {
      entry.watch?.cancel();
      entry.call.end();
    }
    this.calls.clear();
    this.mux.close();
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
    this.server.forceShutdown();
  }
}

/** Serves one Watch call until the client cancels it, the registry ends it, or the server stops. */
function watch(registry: Registry, calls: OpenWatches, call: WatchCall): void {
  const entry: { watch: RegistryWatch | null; call: typeof call } = { watch: null, call };
  // Events that arrive together (one KV watch response, a cache replay) leave as one message.
  let pending: WireObject[] = [];
  let flushScheduled = false;
  let finished = false;
  const flush = (): void => {
    flushScheduled = false;
    const batch = pending;
    pending = [];
    if (finished || batch.length === 0) return;
    call.write(batch.length === 1 ? batch[0]! : { events: batch });
  };
  const finish = (): void => {
    finished = true;
    entry.watch?.cancel();
    calls.delete(entry);
  };
  try {
    const request = decoded(call.request);
    const ref = parseRef(request.ref, false);
    entry.watch = registry.watch(
      ref.info,
      ref.namespace,
      {
        labelSelector: checkSelectorLength(String(request.labelSelector ?? ''), 'label_selector'),
        fieldSelector: checkSelectorLength(String(request.fieldSelector ?? ''), 'field_selector'),
        resourceVersion: String(request.resourceVersion ?? ''),
        ...(ref.name !== undefined ? { name: ref.name } : {}),
      },
      (event: ServedWatchEvent) => {
        pending.push({ type: event.type, object: Buffer.from(event.json()) });
        if (pending.length >= WATCH_BATCH_EVENTS_MAX) flush();
        else if (!flushScheduled) {
          flushScheduled = true;
          setImmediate(flush);
        }
      },
      (error) => {
        flush();
        finish();
        call.emit('error', toServiceError(error));
      },
    );
  } catch (error) {
    call.emit('error', toServiceError(toApiError(error)));
    return;
  }
  calls.add(entry);
  call.on('cancelled', finish);
  call.on('close', finish);
}

/** Marks a request whose bytes did not decode (the reason why), in place of its message. */
const UNDECODABLE = Symbol('undecodable');

/**
 * `definition` with request decoders that never throw: bytes that are not the method's
 * request message decode to a marker the handlers answer INVALID_ARGUMENT to. (grpc-js
 * answers a throwing decoder with INTERNAL "Error deserializing request", which blames the
 * server for the client's bytes.)
 */
function undecodableAsRequests(definition: grpc.ServiceDefinition): grpc.ServiceDefinition {
  const tolerant: Record<string, grpc.MethodDefinition<WireObject, WireObject>> = {};
  for (const [name, method] of Object.entries(definition as Record<string, grpc.MethodDefinition<WireObject, WireObject>>)) {
    tolerant[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer): WireObject => {
        try {
          return method.requestDeserialize(bytes);
        } catch (error) {
          return { [UNDECODABLE]: `the request is not a valid balsa.v1 ${name} request: ${(error as Error).message}` } as WireObject;
        }
      },
    };
  }
  return tolerant;
}

/** `request`, or a 400 when its bytes did not decode. */
function decoded(request: WireObject): WireObject {
  const why = (request as { [UNDECODABLE]?: string })[UNDECODABLE];
  if (why !== undefined) throw ApiError.badRequest(why);
  return request;
}

/** Where a call keeps its user once authenticated (the limits ask before the handler does). */
const CALL_USER = Symbol('user');

/** The caller of a call (authenticated once per call): its verified client certificate, else its `authorization` metadata. */
function authenticatedUser(guard: RequestGuard, call: AnyCall): UserInfo {
  const known = (call as { [CALL_USER]?: UserInfo })[CALL_USER];
  if (known !== undefined) return known;
  const user = authenticateCall(guard, call);
  (call as { [CALL_USER]?: UserInfo })[CALL_USER] = user;
  return user;
}

/** The caller of a call: its verified client certificate, else its `authorization` metadata. */
function authenticateCall(guard: RequestGuard, call: AnyCall): UserInfo {
  const authorization = call.metadata.get('authorization')[0];
  const subject = call.getAuthContext()?.sslPeerCertificate?.subject;
  return guard.authenticate({
    ...(subject !== undefined ? { certificateSubject: subject } : {}),
    ...(authorization !== undefined ? { authorization: Buffer.isBuffer(authorization) ? authorization.toString('utf8') : authorization } : {}),
  });
}

function refAttributes(ref: Ref, extra: { subresource?: string; fieldSelector?: string } = {}): ResourceAttributes {
  const namespace = requestNamespace(ref.info, ref.namespace, ref.name);
  return {
    info: ref.info,
    ...(namespace !== undefined ? { namespace } : {}),
    ...(ref.name !== undefined ? { name: ref.name } : {}),
    ...(extra.subresource !== undefined ? { subresource: extra.subresource } : {}),
    ...(extra.fieldSelector !== undefined && extra.fieldSelector !== '' ? { fieldSelector: extra.fieldSelector } : {}),
  };
}

function toServiceError(error: ApiError): Partial<grpc.StatusObject> {
  const metadata = new grpc.Metadata();
  metadata.set(STATUS_METADATA_KEY, Buffer.from(JSON.stringify(error.toStatus())));
  return { code: error.grpcCode, details: error.message, metadata };
}

function parseRef(value: unknown, needsName: boolean): Ref {
  const ref = (value ?? {}) as WireObject;
  const group = String(ref.group ?? '');
  const version = String(ref.version ?? '') || 'v1';
  const plural = String(ref.resource ?? '');
  const info = RESOURCES.find((candidate) => candidate.group === group && candidate.version === version && candidate.plural === plural);
  if (info === undefined) throw new ApiError('NotFound', `the server could not find the requested resource (${group === '' ? '' : `${group}/`}${version} ${plural})`);
  const namespace = String(ref.namespace ?? '');
  const name = String(ref.name ?? '');
  if (needsName && name === '') throw ApiError.badRequest(`ref.name is required`);
  if (needsName && info.namespaced && namespace === '') throw ApiError.badRequest(`ref.namespace is required: ${info.plural} are namespaced`);
  return { info, namespace: info.namespaced && namespace !== '' ? namespace : undefined, name: name === '' ? undefined : name };
}

function parseJson(bytes: unknown): unknown {
  const text = Buffer.isBuffer(bytes) ? bytes.toString('utf8') : '';
  if (text.trim() === '') throw ApiError.badRequest('the object is empty: expected JSON');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw ApiError.badRequest(`the object is not valid JSON: ${(error as Error).message}`);
  }
  checkJsonDepth(value, 'the object');
  return value;
}

function deleteOptions(request: WireObject): DeleteOptions {
  const options: { gracePeriodSeconds?: number; propagationPolicy?: DeleteOptions['propagationPolicy']; preconditions?: DeleteOptions['preconditions'] } = {};
  if (request.gracePeriodSeconds !== undefined && request.gracePeriodSeconds !== null) {
    const grace = Number(request.gracePeriodSeconds);
    if (!Number.isSafeInteger(grace) || grace < 0) throw ApiError.badRequest(`grace_period_seconds must be a non-negative integer, got ${String(request.gracePeriodSeconds)}`);
    options.gracePeriodSeconds = grace;
  }
  const policy = String(request.propagationPolicy ?? '');
  if (policy !== '') {
    if (policy !== 'Orphan' && policy !== 'Background' && policy !== 'Foreground') throw ApiError.badRequest(`propagation_policy must be Orphan, Background or Foreground, got "${policy}"`);
    options.propagationPolicy = policy;
  }
  const uid = String(request.preconditionUid ?? '');
  const resourceVersion = String(request.preconditionResourceVersion ?? '');
  if (uid !== '' || resourceVersion !== '') {
    options.preconditions = { ...(uid !== '' ? { uid } : {}), ...(resourceVersion !== '' ? { resourceVersion } : {}) };
  }
  return options;
}
