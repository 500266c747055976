/**
 * A minimal etcd v3 client over grpc-js for tests that must see exactly what the server
 * answered: one call, one answer or one error, never a retry (a retried write could apply
 * twice, which a history checker would rightly call an anomaly). Messages are the plain
 * objects of `kv/server/etcd-proto.ts` (int64 as decimal strings, bytes as Buffers).
 */
import * as grpc from '@grpc/grpc-js';
import { loadEtcdProto } from '../../kv/server/etcd-proto.js';
import type { EtcdServiceName, WireObject } from '../../kv/server/etcd-proto.js';

/** Reconnect quickly to a member that comes back (grpc-js's default backoff grows to 2 minutes). */
const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.min_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 1000,
  'grpc.max_receive_message_length': 64 * 1024 * 1024,
};

/** A failed call: its gRPC status code and details (etcd's message text). */
export class EtcdCallError extends Error {
  constructor(
    readonly code: grpc.status,
    readonly details: string,
    readonly method: string,
  ) {
    super(`${method}: ${grpc.status[code] ?? code}: ${details}`);
    this.name = 'EtcdCallError';
  }
}

type UnaryMethod = (request: WireObject, metadata: grpc.Metadata, options: grpc.CallOptions, callback: (error: grpc.ServiceError | null, response?: WireObject) => void) => void;

/** How long a call may take unless told otherwise, in ms. */
export const ETCD_CALL_TIMEOUT_MS = 10_000;

/** One member's client API. */
export class EtcdGrpcClient {
  private readonly clients = new Map<EtcdServiceName, grpc.Client>();

  constructor(readonly endpoint: string) {}

  /** One unary call with a deadline `timeoutMs` from now (and `metadata`, say an auth token); rejects with `EtcdCallError`. */
  call(service: EtcdServiceName, method: string, request: WireObject = {}, timeoutMs = ETCD_CALL_TIMEOUT_MS, metadata = new grpc.Metadata()): Promise<WireObject> {
    const client = this.client(service) as unknown as Record<string, UnaryMethod | undefined>;
    const unary = client[method];
    if (unary === undefined) throw new Error(`etcd proto has no ${service}.${method}`);
    return new Promise((resolve, reject) => {
      unary.call(client, request, metadata, { deadline: Date.now() + timeoutMs }, (error, response) => {
        if (error) reject(new EtcdCallError(error.code, error.details, `${service}.${method}`));
        else resolve(response ?? {});
      });
    });
  }

  /** A new Watch stream (write create/cancel/progress requests, read responses). */
  watch(): grpc.ClientDuplexStream<WireObject, WireObject> {
    const client = this.client('Watch') as unknown as { Watch: () => grpc.ClientDuplexStream<WireObject, WireObject> };
    return client.Watch();
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }

  private client(service: EtcdServiceName): grpc.Client {
    let client = this.clients.get(service);
    if (client === undefined) {
      const Constructor = grpc.makeGenericClientConstructor(loadEtcdProto().services[service], service);
      client = new Constructor(this.endpoint, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
      this.clients.set(service, client);
    }
    return client;
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
