/**
 * etcd's Cluster service. MemberList answers from this member's view; the changes run on
 * the leader (`Membership`), forwarded there from a follower, which then waits until it
 * has applied the change itself, so that a `member list` that follows on this member
 * shows it (etcdctl's `member add` lists the members right after).
 */
import type * as grpc from '@grpc/grpc-js';
import { int64ToBigInt } from '../etcd-proto.js';
import type { Int64Value, WireObject } from '../etcd-proto.js';
import { EtcdServerError } from '../etcd-errors.js';
import { wireMember } from '../members.js';
import type { Membership } from '../membership.js';
import type { KvServerContext } from '../server-context.js';
import { onLeader, requesterOf, tokenOf, unary } from './handlers.js';
import type { UnaryCall } from './handlers.js';

/** A member id from the wire; one that is not a safe integer names no member of ours. */
function memberIdOfRequest(r: WireObject): number {
  const id = int64ToBigInt((r.ID ?? '0') as Int64Value, 'ID');
  if (id <= 0n || id > BigInt(Number.MAX_SAFE_INTEGER)) throw new EtcdServerError('memberNotFound');
  return Number(id);
}

export function clusterService(context: KvServerContext, membership: Membership): grpc.UntypedServiceImplementation {
  const members = () => context.members().map(wireMember);
  /** On the leader `local`; else the leader's answer with our header, once we have applied it too. */
  const change = (method: string, local: (r: WireObject) => Promise<WireObject>) =>
    unary(context, (r: WireObject, call: UnaryCall) => {
      // etcd lets only root change the membership once auth is on.
      context.machine.auth.checkAdmin(requesterOf(context, call.metadata).user);
      return onLeader(
        context,
        call,
        async () => {
          const body = await local(r);
          return { header: context.header(), ...body };
        },
        async (leader, deadline) => {
          const response = await context.forwarder.unary(leader, 'Cluster', method, r, deadline, tokenOf(call.metadata));
          await context.linearizable().catch(() => undefined);
          return { ...response, header: context.header() };
        },
      );
    });
  return {
    MemberList: unary(context, async () => ({ header: context.header(), members: members() })),
    MemberAdd: change('MemberAdd', async (r) => {
      const peerUrls = Array.isArray(r.peerURLs) ? (r.peerURLs as string[]) : [];
      const member = await membership.add(peerUrls, r.isLearner === true);
      return { member: wireMember(member), members: members() };
    }),
    MemberRemove: change('MemberRemove', async (r) => {
      await membership.remove(memberIdOfRequest(r));
      return { members: members() };
    }),
    MemberUpdate: change('MemberUpdate', async (r) => {
      await membership.update(memberIdOfRequest(r), Array.isArray(r.peerURLs) ? (r.peerURLs as string[]) : []);
      return { members: members() };
    }),
    MemberPromote: change('MemberPromote', async (r) => {
      await membership.promote(memberIdOfRequest(r));
      return { members: members() };
    }),
  };
}
