/**
 * The vocabulary of a recorded history: what a client asked the key-value store
 * (`KvInput`), what it answered (`KvOutput`), and one operation with its real-time
 * interval (`Operation`).
 *
 * Every operation touches exactly one key, which is what lets the checker split a history
 * per key (P-compositionality: a history is linearizable iff each key's sub-history is).
 * Multi-key transactions and ranges are outside this model.
 *
 * Values are strings; an absent key is `null`, never an empty string (etcd stores empty
 * values, and they are present).
 */

/** The value of one key: a string, or `null` when the key does not exist. */
export type KvValue = string | null;

/** Read one key (etcd `Range` of a single key). */
export interface GetInput {
  readonly kind: 'get';
  readonly key: string;
}

/** Write one key unconditionally (etcd `Put`). */
export interface PutInput {
  readonly kind: 'put';
  readonly key: string;
  readonly value: string;
}

/** Remove one key (etcd `DeleteRange` of a single key). */
export interface DeleteInput {
  readonly kind: 'delete';
  readonly key: string;
}

/**
 * Compare-and-set (an etcd `Txn`): if the key's value equals `expected` (with `null`
 * meaning the key is absent, etcd's `create_revision == 0`), put `value`; otherwise
 * change nothing.
 */
export interface CasInput {
  readonly kind: 'cas';
  readonly key: string;
  readonly expected: KvValue;
  readonly value: string;
}

export type KvInput = GetInput | PutInput | DeleteInput | CasInput;

/** A get's answer: the value it read, `null` when the key was absent. */
export interface GetOutput {
  readonly kind: 'get';
  readonly value: KvValue;
}

/** A put's acknowledgement. */
export interface PutOutput {
  readonly kind: 'put';
}

/**
 * A delete's acknowledgement. `deleted` (etcd's count, 0 or 1 for one key) is optional:
 * given, it also says whether the key existed.
 */
export interface DeleteOutput {
  readonly kind: 'delete';
  readonly deleted?: 0 | 1;
}

/**
 * A compare-and-set's answer: etcd's `succeeded`. On failure, `current` is optional: the
 * value the failure branch read (a `Txn` whose else-branch ranges the key). Giving it makes
 * failures checkable against the value and lets the checker prune more (see
 * `prune-unconstraining.ts`).
 */
export interface CasOutput {
  readonly kind: 'cas';
  readonly succeeded: boolean;
  readonly current?: KvValue;
}

export type KvOutput = GetOutput | PutOutput | DeleteOutput | CasOutput;

/** Who issued an operation; only used in reports (real-time order does all the work). */
export type ClientId = string | number;

/**
 * One operation of a history.
 *
 * Times are read from one monotonic clock for the whole history, in nanoseconds
 * (`HistoryRecorder` reads `process.hrtime.bigint()` relative to its creation).
 *
 * Invariants (checked by `validateHistory`):
 * - `invokedAtNs` is finite and `returnedAtNs >= invokedAtNs`;
 * - `output` is present iff the outcome is known, and then `returnedAtNs` is finite and
 *   `output.kind === input.kind`;
 * - an operation whose outcome is unknown (the client never got an answer: a timeout, a
 *   dropped connection) has `output === undefined` and `returnedAtNs === Infinity`: it
 *   may have taken effect at any moment after its invocation, or never.
 *
 * An operation that definitely had no effect (an error the store raised before doing
 * anything) does not belong in the history at all.
 */
export interface Operation {
  /** Unique in the history; `HistoryRecorder` numbers operations 0, 1, … in invocation order. */
  readonly id: number;
  readonly clientId: ClientId;
  readonly input: KvInput;
  readonly output: KvOutput | undefined;
  /** When the client sent the request (ns, monotonic). */
  readonly invokedAtNs: number;
  /** When the client received the answer (ns, monotonic); `Infinity` when it never did. */
  readonly returnedAtNs: number;
}

/** A history: operations in any order (the checker orders them by time). */
export type History = readonly Operation[];

/** True when the client never learned the outcome of `operation`. */
export function isOutcomeUnknown(operation: Operation): boolean {
  return operation.output === undefined;
}
