/** Leases with etcd v3.4's semantics: the lessor, its snapshot, id picking and the expiry driver. */
export {
  DEFAULT_CHECKPOINT_INTERVAL_MS,
  DEFAULT_EXPIRED_BATCH_LEASES,
  DEFAULT_EXPIRED_RETRY_MS,
  DEFAULT_EXPIRY_CHECK_INTERVAL_MS,
  MAX_CHECKPOINT_BATCH_LEASES,
  MAX_LEASE_ID,
  MAX_LEASE_TTL_SECONDS,
} from './constants.js';
export {
  GrpcCode,
  LeaseAssertionError,
  LeaseError,
  LeaseExistsError,
  LeaseExpiredError,
  LeaseInvalidIdError,
  LeaseNotFoundError,
  LeaseNotPrimaryError,
  LeaseSnapshotCorruptError,
  LeaseTtlTooLargeError,
} from './errors.js';
export type { LeaseErrorCode } from './errors.js';
export { LeaseExpiryDriver } from './expiry-driver.js';
export type { LeaseExpiryDriverOptions } from './expiry-driver.js';
export { LeaseIdGenerator } from './lease-id-generator.js';
export { decodeLessorSnapshot, encodeLessorSnapshot } from './lease-snapshot.js';
export type { LessorSnapshot, LessorSnapshotLease } from './lease-snapshot.js';
export { Lessor, minimumLeaseTtlSeconds } from './lessor.js';
export type { GrantedLease, LeaseCheckpoint, LeaseTimeToLive, LessorOptions, RenewResult } from './lessor.js';
export { validateGrant } from './validate.js';
