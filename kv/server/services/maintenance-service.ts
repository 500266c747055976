/**
 * etcd's Maintenance service: Status, Alarm (list, activate, deactivate, through Raft),
 * Defragment (nothing to do for an in-memory store: it answers OK), Hash and HashKV,
 * Snapshot (the state as etcd's backend database, streamed as etcd streams it: see
 * `etcd-snapshot.ts`) and MoveLeader (on the leader, as etcd requires).
 *
 * Once auth is on, Defragment, Hash, HashKV and Snapshot are for root only, refused with
 * etcd 3.4's auth-package texts under status UNKNOWN (`auth: permission denied`); Status,
 * Alarm and MoveLeader are not checked (as in etcd 3.4).
 */
import * as grpc from '@grpc/grpc-js';
import { asMaintenanceError, AuthError } from '../../auth/index.js';
import { RaftError, RequestTimeoutError } from '../../../raft/index.js';
import type { AlarmType } from '../commands.js';
import { int64ToBigInt, int64ToNumber } from '../etcd-proto.js';
import type { Int64Value, WireObject } from '../etcd-proto.js';
import { etcdStatus, EtcdServerError, fromRaftError } from '../etcd-errors.js';
import type { ActiveAlarm } from '../kv-state-machine.js';
import { ETCD_API_VERSION } from '../constants.js';
import { snapshotFileOf, snapshotResponses } from '../etcd-snapshot.js';
import type { KvServerContext } from '../server-context.js';
import { requesterOf, unary } from './handlers.js';
import type { UnaryCall, UnaryHandler } from './handlers.js';

const ALARM_TYPES: readonly AlarmType[] = ['NONE', 'NOSPACE', 'CORRUPT'];

const wireAlarm = (a: ActiveAlarm): WireObject => ({ memberID: a.memberId.toString(), alarm: a.alarm });

/** An alarm as etcd's Status lists it among its errors (the protobuf text form). */
const alarmText = (a: ActiveAlarm): string => `memberID:${a.memberId} alarm:${a.alarm} `;

export function maintenanceService(context: KvServerContext): grpc.UntypedServiceImplementation {
  return {
    Status: unary(context, async () => status(context), 'allowed'),
    Alarm: unary(context, (r) => alarm(context, r)),
    Defragment: unary(context, forRoot(context, async () => ({ header: context.header() }))),
    Hash: unary(context, forRoot(context, async () => ({ header: context.header(), hash: context.machine.store.hash() }))),
    HashKV: unary(context, forRoot(context, async (r) => {
      const result = context.machine.store.hashKv(int64ToNumber((r.revision ?? 0) as Int64Value, 'revision'));
      return { header: context.header(result.revision), hash: result.hash, compactRevision: result.compactRevision };
    })),
    Snapshot: (call: grpc.ServerWritableStream<WireObject, WireObject>) => snapshot(context, call),
    MoveLeader: unary(context, (r) => moveLeader(context, r)),
  };
}

/** Refuses, as etcd's maintenance server does, a caller that is not root while auth is on. */
function checkRoot(context: KvServerContext, metadata: grpc.Metadata): void {
  try {
    context.machine.auth.checkAdmin(requesterOf(context, metadata).user);
  } catch (error) {
    throw error instanceof AuthError ? new EtcdServerError('applied', asMaintenanceError(error)) : error;
  }
}

function forRoot(context: KvServerContext, handler: UnaryHandler): UnaryHandler {
  return (request: WireObject, call: UnaryCall) => {
    checkRoot(context, call.metadata);
    return handler(request, call);
  };
}

function status(context: KvServerContext): WireObject {
  const raft = context.node.status();
  const errors = [...(raft.leader === 0 ? ['etcdserver: no leader'] : []), ...context.machine.alarms.map(alarmText)];
  return {
    header: context.header(),
    version: ETCD_API_VERSION,
    dbSize: context.machine.store.sizeBytes(),
    dbSizeInUse: context.machine.store.sizeBytes(),
    leader: BigInt(raft.leader).toString(),
    raftIndex: raft.commitIndex,
    raftTerm: raft.term,
    raftAppliedIndex: raft.appliedIndex,
    isLearner: context.isLearner(),
    errors,
  };
}

/**
 * GET lists the alarms (of one type, unless NONE); ACTIVATE and DEACTIVATE answer the alarm
 * they changed, if any. etcd 3.4 answers without a response header (its maintenance server
 * passes the applier's response on as it is; 3.5 fills one in), and `etcdctl -w json`
 * shows it: `alarm list` prints `{}` with no alarm.
 */
async function alarm(context: KvServerContext, r: WireObject): Promise<WireObject> {
  const type = ALARM_TYPES.find((t) => t === r.alarm) ?? 'NONE';
  if (r.action === 'GET' || r.action === undefined) {
    const alarms = context.machine.alarms.filter((a) => type === 'NONE' || a.alarm === type);
    return { alarms: alarms.map(wireAlarm) };
  }
  const action = r.action === 'ACTIVATE' ? 'activate' : r.action === 'DEACTIVATE' ? 'deactivate' : null;
  if (action === null) throw new EtcdServerError('applied', { grpcCode: grpc.status.INVALID_ARGUMENT, message: `etcdserver: unknown alarm action ${String(r.action)}` });
  const memberId = int64ToBigInt((r.memberID ?? '0') as Int64Value, 'memberID');
  const result = await context.propose({ kind: 'alarm', action, memberId, alarm: type });
  return { alarms: result.kind === 'alarm' ? result.alarms.map(wireAlarm) : [] };
}

function snapshot(context: KvServerContext, call: grpc.ServerWritableStream<WireObject, WireObject>): void {
  if (context.isLearner()) {
    call.destroy(etcdStatus(new EtcdServerError('notSupportedForLearner')) as unknown as Error);
    return;
  }
  try {
    checkRoot(context, call.metadata);
  } catch (error) {
    call.destroy(etcdStatus(error) as unknown as Error);
    return;
  }
  const header = context.header();
  let responses: Generator<WireObject>;
  // Pages are made as the client drains the stream (at most a chunk, or one large node, at a time).
  const send = (): void => {
    try {
      responses ??= snapshotResponses(snapshotFileOf(context.machine, context.node.status().appliedIndex));
      for (let next = responses.next(); !next.done; next = responses.next()) {
        if (!call.write({ header, ...next.value })) {
          call.once('drain', send);
          return;
        }
      }
    } catch (error) {
      call.destroy(etcdStatus(error) as unknown as Error);
      return;
    }
    call.end();
  };
  call.on('error', () => undefined);
  send();
}

async function moveLeader(context: KvServerContext, r: WireObject): Promise<WireObject> {
  if (!context.isLeader()) throw new EtcdServerError('notLeader');
  const target = int64ToBigInt((r.targetID ?? '0') as Int64Value, 'targetID');
  const voter = context.node.status().members.voters.find((v) => BigInt(v.id) === target);
  if (voter === undefined) throw new EtcdServerError('badLeaderTransferee');
  try {
    await context.node.transferLeadership(voter.id);
  } catch (error) {
    if (error instanceof RequestTimeoutError) throw new EtcdServerError('timeoutLeaderTransfer');
    throw error instanceof RaftError ? fromRaftError(error) : error;
  }
  return { header: context.header() };
}
