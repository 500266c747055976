/**
 * Snapshots: a restored store is identical to the original — same bytes when snapshotted
 * again, same hashes, same reads at every readable revision, same history from the
 * compaction point, same lease attachments — and stays identical under the same further
 * writes. Bytes that are not a snapshot are refused with `SnapshotCorruptError`.
 */
import { Packr } from 'msgpackr';

import { MvccStore, NEVER_COMPACTED, SnapshotCorruptError } from '../../../kv/mvcc/index.js';
import { SNAPSHOT_KEYS_PER_STEP } from '../../../kv/mvcc/snapshot-codec.js';
import type { KvEvent } from '../../../kv/mvcc/index.js';
import { allKeys, bytes, del, fromKey, key, prefix, put, storeWithLeases, text } from './helpers.js';

const LEASES = [5n, 2n ** 62n];

/** Puts, overwrites, deletes, re-creations, a multi-change txn and leases: revisions 2..12. */
function busyStore(): MvccStore {
  const { store } = storeWithLeases(LEASES);
  put(store, 'a', '1'); // 2
  put(store, 'b', '1', 5n); // 3
  put(store, 'a', '2'); // 4
  del(store, key('a')); // 5
  put(store, 'c', '1', 2n ** 62n); // 6
  store.txn({
    compare: [],
    success: [
      { op: 'put', key: bytes('d'), value: bytes('1') },
      { op: 'deleteRange', range: key('b') },
      { op: 'put', key: bytes('e'), value: Uint8Array.of(0, 255, 1), lease: 5n },
    ],
    failure: [],
  }); // 7
  put(store, 'a', '3'); // 8
  put(store, 'd', '2'); // 9
  put(store, 'b', '2', 5n); // 10
  del(store, prefix('d')); // 11
  put(store, 'f', '1'); // 12
  return store;
}

/**
 * Keys changed more than once in one revision: 2 k=old, 3 put k and n then delete from
 * "k" (both gone), 4 k=back, 5 delete everything then put k anew, 6 put m.
 */
function sameRevisionStore(): MvccStore {
  const store = new MvccStore();
  put(store, 'k', 'old');
  const putOp = (k: string, value: string) => ({ op: 'put', key: bytes(k), value: bytes(value) }) as const;
  store.txn({ compare: [], success: [putOp('k', 'new'), putOp('n', '1'), { op: 'deleteRange', range: fromKey('k') }], failure: [] });
  put(store, 'k', 'back');
  store.txn({ compare: [], success: [{ op: 'deleteRange', range: allKeys() }, putOp('k', 'anew')], failure: [] });
  put(store, 'm', '1');
  return store;
}

function restore(store: MvccStore): MvccStore {
  return MvccStore.restore(store.snapshot(), { leaseExists: (lease) => LEASES.includes(lease) });
}

/** Everything observable, for comparing two stores. */
function observe(store: MvccStore): unknown {
  const reads: unknown[] = [];
  for (let revision = Math.max(1, store.compactRevision()); revision <= store.revision; revision++) {
    reads.push(store.range(allKeys(), { revision }).kvs);
  }
  return {
    revision: store.revision,
    compactRevision: store.compactRevision(),
    reads,
    history: store.changesSince(Math.max(1, store.compactRevision())),
    hashKv: store.hashKv(),
    hash: store.hash(),
    leases: LEASES.map((lease) => store.keysWithLease(lease).map(text)),
    size: store.sizeBytes(),
  };
}

describe('a snapshot taken a step at a time', () => {
  const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

  it('is the same bytes as one taken at once, for small and large stores, compacted or not (array headers of every size)', async () => {
    for (const keys of [0, 5, 15, 16, SNAPSHOT_KEYS_PER_STEP + 1, 70_000]) {
      const store = new MvccStore();
      for (let i = 0; i < keys; i++) put(store, `k${String(i).padStart(6, '0')}`, `${i % 7}`);
      if (keys > 10) {
        put(store, 'k000003', 'again');
        store.compact(store.revision - 2);
      }
      let pauses = 0;
      const stepped = await store.snapshotInSteps(() => {
        pauses++;
        return turn();
      });
      expect(new Uint8Array(Buffer.concat(stepped))).toEqual(store.snapshot());
      expect(pauses).toBe(Math.max(0, Math.ceil(keys / SNAPSHOT_KEYS_PER_STEP) - 1));
    }
  });

  it('holds the state of its call: writes, deletions and compactions made between its steps are not in it', async () => {
    const store = new MvccStore();
    for (let i = 0; i < 3 * SNAPSHOT_KEYS_PER_STEP; i++) put(store, `k${String(i).padStart(6, '0')}`, 'before');
    const expected = store.snapshot();
    const taking = store.snapshotInSteps(async () => {
      put(store, 'k000000', 'after');
      put(store, 'zzz', 'new');
      del(store, key(`k${String(2 * SNAPSHOT_KEYS_PER_STEP + 1).padStart(6, '0')}`));
      store.compact(store.revision);
      await turn();
    });
    expect(new Uint8Array(Buffer.concat(await taking))).toEqual(expected);
  });
});

describe('snapshot and restore', () => {
  it('restores an empty store', () => {
    const restored = restore(new MvccStore());
    expect(restored.revision).toBe(1);
    expect(observe(restored)).toEqual(observe(new MvccStore()));
  });

  it('restores an uncompacted store identically', () => {
    const original = busyStore();
    const restored = restore(original);
    expect(restored.snapshot()).toEqual(original.snapshot());
    expect(observe(restored)).toEqual(observe(original));
    expect(restored.keysWithLease(5n).map(text)).toEqual(['b', 'e']);
  });

  it('restores a compacted store identically, history at the compaction point included', () => {
    for (const compactAt of [2, 5, 7, 11, 12]) {
      const original = busyStore();
      original.compact(compactAt);
      const restored = restore(original);
      expect(restored.snapshot()).toEqual(original.snapshot());
      expect(observe(restored)).toEqual(observe(original));
      expect(restored.changesSince(compactAt)[0]!.revision).toBe(compactAt);
    }
  });

  it('restores keys changed more than once in a revision, compacted at each revision or not, with the same history', () => {
    for (const compactAt of [0, 2, 3, 4, 5, 6]) {
      const original = sameRevisionStore();
      if (compactAt > 0) original.compact(compactAt);
      const restored = restore(original);
      expect(restored.snapshot()).toEqual(original.snapshot());
      expect(observe(restored)).toEqual(observe(original));
    }
    // The rebuilt history has the live one's previous versions: from before the revision.
    const history = restore(sameRevisionStore()).changesSince(3);
    const describe = (e: KvEvent) => `${e.type} ${text(e.kv.key)} prev ${e.prevKv ? text(e.prevKv.value) : '-'}`;
    expect(history.map((c) => c.events.map(describe))).toEqual([
      ['put k prev old', 'put n prev -', 'delete k prev old', 'delete n prev -'],
      ['put k prev -'],
      ['delete k prev back', 'put k prev -'],
      ['put m prev -'],
    ]);
  });

  it('reads a format-1 snapshot’s compaction point 0 as never compacted', () => {
    const packr = new Packr({ useRecords: false });
    const record = [2, 0, 2, 1, Uint8Array.of(1), '0'];
    const format1 = MvccStore.restore(packr.pack(['balsa-mvcc', 1, 2, 0, [[Uint8Array.of(97), [record]]], []]));
    expect(format1.compactRevision()).toBe(NEVER_COMPACTED);
    const format2 = MvccStore.restore(packr.pack(['balsa-mvcc', 2, 2, 0, [[Uint8Array.of(97), [record]]], []]));
    expect(format2.compactRevision()).toBe(0);
    expect(restore(new MvccStore()).compactRevision()).toBe(NEVER_COMPACTED);
  });

  it('stays identical under the same further writes, compactions and revocations', () => {
    const original = busyStore();
    original.compact(6);
    const restored = restore(original);
    for (const store of [original, restored]) {
      put(store, 'g', '1', 5n);
      store.deleteKeysOfLease(5n);
      store.compact(10);
      put(store, 'a', '4');
    }
    expect(restored.snapshot()).toEqual(original.snapshot());
    expect(observe(restored)).toEqual(observe(original));
  });

  it('is deterministic: equal stores give equal bytes, and any difference shows', () => {
    expect(busyStore().snapshot()).toEqual(busyStore().snapshot());
    const other = busyStore();
    put(other, 'f', '1');
    expect(other.snapshot()).not.toEqual(busyStore().snapshot());
    expect(other.hash()).not.toBe(busyStore().hash());
  });

  it('shares no memory with the snapshot bytes', () => {
    const bytesOfSnapshot = busyStore().snapshot();
    const restored = MvccStore.restore(bytesOfSnapshot);
    const before = restored.range(allKeys()).kvs.map((kv) => text(kv.value));
    bytesOfSnapshot.fill(0x21);
    expect(restored.range(allKeys()).kvs.map((kv) => text(kv.value))).toEqual(before);
  });

  it('refuses bytes that are not a snapshot', () => {
    const packr = new Packr({ useRecords: false });
    const good = busyStore().snapshot();
    expect(() => MvccStore.restore(Uint8Array.of(1, 2, 3))).toThrow(SnapshotCorruptError);
    expect(() => MvccStore.restore(good.subarray(0, good.length - 3))).toThrow(SnapshotCorruptError);
    expect(() => MvccStore.restore(packr.pack(['other', 1, 1, 0, [], []]))).toThrow('mvcc snapshot: not an mvcc snapshot');
    expect(() => MvccStore.restore(packr.pack(['balsa-mvcc', 99, 1, 0, [], []]))).toThrow(/format 99/);
  });

  it('refuses a snapshot whose contents contradict each other', () => {
    const packr = new Packr({ useRecords: false });
    const record = (main: number) => [main, 0, main, 1, Uint8Array.of(1), '0'];
    // A record after the snapshot's revision.
    expect(() => MvccStore.restore(packr.pack(['balsa-mvcc', 1, 2, 0, [[Uint8Array.of(97), [record(3)]]], []]))).toThrow(SnapshotCorruptError);
    // A revision with no change (revision 3 has none).
    expect(() => MvccStore.restore(packr.pack(['balsa-mvcc', 1, 3, 0, [[Uint8Array.of(97), [record(2)]]], []]))).toThrow(/incomplete/);
    // Records out of order.
    expect(() => MvccStore.restore(packr.pack(['balsa-mvcc', 1, 3, 0, [[Uint8Array.of(97), [record(3), record(2)]]], []]))).toThrow(
      SnapshotCorruptError,
    );
    // A well-formed one restores.
    expect(MvccStore.restore(packr.pack(['balsa-mvcc', 1, 2, 0, [[Uint8Array.of(97), [record(2)]]], []])).revision).toBe(2);
  });
});
