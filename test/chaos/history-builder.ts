/**
 * Hand-built histories for the checker's tests, written as timelines:
 *
 *     historyOf(put('c1', 'x', 'a', 0, 10), get('c2', 'x', 'a', 20, 30))
 *
 * Times are in milliseconds (stored as nanoseconds, like a recorded history). Leaving out
 * an operation's end (and answer) makes its outcome unknown: it never returned.
 */

import type { ClientId, KvInput, KvOutput, KvValue, Operation } from '../support/linearizability/index.js';

const NS_PER_MS = 1e6;

/** An operation before `historyOf` numbers it. */
export type UnnumberedOperation = Omit<Operation, 'id'>;

function operation(clientId: ClientId, input: KvInput, output: KvOutput | undefined, startMs: number, endMs: number | undefined): UnnumberedOperation {
  const known = endMs !== undefined && output !== undefined;
  return {
    clientId,
    input,
    output: known ? output : undefined,
    invokedAtNs: startMs * NS_PER_MS,
    returnedAtNs: known ? endMs * NS_PER_MS : Infinity,
  };
}

/** A get that read `value` (`null`: absent); without `endMs`, one that never returned. */
export function get(clientId: ClientId, key: string, value: KvValue, startMs: number, endMs?: number): UnnumberedOperation {
  return operation(clientId, { kind: 'get', key }, { kind: 'get', value }, startMs, endMs);
}

/** A put; without `endMs`, one whose outcome is unknown. */
export function put(clientId: ClientId, key: string, value: string, startMs: number, endMs?: number): UnnumberedOperation {
  return operation(clientId, { kind: 'put', key, value }, { kind: 'put' }, startMs, endMs);
}

/** A delete, with etcd's deleted count when given. */
export function del(clientId: ClientId, key: string, startMs: number, endMs?: number, deleted?: 0 | 1): UnnumberedOperation {
  const output: KvOutput = deleted === undefined ? { kind: 'delete' } : { kind: 'delete', deleted };
  return operation(clientId, { kind: 'delete', key }, output, startMs, endMs);
}

/** A compare-and-set that `succeeded` (a failure may report the `current` value it saw). */
export function cas(
  clientId: ClientId,
  key: string,
  expected: KvValue,
  value: string,
  succeeded: boolean,
  startMs: number,
  endMs?: number,
  current?: KvValue,
): UnnumberedOperation {
  const output: KvOutput = current === undefined ? { kind: 'cas', succeeded } : { kind: 'cas', succeeded, current };
  return operation(clientId, { kind: 'cas', key, expected, value }, output, startMs, endMs);
}

/** Numbers the operations 0, 1, … in the order given. */
export function historyOf(...operations: UnnumberedOperation[]): Operation[] {
  return operations.map((op, id) => ({ id, ...op }));
}
