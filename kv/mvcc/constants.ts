/**
 * Limits of the MVCC store's in-memory structures and of its background compaction.
 */

/**
 * The most keys one node of the ordered key set holds (leaf keys, or a branch's
 * children). 64 keeps a node's array within a few cache lines of pointers and the tree
 * shallow: 1M keys fit in 4 levels.
 */
export const KEY_SET_NODE_CAPACITY = 64;

/**
 * Below this many entries a node is merged with a sibling when the two fit in one node,
 * so that deletions do not leave a tree of nearly empty nodes.
 */
export const KEY_SET_NODE_MINIMUM = 16;

/**
 * The most keys one step of physical compaction cleans (etcd 3.4 cleans its backend in
 * batches of 1000 keys too). Between steps the event loop runs, so writes and reads wait
 * for one batch at most.
 */
export const COMPACTION_BATCH_KEYS = 1000;

/**
 * The most records one step of physical compaction drops, so that a batch of keys with
 * long histories is cut short too: a step's work is bounded by keys and by records.
 */
export const COMPACTION_BATCH_RECORDS = 10_000;

/**
 * How long one step of physical compaction may run before it yields the event loop, in
 * milliseconds, even short of its batch: on a large heap a batch of keys can take longer
 * than the writes waiting behind it should. Checked between slices of
 * `COMPACTION_SLICE_KEYS` keys. Only how fast memory is freed depends on it, never an
 * answer, so it may read the clock.
 */
export const COMPACTION_STEP_BUDGET_MS = 3;

/** The keys cleaned between two looks at the clock within a step. */
export const COMPACTION_SLICE_KEYS = 100;
