/**
 * The lessor's snapshot holds what is replicated (ids, granted TTLs, checkpointed
 * remaining TTLs) and nothing leader-local; equal states encode to equal bytes whatever
 * order they were built in; restore replaces the state; damaged bytes are refused.
 */
import {
  decodeLessorSnapshot,
  encodeLessorSnapshot,
  LeaseSnapshotCorruptError,
  Lessor,
} from '../../../kv/lease/index.js';
import { FakeClock } from './fake-clock.js';

describe('lessor snapshot', () => {
  test('equal states give equal bytes, whatever the order of grants and the leadership', () => {
    const clock = new FakeClock();
    const a = new Lessor({ now: clock.now, minTtlSeconds: 2, checkpointIntervalMs: 60_000 });
    const b = new Lessor({ now: clock.now, minTtlSeconds: 2, checkpointIntervalMs: 60_000 });
    a.promote(500);
    a.grant(3n, 100);
    a.grant(1n, 10);
    a.grant(2n, 1);
    clock.advanceSeconds(7);
    b.grant(2n, 1);
    b.grant(1n, 10);
    b.grant(3n, 100);
    for (const lessor of [a, b]) lessor.checkpoint(3n, 42);
    expect(encodeLessorSnapshot(a.snapshot())).toEqual(encodeLessorSnapshot(b.snapshot()));
    expect(a.snapshot()).toEqual({
      leases: [
        { id: 1n, ttlSeconds: 10, remainingTtlSeconds: 0 },
        { id: 2n, ttlSeconds: 2, remainingTtlSeconds: 0 },
        { id: 3n, ttlSeconds: 100, remainingTtlSeconds: 42 },
      ],
    });
  });

  test('round-trips through bytes, including the largest ids and TTLs', () => {
    const snapshot = {
      leases: [
        { id: 1n, ttlSeconds: 5, remainingTtlSeconds: 0 },
        { id: (1n << 62n) + 12345n, ttlSeconds: 9_000_000_000, remainingTtlSeconds: 8_999_999_999 },
        { id: (1n << 63n) - 1n, ttlSeconds: 60, remainingTtlSeconds: 60 },
      ],
    };
    expect(decodeLessorSnapshot(encodeLessorSnapshot(snapshot))).toEqual(snapshot);
    expect(decodeLessorSnapshot(encodeLessorSnapshot({ leases: [] }))).toEqual({ leases: [] });
  });

  test('restore replaces everything; a restored follower expires nothing; promotion uses the checkpoints', () => {
    const clock = new FakeClock();
    const source = new Lessor({ now: clock.now, minTtlSeconds: 2 });
    source.grant(1n, 30);
    source.grant(2n, 600);
    source.checkpoint(2n, 100);
    const target = new Lessor({ now: clock.now, minTtlSeconds: 2 });
    target.grant(9n, 10);
    target.restore(decodeLessorSnapshot(encodeLessorSnapshot(source.snapshot())));
    expect(target.leaseIds()).toEqual([1n, 2n]);
    clock.advanceSeconds(10_000);
    expect(target.expired()).toEqual([]);
    target.promote(0);
    expect(target.timeToLive(1n).ttlSeconds).toBe(30);
    expect(target.timeToLive(2n).ttlSeconds).toBe(100);
  });

  test('restore on a leader gives the restored leases deadlines at once', () => {
    const clock = new FakeClock();
    const lessor = new Lessor({ now: clock.now, minTtlSeconds: 2 });
    lessor.promote(0);
    lessor.restore({ leases: [{ id: 4n, ttlSeconds: 5, remainingTtlSeconds: 0 }] });
    clock.advanceSeconds(5);
    expect(lessor.expired()).toEqual([4n]);
  });

  test('restored TTLs are raised to this member\'s minimum TTL', () => {
    const lessor = new Lessor({ now: new FakeClock().now, minTtlSeconds: 5 });
    lessor.restore({ leases: [{ id: 1n, ttlSeconds: 2, remainingTtlSeconds: 0 }] });
    expect(lessor.snapshot().leases[0]!.ttlSeconds).toBe(5);
  });

  test('damaged bytes are refused', () => {
    const good = encodeLessorSnapshot({
      leases: [
        { id: 1n, ttlSeconds: 5, remainingTtlSeconds: 0 },
        { id: 2n, ttlSeconds: 5, remainingTtlSeconds: 0 },
      ],
    });
    expect(() => decodeLessorSnapshot(good.subarray(0, 3))).toThrow(LeaseSnapshotCorruptError);
    expect(() => decodeLessorSnapshot(good.subarray(0, good.length - 1))).toThrow(LeaseSnapshotCorruptError);
    const wrongVersion = good.slice();
    wrongVersion[0] = 9;
    expect(() => decodeLessorSnapshot(wrongVersion)).toThrow('unknown format version 9');
    const outOfOrder = good.slice();
    outOfOrder[5 + 24 + 7] = 1; // the second id becomes 1 again
    expect(() => decodeLessorSnapshot(outOfOrder)).toThrow('out of order');
    const badTtl = good.slice();
    new DataView(badTtl.buffer).setBigInt64(5 + 8, 0n);
    expect(() => decodeLessorSnapshot(badTtl)).toThrow('TTL 0');
  });
});
