/**
 * The errors a KV member answers with, as etcd does: a gRPC status code and etcd's exact
 * message text, which clients match on (etcd's `api/v3rpc/rpctypes`).
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { StatusObject } from '@grpc/grpc-js';
import { Metadata } from '@grpc/grpc-js';
import type { RaftError } from '../../raft/index.js';
import type { EtcdFailure } from './kv-state-machine.js';

const SERVER_ERRORS = {
  noLeader: { grpcCode: GrpcStatus.UNAVAILABLE, message: 'etcdserver: no leader' },
  notLeader: { grpcCode: GrpcStatus.UNAVAILABLE, message: 'etcdserver: not leader' },
  leaderChanged: { grpcCode: GrpcStatus.UNAVAILABLE, message: 'etcdserver: leader changed' },
  timeout: { grpcCode: GrpcStatus.UNAVAILABLE, message: 'etcdserver: request timed out' },
  stopped: { grpcCode: GrpcStatus.UNAVAILABLE, message: 'etcdserver: server stopped' },
  tooManyRequests: { grpcCode: GrpcStatus.RESOURCE_EXHAUSTED, message: 'etcdserver: too many requests' },
  requestTooLarge: { grpcCode: GrpcStatus.INVALID_ARGUMENT, message: 'etcdserver: request is too large' },
  noSpace: { grpcCode: GrpcStatus.RESOURCE_EXHAUSTED, message: 'etcdserver: mvcc: database space exceeded' },
} as const satisfies Record<string, EtcdFailure>;

export type ServerErrorKind = keyof typeof SERVER_ERRORS | 'applied';

/** An error to answer a client with. */
export class EtcdServerError extends Error {
  readonly grpcCode: number;
  constructor(kind: ServerErrorKind, failure?: EtcdFailure) {
    const f = kind === 'applied' ? failure! : SERVER_ERRORS[kind];
    super(f.message);
    this.grpcCode = f.grpcCode;
    this.name = 'EtcdServerError';
  }
}

/** What a Raft refusal means to an etcd client. */
export function fromRaftError(error: RaftError): EtcdServerError {
  switch (error.code) {
    case 'PROPOSAL_DROPPED':
      return new EtcdServerError('noLeader');
    case 'LEADERSHIP_LOST':
      return new EtcdServerError('leaderChanged');
    case 'REQUEST_TIMEOUT':
      return new EtcdServerError('timeout');
    case 'TOO_MANY_REQUESTS':
      return new EtcdServerError('tooManyRequests');
    case 'NODE_STOPPED':
      return new EtcdServerError('stopped');
    default:
      return new EtcdServerError('applied', { grpcCode: GrpcStatus.INTERNAL, message: error.message });
  }
}

/** A gRPC status for any error: etcd's when it is one, else INTERNAL. */
export function etcdStatus(error: unknown): Partial<StatusObject> {
  const grpcCode = (error as { grpcCode?: unknown }).grpcCode;
  const message = error instanceof Error ? error.message : String(error);
  return { code: typeof grpcCode === 'number' ? grpcCode : GrpcStatus.INTERNAL, details: message, metadata: new Metadata() };
}
