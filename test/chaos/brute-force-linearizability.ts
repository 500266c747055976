/**
 * A deliberately naive linearizability decision for tiny single-key histories, written
 * independently of the checker (strings, no interning, no memo, no pruning), to test the
 * checker against: it tries every order of the operations that respects real time, with
 * each unanswered operation either placed somewhere after its invocation or left out.
 */

import type { KvValue, Operation } from '../support/linearizability/index.js';

/** Exponential: keep histories to about 8 operations. */
export function bruteForceLinearizable(operations: readonly Operation[]): boolean {
  return extend(operations, new Set(), null);
}

function extend(operations: readonly Operation[], placed: ReadonlySet<number>, value: KvValue): boolean {
  const unplaced = operations.filter((op) => !placed.has(op.id));
  // Done once every answered operation is placed: the unanswered rest is left out.
  if (unplaced.every((op) => op.output === undefined)) return true;
  for (const op of unplaced) {
    // `op` may go next only if nothing unplaced returned before it was invoked.
    if (unplaced.some((other) => other.returnedAtNs < op.invokedAtNs)) continue;
    const after = run(op, value);
    if (after !== REFUSED && extend(operations, new Set([...placed, op.id]), after)) return true;
  }
  return false;
}

const REFUSED = Symbol('refused');

/** The value after `op` runs on `value`, or `REFUSED` when its recorded answer cannot come from `value`. */
function run(op: Operation, value: KvValue): KvValue | typeof REFUSED {
  const { input, output } = op;
  switch (input.kind) {
    case 'get':
      return output === undefined || (output.kind === 'get' && output.value === value) ? value : REFUSED;
    case 'put':
      return input.value;
    case 'delete':
      if (output?.kind === 'delete' && output.deleted !== undefined && output.deleted !== (value === null ? 0 : 1)) return REFUSED;
      return null;
    case 'cas': {
      const matches = value === input.expected;
      if (output === undefined) return matches ? input.value : value;
      if (output.kind !== 'cas') return REFUSED;
      if (output.succeeded) return matches ? input.value : REFUSED;
      if (matches || (output.current !== undefined && output.current !== value)) return REFUSED;
      return value;
    }
  }
}
