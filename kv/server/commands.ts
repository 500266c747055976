/**
 * What the KV replicates through Raft: one command per log entry, decided by the member
 * that received the request and applied identically by every member. Everything that
 * varies between members (a new lease's id, the time) is chosen before proposing and
 * travels in the command. Encoded with msgpackr; 64-bit ids stay bigints, except a
 * cluster id, which may exceed int64 and travels as a decimal string.
 *
 * Membership itself (who votes, who learns) is Raft's configuration; the member commands
 * replicate what etcd keeps beside it: each member's name, peer and client URLs, whether
 * it was added as a learner, and the ids of removed members (never to be reused).
 *
 * A command a client asked for carries who asked (`requester`): the state machine checks
 * the user's permissions when it applies the command, against the auth store as of that
 * entry, the same on every member. A command without one is the member's own (lease
 * expiry, auto-compaction, publishing), never checked.
 */
import { Packr } from 'msgpackr';
import type { AuthRequest } from '../auth/index.js';
import type { DeleteRangeRequest, PutRequest, TxnRequest } from '../mvcc/requests.js';

export type AlarmType = 'NONE' | 'NOSPACE' | 'CORRUPT';

/** The client a command is applied for: the user its token names, or null when it gave none. */
export interface Requester {
  readonly user: string | null;
}

export type KvCommand =
  | { readonly kind: 'put'; readonly request: PutRequest; readonly requester?: Requester }
  | { readonly kind: 'deleteRange'; readonly request: DeleteRangeRequest; readonly requester?: Requester }
  | { readonly kind: 'txn'; readonly request: TxnRequest; readonly requester?: Requester }
  | { readonly kind: 'compact'; readonly revision: number }
  | { readonly kind: 'leaseGrant'; readonly id: bigint; readonly ttlSeconds: number }
  | { readonly kind: 'leaseRevoke'; readonly id: bigint; readonly requester?: Requester }
  /** A change to the auth store (`kv/auth`); users and roles may be changed by root only once auth is on. */
  | { readonly kind: 'auth'; readonly request: AuthRequest; readonly requester: Requester }
  | { readonly kind: 'leaseCheckpoint'; readonly checkpoints: readonly { readonly id: bigint; readonly remainingTtlSeconds: number }[] }
  | { readonly kind: 'alarm'; readonly action: 'activate' | 'deactivate'; readonly memberId: bigint; readonly alarm: AlarmType }
  /** `member add`, recorded on the leader just before Raft adds the member (as a learner: a voter is promoted once it has caught up). */
  | { readonly kind: 'memberAdd'; readonly id: number; readonly peerUrls: readonly string[]; readonly learner: boolean }
  /** `member remove`, recorded just before Raft removes the member: its id is never accepted again. */
  | { readonly kind: 'memberRemove'; readonly id: number }
  /** `member update`: new peer URLs (every member then reaches it there). */
  | { readonly kind: 'memberUpdate'; readonly id: number; readonly peerUrls: readonly string[] }
  /** `member promote`: the member is a voter-to-be from now on, whatever Raft says yet. */
  | { readonly kind: 'memberPromote'; readonly id: number }
  /**
   * A member says who it is once started (etcd's publish): its name and client URLs, and
   * its peer URLs for a member of the initial cluster (which no `memberAdd` recorded). A
   * member of a new cluster also says the cluster's id (decimal), kept if none is yet.
   */
  | {
      readonly kind: 'memberAttributes';
      readonly id: number;
      readonly name: string;
      readonly clientUrls: readonly string[];
      readonly peerUrls: readonly string[];
      readonly clusterId: string | null;
    };

/** The kinds of `KvCommand` that change member records. */
export type MemberCommandKind = 'memberAdd' | 'memberRemove' | 'memberUpdate' | 'memberPromote' | 'memberAttributes';

const packr = new Packr({ useRecords: false, int64AsType: 'bigint', mapsAsObjects: true });

export function encodeCommand(command: KvCommand): Uint8Array {
  return packr.pack(command);
}

export function decodeCommand(data: Uint8Array): KvCommand {
  return packr.unpack(data) as KvCommand;
}
