/**
 * The lessor's part of the KV snapshot: which leases exist, their granted TTL and their
 * checkpointed remaining TTL. Not the deadlines (leader-local, rebuilt by `promote`) and
 * not the attached keys (rebuilt from the store's keys). The encoding is deterministic:
 * equal states give equal bytes on every member.
 *
 * Layout (big-endian): u8 format version (1), u32 lease count, then per lease in
 * ascending id order: i64 id, i64 granted TTL (s), i64 remaining TTL (s, 0 for none).
 */
import { MAX_LEASE_ID, MAX_LEASE_TTL_SECONDS } from './constants.js';
import { LeaseSnapshotCorruptError } from './errors.js';

export interface LessorSnapshotLease {
  readonly id: bigint;
  readonly ttlSeconds: number;
  readonly remainingTtlSeconds: number;
}

export interface LessorSnapshot {
  /** In ascending id order. */
  readonly leases: readonly LessorSnapshotLease[];
}

const FORMAT_VERSION = 1;
const HEADER_BYTES = 5;
const LEASE_BYTES = 24;

export function encodeLessorSnapshot(snapshot: LessorSnapshot): Uint8Array {
  const bytes = new Uint8Array(HEADER_BYTES + LEASE_BYTES * snapshot.leases.length);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, FORMAT_VERSION);
  view.setUint32(1, snapshot.leases.length);
  snapshot.leases.forEach((lease, i) => {
    const at = HEADER_BYTES + i * LEASE_BYTES;
    view.setBigInt64(at, lease.id);
    view.setBigInt64(at + 8, BigInt(lease.ttlSeconds));
    view.setBigInt64(at + 16, BigInt(lease.remainingTtlSeconds));
  });
  return bytes;
}

/** Throws `LeaseSnapshotCorruptError` when `bytes` are not a well-formed snapshot. */
export function decodeLessorSnapshot(bytes: Uint8Array): LessorSnapshot {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < HEADER_BYTES) throw new LeaseSnapshotCorruptError(`${bytes.byteLength} bytes is too short`);
  const version = view.getUint8(0);
  if (version !== FORMAT_VERSION) throw new LeaseSnapshotCorruptError(`unknown format version ${version}`);
  const count = view.getUint32(1);
  if (bytes.byteLength !== HEADER_BYTES + count * LEASE_BYTES) {
    throw new LeaseSnapshotCorruptError(`${bytes.byteLength} bytes for ${count} leases`);
  }
  const leases: LessorSnapshotLease[] = [];
  let previous = 0n;
  for (let i = 0; i < count; i++) {
    const at = HEADER_BYTES + i * LEASE_BYTES;
    const id = view.getBigInt64(at);
    const ttl = view.getBigInt64(at + 8);
    const remaining = view.getBigInt64(at + 16);
    if (id <= previous || id > MAX_LEASE_ID) throw new LeaseSnapshotCorruptError(`lease id ${id} out of order or range`);
    if (ttl <= 0n || ttl > BigInt(MAX_LEASE_TTL_SECONDS)) throw new LeaseSnapshotCorruptError(`lease ${id} has TTL ${ttl}`);
    if (remaining < 0n || remaining > ttl) throw new LeaseSnapshotCorruptError(`lease ${id} has remaining TTL ${remaining}`);
    leases.push({ id, ttlSeconds: Number(ttl), remainingTtlSeconds: Number(remaining) });
    previous = id;
  }
  return { leases };
}
