/**
 * Picks ids for grants that leave the id to the server (id 0). It runs on the leader
 * before proposing: the chosen id travels in the Raft entry, so applying stays
 * deterministic. The shape follows etcd's request-id generator, so ids from different
 * members do not collide: the member id's low 16 bits, then 48 bits that start at the
 * clock (ms, shifted left 8 bits) and count up by one per id. The top bit is cleared,
 * so ids are positive int64s; 0 is skipped.
 *
 * A collision with a live lease is still possible in theory (a restarted member whose
 * clock went back); the grant then fails with `LeaseExistsError`, as in etcd.
 */
import { assert } from './errors.js';

const LOW_48_BITS = (1n << 48n) - 1n;
const POSITIVE_INT64 = (1n << 63n) - 1n;

export class LeaseIdGenerator {
  private readonly prefix: bigint;
  private counter: bigint;

  /**
   * @param memberId this member's id (only its low 16 bits are used)
   * @param nowMs the clock when the member starts, in ms since the epoch
   */
  constructor(memberId: number | bigint, nowMs: number) {
    assert(Number.isSafeInteger(nowMs) && nowMs >= 0, 'lease id generator: nowMs must be a non-negative integer');
    this.prefix = (BigInt(memberId) & 0xffffn) << 48n;
    this.counter = (BigInt(nowMs) << 8n) & LOW_48_BITS;
  }

  next(): bigint {
    for (;;) {
      this.counter = (this.counter + 1n) & LOW_48_BITS;
      const id = (this.prefix | this.counter) & POSITIVE_INT64;
      if (id !== 0n) return id;
    }
  }
}
