/**
 * The MVCC store: the public API of `kv/mvcc`. Named exports only; anything not listed
 * here is internal.
 */
export { MvccStore, INITIAL_REVISION } from './store.js';
export { NEVER_COMPACTED } from './history.js';
export type { MvccStoreOptions, ChangesListener, HashKvResult } from './store.js';
export { nextTurnScheduler } from './cleanup-scheduler.js';
export type { CleanupScheduler } from './cleanup-scheduler.js';
export { COMPACTION_BATCH_KEYS, COMPACTION_BATCH_RECORDS } from './constants.js';
export { DEFAULT_MAX_TXN_OPS } from './request-checks.js';
export { RecordView } from './record-view.js';
export type { RevisionRecord } from './record-view.js';
export { compareBytes, keyInterval, intervalContains, keyString, ownBytes } from './key-bytes.js';
export type { KeyInterval, KeyString } from './key-bytes.js';
export {
  GrpcStatus,
  MvccError,
  CompactedError,
  FutureRevisionError,
  EmptyKeyError,
  KeyNotFoundError,
  ValueProvidedError,
  LeaseProvidedError,
  TooManyOpsError,
  DuplicateKeyError,
  LeaseNotFoundError,
  SnapshotCorruptError,
  MvccAssertionError,
} from './errors.js';
export type { GrpcStatusCode, MvccErrorCode } from './errors.js';
export type {
  SortOrder,
  SortTarget,
  RangeOptions,
  RangeResponse,
  PutRequest,
  PutResponse,
  DeleteRangeRequest,
  DeleteRangeResponse,
  CompareResult,
  CompareTarget,
  Compare,
  TxnRequest,
  TxnResponse,
  RangeOp,
  PutOp,
  DeleteRangeOp,
  TxnOp,
  Op,
  OpResponse,
} from './requests.js';
export type { KeyValue, EventType, KvEvent, RevisionChanges, KeyRange } from './types.js';
