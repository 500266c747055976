/**
 * The KV data model, as etcd's v3 API defines it (mvccpb.KeyValue, mvccpb.Event): the
 * shapes every part of `kv/` shares. Keys and values are bytes. Revisions are positive
 * integers (etcd's int64, which never reaches 2^53 in practice; checked where they enter).
 * Lease ids are etcd's int64 and may use all 64 bits, so they are `bigint` (0n: no lease).
 */

/** One version of one key (mvccpb.KeyValue). */
export interface KeyValue {
  readonly key: Uint8Array;
  /** Revision of the write that created the key (since its last deletion). */
  readonly createRevision: number;
  /** Revision of the write that last changed it. */
  readonly modRevision: number;
  /** Writes to the key since its creation, counting the creation as 1. */
  readonly version: number;
  readonly value: Uint8Array;
  /** The lease the key is attached to; 0n for none. */
  readonly lease: bigint;
}

export type EventType = 'put' | 'delete';

/**
 * A change to one key (mvccpb.Event). For a delete, `kv` holds the key with
 * `modRevision` = the deleting revision and empty value/version 0, as etcd reports it.
 */
export interface KvEvent {
  readonly type: EventType;
  readonly kv: KeyValue;
  /** The key's previous version, when there was one (what watchers with prev_kv see). */
  readonly prevKv: KeyValue | null;
}

/**
 * Every change one write transaction made, all at one revision, in the order made.
 * The store hands these to the watch hub, and keeps them (until compacted) so that a
 * watch can start from a past revision.
 */
export interface RevisionChanges {
  readonly revision: number;
  readonly events: readonly KvEvent[];
}

/**
 * A key range as etcd encodes it: `end` empty means the single key `key`; `end` = [0]
 * (a single zero byte) means every key ≥ `key`; otherwise [key, end). With `key` = [0]
 * and `end` = [0], every key.
 */
export interface KeyRange {
  readonly key: Uint8Array;
  readonly end: Uint8Array;
}
