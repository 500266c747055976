/**
 * Removes operations of one key that cannot change the verdict, before the search.
 *
 * Operations whose outcome is unknown never return, so the search keeps them pending to
 * the end of the history, multiplying the configurations it explores. Two kinds are
 * provably irrelevant and are dropped:
 *
 * 1. **A get whose answer never came.** It changes nothing and constrains nothing.
 * 2. **A write whose answer never came (put or cas of value v), invoked at time t, when
 *    nothing that returned at or after t observes v**: no get returned v, no cas compared
 *    with v, no failed cas reported v, and no step observes without naming the value (a
 *    failed cas without `current`, a delete with `deleted: 1`).
 *
 * Why (2) is sound: dropping an operation can only make a history easier to linearize when
 * the operation may be placed last, and an unknown operation may always be placed last (it
 * precedes nothing, and any answer is accepted for it). Conversely, take a linearization
 * that places the write at some point p. Every step after p returned at or after t (one
 * that returned before t would have to come before the write). Until the state next
 * changes, those steps run in state v: a known get there would return v, a known cas would
 * compare with v or (failing) need the value to be "not X", a counted delete would report
 * 1 — all excluded. What is left (puts, deletes without a count, unknown steps) is accepted
 * from any state, and the first put or delete makes both runs agree again. So moving the
 * write to the end gives a linearization of the same history, and it can be dropped. The
 * conditions only mention steps that are never dropped (known ones) and the `expected` of
 * every cas, so dropping several such writes one after another stays sound.
 */

import { namedValues, observesWithoutNaming, writtenValue } from './operation-roles.js';
import type { RegisterStep } from './register-model.js';

/** The steps of a key the search must still consider, in their original order. */
export function pruneUnconstrainingSteps(steps: readonly RegisterStep[]): RegisterStep[] {
  const kept = steps.filter((step) => step.known || step.kind !== 'get');
  let latestBlindReturnNs = -Infinity;
  const latestNamingReturnNs = new Map<string, number>();
  for (const { operation } of kept) {
    if (observesWithoutNaming(operation)) latestBlindReturnNs = Math.max(latestBlindReturnNs, operation.returnedAtNs);
    for (const value of namedValues(operation)) {
      latestNamingReturnNs.set(value, Math.max(latestNamingReturnNs.get(value) ?? -Infinity, operation.returnedAtNs));
    }
  }
  const observedAfter = (step: RegisterStep): boolean => {
    const invokedAtNs = step.operation.invokedAtNs;
    const namedUntilNs = latestNamingReturnNs.get(writtenValue(step.operation)!) ?? -Infinity;
    return latestBlindReturnNs >= invokedAtNs || namedUntilNs >= invokedAtNs;
  };
  return kept.filter((step) => step.known || step.kind === 'delete' || observedAfter(step));
}
