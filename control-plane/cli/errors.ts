/**
 * Every error the client commands report. Each one becomes one line on stderr and an exit
 * code: `CliUsageError` → 2 (the command line is wrong), everything else → 1.
 */
import type { Status } from '../api/types.js';

/** A failure the user can act on, reported as `error: <message>` with exit code 1. */
export class CliError extends Error {
  override readonly name: string = 'CliError';
  readonly exitCode: number = 1;
}

/** The command line itself is wrong (unknown flag, missing argument): exit code 2. */
export class CliUsageError extends CliError {
  override readonly name = 'CliUsageError';
  override readonly exitCode = 2;
  /** The command whose `--help` the message points to (`get`), when known. */
  readonly command: string | undefined;

  constructor(message: string, command?: string) {
    super(message);
    this.command = command;
  }
}

/**
 * The API server answered with an error: its `Status` (synthesised when the body was not
 * one), so that callers can branch on `reason`/`code` and print kubectl's
 * `Error from server (Reason): message`.
 */
export class ApiClientError extends Error {
  override readonly name = 'ApiClientError';
  readonly status: Status;
  /** What the client was doing (`error when creating "web.yaml"`), printed before the server's message. */
  readonly context: string | undefined;

  constructor(status: Status, context?: string) {
    super(status.message);
    this.status = status;
    this.context = context;
  }

  /** The same answer, saying what the client was doing. */
  withContext(context: string): ApiClientError {
    return new ApiClientError(this.status, context);
  }

  /** `NotFound`, `Conflict`, `AlreadyExists`, `Invalid`, … (`''` when the server gave none). */
  get reason(): string {
    return this.status.reason;
  }

  /** The HTTP status code. */
  get code(): number {
    return this.status.code;
  }

  /** A 409 on an update: someone else wrote the object since we read it; re-read and retry. */
  get retryable(): boolean {
    return this.status.code === 409 && this.status.reason === 'Conflict';
  }
}

/** The API server could not be reached at all (refused, unknown host, timed out). */
export class ApiUnreachableError extends CliError {
  override readonly name = 'ApiUnreachableError';
  readonly server: string;

  constructor(server: string, cause: string) {
    super(`cannot reach the API server at ${server}: ${cause} (is it running? set --server, BALSA_SERVER or ~/.balsa/config.json)`);
    this.server = server;
  }
}

/**
 * kubectl's rendering of a server error: `Error from server (NotFound): pods "web" not
 * found`, with what the client was doing before the message when known
 * (`Error from server (Invalid): error when creating "web.yaml": Deployment.apps "web" is invalid: …`).
 */
export function formatServerError(error: ApiClientError, context: string | undefined = error.context): string {
  const prefix = error.reason === '' ? 'Error from server' : `Error from server (${error.reason})`;
  return context === undefined ? `${prefix}: ${error.message}` : `${prefix}: ${context}: ${error.message}`;
}

/** True for a 404 NotFound answer. */
export function isNotFound(error: unknown): error is ApiClientError {
  return error instanceof ApiClientError && error.code === 404;
}
