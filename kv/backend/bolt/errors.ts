/**
 * Every error of the bbolt writer and reader, each with a stable `code`. None is
 * retryable: the same input fails the same way.
 */

export type BoltErrorCode = 'BOLT_INVALID_INPUT' | 'BOLT_CORRUPT' | 'BOLT_ASSERTION';

export abstract class BoltError extends Error {
  abstract readonly code: BoltErrorCode;
  readonly retryable = false;
}

/** What the writer was given cannot be a bbolt file: keys out of order, too large, a bad page size. */
export class BoltInputError extends BoltError {
  readonly code = 'BOLT_INVALID_INPUT';
  constructor(message: string) {
    super(`bolt: ${message}`);
    this.name = 'BoltInputError';
  }
}

/** The bytes read are not a well-formed bbolt file. */
export class BoltCorruptError extends BoltError {
  readonly code = 'BOLT_CORRUPT';
  constructor(message: string) {
    super(`bolt: corrupt file: ${message}`);
    this.name = 'BoltCorruptError';
  }
}

/** A broken invariant of the writer: a bug (or a bucket whose entries changed between the plan and the write). */
export class BoltAssertionError extends BoltError {
  readonly code = 'BOLT_ASSERTION';
  constructor(message: string) {
    super(`bolt: assertion failed: ${message}`);
    this.name = 'BoltAssertionError';
  }
}

export function assert(condition: boolean, message: string | (() => string)): asserts condition {
  if (!condition) throw new BoltAssertionError(typeof message === 'string' ? message : message());
}
