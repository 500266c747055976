/**
 * The limits and defaults of the ReplicaSet controller, in one place (house style: a limit
 * on every batch and wait). Values are Kubernetes' own where it has one.
 */

/** Pods created or deleted for one ReplicaSet in one sync, at most (Kubernetes' `BurstReplicas`). */
export const BURST_REPLICAS = 500;

/**
 * The first batch of creations in a sync: then 2, 4, 8, ... while every create succeeds.
 * A template the API server refuses then costs one failed request, not hundreds.
 */
export const SLOW_START_INITIAL_BATCH_SIZE = 1;

/**
 * Expectations not met within this long are forgotten, so that a lost watch event (the
 * informer relisted and missed an intermediate state) cannot stall a ReplicaSet forever.
 * Kubernetes' `ExpectationsTimeout`.
 */
export const EXPECTATIONS_TIMEOUT_MS = 5 * 60_000;

/** Keys reconciled in parallel (Kubernetes' `--concurrent-replicaset-syncs`). */
export const REPLICASET_WORKERS_DEFAULT = 5;

/**
 * A ReplicaSet whose pods become available after `minReadySeconds` is looked at again this
 * long after the moment they should have: timestamps have second precision, and a pod
 * counts as available only once that moment has passed.
 */
export const AVAILABILITY_RECHECK_MARGIN_MS = 1_000;
