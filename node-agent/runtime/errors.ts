/**
 * Errors of the container runtimes (`process`, `docker`), each with a stable `code` the
 * agent branches on. A start that fails carries the Kubernetes reason the agent shows in
 * the container's status (`StartError`, as containerd reports a command runc could not
 * execute; the kubelet then waits with `RunContainerError`).
 */

export type RuntimeErrorCode =
  /** The container's command could not be started (not found, not executable, bad working directory). */
  | 'START_ERROR'
  /** The spec cannot be run at all (no command and no args). */
  | 'INVALID_SPEC'
  /** No container with that id (never started, or removed). */
  | 'CONTAINER_NOT_FOUND'
  /** The operation needs a running container (exec) and it has exited. */
  | 'CONTAINER_NOT_RUNNING'
  /** The operation needs an exited container (remove) and it still runs. */
  | 'CONTAINER_RUNNING'
  /** The runtime's own files or the host refused (state directory, log file). */
  | 'RUNTIME_IO';

/** A failure of a runtime operation. `retryable` says whether the same call may succeed later unchanged. */
export class RuntimeError extends Error {
  override readonly name = 'RuntimeError';
  readonly code: RuntimeErrorCode;
  readonly retryable: boolean;
  /** The container status reason this failure shows as (`StartError`), when it is a start failure. */
  readonly reason: string | undefined;

  constructor(code: RuntimeErrorCode, message: string, options: { retryable?: boolean; reason?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.reason = options.reason;
  }
}

/** The error of a start that failed before the process ran, with reason `StartError`. */
export function startError(containerName: string, why: string, cause?: unknown): RuntimeError {
  return new RuntimeError('START_ERROR', `failed to start container "${containerName}": ${why}`, { reason: 'StartError', cause });
}
