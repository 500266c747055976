/**
 * The lessor's applied operations and leader-local reads, against etcd v3.4's rules:
 * grant (minimum and maximum TTL, duplicate and invalid ids), revoke, keep-alive,
 * time-to-live (truncated seconds) and the lease list. (Which keys a lease holds is the
 * store's: `test/kv/mvcc/lease.test.ts`.)
 */
import {
  Lessor,
  LeaseExistsError,
  LeaseExpiredError,
  LeaseInvalidIdError,
  LeaseNotFoundError,
  LeaseNotPrimaryError,
  LeaseTtlTooLargeError,
  MAX_LEASE_TTL_SECONDS,
  minimumLeaseTtlSeconds,
  validateGrant,
} from '../../../kv/lease/index.js';
import { FakeClock } from './fake-clock.js';


function newLessor(clock = new FakeClock(), minTtlSeconds = 2): Lessor {
  return new Lessor({ now: clock.now, minTtlSeconds });
}

describe('minimum TTL', () => {
  test('is 1.5 election timeouts in whole ticks, rounded up to seconds (etcd)', () => {
    expect(minimumLeaseTtlSeconds(10, 100)).toBe(2); // 15 ticks × 100 ms = 1.5 s → 2 s
    expect(minimumLeaseTtlSeconds(20, 100)).toBe(3);
    expect(minimumLeaseTtlSeconds(11, 100)).toBe(2); // ⌊16.5⌋ = 16 ticks = 1.6 s → 2 s
    expect(minimumLeaseTtlSeconds(10, 1000)).toBe(15);
  });
});

describe('grant', () => {
  test('grants the TTL asked for, raised to the minimum', () => {
    const lessor = newLessor();
    expect(lessor.grant(1n, 60)).toEqual({ id: 1n, ttlSeconds: 60 });
    expect(lessor.grant(2n, 1)).toEqual({ id: 2n, ttlSeconds: 2 });
    expect(lessor.grant(3n, 0)).toEqual({ id: 3n, ttlSeconds: 2 });
    expect(lessor.grant(4n, -5)).toEqual({ id: 4n, ttlSeconds: 2 });
    expect(lessor.leaseIds()).toEqual([1n, 2n, 3n, 4n]);
  });

  test('accepts the maximum TTL and refuses one second more', () => {
    const lessor = newLessor();
    expect(lessor.grant(1n, MAX_LEASE_TTL_SECONDS).ttlSeconds).toBe(9_000_000_000);
    const error = (() => {
      try {
        lessor.grant(2n, MAX_LEASE_TTL_SECONDS + 1);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(LeaseTtlTooLargeError);
    expect((error as Error).message).toBe('etcdserver: too large lease TTL');
    expect(lessor.has(2n)).toBe(false);
  });

  test('refuses a duplicate id, changing nothing', () => {
    const lessor = newLessor();
    lessor.grant(7n, 30);
    expect(() => lessor.grant(7n, 60)).toThrow(LeaseExistsError);
    expect(() => lessor.grant(7n, 60)).toThrow('etcdserver: lease already exists');
    lessor.promote(0);
    expect(lessor.timeToLive(7n).grantedTtlSeconds).toBe(30);
  });

  test('refuses negative ids and ids beyond int64; validateGrant does the same before proposing', () => {
    const lessor = newLessor();
    expect(() => lessor.grant(-1n, 10)).toThrow(LeaseInvalidIdError);
    expect(() => lessor.grant(1n << 63n, 10)).toThrow(LeaseInvalidIdError);
    expect(() => validateGrant(-5n, 10)).toThrow(LeaseInvalidIdError);
    expect(() => validateGrant(0n, MAX_LEASE_TTL_SECONDS + 1)).toThrow(LeaseTtlTooLargeError);
    expect(() => validateGrant(0n, 10)).not.toThrow();
    expect(lessor.grant((1n << 63n) - 1n, 10).id).toBe((1n << 63n) - 1n);
    expect(() => lessor.grant(0n, 10)).toThrow(LeaseNotFoundError); // the server picks ids before proposing
  });

  test('the errors carry etcd\'s gRPC codes', () => {
    expect(new LeaseNotFoundError(1n).grpcCode).toBe(5);
    expect(new LeaseExistsError(1n).grpcCode).toBe(9);
    expect(new LeaseTtlTooLargeError(1).grpcCode).toBe(11);
  });
});

describe('revoke', () => {
  test('forgets the lease: no renew, no time to live, no expiry', () => {
    const clock = new FakeClock();
    const lessor = newLessor(clock);
    lessor.promote(0);
    lessor.grant(1n, 10);
    lessor.grant(2n, 10);
    lessor.revoke(1n);
    expect(lessor.has(1n)).toBe(false);
    expect(lessor.leaseIds()).toEqual([2n]);
    expect(() => lessor.renew(1n)).toThrow(LeaseNotFoundError);
    expect(() => lessor.timeToLive(1n)).toThrow(LeaseNotFoundError);
    clock.advanceSeconds(11);
    expect(lessor.expired()).toEqual([2n]);
  });

  test('an unknown lease is not found', () => {
    const lessor = newLessor();
    expect(() => lessor.revoke(9n)).toThrow(LeaseNotFoundError);
    expect(() => lessor.revoke(9n)).toThrow('etcdserver: requested lease not found');
  });
});

describe('renew and time to live (leader only)', () => {
  test('a follower refuses both: they are forwarded to the leader', () => {
    const lessor = newLessor();
    lessor.grant(1n, 10);
    expect(() => lessor.renew(1n)).toThrow(LeaseNotPrimaryError);
    expect(() => lessor.timeToLive(1n)).toThrow(LeaseNotPrimaryError);
    expect(lessor.leaseIds()).toEqual([1n]); // the list is served anywhere
  });

  test('remaining TTL counts down in whole seconds, truncated; renew resets it to the full TTL', () => {
    const clock = new FakeClock();
    const lessor = newLessor(clock);
    lessor.promote(0);
    lessor.grant(1n, 10);
    expect(lessor.timeToLive(1n)).toEqual({ id: 1n, ttlSeconds: 10, grantedTtlSeconds: 10 });
    clock.advance(3_400);
    expect(lessor.timeToLive(1n)).toEqual({ id: 1n, ttlSeconds: 6, grantedTtlSeconds: 10 });
    clock.advance(600);
    expect(lessor.timeToLive(1n).ttlSeconds).toBe(6);
    clock.advance(1);
    expect(lessor.timeToLive(1n).ttlSeconds).toBe(5);
    expect(lessor.renew(1n)).toEqual({ ttlSeconds: 10, clearCheckpoint: false });
    expect(lessor.timeToLive(1n).ttlSeconds).toBe(10);
  });

  test('a lease past its deadline cannot be renewed: it waits for its revocation', () => {
    const clock = new FakeClock();
    const lessor = newLessor(clock);
    lessor.promote(0);
    lessor.grant(1n, 5);
    clock.advanceSeconds(5);
    expect(() => lessor.renew(1n)).toThrow(LeaseExpiredError);
    expect(lessor.timeToLive(1n).ttlSeconds).toBe(0);
    clock.advance(1_500);
    expect(lessor.timeToLive(1n).ttlSeconds).toBe(-1);
    lessor.revoke(1n);
    expect(() => lessor.renew(1n)).toThrow(LeaseNotFoundError);
    expect(() => lessor.timeToLive(1n)).toThrow(LeaseNotFoundError);
  });
});
