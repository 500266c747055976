/**
 * The errors a KV member answers with, as etcd does: a gRPC status code and etcd's exact
 * message text, which clients match on (etcd's `api/v3rpc/rpctypes`; an error etcd's
 * `togRPCError` does not map keeps its text under code UNKNOWN, as the leader transfer
 * timeout does).
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { StatusObject } from '@grpc/grpc-js';
import { Metadata } from '@grpc/grpc-js';
import type { RaftError } from '../../raft/index.js';

/** An etcd error as the client will see it: a gRPC status code and etcd's exact text. */
export interface EtcdFailure {
  readonly grpcCode: number;
  readonly message: string;
}

const SERVER_ERRORS = {
  noLeader: { grpcCode: GrpcStatus.UNAVAILABLE, message: 'etcdserver: no leader' },
  notLeader: { grpcCode: GrpcStatus.FAILED_PRECONDITION, message: 'etcdserver: not leader' },
  leaderChanged: { grpcCode: GrpcStatus.UNAVAILABLE, message: 'etcdserver: leader changed' },
  timeout: { grpcCode: GrpcStatus.UNAVAILABLE, message: 'etcdserver: request timed out' },
  timeoutLeaderTransfer: { grpcCode: GrpcStatus.UNKNOWN, message: 'etcdserver: request timed out, leader transfer took too long' },
  stopped: { grpcCode: GrpcStatus.UNAVAILABLE, message: 'etcdserver: server stopped' },
  unhealthy: { grpcCode: GrpcStatus.UNAVAILABLE, message: 'etcdserver: unhealthy cluster' },
  tooManyRequests: { grpcCode: GrpcStatus.RESOURCE_EXHAUSTED, message: 'etcdserver: too many requests' },
  requestTooLarge: { grpcCode: GrpcStatus.INVALID_ARGUMENT, message: 'etcdserver: request is too large' },
  noSpace: { grpcCode: GrpcStatus.RESOURCE_EXHAUSTED, message: 'etcdserver: mvcc: database space exceeded' },
  corrupt: { grpcCode: GrpcStatus.DATA_LOSS, message: 'etcdserver: corrupt cluster' },
  leaseNotFound: { grpcCode: GrpcStatus.NOT_FOUND, message: 'etcdserver: requested lease not found' },
  notSupportedForLearner: { grpcCode: GrpcStatus.UNAVAILABLE, message: 'etcdserver: rpc not supported for learner' },
  badLeaderTransferee: { grpcCode: GrpcStatus.FAILED_PRECONDITION, message: 'etcdserver: bad leader transferee' },
  memberExist: { grpcCode: GrpcStatus.FAILED_PRECONDITION, message: 'etcdserver: member ID already exist' },
  peerUrlExist: { grpcCode: GrpcStatus.FAILED_PRECONDITION, message: 'etcdserver: Peer URLs already exists' },
  memberNotEnoughStarted: { grpcCode: GrpcStatus.FAILED_PRECONDITION, message: 'etcdserver: re-configuration failed due to not enough started members' },
  memberBadUrls: { grpcCode: GrpcStatus.INVALID_ARGUMENT, message: 'etcdserver: given member URLs are invalid' },
  memberNotFound: { grpcCode: GrpcStatus.NOT_FOUND, message: 'etcdserver: member not found' },
  memberNotLearner: { grpcCode: GrpcStatus.FAILED_PRECONDITION, message: 'etcdserver: can only promote a learner member' },
  learnerNotReady: { grpcCode: GrpcStatus.FAILED_PRECONDITION, message: 'etcdserver: can only promote a learner member which is in sync with leader' },
} as const satisfies Record<string, EtcdFailure>;

export type ServerErrorKind = keyof typeof SERVER_ERRORS | 'applied';

/** etcd's failure for `kind` (its code and text), e.g. for a state machine result. */
export function etcdFailure(kind: keyof typeof SERVER_ERRORS): EtcdFailure {
  return SERVER_ERRORS[kind];
}

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

/** Why a member refuses to start (etcd refuses the same, with the same words). */
export type KvStartErrorCode =
  /** No member named in `--initial-cluster` answered with the cluster's member list. */
  | 'CLUSTER_UNREACHABLE'
  /** `--initial-cluster` does not list the cluster's members (say, this one was never added with `member add`). */
  | 'CLUSTER_MISMATCH'
  /** A TLS certificate, key or CA file cannot be read, or an https:// client URL has none. */
  | 'TLS_FILES';

/** A member that cannot start: it stops before it has started anything or written to its data directory. */
export class KvStartError extends Error {
  /** Only an unreachable cluster may answer later; a mismatch needs the operator. */
  readonly retryable: boolean;
  constructor(
    readonly code: KvStartErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'KvStartError';
    this.retryable = code === 'CLUSTER_UNREACHABLE';
  }
}

/** What a Raft refusal means to an etcd client. */
export function fromRaftError(error: RaftError): EtcdServerError {
  switch (error.code) {
    case 'PROPOSAL_DROPPED':
      return new EtcdServerError('noLeader');
    case 'NOT_LEADER':
      return new EtcdServerError('notLeader');
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
