/**
 * Limits of the Raft core that are not per-instance options. Every queue is bounded.
 */

/** Read requests a leader tracks at once (awaiting a heartbeat quorum or its first commit). */
export const MAX_PENDING_READ_INDEX_REQUESTS = 4096;

if (!(MAX_PENDING_READ_INDEX_REQUESTS > 0)) throw new Error('constants: MAX_PENDING_READ_INDEX_REQUESTS must be positive');
