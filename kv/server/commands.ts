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
 */
import { Packr } from 'msgpackr';
import type { DeleteRangeRequest, PutRequest, TxnRequest } from '../mvcc/requests.js';

export type AlarmType = 'NONE' | 'NOSPACE' | 'CORRUPT';

export type KvCommand =
  | { readonly kind: 'put'; readonly request: PutRequest }
  | { readonly kind: 'deleteRange'; readonly request: DeleteRangeRequest }
  | { readonly kind: 'txn'; readonly request: TxnRequest }
  | { readonly kind: 'compact'; readonly revision: number }
  | { readonly kind: 'leaseGrant'; readonly id: bigint; readonly ttlSeconds: number }
  | { readonly kind: 'leaseRevoke'; readonly id: bigint }
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
