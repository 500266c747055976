/**
 * Limits and defaults of the watch hub, with the etcd v3.4 value each one follows. Their
 * relationships are checked when the module loads.
 */

/**
 * Largest watch response before a watcher that asked for `fragment` gets its events
 * split (etcd fragments at the server's `--max-request-bytes`, default 1.5 MiB).
 */
export const DEFAULT_MAX_RESPONSE_BYTES = 1.5 * 1024 * 1024;

/** Interval of progress notifications to idle watchers that asked for them (etcd: 10 min). */
export const DEFAULT_PROGRESS_NOTIFY_INTERVAL_MS = 10 * 60_000;

/**
 * Responses a stream holds for a consumer that has not taken them, before its watchers
 * stop receiving live events and fall back to catching up from history (etcd buffers
 * 128 responses per stream, `chanBufLen`).
 */
export const DEFAULT_MAX_PENDING_RESPONSES = 128;

/** The same bound in bytes (Balsa's; etcd only counts responses). */
export const DEFAULT_MAX_PENDING_BYTES = 8 * 1024 * 1024;

/**
 * Control responses (created, canceled, progress) a stream may hold beyond its event
 * budget. A client that keeps sending requests without reading any answer past this is
 * refused with `WatchStreamOverloadedError` (etcd instead stops reading its requests).
 */
export const MAX_PENDING_CONTROL_RESPONSES = 1024;

/** Revisions one catch-up response may span (etcd's `watchBatchMaxRevs`). */
export const MAX_REVISIONS_PER_CATCH_UP_RESPONSE = 1000;

/** Watchers one stream may hold (Balsa's limit; etcd has none). */
export const DEFAULT_MAX_WATCHERS_PER_STREAM = 10_000;

function check(condition: boolean, rule: string): void {
  if (!condition) throw new Error(`kv/watch constants: ${rule}`);
}

check(DEFAULT_MAX_RESPONSE_BYTES > 1024, 'DEFAULT_MAX_RESPONSE_BYTES must leave room for events');
check(DEFAULT_PROGRESS_NOTIFY_INTERVAL_MS > 0, 'DEFAULT_PROGRESS_NOTIFY_INTERVAL_MS must be positive');
check(DEFAULT_MAX_PENDING_RESPONSES >= 2, 'DEFAULT_MAX_PENDING_RESPONSES must allow a low-water mark');
check(
  DEFAULT_MAX_PENDING_BYTES >= 2 * DEFAULT_MAX_RESPONSE_BYTES,
  'DEFAULT_MAX_PENDING_BYTES must hold at least two full responses',
);
check(MAX_PENDING_CONTROL_RESPONSES > 0, 'MAX_PENDING_CONTROL_RESPONSES must be positive');
check(MAX_REVISIONS_PER_CATCH_UP_RESPONSE > 0, 'MAX_REVISIONS_PER_CATCH_UP_RESPONSE must be positive');
check(DEFAULT_MAX_WATCHERS_PER_STREAM > 0, 'DEFAULT_MAX_WATCHERS_PER_STREAM must be positive');
