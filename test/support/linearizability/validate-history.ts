/**
 * The shape checks a history must pass before the search: a malformed operation would make
 * the search answer a question nobody asked, so it is refused with a stable error code.
 */

import { LinearizabilityError } from './errors.js';
import type { History, Operation } from './operation.js';

/** Throws `LinearizabilityError` on the first operation that breaks an `Operation` invariant. */
export function validateHistory(history: History): void {
  const ids = new Set<number>();
  for (const operation of history) {
    if (ids.has(operation.id)) {
      throw new LinearizabilityError('DUPLICATE_OPERATION_ID', `operation id ${operation.id} appears twice in the history`);
    }
    ids.add(operation.id);
    validateTimes(operation);
    validateOutput(operation);
  }
}

function validateTimes(operation: Operation): void {
  const { id, invokedAtNs, returnedAtNs } = operation;
  if (!Number.isFinite(invokedAtNs)) {
    throw new LinearizabilityError('BAD_OPERATION_TIME', `operation ${id}: invocation time ${invokedAtNs} is not finite`);
  }
  if (Number.isNaN(returnedAtNs) || returnedAtNs < invokedAtNs) {
    throw new LinearizabilityError('BAD_OPERATION_TIME', `operation ${id}: returned at ${returnedAtNs} before its invocation at ${invokedAtNs}`);
  }
}

function validateOutput(operation: Operation): void {
  const { id, input, output, returnedAtNs } = operation;
  if (output === undefined) {
    if (returnedAtNs !== Infinity) {
      throw new LinearizabilityError('BAD_OPERATION_OUTPUT', `operation ${id}: no output, so its return time must be Infinity (unknown outcome), got ${returnedAtNs}`);
    }
    return;
  }
  if (returnedAtNs === Infinity) {
    throw new LinearizabilityError('BAD_OPERATION_OUTPUT', `operation ${id}: has an output but no return time`);
  }
  if (output.kind !== input.kind) {
    throw new LinearizabilityError('BAD_OPERATION_OUTPUT', `operation ${id}: a ${input.kind} answered with a ${output.kind} output`);
  }
  if (output.kind === 'cas' && output.succeeded && output.current !== undefined) {
    throw new LinearizabilityError('BAD_OPERATION_OUTPUT', `operation ${id}: a successful cas carries no current value (it is only read on failure)`);
  }
}
