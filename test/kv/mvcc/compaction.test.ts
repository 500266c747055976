/**
 * Compaction with etcd's semantics: it keeps, for each key, the newest version at or
 * before the compaction revision (none if that is a delete) and everything after; reads
 * and history below it fail, at it they work; compacting twice at the same revision, or
 * past the current one, is refused; a store never compacted says -1, and can compact at 0. And etcd's HashKV: equal on stores with the same
 * history, different when any kept version differs, refused at or below the compaction
 * point and above the current revision.
 */
import { CompactedError, FutureRevisionError, MvccStore, NEVER_COMPACTED } from '../../../kv/mvcc/index.js';
import { allKeys, bytes, del, describeChanges, key, plain, put, thrown, valueAt } from './helpers.js';

describe('compact', () => {
  it('starts never compacted (-1, as etcd reports it), so revision 0 can be compacted once', () => {
    const store = new MvccStore();
    put(store, 'k', 'v'); // 2
    expect(store.compactRevision()).toBe(-1);
    expect(store.hashKv().compactRevision).toBe(-1);
    expect(thrown(() => store.compact(-1))).toBeInstanceOf(CompactedError);
    store.compact(0);
    expect(store.compactRevision()).toBe(0);
    expect(store.hashKv().compactRevision).toBe(0);
    expect(valueAt(store, 'k')).toBe('v');
    expect(thrown(() => store.compact(0))).toBeInstanceOf(CompactedError);
    store.compact(1);
    expect(store.compactRevision()).toBe(1);
  });

  it('keeps the newest version at or before the compaction point, and all later ones', () => {
    const store = new MvccStore();
    put(store, 'k', 'v1'); // 2
    put(store, 'k', 'v2'); // 3
    put(store, 'other', 'x'); // 4
    put(store, 'k', 'v3'); // 5
    store.compact(4);
    expect(store.compactRevision()).toBe(4);
    expect(valueAt(store, 'k', 4)).toBe('v2');
    expect(valueAt(store, 'k', 5)).toBe('v3');
    expect(valueAt(store, 'other', 4)).toBe('x');
    expect(() => valueAt(store, 'k', 3)).toThrow(CompactedError);
    // Metadata of the kept version is intact.
    expect(plain(store.range(key('k'), { revision: 4 }).kvs[0]!)).toEqual({ key: 'k', value: 'v2', create: 2, mod: 3, version: 2, lease: 0n });
  });

  it('drops a key deleted at or before the compaction point, and keeps one deleted after it readable before its delete', () => {
    const store = new MvccStore();
    put(store, 'early', '1'); // 2
    put(store, 'late', '1'); // 3
    del(store, key('early')); // 4
    del(store, key('late')); // 5
    store.compact(4);
    expect(store.range(allKeys(), { revision: 4 }).kvs.map(plain)).toEqual([{ key: 'late', value: '1', create: 3, mod: 3, version: 1, lease: 0n }]);
    expect(store.range(allKeys()).count).toBe(0);
    store.compact(5);
    expect(store.range(allKeys(), { revision: 5 }).count).toBe(0);
    // Nothing is left at all: the tombstones went with the versions they ended.
    expect(store.sizeBytes()).toBe(0);
  });

  it('keeps a key re-created after its delete, with its new life only', () => {
    const store = new MvccStore();
    put(store, 'k', 'old'); // 2
    del(store, key('k')); // 3
    put(store, 'k', 'new'); // 4
    store.compact(3);
    expect(valueAt(store, 'k', 3)).toBeNull();
    expect(plain(store.range(key('k')).kvs[0]!)).toMatchObject({ value: 'new', create: 4, version: 1 });
  });

  it('frees the superseded versions (the store shrinks)', () => {
    const store = new MvccStore();
    const big = 'x'.repeat(10_000);
    for (let i = 0; i < 10; i++) put(store, 'k', `${i}${big}`);
    const before = store.sizeBytes();
    store.compact(store.revision);
    expect(store.sizeBytes()).toBeLessThan(before / 5);
    expect(valueAt(store, 'k')).toBe(`9${big}`);
  });

  it('refuses a revision at or below the compaction point, or above the current one', () => {
    const store = new MvccStore();
    put(store, 'k', '1');
    put(store, 'k', '2');
    expect(() => store.compact(4)).toThrow(FutureRevisionError);
    store.compact(2);
    expect(() => store.compact(2)).toThrow('etcdserver: mvcc: required revision has been compacted');
    expect(() => store.compact(1)).toThrow(CompactedError);
    store.compact(3); // the current revision may be compacted
    expect(store.compactRevision()).toBe(3);
    expect(valueAt(store, 'k')).toBe('2');
  });

  it('changes no revision and leaves writes working', () => {
    const store = new MvccStore();
    put(store, 'k', '1');
    store.compact(2);
    expect(store.revision).toBe(2);
    expect(put(store, 'k', '2')).toBe(3);
    expect(plain(store.range(key('k')).kvs[0]!)).toMatchObject({ version: 2, create: 2 });
  });
});

describe('history across compaction', () => {
  it('keeps the changes from the compaction point on, complete with previous versions', () => {
    const store = new MvccStore();
    put(store, 'a', '1'); // 2
    put(store, 'a', '2'); // 3
    store.txn({ compare: [], success: [{ op: 'put', key: bytes('a'), value: bytes('3') }, { op: 'deleteRange', range: key('b') }], failure: [] }); // 4 (b absent)
    put(store, 'b', '1'); // 5
    del(store, key('a')); // 6
    store.compact(6);
    const [at6] = store.changesSince(6);
    expect(describeChanges([at6!])).toEqual(['6: delete a']);
    // The delete at the compaction point still carries the version it deleted.
    expect(plain(at6!.events[0]!.prevKv)).toMatchObject({ key: 'a', value: '3', mod: 4 });
    expect(() => store.changesSince(5)).toThrow(CompactedError);
    expect(thrown(() => store.changesSince(2))).toMatchObject({ compactRevision: 6 });
  });

  it('keeps changes after the compaction point identical to before it', () => {
    const store = new MvccStore();
    for (let i = 0; i < 6; i++) put(store, `k${i % 2}`, String(i)); // 2..7
    const before = store.changesSince(4);
    store.compact(4);
    expect(store.changesSince(4)).toEqual(before);
    expect(store.changesSince(6)).toEqual(before.slice(2));
  });
});

describe('hashKv', () => {
  function history(store: MvccStore, last: string): void {
    put(store, 'a', '1');
    put(store, 'b', '1');
    del(store, key('a'));
    put(store, 'b', last);
  }

  it('is equal on stores with equal histories, and differs when a value differs', () => {
    const [one, two, three] = [new MvccStore(), new MvccStore(), new MvccStore()];
    history(one, 'same');
    history(two, 'same');
    history(three, 'different');
    expect(one.hashKv()).toEqual(two.hashKv());
    expect(one.hashKv().hash).not.toBe(three.hashKv().hash);
    expect(one.hashKv(4)).toEqual(three.hashKv(4)); // they differ only after revision 4
    expect(one.hashKv()).toEqual({ hash: expect.any(Number), revision: 5, compactRevision: NEVER_COMPACTED });
  });

  it('covers the history up to the revision asked for', () => {
    const whole = new MvccStore();
    history(whole, 'x');
    const prefixOnly = new MvccStore();
    put(prefixOnly, 'a', '1');
    put(prefixOnly, 'b', '1');
    expect(whole.hashKv(3).hash).toBe(prefixOnly.hashKv().hash);
    expect(whole.hashKv(4).hash).not.toBe(prefixOnly.hashKv().hash);
  });

  it('counts, at or below the compaction point, only versions still current at the hashed revision', () => {
    const compacted = new MvccStore();
    history(compacted, 'x'); // b: 1 at 3, x at 5
    compacted.compact(4);
    // After compaction at 4, b=1 (revision 3) no longer counts for a hash at 5, where
    // b=x has replaced it; a store whose history is only what compaction kept agrees.
    const hashAt5 = compacted.hashKv(5);
    expect(hashAt5.compactRevision).toBe(4);
    const fresh = new MvccStore();
    history(fresh, 'x');
    expect(fresh.hashKv(5).hash).not.toBe(hashAt5.hash);
    fresh.compact(4);
    expect(fresh.hashKv(5)).toEqual(hashAt5);
  });

  it('leaves out kept versions that the hashed revision has superseded (etcd’s keep rule)', () => {
    // Two stores that differ only in a version at the compaction point which revision 3
    // has overwritten: a hash at 3 is what a compaction at 3 would keep, so they agree.
    const [one, two] = [new MvccStore(), new MvccStore()];
    put(one, 'k', 'one');
    put(two, 'k', 'two');
    for (const store of [one, two]) {
      store.compact(2);
      put(store, 'k', 'same');
    }
    expect(one.hashKv(3)).toEqual(two.hashKv(3));
    expect(one.range(key('k'), { revision: 2 }).kvs).not.toEqual(two.range(key('k'), { revision: 2 }).kvs);
  });

  it('refuses a revision at or below the compaction point, and a future one', () => {
    const store = new MvccStore();
    history(store, 'x');
    store.compact(3);
    expect(() => store.hashKv(3)).toThrow(CompactedError);
    expect(() => store.hashKv(6)).toThrow(FutureRevisionError);
    expect(store.hashKv(4).revision).toBe(5);
  });
});
