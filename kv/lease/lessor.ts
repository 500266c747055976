/**
 * The lessor: etcd v3.4's lease semantics as a pure, clock-injected state machine. It
 * holds no timers and does no I/O; a driver (`expiry-driver.ts`) asks it what to do.
 *
 * Two kinds of calls, and the difference matters for determinism:
 *
 * - **Applied** (the same on every member, in log order): `grant`, `revoke`,
 *   `checkpoint`, `restore`. Their result depends only on their arguments and the
 *   replicated state (ids, granted TTLs, checkpointed remaining TTLs), never on the
 *   clock's value. The chosen lease id travels in the Raft entry (`LeaseIdGenerator`
 *   picks it on the leader before proposing).
 * - **Leader-local** (the *primary* lessor only: the member that is Raft leader): `renew`,
 *   `timeToLive`, `expired`, `dueCheckpoints`. They read the clock. `promote` makes this
 *   lessor primary when its node becomes leader, `demote` undoes it. A non-primary keeps
 *   every deadline at infinity: followers never expire leases; only the leader decides,
 *   and it revokes through Raft.
 *
 * **Keys.** Which keys a lease holds is the MVCC store's to know (each key's current
 * version names its lease: `MvccStore.keysWithLease`), not the lessor's: the server
 * deletes a revoked lease's keys through the store, in one revision, and lists them for
 * time-to-live from there. The lessor knows leases and their deadlines only.
 *
 * Units: TTLs in whole seconds (as on the wire), clock and deadlines in ms.
 */
import { DEFAULT_EXPIRED_BATCH_LEASES, DEFAULT_EXPIRED_RETRY_MS, MAX_CHECKPOINT_BATCH_LEASES } from './constants.js';
import { DeadlineQueue } from './deadline-queue.js';
import {
  assert,
  LeaseExistsError,
  LeaseExpiredError,
  LeaseNotFoundError,
  LeaseNotPrimaryError,
} from './errors.js';
import type { LessorSnapshot } from './lease-snapshot.js';
import { validateGrant } from './validate.js';

export interface LessorOptions {
  /** The clock, in ms. Only leader-local calls read it. */
  readonly now: () => number;
  /**
   * Shortest TTL granted, in seconds; shorter requests (0 included) are raised to it.
   * Use `minimumLeaseTtlSeconds(electionTicks, tickMs)` to follow etcd.
   */
  readonly minTtlSeconds: number;
  /**
   * How long a lease handed out by `expired()` waits before it is handed out again, in
   * ms, in case its revoke proposal was lost. Default `DEFAULT_EXPIRED_RETRY_MS`.
   */
  readonly expiredRetryMs?: number;
  /**
   * Lease checkpointing (etcd's `--experimental-enable-lease-checkpoint`): every this
   * many ms the leader records the remaining TTL of long leases through Raft, so that a
   * new leader does not give them their full TTL again. 0 (the default, as in etcd 3.4)
   * disables it; etcd's interval is `DEFAULT_CHECKPOINT_INTERVAL_MS`.
   */
  readonly checkpointIntervalMs?: number;
}

/** The answer to a grant: the id and the TTL actually granted (after the minimum). */
export interface GrantedLease {
  readonly id: bigint;
  readonly ttlSeconds: number;
}

export interface RenewResult {
  /** The lease's granted TTL: the keep-alive response's TTL. */
  readonly ttlSeconds: number;
  /**
   * The lease had a checkpointed remaining TTL, now void: propose a checkpoint with
   * remaining TTL 0 for it, so that the other members forget it too (as etcd does).
   */
  readonly clearCheckpoint: boolean;
}

export interface LeaseTimeToLive {
  readonly id: bigint;
  /** Seconds left, truncated toward zero as etcd does (`int64(Remaining().Seconds())`). */
  readonly ttlSeconds: number;
  readonly grantedTtlSeconds: number;
}

/** A remaining TTL to record through Raft (etcd's `LeaseCheckpoint`). */
export interface LeaseCheckpoint {
  readonly id: bigint;
  readonly remainingTtlSeconds: number;
}

interface LeaseState {
  readonly id: bigint;
  readonly ttlSeconds: number;
  /** The last checkpointed remaining TTL, seconds; 0 for none. Replicated. */
  remainingTtlSeconds: number;
  /** When the lease expires, ms; Infinity unless this lessor is primary. Leader-local. */
  deadlineMs: number;
}

/** etcd's minimum TTL: 1.5 election timeouts (in whole ticks), rounded up to seconds. */
export function minimumLeaseTtlSeconds(electionTicks: number, tickMs: number): number {
  assert(Number.isInteger(electionTicks) && electionTicks > 0, 'minimumLeaseTtlSeconds: electionTicks must be a positive integer');
  assert(tickMs > 0, 'minimumLeaseTtlSeconds: tickMs must be positive');
  return Math.ceil((Math.floor((3 * electionTicks) / 2) * tickMs) / 1000);
}

export class Lessor {
  private readonly now: () => number;
  private readonly minTtlSeconds: number;
  private readonly expiredRetryMs: number;
  private readonly checkpointIntervalMs: number;
  private readonly leases = new Map<bigint, LeaseState>();
  /** Primary only: when each lease is next due to be handed out by `expired()`. */
  private readonly expiryQueue = new DeadlineQueue();
  /** Primary only: when each lease is next due for a checkpoint. */
  private readonly checkpointQueue = new DeadlineQueue();
  private primary = false;

  constructor(options: LessorOptions) {
    assert(Number.isInteger(options.minTtlSeconds) && options.minTtlSeconds > 0, 'lessor: minTtlSeconds must be a positive integer');
    this.now = options.now;
    this.minTtlSeconds = options.minTtlSeconds;
    this.expiredRetryMs = options.expiredRetryMs ?? DEFAULT_EXPIRED_RETRY_MS;
    this.checkpointIntervalMs = options.checkpointIntervalMs ?? 0;
    assert(this.expiredRetryMs > 0, 'lessor: expiredRetryMs must be positive');
    assert(this.checkpointIntervalMs >= 0, 'lessor: checkpointIntervalMs must not be negative');
  }

  // ---- Applied: identical on every member. ----

  /**
   * Create a lease. `id` was chosen on the leader before proposing; 0 here is refused
   * with `LeaseNotFoundError`, as etcd's lessor does. The TTL is raised to the minimum
   * TTL. Throws `LeaseInvalidIdError`, `LeaseTtlTooLargeError`, `LeaseExistsError`.
   */
  grant(id: bigint, ttlSeconds: number): GrantedLease {
    validateGrant(id, ttlSeconds);
    if (id === 0n) throw new LeaseNotFoundError(id);
    if (this.leases.has(id)) throw new LeaseExistsError(id);
    const lease: LeaseState = {
      id,
      ttlSeconds: Math.max(ttlSeconds, this.minTtlSeconds),
      remainingTtlSeconds: 0,
      deadlineMs: Infinity,
    };
    this.leases.set(id, lease);
    if (this.primary) this.refresh(lease, 0);
    return { id, ttlSeconds: lease.ttlSeconds };
  }

  /**
   * Delete a lease (the server deletes its keys from the store, in the same revision).
   * Throws `LeaseNotFoundError`.
   */
  revoke(id: bigint): void {
    this.mustGet(id);
    this.leases.delete(id);
    this.expiryQueue.delete(id);
    this.checkpointQueue.delete(id);
  }

  /**
   * Apply a checkpoint: remember the lease's remaining TTL, used when a member is
   * promoted. Unknown leases are ignored (revoked since the checkpoint was proposed).
   */
  checkpoint(id: bigint, remainingTtlSeconds: number): void {
    assert(Number.isInteger(remainingTtlSeconds) && remainingTtlSeconds >= 0, () => `lessor: checkpoint of ${id} with remaining ${remainingTtlSeconds}`);
    const lease = this.leases.get(id);
    if (lease === undefined) return;
    lease.remainingTtlSeconds = Math.min(remainingTtlSeconds, lease.ttlSeconds);
    if (this.primary) this.scheduleCheckpoint(lease);
  }

  /** The replicated state, leases in id order (deterministic: no deadlines). */
  snapshot(): LessorSnapshot {
    const ids = [...this.leases.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return {
      leases: ids.map((id) => {
        const lease = this.leases.get(id)!;
        return { id, ttlSeconds: lease.ttlSeconds, remainingTtlSeconds: lease.remainingTtlSeconds };
      }),
    };
  }

  /** Replace the whole state with a snapshot's. TTLs are raised to this member's minimum TTL. */
  restore(snapshot: LessorSnapshot): void {
    this.leases.clear();
    this.expiryQueue.clear();
    this.checkpointQueue.clear();
    for (const entry of snapshot.leases) {
      assert(!this.leases.has(entry.id), () => `lessor: snapshot holds lease ${entry.id} twice`);
      const lease: LeaseState = {
        id: entry.id,
        ttlSeconds: Math.max(entry.ttlSeconds, this.minTtlSeconds),
        remainingTtlSeconds: entry.remainingTtlSeconds,
        deadlineMs: Infinity,
      };
      this.leases.set(entry.id, lease);
      if (this.primary) this.refresh(lease, 0);
    }
  }

  // ---- Reads that need no clock: any member. ----

  has(id: bigint): boolean {
    return this.leases.has(id);
  }

  /** Every lease id, ascending (etcd's LeaseLeases, served by any member). */
  leaseIds(): bigint[] {
    return [...this.leases.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  get size(): number {
    return this.leases.size;
  }

  // ---- Leader-local. ----

  isPrimary(): boolean {
    return this.primary;
  }

  /**
   * This member became leader: from now on it decides expiry. Each lease's deadline
   * becomes now + its remaining TTL (the checkpointed one, or the full TTL) + `extendMs`
   * (etcd extends by an election timeout, so the new leader does not expire at once the
   * leases whose keep-alives went to the old one).
   */
  promote(extendMs: number): void {
    assert(extendMs >= 0, 'lessor: promote with a negative extension');
    this.primary = true;
    for (const lease of this.leases.values()) this.refresh(lease, extendMs);
  }

  /** This member lost leadership: no lease expires here any more. */
  demote(): void {
    this.primary = false;
    for (const lease of this.leases.values()) lease.deadlineMs = Infinity;
    this.expiryQueue.clear();
    this.checkpointQueue.clear();
  }

  /**
   * Keep a lease alive: its deadline becomes now + its full TTL. Throws
   * `LeaseNotPrimaryError` (forward to the leader), `LeaseNotFoundError`, or
   * `LeaseExpiredError` when the lease is past its deadline and waits for revocation.
   */
  renew(id: bigint): RenewResult {
    if (!this.primary) throw new LeaseNotPrimaryError();
    const lease = this.mustGet(id);
    if (lease.deadlineMs <= this.now()) throw new LeaseExpiredError(id);
    const clearCheckpoint = this.checkpointIntervalMs > 0 && lease.remainingTtlSeconds > 0;
    lease.remainingTtlSeconds = 0;
    this.refresh(lease, 0);
    return { ttlSeconds: lease.ttlSeconds, clearCheckpoint };
  }

  /**
   * A lease's remaining and granted TTL (its keys are the store's to list). Throws
   * `LeaseNotPrimaryError` (only the leader knows deadlines; etcd forwards this call) or
   * `LeaseNotFoundError` (the server answers it as etcd does, with TTL -1).
   */
  timeToLive(id: bigint): LeaseTimeToLive {
    if (!this.primary) throw new LeaseNotPrimaryError();
    const lease = this.mustGet(id);
    const remaining = Math.trunc((lease.deadlineMs - this.now()) / 1000);
    return { id, ttlSeconds: remaining === 0 ? 0 : remaining, grantedTtlSeconds: lease.ttlSeconds };
  }

  /**
   * Leases past their deadline, earliest first, at most `limit`: propose their
   * revocation through Raft. Each one returned is not returned again for
   * `expiredRetryMs` (its revoke is under way). Empty unless primary.
   */
  expired(limit = DEFAULT_EXPIRED_BATCH_LEASES): bigint[] {
    assert(Number.isInteger(limit) && limit > 0, 'lessor: expired() limit must be a positive integer');
    if (!this.primary) return [];
    const now = this.now();
    const ids: bigint[] = [];
    for (let next = this.expiryQueue.peek(); next !== undefined && next.timeMs <= now && ids.length < limit; next = this.expiryQueue.peek()) {
      const lease = this.leases.get(next.id);
      assert(lease !== undefined && lease.deadlineMs <= now, () => `lessor: expiry queue entry ${next!.id} out of date`);
      ids.push(next.id);
      this.expiryQueue.set(next.id, now + this.expiredRetryMs);
    }
    return ids;
  }

  /**
   * Checkpoints due, at most `limit`: propose them through Raft (etcd's
   * LeaseCheckpointRequest); `checkpoint()` applies them. Empty unless primary and
   * checkpointing is enabled. A lease whose remaining TTL is still its full TTL needs none.
   */
  dueCheckpoints(limit = MAX_CHECKPOINT_BATCH_LEASES): LeaseCheckpoint[] {
    assert(Number.isInteger(limit) && limit > 0, 'lessor: dueCheckpoints() limit must be a positive integer');
    if (!this.primary || this.checkpointIntervalMs === 0) return [];
    const now = this.now();
    const due: LeaseCheckpoint[] = [];
    for (let next = this.checkpointQueue.peek(); next !== undefined && next.timeMs <= now && due.length < limit; next = this.checkpointQueue.peek()) {
      this.checkpointQueue.pop();
      const lease = this.leases.get(next.id)!;
      if (lease.deadlineMs <= now) continue;
      const remainingTtlSeconds = Math.ceil((lease.deadlineMs - now) / 1000);
      if (remainingTtlSeconds >= lease.ttlSeconds) continue;
      due.push({ id: lease.id, remainingTtlSeconds });
    }
    return due;
  }

  // ---- Helpers. ----

  private mustGet(id: bigint): LeaseState {
    const lease = this.leases.get(id);
    if (lease === undefined) throw new LeaseNotFoundError(id);
    return lease;
  }

  /** Primary only: deadline = now + remaining TTL + extension; requeue. */
  private refresh(lease: LeaseState, extendMs: number): void {
    assert(this.primary, 'lessor: refresh on a non-primary lessor');
    const remaining = lease.remainingTtlSeconds > 0 ? lease.remainingTtlSeconds : lease.ttlSeconds;
    lease.deadlineMs = this.now() + remaining * 1000 + extendMs;
    this.expiryQueue.set(lease.id, lease.deadlineMs);
    this.scheduleCheckpoint(lease);
  }

  /**
   * Schedule a checkpoint one interval from now if the lease outlives an interval
   * (etcd's rule), unless one is already scheduled: a renew does not postpone it.
   */
  private scheduleCheckpoint(lease: LeaseState): void {
    if (this.checkpointIntervalMs === 0 || this.checkpointQueue.has(lease.id)) return;
    const remaining = lease.remainingTtlSeconds > 0 ? lease.remainingTtlSeconds : lease.ttlSeconds;
    if (remaining * 1000 > this.checkpointIntervalMs) {
      this.checkpointQueue.set(lease.id, this.now() + this.checkpointIntervalMs);
    }
  }
}
