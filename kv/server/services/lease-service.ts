/**
 * etcd's Lease service. Grants and revokes go through Raft from any member (the id is
 * picked before proposing). Only the leader knows deadlines, so keep-alives and
 * time-to-live questions that reach a follower are forwarded to the leader's client URL,
 * as etcd forwards them; the answers carry this member's header.
 */
import * as grpc from '@grpc/grpc-js';
import { validateGrant } from '../../lease/index.js';
import { int64ToBigInt } from '../etcd-proto.js';
import type { Int64Value, WireObject } from '../etcd-proto.js';
import { etcdStatus, EtcdServerError } from '../etcd-errors.js';
import { forwardingError, isForwarded } from '../leader-forwarder.js';
import { leaseGrantCost } from '../quota.js';
import { deadlineOf, revisionAfter } from '../server-context.js';
import type { KvServerContext } from '../server-context.js';
import { onLeader, requesterOf, tokenOf, unary } from './handlers.js';

const leaseIdOf = (r: WireObject): bigint => int64ToBigInt((r.ID ?? '0') as Int64Value, 'ID');

export function leaseService(context: KvServerContext): grpc.UntypedServiceImplementation {
  return {
    LeaseGrant: unary(context, (r) => leaseGrant(context, r)),
    LeaseRevoke: unary(context, async (r, call) => {
      const requester = requesterOf(context, call.metadata);
      const result = await context.propose({ kind: 'leaseRevoke', id: leaseIdOf(r), requester });
      return { header: context.header(revisionAfter(result)) };
    }),
    LeaseKeepAlive: (call: grpc.ServerDuplexStream<WireObject, WireObject>) => leaseKeepAlive(context, call),
    LeaseTimeToLive: unary(context, (r, call) =>
      onLeader(
        context,
        call,
        () => leaseTimeToLive(context, r),
        async (leader, deadline) => ({ ...(await context.forwarder.unary(leader, 'Lease', 'LeaseTimeToLive', r, deadline, tokenOf(call.metadata))), header: context.header() }),
      ),
    ),
    LeaseLeases: unary(context, async () => ({
      header: context.header(),
      leases: context.machine.lessor.leaseIds().map((id) => ({ ID: id.toString() })),
    })),
  };
}

async function leaseGrant(context: KvServerContext, r: WireObject): Promise<WireObject> {
  const requested = leaseIdOf(r);
  const id = requested === 0n ? context.leaseIds.next() : requested;
  const ttl = Number(r.TTL ?? 0);
  validateGrant(id, ttl);
  await context.checkQuota(leaseGrantCost);
  const result = await context.propose({ kind: 'leaseGrant', id, ttlSeconds: ttl });
  if (result.kind !== 'leaseGrant') throw new Error(`a lease grant answered ${result.kind}`);
  return { header: context.header(result.revision), ID: result.lease.id.toString(), TTL: result.lease.ttlSeconds, error: '' };
}

/** On the leader: the remaining TTL from its lessor (TTL -1 for an unknown lease, as etcd answers). */
async function leaseTimeToLive(context: KvServerContext, r: WireObject): Promise<WireObject> {
  await context.linearizable();
  const id = leaseIdOf(r);
  if (!context.machine.lessor.has(id)) return { header: context.header(), ID: id.toString(), TTL: -1, grantedTTL: 0, keys: [] };
  const ttl = context.machine.lessor.timeToLive(id);
  const keys = r.keys === true ? context.machine.store.keysWithLease(id) : [];
  return { header: context.header(), ID: id.toString(), TTL: ttl.ttlSeconds, grantedTTL: ttl.grantedTtlSeconds, keys };
}

/**
 * On the leader: renew, answering TTL 0 for a lease unknown or expired (etcd's answer,
 * which clients read as gone). A renewed lease's checkpointed remaining TTL is void: the
 * other members are told to forget it too (a checkpoint of 0), as etcd does.
 */
function renewLocally(context: KvServerContext, id: bigint): WireObject {
  let ttl = 0;
  try {
    if (context.machine.lessor.has(id)) {
      const renewed = context.machine.lessor.renew(id);
      ttl = renewed.ttlSeconds;
      if (renewed.clearCheckpoint) {
        void context.propose({ kind: 'leaseCheckpoint', checkpoints: [{ id, remainingTtlSeconds: 0 }] }).catch(() => undefined);
      }
    }
  } catch {
    ttl = 0;
  }
  return { header: context.header(), ID: id.toString(), TTL: ttl };
}

/**
 * Each request answered in order: by this member while it leads, else by the leader
 * through one upstream stream opened when first needed (and again after it fails).
 */
function leaseKeepAlive(context: KvServerContext, call: grpc.ServerDuplexStream<WireObject, WireObject>): void {
  if (context.isLearner()) {
    call.destroy(etcdStatus(new EtcdServerError('notSupportedForLearner')) as unknown as Error);
    return;
  }
  let upstream: grpc.ClientDuplexStream<WireObject, WireObject> | null = null;
  let finished = false;
  /** Requests sent upstream and not yet answered; the client's end waits for them. */
  let awaitingUpstream = 0;
  let clientEnded = false;
  const maybeEnd = (): void => {
    if (finished || !clientEnded || awaitingUpstream > 0) return;
    finished = true;
    upstream?.end();
    call.end();
  };
  const fail = (error: unknown): void => {
    if (finished) return;
    finished = true;
    upstream?.cancel();
    call.destroy(etcdStatus(error) as unknown as Error);
  };
  const openUpstream = async (): Promise<grpc.ClientDuplexStream<WireObject, WireObject>> => {
    if (upstream !== null) return upstream;
    const address = await context.leaderClientUrl(deadlineOf(call, context));
    const stream = context.forwarder.bidi(address, 'Lease', 'LeaseKeepAlive', tokenOf(call.metadata));
    stream.on('data', (response: WireObject) => {
      awaitingUpstream = Math.max(0, awaitingUpstream - 1);
      if (!finished) call.write({ header: context.header(), ID: response.ID, TTL: response.TTL });
      maybeEnd();
    });
    stream.on('error', (error: grpc.ServiceError) => {
      if (upstream === stream) upstream = null;
      if (error.code !== grpc.status.CANCELLED) fail(forwardingError(error));
    });
    stream.on('end', () => {
      // The leader closed its side: what it did not answer never will be.
      if (upstream === stream) upstream = null;
      awaitingUpstream = 0;
      maybeEnd();
    });
    upstream = stream;
    return stream;
  };
  // One request at a time, so that answers keep the requests' order.
  let queue = Promise.resolve();
  call.on('data', (request: WireObject) => {
    queue = queue.then(async () => {
      if (finished) return;
      try {
        const id = leaseIdOf(request);
        await context.waitForLeader(deadlineOf(call, context));
        if (context.isLeader()) {
          call.write(renewLocally(context, id));
        } else if (isForwarded(call.metadata)) {
          throw new EtcdServerError('notLeader');
        } else {
          const stream = await openUpstream();
          awaitingUpstream++;
          stream.write({ ID: id.toString() });
        }
      } catch (error) {
        fail(error);
      }
    });
  });
  call.on('end', () => {
    void queue.then(() => {
      clientEnded = true;
      maybeEnd();
    });
  });
  call.on('cancelled', () => {
    finished = true;
    upstream?.cancel();
  });
  call.on('error', () => {
    finished = true;
    upstream?.cancel();
  });
}
