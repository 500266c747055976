/**
 * What the etcd services (`services/*.ts`) need of the member they run in. `KvServer`
 * implements it; the services depend on this interface, not on the server.
 */
import type * as grpc from '@grpc/grpc-js';
import type { RaftNode } from '../../raft/index.js';
import type { LeaseIdGenerator } from '../lease/index.js';
import type { WatchHub } from '../watch/index.js';
import type { KvCommand } from './commands.js';
import type { WireObject } from './etcd-proto.js';
import type { CommandResult, KvStateMachine } from './kv-state-machine.js';
import type { LeaderForwarder } from './leader-forwarder.js';
import type { MemberView } from './members.js';
import type { KvServerOptions } from './server-options.js';

/** A state machine result that is not a refusal. */
export type CommandSuccess = Extract<CommandResult, { ok: true }>;

export interface KvServerContext {
  readonly memberId: number;
  readonly options: KvServerOptions;
  readonly machine: KvStateMachine;
  readonly node: RaftNode<CommandResult>;
  readonly hub: WatchHub;
  readonly leaseIds: LeaseIdGenerator;
  readonly forwarder: LeaderForwarder;
  /** How long a request may wait for a leader and for its entry to apply (etcd's request timeout). */
  readonly requestTimeoutMs: number;
  /** etcdserverpb.ResponseHeader at `revision` (default: the store's current one). */
  header(revision?: number): WireObject;
  /**
   * Replicate `command` and apply it: waits for a leader (up to the request timeout);
   * throws an `EtcdServerError` with etcd's error for a request too large, a refusal when
   * applied, or a Raft failure.
   */
  propose(command: KvCommand): Promise<CommandSuccess>;
  /** A linearizable read barrier (ReadIndex); then read the state machine. */
  linearizable(): Promise<void>;
  /** The leader's id once there is one; `EtcdServerError` timeout at `deadlineMs` (epoch ms). */
  waitForLeader(deadlineMs: number): Promise<number>;
  /** The leader's (first) client URL, once there is a leader and it has published its client URLs. */
  leaderClientUrl(deadlineMs: number): Promise<string>;
  isLeader(): boolean;
  /** This member was added as a learner and not promoted: it serves only what etcd lets a learner serve. */
  isLearner(): boolean;
  /** Every member, as `member list` shows them. */
  members(): MemberView[];
  /**
   * Refuses a write of `cost` quota bytes with etcd's "database space exceeded", raising
   * the NOSPACE alarm if the write does not fit, or if the alarm is already active.
   */
  checkQuota(cost: number): Promise<void>;
}

/** A call's deadline in epoch ms: the client's, or the request timeout from now if sooner. */
export function deadlineOf(call: { getDeadline(): grpc.Deadline }, context: Pick<KvServerContext, 'requestTimeoutMs'>): number {
  const own = Date.now() + context.requestTimeoutMs;
  const deadline = call.getDeadline();
  const client = deadline instanceof Date ? deadline.getTime() : deadline;
  return Number.isFinite(client) ? Math.min(own, client) : own;
}

/** The store's revision after a command applied. */
export function revisionAfter(result: CommandSuccess): number {
  return 'response' in result ? result.response.revision : result.revision;
}
