/**
 * Which keys each lease holds: the keys whose current version names the lease. Kept
 * beside the index so that revoking a lease finds its keys without a scan.
 */
import type { KeyString } from './key-bytes.js';

export const NO_LEASE = 0n;

export class LeaseAttachments {
  private readonly keysByLease = new Map<bigint, Set<KeyString>>();

  attach(lease: bigint, key: KeyString): void {
    if (lease === NO_LEASE) return;
    let keys = this.keysByLease.get(lease);
    if (keys === undefined) {
      keys = new Set();
      this.keysByLease.set(lease, keys);
    }
    keys.add(key);
  }

  detach(lease: bigint, key: KeyString): void {
    const keys = this.keysByLease.get(lease);
    if (keys === undefined) return;
    keys.delete(key);
    if (keys.size === 0) this.keysByLease.delete(lease);
  }

  /** The lease's keys in key order (the order etcd deletes them in on revocation). */
  keys(lease: bigint): KeyString[] {
    return [...(this.keysByLease.get(lease) ?? [])].sort();
  }
}
