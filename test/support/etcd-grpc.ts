/**
 * Calls to etcd's v3 gRPC API from tests, without etcdctl: for what etcdctl cannot do
 * (activate an alarm), for many writes at once (a process per etcdctl call is slow on a
 * busy box), and for the cluster helpers' readiness checks. Requests and responses are
 * the plain objects of `kv/server/etcd-proto.ts` (camelCase fields, int64s as strings,
 * bytes as Buffers, enums as names).
 */
import * as grpc from '@grpc/grpc-js';
import { loadEtcdProto } from '../../kv/server/etcd-proto.js';
import type { EtcdServiceName, WireObject } from '../../kv/server/etcd-proto.js';

/** How long a call may take unless told otherwise, in ms. */
export const ETCD_CALL_TIMEOUT_MS = 10_000;

/** A client of one member's client API; `close()` it when done. */
export class EtcdGrpcClient {
  private readonly client: grpc.Client;

  constructor(readonly endpoint: string) {
    this.client = new grpc.Client(endpoint, grpc.credentials.createInsecure());
  }

  /** `service.method(request)`; rejects with the `grpc.ServiceError` the member answered. */
  call(service: EtcdServiceName, method: string, request: WireObject = {}, timeoutMs = ETCD_CALL_TIMEOUT_MS): Promise<WireObject> {
    const definition = loadEtcdProto().services[service][method] as grpc.MethodDefinition<WireObject, WireObject> | undefined;
    if (definition === undefined) throw new Error(`etcd proto has no ${service}.${method}`);
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        definition.path,
        definition.requestSerialize,
        definition.responseDeserialize,
        request,
        new grpc.Metadata(),
        { deadline: Date.now() + timeoutMs },
        (error, response) => (error ? reject(error) : resolve(response!)),
      );
    });
  }

  close(): void {
    this.client.close();
  }
}

/** One call on a client made for it. */
export async function etcdCall(endpoint: string, service: EtcdServiceName, method: string, request: WireObject = {}, timeoutMs?: number): Promise<WireObject> {
  const client = new EtcdGrpcClient(endpoint);
  try {
    return await client.call(service, method, request, timeoutMs);
  } finally {
    client.close();
  }
}

/** Calls one method of a service on one endpoint. */
export type Unary = (method: string, request: WireObject) => Promise<WireObject>;

/** Unary callers of the KV and Maintenance services, one per endpoint in the order given. */
export interface EtcdGrpcClients {
  readonly kv: Unary[];
  readonly maintenance: Unary[];
  close(): void;
}

/** A client per endpoint (an `http://` scheme is dropped), shaped as per-service callers. */
export function etcdGrpcClients(endpoints: readonly string[], timeoutMs = ETCD_CALL_TIMEOUT_MS): EtcdGrpcClients {
  const clients = endpoints.map((endpoint) => new EtcdGrpcClient(endpoint.replace(/^https?:\/\//, '')));
  const callers = (service: EtcdServiceName): Unary[] => clients.map((client) => (method, request) => client.call(service, method, request, timeoutMs));
  return { kv: callers('KV'), maintenance: callers('Maintenance'), close: () => clients.forEach((client) => client.close()) };
}
