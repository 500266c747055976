/**
 * The etcd v3 wire definitions: the schema loads from the sources and from `dist/`; the
 * services, methods and streaming flags are etcd's; messages encode to the bytes that
 * etcd's field numbers dictate (computed by hand here) and round-trip; the definitions
 * serve real gRPC calls; the int64 helpers are exact and refuse what does not fit.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import * as grpc from '@grpc/grpc-js';

import {
  ETCD_PROTO_FILES,
  ETCD_SERVICE_NAMES,
  Int64RangeError,
  bigintToInt64,
  findProtoRoot,
  int64ToBigInt,
  int64ToNumber,
  loadEtcdProto,
  numberToInt64,
} from '../../../kv/server/etcd-proto.js';
import type { WireObject } from '../../../kv/server/etcd-proto.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const proto = loadEtcdProto();

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

describe('finding and loading the schema', () => {
  it('finds the repository’s proto/ folder from the source tree', () => {
    expect(findProtoRoot()).toBe(path.join(REPO_ROOT, 'proto'));
    expect(proto.protoRoot).toBe(path.join(REPO_ROOT, 'proto'));
  });

  it('does not look above the package it belongs to', () => {
    const outside = mkdtempSync(path.join(tmpdir(), 'balsa-etcd-proto-'));
    try {
      const nested = path.join(outside, 'pkg', 'dist', 'kv', 'server');
      mkdirSync(nested, { recursive: true });
      writeFileSync(path.join(outside, 'pkg', 'package.json'), '{}');
      expect(() => findProtoRoot(nested)).toThrow(/proto\/etcd\/etcdserverpb\/rpc\.proto not found/);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('loads from an explicit include root, resolving imports against it', () => {
    const loaded = loadEtcdProto(path.join(REPO_ROOT, 'proto'));
    expect(loaded).not.toBe(proto);
    expect(loaded.type('mvccpb.KeyValue').fields['modRevision']!.id).toBe(3);
    expect(loaded.type('authpb.Permission').fields['permType']!.id).toBe(1);
  });

  it('works from the compiled dist/ (built by the test setup)', () => {
    const script = [
      "const m = await import('./dist/kv/server/etcd-proto.js');",
      'const p = m.loadEtcdProto();',
      "const bytes = p.encode('etcdserverpb.RangeRequest', { key: Buffer.from('a'), limit: 5 });",
      "console.log(Buffer.from(bytes).toString('hex'), Object.keys(p.services.KV).join(','), m.findProtoRoot());",
    ].join('\n');
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toBe(`0a01611805 Range,Put,DeleteRange,Txn,Compact ${path.join(REPO_ROOT, 'proto')}`);
  });

  it('names the schema files where they are', () => {
    for (const file of Object.values(ETCD_PROTO_FILES)) {
      expect(proto.root.files.some((loaded) => loaded.endsWith(file))).toBe(true);
    }
  });
});

describe('services', () => {
  // [service, method, requestStream, responseStream], as etcd 3.4 defines them.
  const METHODS: ReadonlyArray<readonly [string, string, boolean, boolean]> = [
    ['KV', 'Range', false, false],
    ['KV', 'Put', false, false],
    ['KV', 'DeleteRange', false, false],
    ['KV', 'Txn', false, false],
    ['KV', 'Compact', false, false],
    ['Watch', 'Watch', true, true],
    ['Lease', 'LeaseGrant', false, false],
    ['Lease', 'LeaseRevoke', false, false],
    ['Lease', 'LeaseKeepAlive', true, true],
    ['Lease', 'LeaseTimeToLive', false, false],
    ['Lease', 'LeaseLeases', false, false],
    ['Cluster', 'MemberAdd', false, false],
    ['Cluster', 'MemberRemove', false, false],
    ['Cluster', 'MemberUpdate', false, false],
    ['Cluster', 'MemberList', false, false],
    ['Cluster', 'MemberPromote', false, false],
    ['Maintenance', 'Alarm', false, false],
    ['Maintenance', 'Status', false, false],
    ['Maintenance', 'Defragment', false, false],
    ['Maintenance', 'Hash', false, false],
    ['Maintenance', 'HashKV', false, false],
    ['Maintenance', 'Snapshot', false, true],
    ['Maintenance', 'MoveLeader', false, false],
    ...[
      'AuthEnable', 'AuthDisable', 'Authenticate', 'UserAdd', 'UserGet', 'UserList', 'UserDelete',
      'UserChangePassword', 'UserGrantRole', 'UserRevokeRole', 'RoleAdd', 'RoleGet', 'RoleList',
      'RoleDelete', 'RoleGrantPermission', 'RoleRevokePermission',
    ].map((method) => ['Auth', method, false, false] as const),
  ];

  it('defines exactly etcd’s services and methods, with etcd’s paths and streaming flags', () => {
    expect([...ETCD_SERVICE_NAMES].sort()).toEqual(['Auth', 'Cluster', 'KV', 'Lease', 'Maintenance', 'Watch']);
    const actual = ETCD_SERVICE_NAMES.flatMap((service) =>
      Object.entries(proto.services[service]).map(([method, d]) => [service, method, d.requestStream, d.responseStream, d.path]),
    );
    const expected = METHODS.map(([service, method, req, res]) => [service, method, req, res, `/etcdserverpb.${service}/${method}`]);
    expect(actual.sort()).toEqual(expected.sort());
  });

  it('gives each method the lower-camel original name grpc-js also looks handlers up by', () => {
    expect(proto.services.KV['DeleteRange']!.originalName).toBe('deleteRange');
    expect(proto.services.Maintenance['HashKV']!.originalName).toBe('hashKV');
  });

  it('uses the request and response types etcd names', () => {
    const rangeRequest = proto.services.KV['Range']!.requestSerialize({ key: Buffer.from('a') });
    expect(hex(rangeRequest)).toBe('0a0161');
    const compact = proto.services.KV['Compact']!;
    expect(compact.requestDeserialize(Buffer.from('0807', 'hex'))).toEqual({ revision: '7', physical: false });
    const keepAlive = proto.services.Lease['LeaseKeepAlive']!;
    expect(keepAlive.responseDeserialize(Buffer.from('10051806', 'hex'))).toMatchObject({ ID: '5', TTL: '6', header: null });
  });
});

describe('encoding', () => {
  it('encodes a RangeRequest to the bytes its field numbers dictate', () => {
    // key = 1 (bytes: tag 1<<3|2 = 0x0a), range_end = 2 (0x12), limit = 3 (varint: 0x18).
    const bytes = proto.encode('etcdserverpb.RangeRequest', { key: Buffer.from('a'), rangeEnd: Buffer.from('b'), limit: 5 });
    expect(hex(bytes)).toBe('0a0161' + '120162' + '1805');
  });

  it('encodes the response header with etcd’s numbers 1..4', () => {
    const bytes = proto.encode('etcdserverpb.ResponseHeader', { clusterId: 1, memberId: 2, revision: 3, raftTerm: 4 });
    expect(hex(bytes)).toBe('0801' + '1002' + '1803' + '2004');
  });

  it('puts Compare.range_end at field 64 and a watch response’s events at field 11', () => {
    // 64<<3|2 = 514 = varint 0x82 0x04; 11<<3|2 = 0x5a.
    const compare = proto.encode('etcdserverpb.Compare', { target: 'MOD', result: 'LESS', key: Buffer.from('k'), modRevision: 9, rangeEnd: Buffer.from('l') });
    expect(hex(compare)).toBe('0802' + '1002' + '1a016b' + '3009' + '8204016c');
    const watch = proto.encode('etcdserverpb.WatchResponse', { watchId: 1, events: [{ type: 'DELETE', kv: { key: Buffer.from('k'), modRevision: 4 } }] });
    expect(hex(watch)).toBe('1001' + '5a09' + '0801' + '1205' + '0a016b' + '1804');
  });

  it('encodes etcd’s enum numbers, and the oneof member set', () => {
    const sorted = proto.encode('etcdserverpb.RangeRequest', { key: Buffer.from('a'), sortOrder: 'DESCEND', sortTarget: 'VALUE' });
    expect(hex(sorted)).toBe('0a0161' + '2802' + '3004');
    const op = proto.encode('etcdserverpb.RequestOp', { requestDeleteRange: { key: Buffer.from('a'), prevKv: true } });
    expect(hex(op)).toBe('1a05' + '0a0161' + '1801');
    const watchCancel = proto.encode('etcdserverpb.WatchRequest', { cancelRequest: { watchId: 3 } });
    expect(hex(watchCancel)).toBe('1202' + '0803');
  });

  it('writes a negative int64 lease as ten varint bytes, as Go does', () => {
    const bytes = proto.encode('etcdserverpb.PutRequest', { key: Buffer.from('a'), lease: -1n });
    expect(hex(bytes)).toBe('0a0161' + '18' + 'ffffffffffffffffff01');
  });
});

describe('decoding', () => {
  it('round-trips a txn with nested ops, keeping 64-bit ids exact as strings', () => {
    const txn: WireObject = {
      compare: [{ result: 'EQUAL', target: 'VERSION', key: Buffer.from('k'), version: 0, rangeEnd: Buffer.alloc(0) }],
      success: [
        { requestPut: { key: Buffer.from('k'), value: Buffer.from('v'), lease: 9223372036854775807n, prevKv: true } },
        { requestTxn: { compare: [], success: [{ requestRange: { key: Buffer.from('a'), rangeEnd: Buffer.from([0]), limit: 2 } }], failure: [] } },
      ],
      failure: [],
    };
    const decoded = proto.decode('etcdserverpb.TxnRequest', proto.encode('etcdserverpb.TxnRequest', txn));
    const compare = (decoded['compare'] as WireObject[])[0]!;
    expect(compare).toMatchObject({ result: 'EQUAL', target: 'VERSION', version: '0', targetUnion: 'version' });
    const [put, nested] = decoded['success'] as WireObject[];
    expect(put!['request']).toBe('requestPut');
    expect(put!['requestPut']).toEqual({
      key: Buffer.from('k'),
      value: Buffer.from('v'),
      lease: '9223372036854775807',
      prevKv: true,
      ignoreValue: false,
      ignoreLease: false,
    });
    expect(nested!['request']).toBe('requestTxn');
    const inner = ((nested!['requestTxn'] as WireObject)['success'] as WireObject[])[0]!['requestRange'] as WireObject;
    expect(inner).toMatchObject({ key: Buffer.from('a'), rangeEnd: Buffer.from([0]), limit: '2', sortOrder: 'NONE', countOnly: false });
  });

  it('round-trips a member with a full uint64 id and a watch create request', () => {
    const member = { ID: '18446744073709551615', name: 'n1', peerURLs: ['http://a:2380'], clientURLs: [], isLearner: true };
    expect(proto.decode('etcdserverpb.Member', proto.encode('etcdserverpb.Member', member))).toEqual(member);
    const create = { createRequest: { key: Buffer.from('a'), startRevision: 7, filters: ['NODELETE'], prevKv: true, fragment: true } };
    const decoded = proto.decode('etcdserverpb.WatchRequest', proto.encode('etcdserverpb.WatchRequest', create));
    expect(decoded['requestUnion']).toBe('createRequest');
    expect(decoded['createRequest']).toMatchObject({ startRevision: '7', filters: ['NODELETE'], prevKv: true, fragment: true, watchId: '0' });
  });

  it('fills defaults, and leaves unset messages null', () => {
    const empty = proto.decode('etcdserverpb.PutResponse', new Uint8Array(0));
    expect(empty).toEqual({ header: null, prevKv: null });
    const kv = proto.decode('mvccpb.KeyValue', new Uint8Array(0));
    expect(kv).toEqual({ key: Buffer.alloc(0), createRevision: '0', modRevision: '0', version: '0', value: Buffer.alloc(0), lease: '0' });
  });

  it('accepts int64 fields as numbers, strings, bigints and Longs alike', () => {
    const forms = [5, '5', 5n, { low: 5, high: 0 }];
    const encodings = forms.map((limit) => hex(proto.encode('etcdserverpb.RangeRequest', { limit })));
    expect(new Set(encodings)).toEqual(new Set(['1805']));
  });
});

describe('serving over gRPC', () => {
  it('serves unary and bidirectional-stream calls with the definitions', async () => {
    const server = new grpc.Server();
    server.addService(proto.services.KV, {
      range: (call: grpc.ServerUnaryCall<WireObject, WireObject>, callback: grpc.sendUnaryData<WireObject>) => {
        const key = call.request['key'] as Buffer;
        callback(null, { header: { revision: 12 }, kvs: [{ key, value: Buffer.from('v'), version: 1 }], count: 1 });
      },
    });
    server.addService(proto.services.Watch, {
      watch: (call: grpc.ServerDuplexStream<WireObject, WireObject>) => {
        call.on('data', (request: WireObject) => {
          const create = request['createRequest'] as WireObject;
          call.write({ watchId: create['watchId'], created: true });
          call.end();
        });
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
    const KvClient = grpc.makeGenericClientConstructor(proto.services.KV, 'KV');
    const WatchClient = grpc.makeGenericClientConstructor(proto.services.Watch, 'Watch');
    const kv = new KvClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const watch = new WatchClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    try {
      const response = await new Promise<WireObject>((resolve, reject) =>
        kv['Range']!({ key: Buffer.from('k') }, (error: Error | null, value: WireObject) => (error ? reject(error) : resolve(value))),
      );
      expect(response['count']).toBe('1');
      expect((response['header'] as WireObject)['revision']).toBe('12');
      expect((response['kvs'] as WireObject[])[0]).toMatchObject({ key: Buffer.from('k'), value: Buffer.from('v'), version: '1' });

      const stream = watch['Watch']!() as grpc.ClientDuplexStream<WireObject, WireObject>;
      const first = new Promise<WireObject>((resolve) => stream.once('data', resolve));
      stream.write({ createRequest: { key: Buffer.from('k'), watchId: 4 } });
      expect(await first).toMatchObject({ watchId: '4', created: true, canceled: false });
      stream.end();
    } finally {
      kv.close();
      watch.close();
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    }
  });
});

describe('int64 helpers', () => {
  it('turns decoded int64s into numbers, refusing what a number cannot hold exactly', () => {
    expect(int64ToNumber('9007199254740991')).toBe(Number.MAX_SAFE_INTEGER);
    expect(int64ToNumber('-5')).toBe(-5);
    expect(int64ToNumber({ low: 123, high: 0 })).toBe(123); // a Long's shape
    expect(() => int64ToNumber('9007199254740992', 'revision')).toThrow(Int64RangeError);
    expect(() => int64ToNumber('9007199254740992', 'revision')).toThrow('revision = 9007199254740992 is beyond ±(2^53 − 1)');
    expect(() => int64ToNumber('12abc')).toThrow(Int64RangeError);
    expect(() => int64ToNumber(1.5)).toThrow(Int64RangeError);
  });

  it('turns decoded int64s and uint64s into exact bigints', () => {
    expect(int64ToBigInt('18446744073709551615')).toBe(2n ** 64n - 1n);
    expect(int64ToBigInt('-9223372036854775808')).toBe(-(2n ** 63n));
    expect(int64ToBigInt({ low: -1, high: -1, unsigned: true })).toBe(2n ** 64n - 1n);
    expect(int64ToBigInt({ low: -2, high: -1, unsigned: false })).toBe(-2n);
  });

  it('writes numbers and bigints as exact decimal strings, range-checked', () => {
    expect(numberToInt64(42)).toBe('42');
    expect(() => numberToInt64(2 ** 53)).toThrow(Int64RangeError);
    expect(bigintToInt64(2n ** 63n - 1n)).toBe('9223372036854775807');
    expect(() => bigintToInt64(2n ** 63n)).toThrow(Int64RangeError);
    expect(bigintToInt64(2n ** 64n - 1n, 'uint64')).toBe('18446744073709551615');
    expect(() => bigintToInt64(-1n, 'uint64')).toThrow(Int64RangeError);
    const error = new Int64RangeError('x', '1', 'y');
    expect(error.grpcCode).toBe(grpc.status.INVALID_ARGUMENT);
  });

  it('round-trips a bigint lease id through the wire exactly', () => {
    const id = 2n ** 62n + 12345n;
    const decoded = proto.decode('etcdserverpb.LeaseGrantResponse', proto.encode('etcdserverpb.LeaseGrantResponse', { ID: bigintToInt64(id) }));
    expect(int64ToBigInt(decoded['ID'] as string)).toBe(id);
  });
});
