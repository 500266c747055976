/**
 * The store's errors carry etcd's exact texts and the gRPC status codes etcd answers
 * with (etcd's api/v3rpc/rpctypes), a stable code each, and whether retrying can help.
 */
import * as grpc from '@grpc/grpc-js';

import {
  CompactedError,
  DuplicateKeyError,
  EmptyKeyError,
  FutureRevisionError,
  GrpcStatus,
  KeyNotFoundError,
  LeaseNotFoundError,
  LeaseProvidedError,
  MvccError,
  SnapshotCorruptError,
  TooManyOpsError,
  ValueProvidedError,
} from '../../../kv/mvcc/index.js';

describe('errors', () => {
  it('use gRPC’s canonical status numbers', () => {
    const canonical = grpc.status as unknown as Record<string, number>;
    for (const [name, code] of Object.entries(GrpcStatus)) expect([name, code]).toEqual([name, canonical[name]]);
    expect(Object.keys(GrpcStatus)).toEqual(expect.arrayContaining(['INVALID_ARGUMENT', 'NOT_FOUND', 'OUT_OF_RANGE', 'DATA_LOSS']));
  });

  it.each([
    [new CompactedError(3), 'COMPACTED', grpc.status.OUT_OF_RANGE, false, 'etcdserver: mvcc: required revision has been compacted'],
    [new FutureRevisionError(), 'FUTURE_REVISION', grpc.status.OUT_OF_RANGE, true, 'etcdserver: mvcc: required revision is a future revision'],
    [new EmptyKeyError(), 'EMPTY_KEY', grpc.status.INVALID_ARGUMENT, false, 'etcdserver: key is not provided'],
    [new KeyNotFoundError(), 'KEY_NOT_FOUND', grpc.status.INVALID_ARGUMENT, false, 'etcdserver: key not found'],
    [new ValueProvidedError(), 'VALUE_PROVIDED', grpc.status.INVALID_ARGUMENT, false, 'etcdserver: value is provided'],
    [new LeaseProvidedError(), 'LEASE_PROVIDED', grpc.status.INVALID_ARGUMENT, false, 'etcdserver: lease is provided'],
    [new TooManyOpsError(), 'TOO_MANY_OPS', grpc.status.INVALID_ARGUMENT, false, 'etcdserver: too many operations in txn request'],
    [new DuplicateKeyError(), 'DUPLICATE_KEY', grpc.status.INVALID_ARGUMENT, false, 'etcdserver: duplicate key given in txn request'],
    [new LeaseNotFoundError(1n), 'LEASE_NOT_FOUND', grpc.status.NOT_FOUND, false, 'etcdserver: requested lease not found'],
    [new SnapshotCorruptError('x'), 'SNAPSHOT_CORRUPT', grpc.status.DATA_LOSS, false, 'mvcc snapshot: x'],
  ])('%s has code %s, status %s, retryable %s and etcd’s text', (error, code, grpcCode, retryable, message) => {
    expect(error).toBeInstanceOf(MvccError);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ code, grpcCode, retryable, message });
  });
});
