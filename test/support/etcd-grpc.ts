/**
 * Raw etcd v3 gRPC clients for tests (grpc-js with etcd's schema, `kv/server/etcd-proto.ts`):
 * a unary caller per endpoint for the KV and Maintenance services, with messages in the
 * shape that module describes (camelCase fields, int64s as decimal strings, bytes as
 * Buffers). A failed call rejects with the gRPC error (`code`, `details`).
 */
import * as grpc from '@grpc/grpc-js';
import { loadEtcdProto } from '../../kv/server/etcd-proto.js';
import type { WireObject } from '../../kv/server/etcd-proto.js';

/** Default deadline of a call. */
const CALL_TIMEOUT_MS = 5_000;

/** Calls one method of a service on one endpoint. */
export type Unary = (method: string, request: WireObject) => Promise<WireObject>;

export interface EtcdGrpcClients {
  /** One caller per endpoint, in the order given. */
  readonly kv: Unary[];
  readonly maintenance: Unary[];
  close(): void;
}

export function etcdGrpcClients(endpoints: readonly string[], timeoutMs = CALL_TIMEOUT_MS): EtcdGrpcClients {
  const { services } = loadEtcdProto();
  const opened: grpc.Client[] = [];
  const callers = (service: 'KV' | 'Maintenance'): Unary[] => {
    const Constructor = grpc.makeGenericClientConstructor(services[service], service);
    return endpoints.map((endpoint) => {
      const client = new Constructor(endpoint.replace(/^https?:\/\//, ''), grpc.credentials.createInsecure());
      opened.push(client);
      const methods = client as unknown as Record<string, (r: WireObject, o: grpc.CallOptions, cb: (e: Error | null, r?: WireObject) => void) => void>;
      return (method, request) =>
        new Promise((resolve, reject) => {
          const call = methods[method];
          if (call === undefined) throw new Error(`no method ${service}.${method}`);
          call.call(client, request, { deadline: Date.now() + timeoutMs }, (error, response) => (error ? reject(error) : resolve(response!)));
        });
    });
  };
  return { kv: callers('KV'), maintenance: callers('Maintenance'), close: () => opened.forEach((client) => client.close()) };
}
