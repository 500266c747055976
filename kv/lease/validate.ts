/**
 * The checks of a grant that need no state: the server runs them before proposing (so a
 * bad request never reaches the log), and the lessor again when applying.
 */
import { MAX_LEASE_ID, MAX_LEASE_TTL_SECONDS } from './constants.js';
import { assert, LeaseInvalidIdError, LeaseTtlTooLargeError } from './errors.js';

/**
 * Throws `LeaseInvalidIdError` for an id outside 0..2^63-1 (0 asks the server to pick
 * one) and `LeaseTtlTooLargeError` above `MAX_LEASE_TTL_SECONDS`. A TTL of 0 or less is
 * valid: the lessor raises it to the minimum TTL, as etcd does.
 */
export function validateGrant(id: bigint, ttlSeconds: number): void {
  assert(Number.isSafeInteger(ttlSeconds), () => `lease grant: TTL ${ttlSeconds} is not an integer`);
  if (id < 0n || id > MAX_LEASE_ID) throw new LeaseInvalidIdError(id);
  if (ttlSeconds > MAX_LEASE_TTL_SECONDS) throw new LeaseTtlTooLargeError(ttlSeconds);
}
