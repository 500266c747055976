/**
 * Calls made on a follower that only the leader can answer (membership changes, lease
 * keep-alives and time-to-live) are forwarded to the leader's client URL, as etcd
 * forwards them to its leader. An https:// URL is dialled over TLS with this member's
 * client TLS (`--cert-file` presented as a client certificate, `--trusted-ca-file`
 * verifying the leader's), as etcd's own gateway dials its member. A forwarded call carries `FORWARDED_FROM_METADATA`; a
 * member that receives one and is not the leader (leadership moved meanwhile) answers
 * "not leader" rather than forwarding again, so a call makes at most one hop.
 */
import * as grpc from '@grpc/grpc-js';
import { grpcChannelCredentials } from '../security/tls-files.js';
import type { TlsMaterial } from '../security/tls-files.js';
import { MAX_FORWARDING_CLIENTS } from './constants.js';
import { loadEtcdProto } from './etcd-proto.js';
import type { EtcdServiceName, WireObject } from './etcd-proto.js';
import { EtcdServerError } from './etcd-errors.js';

export const FORWARDED_FROM_METADATA = 'balsa-forwarded-from';

/** Whether a call was forwarded by another member. */
export function isForwarded(metadata: grpc.Metadata): boolean {
  return metadata.get(FORWARDED_FROM_METADATA).length > 0;
}

/**
 * What the leader's failure means to our caller: an etcd error passes through unchanged;
 * a deadline is etcd's timeout; anything else (the leader unreachable, gone) is a leader
 * change, which clients retry.
 */
export function forwardingError(error: grpc.ServiceError): EtcdServerError {
  if (error.details.startsWith('etcdserver:')) return new EtcdServerError('applied', { grpcCode: error.code, message: error.details });
  if (error.code === grpc.status.DEADLINE_EXCEEDED) return new EtcdServerError('timeout');
  return new EtcdServerError('leaderChanged');
}

export class LeaderForwarder {
  /** Clients by URL, oldest first. */
  private readonly clients = new Map<string, grpc.Client>();
  private closed = false;

  /** `tls`: this member's client TLS, for leaders' https:// URLs (without it, the system's roots and no certificate). */
  constructor(
    private readonly memberId: number,
    private readonly tls?: TlsMaterial,
  ) {}

  /**
   * `service.method(request)` on the member at client URL `address`, by `deadlineMs`
   * (epoch ms), with the client's auth `token` if it gave one (tokens are known to every
   * member: the leader checks the client's rights itself).
   */
  unary(address: string, service: EtcdServiceName, method: string, request: WireObject, deadlineMs: number, token: string | null = null): Promise<WireObject> {
    const definition = this.definition(service, method);
    const client = this.client(address);
    return new Promise((resolve, reject) => {
      client.makeUnaryRequest(
        definition.path,
        definition.requestSerialize,
        definition.responseDeserialize,
        request,
        this.metadata(token),
        { deadline: deadlineMs },
        (error, response) => (error ? reject(forwardingError(error)) : resolve(response!)),
      );
    });
  }

  /** A bidirectional `service.method` stream to the member at `address`. */
  bidi(address: string, service: EtcdServiceName, method: string, token: string | null = null): grpc.ClientDuplexStream<WireObject, WireObject> {
    const definition = this.definition(service, method);
    return this.client(address).makeBidiStreamRequest(definition.path, definition.requestSerialize, definition.responseDeserialize, this.metadata(token));
  }

  close(): void {
    this.closed = true;
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }

  private metadata(token: string | null): grpc.Metadata {
    const metadata = new grpc.Metadata();
    metadata.set(FORWARDED_FROM_METADATA, BigInt(this.memberId).toString(16));
    if (token !== null) metadata.set('token', token);
    return metadata;
  }

  private definition(service: EtcdServiceName, method: string): grpc.MethodDefinition<WireObject, WireObject> {
    const definition = loadEtcdProto().services[service][method] as grpc.MethodDefinition<WireObject, WireObject> | undefined;
    if (definition === undefined) throw new Error(`etcd proto has no ${service}.${method}`);
    return definition;
  }

  private client(address: string): grpc.Client {
    if (this.closed) throw new EtcdServerError('stopped');
    const existing = this.clients.get(address);
    if (existing !== undefined) return existing;
    if (this.clients.size >= MAX_FORWARDING_CLIENTS) {
      const [oldest, client] = this.clients.entries().next().value as [string, grpc.Client];
      client.close();
      this.clients.delete(oldest);
    }
    const url = new URL(address);
    const secure = url.protocol === 'https:';
    const credentials = !secure ? grpc.credentials.createInsecure() : this.tls === undefined ? grpc.credentials.createSsl() : grpcChannelCredentials(this.tls);
    const client = new grpc.Client(url.host, credentials, { 'grpc.max_receive_message_length': -1 });
    this.clients.set(address, client);
    return client;
  }
}
