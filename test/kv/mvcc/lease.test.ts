/**
 * Keys and leases: a put attaches its key to a lease (replacing any other), a put
 * without one or a delete detaches it; `keysWithLease` lists a lease's keys in key
 * order; revoking deletes them all in one revision, in key order, as etcd's lessor does.
 */
import { bytes, del, describeChanges, key, keysOf, plain, put, storeWithLeases, text } from './helpers.js';

describe('lease attachment', () => {
  it('lists the keys attached to a lease, in key order', () => {
    const { store } = storeWithLeases([1n, 2n]);
    put(store, 'c', 'v', 1n);
    put(store, 'a', 'v', 1n);
    put(store, 'b', 'v', 2n);
    put(store, 'd', 'v');
    expect(store.keysWithLease(1n).map(text)).toEqual(['a', 'c']);
    expect(store.keysWithLease(2n).map(text)).toEqual(['b']);
    expect(store.keysWithLease(3n)).toEqual([]);
  });

  it('moves a key to the lease of its latest put, and off any lease when a put names none', () => {
    const { store } = storeWithLeases([1n, 2n]);
    put(store, 'k', 'v', 1n);
    put(store, 'k', 'v', 2n);
    expect(store.keysWithLease(1n)).toEqual([]);
    expect(store.keysWithLease(2n).map(text)).toEqual(['k']);
    put(store, 'k', 'v');
    expect(store.keysWithLease(2n)).toEqual([]);
    expect(store.range(key('k')).kvs[0]!.lease).toBe(0n);
  });

  it('keeps the attachment through ignore_lease, and drops it with a delete', () => {
    const { store } = storeWithLeases([1n]);
    put(store, 'k', 'v', 1n);
    store.put({ key: bytes('k'), value: bytes('w'), ignoreLease: true });
    expect(store.keysWithLease(1n).map(text)).toEqual(['k']);
    del(store, key('k'));
    expect(store.keysWithLease(1n)).toEqual([]);
  });

  it('lists them in byte order (the order TimeToLive lists them in, and revocation deletes them)', () => {
    const { store } = storeWithLeases([1n]);
    const raw = [Uint8Array.of(0x63, 0xff), Uint8Array.of(0x62), Uint8Array.of(0x63), Uint8Array.of(0x61), Uint8Array.of(0xc3, 0xa9)];
    for (const k of raw) store.put({ key: k, value: bytes('v'), lease: 1n });
    expect(store.keysWithLease(1n).map((k) => [...k])).toEqual([[0x61], [0x62], [0x63], [0x63, 0xff], [0xc3, 0xa9]]);
  });

  it('copies keys in: the writer may reuse its buffer', () => {
    const { store } = storeWithLeases([1n]);
    const buffer = bytes('abc');
    store.put({ key: buffer, value: bytes('v'), lease: 1n });
    buffer[0] = 0x7a;
    expect(store.keysWithLease(1n).map(text)).toEqual(['abc']);
  });

  it('handles lease ids that use all 64 bits', () => {
    const big = 2n ** 63n - 1n;
    const { store } = storeWithLeases([big]);
    put(store, 'k', 'v', big);
    expect(store.range(key('k')).kvs[0]!.lease).toBe(big);
    expect(store.keysWithLease(big).map(text)).toEqual(['k']);
  });
});

describe('deleteKeysOfLease', () => {
  it('deletes every attached key in one revision, in key order, with their previous versions', () => {
    const { store } = storeWithLeases([7n]);
    put(store, 'b', '1', 7n); // 2
    put(store, 'a', '1', 7n); // 3
    put(store, 'keep', '1'); // 4
    put(store, 'c', '1', 7n); // 5
    expect(store.deleteKeysOfLease(7n)).toEqual({ revision: 6, deleted: 3 });
    expect(store.revision).toBe(6);
    const [changes] = store.changesSince(6);
    expect(describeChanges([changes!])).toEqual(['6: delete a, delete b, delete c']);
    expect(changes!.events.map((e) => plain(e.prevKv))).toEqual([
      { key: 'a', value: '1', create: 3, mod: 3, version: 1, lease: 7n },
      { key: 'b', value: '1', create: 2, mod: 2, version: 1, lease: 7n },
      { key: 'c', value: '1', create: 5, mod: 5, version: 1, lease: 7n },
    ]);
    expect(keysOf(store.range({ key: Uint8Array.of(0), end: Uint8Array.of(0) }).kvs)).toEqual(['keep']);
    expect(store.keysWithLease(7n)).toEqual([]);
  });

  it('makes no revision for a lease without keys', () => {
    const { store } = storeWithLeases([7n]);
    put(store, 'k', 'v');
    expect(store.deleteKeysOfLease(7n)).toEqual({ revision: 2, deleted: 0 });
    expect(store.revision).toBe(2);
  });
});
