/** Errors of the container log files, with a stable `code`. */

export type LogErrorCode =
  /** Neither the log file nor its rotated copy exists. */
  'LOG_NOT_FOUND';

export class LogError extends Error {
  override readonly name = 'LogError';
  readonly code: LogErrorCode;
  readonly retryable = false;

  constructor(code: LogErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}
