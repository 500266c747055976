/**
 * The errors of the watch hub, and the cancel reasons it puts in responses. The reasons
 * a client can see are etcd v3.4's own texts where etcd has one (clients match on them).
 */

/** Why a create request was refused (`create-refused` responses' `cancelReason`). */
export const CancelReason = {
  /** The client chose a watch id already in use on the stream (etcd's text). */
  DUPLICATE_WATCH_ID: 'mvcc: duplicate watch ID provided on the WatchStream',
  /** `key` ≥ `rangeEnd`: the range holds no key (etcd's text). */
  EMPTY_RANGE: 'mvcc: watcher range is empty',
  /** A negative start revision (etcd answers with its compacted error). */
  NEGATIVE_START_REVISION: 'etcdserver: mvcc: required revision has been compacted',
  /** A negative watch id (Balsa's: -1 means "every watcher" in progress responses). */
  NEGATIVE_WATCH_ID: 'etcdserver: watch id must not be negative',
  /** The stream holds its limit of watchers (Balsa's limit). */
  TOO_MANY_WATCHERS: 'etcdserver: too many watchers on this stream',
} as const;
export type CancelReason = (typeof CancelReason)[keyof typeof CancelReason];

export type WatchErrorCode = 'WATCH_STREAM_CLOSED' | 'WATCH_STREAM_OVERLOADED';

export abstract class WatchError extends Error {
  abstract readonly code: WatchErrorCode;
  /** True when the same call may succeed later without any change by the caller. */
  abstract readonly retryable: boolean;
}

/** A request on a stream that was closed. */
export class WatchStreamClosedError extends WatchError {
  readonly code = 'WATCH_STREAM_CLOSED';
  readonly retryable = false;
  constructor() {
    super('etcdserver: watch stream closed');
    this.name = 'WatchStreamClosedError';
  }
}

/**
 * The client sent more requests than its unread answers allow (see
 * `MAX_PENDING_CONTROL_RESPONSES`): the server ends the stream (gRPC RESOURCE_EXHAUSTED).
 */
export class WatchStreamOverloadedError extends WatchError {
  readonly code = 'WATCH_STREAM_OVERLOADED';
  readonly retryable = true;
  constructor(readonly pendingResponses: number) {
    super(`etcdserver: watch stream overloaded: ${pendingResponses} responses not read`);
    this.name = 'WatchStreamOverloadedError';
  }
}

/** A broken invariant of the watch hub: a bug, not an operating error. */
export class WatchAssertionError extends Error {
  constructor(message: string) {
    super(`kv/watch invariant broken: ${message}`);
    this.name = 'WatchAssertionError';
  }
}

export function assert(condition: boolean, message: string | (() => string)): asserts condition {
  if (!condition) throw new WatchAssertionError(typeof message === 'string' ? message : message());
}
