/**
 * `MvccStore.records()`: every record the store keeps (what etcd's `key` bucket holds),
 * in revision order, equal to the index's records however the store got there — writes,
 * multi-change transactions, compactions at any point (a tombstone at the compaction point
 * is gone, a version still current there is kept), a restore from a snapshot — and frozen
 * at the moment it is taken.
 */
import { MvccStore } from '../../../kv/mvcc/index.js';
import type { RevisionRecord } from '../../../kv/mvcc/index.js';
import { decodeSnapshot } from '../../../kv/mvcc/snapshot-codec.js';
import { bytes, del, key, prefix, put, storeWithLeases, text } from './helpers.js';

/** The records as the index has them (from the store's own snapshot), sorted by revision. */
function indexRecords(store: MvccStore): string[] {
  const state = decodeSnapshot(store.snapshot());
  return state.keys
    .flatMap(({ key: k, records }) => records.map((r) => ({ main: r.main, sub: r.sub, key: k, kv: r.kv })))
    .sort((a, b) => a.main - b.main || a.sub - b.sub)
    .map(describe);
}

function describe(record: RevisionRecord): string {
  const at = `${record.main}.${record.sub} ${text(record.key)}`;
  return record.kv === null ? `${at} tombstone` : `${at}=${text(record.kv.value)} c${record.kv.createRevision} v${record.kv.version} l${record.kv.lease}`;
}

const view = (store: MvccStore) => [...store.records()].map(describe);

test('a small history, before and after compaction', () => {
  const { store } = storeWithLeases([7n]);
  put(store, 'a', '1'); // 2
  put(store, 'b', '1', 7n); // 3
  put(store, 'a', '2'); // 4
  del(store, key('b')); // 5
  store.txn({ compare: [], success: [{ op: 'put', key: bytes('c'), value: bytes('x') }, { op: 'put', key: bytes('a'), value: bytes('3') }], failure: [] }); // 6
  expect(view(store)).toEqual([
    '2.0 a=1 c2 v1 l0',
    '3.0 b=1 c3 v1 l7',
    '4.0 a=2 c2 v2 l0',
    '5.0 b tombstone',
    '6.0 c=x c6 v1 l0',
    '6.1 a=3 c2 v3 l0',
  ]);
  store.compact(5);
  // a=2 is still current at 5; b's tombstone at 5 goes with everything before it.
  expect(view(store)).toEqual(['4.0 a=2 c2 v2 l0', '6.0 c=x c6 v1 l0', '6.1 a=3 c2 v3 l0']);
  expect(view(store)).toEqual(indexRecords(store));
});

test('the view is frozen when taken: later writes and compactions do not reach it', () => {
  const { store } = storeWithLeases();
  for (let i = 0; i < 5; i++) put(store, `k${i}`, 'v');
  const records = store.records();
  const before = [...records].map(describe);
  put(store, 'k9', 'later');
  del(store, prefix('k'));
  store.compact(store.revision);
  expect([...records].map(describe)).toEqual(before);
  expect(view(store)).toEqual([]);
});

test('random histories: the view always equals the index, restored stores too', () => {
  let seed = 12345;
  const next = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const { store } = storeWithLeases([1n, 2n]);
  for (let step = 0; step < 2_000; step++) {
    const k = `k${next(30)}`;
    const action = next(20);
    if (action < 12) put(store, k, String(step), next(4) === 0 ? BigInt(1 + next(2)) : undefined);
    else if (action < 16) del(store, key(k));
    else if (action < 18) del(store, prefix(`k${next(3)}`));
    else if (action < 19 && store.revision > store.compactRevision()) store.compact(store.compactRevision() + 1 + next(store.revision - store.compactRevision()));
    else {
      store.txn({
        compare: [],
        success: [
          { op: 'put', key: bytes(`t${next(5)}`), value: bytes('x') },
          { op: 'deleteRange', range: key(`k${next(30)}`) },
          { op: 'put', key: bytes(`u${next(5)}`), value: bytes('y') },
        ],
        failure: [],
      });
    }
    if (step % 97 === 0) {
      expect(view(store)).toEqual(indexRecords(store));
      const restored = MvccStore.restore(store.snapshot(), { leaseExists: () => true });
      expect(view(restored)).toEqual(view(store));
    }
  }
  expect(view(store)).toEqual(indexRecords(store));
});
