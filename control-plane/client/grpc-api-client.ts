/**
 * A client of the API server's gRPC front-end, for the scheduler, the controllers and the
 * node agents: the registry's operations with typed arguments, errors rebuilt as `ApiError`
 * (same reason, message and details as the server's), and watches as callbacks. A call the
 * server refuses with 429 TooManyRequests is sent again after the wait it asks for
 * (`too-many-requests.ts`); a refused watch ends with that error, for its owner to back off.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import type { ResourceInfo } from '../api/resources.js';
import type { ApiList, ApiObject, Status, WatchEvent } from '../api/types.js';
import { apiVersionOf } from '../api/resources.js';
import { objectsService } from '../apiserver/balsa-proto.js';
import { ApiError } from '../apiserver/errors.js';
import { STATUS_METADATA_KEY } from '../apiserver/grpc-server.js';
import type { DeleteOptions, ListOptions, WatchOptions } from '../apiserver/registry.js';
import type { WireObject } from '../../kv/server/etcd-proto.js';
import { MuxClient } from '../../kv/grpc-mux/index.js';
import { TOO_MANY_REQUESTS_ATTEMPTS_MAX, tooManyRequestsWaitMs } from './too-many-requests.js';
import type { ClientCredentials } from './client-credentials.js';

/** A unary call not answered within this long fails with 504 Timeout. */
export const API_REQUEST_TIMEOUT_MS = 30_000;

type Unary = (request: WireObject, metadata: grpc.Metadata, options: grpc.CallOptions, callback: (error: grpc.ServiceError | null, response?: WireObject) => void) => void;
interface ObjectsStub extends grpc.Client {
  Get: Unary;
  List: Unary;
  Create: Unary;
  Update: Unary;
  UpdateStatus: Unary;
  Patch: Unary;
  Delete: Unary;
  Bind: Unary;
  Watch(request: WireObject, metadata: grpc.Metadata): grpc.ClientReadableStream<WireObject>;
}

type Method = 'Get' | 'List' | 'Create' | 'Update' | 'UpdateStatus' | 'Patch' | 'Delete' | 'Bind';

/** A binding's answer. */
export interface BindingStatus {
  readonly kind: 'Status';
  readonly status: 'Success';
  readonly code: number;
}

export interface ApiWatch {
  cancel(): void;
}

export class GrpcApiClient {
  private readonly stub: ObjectsStub;
  /** The unary calls, on one stream when the server offers it (`kv/grpc-mux/`). */
  private readonly mux: MuxClient;
  private readonly token: string | undefined;

  /** `address` is the API server's gRPC `host:port`; TLS when `credentials` has a CA, a bearer token on every call when it has one. */
  constructor(address: string, credentials: ClientCredentials = {}) {
    const Objects = grpc.makeGenericClientConstructor(objectsService(), 'Objects');
    const channel = credentials.ca !== undefined ? grpc.credentials.createSsl(credentials.ca, credentials.key ?? null, credentials.cert ?? null) : grpc.credentials.createInsecure();
    this.stub = new Objects(address, channel, { 'grpc.enable_channelz': 0, 'grpc.max_receive_message_length': -1 }) as unknown as ObjectsStub;
    this.mux = new MuxClient(this.stub);
    this.token = credentials.token;
  }

  /** Fresh metadata for a call (grpc-js may change what it is given). */
  private metadata(): grpc.Metadata {
    const metadata = new grpc.Metadata();
    if (this.token !== undefined) metadata.set('authorization', `Bearer ${this.token}`);
    return metadata;
  }

  async get(info: ResourceInfo, namespace: string | undefined, name: string): Promise<ApiObject> {
    return objectOf(await this.call('Get', { ref: ref(info, namespace, name) }));
  }

  async list(info: ResourceInfo, namespace: string | undefined, options: ListOptions = {}): Promise<ApiList> {
    const response = await this.call('List', {
      ref: ref(info, namespace),
      labelSelector: options.labelSelector ?? '',
      fieldSelector: options.fieldSelector ?? '',
      limit: options.limit ?? 0,
      continue: options.continue ?? '',
    });
    const metadata: ApiList['metadata'] = { resourceVersion: String(response.resourceVersion) };
    if (response.continue !== '') metadata.continue = String(response.continue);
    return {
      apiVersion: apiVersionOf(info),
      kind: `${info.kind}List`,
      metadata,
      items: ((response.items as Buffer[] | undefined) ?? []).map((item) => JSON.parse(item.toString('utf8')) as ApiObject),
    };
  }

  async create(info: ResourceInfo, namespace: string | undefined, object: ApiObject): Promise<ApiObject> {
    return objectOf(await this.call('Create', { ref: ref(info, namespace), object: Buffer.from(JSON.stringify(object)) }));
  }

  /** Replaces the object named by its metadata (409 Conflict when its resourceVersion is not the current one). */
  async update(info: ResourceInfo, object: ApiObject): Promise<ApiObject> {
    return objectOf(await this.call('Update', { ref: ref(info, object.metadata.namespace, object.metadata.name), object: Buffer.from(JSON.stringify(object)) }));
  }

  /** Replaces the object's status. */
  async updateStatus(info: ResourceInfo, object: ApiObject): Promise<ApiObject> {
    return objectOf(await this.call('UpdateStatus', { ref: ref(info, object.metadata.namespace, object.metadata.name), object: Buffer.from(JSON.stringify(object)) }));
  }

  /** Applies a JSON merge patch (to the status when `status`). */
  async patch(info: ResourceInfo, namespace: string | undefined, name: string, patch: object, status = false): Promise<ApiObject> {
    return objectOf(await this.call('Patch', { ref: ref(info, namespace, name), mergePatch: Buffer.from(JSON.stringify(patch)), status }));
  }

  async delete(info: ResourceInfo, namespace: string | undefined, name: string, options: DeleteOptions = {}): Promise<ApiObject> {
    const request: WireObject = {
      ref: ref(info, namespace, name),
      propagationPolicy: options.propagationPolicy ?? '',
      preconditionUid: options.preconditions?.uid ?? '',
      preconditionResourceVersion: options.preconditions?.resourceVersion ?? '',
    };
    if (options.gracePeriodSeconds !== undefined) request.gracePeriodSeconds = options.gracePeriodSeconds;
    return objectOf(await this.call('Delete', request));
  }

  /**
   * Binds a pod to a node; answers the server's Status (Success), as Kubernetes' binding
   * does. ApiError Conflict when it is already bound (someone else scheduled it).
   */
  async bind(namespace: string, name: string, nodeName: string): Promise<BindingStatus> {
    return objectOf(await this.call('Bind', { ref: { group: '', version: 'v1', resource: 'pods', namespace, name }, nodeName })) as unknown as BindingStatus;
  }

  /**
   * Watches a collection (or, with `options.name`, one object). `onEnd` is called once when
   * the watch ends other than by `cancel()`: with the ApiError (410 Expired, 503), or with
   * an ApiError Timeout/ServiceUnavailable when the stream broke.
   */
  watch(info: ResourceInfo, namespace: string | undefined, options: WatchOptions, onEvent: (event: WatchEvent) => void, onEnd: (error: ApiError) => void): ApiWatch {
    const stream = this.stub.Watch({
      ref: ref(info, namespace, options.name),
      labelSelector: options.labelSelector ?? '',
      fieldSelector: options.fieldSelector ?? '',
      resourceVersion: options.resourceVersion ?? '',
    }, this.metadata());
    let cancelled = false;
    let ended = false;
    const end = (error: ApiError): void => {
      if (cancelled || ended) return;
      ended = true;
      onEnd(error);
    };
    stream.on('data', (message: WireObject) => {
      // A message is one event, or a batch of them in order.
      const batch = message.events as WireObject[] | undefined;
      for (const event of batch !== undefined && batch.length > 0 ? batch : [message]) {
        if (cancelled || ended) return;
        onEvent({ type: String(event.type) as WatchEvent['type'], object: JSON.parse((event.object as Buffer).toString('utf8')) as ApiObject });
      }
    });
    stream.on('error', (error: grpc.ServiceError) => {
      if (error.code !== grpc.status.CANCELLED || !cancelled) end(fromServiceError(error));
    });
    stream.on('end', () => end(ApiError.unavailable('the watch stream ended')));
    return {
      cancel: () => {
        cancelled = true;
        stream.cancel();
      },
    };
  }

  close(): void {
    this.mux.close();
    this.stub.close();
  }

  /**
   * One call; refused with 429 TooManyRequests (RESOURCE_EXHAUSTED), sent again after the
   * wait the server asked for, with back-off (`too-many-requests.ts`): the server did nothing.
   */
  private async call(method: Method, request: WireObject): Promise<WireObject> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.callOnce(method, request);
      } catch (error) {
        if (!(error instanceof ApiError) || error.reason !== 'TooManyRequests' || attempt >= TOO_MANY_REQUESTS_ATTEMPTS_MAX) throw error;
        await sleep(tooManyRequestsWaitMs(attempt, error.details?.retryAfterSeconds));
      }
    }
  }

  private callOnce(method: Method, request: WireObject): Promise<WireObject> {
    return new Promise((resolve, reject) => {
      const definition = objectsService()[method] as grpc.MethodDefinition<WireObject, WireObject>;
      this.mux.unary(definition, request, this.metadata(), { deadline: Date.now() + API_REQUEST_TIMEOUT_MS }, (error, response) => (error ? reject(fromServiceError(error)) : resolve(response ?? {})));
    });
  }
}

function ref(info: ResourceInfo, namespace: string | undefined, name?: string): WireObject {
  return { group: info.group, version: info.version, resource: info.plural, namespace: namespace ?? '', name: name ?? '' };
}

function objectOf(response: WireObject): ApiObject {
  return JSON.parse((response.object as Buffer).toString('utf8')) as ApiObject;
}

/** The server's ApiError when it sent its Status; else one for the transport failure. */
export function fromServiceError(error: grpc.ServiceError): ApiError {
  const raw = error.metadata?.get(STATUS_METADATA_KEY)[0];
  if (raw !== undefined) {
    try {
      return ApiError.fromStatus(JSON.parse(Buffer.isBuffer(raw) ? raw.toString('utf8') : raw) as Status);
    } catch {
      // Not a Status: fall through to the transport's words.
    }
  }
  if (error.code === grpc.status.DEADLINE_EXCEEDED) return ApiError.timeout(`the API server did not answer in time: ${error.details}`);
  if (error.code === grpc.status.UNAVAILABLE) return ApiError.unavailable(`the API server is unavailable: ${error.details}`);
  return ApiError.internal(error.details || error.message);
}
