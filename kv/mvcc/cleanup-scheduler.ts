/**
 * When the store's physical compaction cleanup runs its next step. Injectable, so that
 * tests drive the cleanup one step at a time and check that nothing observable depends
 * on how far it has got.
 */

/** Arranges for `step` to run later, once (never synchronously inside the call). */
export type CleanupScheduler = (step: () => void) => void;

/**
 * The default: the next event-loop turn, after pending I/O, so that a write waiting to be
 * applied waits for one bounded batch at most. Unreferenced: cleanup alone does not keep
 * the process alive.
 */
export const nextTurnScheduler: CleanupScheduler = (step) => {
  setImmediate(step).unref();
};
