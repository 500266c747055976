/**
 * The node agent's limits and defaults, in one place (units in the names). Their
 * relationships are checked at load: a broken one is a bug, not a configuration.
 */

/** Pods a node takes unless `--max-pods` says otherwise (Kubernetes' default). */
export const DEFAULT_MAX_PODS = 110;
/** The agent's own HTTP port (logs), Kubernetes' kubelet port. 0 = any free port. */
export const DEFAULT_AGENT_PORT = 10250;
/** The address the node reports and binds host ports to unless `--node-ip` says otherwise. */
export const DEFAULT_NODE_IP = '127.0.0.1';

/** The heartbeat Lease is renewed this often (Kubernetes' kubelet: 10 s). */
export const LEASE_RENEW_INTERVAL_MS = 10_000;
/** The Lease's `leaseDurationSeconds` (Kubernetes' kubelet: 40 s). */
export const LEASE_DURATION_SECONDS = 40;
/** The node's conditions are measured this often, and posted at once when they changed. */
export const NODE_STATUS_UPDATE_INTERVAL_MS = 10_000;
/** An unchanged node status is still posted this often, refreshing `lastHeartbeatTime`. */
export const NODE_STATUS_REPORT_INTERVAL_MS = 60_000;

/** `MemoryPressure` is True when the host's free memory is below this (Kubernetes' `memory.available<100Mi`). */
export const MEMORY_PRESSURE_FREE_BYTES = 100 * 1024 * 1024;
/** `DiskPressure` is True when the data dir's file system has less than this fraction free (Kubernetes' `nodefs.available<10%`). */
export const DISK_PRESSURE_FREE_FRACTION = 0.1;

/** A crashed container's first restart waits this long (then 2×, 4×, … up to the max). */
export const RESTART_BACKOFF_BASE_MS = 10_000;
export const RESTART_BACKOFF_MAX_MS = 300_000;
/** A container that ran this long before it exited restarts without back-off (the back-off is forgotten). */
export const RESTART_BACKOFF_RESET_MS = 600_000;

/** A container is always given at least this long between SIGTERM and SIGKILL after its preStop hook (Kubernetes' minimum). */
export const MINIMUM_STOP_GRACE_SECONDS = 2;

/**
 * A terminating pod that some Service's Endpoints list as ready waits, before its processes
 * are signalled, until they no longer do — at most this long, and at most half its grace
 * period — looking this often; then this long more for every node's proxy to apply the
 * change it hears on its watch.
 */
export const ENDPOINTS_EXIT_WAIT_MAX_MS = 10_000;
export const ENDPOINTS_EXIT_POLL_MS = 100;
export const ENDPOINTS_EXIT_SETTLE_MS = 300;

/** A failed pod sync (an API write, a volume that cannot be written) is retried after this long, doubling to the max. */
export const POD_SYNC_RETRY_MIN_MS = 200;
export const POD_SYNC_RETRY_MAX_MS = 10_000;

/** Host ports are tried this many times before the allocation of a pod's port fails. */
export const HOST_PORT_ALLOCATION_ATTEMPTS = 50;

/** The most lines `tailLines` may ask for (a bound on what the logs endpoint holds in memory). */
export const LOG_TAIL_LINES_MAX = 100_000;
/** A followed log file is read again this often for new output. */
export const LOG_FOLLOW_POLL_MS = 250;

if (!(RESTART_BACKOFF_BASE_MS > 0 && RESTART_BACKOFF_BASE_MS <= RESTART_BACKOFF_MAX_MS)) throw new Error('restart back-off: base must be > 0 and ≤ max');
if (!(RESTART_BACKOFF_RESET_MS > RESTART_BACKOFF_MAX_MS)) throw new Error('restart back-off: the reset must outlast the longest back-off');
if (!(LEASE_RENEW_INTERVAL_MS < (LEASE_DURATION_SECONDS * 1000) / 2)) throw new Error('the lease must survive a missed renewal');
if (!(NODE_STATUS_UPDATE_INTERVAL_MS <= NODE_STATUS_REPORT_INTERVAL_MS)) throw new Error('node status: measuring must be at least as frequent as reporting');
if (!(POD_SYNC_RETRY_MIN_MS <= POD_SYNC_RETRY_MAX_MS)) throw new Error('pod sync retry: min must be ≤ max');
