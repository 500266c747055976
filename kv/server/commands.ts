/**
 * What the KV replicates through Raft: one command per log entry, decided by the member
 * that received the request and applied identically by every member. Everything that
 * varies between members (a new lease's id, the time) is chosen before proposing and
 * travels in the command. Encoded with msgpackr; 64-bit ids stay bigints.
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
  | { readonly kind: 'alarm'; readonly action: 'activate' | 'deactivate'; readonly memberId: bigint; readonly alarm: AlarmType };

const packr = new Packr({ useRecords: false, int64AsType: 'bigint', mapsAsObjects: true });

export function encodeCommand(command: KvCommand): Uint8Array {
  return packr.pack(command);
}

export function decodeCommand(data: Uint8Array): KvCommand {
  return packr.unpack(data) as KvCommand;
}
