/**
 * The linearizability search for one key: Wing & Gong's backtracking over the order of
 * operations, with Lowe's memoization of (set of operations linearized, state) so that a
 * configuration reached twice is explored once (the algorithm Porcupine and Knossos use).
 *
 * The history becomes a list of events, sorted by time: each operation's call and its
 * return (at `Infinity` when the outcome is unknown). An operation may be linearized next
 * iff its call comes before the first return still in the list: every operation whose
 * return precedes its call is then already linearized, which is real-time order. Taking
 * one lifts its call and return out of the list; a return reached while its operation is
 * still in the list means no candidate works from here, so the search backtracks. The
 * history is linearizable iff the list empties.
 *
 * Two refinements for operations whose outcome is unknown (they never return, so they
 * stay candidates to the end and would multiply the configurations by 2^u):
 * - **Done when the answered are.** Once every answered operation is linearized, the
 *   unanswered rest can follow in any order (they precede nothing, any answer fits them).
 * - **Dominance.** A configuration that linearized the same answered operations, reached
 *   the same state, and linearized a *subset* of the unanswered ones dominates: whatever
 *   sequence places the remaining answered operations after the larger one does so after
 *   the smaller one too. So the cache is keyed by (answered set, state) and a
 *   configuration is skipped when one with a subset of its unanswered operations was
 *   reached before. (The test suite checks the search against brute force.)
 * - **Answered operations first.** At each configuration the answered candidates are
 *   tried before the unanswered ones, so the smaller configurations that dominate are
 *   usually reached first.
 *
 * Events at the same time put calls before returns: an operation that returned at the
 * very instant another was invoked counts as concurrent with it. One clock reading cannot
 * order the two, and the checker must not report a violation the timestamps do not prove.
 */

import { ABSENT, REJECTED, applyRegisterStep } from './register-model.js';
import type { RegisterStep } from './register-model.js';

/** How many model steps between two looks at the clock (reading it costs more than a step). */
const STEPS_PER_CLOCK_CHECK = 4096;

/** What the search is allowed to spend. */
export interface SearchLimits {
  /** Model steps (one operation tried from one configuration) before giving up. */
  readonly maxSteps: number;
  /** Consulted every few thousand steps; true stops the search with `time-budget`. */
  readonly outOfTime: () => boolean;
}

/** The outcome of one search. `steps` is the work done, for budgets and reports. */
export type SearchOutcome =
  | { readonly verdict: 'linearizable'; readonly steps: number }
  | { readonly verdict: 'not-linearizable'; readonly steps: number }
  | { readonly verdict: 'unknown'; readonly steps: number; readonly reason: 'step-budget' | 'time-budget' };

/** Candidates are tried in two passes: answered operations, then unanswered ones. */
const ANSWERED_PASS = 0;
const UNANSWERED_PASS = 1;

/** Decides whether `steps` (all on one key, starting absent) can be linearized. */
export function searchLinearization(steps: readonly RegisterStep[], limits: SearchLimits): SearchOutcome {
  const events = new EventList(steps);
  const linearized = new LinearizedSet(steps);
  const seen = new ConfigurationCache();
  const stack: { call: number; stateBefore: number }[] = [];
  let state = ABSENT;
  let work = 0;
  let pass = ANSWERED_PASS;
  let event = events.first();
  while (!events.isEmpty()) {
    if (events.isCall(event)) {
      const operation = events.operationOf(event);
      if (steps[operation]!.known === (pass === ANSWERED_PASS)) {
        work += 1;
        if (work > limits.maxSteps) return { verdict: 'unknown', steps: work - 1, reason: 'step-budget' };
        if (work % STEPS_PER_CLOCK_CHECK === 0 && limits.outOfTime()) return { verdict: 'unknown', steps: work, reason: 'time-budget' };
        const next = applyRegisterStep(state, steps[operation]!);
        if (next !== REJECTED) {
          linearized.add(operation);
          if (seen.addIfNotDominated(linearized, next)) {
            // Every answered operation placed: the unanswered rest can go last, in any order.
            if (linearized.answeredCount === linearized.answeredTotal) return { verdict: 'linearizable', steps: work };
            stack.push({ call: event, stateBefore: state });
            state = next;
            events.lift(event);
            pass = ANSWERED_PASS;
            event = events.first();
            continue;
          }
          linearized.remove(operation);
        }
      }
      event = events.next(event);
    } else if (pass === ANSWERED_PASS) {
      // No answered candidate worked from here: try the unanswered ones.
      pass = UNANSWERED_PASS;
      event = events.first();
    } else {
      // The first return still listed: its operation could not be placed before it.
      const top = stack.pop();
      if (top === undefined) return { verdict: 'not-linearizable', steps: work };
      const operation = events.operationOf(top.call);
      state = top.stateBefore;
      linearized.remove(operation);
      events.unlift(top.call);
      pass = steps[operation]!.known ? ANSWERED_PASS : UNANSWERED_PASS;
      event = events.next(top.call);
    }
  }
  return { verdict: 'linearizable', steps: work };
}

/**
 * The time-ordered call and return events as a doubly linked list over arrays. Event
 * `2i` is operation i's call and `2i + 1` its return; index `2n` is the head sentinel.
 */
class EventList {
  private readonly nextOf: Int32Array;
  private readonly previousOf: Int32Array;
  private readonly head: number;

  constructor(steps: readonly RegisterStep[]) {
    const count = steps.length * 2;
    this.head = count;
    this.nextOf = new Int32Array(count + 1).fill(-1);
    this.previousOf = new Int32Array(count + 1).fill(-1);
    const timeOf = (event: number): number => {
      const operation = steps[event >> 1]!.operation;
      return (event & 1) === 0 ? operation.invokedAtNs : operation.returnedAtNs;
    };
    const order = Array.from({ length: count }, (_, event) => event);
    // Calls before returns at equal times (see the file comment); then by index, for determinism.
    order.sort((a, b) => timeOf(a) - timeOf(b) || (a & 1) - (b & 1) || a - b);
    let previous = this.head;
    for (const event of order) {
      this.nextOf[previous] = event;
      this.previousOf[event] = previous;
      previous = event;
    }
  }

  isEmpty(): boolean {
    return this.nextOf[this.head] === -1;
  }

  first(): number {
    return this.nextOf[this.head]!;
  }

  next(event: number): number {
    return this.nextOf[event]!;
  }

  isCall(event: number): boolean {
    return (event & 1) === 0;
  }

  operationOf(event: number): number {
    return event >> 1;
  }

  /** Removes a call and its return. */
  lift(call: number): void {
    this.unlink(call);
    this.unlink(call + 1);
  }

  /** Puts back a call and its return lifted last (links of lifted events stay valid until then). */
  unlift(call: number): void {
    this.relink(call + 1);
    this.relink(call);
  }

  private unlink(event: number): void {
    const previous = this.previousOf[event]!;
    const next = this.nextOf[event]!;
    this.nextOf[previous] = next;
    if (next !== -1) this.previousOf[next] = previous;
  }

  private relink(event: number): void {
    const previous = this.previousOf[event]!;
    const next = this.nextOf[event]!;
    this.nextOf[previous] = event;
    if (next !== -1) this.previousOf[next] = event;
  }
}

/**
 * The set of linearized operations as two bitsets, answered and unanswered operations
 * apart (see dominance above), with a 64-bit Zobrist hash of the answered part (two
 * 32-bit halves) kept up to date on every add and remove, so hashing costs O(1).
 */
class LinearizedSet {
  readonly answered: Uint32Array;
  readonly unanswered: Uint32Array;
  /** How many answered operations there are, and how many of them are in the set. */
  readonly answeredTotal: number;
  answeredCount = 0;
  hashHigh = 0;
  hashLow = 0;
  /** Per operation: its bit in `answered`, or −1 − its bit in `unanswered`. */
  private readonly bitOf: Int32Array;
  private readonly keysHigh: Uint32Array;
  private readonly keysLow: Uint32Array;

  constructor(steps: readonly RegisterStep[]) {
    const size = steps.length;
    this.bitOf = new Int32Array(size);
    let answeredCount = 0;
    let unansweredCount = 0;
    for (let i = 0; i < size; i++) this.bitOf[i] = steps[i]!.known ? answeredCount++ : -1 - unansweredCount++;
    this.answeredTotal = answeredCount;
    this.answered = new Uint32Array(Math.ceil(answeredCount / 32));
    this.unanswered = new Uint32Array(Math.ceil(unansweredCount / 32));
    this.keysHigh = new Uint32Array(size);
    this.keysLow = new Uint32Array(size);
    let seed = 0x2545f491;
    for (let i = 0; i < size; i++) {
      seed = mix32(seed + 0x9e3779b9);
      this.keysHigh[i] = seed;
      seed = mix32(seed + 0x9e3779b9);
      this.keysLow[i] = seed;
    }
  }

  add(operation: number): void {
    if (this.bitOf[operation]! >= 0) this.answeredCount += 1;
    this.toggle(operation);
  }

  remove(operation: number): void {
    if (this.bitOf[operation]! >= 0) this.answeredCount -= 1;
    this.toggle(operation);
  }

  private toggle(operation: number): void {
    const bit = this.bitOf[operation]!;
    if (bit < 0) {
      const index = -1 - bit;
      this.unanswered[index >> 5]! ^= 1 << (index & 31);
      return;
    }
    this.answered[bit >> 5]! ^= 1 << (bit & 31);
    this.hashHigh = (this.hashHigh ^ this.keysHigh[operation]!) >>> 0;
    this.hashLow = (this.hashLow ^ this.keysLow[operation]!) >>> 0;
  }
}

/** A reached (answered set, state), with every unanswered set it was reached with that no other one dominates. */
interface CacheEntry {
  readonly state: number;
  readonly answered: Uint32Array;
  readonly unansweredSets: Uint32Array[];
}

/** Configurations already reached, keyed by hash of (answered set, state), compared exactly. */
class ConfigurationCache {
  private readonly buckets = new Map<number, CacheEntry[]>();

  /** Records the configuration; false when it, or one that dominates it, was reached before. */
  addIfNotDominated(set: LinearizedSet, state: number): boolean {
    // 21 bits of one half (mixed with the state) and 32 of the other: a safe integer key.
    const key = ((set.hashHigh ^ mix32(state)) >>> 11) * 0x1_0000_0000 + set.hashLow;
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = [];
      this.buckets.set(key, bucket);
    }
    const entry = bucket.find((e) => e.state === state && sameWords(e.answered, set.answered));
    if (entry === undefined) {
      bucket.push({ state, answered: set.answered.slice(), unansweredSets: [set.unanswered.slice()] });
      return true;
    }
    if (entry.unansweredSets.some((reached) => isSubset(reached, set.unanswered))) return false;
    // The new set dominates every reached superset of it: keep the list to the minimal sets.
    const minimal = entry.unansweredSets.filter((reached) => !isSubset(set.unanswered, reached));
    minimal.push(set.unanswered.slice());
    entry.unansweredSets.splice(0, entry.unansweredSets.length, ...minimal);
    return true;
  }
}

function sameWords(a: Uint32Array, b: Uint32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** True when every bit of `small` is set in `large`. */
function isSubset(small: Uint32Array, large: Uint32Array): boolean {
  for (let i = 0; i < small.length; i++) if ((small[i]! & ~large[i]!) !== 0) return false;
  return true;
}

/** A 32-bit integer finalizer (MurmurHash3's fmix32): spreads every input bit over the output. */
function mix32(value: number): number {
  let z = value >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}
