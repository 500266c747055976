/**
 * Balsa's state in the layout of etcd 3.4's backend database (`member/snap/db`, a bbolt
 * file), which is what etcd's Maintenance.Snapshot streams and what `etcdctl snapshot
 * status` and `snapshot restore` read. One bucket per concern:
 *
 *   key              revision key (`revision-key.ts`) → mvccpb.KeyValue; every record
 *                    not compacted away, tombstones included (their value: the key alone)
 *   meta             consistent_index → the Raft index applied (8 bytes, big-endian);
 *                    scheduledCompactRev, finishedCompactRev → the compaction revision as
 *                    a revision key (only once compacted)
 *   lease            lease id (8 bytes, big-endian) → leasepb.Lease
 *   alarm            etcdserverpb.AlarmMember → empty
 *   cluster          clusterVersion → the version ("3.4.0")
 *   members          member id in hex → the member as JSON (etcd's membership.Member)
 *   members_removed  member id in hex → "removed"
 *   auth             authRevision → 1 (8 bytes, big-endian); authUsers, authRoles empty:
 *                    the auth state of an etcd that never enabled authentication
 *
 * etcd's restore rebuilds the store from `key` and `meta` (the revision is the newest
 * record's, or the compaction revision if higher), the leases from `lease` (keys attach
 * to them by their KeyValue's lease), the alarms from `alarm`; it takes the membership
 * from its own flags, not from `members`.
 */
import { planBoltFile } from './bolt/index.js';
import type { BoltBucketSource, BoltEntry, BoltFile, BoltFileOptions } from './bolt/index.js';
import type { LessorSnapshotLease } from '../lease/index.js';
import type { RevisionRecord } from '../mvcc/index.js';
import { encodeRevisionKey } from './revision-key.js';
import { encodeAlarmMember, encodeKeyValue, encodeLease, encodeTombstone } from './record-encoding.js';

/** etcd's bucket names. */
export const ETCD_BUCKETS = {
  key: 'key',
  meta: 'meta',
  lease: 'lease',
  alarm: 'alarm',
  cluster: 'cluster',
  members: 'members',
  membersRemoved: 'members_removed',
  auth: 'auth',
  authUsers: 'authUsers',
  authRoles: 'authRoles',
} as const;

/** Keys of the `meta`, `cluster` and `auth` buckets. */
export const ETCD_META_KEYS = {
  consistentIndex: 'consistent_index',
  scheduledCompactRevision: 'scheduledCompactRev',
  finishedCompactRevision: 'finishedCompactRev',
  clusterVersion: 'clusterVersion',
  authRevision: 'authRevision',
} as const;

/** etcdserverpb.AlarmType's numbers. */
const ALARM_NUMBERS = { NOSPACE: 1, CORRUPT: 2 } as const;

export interface EtcdBackendMember {
  readonly id: number;
  readonly name: string;
  readonly peerUrls: readonly string[];
  readonly clientUrls: readonly string[];
  readonly learner: boolean;
}

/** Everything the file holds. */
export interface EtcdBackendState {
  /** The Raft index of the last entry applied to this state (etcd's consistent index). */
  readonly consistentIndex: number;
  /** The compaction revision; 0 if never compacted. */
  readonly compactRevision: number;
  /** Every kept MVCC record in revision order (iterated more than once: a `RecordView`). */
  readonly records: Iterable<RevisionRecord>;
  /** With the checkpointed remaining TTL (0 for none), as the lessor's snapshot has them. */
  readonly leases: readonly LessorSnapshotLease[];
  readonly alarms: readonly { readonly memberId: bigint; readonly alarm: keyof typeof ALARM_NUMBERS }[];
  readonly members: readonly EtcdBackendMember[];
  readonly removedMemberIds: readonly number[];
  /** The cluster version etcd records ("3.4.0"). */
  readonly clusterVersion: string;
}

/** The bbolt file of `state`, laid out (the records are walked once here) and ready to stream. */
export function planEtcdBackendFile(state: EtcdBackendState, options: BoltFileOptions = {}): BoltFile {
  return planBoltFile(etcdBackendBuckets(state), options);
}

export function etcdBackendBuckets(state: EtcdBackendState): BoltBucketSource[] {
  const meta: BoltEntry[] = [entry(ETCD_META_KEYS.consistentIndex, uint64(state.consistentIndex))];
  if (state.compactRevision > 0) {
    const revision = encodeRevisionKey(state.compactRevision, 0);
    meta.push(entry(ETCD_META_KEYS.scheduledCompactRevision, revision), entry(ETCD_META_KEYS.finishedCompactRevision, revision));
  }
  return [
    { name: bytes(ETCD_BUCKETS.key), entries: () => keyBucketEntries(state.records) },
    fixed(ETCD_BUCKETS.meta, meta),
    fixed(ETCD_BUCKETS.lease, state.leases.map((l) => ({ key: int64(l.id), value: encodeLease(l.id, l.ttlSeconds, l.remainingTtlSeconds) }))),
    fixed(ETCD_BUCKETS.alarm, state.alarms.map((a) => ({ key: encodeAlarmMember(a.memberId, ALARM_NUMBERS[a.alarm]), value: new Uint8Array(0) }))),
    fixed(ETCD_BUCKETS.cluster, [entry(ETCD_META_KEYS.clusterVersion, bytes(state.clusterVersion))]),
    fixed(ETCD_BUCKETS.members, state.members.map((m) => entry(m.id.toString(16), bytes(memberJson(m))))),
    fixed(ETCD_BUCKETS.membersRemoved, state.removedMemberIds.map((id) => entry(id.toString(16), bytes('removed')))),
    fixed(ETCD_BUCKETS.auth, [entry(ETCD_META_KEYS.authRevision, uint64(1))]),
    fixed(ETCD_BUCKETS.authUsers, []),
    fixed(ETCD_BUCKETS.authRoles, []),
  ];
}

function* keyBucketEntries(records: Iterable<RevisionRecord>): Generator<BoltEntry> {
  for (const record of records) {
    yield record.kv === null
      ? { key: encodeRevisionKey(record.main, record.sub, true), value: encodeTombstone(record.key) }
      : { key: encodeRevisionKey(record.main, record.sub), value: encodeKeyValue(record.kv) };
  }
}

/**
 * etcd's membership.Member as Go's encoding/json writes it: id, peerURLs, isLearner (only
 * when true), name and clientURLs (only when set), in that order.
 */
export function memberJson(member: EtcdBackendMember): string {
  return JSON.stringify({
    id: member.id,
    peerURLs: member.peerUrls,
    ...(member.learner ? { isLearner: true } : {}),
    ...(member.name !== '' ? { name: member.name } : {}),
    ...(member.clientUrls.length > 0 ? { clientURLs: member.clientUrls } : {}),
  });
}

/** A small bucket held in memory, its entries sorted by key. */
function fixed(name: string, entries: BoltEntry[]): BoltBucketSource {
  const sorted = [...entries].sort((a, b) => Buffer.compare(a.key, b.key));
  return { name: bytes(name), entries: () => sorted };
}

function entry(key: string, value: Uint8Array): BoltEntry {
  return { key: bytes(key), value };
}

function bytes(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}

function uint64(value: number): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64BE(BigInt(value));
  return out;
}

function int64(value: bigint): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigInt64BE(value);
  return out;
}
