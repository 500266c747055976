/**
 * Which sub-histories of a failing key the shrinker may report: only *witnesses*, sub-
 * histories that no superset within the key's history can make linearizable again.
 *
 * Removing operations is not innocent. Removing a read never hides or creates a violation,
 * but removing a write can create one that the history never had: drop the put of "v7"
 * and a get that returned "v7" now reads a value "never written". A counterexample built
 * that way would be a true but misleading statement. So a candidate C (a subset of the
 * key's history H) is admitted only if every operation of H outside C is provably unable
 * to change the verdict of any history between C and H:
 *
 * - a read-only operation (a known get, a known failed cas, a known delete that deleted
 *   nothing, a get without an answer): it never changes the value;
 * - a write W that cannot be the last change before any state-dependent operation O of C
 *   (an answered get, cas or counted delete, or any cas) whose answer fits W's value: O
 *   returned before W was invoked, or a *shield* of C (an answered put or delete, which
 *   sets the value whatever it was) ran wholly after W and wholly before O, so every
 *   linearization puts it between;
 * - a put without an answer whose value nothing in C that returned after the put's
 *   invocation names, nor observes without naming (the pruning lemma of
 *   `prune-unconstraining.ts`).
 *
 * Why: take a linearization of any T with C ⊆ T ⊆ H and keep only C's operations, in the
 * same order (first setting the unanswered puts of the last kind aside). Going along it, each
 * state-dependent operation X of C met, in T, the value left by the last change before it.
 * That change is in C: a change from outside would have to be a write whose value fits X's
 * answer (X accepted it) and that no shield separates from X, which the rules exclude. By
 * induction every change of C has the same effect as in T, so X meets the same value and
 * accepts it; the set-aside puts go last, as the pruning lemma allows. So C is linearizable
 * whenever any such T is: if C is not, neither is any T, including H itself.
 *
 * For readability, a candidate must also keep a write of every value its operations claim
 * to have seen (when H has one), so that a report never shows a value "from nowhere"
 * unless it really came from nowhere.
 *
 * Removing one write usually needs the operations that could observe it removed too (and
 * theirs, when they write): `close` computes that, so the shrinker can drop a whole chain
 * of dependent operations in one candidate.
 */

import type { Operation } from './operation.js';
import {
  claimedValue,
  couldHaveMet,
  effectValue,
  isMutating,
  isShield,
  isStateDependent,
  namedValues,
  observesWithoutNaming,
  writtenValue,
} from './operation-roles.js';

/** Decides which sub-histories of one key's history are admissible counterexamples. */
export class WitnessRules {
  /** Every value some put or cas of the key's history writes. */
  private readonly writtenInHistory: Set<string>;

  /** `history` is the whole history of one key; candidates are subsets of it. */
  constructor(private readonly history: readonly Operation[]) {
    this.writtenInHistory = new Set(history.map(writtenValue).filter((value) => value !== null));
  }

  /** True when `candidate` (a subset of the history) is a witness that keeps its values' writers. */
  admits(candidate: readonly Operation[]): boolean {
    return this.dependents(candidate).length === 0;
  }

  /**
   * `candidate` without the operations whose ids are in `removal`, and without every
   * operation that then depends on a removed one (repeatedly): the largest witness this
   * way of removing gives. `undefined` when nothing would be left.
   */
  close(candidate: readonly Operation[], removal: ReadonlySet<number>): Operation[] | undefined {
    const removed = new Set(removal);
    for (;;) {
      const remaining = candidate.filter((op) => !removed.has(op.id));
      if (remaining.length === 0) return undefined;
      const dependents = this.dependents(remaining);
      if (dependents.length === 0) return remaining;
      for (const op of dependents) removed.add(op.id);
    }
  }

  /**
   * The operations of `candidate` that keep it from being a witness: those that could
   * observe a write it lacks, and those claiming a value whose every writer it lacks.
   */
  private dependents(candidate: readonly Operation[]): Operation[] {
    const kept = new Set(candidate.map((op) => op.id));
    const visibility = new Visibility(candidate);
    const settable = new SetAsideRule(candidate);
    const written = new Set(candidate.map(writtenValue));
    const found = new Set<Operation>();
    for (const op of this.history) {
      if (kept.has(op.id) || !isMutating(op) || settable.allows(op)) continue;
      for (const observer of visibility.observersOf(op)) found.add(observer);
    }
    for (const op of candidate) {
      const claimed = claimedValue(op);
      if (claimed !== null && this.writtenInHistory.has(claimed) && !written.has(claimed)) found.add(op);
    }
    return [...found];
  }
}

/**
 * The pruning lemma relative to a candidate: an unanswered put may be left out when nothing
 * of the candidate that returned at or after its invocation names its value or observes
 * without naming.
 */
class SetAsideRule {
  private latestBlindReturnNs = -Infinity;
  private readonly latestNamingReturnNs = new Map<string, number>();

  constructor(candidate: readonly Operation[]) {
    for (const op of candidate) {
      if (observesWithoutNaming(op)) this.latestBlindReturnNs = Math.max(this.latestBlindReturnNs, op.returnedAtNs);
      for (const value of namedValues(op)) this.latestNamingReturnNs.set(value, Math.max(this.latestNamingReturnNs.get(value) ?? -Infinity, op.returnedAtNs));
    }
  }

  allows(op: Operation): boolean {
    if (op.output !== undefined || op.input.kind !== 'put') return false;
    const namedUntilNs = this.latestNamingReturnNs.get(op.input.value) ?? -Infinity;
    return this.latestBlindReturnNs < op.invokedAtNs && namedUntilNs < op.invokedAtNs;
  }
}

/**
 * The state-dependent operations of a candidate, sorted by return time, each with its
 * shield horizon: the latest invocation of a shield that returned before the operation
 * was invoked. A write W may be the last change before O iff O did not return before W's
 * invocation and O's horizon is not after W's return (no shield lies wholly between them);
 * it matters to O only if O's answer fits W's value.
 */
class Visibility {
  private readonly observers: Operation[];
  private readonly returnsNs: number[];
  private readonly horizonsNs: number[];
  /** `horizonSuffixMinimum[i]` = min of `horizonsNs[i..]`: a quick "nobody can see it" test. */
  private readonly horizonSuffixMinimum: number[];

  constructor(candidate: readonly Operation[]) {
    const shields = candidate.filter(isShield).sort((a, b) => a.returnedAtNs - b.returnedAtNs);
    const shieldReturnsNs = shields.map((s) => s.returnedAtNs);
    const latestShieldStartNs: number[] = [];
    for (const shield of shields) latestShieldStartNs.push(Math.max(latestShieldStartNs.at(-1) ?? -Infinity, shield.invokedAtNs));
    this.observers = candidate.filter(isStateDependent).sort((a, b) => a.returnedAtNs - b.returnedAtNs);
    this.returnsNs = this.observers.map((o) => o.returnedAtNs);
    this.horizonsNs = this.observers.map((o) => {
      const count = countBelow(shieldReturnsNs, o.invokedAtNs);
      return count === 0 ? -Infinity : latestShieldStartNs[count - 1]!;
    });
    this.horizonSuffixMinimum = new Array<number>(this.horizonsNs.length);
    let minimum = Infinity;
    for (let i = this.horizonsNs.length - 1; i >= 0; i--) {
      minimum = Math.min(minimum, this.horizonsNs[i]!);
      this.horizonSuffixMinimum[i] = minimum;
    }
  }

  /** The state-dependent operations of the candidate that might have met `write`'s effect. */
  observersOf(write: Operation): Operation[] {
    const first = countBelow(this.returnsNs, write.invokedAtNs);
    if (first === this.observers.length || this.horizonSuffixMinimum[first]! > write.returnedAtNs) return [];
    const value = effectValue(write)!;
    const found: Operation[] = [];
    for (let i = first; i < this.observers.length; i++) {
      const observer = this.observers[i]!;
      if (this.horizonsNs[i]! <= write.returnedAtNs && couldHaveMet(observer, value)) found.push(observer);
    }
    return found;
  }
}

/** How many of the ascending `sorted` are strictly below `bound`. */
function countBelow(sorted: readonly number[], bound: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (sorted[middle]! < bound) low = middle + 1;
    else high = middle;
  }
  return low;
}
