/**
 * Balsa's state in etcd 3.4's backend layout. The expected bytes of records and of whole
 * small buckets come from snapshots a real etcd 3.4.23 streamed (read for their bytes
 * only): the revision keys, mvccpb.KeyValue for versions and tombstones, leasepb.Lease,
 * etcdserverpb.AlarmMember, and the inline pages of the `meta`, `lease`, `alarm`,
 * `cluster` and `auth` buckets for the same state. The `key` bucket of a store with a
 * history is then decoded with etcd's own schema (`proto/etcd/mvccpb/kv.proto`) and
 * compared with the store's records.
 */
import { planEtcdBackendFile, decodeRevisionKey, encodeAlarmMember, encodeKeyValue, encodeLease, encodeRevisionKey, encodeTombstone, ETCD_BUCKETS, memberJson } from '../../../kv/backend/index.js';
import type { EtcdBackendState } from '../../../kv/backend/index.js';
import { readBoltFile } from '../../../kv/backend/bolt/index.js';
import { readLeafElements } from '../../../kv/backend/bolt/page-format.js';
import { loadEtcdProto } from '../../../kv/server/etcd-proto.js';
import { bytes, del, key, put, storeWithLeases, text } from '../mvcc/helpers.js';

const hex = (text: string) => Buffer.from(text, 'hex');
const proto = loadEtcdProto();

test('revision keys: main, "_", sub, big-endian; a tombstone adds "t"', () => {
  expect(encodeRevisionKey(2, 0)).toEqual(hex('00000000000000025f0000000000000000'));
  expect(encodeRevisionKey(5, 0, true)).toEqual(hex('00000000000000055f000000000000000074'));
  expect(encodeRevisionKey(0x1_0000_0001, 300)).toEqual(hex('00000001000000015f000000000000012c'));
  expect(decodeRevisionKey(hex('00000000000000055f000000000000000274'))).toEqual({ main: 5, sub: 2, tombstone: true });
  expect(() => decodeRevisionKey(hex('00000000000000055f00000000000000'))).toThrow('not a revision key');
});

test('records are encoded byte for byte as etcd encodes them', () => {
  const kv = (k: string, value: string, create: number, mod: number, version: number, lease = 0n) => ({
    key: bytes(k), value: bytes(value), createRevision: create, modRevision: mod, version, lease,
  });
  expect(encodeKeyValue(kv('a', '1', 2, 2, 1))).toEqual(hex('0a01611002180220012a0131'));
  expect(encodeKeyValue(kv('a', '3', 2, 4, 2))).toEqual(hex('0a01611002180420022a0133'));
  // An empty value and no lease are left out, as proto3 leaves zero values out.
  expect(encodeKeyValue(kv('d', '', 7, 7, 1))).toEqual(hex('0a0164100718072001'));
  expect(encodeKeyValue(kv('c', '4', 6, 6, 1, 0x390da233338e9a09n))).toEqual(hex('0a01631006180620012a01343089b4ba9cb3c6e88639'));
  expect(encodeTombstone(bytes('b'))).toEqual(hex('0a0162'));
  expect(encodeLease(0x390da233338e9a09n, 100, 0)).toEqual(hex('0889b4ba9cb3c6e886391064'));
  expect(encodeAlarmMember(13668033151171901709n, 1)).toEqual(hex('088df2f48ec1f7a6d7bd011001'));
  // What etcd's schema reads back, including a remaining TTL and an int64 beyond 2^53.
  expect(proto.decode('mvccpb.KeyValue', encodeKeyValue(kv('big', 'v', 2 ** 40, 2 ** 53 - 1, 3, 2n ** 62n)))).toMatchObject({
    createRevision: String(2 ** 40), modRevision: String(2 ** 53 - 1), version: '3', lease: String(2n ** 62n),
  });
});

/** The state of the second etcd snapshot the expected bytes come from. */
const etcdLikeState: EtcdBackendState = {
  consistentIndex: 0x22,
  compactRevision: 4,
  records: [],
  leases: [{ id: 0x390da23333dee309n, ttlSeconds: 100, remainingTtlSeconds: 0 }],
  alarms: [{ memberId: 13668033151171901709n, alarm: 'NOSPACE' }],
  members: [],
  removedMemberIds: [],
  clusterVersion: '3.4.0',
};

/** The root bucket's raw entries: bucket name → value (the bucket header, and its page when inline). */
function rootValues(file: Buffer): Map<string, Buffer> {
  const db = readBoltFile(file);
  expect(db.problems).toEqual([]);
  const count = file.readUInt16LE(db.meta.rootPageId * 4096 + 10);
  return new Map(readLeafElements(file, db.meta.rootPageId * 4096, count).map((e) => [Buffer.from(e.key).toString(), Buffer.from(e.value)]));
}

test('the small buckets are the inline pages etcd writes for the same state', () => {
  const file = Buffer.concat([...planEtcdBackendFile(etcdLikeState).pages()]);
  const values = rootValues(file);
  expect([...values.keys()]).toEqual(['alarm', 'auth', 'authRoles', 'authUsers', 'cluster', 'key', 'lease', 'members', 'members_removed', 'meta']);
  const inline = (page: string) => hex('00'.repeat(16) + page);
  expect(values.get('meta')).toEqual(inline(
    '0000000000000000020003000000000000000000300000001000000008000000000000003800000012000000110000000000' +
      '00004b0000001300000011000000636f6e73697374656e745f696e646578000000000000002266696e6973686564436f6d70' +
      '61637452657600000000000000045f00000000000000007363686564756c6564436f6d7061637452657600000000000000045f0000000000000000',
  ));
  expect(values.get('lease')).toEqual(inline('0000000000000000020001000000000000000000100000000800000' + '00c000000390da23333dee3090889c6fb9eb3c6e886391064'));
  expect(values.get('alarm')).toEqual(inline('00000000000000000200010000000000000000001000000' + '00d00000000000000088df2f48ec1f7a6d7bd011001'));
  expect(values.get('cluster')).toEqual(inline('0000000000000000020001000000000000000000100000000e00000005000000636c757374657256657273696f6e332e342e30'));
  expect(values.get('auth')).toEqual(inline('0000000000000000020001000000000000000000100000000c00000008000000617574685265766973696f6e0000000000000001'));
  for (const empty of ['authRoles', 'authUsers', 'key', 'members', 'members_removed']) expect(values.get(empty)).toEqual(inline('00000000000000000200000000000000'));
});

test('an uncompacted store writes no compaction revisions', () => {
  const file = Buffer.concat([...planEtcdBackendFile({ ...etcdLikeState, compactRevision: 0 }).pages()]);
  const meta = readBoltFile(file).buckets.find((b) => b.name.toString() === ETCD_BUCKETS.meta)!;
  expect(meta.entries.map((e) => [e.key.toString(), e.value.toString('hex')])).toEqual([['consistent_index', '0000000000000022']]);
});

test('the key bucket holds every kept record, in revision order, decodable with etcd’s schema', () => {
  const { store } = storeWithLeases([9n]);
  for (let i = 0; i < 400; i++) put(store, `key/${i % 50}`, 'v'.repeat(i), i % 7 === 0 ? 9n : undefined);
  del(store, key('key/3'));
  store.compact(300);
  put(store, 'key/3', 'again');
  const file = Buffer.concat([...planEtcdBackendFile({ ...etcdLikeState, compactRevision: store.compactRevision(), records: store.records() }).pages()]);
  const db = readBoltFile(file);
  expect(db.problems).toEqual([]);
  const keyBucket = db.buckets.find((b) => b.name.toString() === ETCD_BUCKETS.key)!;
  const records = [...store.records()];
  expect(records.length).toBeGreaterThan(100);
  expect(keyBucket.entries.length).toBe(records.length);
  keyBucket.entries.forEach((entry, i) => {
    const record = records[i]!;
    expect(decodeRevisionKey(entry.key)).toEqual({ main: record.main, sub: record.sub, tombstone: record.kv === null });
    const decoded = proto.decode('mvccpb.KeyValue', entry.value);
    if (record.kv === null) {
      expect(decoded).toMatchObject({ key: Buffer.from(record.key), createRevision: '0', modRevision: '0', version: '0', lease: '0' });
      expect((decoded.value as Buffer).byteLength).toBe(0);
    } else {
      expect(decoded).toMatchObject({
        key: Buffer.from(record.kv.key),
        value: Buffer.from(record.kv.value),
        createRevision: String(record.kv.createRevision),
        modRevision: String(record.kv.modRevision),
        version: String(record.kv.version),
        lease: String(record.kv.lease),
      });
    }
  });
  expect(text(records.at(-1)!.kv!.value)).toBe('again');
});

test('members as etcd’s JSON, removed members as "removed", keyed by hex id', () => {
  const member = { id: 0xbdae9bbc11dd, name: 'm1', peerUrls: ['http://127.0.0.1:2380'], clientUrls: ['http://127.0.0.1:2379'], learner: false };
  expect(memberJson(member)).toBe('{"id":208557634752989,"peerURLs":["http://127.0.0.1:2380"],"name":"m1","clientURLs":["http://127.0.0.1:2379"]}');
  expect(memberJson({ ...member, name: '', clientUrls: [], learner: true })).toBe('{"id":208557634752989,"peerURLs":["http://127.0.0.1:2380"],"isLearner":true}');
  const file = Buffer.concat([...planEtcdBackendFile({ ...etcdLikeState, members: [member], removedMemberIds: [0x2a] }).pages()]);
  const buckets = new Map(readBoltFile(file).buckets.map((b) => [b.name.toString(), b.entries.map((e) => [e.key.toString(), e.value.toString()])]));
  expect(buckets.get('members')).toEqual([['bdae9bbc11dd', memberJson(member)]]);
  expect(buckets.get('members_removed')).toEqual([['2a', 'removed']]);
});
