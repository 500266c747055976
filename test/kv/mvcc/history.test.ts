/**
 * The change history that watches are served from: one entry per revision, in order,
 * each event carrying the key's previous version; delete events in etcd's shape (the
 * key and the deleting revision only). `changesSince` replays from any kept revision;
 * `onChanges` reports each new revision once, in order, after it is committed, and
 * never for writes that changed nothing.
 */
import { MvccStore } from '../../../kv/mvcc/index.js';
import type { RevisionChanges } from '../../../kv/mvcc/index.js';
import type { WatchableStore } from '../../../kv/watch/index.js';
import { allKeys, bytes, del, describeChanges, key, plain, put, storeWithLeases } from './helpers.js';

describe('changesSince', () => {
  it('is empty for a new store and for a start in the future', () => {
    const store = new MvccStore();
    expect(store.changesSince(1)).toEqual([]);
    put(store, 'a', '1');
    expect(store.changesSince(3)).toEqual([]);
    expect(store.changesSince(100)).toEqual([]);
  });

  it('replays every revision from the start revision on, in order', () => {
    const store = new MvccStore();
    put(store, 'a', '1'); // 2
    put(store, 'b', '1'); // 3
    store.deleteRange({ range: key('nothing') }); // no revision
    put(store, 'a', '2'); // 4
    del(store, allKeys()); // 5: a, b
    expect(describeChanges(store.changesSince(1))).toEqual(['2: put a=1', '3: put b=1', '4: put a=2', '5: delete a, delete b']);
    expect(describeChanges(store.changesSince(4))).toEqual(['4: put a=2', '5: delete a, delete b']);
  });

  it('carries each key’s previous version: none on creation, the replaced or deleted one otherwise', () => {
    const { store } = storeWithLeases([3n]);
    put(store, 'k', '1', 3n); // 2
    put(store, 'k', '2'); // 3
    del(store, key('k')); // 4
    put(store, 'k', '3'); // 5
    const events = store.changesSince(2).map((c) => c.events[0]!);
    expect(events.map((e) => plain(e.prevKv))).toEqual([
      null,
      { key: 'k', value: '1', create: 2, mod: 2, version: 1, lease: 3n },
      { key: 'k', value: '2', create: 2, mod: 3, version: 2, lease: 0n },
      null,
    ]);
    expect(plain(events[1]!.kv)).toEqual({ key: 'k', value: '2', create: 2, mod: 3, version: 2, lease: 0n });
  });

  it('reports a delete as etcd does: the key and the deleting revision, nothing else', () => {
    const { store } = storeWithLeases([3n]);
    put(store, 'k', 'value', 3n);
    del(store, key('k'));
    const [deletion] = store.changesSince(3)[0]!.events;
    expect(deletion!.type).toBe('delete');
    expect(plain(deletion!.kv)).toEqual({ key: 'k', value: '', create: 0, mod: 3, version: 0, lease: 0n });
  });

  it('refuses a start revision below 1 (a caller bug: "now" is the watch layer’s to resolve)', () => {
    expect(() => new MvccStore().changesSince(0)).toThrow(/assertion failed/);
  });
});

describe('onChanges', () => {
  it('reports each new revision once, in order, with the same entries the history keeps', () => {
    const store = new MvccStore();
    const seen: RevisionChanges[] = [];
    store.onChanges((changes) => seen.push(changes));
    put(store, 'a', '1');
    store.txn({ compare: [], success: [{ op: 'put', key: bytes('b'), value: bytes('1') }, { op: 'put', key: bytes('c'), value: bytes('1') }], failure: [] });
    del(store, key('a'));
    expect(describeChanges(seen)).toEqual(['2: put a=1', '3: put b=1, put c=1', '4: delete a']);
    expect(seen).toEqual(store.changesSince(2));
  });

  it('reports nothing for writes that change nothing', () => {
    const store = new MvccStore();
    const seen: RevisionChanges[] = [];
    store.onChanges((changes) => seen.push(changes));
    store.deleteRange({ range: key('missing') });
    store.txn({ compare: [], success: [{ op: 'range', range: key('a') }], failure: [] });
    store.deleteKeysOfLease(9n);
    expect(seen).toEqual([]);
    put(store, 'a', '1');
    expect(seen).toHaveLength(1);
  });

  it('reports after the revision is committed, so a listener reads the new state', () => {
    const store = new MvccStore();
    const reads: string[] = [];
    store.onChanges((changes) => {
      reads.push(`${store.revision}:${store.range(key('a')).count}:${store.changesSince(changes.revision).length}`);
    });
    put(store, 'a', '1');
    expect(reads).toEqual(['2:1:1']);
  });

  it('stops reporting to a listener that unsubscribed, and keeps reporting to the others', () => {
    const store = new MvccStore();
    const first: number[] = [];
    const second: number[] = [];
    const unsubscribe = store.onChanges((changes) => first.push(changes.revision));
    store.onChanges((changes) => second.push(changes.revision));
    put(store, 'a', '1');
    unsubscribe();
    put(store, 'a', '2');
    expect(first).toEqual([2]);
    expect(second).toEqual([2, 3]);
  });
});

describe('the watch hub’s store contract', () => {
  it('is met by MvccStore (checked by the compiler), with the same revisions', () => {
    const store = new MvccStore();
    const watchable: WatchableStore = store;
    put(store, 'a', '1');
    put(store, 'a', '2');
    store.compact(2);
    expect([watchable.currentRevision(), watchable.compactRevision()]).toEqual([3, 2]);
    expect(watchable.changesSince(2)).toEqual(store.changesSince(2));
  });
});
