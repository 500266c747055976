/**
 * Only the leader decides expiry: expired leases come out earliest first in bounded
 * batches and are not handed out again while their revoke is under way; a new leader
 * extends every deadline; a follower never expires anything. Also the checkpoints that
 * carry remaining TTLs across leaders, and the driver that turns both into proposals.
 */
import { LeaseExpiryDriver, Lessor } from '../../../kv/lease/index.js';
import type { LeaseCheckpoint } from '../../../kv/lease/index.js';
import { FakeClock } from './fake-clock.js';

function leader(clock: FakeClock, options: { checkpointIntervalMs?: number; expiredRetryMs?: number } = {}): Lessor {
  const lessor = new Lessor({ now: clock.now, minTtlSeconds: 2, ...options });
  lessor.promote(0);
  return lessor;
}

describe('expiry', () => {
  test('nothing expires before its deadline; at the deadline it does', () => {
    const clock = new FakeClock();
    const lessor = leader(clock);
    lessor.grant(1n, 10);
    clock.advance(9_999);
    expect(lessor.expired()).toEqual([]);
    clock.advance(1);
    expect(lessor.expired()).toEqual([1n]);
  });

  test('earliest deadline first, ties by id, whatever the grant order', () => {
    const clock = new FakeClock();
    const lessor = leader(clock);
    lessor.grant(30n, 5);
    lessor.grant(20n, 3);
    lessor.grant(10n, 5);
    lessor.grant(40n, 4);
    clock.advanceSeconds(10);
    expect(lessor.expired()).toEqual([20n, 40n, 10n, 30n]);
  });

  test('batches are bounded; the rest come in the next batch', () => {
    const clock = new FakeClock();
    const lessor = leader(clock);
    for (let id = 1n; id <= 1200n; id++) lessor.grant(id, 5);
    clock.advanceSeconds(5);
    const first = lessor.expired();
    const second = lessor.expired();
    const third = lessor.expired();
    expect([first.length, second.length, third.length]).toEqual([500, 500, 200]);
    expect(new Set([...first, ...second, ...third]).size).toBe(1200);
    expect(lessor.expired()).toEqual([]);
    expect(lessor.expired(3)).toEqual([]);
  });

  test('a lease handed out is handed out again only after the retry interval (a lost revoke)', () => {
    const clock = new FakeClock();
    const lessor = leader(clock, { expiredRetryMs: 3_000 });
    lessor.grant(1n, 5);
    clock.advanceSeconds(5);
    expect(lessor.expired()).toEqual([1n]);
    clock.advance(2_999);
    expect(lessor.expired()).toEqual([]);
    clock.advance(1);
    expect(lessor.expired()).toEqual([1n]);
    lessor.revoke(1n);
    clock.advanceSeconds(10);
    expect(lessor.expired()).toEqual([]);
  });

  test('renewing before the deadline postpones expiry by the full TTL', () => {
    const clock = new FakeClock();
    const lessor = leader(clock);
    lessor.grant(1n, 10);
    clock.advanceSeconds(8);
    lessor.renew(1n);
    clock.advanceSeconds(9);
    expect(lessor.expired()).toEqual([]);
    clock.advanceSeconds(1);
    expect(lessor.expired()).toEqual([1n]);
  });
});

describe('leadership', () => {
  test('a follower never expires leases, however long it waits', () => {
    const clock = new FakeClock();
    const lessor = new Lessor({ now: clock.now, minTtlSeconds: 2 });
    lessor.grant(1n, 5);
    clock.advanceSeconds(1_000_000);
    expect(lessor.expired()).toEqual([]);
  });

  test('demote stops expiry at once, even of leases already past their deadline', () => {
    const clock = new FakeClock();
    const lessor = leader(clock);
    lessor.grant(1n, 5);
    clock.advanceSeconds(6);
    lessor.demote();
    expect(lessor.isPrimary()).toBe(false);
    expect(lessor.expired()).toEqual([]);
    clock.advanceSeconds(1_000);
    expect(lessor.expired()).toEqual([]);
  });

  test('promote gives every lease its full TTL plus the extension, from the promotion', () => {
    const clock = new FakeClock();
    const lessor = new Lessor({ now: clock.now, minTtlSeconds: 2 });
    lessor.grant(1n, 10);
    lessor.grant(2n, 20);
    clock.advanceSeconds(100); // as a follower: nothing counts down
    lessor.promote(1_000);
    expect(lessor.timeToLive(1n).ttlSeconds).toBe(11);
    clock.advance(10_999);
    expect(lessor.expired()).toEqual([]);
    clock.advance(1);
    expect(lessor.expired()).toEqual([1n]);
    lessor.revoke(1n); // its revoke entry applied
    clock.advanceSeconds(10);
    expect(lessor.expired()).toEqual([2n]);
  });

  test('leader → follower → leader: the deadlines restart from the second promotion', () => {
    const clock = new FakeClock();
    const lessor = leader(clock);
    lessor.grant(1n, 10);
    clock.advanceSeconds(9);
    lessor.demote();
    clock.advanceSeconds(5);
    lessor.promote(2_000);
    clock.advanceSeconds(11);
    expect(lessor.expired()).toEqual([]);
    clock.advanceSeconds(1);
    expect(lessor.expired()).toEqual([1n]);
  });
});

describe('checkpoints', () => {
  test('disabled by default: nothing is ever due', () => {
    const clock = new FakeClock();
    const lessor = leader(clock);
    lessor.grant(1n, 3_600);
    clock.advanceSeconds(3_000);
    expect(lessor.dueCheckpoints()).toEqual([]);
  });

  test('a long lease is checkpointed every interval; the remaining TTL survives a change of leader', () => {
    const clock = new FakeClock();
    const options = { checkpointIntervalMs: 60_000 };
    const oldLeader = leader(clock, options);
    const follower = new Lessor({ now: clock.now, minTtlSeconds: 2, ...options });
    const apply = (f: (l: Lessor) => void): void => [oldLeader, follower].forEach(f);
    apply((l) => l.grant(1n, 600));
    apply((l) => l.grant(2n, 30)); // shorter than an interval: never checkpointed
    clock.advance(59_999);
    expect(oldLeader.dueCheckpoints()).toEqual([]);
    clock.advance(1);
    const due = oldLeader.dueCheckpoints();
    expect(due).toEqual([{ id: 1n, remainingTtlSeconds: 540 }]);
    apply((l) => due.forEach((c) => l.checkpoint(c.id, c.remainingTtlSeconds)));
    expect(follower.snapshot().leases[0]).toEqual({ id: 1n, ttlSeconds: 600, remainingTtlSeconds: 540 });
    expect(follower.dueCheckpoints()).toEqual([]); // only the leader proposes them
    clock.advanceSeconds(60);
    expect(oldLeader.dueCheckpoints()).toEqual([{ id: 1n, remainingTtlSeconds: 480 }]);

    // The follower takes over: lease 1 keeps its checkpointed 540 s, not the full 600 s.
    oldLeader.demote();
    follower.promote(1_000);
    expect(follower.timeToLive(1n).ttlSeconds).toBe(541);
    expect(follower.timeToLive(2n).ttlSeconds).toBe(31);
  });

  test('renewing a checkpointed lease voids its checkpoint and says to clear it everywhere', () => {
    const clock = new FakeClock();
    const lessor = leader(clock, { checkpointIntervalMs: 60_000 });
    lessor.grant(1n, 600);
    lessor.checkpoint(1n, 300);
    expect(lessor.renew(1n)).toEqual({ ttlSeconds: 600, clearCheckpoint: true });
    expect(lessor.renew(1n)).toEqual({ ttlSeconds: 600, clearCheckpoint: false });
    lessor.checkpoint(1n, 0);
    lessor.demote();
    lessor.promote(0);
    expect(lessor.timeToLive(1n).ttlSeconds).toBe(600);
  });

  test('checkpoints of revoked leases are ignored; remaining TTLs are capped by the TTL', () => {
    const clock = new FakeClock();
    const lessor = leader(clock, { checkpointIntervalMs: 60_000 });
    lessor.checkpoint(5n, 10);
    lessor.grant(1n, 100);
    lessor.checkpoint(1n, 1_000);
    expect(lessor.snapshot().leases).toEqual([{ id: 1n, ttlSeconds: 100, remainingTtlSeconds: 100 }]);
  });
});

describe('LeaseExpiryDriver', () => {
  test('each tick proposes the expired leases and the due checkpoints, on the leader only', () => {
    const clock = new FakeClock();
    const lessor = new Lessor({ now: clock.now, minTtlSeconds: 2, checkpointIntervalMs: 60_000 });
    const revoked: bigint[][] = [];
    const checkpoints: LeaseCheckpoint[][] = [];
    const driver = new LeaseExpiryDriver({
      lessor,
      revoke: (ids) => revoked.push([...ids]),
      checkpoint: (cps) => checkpoints.push([...cps]),
    });
    lessor.grant(1n, 5);
    lessor.grant(2n, 600);
    clock.advanceSeconds(100);
    driver.tick();
    expect(revoked).toEqual([]);
    lessor.promote(0);
    clock.advanceSeconds(60);
    driver.tick();
    expect(revoked).toEqual([[1n]]);
    expect(checkpoints).toEqual([[{ id: 2n, remainingTtlSeconds: 540 }]]);
    driver.tick();
    expect(revoked).toHaveLength(1);
  });

  test('start and stop run the tick on a timer', async () => {
    const clock = new FakeClock();
    const lessor = leader(clock);
    lessor.grant(1n, 5);
    clock.advanceSeconds(5);
    const revoked: bigint[] = [];
    let signal: () => void = () => {};
    const first = new Promise<void>((resolve) => (signal = resolve));
    const driver = new LeaseExpiryDriver({ lessor, intervalMs: 5, revoke: (ids) => (revoked.push(...ids), signal()) });
    driver.start();
    driver.start(); // idempotent
    await first;
    driver.stop();
    expect(revoked).toEqual([1n]);
    lessor.grant(2n, 2);
    clock.advanceSeconds(5);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(revoked).toEqual([1n]);
  });
});
