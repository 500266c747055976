/**
 * `checkLinearizable`: is a recorded key-value history linearizable?
 *
 * The history is split per key and each key is searched on its own (P-compositionality:
 * linearizability is local, so a history is linearizable iff every key's sub-history is,
 * and k small searches are exponentially cheaper than one big one). Each key starts
 * absent: record histories on fresh keys.
 *
 * Verdicts: `not-linearizable` as soon as one key is proven not linearizable (with that
 * key's history shrunk to a small counterexample); otherwise `unknown` when any key ran
 * out of budget (a distinct answer, never a guess); otherwise `linearizable`.
 */

import { checkKeyOperations } from './check-key.js';
import {
  DEFAULT_MAX_MILLISECONDS,
  DEFAULT_MAX_STEPS_PER_KEY,
  DEFAULT_SHRINK_MAX_CHECKS,
  DEFAULT_SHRINK_MAX_STEPS_PER_CHECK,
} from './constants.js';
import { LinearizabilityError } from './errors.js';
import type { History, Operation } from './operation.js';
import { shrinkCounterexample } from './shrink-counterexample.js';
import type { ShrinkLimits } from './shrink-counterexample.js';
import { validateHistory } from './validate-history.js';

/** The effort the check may spend before answering `unknown`. */
export interface CheckBudget {
  /** Model steps (one operation tried in one configuration) per key. Default `DEFAULT_MAX_STEPS_PER_KEY`. */
  readonly maxStepsPerKey?: number;
  /** Wall-clock milliseconds for the whole check, shrinking included. Default `DEFAULT_MAX_MILLISECONDS`. */
  readonly maxMilliseconds?: number;
}

/** What shrinking a counterexample may spend; `false` reports the failing key's whole history. */
export interface ShrinkOptions {
  /** Sub-histories checked at most. Default `DEFAULT_SHRINK_MAX_CHECKS`. */
  readonly maxChecks?: number;
  /** Model steps per sub-history. Default `DEFAULT_SHRINK_MAX_STEPS_PER_CHECK`. */
  readonly maxStepsPerCheck?: number;
}

export interface CheckOptions {
  readonly budget?: CheckBudget;
  readonly shrink?: ShrinkOptions | false;
  /** A monotonic clock in milliseconds, for the time budget and `elapsedMs`. Default `performance.now`. */
  readonly nowMs?: () => number;
}

/** Why a search gave up. */
export type BudgetExhausted = 'step-budget' | 'time-budget';

/** The outcome for one key. `searched` ≤ `operations`: the rest were pruned as irrelevant. */
export interface KeyVerdict {
  readonly key: string;
  readonly verdict: 'linearizable' | 'not-linearizable' | 'unknown';
  readonly operations: number;
  readonly searched: number;
  readonly steps: number;
  /** Set when `verdict` is `unknown`. */
  readonly reason?: BudgetExhausted;
}

/** A small sub-history of one key that is not linearizable by itself. */
export interface Counterexample {
  readonly key: string;
  /** Sorted by invocation time. */
  readonly operations: readonly Operation[];
  /** How many operations the key had in the whole history. */
  readonly keyOperations: number;
  /** True when no single operation can be removed while it stays not linearizable. */
  readonly minimal: boolean;
}

export interface CheckStatistics {
  readonly operations: number;
  readonly keys: number;
  /** Model steps of the search over all keys (shrinking excluded). */
  readonly steps: number;
  /** Wall-clock time of the whole check, shrinking included. */
  readonly elapsedMs: number;
}

export type LinearizabilityResult =
  | { readonly verdict: 'linearizable'; readonly keys: readonly KeyVerdict[]; readonly statistics: CheckStatistics }
  | {
      readonly verdict: 'not-linearizable';
      readonly keys: readonly KeyVerdict[];
      readonly statistics: CheckStatistics;
      readonly failingKeys: readonly string[];
      readonly counterexample: Counterexample;
    }
  | {
      readonly verdict: 'unknown';
      readonly keys: readonly KeyVerdict[];
      readonly statistics: CheckStatistics;
      readonly undecidedKeys: readonly string[];
      readonly reason: BudgetExhausted;
    };

/** Checks `history` against a per-key register (get, put, delete, compare-and-set). Throws `LinearizabilityError` on a malformed history. */
export function checkLinearizable(history: History, options: CheckOptions = {}): LinearizabilityResult {
  validateHistory(history);
  const nowMs = options.nowMs ?? (() => performance.now());
  const maxStepsPerKey = positiveOption('budget.maxStepsPerKey', options.budget?.maxStepsPerKey ?? DEFAULT_MAX_STEPS_PER_KEY);
  const maxMilliseconds = positiveOption('budget.maxMilliseconds', options.budget?.maxMilliseconds ?? DEFAULT_MAX_MILLISECONDS);
  const shrink = shrinkLimits(options.shrink);
  const startedMs = nowMs();
  const outOfTime = (): boolean => nowMs() - startedMs >= maxMilliseconds;

  const byKey = partitionByKey(history);
  const keys: KeyVerdict[] = [];
  let steps = 0;
  for (const [key, operations] of byKey) {
    if (outOfTime()) {
      keys.push({ key, verdict: 'unknown', operations: operations.length, searched: 0, steps: 0, reason: 'time-budget' });
      continue;
    }
    const outcome = checkKeyOperations(operations, { maxSteps: maxStepsPerKey, outOfTime });
    steps += outcome.steps;
    const reason = outcome.verdict === 'unknown' ? { reason: outcome.reason } : {};
    keys.push({ key, verdict: outcome.verdict, operations: operations.length, searched: outcome.searched, steps: outcome.steps, ...reason });
  }

  const statistics = (): CheckStatistics => ({ operations: history.length, keys: byKey.size, steps, elapsedMs: nowMs() - startedMs });
  const failing = keys.filter((k) => k.verdict === 'not-linearizable');
  if (failing.length > 0) {
    // The smallest failing key is the cheapest to shrink and usually gives the smallest example.
    const target = failing.reduce((best, k) => (k.operations < best.operations ? k : best));
    const counterexample = buildCounterexample(target.key, byKey.get(target.key)!, shrink, outOfTime);
    return { verdict: 'not-linearizable', keys, failingKeys: failing.map((k) => k.key), counterexample, statistics: statistics() };
  }
  const undecided = keys.filter((k) => k.verdict === 'unknown');
  if (undecided.length > 0) {
    const reason = undecided.some((k) => k.reason === 'time-budget') ? 'time-budget' : 'step-budget';
    return { verdict: 'unknown', keys, undecidedKeys: undecided.map((k) => k.key), reason, statistics: statistics() };
  }
  return { verdict: 'linearizable', keys, statistics: statistics() };
}

/** The operations of each key, keys in sorted order so that runs are reproducible. */
function partitionByKey(history: History): Map<string, Operation[]> {
  const byKey = new Map<string, Operation[]>();
  for (const operation of history) {
    const list = byKey.get(operation.input.key);
    if (list === undefined) byKey.set(operation.input.key, [operation]);
    else list.push(operation);
  }
  return new Map([...byKey].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The shrinking limits of `options`, checked; `false` when shrinking is off. */
function shrinkLimits(options: ShrinkOptions | false | undefined): Omit<ShrinkLimits, 'outOfTime'> | false {
  if (options === false) return false;
  return {
    maxChecks: positiveOption('shrink.maxChecks', options?.maxChecks ?? DEFAULT_SHRINK_MAX_CHECKS),
    maxStepsPerCheck: positiveOption('shrink.maxStepsPerCheck', options?.maxStepsPerCheck ?? DEFAULT_SHRINK_MAX_STEPS_PER_CHECK),
  };
}

function buildCounterexample(key: string, operations: readonly Operation[], shrink: Omit<ShrinkLimits, 'outOfTime'> | false, outOfTime: () => boolean): Counterexample {
  if (shrink === false) {
    const sorted = [...operations].sort((a, b) => a.invokedAtNs - b.invokedAtNs || a.id - b.id);
    return { key, operations: sorted, keyOperations: operations.length, minimal: false };
  }
  const shrunk = shrinkCounterexample(operations, { ...shrink, outOfTime });
  return { key, operations: shrunk.operations, keyOperations: operations.length, minimal: shrunk.minimal };
}

function positiveOption(name: string, value: number): number {
  if (!(value > 0)) throw new LinearizabilityError('BAD_OPTION', `${name} must be a positive number, got ${value}`);
  return value;
}
