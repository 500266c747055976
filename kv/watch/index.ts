/** Watches with etcd v3.4's semantics: the hub, its streams, and the response shapes. */
export {
  DEFAULT_MAX_PENDING_BYTES,
  DEFAULT_MAX_PENDING_RESPONSES,
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_MAX_WATCHERS_PER_STREAM,
  DEFAULT_PROGRESS_NOTIFY_INTERVAL_MS,
  MAX_PENDING_CONTROL_RESPONSES,
  MAX_REVISIONS_PER_CATCH_UP_RESPONSE,
} from './constants.js';
export {
  CancelReason,
  WatchAssertionError,
  WatchError,
  WatchStreamClosedError,
  WatchStreamOverloadedError,
} from './errors.js';
export type { WatchErrorCode } from './errors.js';
export { WatchProgressNotifier } from './progress-notifier.js';
export { watchResponseFields } from './types.js';
export type { WatchableStore, WatchCreateRequest, WatchResponse, WatchResponseFields } from './types.js';
export { WatchHub } from './watch-hub.js';
export type { WatchHubOptions } from './watch-hub.js';
export { WatchStream } from './watch-stream.js';
export { eventFieldBytes, responseBytes, RESPONSE_OVERHEAD_BYTES } from './wire-size.js';
