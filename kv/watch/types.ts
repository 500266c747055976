/**
 * The shapes of the watch hub: what it needs from the MVCC store, what a watch request
 * says, and the responses it produces (transport-agnostic: the gRPC Watch service maps
 * each `WatchResponse` onto etcdserverpb.WatchResponse with `watchResponseFields`).
 */
import type { KvEvent, RevisionChanges } from '../mvcc/types.js';

/**
 * What the hub needs from the MVCC store.
 *
 * - `currentRevision()`: the revision of the last committed write (0 before any).
 * - `compactRevision()`: the revision of the last compaction (-1 if none). Changes of
 *   revisions below it are gone; those of the compaction revision itself stay readable,
 *   as in etcd, where a watch may start at the compaction revision but not below it.
 * - `changesSince(start)`: every revision's changes from `start` (≥ `compactRevision()`
 *   and ≥ 1) through `currentRevision()`, in increasing revision order; empty when
 *   `start` is beyond the current revision. May throw when `start` < compactRevision():
 *   the hub never asks.
 * - `onChanges(listener)`: calls `listener` once per committed write revision, in
 *   revision order, **synchronously**, after the write is visible (`currentRevision()` is
 *   that revision and `changesSince` includes it) and before the next write starts.
 *   Returns the unsubscribe function.
 */
export interface WatchableStore {
  currentRevision(): number;
  compactRevision(): number;
  changesSince(startRevision: number): readonly RevisionChanges[];
  onChanges(listener: (changes: RevisionChanges) => void): () => void;
}

/** etcdserverpb.WatchCreateRequest. */
export interface WatchCreateRequest {
  /** The key, or the start of the range; empty means [0], the smallest key. */
  readonly key: Uint8Array;
  /** Empty: the single key; [0]: every key ≥ `key`; otherwise [key, rangeEnd). */
  readonly rangeEnd: Uint8Array;
  /** First revision to deliver, inclusive; 0 means from the next revision on. */
  readonly startRevision: number;
  readonly filters?: { readonly noPut?: boolean; readonly noDelete?: boolean };
  /** Deliver each event's previous key-value. */
  readonly prevKv?: boolean;
  /** Periodic progress notifications while no event is sent. */
  readonly progressNotify?: boolean;
  /** Split responses larger than the limit into fragments. */
  readonly fragment?: boolean;
  /** The id the client chose; 0 (or absent) lets the stream assign one. */
  readonly watchId?: number;
}

/**
 * One response on the stream. `revision` is the header revision (the server adds the
 * cluster id, member id and term). Variants:
 *
 * - `created`: the watch exists under `watchId`; sent before any of its events.
 * - `create-refused`: etcd's created+canceled answer to a create it refuses, with
 *   watch id -1 and the reason.
 * - `events`: events of one or more whole revisions (several only while catching up
 *   from history), in revision order; `fragment` on all but the last piece of a split
 *   response.
 * - `progress`: no events; every event up to `revision` has been sent. `watchId` -1
 *   answers a progress request for the whole stream.
 * - `canceled`: the client canceled the watch.
 * - `compacted`: the watch fell behind the compaction and is canceled.
 */
export type WatchResponse =
  | { readonly kind: 'created'; readonly watchId: number; readonly revision: number }
  | { readonly kind: 'create-refused'; readonly watchId: -1; readonly revision: number; readonly cancelReason: string }
  | {
      readonly kind: 'events';
      readonly watchId: number;
      readonly revision: number;
      readonly events: readonly KvEvent[];
      readonly fragment: boolean;
    }
  | { readonly kind: 'progress'; readonly watchId: number; readonly revision: number }
  | { readonly kind: 'canceled'; readonly watchId: number; readonly revision: number }
  | { readonly kind: 'compacted'; readonly watchId: number; readonly revision: number; readonly compactRevision: number };

/** The fields of etcdserverpb.WatchResponse a `WatchResponse` stands for (header: revision only). */
export interface WatchResponseFields {
  readonly revision: number;
  readonly watchId: number;
  readonly created: boolean;
  readonly canceled: boolean;
  readonly compactRevision: number;
  readonly cancelReason: string;
  readonly fragment: boolean;
  readonly events: readonly KvEvent[];
}

const NO_EVENTS: readonly KvEvent[] = [];

export function watchResponseFields(response: WatchResponse): WatchResponseFields {
  const base = {
    revision: response.revision,
    watchId: response.watchId,
    created: false,
    canceled: false,
    compactRevision: 0,
    cancelReason: '',
    fragment: false,
    events: NO_EVENTS,
  };
  switch (response.kind) {
    case 'created':
      return { ...base, created: true };
    case 'create-refused':
      return { ...base, created: true, canceled: true, cancelReason: response.cancelReason };
    case 'events':
      return { ...base, events: response.events, fragment: response.fragment };
    case 'progress':
      return base;
    case 'canceled':
      return { ...base, canceled: true };
    case 'compacted':
      return { ...base, canceled: true, compactRevision: response.compactRevision };
    default: {
      const unexpected: never = response;
      throw new Error(`watch response of unknown kind ${JSON.stringify(unexpected)}`);
    }
  }
}
