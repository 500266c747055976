/**
 * The sequential specification of one key: a register holding a value or nothing, with
 * get, put, delete and compare-and-set. The checker runs on one key at a time, so the
 * model's state is just that key's value.
 *
 * For speed the search never compares strings: `compileKeyOperations` interns every value
 * of a key into a small integer (`ABSENT` = 0 for "no key", 1, 2, … for values) and turns
 * each operation into a `RegisterStep`, and `applyRegisterStep` is integer comparisons only.
 */

import type { KvValue, Operation } from './operation.js';

/** The state of a key with no value. Values are interned as 1, 2, …. */
export const ABSENT = 0;
/** What `applyRegisterStep` returns when the operation's answer is impossible in that state. */
export const REJECTED = -1;
/** `RegisterStep.current` when a failed compare-and-set did not report the value it saw. */
const NOT_REPORTED = -2;
/** `RegisterStep.deleted` when a delete did not report its count. */
const COUNT_NOT_REPORTED = -1;

/** One operation of a key, interned for the search. */
export interface RegisterStep {
  /** The operation it came from (for reports). */
  readonly operation: Operation;
  readonly kind: 'get' | 'put' | 'delete' | 'cas';
  /** False when the client never got an answer: any step from any state is then accepted. */
  readonly known: boolean;
  /** put / cas: the value written. */
  readonly written: number;
  /** cas: the value compared with (`ABSENT` for "the key does not exist"). */
  readonly expected: number;
  /** Known get: the value read. Known failed cas: the value its else-branch read, or `NOT_REPORTED`. */
  readonly observed: number;
  /** Known cas: whether it succeeded. */
  readonly succeeded: boolean;
  /** Known delete: 0 or 1 keys deleted, or `COUNT_NOT_REPORTED`. */
  readonly deleted: number;
}

/** The interned operations of one key, plus the table to turn states back into values. */
export interface CompiledKey {
  readonly steps: readonly RegisterStep[];
  /** `values[id]` is the value interned as `id` (`values[ABSENT]` is `null`). */
  readonly values: readonly KvValue[];
}

/** Interns the values of `operations` (all on one key) and compiles each into a step. */
export function compileKeyOperations(operations: readonly Operation[]): CompiledKey {
  const ids = new Map<string, number>();
  const values: KvValue[] = [null];
  const intern = (value: KvValue): number => {
    if (value === null) return ABSENT;
    let id = ids.get(value);
    if (id === undefined) {
      id = values.length;
      ids.set(value, id);
      values.push(value);
    }
    return id;
  };
  const steps = operations.map((operation) => compileOperation(operation, intern));
  return { steps, values };
}

function compileOperation(operation: Operation, intern: (value: KvValue) => number): RegisterStep {
  const { input, output } = operation;
  const step = {
    operation,
    kind: input.kind,
    known: output !== undefined,
    written: ABSENT,
    expected: ABSENT,
    observed: NOT_REPORTED,
    succeeded: false,
    deleted: COUNT_NOT_REPORTED,
  };
  if (input.kind === 'put') step.written = intern(input.value);
  if (input.kind === 'cas') {
    step.written = intern(input.value);
    step.expected = intern(input.expected);
  }
  if (output?.kind === 'get') step.observed = intern(output.value);
  if (output?.kind === 'cas') {
    step.succeeded = output.succeeded;
    if (output.current !== undefined) step.observed = intern(output.current);
  }
  if (output?.kind === 'delete' && output.deleted !== undefined) step.deleted = output.deleted;
  return step;
}

/**
 * The state after `step` runs atomically in `state`, or `REJECTED` when its recorded answer
 * could not have come from that state. An operation whose outcome is unknown is accepted
 * from every state; it still changes the state as it would have.
 */
export function applyRegisterStep(state: number, step: RegisterStep): number {
  switch (step.kind) {
    case 'get':
      return !step.known || step.observed === state ? state : REJECTED;
    case 'put':
      return step.written;
    case 'delete':
      if (step.known && step.deleted !== COUNT_NOT_REPORTED && step.deleted !== (state === ABSENT ? 0 : 1)) return REJECTED;
      return ABSENT;
    case 'cas':
      return applyCompareAndSet(state, step);
    default:
      return assertNever(step.kind);
  }
}

function applyCompareAndSet(state: number, step: RegisterStep): number {
  const matches = state === step.expected;
  if (!step.known) return matches ? step.written : state;
  if (step.succeeded) return matches ? step.written : REJECTED;
  if (matches) return REJECTED;
  return step.observed === NOT_REPORTED || step.observed === state ? state : REJECTED;
}

function assertNever(kind: never): never {
  throw new Error(`unknown register step kind ${String(kind)}`);
}
