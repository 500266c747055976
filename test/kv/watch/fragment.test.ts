/**
 * Sizes and fragments. Event sizes are checked against the server's own encoding of a
 * WatchResponse (etcd's schema from proto/etcd, events converted by kv/server/wire.ts);
 * splitting follows etcd's rule (whole below the limit or with one event; otherwise
 * fragments under the limit, at least one event each, `fragment` on all but the last);
 * only watchers that asked get fragments.
 */
import type { KvEvent } from '../../../kv/mvcc/types.js';
import { splitIntoFragments } from '../../../kv/watch/fragment.js';
import { eventFieldBytes, RESPONSE_OVERHEAD_BYTES, responseBytes, WatchHub } from '../../../kv/watch/index.js';
import { varintBytes } from '../../../kv/watch/wire-size.js';
import { loadEtcdProto } from '../../../kv/server/etcd-proto.js';
import { wireEvent } from '../../../kv/server/wire.js';
import { bytes, drain, FakeStore } from './fake-store.js';

const etcd = loadEtcdProto();

/** Bytes of a WatchResponse carrying only these events, as the server encodes them (its field 11). */
function encodedEventsBytes(events: readonly KvEvent[]): number {
  return etcd.encode('etcdserverpb.WatchResponse', { events: events.map(wireEvent) }).length;
}

function event(key: string, valueBytes: number, revision: number, options: { lease?: bigint; delete?: boolean; prev?: boolean } = {}): KvEvent {
  const kv = {
    key: bytes(key),
    createRevision: options.delete ? 0 : 1,
    modRevision: revision,
    version: options.delete ? 0 : revision,
    value: new Uint8Array(options.delete ? 0 : valueBytes).fill(97),
    lease: options.lease ?? 0n,
  };
  const prevKv = options.prev ? { ...kv, modRevision: revision - 1, value: bytes('previous') } : null;
  return { type: options.delete ? 'delete' : 'put', kv, prevKv };
}

describe('wire sizes', () => {
  test('varints', () => {
    expect([0, 1, 127, 128, 16_383, 16_384, 2 ** 53 - 1].map(varintBytes)).toEqual([1, 1, 1, 2, 2, 3, 8]);
    expect(varintBytes(-1)).toBe(10);
    expect(varintBytes((1n << 63n) - 1n)).toBe(9);
  });

  test('events are counted exactly as protobuf encodes them', () => {
    const samples = [
      event('k', 0, 1),
      event('key', 10, 2, { prev: true }),
      event('a-longer-key', 300, 70_000, { lease: 0x1234_5678_9abc_defn }),
      event('gone', 0, 5, { delete: true, prev: true }),
      event('big', 20_000, 2 ** 40),
    ];
    for (const sample of samples) expect(eventFieldBytes(sample)).toBe(encodedEventsBytes([sample]));
    expect(responseBytes(samples) - RESPONSE_OVERHEAD_BYTES).toBe(encodedEventsBytes(samples));
  });
});

describe('splitting', () => {
  const limit = 1000;
  const hundred = Array.from({ length: 40 }, (_, i) => event(`key-${i}`, 100, i + 1));

  test('under the limit, or a single event however large: one piece', () => {
    expect(splitIntoFragments(hundred.slice(0, 3), limit)).toEqual([hundred.slice(0, 3)]);
    const huge = [event('huge', 5000, 1)];
    expect(splitIntoFragments(huge, limit)).toEqual([huge]);
  });

  test('over the limit: pieces under it, in order, none empty, every event once', () => {
    const pieces = splitIntoFragments(hundred, limit);
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.flat()).toEqual(hundred);
    for (const piece of pieces) {
      expect(piece.length).toBeGreaterThan(0);
      expect(responseBytes(piece)).toBeLessThan(limit);
    }
    // Each piece is as full as the limit allows: the next event would not have fitted.
    for (let i = 0; i + 1 < pieces.length; i++) {
      expect(responseBytes([...pieces[i]!, pieces[i + 1]![0]!])).toBeGreaterThanOrEqual(limit);
    }
  });

  test('an oversized event gets a piece of its own', () => {
    const mixed = [event('a', 10, 1), event('b', 5000, 2), event('c', 10, 3)];
    expect(splitIntoFragments(mixed, limit).map((piece) => piece.length)).toEqual([1, 1, 1]);
  });
});

describe('fragmented responses', () => {
  function bigTransaction(store: FakeStore): void {
    store.txn(Array.from({ length: 30 }, (_, i) => ['put', `k${String(i).padStart(2, '0')}`, 'v'.repeat(200)] as const));
  }

  test('a watcher that asked gets the revision in fragments, flagged on all but the last', () => {
    const store = new FakeStore();
    const stream = new WatchHub(store, { maxResponseBytes: 1024 }).openStream();
    stream.create({ key: bytes('k'), rangeEnd: bytes('l'), startRevision: 0, fragment: true });
    drain(stream);
    bigTransaction(store);
    const responses = drain(stream);
    expect(responses.length).toBeGreaterThan(1);
    expect(responses.map((r) => r.kind === 'events' && r.fragment)).toEqual([...Array(responses.length - 1).fill(true), false]);
    const events = responses.flatMap((r) => (r.kind === 'events' ? r.events : []));
    expect(events).toHaveLength(30);
    for (const response of responses) {
      expect(response.kind === 'events' && responseBytes(response.events)).toBeLessThan(1024);
      expect(response.revision).toBe(1);
    }
  });

  test('a watcher that did not ask gets the revision whole', () => {
    const store = new FakeStore();
    const stream = new WatchHub(store, { maxResponseBytes: 1024 }).openStream();
    stream.create({ key: bytes('k'), rangeEnd: bytes('l'), startRevision: 0 });
    drain(stream);
    bigTransaction(store);
    const responses = drain(stream);
    expect(responses).toHaveLength(1);
    expect(responses[0]!.kind === 'events' && responses[0]!.events.length).toBe(30);
  });

  test('fragments also apply while catching up', () => {
    const store = new FakeStore();
    bigTransaction(store);
    const stream = new WatchHub(store, { maxResponseBytes: 1024 }).openStream();
    stream.create({ key: bytes('k'), rangeEnd: bytes('l'), startRevision: 1, fragment: true });
    const responses = drain(stream).filter((r) => r.kind === 'events');
    expect(responses.length).toBeGreaterThan(1);
    expect(responses.at(-1)!.kind === 'events' && responses.at(-1)!.fragment).toBe(false);
    expect(responses.flatMap((r) => (r.kind === 'events' ? r.events : []))).toHaveLength(30);
  });
});
