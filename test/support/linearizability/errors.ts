/**
 * Every error the linearizability checker and the history recorder raise. They are all
 * misuse by the caller (a malformed history, an operation settled twice), never a verdict:
 * a history that is not linearizable is a result, not an error.
 */

/** The stable codes of `LinearizabilityError`s. */
export type LinearizabilityErrorCode =
  /** Two operations of one history share an id. */
  | 'DUPLICATE_OPERATION_ID'
  /** An invocation time that is not finite, or a return before the invocation. */
  | 'BAD_OPERATION_TIME'
  /** An output that does not fit the input (kind mismatch, known output without a return time, …). */
  | 'BAD_OPERATION_OUTPUT'
  /** A budget or option out of its range. */
  | 'BAD_OPTION'
  /** The recorder was asked to settle an operation it did not start, or one already settled. */
  | 'OPERATION_NOT_PENDING';

/** Raised for a malformed history or a misused recorder; nothing is retryable. */
export class LinearizabilityError extends Error {
  readonly retryable = false;
  constructor(
    readonly code: LinearizabilityErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'LinearizabilityError';
  }
}
