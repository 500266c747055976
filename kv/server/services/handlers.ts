/**
 * How a gRPC call becomes a handler's promise: etcd's errors as gRPC statuses, and what
 * etcd 3.4 lets a learner serve (Status and serializable Range; everything else answers
 * "rpc not supported for learner"), and who the caller is (its auth token).
 */
import type * as grpc from '@grpc/grpc-js';
import { AuthError } from '../../auth/index.js';
import type { Requester } from '../commands.js';
import type { WireObject } from '../etcd-proto.js';
import { etcdStatus, EtcdServerError } from '../etcd-errors.js';
import { isForwarded } from '../leader-forwarder.js';
import { deadlineOf } from '../server-context.js';
import type { KvServerContext } from '../server-context.js';

export type UnaryCall = grpc.ServerUnaryCall<WireObject, WireObject>;
export type UnaryHandler = (request: WireObject, call: UnaryCall) => Promise<WireObject>;

/** Whether a learner may serve a request. */
export type LearnerAccess = 'refused' | 'allowed' | ((request: WireObject) => boolean);

export function unary(context: KvServerContext, handler: UnaryHandler, learner: LearnerAccess = 'refused'): grpc.handleUnaryCall<WireObject, WireObject> {
  return (call, callback) => {
    const run = async (): Promise<WireObject> => {
      if (context.isLearner() && !(learner === 'allowed' || (typeof learner === 'function' && learner(call.request)))) {
        throw new EtcdServerError('notSupportedForLearner');
      }
      return handler(call.request, call);
    };
    run().then(
      (response) => callback(null, response),
      (error: unknown) => callback(etcdStatus(error)),
    );
  };
}

/**
 * Runs `local` on the leader; on a follower, `remote` with the leader's client URL
 * (a call forwarded to us while we are not the leader answers "not leader": one hop).
 * Waits for a leader up to the call's deadline.
 */
export async function onLeader<T>(
  context: KvServerContext,
  call: { readonly metadata: grpc.Metadata; getDeadline(): grpc.Deadline },
  local: () => Promise<T>,
  remote: (leaderUrl: string, deadlineMs: number) => Promise<T>,
): Promise<T> {
  const deadline = deadlineOf(call, context);
  await context.waitForLeader(deadline);
  if (context.isLeader()) return local();
  if (isForwarded(call.metadata)) throw new EtcdServerError('notLeader');
  return remote(await context.leaderClientUrl(deadline), deadline);
}

/** The metadata a client sends its auth token in (etcd's `token`; `authorization` from its HTTP gateway). */
const TOKEN_METADATA_KEYS = ['token', 'authorization'] as const;

/** The auth token a call carries, if any. */
export function tokenOf(metadata: grpc.Metadata): string | null {
  for (const key of TOKEN_METADATA_KEYS) {
    const value = metadata.get(key)[0];
    if (typeof value === 'string' && value !== '') return value;
  }
  return null;
}

/**
 * Who makes a call: the user its token names on this member, or no user when it carries
 * none. A token this member does not know (expired, issued before a restart, made up) is
 * "invalid auth token", as etcd answers, whether auth is on or not.
 */
export function requesterOf(context: Pick<KvServerContext, 'machine'>, metadata: grpc.Metadata): Requester {
  const token = tokenOf(metadata);
  if (token === null) return { user: null };
  const user = context.machine.tokens.lookup(token);
  if (user === null) throw new AuthError('INVALID_AUTH_TOKEN');
  return { user };
}
