/**
 * The Maintenance.Snapshot stream of a state machine: etcd's chunks (32 KiB, each with
 * the bytes still to come) then the SHA-256 trailer; the file holds the state as of the
 * call — the store's records, the leases, the alarms, the members and the applied index —
 * even when commands apply while the stream is being drained; and no chunk is larger
 * than the chunk size (the file is never built whole).
 */
import { createHash } from 'node:crypto';
import { decodeRevisionKey } from '../../../kv/backend/index.js';
import { readBoltFile } from '../../../kv/backend/bolt/index.js';
import type { BoltDatabase } from '../../../kv/backend/bolt/index.js';
import { encodeCommand } from '../../../kv/server/commands.js';
import type { KvCommand } from '../../../kv/server/commands.js';
import { snapshotFileOf, snapshotResponses } from '../../../kv/server/etcd-snapshot.js';
import { loadEtcdProto } from '../../../kv/server/etcd-proto.js';
import { KvStateMachine } from '../../../kv/server/kv-state-machine.js';

const text = (s: string) => new TextEncoder().encode(s);
const proto = loadEtcdProto();

function machineWith(commands: KvCommand[]): KvStateMachine {
  const machine = new KvStateMachine({ now: () => 0, minLeaseTtlSeconds: 2 });
  apply(machine, commands);
  return machine;
}

let index = 0;
function apply(machine: KvStateMachine, commands: KvCommand[]): void {
  machine.apply(commands.map((c) => ({ index: ++index, term: 1, data: encodeCommand(c) })));
}

const put = (key: string, value: string, lease?: bigint): KvCommand => ({ kind: 'put', request: { key: text(key), value: text(value), ...(lease === undefined ? {} : { lease }) } });

function bucket(db: BoltDatabase, name: string): [string, Buffer][] {
  return (db.buckets.find((b) => b.name.toString() === name)?.entries ?? []).map((e) => [e.key.toString('latin1'), e.value]);
}

test('chunks of 32 KiB with the bytes remaining, then the SHA-256 of the file', () => {
  const machine = machineWith(Array.from({ length: 200 }, (_, i) => put(`k${i}`, 'v'.repeat(1_000))));
  const file = snapshotFileOf(machine, 200);
  const responses = [...snapshotResponses(file)];
  const blobs = responses.map((r) => r.blob as Buffer);
  const body = Buffer.concat(blobs.slice(0, -1));
  expect(body.byteLength).toBe(file.sizeBytes);
  expect(file.sizeBytes).toBeGreaterThan(5 * 32 * 1024);
  blobs.slice(0, -2).forEach((blob) => expect(blob.byteLength).toBe(32 * 1024));
  let remaining = file.sizeBytes;
  responses.slice(0, -1).forEach((response, i) => {
    remaining -= blobs[i]!.byteLength;
    expect(response.remainingBytes).toBe(String(remaining));
  });
  expect(responses.at(-1)).toEqual({ remainingBytes: '0', blob: createHash('sha256').update(body).digest() });
  expect(readBoltFile(body).problems).toEqual([]);
});

test('the file holds the state when the call started, whatever applies while it streams', () => {
  const lease = 0x1234n;
  const machine = machineWith([
    put('a', '1'),
    { kind: 'leaseGrant', id: lease, ttlSeconds: 60 },
    put('b', '2', lease),
    { kind: 'deleteRange', request: { range: { key: text('a'), end: new Uint8Array(0) } } },
    ...Array.from({ length: 100 }, (_, i) => put(`bulk/${i}`, 'x'.repeat(2_000))),
    { kind: 'memberAdd', id: 7, peerUrls: ['http://127.0.0.1:2380'], learner: false },
    { kind: 'alarm', action: 'activate', memberId: 42n, alarm: 'NOSPACE' }, // refuses puts from here on
  ]);
  const revision = machine.store.revision;
  const responses = snapshotResponses(snapshotFileOf(machine, 1234));
  const blobs = [responses.next().value!.blob as Buffer];
  // The alarm's end, writes, a compaction, a revoke and a removal, between two chunks.
  apply(machine, [
    { kind: 'alarm', action: 'deactivate', memberId: 42n, alarm: 'NOSPACE' },
    put('a', 'later'),
    { kind: 'compact', revision: machine.store.revision },
    { kind: 'leaseRevoke', id: lease },
    { kind: 'memberRemove', id: 7 },
  ]);
  for (const response of responses) blobs.push(response.blob as Buffer);
  const db = readBoltFile(Buffer.concat(blobs.slice(0, -1)));
  expect(db.problems).toEqual([]);

  const records = bucket(db, 'key').map(([k, v]) => ({ ...decodeRevisionKey(Buffer.from(k, 'latin1')), kv: proto.decode('mvccpb.KeyValue', v) }));
  expect(records.length).toBe(103); // a, b, a's tombstone, the hundred bulk keys, and nothing later
  expect(records.at(-1)!.main).toBe(revision);
  expect(records.slice(0, 3).map((r) => [r.main, r.sub, r.tombstone, (r.kv.key as Buffer).toString(), (r.kv.value as Buffer).toString(), r.kv.lease])).toEqual([
    [2, 0, false, 'a', '1', '0'],
    [3, 0, false, 'b', '2', String(lease)],
    [4, 0, true, 'a', '', '0'],
  ]);
  expect(bucket(db, 'meta').map(([k, v]) => [k, v.toString('hex')])).toEqual([['consistent_index', (1234).toString(16).padStart(16, '0')]]);
  expect(bucket(db, 'lease').map(([k]) => Buffer.from(k, 'latin1').readBigInt64BE())).toEqual([lease]);
  expect(bucket(db, 'alarm').map(([k]) => proto.decode('etcdserverpb.AlarmMember', Buffer.from(k, 'latin1')))).toEqual([{ memberID: '42', alarm: 'NOSPACE' }]);
  expect(bucket(db, 'members').map(([k, v]) => [k, JSON.parse(v.toString())])).toEqual([['7', { id: 7, peerURLs: ['http://127.0.0.1:2380'] }]]);
  expect(bucket(db, 'members_removed')).toEqual([]);
  expect(bucket(db, 'cluster').map(([k, v]) => [k, v.toString()])).toEqual([['clusterVersion', '3.4.0']]);
});
