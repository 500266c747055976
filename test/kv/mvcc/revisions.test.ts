/**
 * Revisions and versions, as etcd counts them: the empty store is at revision 1; every
 * write that changes something makes exactly one new revision; a key's version counts
 * its puts since creation and starts over after a delete, as does its create revision.
 */
import { MvccStore } from '../../../kv/mvcc/index.js';
import { allKeys, bytes, del, describeChanges, key, plain, prefix, put, text } from './helpers.js';

describe('the global revision', () => {
  it('starts at 1 for the empty store, and each put makes one new revision', () => {
    const store = new MvccStore();
    expect(store.revision).toBe(1);
    expect(store.range(key('a')).revision).toBe(1);
    expect(put(store, 'a', '1')).toBe(2);
    expect(put(store, 'a', '1')).toBe(3); // the same value again is still a write
    expect(put(store, 'b', '1')).toBe(4);
    expect(store.revision).toBe(4);
  });

  it('is not bumped by a delete that deletes nothing, nor by a read-only transaction', () => {
    const store = new MvccStore();
    put(store, 'a', '1');
    const deleted = store.deleteRange({ range: key('missing') });
    expect(deleted).toEqual({ op: 'deleteRange', revision: 2, deleted: 0, prevKvs: [] });
    const readOnly = store.txn({ compare: [], success: [{ op: 'range', range: key('a') }], failure: [] });
    expect(readOnly.revision).toBe(2);
    const failedCompare = store.txn({
      compare: [{ target: 'version', range: key('a'), result: 'equal', version: 9 }],
      success: [{ op: 'put', key: bytes('a'), value: bytes('x') }],
      failure: [],
    });
    expect(failedCompare).toEqual({ op: 'txn', revision: 2, succeeded: false, responses: [] });
    expect(store.revision).toBe(2);
    expect(store.changesSince(1)).toHaveLength(1);
  });

  it('gives all changes of one transaction one revision, numbered in order', () => {
    const store = new MvccStore();
    put(store, 'x', '0');
    const response = store.txn({
      compare: [],
      success: [
        { op: 'put', key: bytes('b'), value: bytes('1') },
        { op: 'deleteRange', range: key('x') },
        { op: 'put', key: bytes('a'), value: bytes('2') },
      ],
      failure: [],
    });
    expect(response.revision).toBe(3);
    expect(store.revision).toBe(3);
    expect(describeChanges(store.changesSince(3))).toEqual(['3: put b=1, delete x, put a=2']);
    const kvs = store.range(allKeys()).kvs;
    expect(kvs.map((kv) => [text(kv.key), kv.modRevision])).toEqual([['a', 3], ['b', 3]]);
  });

  it('makes one revision for a delete of many keys', () => {
    const store = new MvccStore();
    for (const k of ['p/1', 'p/2', 'p/3', 'q']) put(store, k, 'v');
    expect(store.deleteRange({ range: prefix('p/') })).toMatchObject({ revision: 6, deleted: 3 });
    expect(store.revision).toBe(6);
    expect(describeChanges(store.changesSince(6))).toEqual(['6: delete p/1, delete p/2, delete p/3']);
  });
});

describe('per-key revisions and versions', () => {
  it('tracks create revision, mod revision and version across puts', () => {
    const store = new MvccStore();
    put(store, 'other', '0');
    put(store, 'k', 'v1');
    put(store, 'other', '1');
    put(store, 'k', 'v2');
    put(store, 'k', 'v3');
    expect(plain(store.range(key('k')).kvs[0]!)).toEqual({ key: 'k', value: 'v3', create: 3, mod: 6, version: 3, lease: 0n });
  });

  it('starts create revision and version over when a deleted key is created again', () => {
    const store = new MvccStore();
    put(store, 'k', 'v1'); // 2
    put(store, 'k', 'v2'); // 3
    expect(del(store, key('k'))).toBe(1); // 4
    expect(store.range(key('k'))).toMatchObject({ kvs: [], count: 0 });
    put(store, 'k', 'again'); // 5
    expect(plain(store.range(key('k')).kvs[0]!)).toEqual({ key: 'k', value: 'again', create: 5, mod: 5, version: 1, lease: 0n });
    // The old life is still readable at its revisions.
    expect(plain(store.range(key('k'), { revision: 3 }).kvs[0]!)).toMatchObject({ value: 'v2', create: 2, version: 2 });
    expect(store.range(key('k'), { revision: 4 }).kvs).toEqual([]);
  });

  it('answers a put with the new revision and, when asked, the previous version', () => {
    const store = new MvccStore();
    expect(store.put({ key: bytes('k'), value: bytes('1'), prevKv: true })).toEqual({ op: 'put', revision: 2, prevKv: null });
    const second = store.put({ key: bytes('k'), value: bytes('2'), prevKv: true });
    expect(second.revision).toBe(3);
    expect(plain(second.prevKv)).toEqual({ key: 'k', value: '1', create: 2, mod: 2, version: 1, lease: 0n });
    expect(store.put({ key: bytes('k'), value: bytes('3') }).prevKv).toBeNull();
  });

  it('answers a delete with the count and, when asked, the deleted versions', () => {
    const store = new MvccStore();
    put(store, 'a', '1');
    put(store, 'b', '2');
    const response = store.deleteRange({ range: allKeys(), prevKv: true });
    expect(response.revision).toBe(4);
    expect(response.deleted).toBe(2);
    expect(response.prevKvs.map(plain)).toEqual([
      { key: 'a', value: '1', create: 2, mod: 2, version: 1, lease: 0n },
      { key: 'b', value: '2', create: 3, mod: 3, version: 1, lease: 0n },
    ]);
    expect(store.deleteRange({ range: allKeys() }).prevKvs).toEqual([]);
  });

  it('copies keys and values in: changing the caller’s bytes later changes nothing', () => {
    const store = new MvccStore();
    const k = bytes('k');
    const v = bytes('value');
    store.put({ key: k, value: v });
    k[0] = 0x7a;
    v[0] = 0x58;
    expect(text(store.range(key('k')).kvs[0]!.value)).toBe('value');
  });
});
