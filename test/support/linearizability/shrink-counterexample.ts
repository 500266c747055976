/**
 * Shrinks a non-linearizable history of one key to a small sub-history that is still not
 * linearizable by itself, so that a report shows the few operations that matter instead
 * of hundreds.
 *
 * Any subset of a history's operations is a history (each keeps its interval), so
 * shrinking is a search over subsets. A candidate is kept only if it is a witness (no
 * superset of it within the key's history is linearizable, see `counterexample-witness.ts`)
 * and the search proves it not linearizable. The candidates tried:
 * 1. the shortest failing prefix in invocation order (bisection: prefixes are not
 *    monotone in general, so every prefix kept was checked to fail);
 * 2. delta-debugging-style removal of chunks of halving size, then single operations,
 *    until no single operation can be removed (the result is then 1-minimal: dropping any
 *    one of its operations, with what depends on it, makes it linearizable).
 *
 * Every candidate is closed over its dependents first (`WitnessRules.close`): removing a
 * write also removes the operations that could have seen it, so chains of operations go
 * in one step, and every candidate is a witness.
 *
 * A candidate counts as failing only when the search says `not-linearizable` within the
 * per-check budget; an `unknown` keeps the operations, so the result always fails.
 */

import { checkKeyOperations } from './check-key.js';
import { WitnessRules } from './counterexample-witness.js';
import type { Operation } from './operation.js';

/** What the shrinker may spend. */
export interface ShrinkLimits {
  /** Sub-histories it may check. */
  readonly maxChecks: number;
  /** Model steps per check. */
  readonly maxStepsPerCheck: number;
  /** True once the overall time budget is spent; shrinking then stops with what it has. */
  readonly outOfTime: () => boolean;
}

/** A failing sub-history of one key. */
export interface ShrunkHistory {
  /** Still not linearizable, nor is any superset within the key's history; sorted by invocation time. */
  readonly operations: readonly Operation[];
  /** True when no single operation (with its dependents) can be removed, and every check of that decided. */
  readonly minimal: boolean;
  /** Sub-histories checked. */
  readonly checks: number;
}

/** Shrinks `operations` (one key, known to be not linearizable). */
export function shrinkCounterexample(operations: readonly Operation[], limits: ShrinkLimits): ShrunkHistory {
  const rules = new WitnessRules(operations);
  const shrinker = new Shrinker(limits, rules);
  const sorted = [...operations].sort((a, b) => a.invokedAtNs - b.invokedAtNs || a.id - b.id);
  const prefix = shrinker.shortestFailingPrefix(sorted);
  const { operations: shrunk, minimal } = shrinker.removeChunks(prefix);
  if (!rules.admits(shrunk)) throw new Error('shrinking produced a sub-history that is not a witness');
  return { operations: shrunk, minimal, checks: shrinker.checks };
}

class Shrinker {
  checks = 0;
  /** False once a check ran out of budget: the result may then not be 1-minimal. */
  private allDecided = true;

  constructor(
    private readonly limits: ShrinkLimits,
    private readonly rules: WitnessRules,
  ) {}

  exhausted(): boolean {
    return this.checks >= this.limits.maxChecks || this.limits.outOfTime();
  }

  /**
   * `current` without `removal` and what depends on it, when that is proven not
   * linearizable; otherwise `undefined`.
   */
  failingWithout(current: readonly Operation[], removal: readonly Operation[]): Operation[] | undefined {
    this.checks += 1;
    const candidate = this.rules.close(current, new Set(removal.map((op) => op.id)));
    if (candidate === undefined) return undefined;
    const outcome = checkKeyOperations(candidate, { maxSteps: this.limits.maxStepsPerCheck, outOfTime: this.limits.outOfTime });
    if (outcome.verdict === 'unknown') this.allDecided = false;
    return outcome.verdict === 'not-linearizable' ? candidate : undefined;
  }

  /** Bisects for a short failing prefix (closed over its dependents); the whole history is the failing upper bound. */
  shortestFailingPrefix(sorted: readonly Operation[]): readonly Operation[] {
    let passing = 0;
    let failing = sorted.length;
    let best: readonly Operation[] = sorted;
    while (failing - passing > 1 && !this.exhausted()) {
      const middle = (passing + failing) >> 1;
      const candidate = this.failingWithout(sorted, sorted.slice(middle));
      if (candidate === undefined) {
        passing = middle;
      } else {
        failing = middle;
        best = candidate;
      }
    }
    return best;
  }

  /** Removes chunks of halving size while the rest still fails, then single operations to a fixpoint. */
  removeChunks(start: readonly Operation[]): { operations: readonly Operation[]; minimal: boolean } {
    let current = start;
    let size = Math.max(1, Math.ceil(current.length / 2));
    for (;;) {
      let removedAny = false;
      let i = 0;
      while (i < current.length && current.length > 1) {
        if (this.exhausted()) return { operations: current, minimal: false };
        const candidate = this.failingWithout(current, current.slice(i, i + size));
        if (candidate === undefined) {
          i += size;
        } else {
          current = candidate;
          removedAny = true;
        }
      }
      if (size === 1 && !removedAny) return { operations: current, minimal: this.allDecided };
      if (size > 1) size = Math.ceil(size / 2);
      if (size === 1) this.allDecided = true; // only the last single-operation pass decides minimality
    }
  }
}
