/**
 * Checks the operations of one key: intern, prune what cannot matter, search. Shared by
 * the full check and by the shrinker, which calls it on many sub-histories of one key.
 */

import type { Operation } from './operation.js';
import { pruneUnconstrainingSteps } from './prune-unconstraining.js';
import { compileKeyOperations } from './register-model.js';
import { searchLinearization } from './wgl-search.js';
import type { SearchLimits, SearchOutcome } from './wgl-search.js';

/** A search outcome plus how many operations were left after pruning. */
export type KeyCheckOutcome = SearchOutcome & { readonly searched: number };

/** Decides whether `operations` (all on one key, the key absent at first) are linearizable. */
export function checkKeyOperations(operations: readonly Operation[], limits: SearchLimits): KeyCheckOutcome {
  const steps = pruneUnconstrainingSteps(compileKeyOperations(operations).steps);
  return { ...searchLinearization(steps, limits), searched: steps.length };
}
