/**
 * Every limit and tunable of the scheduler in one place, with the relationships between them
 * checked when this module loads (a broken relationship is a bug: the process refuses to
 * start). Durations are in milliseconds, scores are on kube-scheduler's 0..100 scale.
 */

/** The `spec.schedulerName` of pods this scheduler places (an empty name means it too). */
export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';

/** The highest score a score plugin gives a node (and the lowest is 0). */
export const MAX_NODE_SCORE = 100;

/** Bindings written at once by default: the decisions run ahead of the API server's answers by this much. */
export const BIND_CONCURRENCY_DEFAULT = 128;
/** The most bindings in flight an option may ask for. */
export const BIND_CONCURRENCY_MAX = 4096;

/**
 * A pod's first retry after a failure waits this long, doubling with each failure up to the
 * max (kube-scheduler's `podInitialBackoffSeconds` and `podMaxBackoffSeconds`).
 */
export const POD_INITIAL_BACKOFF_MS = 1_000;
export const POD_MAX_BACKOFF_MS = 10_000;

/**
 * A pod that fits nowhere waits for a change of nodes or pods; if none comes it is tried
 * again after this long anyway (kube-scheduler's `podMaxInUnschedulablePodsDuration`), in
 * case a change was missed. The unschedulable pods are checked for that every interval.
 */
export const POD_MAX_UNSCHEDULABLE_MS = 5 * 60_000;
export const UNSCHEDULABLE_FLUSH_INTERVAL_MS = 30_000;

/** The most pods the scheduling queue holds; more is a bug (more pods than a cluster can have). */
export const SCHEDULING_QUEUE_PODS_MAX = 1_000_000;

/**
 * How many feasible nodes to look for before scoring, kube-scheduler's adaptive
 * `percentageOfNodesToScore`: with fewer than `MIN_FEASIBLE_NODES_TO_FIND` nodes all of them;
 * else `BASE_PERCENTAGE_OF_NODES_TO_SCORE − nodes / ADAPTIVE_PERCENTAGE_NODES_DIVISOR`
 * percent of them, at least `MIN_FEASIBLE_NODES_PERCENTAGE` percent and at least
 * `MIN_FEASIBLE_NODES_TO_FIND` nodes (1,000 nodes: 42%, 420 nodes; 5,000 nodes: 10%).
 */
export const MIN_FEASIBLE_NODES_TO_FIND = 100;
export const MIN_FEASIBLE_NODES_PERCENTAGE = 5;
export const BASE_PERCENTAGE_OF_NODES_TO_SCORE = 50;
export const ADAPTIVE_PERCENTAGE_NODES_DIVISOR = 125;

/**
 * What a pod without a CPU or memory request counts as when nodes are scored (not when they
 * are filtered), as in kube-scheduler: otherwise many request-less pods would all pile onto
 * the node that looks emptiest.
 */
export const DEFAULT_SCORING_MILLI_CPU = 100;
export const DEFAULT_SCORING_MEMORY_BYTES = 200 * 1024 * 1024;

/**
 * The scheduling loop decides pods for at most this long before it lets the event loop run
 * (informer events, binding answers, timers): decisions are synchronous, and a long queue
 * would otherwise starve everything else of the process.
 */
export const SCHEDULING_SLICE_MS = 10;

/** Status writes and events written at once in the background, and the most waiting (more are dropped and counted). */
export const BACKGROUND_WRITES_CONCURRENCY = 16;
export const BACKGROUND_WRITES_QUEUED_MAX = 10_000;
/** `stop()` waits this long at most for background writes still queued. */
export const BACKGROUND_WRITES_DRAIN_MS = 5_000;

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`scheduler constants: ${what}`);
}

check(POD_INITIAL_BACKOFF_MS > 0 && POD_INITIAL_BACKOFF_MS <= POD_MAX_BACKOFF_MS, 'the initial back-off must be positive and at most the max');
check(POD_MAX_BACKOFF_MS < POD_MAX_UNSCHEDULABLE_MS, 'an unschedulable pod must wait longer before its forced retry than the longest back-off');
check(UNSCHEDULABLE_FLUSH_INTERVAL_MS <= POD_MAX_UNSCHEDULABLE_MS, 'the flush must run at least once per unschedulable period');
check(BIND_CONCURRENCY_DEFAULT >= 1 && BIND_CONCURRENCY_DEFAULT <= BIND_CONCURRENCY_MAX, 'the default bind concurrency must be within its bounds');
check(MIN_FEASIBLE_NODES_PERCENTAGE > 0 && MIN_FEASIBLE_NODES_PERCENTAGE <= BASE_PERCENTAGE_OF_NODES_TO_SCORE && BASE_PERCENTAGE_OF_NODES_TO_SCORE <= 100, 'percentages of nodes to score must be ordered within 1..100');
check(BACKGROUND_WRITES_CONCURRENCY >= 1 && BACKGROUND_WRITES_QUEUED_MAX >= BACKGROUND_WRITES_CONCURRENCY, 'background writes need room for at least their concurrency');
check(SCHEDULING_SLICE_MS > 0, 'the scheduling slice must be positive');
