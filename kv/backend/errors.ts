/**
 * Errors of the etcd backend layout (`kv/backend/`), with a stable `code`; the bbolt
 * file's own are in `bolt/errors.ts`.
 */

export type EtcdBackendErrorCode = 'ETCD_BACKEND_MALFORMED';

/** Bytes that should be etcd's backend encoding (a revision key, a protobuf record) are not. Not retryable. */
export class EtcdBackendError extends Error {
  readonly code: EtcdBackendErrorCode = 'ETCD_BACKEND_MALFORMED';
  readonly retryable = false;
  constructor(message: string) {
    super(`etcd backend: ${message}`);
    this.name = 'EtcdBackendError';
  }
}
