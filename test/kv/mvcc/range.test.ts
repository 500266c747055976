/**
 * Range reads with etcd's semantics: the key-range encodings (single key, [key, end),
 * prefix, "\0" for "from key" and "all"), limit with `more` and `count` (count is every
 * key in the range at the read revision, before limit and filters), the sort orders and
 * targets with etcd's quirks (order NONE with a non-key target sorts ascending, but only
 * the first limit + 1 keys), ties in etcd's order (Go's unstable sort, reproduced),
 * keys_only, count_only, the min/max revision filters, reads at past revisions, and the
 * compacted / future revision errors with etcd's exact texts.
 */
import * as grpc from '@grpc/grpc-js';

import { CompactedError, EmptyKeyError, FutureRevisionError, MvccStore } from '../../../kv/mvcc/index.js';
import type { RangeOptions } from '../../../kv/mvcc/index.js';
import { allKeys, between, bytes, fromKey, key, keysOf, prefix, put, text, thrown } from './helpers.js';

/** a, b, c, d, foo, foo/1, foo/2, fop: revisions 2..9 in that order. */
function lettersStore(): MvccStore {
  const store = new MvccStore();
  for (const k of ['a', 'b', 'c', 'd', 'foo', 'foo/1', 'foo/2', 'fop']) put(store, k, `v-${k}`);
  return store;
}

describe('key ranges', () => {
  const store = lettersStore();

  it('reads a single key when the end is empty', () => {
    expect(keysOf(store.range(key('foo')).kvs)).toEqual(['foo']);
    expect(store.range(key('nope'))).toEqual({ op: 'range', revision: 9, kvs: [], more: false, count: 0 });
  });

  it('reads [key, end)', () => {
    expect(keysOf(store.range(between('b', 'd')).kvs)).toEqual(['b', 'c']);
    expect(keysOf(store.range(between('b', 'foo/')).kvs)).toEqual(['b', 'c', 'd', 'foo']);
  });

  it('reads a prefix as [p, p with its last byte plus one)', () => {
    expect(keysOf(store.range(prefix('foo/')).kvs)).toEqual(['foo/1', 'foo/2']);
    expect(keysOf(store.range(prefix('fo')).kvs)).toEqual(['foo', 'foo/1', 'foo/2', 'fop']);
  });

  it('reads every key from a key on with end "\\0", and every key with key and end "\\0"', () => {
    expect(keysOf(store.range(fromKey('foo/1')).kvs)).toEqual(['foo/1', 'foo/2', 'fop']);
    expect(keysOf(store.range(allKeys()).kvs)).toEqual(['a', 'b', 'c', 'd', 'foo', 'foo/1', 'foo/2', 'fop']);
  });

  it('finds nothing when the end is not above the key', () => {
    expect(store.range(between('c', 'c')).count).toBe(0);
    expect(store.range(between('d', 'a')).count).toBe(0);
  });

  it('orders keys bytewise, high bytes after ASCII', () => {
    const binary = new MvccStore();
    for (const k of [Uint8Array.of(0xff), Uint8Array.of(0x61), Uint8Array.of(0x61, 0x00), Uint8Array.of(0x80, 0x01)]) {
      binary.put({ key: k, value: new Uint8Array(0) });
    }
    expect(binary.range(allKeys()).kvs.map((kv) => [...kv.key])).toEqual([[0x61], [0x61, 0x00], [0x80, 0x01], [0xff]]);
    expect(binary.range({ key: Uint8Array.of(0x80), end: Uint8Array.of(0x00) }).count).toBe(2);
  });

  it('refuses an empty key with etcd’s error', () => {
    expect(() => store.range({ key: new Uint8Array(0), end: bytes('z') })).toThrow(EmptyKeyError);
    expect(() => store.range({ key: new Uint8Array(0), end: new Uint8Array(0) })).toThrow('etcdserver: key is not provided');
  });
});

describe('limit, more and count', () => {
  const store = lettersStore();

  it('cuts at the limit, says there is more, and counts every key in the range', () => {
    expect(store.range(allKeys(), { limit: 3 })).toMatchObject({ more: true, count: 8 });
    expect(keysOf(store.range(allKeys(), { limit: 3 }).kvs)).toEqual(['a', 'b', 'c']);
  });

  it('says there is no more when the limit reaches the end', () => {
    expect(store.range(allKeys(), { limit: 8 })).toMatchObject({ more: false, count: 8 });
    expect(store.range(allKeys(), { limit: 100 })).toMatchObject({ more: false, count: 8 });
  });

  it('treats a limit of 0 or less as no limit', () => {
    expect(store.range(allKeys(), { limit: 0 }).kvs).toHaveLength(8);
    expect(store.range(allKeys(), { limit: -1 }).kvs).toHaveLength(8);
  });

  it('counts only with count_only: no keys, never more', () => {
    expect(store.range(prefix('foo'), { countOnly: true })).toEqual({ op: 'range', revision: 9, kvs: [], more: false, count: 3 });
    expect(store.range(prefix('foo'), { countOnly: true, limit: 1 })).toMatchObject({ kvs: [], more: false, count: 3 });
  });

  it('blanks the values with keys_only and keeps the rest', () => {
    const [kv] = store.range(key('c'), { keysOnly: true }).kvs;
    expect(text(kv!.key)).toBe('c');
    expect(kv!.value).toHaveLength(0);
    expect(kv).toMatchObject({ createRevision: 4, modRevision: 4, version: 1 });
    expect(text(store.range(key('c')).kvs[0]!.value)).toBe('v-c'); // the stored value is untouched
  });
});

describe('sorting', () => {
  // a: value "z", version 3, created 2, modified 7
  // b: value "x", version 1, created 3, modified 3
  // c: value "y", version 2, created 4, modified 6
  // d: value "y", version 1, created 5, modified 5
  const store = new MvccStore();
  put(store, 'a', 'a1');
  put(store, 'b', 'x');
  put(store, 'c', 'c1');
  put(store, 'd', 'y');
  put(store, 'a', 'a2');
  put(store, 'c', 'y');
  put(store, 'a', 'z');
  const sorted = (options: RangeOptions) => keysOf(store.range(allKeys(), options).kvs);

  it('returns key order by default, and for NONE or ASCEND by key', () => {
    expect(sorted({})).toEqual(['a', 'b', 'c', 'd']);
    expect(sorted({ sortOrder: 'none', sortTarget: 'key' })).toEqual(['a', 'b', 'c', 'd']);
    expect(sorted({ sortOrder: 'ascend', sortTarget: 'key' })).toEqual(['a', 'b', 'c', 'd']);
  });

  it('sorts DESCEND by key', () => {
    expect(sorted({ sortOrder: 'descend' })).toEqual(['d', 'c', 'b', 'a']);
  });

  it('sorts by version, create and mod revision, both ways', () => {
    expect(sorted({ sortOrder: 'ascend', sortTarget: 'version' })).toEqual(['b', 'd', 'c', 'a']);
    expect(sorted({ sortOrder: 'descend', sortTarget: 'version' })).toEqual(['a', 'c', 'b', 'd']);
    expect(sorted({ sortOrder: 'ascend', sortTarget: 'create' })).toEqual(['a', 'b', 'c', 'd']);
    expect(sorted({ sortOrder: 'descend', sortTarget: 'create' })).toEqual(['d', 'c', 'b', 'a']);
    expect(sorted({ sortOrder: 'ascend', sortTarget: 'mod' })).toEqual(['b', 'd', 'c', 'a']);
    expect(sorted({ sortOrder: 'descend', sortTarget: 'mod' })).toEqual(['a', 'c', 'd', 'b']);
  });

  it('sorts by value bytewise, ties in key order', () => {
    expect(sorted({ sortOrder: 'ascend', sortTarget: 'value' })).toEqual(['b', 'c', 'd', 'a']);
    expect(sorted({ sortOrder: 'descend', sortTarget: 'value' })).toEqual(['a', 'c', 'd', 'b']);
  });

  it('sorts ascending when the order is NONE but the target is not the key (etcd’s quirk)', () => {
    expect(sorted({ sortOrder: 'none', sortTarget: 'mod' })).toEqual(['b', 'd', 'c', 'a']);
    expect(sorted({ sortTarget: 'version' })).toEqual(['b', 'd', 'c', 'a']);
    expect(sorted({ sortTarget: 'value' })).toEqual(['b', 'c', 'd', 'a']);
  });

  it('sorts before the limit: the newest modified key first', () => {
    const newest = store.range(allKeys(), { sortOrder: 'descend', sortTarget: 'mod', limit: 1 });
    expect(keysOf(newest.kvs)).toEqual(['a']);
    expect(newest).toMatchObject({ more: true, count: 4 });
  });
});

describe('sort ties, in etcd’s order', () => {
  /** Keys 000, 001, ...: key i has value (7i mod 3) and version (i mod 4) + 1. */
  function tiedStore(count: number): MvccStore {
    const store = new MvccStore();
    for (let i = 0; i < count; i++) {
      for (let version = 0; version <= i % 4; version++) put(store, String(i).padStart(3, '0'), String((i * 7) % 3));
    }
    return store;
  }
  const sorted = (store: MvccStore, options: RangeOptions) => keysOf(store.range(allKeys(), options).kvs).join(' ');

  it('keeps key order among ties up to 12 keys, ascending and descending (Go’s sort is an insertion sort there)', () => {
    const store = tiedStore(5);
    expect(sorted(store, { sortOrder: 'ascend', sortTarget: 'value' })).toBe('000 003 001 004 002');
    expect(sorted(store, { sortOrder: 'descend', sortTarget: 'value' })).toBe('002 001 004 000 003');
    expect(sorted(store, { sortOrder: 'descend', sortTarget: 'version' })).toBe('003 002 001 000 004');
  });

  it('orders ties above 12 keys as etcd 3.4 does (its answers, recorded from etcd 3.4.23)', () => {
    const store = tiedStore(40);
    expect(sorted(store, { sortOrder: 'ascend', sortTarget: 'value' })).toBe(
      '015 039 036 003 033 030 006 027 024 009 000 021 012 018 010 004 016 001 013 019 037 034 022 031 028 025 007 014 008 029 005 023 032 026 011 035 002 020 038 017',
    );
    expect(sorted(store, { sortOrder: 'descend', sortTarget: 'value' })).toBe(
      '014 038 002 035 032 005 029 026 008 023 020 011 017 010 004 001 016 037 034 019 013 031 022 028 007 025 000 024 009 006 030 021 027 033 036 003 018 012 015 039',
    );
    expect(sorted(store, { sortOrder: 'ascend', sortTarget: 'version' })).toBe(
      '000 024 016 036 004 020 028 032 008 012 005 029 009 013 033 025 037 017 001 021 010 030 022 038 018 002 026 034 014 006 015 031 007 011 027 035 003 019 023 039',
    );
    expect(sorted(store, { sortOrder: 'descend', sortTarget: 'version' })).toBe(
      '011 039 035 003 031 027 023 007 019 015 030 022 038 002 014 034 026 010 018 006 025 029 001 037 013 017 009 005 033 021 000 004 032 028 016 024 036 008 012 020',
    );
    // Order NONE with a target is ASCEND, tie order included.
    expect(sorted(store, { sortTarget: 'value' })).toBe(sorted(store, { sortOrder: 'ascend', sortTarget: 'value' }));
  });

  it('with order NONE and a target other than the key, sorts only the first limit + 1 keys (etcd reads no more)', () => {
    const store = new MvccStore();
    for (const [k, value] of [['a', '9'], ['b', '8'], ['c', '7'], ['d', '1'], ['e', '0']]) put(store, k!, value!);
    const none = store.range(allKeys(), { sortTarget: 'value', limit: 2 });
    expect(keysOf(none.kvs)).toEqual(['c', 'b']);
    expect(none).toMatchObject({ more: true, count: 5 });
    expect(keysOf(store.range(allKeys(), { sortOrder: 'ascend', sortTarget: 'value', limit: 2 }).kvs)).toEqual(['e', 'd']);
    expect(keysOf(store.range(allKeys(), { sortOrder: 'descend', sortTarget: 'value', limit: 2 }).kvs)).toEqual(['a', 'b']);
  });
});

describe('revision filters', () => {
  const store = lettersStore(); // a..fop at 2..9
  put(store, 'a', 'again'); // a: created 2, modified 10

  it('keeps keys within the mod and create revision bounds (0 means none)', () => {
    expect(keysOf(store.range(allKeys(), { minModRevision: 8 }).kvs)).toEqual(['a', 'foo/2', 'fop']);
    expect(keysOf(store.range(allKeys(), { maxModRevision: 4 }).kvs)).toEqual(['b', 'c']);
    expect(keysOf(store.range(allKeys(), { minCreateRevision: 8 }).kvs)).toEqual(['foo/2', 'fop']);
    expect(keysOf(store.range(allKeys(), { maxCreateRevision: 3 }).kvs)).toEqual(['a', 'b']);
    expect(keysOf(store.range(allKeys(), { minModRevision: 4, maxModRevision: 6, minCreateRevision: 5 }).kvs)).toEqual(['d', 'foo']);
  });

  it('counts before filtering (as etcd), and computes more after it', () => {
    expect(store.range(allKeys(), { minModRevision: 8 }).count).toBe(8);
    expect(store.range(allKeys(), { minModRevision: 8, limit: 2 })).toMatchObject({ more: true, count: 8 });
    expect(store.range(allKeys(), { minModRevision: 8, limit: 3 })).toMatchObject({ more: false, count: 8 });
  });
});

describe('reading at a revision', () => {
  it('sees the store as it was: older values, keys since deleted, not keys created later', () => {
    const store = new MvccStore();
    put(store, 'a', '1'); // 2
    put(store, 'b', '1'); // 3
    put(store, 'a', '2'); // 4
    store.deleteRange({ range: key('b') }); // 5
    put(store, 'c', '1'); // 6
    const at = (revision: number) => store.range(allKeys(), { revision }).kvs.map((kv) => `${text(kv.key)}=${text(kv.value)}`);
    expect(at(1)).toEqual([]);
    expect(at(2)).toEqual(['a=1']);
    expect(at(3)).toEqual(['a=1', 'b=1']);
    expect(at(4)).toEqual(['a=2', 'b=1']);
    expect(at(5)).toEqual(['a=2']);
    expect(at(6)).toEqual(['a=2', 'c=1']);
    expect(at(0)).toEqual(at(6));
    expect(at(-3)).toEqual(at(6)); // 0 or less: the current revision
    expect(store.range(key('b'), { revision: 3, countOnly: true }).count).toBe(1);
  });

  it('answers with the current revision in the header, whatever revision was read', () => {
    const store = new MvccStore();
    put(store, 'a', '1');
    put(store, 'a', '2');
    expect(store.range(key('a'), { revision: 2 }).revision).toBe(3);
  });

  it('refuses a future revision with etcd’s error', () => {
    const store = new MvccStore();
    put(store, 'a', '1');
    const read = () => store.range(key('a'), { revision: 3 });
    expect(read).toThrow(FutureRevisionError);
    expect(read).toThrow('etcdserver: mvcc: required revision is a future revision');
    expect(thrown(read)).toMatchObject({ code: 'FUTURE_REVISION', grpcCode: grpc.status.OUT_OF_RANGE, retryable: true });
  });

  it('refuses a compacted revision with etcd’s error, and reads the compaction point itself', () => {
    const store = new MvccStore();
    for (let i = 0; i < 5; i++) put(store, 'a', String(i)); // 2..6
    store.compact(4);
    const read = () => store.range(key('a'), { revision: 3 });
    expect(read).toThrow(CompactedError);
    expect(read).toThrow('etcdserver: mvcc: required revision has been compacted');
    expect(thrown(read)).toMatchObject({ code: 'COMPACTED', grpcCode: grpc.status.OUT_OF_RANGE, retryable: false, compactRevision: 4 });
    expect(text(store.range(key('a'), { revision: 4 }).kvs[0]!.value)).toBe('2');
  });
});
