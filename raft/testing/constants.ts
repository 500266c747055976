/**
 * Every limit and default of the simulator in one place. Relationships between them are
 * checked once, at load: a broken relationship is a programming error.
 */

/** Virtual time is counted in integer units; one tick period is this many of them. */
export const TICK_UNITS = 100;

/** Core timing used for every simulated node (the defaults of the core). */
export const ELECTION_TICKS = 10;
export const HEARTBEAT_TICKS = 1;

/** Default run length: 2,000 steps span about 200 election timeouts. */
export const DEFAULT_STEPS = 2000;
/** Default number of seeds of the CLI. */
export const DEFAULT_SEEDS = 200;
/** Default first seed of the CLI. */
export const DEFAULT_START_SEED = 1;

/** Share of the steps during which faults are injected; the rest is the healed phase. */
export const FAULT_PHASE_FRACTION = 0.75;
/** After healing, a leader and every pending write must be there within this many ticks. */
export const LIVENESS_TICKS = 40 * ELECTION_TICKS;

/** Network: messages in flight at once; beyond it a message is dropped. */
export const NETWORK_IN_FLIGHT_MAX = 50_000;
/** Messages a paused node may hold in its inbox; beyond it they are dropped. */
export const INBOX_MAX = 2_000;
/** Shortest and longest one-way message latency in the calmest network profile. */
export const LATENCY_UNITS_MIN = 5;
export const LATENCY_UNITS_MAX_CALM = 150;
/** Longest one-way latency in the slowest network profile. */
export const LATENCY_UNITS_MAX_SLOW = 400;

/** Disk write latency of one Ready batch. */
export const DISK_LATENCY_UNITS_MIN = 1;
export const DISK_LATENCY_UNITS_MAX = 60;
/** Occasional slow write (a stalled fsync). */
export const DISK_STALL_UNITS_MAX = 400;

/** Clients: writes waiting for an acknowledgement at once; no new writes beyond it. */
export const PENDING_WRITES_MAX = 64;
/** Clients: reads waiting for an answer at once; no new reads beyond it. */
export const PENDING_READS_MAX = 32;
/** A write not acknowledged within this many ticks is proposed again (same id). */
export const WRITE_RETRY_TICKS = 40;
/** A read not served within this many ticks is forgotten (its request was lost). */
export const READ_TIMEOUT_TICKS = 40;

/** Upper bound of the cluster size the simulator supports (initial voters and spares together). */
export const NODES_MAX = 9;
/** Spare nodes beyond the initial voters that membership changes can add (fewer when NODES_MAX forbids). */
export const SPARE_NODES_MAX = 2;

/**
 * Snapshots (per-seed policy, see sim-config.ts): a node snapshots every K applied entries,
 * K drawn in [SNAPSHOT_INTERVAL_ENTRIES_MIN, SNAPSHOT_INTERVAL_ENTRIES_MAX] (some seeds never),
 * keeping up to SNAPSHOT_TRAILING_ENTRIES_MAX entries before the snapshot when compacting.
 */
export const SNAPSHOT_INTERVAL_ENTRIES_MIN = 3;
export const SNAPSHOT_INTERVAL_ENTRIES_MAX = 300;
export const SNAPSHOT_TRAILING_ENTRIES_MAX = 50;
/** Snapshot chunk size range: small, so that a transfer takes many chunks. */
export const SNAPSHOT_CHUNK_BYTES_MIN = 16;
export const SNAPSHOT_CHUNK_BYTES_MAX = 2048;
export const SNAPSHOT_INFLIGHT_CHUNKS_MAX = 8;
export const SNAPSHOT_TIMEOUT_TICKS_MIN = 3;
export const SNAPSHOT_TIMEOUT_TICKS_MAX = 30;
/**
 * Chunk bytes × chunks in flight must reach this: below it a snapshot of a long run (a
 * byte or two per applied write) takes longer to send than the liveness bound allows (a
 * capacity problem, not a Raft one).
 */
export const SNAPSHOT_PIPELINE_BYTES_MIN = 64;
/**
 * A leader may restart a snapshot transfer from offset 0, after the follower acknowledged
 * part or all of it, at most this many times per (follower, snapshot index). Restarts
 * after the follower crashed or said it holds nothing do not count.
 */
export const SNAPSHOT_RESTARTS_MAX = 3;

/**
 * Multi-process clusters (`cluster-node.ts`, `process-cluster.ts`, `tcp-proxy.ts`): real
 * processes, real sockets and real disks, driven by tests and benchmarks.
 */
/** TCP proxy: bytes held per direction before the proxy stops reading from the sender. */
export const PROXY_QUEUE_BYTES_MAX = 4 * 1024 * 1024;
/** Register machine: longest key, value and write id accepted (UTF-8 bytes). */
export const REGISTER_KEY_BYTES_MAX = 256;
export const REGISTER_VALUE_BYTES_MAX = 1024 * 1024;
export const REGISTER_WRITE_ID_BYTES_MAX = 128;
/** Cluster node HTTP API: largest request body accepted. */
export const HTTP_BODY_BYTES_MAX = 2 * 1024 * 1024;
/** Process cluster: how long a member process may take to print `ready`. */
export const MEMBER_START_TIMEOUT_MS = 30_000;
/** Process cluster: how long a member may take to exit after SIGTERM before SIGKILL. */
export const MEMBER_STOP_GRACE_MS = 3_000;
/** Process cluster: members at most (ids 1..MEMBERS_MAX, spares for joins included). */
export const CLUSTER_MEMBERS_MAX = 9;
/** Cluster client: deadline of one status, digest or write-list request. */
export const CLIENT_PROBE_TIMEOUT_MS = 2_000;
/** Cluster client: a write or read is retried (other members, backing off) for at most this long. */
export const CLIENT_OPERATION_DEADLINE_MS = 30_000;
/** Cluster client: first and longest pause between retries of one operation. */
export const CLIENT_RETRY_BACKOFF_MS_MIN = 20;
export const CLIENT_RETRY_BACKOFF_MS_MAX = 500;
/** Cluster client: how often convergence and leader checks poll the members. */
export const CLIENT_POLL_INTERVAL_MS = 100;

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(`raft/testing constants: ${message}`);
}

check(Number.isInteger(TICK_UNITS) && TICK_UNITS >= 10, 'TICK_UNITS must be an integer ≥ 10');
check(HEARTBEAT_TICKS < ELECTION_TICKS, 'HEARTBEAT_TICKS < ELECTION_TICKS');
check(FAULT_PHASE_FRACTION > 0 && FAULT_PHASE_FRACTION < 1, 'FAULT_PHASE_FRACTION in (0, 1)');
check(LATENCY_UNITS_MIN >= 1 && LATENCY_UNITS_MIN < LATENCY_UNITS_MAX_CALM, 'LATENCY_UNITS_MIN < LATENCY_UNITS_MAX_CALM');
check(LATENCY_UNITS_MAX_CALM <= LATENCY_UNITS_MAX_SLOW, 'calm latency ≤ slow latency');
// A heartbeat round trip in the slowest profile must fit in an election timeout, or a
// healthy cluster could not keep a leader.
check(2 * LATENCY_UNITS_MAX_SLOW < ELECTION_TICKS * TICK_UNITS, 'slow round trip < election timeout');
check(DISK_LATENCY_UNITS_MIN >= 1 && DISK_LATENCY_UNITS_MIN <= DISK_LATENCY_UNITS_MAX, 'disk latency range');
check(DISK_STALL_UNITS_MAX >= DISK_LATENCY_UNITS_MAX, 'disk stall ≥ disk latency');
check(LIVENESS_TICKS >= 10 * ELECTION_TICKS, 'liveness bound spans several election timeouts');
check(READ_TIMEOUT_TICKS > 0 && WRITE_RETRY_TICKS > 0, 'client timeouts positive');
check(SPARE_NODES_MAX >= 0 && SPARE_NODES_MAX < NODES_MAX, 'SPARE_NODES_MAX in [0, NODES_MAX)');
check(SNAPSHOT_INTERVAL_ENTRIES_MIN >= 1 && SNAPSHOT_INTERVAL_ENTRIES_MIN <= SNAPSHOT_INTERVAL_ENTRIES_MAX, 'snapshot interval range');
check(SNAPSHOT_CHUNK_BYTES_MIN >= 1 && SNAPSHOT_CHUNK_BYTES_MIN <= SNAPSHOT_CHUNK_BYTES_MAX, 'snapshot chunk range');
check(SNAPSHOT_TIMEOUT_TICKS_MIN >= 1 && SNAPSHOT_TIMEOUT_TICKS_MIN <= SNAPSHOT_TIMEOUT_TICKS_MAX, 'snapshot timeout range');
check(SNAPSHOT_PIPELINE_BYTES_MIN <= SNAPSHOT_CHUNK_BYTES_MAX * SNAPSHOT_INFLIGHT_CHUNKS_MAX, 'snapshot pipeline reachable');
// A snapshot resent after its timeout must still leave time to finish before liveness is judged.
check(4 * SNAPSHOT_TIMEOUT_TICKS_MAX < LIVENESS_TICKS, 'snapshot timeout well inside the liveness bound');
check(SNAPSHOT_RESTARTS_MAX >= 1, 'SNAPSHOT_RESTARTS_MAX ≥ 1');
check(PROXY_QUEUE_BYTES_MAX >= 64 * 1024, 'the proxy holds at least one socket buffer per direction');
check(HTTP_BODY_BYTES_MAX > REGISTER_VALUE_BYTES_MAX + REGISTER_KEY_BYTES_MAX + REGISTER_WRITE_ID_BYTES_MAX, 'a largest write fits in a request body');
check(MEMBER_STOP_GRACE_MS < MEMBER_START_TIMEOUT_MS, 'stopping a member is quicker than starting one');
check(CLIENT_RETRY_BACKOFF_MS_MIN > 0 && CLIENT_RETRY_BACKOFF_MS_MIN <= CLIENT_RETRY_BACKOFF_MS_MAX, 'client backoff range');
check(CLIENT_RETRY_BACKOFF_MS_MAX < CLIENT_OPERATION_DEADLINE_MS, 'several retries fit in an operation deadline');
