/**
 * The roles an operation plays for the register of its key, read off its input and answer.
 * The pruning before the search and the shrinker's witness rules both reason with them.
 */

import type { KvValue, Operation } from './operation.js';

/** May change the value: puts, deletes (but a known one that deleted nothing), cas unless known to have failed. */
export function isMutating(op: Operation): boolean {
  const { input, output } = op;
  switch (input.kind) {
    case 'get':
      return false;
    case 'put':
      return true;
    case 'delete':
      return !(output?.kind === 'delete' && output.deleted === 0);
    case 'cas':
      return !(output?.kind === 'cas' && !output.succeeded);
  }
}

/** Its answer or its effect depends on the value it met: answered gets, counted deletes, every cas. */
export function isStateDependent(op: Operation): boolean {
  const { input, output } = op;
  if (input.kind === 'cas') return true;
  if (output?.kind === 'get') return true;
  return output?.kind === 'delete' && output.deleted !== undefined;
}

/** Sets the value whatever it was, at a known time: answered puts and deletes. */
export function isShield(op: Operation): boolean {
  return op.output !== undefined && (op.input.kind === 'put' || op.input.kind === 'delete');
}

/**
 * Learns something about the value without naming it: a failed cas that did not report
 * what it saw ("the value is not X"), or a delete that deleted one key ("there was one").
 */
export function observesWithoutNaming(op: Operation): boolean {
  const { output } = op;
  if (output?.kind === 'cas') return !output.succeeded && output.current === undefined;
  return output?.kind === 'delete' && output.deleted === 1;
}

/** The value an answer says existed: a get's, a successful cas's expected value, a failed cas's reported one; else `null`. */
export function claimedValue(op: Operation): KvValue {
  const { input, output } = op;
  if (output?.kind === 'get') return output.value;
  if (input.kind === 'cas' && output?.kind === 'cas') return output.succeeded ? input.expected : (output.current ?? null);
  return null;
}

/** The values an operation mentions as seen or compared with (every cas's expected value included). */
export function namedValues(op: Operation): string[] {
  const named: KvValue[] = [claimedValue(op)];
  if (op.input.kind === 'cas') named.push(op.input.expected);
  return named.filter((value): value is string => value !== null);
}

/** The value a put or cas writes (if it takes effect); `null` for gets and deletes. */
export function writtenValue(op: Operation): string | null {
  return op.input.kind === 'put' || op.input.kind === 'cas' ? op.input.value : null;
}

/**
 * Whether a state-dependent operation's recorded answer fits meeting `value` (`null`:
 * absent). An operation whose answer is unknown fits every value.
 */
export function couldHaveMet(op: Operation, value: KvValue): boolean {
  const { input, output } = op;
  if (output === undefined) return true;
  switch (output.kind) {
    case 'get':
      return output.value === value;
    case 'cas':
      if (input.kind !== 'cas') return false;
      if (output.succeeded) return input.expected === value;
      return output.current === undefined ? input.expected !== value : output.current === value;
    case 'delete':
      return output.deleted === undefined || output.deleted === (value === null ? 0 : 1);
    case 'put':
      return true;
  }
}

/** The value an operation leaves if it takes effect: a put's or cas's value, `null` after a delete, `undefined` for a get. */
export function effectValue(op: Operation): KvValue | undefined {
  if (op.input.kind === 'delete') return null;
  return op.input.kind === 'get' ? undefined : op.input.value;
}
