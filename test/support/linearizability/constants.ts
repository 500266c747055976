/**
 * The checker's default limits, in one place. Every one can be overridden per call
 * (`CheckOptions`); these are sized so that a chaos run's history (tens of thousands of
 * operations over tens of keys) is decided in seconds and a pathological one gives up
 * with `unknown` instead of running for hours.
 */

/** Model steps the search may take on one key before that key is `unknown`. */
export const DEFAULT_MAX_STEPS_PER_KEY = 5_000_000;
/** Wall-clock budget of one whole check (search and shrinking), in milliseconds. */
export const DEFAULT_MAX_MILLISECONDS = 60_000;
/** Sub-histories the shrinker may check before it settles for what it has. */
export const DEFAULT_SHRINK_MAX_CHECKS = 2_000;
/** Model steps one shrinking check may take; a check that runs out counts as "not proven failing". */
export const DEFAULT_SHRINK_MAX_STEPS_PER_CHECK = 200_000;

if (DEFAULT_SHRINK_MAX_STEPS_PER_CHECK > DEFAULT_MAX_STEPS_PER_KEY) {
  throw new Error('a shrinking check must not be allowed more work than the search of a whole key');
}
