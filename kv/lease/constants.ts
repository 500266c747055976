/**
 * Limits and defaults of the lessor, with the etcd v3.4 value each one follows. Their
 * relationships are checked when the module loads.
 */

/** Longest TTL a lease may be granted, in seconds (etcd's `MaxLeaseTTL`). */
export const MAX_LEASE_TTL_SECONDS = 9_000_000_000;

/** The largest lease id: etcd's ids are int64 and the server only hands out positive ones. */
export const MAX_LEASE_ID = (1n << 63n) - 1n;

/**
 * Most expired leases `Lessor.expired()` hands out per call. etcd revokes at most
 * `leaseRevokeRate` (1000) leases a second, checking every 500 ms for half of that.
 */
export const DEFAULT_EXPIRED_BATCH_LEASES = 500;

/** How often the driver looks for expired leases and due checkpoints (etcd: every 500 ms). */
export const DEFAULT_EXPIRY_CHECK_INTERVAL_MS = 500;

/**
 * How long an expired lease already handed out for revocation waits before it is handed
 * out again, in case its revoke proposal was lost (etcd's `expiredLeaseRetryInterval`, 3 s).
 */
export const DEFAULT_EXPIRED_RETRY_MS = 3_000;

/** etcd's lease checkpoint interval when checkpointing is enabled (5 minutes). */
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 5 * 60_000;

/** Most checkpoints `Lessor.dueCheckpoints()` returns per call (etcd's `maxLeaseCheckpointBatchSize`). */
export const MAX_CHECKPOINT_BATCH_LEASES = 1_000;

function check(condition: boolean, rule: string): void {
  if (!condition) throw new Error(`kv/lease constants: ${rule}`);
}

check(Number.isSafeInteger(MAX_LEASE_TTL_SECONDS * 1000), 'MAX_LEASE_TTL_SECONDS in ms must be a safe integer');
check(DEFAULT_EXPIRED_BATCH_LEASES > 0, 'DEFAULT_EXPIRED_BATCH_LEASES must be positive');
check(DEFAULT_EXPIRY_CHECK_INTERVAL_MS > 0, 'DEFAULT_EXPIRY_CHECK_INTERVAL_MS must be positive');
check(
  DEFAULT_EXPIRED_RETRY_MS > DEFAULT_EXPIRY_CHECK_INTERVAL_MS,
  'DEFAULT_EXPIRED_RETRY_MS must exceed the check interval, or a pending revoke is handed out twice',
);
check(MAX_CHECKPOINT_BATCH_LEASES > 0, 'MAX_CHECKPOINT_BATCH_LEASES must be positive');
