/**
 * Transactions with etcd's semantics: compares on every target with every operator, on
 * single keys and on ranges (each key in the range must satisfy the compare; an empty
 * range compares as the zero KeyValue, except that a value compare then fails); branches
 * and nested transactions, whose compares all see the store as it was before the
 * transaction; reads that see the transaction's own earlier writes; and the refusals —
 * duplicate keys, too many operations, empty keys, ignore_value / ignore_lease misuse,
 * missing leases, bad read revisions — with etcd's exact texts, changing nothing.
 */
import * as grpc from '@grpc/grpc-js';

import {
  DuplicateKeyError,
  EmptyKeyError,
  KeyNotFoundError,
  LeaseNotFoundError,
  LeaseProvidedError,
  MvccStore,
  TooManyOpsError,
  ValueProvidedError,
} from '../../../kv/mvcc/index.js';
import type { Compare, CompareResult, KeyRange, Op, RangeResponse, TxnRequest, TxnResponse } from '../../../kv/mvcc/index.js';
import { allKeys, between, bytes, fromKey, key, plain, prefix, put, storeWithLeases, text, thrown, valueAt } from './helpers.js';

const putOp = (k: string, value: string, extra: Partial<Op & { op: 'put' }> = {}): Op => ({ op: 'put', key: bytes(k), value: bytes(value), ...extra });
const delOp = (range: KeyRange): Op => ({ op: 'deleteRange', range });
const rangeOp = (range: KeyRange, extra: object = {}): Op => ({ op: 'range', range, ...extra });
const txnOp = (request: TxnRequest): Op => ({ op: 'txn', ...request });

/** Whether the compares hold, judged by which branch ran. */
function holds(store: MvccStore, ...compare: Compare[]): boolean {
  return store.txn({ compare, success: [], failure: [] }).succeeded;
}

/** The error a transaction is refused with, after checking it changed nothing. */
function refusal(store: MvccStore, request: TxnRequest): unknown {
  const before = store.snapshot();
  try {
    store.txn(request);
  } catch (error) {
    expect(store.snapshot()).toEqual(before);
    return error;
  }
  throw new Error('the transaction was not refused');
}

describe('compares', () => {
  // k: value "m", version 2, created 2, modified 3, lease 7
  const { store } = storeWithLeases([7n]);
  put(store, 'k', 'first', 7n);
  put(store, 'k', 'm', 7n);
  const on = (result: CompareResult) => ({ range: key('k'), result });

  it('compares the version', () => {
    expect(holds(store, { ...on('equal'), target: 'version', version: 2 })).toBe(true);
    expect(holds(store, { ...on('equal'), target: 'version', version: 1 })).toBe(false);
    expect(holds(store, { ...on('greater'), target: 'version', version: 1 })).toBe(true);
    expect(holds(store, { ...on('greater'), target: 'version', version: 2 })).toBe(false);
    expect(holds(store, { ...on('less'), target: 'version', version: 3 })).toBe(true);
    expect(holds(store, { ...on('less'), target: 'version', version: 2 })).toBe(false);
    expect(holds(store, { ...on('notEqual'), target: 'version', version: 1 })).toBe(true);
    expect(holds(store, { ...on('notEqual'), target: 'version', version: 2 })).toBe(false);
  });

  it('compares the create and mod revisions', () => {
    expect(holds(store, { ...on('equal'), target: 'create', createRevision: 2 })).toBe(true);
    expect(holds(store, { ...on('greater'), target: 'create', createRevision: 2 })).toBe(false);
    expect(holds(store, { ...on('equal'), target: 'mod', modRevision: 3 })).toBe(true);
    expect(holds(store, { ...on('less'), target: 'mod', modRevision: 3 })).toBe(false);
    expect(holds(store, { ...on('less'), target: 'mod', modRevision: 4 })).toBe(true);
    expect(holds(store, { ...on('notEqual'), target: 'mod', modRevision: 2 })).toBe(true);
  });

  it('compares the value bytewise', () => {
    expect(holds(store, { ...on('equal'), target: 'value', value: bytes('m') })).toBe(true);
    expect(holds(store, { ...on('greater'), target: 'value', value: bytes('l') })).toBe(true);
    expect(holds(store, { ...on('greater'), target: 'value', value: bytes('ma') })).toBe(false);
    expect(holds(store, { ...on('less'), target: 'value', value: bytes('ma') })).toBe(true);
    expect(holds(store, { ...on('notEqual'), target: 'value', value: bytes('m') })).toBe(false);
  });

  it('compares the lease', () => {
    expect(holds(store, { ...on('equal'), target: 'lease', lease: 7n })).toBe(true);
    expect(holds(store, { ...on('greater'), target: 'lease', lease: 6n })).toBe(true);
    expect(holds(store, { ...on('less'), target: 'lease', lease: 7n })).toBe(false);
    expect(holds(store, { ...on('notEqual'), target: 'lease', lease: 0n })).toBe(true);
  });

  it('requires every compare to hold', () => {
    const good: Compare = { ...on('equal'), target: 'version', version: 2 };
    const bad: Compare = { ...on('equal'), target: 'lease', lease: 1n };
    expect(holds(store, good, good)).toBe(true);
    expect(holds(store, good, bad)).toBe(false);
  });

  it('compares a missing key as version, revisions and lease 0 (create-if-absent)', () => {
    const missing = key('missing');
    expect(holds(store, { range: missing, result: 'equal', target: 'version', version: 0 })).toBe(true);
    expect(holds(store, { range: missing, result: 'equal', target: 'create', createRevision: 0 })).toBe(true);
    expect(holds(store, { range: missing, result: 'less', target: 'mod', modRevision: 1 })).toBe(true);
    expect(holds(store, { range: missing, result: 'equal', target: 'lease', lease: 0n })).toBe(true);
  });

  it('fails every value compare on a missing key, even "not equal" and the empty value', () => {
    const missing = key('missing');
    expect(holds(store, { range: missing, result: 'equal', target: 'value', value: new Uint8Array(0) })).toBe(false);
    expect(holds(store, { range: missing, result: 'notEqual', target: 'value', value: bytes('x') })).toBe(false);
    expect(holds(store, { range: missing, result: 'less', target: 'value', value: bytes('x') })).toBe(false);
  });

  it('applies a compare with a range end to every key in the range', () => {
    const ranged = new MvccStore();
    put(ranged, 'p/a', '1'); // mod 2
    put(ranged, 'p/b', '2'); // mod 3
    put(ranged, 'q', '9'); // mod 4
    expect(holds(ranged, { range: prefix('p/'), result: 'less', target: 'mod', modRevision: 4 })).toBe(true);
    expect(holds(ranged, { range: prefix('p/'), result: 'less', target: 'mod', modRevision: 3 })).toBe(false);
    expect(holds(ranged, { range: prefix('p/'), result: 'greater', target: 'value', value: bytes('0') })).toBe(true);
    expect(holds(ranged, { range: fromKey('p/b'), result: 'greater', target: 'value', value: bytes('1') })).toBe(true);
    expect(holds(ranged, { range: allKeys(), result: 'equal', target: 'version', version: 1 })).toBe(true);
    // An empty range compares as the zero KeyValue: "no key under r/" is version = 0.
    expect(holds(ranged, { range: prefix('r/'), result: 'equal', target: 'version', version: 0 })).toBe(true);
    expect(holds(ranged, { range: prefix('r/'), result: 'equal', target: 'value', value: new Uint8Array(0) })).toBe(false);
  });

  it('refuses an empty compare key', () => {
    const error = refusal(store, { compare: [{ range: key(''), result: 'equal', target: 'version', version: 0 }], success: [], failure: [] });
    expect(error).toBeInstanceOf(EmptyKeyError);
  });
});

describe('branches and responses', () => {
  it('runs success when the compares hold and failure otherwise, answering each op in order', () => {
    const store = new MvccStore();
    const casAbsent: TxnRequest = {
      compare: [{ range: key('lock'), result: 'equal', target: 'create', createRevision: 0 }],
      success: [putOp('lock', 'me'), rangeOp(key('lock'))],
      failure: [rangeOp(key('lock'))],
    };
    const first = store.txn(casAbsent);
    expect(first.succeeded).toBe(true);
    expect(first.revision).toBe(2);
    expect(first.responses.map((r) => r.op)).toEqual(['put', 'range']);
    const second = store.txn(casAbsent);
    expect(second.succeeded).toBe(false);
    expect(second.revision).toBe(2);
    expect(second.responses).toHaveLength(1);
    expect(second.responses[0]).toMatchObject({ op: 'range', revision: 2, count: 1 });
  });

  it('lets reads see the transaction’s earlier writes, at the transaction’s revision', () => {
    const store = new MvccStore();
    put(store, 'a', 'old'); // 2
    put(store, 'b', 'doomed'); // 3
    const response = store.txn({
      compare: [],
      success: [rangeOp(key('a')), putOp('a', 'new'), rangeOp(key('a')), rangeOp(key('a'), { revision: 3 }), delOp(key('b')), rangeOp(key('b'))],
      failure: [],
    });
    const [before, written, after, past, deleted, gone] = response.responses;
    expect(before).toMatchObject({ op: 'range', revision: 3 });
    expect(text((before as RangeResponse).kvs[0]!.value)).toBe('old');
    expect(written).toMatchObject({ op: 'put', revision: 4 });
    expect(after).toMatchObject({ op: 'range', revision: 4, count: 1 });
    expect(plain((after as RangeResponse).kvs[0]!)).toMatchObject({ value: 'new', version: 2, mod: 4 });
    // An explicit revision reads the store before the transaction.
    expect(text((past as RangeResponse).kvs[0]!.value)).toBe('old');
    expect(deleted).toMatchObject({ op: 'deleteRange', revision: 4, deleted: 1 });
    expect(gone).toMatchObject({ op: 'range', revision: 4, count: 0 });
    expect(response.revision).toBe(4);
  });

  it('answers a delete that finds nothing with the transaction’s revision so far', () => {
    const store = new MvccStore();
    const response = store.txn({ compare: [], success: [delOp(key('x')), putOp('y', '1'), delOp(key('x'))], failure: [] });
    expect(response.responses.map((r) => r.revision)).toEqual([1, 2, 2]);
  });

  it('runs nested transactions, judging their compares on the store before the transaction', () => {
    const store = new MvccStore();
    const nested = (tag: string): TxnRequest => ({
      // Before the transaction `k` does not exist: version 0 holds, although the outer
      // transaction has just written `k` (etcd decides every branch up front).
      compare: [{ range: key('k'), result: 'equal', target: 'version', version: 0 }],
      success: [putOp(`then-${tag}`, '1'), rangeOp(key('k'))],
      failure: [putOp(`else-${tag}`, '1')],
    });
    const response: TxnResponse = store.txn({ compare: [], success: [putOp('k', 'v'), txnOp(nested('1'))], failure: [] });
    const inner = response.responses[1] as TxnResponse;
    expect(inner).toMatchObject({ op: 'txn', succeeded: true, revision: 2 });
    // Its reads do see the outer writes.
    expect(inner.responses[1]).toMatchObject({ op: 'range', count: 1 });
    expect(valueAt(store, 'then-1')).toBe('1');
    expect(store.revision).toBe(2);

    const again = store.txn({ compare: [], success: [txnOp(nested('2'))], failure: [] });
    expect((again.responses[0] as TxnResponse).succeeded).toBe(false);
    expect(valueAt(store, 'else-2')).toBe('1');
  });
});

describe('keys written twice', () => {
  const store = new MvccStore();
  put(store, 'a', '0');
  const refuse = (success: Op[], failure: Op[] = []) => refusal(store, { compare: [], success, failure });
  const accept = (success: Op[], failure: Op[] = []) => expect(() => store.txn({ compare: [], success, failure })).not.toThrow();

  it('refuses two puts of one key, with etcd’s text', () => {
    const error = refuse([putOp('k', '1'), putOp('k', '2')]);
    expect(error).toBeInstanceOf(DuplicateKeyError);
    expect(error).toMatchObject({ message: 'etcdserver: duplicate key given in txn request', grpcCode: grpc.status.INVALID_ARGUMENT });
  });

  it('refuses a put inside a deleted range, before or after it', () => {
    expect(refuse([delOp(prefix('p/')), putOp('p/x', '1')])).toBeInstanceOf(DuplicateKeyError);
    expect(refuse([putOp('p/x', '1'), delOp(prefix('p/'))])).toBeInstanceOf(DuplicateKeyError);
    expect(refuse([putOp('k', '1'), delOp(key('k'))])).toBeInstanceOf(DuplicateKeyError);
    expect(refuse([putOp('k', '1'), delOp(between('a', 'k\0'))])).toBeInstanceOf(DuplicateKeyError);
    // An inverted range, or one ending at the key, deletes nothing of it.
    accept([putOp('k', '1'), delOp(between('z', 'a')), delOp(between('a', 'k'))]);
  });

  it('accepts a put beside a from-key or whole-keyspace delete, as etcd does (its check reads the end "\\0" as a key)', () => {
    accept([putOp('zz', '1'), delOp(fromKey('m'))]);
    accept([delOp(allKeys()), putOp('k', '1')]);
    accept([txnOp({ compare: [], success: [delOp(fromKey('a'))], failure: [] }), putOp('k', '1')]);
  });

  it('checks a nested put against the deletes before it only: txn{put}; txn{delete} passes, the reverse does not', () => {
    const nestedPut = txnOp({ compare: [], success: [putOp('k', '1')], failure: [] });
    const nestedDelete = txnOp({ compare: [], success: [delOp(key('k'))], failure: [] });
    accept([nestedPut, nestedDelete]);
    expect(refuse([nestedDelete, nestedPut])).toBeInstanceOf(DuplicateKeyError);
    expect(refuse([nestedPut, delOp(key('k'))])).toBeInstanceOf(DuplicateKeyError);
  });

  it('accepts overlapping deletes, puts next to a deleted range, and the same key in both branches', () => {
    accept([delOp(prefix('p/')), delOp(between('p/', 'q')), putOp('q', '1'), putOp('p', '1')]);
    accept([putOp('k', '1')], [putOp('k', '2')]);
  });

  it('refuses a key written by the transaction and by a transaction nested in it', () => {
    const nestedPut = txnOp({ compare: [], success: [putOp('k', '1')], failure: [] });
    expect(refuse([putOp('k', '0'), nestedPut])).toBeInstanceOf(DuplicateKeyError);
    expect(refuse([nestedPut, nestedPut])).toBeInstanceOf(DuplicateKeyError);
    const nestedDelete = txnOp({ compare: [], success: [delOp(prefix('k'))], failure: [] });
    expect(refuse([putOp('k', '0'), nestedDelete])).toBeInstanceOf(DuplicateKeyError);
  });

  it('accepts the same key in both branches of a nested transaction', () => {
    accept([txnOp({ compare: [], success: [putOp('n', '1')], failure: [putOp('n', '2')] })]);
  });
});

describe('a key changed more than once in one transaction', () => {
  const events = (store: MvccStore, revision: number) =>
    store.changesSince(revision)[0]!.events.map((e) => `${e.type} ${text(e.kv.key)}=${text(e.kv.value)} v${e.kv.version} prev ${e.prevKv ? text(e.prevKv.value) : '-'}`);

  it('applies a put then a from-key delete of its key in order: gone at the revision, prev_kv from before it', () => {
    const store = new MvccStore();
    put(store, 'k', 'old'); // 2
    const response = store.txn({ compare: [], success: [putOp('k', 'new'), putOp('n', '1'), delOp(fromKey('k'))], failure: [] });
    expect(response.revision).toBe(3);
    expect(valueAt(store, 'k')).toBeNull();
    expect(valueAt(store, 'k', 2)).toBe('old');
    // The delete's own answer sees the transaction's writes; the events' prev_kv does not.
    const deleted = response.responses[2] as { deleted: number };
    expect(deleted.deleted).toBe(2);
    expect(events(store, 3)).toEqual(['put k=new v2 prev old', 'put n=1 v1 prev -', 'delete k= v0 prev old', 'delete n= v0 prev -']);
    put(store, 'k', 'again'); // 4: a new key again
    expect(plain(store.range(key('k')).kvs[0]!)).toMatchObject({ create: 4, mod: 4, version: 1 });
  });

  it('applies a delete then a put of the key: the put creates it anew', () => {
    const store = new MvccStore();
    put(store, 'k', 'old'); // 2
    store.txn({ compare: [], success: [delOp(allKeys()), putOp('k', 'new', { prevKv: true })], failure: [] });
    expect(plain(store.range(key('k')).kvs[0]!)).toMatchObject({ value: 'new', create: 3, mod: 3, version: 1 });
    expect(events(store, 3)).toEqual(['delete k= v0 prev old', 'put k=new v1 prev -']);
  });

  it('applies txn{put}; txn{delete} of one key, then reads and compacts across that revision', () => {
    const store = new MvccStore();
    put(store, 'k', 'old'); // 2
    const nested = (op: Op) => txnOp({ compare: [], success: [op], failure: [] });
    store.txn({ compare: [], success: [nested(putOp('k', 'new')), nested(delOp(key('k')))], failure: [] }); // 3
    expect(events(store, 3)).toEqual(['put k=new v2 prev old', 'delete k= v0 prev old']);
    put(store, 'k', 'later'); // 4
    store.compact(3);
    expect(valueAt(store, 'k', 3)).toBeNull();
    expect(plain(store.range(key('k')).kvs[0]!)).toMatchObject({ value: 'later', create: 4, version: 1 });
  });

  it('refuses an ignore_value or ignore_lease put after a delete of its key, where etcd would crash applying it', () => {
    const { store } = storeWithLeases([7n]);
    put(store, 'k', 'v', 7n);
    for (const extra of [{ ignoreValue: true }, { ignoreLease: true }]) {
      const error = refusal(store, { compare: [], success: [delOp(fromKey('a')), putOp('k', '', extra)], failure: [] });
      expect(error).toBeInstanceOf(KeyNotFoundError);
      expect(error).toMatchObject({ message: 'etcdserver: key not found', grpcCode: grpc.status.INVALID_ARGUMENT });
      // Before the delete, it runs.
      expect(store.txn({ compare: [], success: [putOp('k', '', extra), delOp(key('other'))], failure: [] }).succeeded).toBe(true);
    }
  });
});

describe('limits and malformed operations', () => {
  const puts = (count: number, tag = '') => Array.from({ length: count }, (_, i) => putOp(`${tag}${i}`, 'v'));
  const versionCompare: Compare = { range: key('c'), result: 'equal', target: 'version', version: 0 };

  it('allows 128 operations per branch by default and refuses 129, with etcd’s text', () => {
    const store = new MvccStore();
    expect(store.txn({ compare: [], success: puts(128), failure: puts(128, 'f') }).revision).toBe(2);
    const error = refusal(store, { compare: [], success: puts(129), failure: [] });
    expect(error).toBeInstanceOf(TooManyOpsError);
    expect(error).toMatchObject({ message: 'etcdserver: too many operations in txn request', code: 'TOO_MANY_OPS' });
    expect(refusal(store, { compare: Array(129).fill(versionCompare), success: [], failure: [] })).toBeInstanceOf(TooManyOpsError);
  });

  it('gives a nested transaction what its parent leaves of the limit', () => {
    const store = new MvccStore({ maxTxnOps: 10 });
    const withNested = (nested: number) => [...puts(5, 'outer'), txnOp({ compare: [], success: puts(nested, 'inner'), failure: [] })];
    // The outer branch has 6 operations: the nested one may have 10 − 6 = 4.
    expect(store.txn({ compare: [], success: withNested(4), failure: [] }).succeeded).toBe(true);
    expect(refusal(store, { compare: [], success: withNested(5), failure: [] })).toBeInstanceOf(TooManyOpsError);
  });

  it('refuses empty keys anywhere', () => {
    const store = new MvccStore();
    expect(refusal(store, { compare: [], success: [putOp('', 'v')], failure: [] })).toBeInstanceOf(EmptyKeyError);
    expect(refusal(store, { compare: [], success: [], failure: [delOp(key(''))] })).toBeInstanceOf(EmptyKeyError);
    expect(refusal(store, { compare: [], success: [txnOp({ compare: [], success: [rangeOp(key(''))], failure: [] })], failure: [] })).toBeInstanceOf(
      EmptyKeyError,
    );
    expect(() => store.put({ key: new Uint8Array(0), value: bytes('v') })).toThrow('etcdserver: key is not provided');
    expect(() => store.deleteRange({ range: key('') })).toThrow(EmptyKeyError);
  });
});

describe('put options', () => {
  it('keeps the current value with ignore_value and the current lease with ignore_lease', () => {
    const { store } = storeWithLeases([1n, 2n]);
    put(store, 'k', 'original', 1n);
    store.put({ key: bytes('k'), value: new Uint8Array(0), ignoreValue: true, lease: 2n });
    expect(plain(store.range(key('k')).kvs[0]!)).toMatchObject({ value: 'original', lease: 2n, version: 2 });
    store.put({ key: bytes('k'), value: bytes('changed'), ignoreLease: true });
    expect(plain(store.range(key('k')).kvs[0]!)).toMatchObject({ value: 'changed', lease: 2n, version: 3 });
  });

  it('refuses a value with ignore_value and a lease with ignore_lease, with etcd’s texts', () => {
    const { store } = storeWithLeases([1n]);
    put(store, 'k', 'v');
    expect(() => store.put({ key: bytes('k'), value: bytes('x'), ignoreValue: true })).toThrow(ValueProvidedError);
    expect(() => store.put({ key: bytes('k'), value: bytes('x'), ignoreValue: true })).toThrow('etcdserver: value is provided');
    expect(() => store.put({ key: bytes('k'), value: bytes('x'), ignoreLease: true, lease: 1n })).toThrow(LeaseProvidedError);
    expect(() => store.put({ key: bytes('k'), value: bytes('x'), ignoreLease: true, lease: 1n })).toThrow('etcdserver: lease is provided');
    expect(store.revision).toBe(2);
  });

  it('refuses ignore_value / ignore_lease on a missing key with "key not found"', () => {
    const store = new MvccStore();
    expect(() => store.put({ key: bytes('k'), value: new Uint8Array(0), ignoreValue: true })).toThrow(KeyNotFoundError);
    expect(() => store.put({ key: bytes('k'), value: bytes('v'), ignoreLease: true })).toThrow('etcdserver: key not found');
    const inTxn = refusal(store, { compare: [], success: [putOp('k', '', { ignoreValue: true })], failure: [] });
    expect(inTxn).toBeInstanceOf(KeyNotFoundError);
  });

  it('refuses a lease that does not exist, with NOT_FOUND and etcd’s text', () => {
    const { store, granted } = storeWithLeases();
    const attach = () => store.put({ key: bytes('k'), value: bytes('v'), lease: 5n });
    expect(attach).toThrow(LeaseNotFoundError);
    expect(attach).toThrow('etcdserver: requested lease not found');
    expect(thrown(attach)).toMatchObject({ code: 'LEASE_NOT_FOUND', grpcCode: grpc.status.NOT_FOUND, lease: 5n });
    granted.add(5n);
    expect(attach().revision).toBe(2);
  });

  it('refuses a whole transaction when one of its puts names a missing lease', () => {
    const { store } = storeWithLeases([1n]);
    const error = refusal(store, { compare: [], success: [putOp('a', '1', { lease: 1n }), putOp('b', '2', { lease: 9n })], failure: [] });
    expect(error).toBeInstanceOf(LeaseNotFoundError);
    expect(store.revision).toBe(1);
    // Only the branch that runs is checked.
    const failureOnly = store.txn({ compare: [], success: [putOp('a', '1')], failure: [putOp('b', '2', { lease: 9n })] });
    expect(failureOnly.succeeded).toBe(true);
  });

  it('checks the lease first on a plain put, the key first in a transaction (etcd’s two paths)', () => {
    const store = new MvccStore();
    const both = { key: bytes('k'), value: new Uint8Array(0), ignoreValue: true, lease: 3n };
    expect(() => store.put(both)).toThrow(LeaseNotFoundError);
    expect(refusal(store, { compare: [], success: [{ op: 'put', ...both }], failure: [] })).toBeInstanceOf(KeyNotFoundError);
  });
});

describe('reads at a revision inside a transaction', () => {
  it('refuses a future or compacted revision on the path that runs, writing nothing', () => {
    const store = new MvccStore();
    put(store, 'a', '1');
    put(store, 'a', '2');
    put(store, 'a', '3');
    store.compact(3);
    // Revision 5 would be the transaction's own: it does not exist when the request is checked.
    const future = refusal(store, { compare: [], success: [putOp('b', '1'), rangeOp(key('a'), { revision: 5 })], failure: [] });
    expect(future).toMatchObject({ code: 'FUTURE_REVISION', message: 'etcdserver: mvcc: required revision is a future revision' });
    const compacted = refusal(store, { compare: [], success: [putOp('b', '1'), rangeOp(key('a'), { revision: 2 })], failure: [] });
    expect(compacted).toMatchObject({ code: 'COMPACTED', message: 'etcdserver: mvcc: required revision has been compacted' });
    const ok = store.txn({ compare: [], success: [rangeOp(key('a'), { revision: 3 })], failure: [] });
    expect(ok.responses[0]).toMatchObject({ count: 1 });
  });
});
