/**
 * A watch stream's basic contract, as etcd v3.4 behaves: created answers (ids from 0,
 * client-chosen ids, refusals with watch id -1 and etcd's reasons), ranges (single key,
 * prefix, from-key, everything), filters, prevKv only when asked, one response per
 * revision with all its matching events, cancel, and many watchers on one stream.
 */
import { CancelReason, WatchHub, WatchStreamClosedError, watchResponseFields } from '../../../kv/watch/index.js';
import type { WatchCreateRequest } from '../../../kv/watch/index.js';
import { bytes, drain, drainRendered, FakeStore } from './fake-store.js';

function setup(): { store: FakeStore; hub: WatchHub } {
  const store = new FakeStore();
  return { store, hub: new WatchHub(store) };
}

const watchKey = (key: string, extra: Partial<WatchCreateRequest> = {}): WatchCreateRequest => ({
  key: bytes(key),
  rangeEnd: new Uint8Array(),
  startRevision: 0,
  ...extra,
});

const watchPrefix = (prefix: string, extra: Partial<WatchCreateRequest> = {}): WatchCreateRequest => {
  const end = bytes(prefix);
  end[end.length - 1]!++;
  return { key: bytes(prefix), rangeEnd: end, startRevision: 0, ...extra };
};

describe('create', () => {
  test('answers created with the current revision, then events from the next revision on', () => {
    const { store, hub } = setup();
    store.put('a', '1');
    const stream = hub.openStream();
    expect(stream.create(watchKey('a'))).toBe(0);
    expect(drainRendered(stream)).toEqual(['created id=0 rev=1']);
    store.put('a', '2');
    expect(drainRendered(stream)).toEqual(['events id=0 rev=2 [put a=2@2]']);
  });

  test('assigns ids from 0 up, skipping ids the client chose; refuses a duplicate with etcd\'s reason', () => {
    const { hub } = setup();
    const stream = hub.openStream();
    expect(stream.create(watchKey('a', { watchId: 1 }))).toBe(1);
    expect(stream.create(watchKey('a'))).toBe(0);
    expect(stream.create(watchKey('a'))).toBe(2);
    expect(stream.create(watchKey('a', { watchId: 2 }))).toBe(-1);
    expect(drainRendered(stream)).toEqual([
      'created id=1 rev=0',
      'created id=0 rev=0',
      'created id=2 rev=0',
      `refused id=-1 rev=0 reason="${CancelReason.DUPLICATE_WATCH_ID}"`,
    ]);
    expect(CancelReason.DUPLICATE_WATCH_ID).toBe('mvcc: duplicate watch ID provided on the WatchStream');
  });

  test('ids are per stream, and an id freed by cancel is not reassigned by the counter', () => {
    const { hub } = setup();
    const one = hub.openStream();
    const two = hub.openStream();
    expect([one.create(watchKey('a')), two.create(watchKey('a')), one.create(watchKey('b'))]).toEqual([0, 0, 1]);
    one.cancel(0);
    expect(one.create(watchKey('c'))).toBe(2);
    expect(one.create(watchKey('d', { watchId: 0 }))).toBe(3);
  });

  test('refuses an empty range, a negative start revision and a negative id', () => {
    const { hub } = setup();
    const stream = hub.openStream();
    expect(stream.create({ key: bytes('b'), rangeEnd: bytes('a'), startRevision: 0 })).toBe(-1);
    expect(stream.create({ key: bytes('a'), rangeEnd: bytes('a'), startRevision: 0 })).toBe(-1);
    expect(stream.create(watchKey('a', { startRevision: -1 }))).toBe(-1);
    expect(stream.create(watchKey('a', { watchId: -3 }))).toBe(-1);
    expect(drain(stream).map((r) => (r.kind === 'create-refused' ? r.cancelReason : r.kind))).toEqual([
      'mvcc: watcher range is empty',
      'mvcc: watcher range is empty',
      'etcdserver: mvcc: required revision has been compacted',
      CancelReason.NEGATIVE_WATCH_ID,
    ]);
    expect(stream.watcherCount).toBe(0);
  });

  test('refuses watchers beyond the per-stream limit', () => {
    const store = new FakeStore();
    const stream = new WatchHub(store, { maxWatchersPerStream: 2 }).openStream();
    stream.create(watchKey('a'));
    stream.create(watchKey('b'));
    expect(stream.create(watchKey('c'))).toBe(-1);
    expect(drainRendered(stream).at(-1)).toBe(`refused id=-1 rev=0 reason="${CancelReason.TOO_MANY_WATCHERS}"`);
  });

  test('the wire fields of each kind of response', () => {
    expect(watchResponseFields({ kind: 'create-refused', watchId: -1, revision: 4, cancelReason: 'why' })).toEqual({
      revision: 4, watchId: -1, created: true, canceled: true, compactRevision: 0, cancelReason: 'why', fragment: false, events: [],
    });
    expect(watchResponseFields({ kind: 'compacted', watchId: 3, revision: 9, compactRevision: 5 })).toMatchObject({
      watchId: 3, created: false, canceled: true, compactRevision: 5,
    });
    expect(watchResponseFields({ kind: 'events', watchId: 1, revision: 2, events: [], fragment: true })).toMatchObject({ fragment: true, canceled: false });
    expect(watchResponseFields({ kind: 'progress', watchId: -1, revision: 2 })).toMatchObject({ watchId: -1, created: false, canceled: false });
    expect(watchResponseFields({ kind: 'canceled', watchId: 1, revision: 2 })).toMatchObject({ canceled: true, compactRevision: 0 });
    expect(watchResponseFields({ kind: 'created', watchId: 1, revision: 2 })).toMatchObject({ created: true, canceled: false });
  });
});

describe('ranges and filters', () => {
  test('single key, prefix, from-key and every key', () => {
    const { store, hub } = setup();
    const stream = hub.openStream();
    stream.create(watchKey('foo'));
    stream.create(watchPrefix('foo'));
    stream.create({ key: bytes('m'), rangeEnd: Uint8Array.of(0), startRevision: 0 });
    stream.create({ key: new Uint8Array(), rangeEnd: Uint8Array.of(0), startRevision: 0 });
    drain(stream);
    store.put('foo', '1');
    store.put('foobar', '2');
    store.put('fop', '3');
    store.put('a', '4');
    expect(drainRendered(stream)).toEqual([
      'events id=0 rev=1 [put foo=1@1]',
      'events id=1 rev=1 [put foo=1@1]',
      'events id=3 rev=1 [put foo=1@1]',
      'events id=1 rev=2 [put foobar=2@2]',
      'events id=3 rev=2 [put foobar=2@2]',
      'events id=3 rev=3 [put fop=3@3]',
      'events id=3 rev=4 [put a=4@4]',
    ]);
    store.put('zz', '5');
    expect(drainRendered(stream)).toEqual(['events id=2 rev=5 [put zz=5@5]', 'events id=3 rev=5 [put zz=5@5]']);
  });

  test('noPut and noDelete; a revision with nothing left after filtering sends nothing', () => {
    const { store, hub } = setup();
    const stream = hub.openStream();
    stream.create(watchKey('k', { filters: { noPut: true } }));
    stream.create(watchKey('k', { filters: { noDelete: true } }));
    drain(stream);
    store.put('k', '1');
    store.delete('k');
    expect(drainRendered(stream)).toEqual(['events id=1 rev=1 [put k=1@1]', 'events id=0 rev=2 [del k@2]']);
  });

  test('prevKv only when asked', () => {
    const { store, hub } = setup();
    const stream = hub.openStream();
    stream.create(watchKey('k', { prevKv: true }));
    stream.create(watchKey('k'));
    drain(stream);
    store.put('k', 'old');
    store.put('k', 'new');
    store.delete('k');
    expect(drainRendered(stream)).toEqual([
      'events id=0 rev=1 [put k=old@1]',
      'events id=1 rev=1 [put k=old@1]',
      'events id=0 rev=2 [put k=new@2 prev=old]',
      'events id=1 rev=2 [put k=new@2]',
      'events id=0 rev=3 [del k@3 prev=new]',
      'events id=1 rev=3 [del k@3]',
    ]);
  });

  test('all the matching events of one revision come in one response, in the order made', () => {
    const { store, hub } = setup();
    const stream = hub.openStream();
    stream.create(watchPrefix('p/'));
    drain(stream);
    store.txn([
      ['put', 'p/b', '1'],
      ['put', 'x', '2'],
      ['put', 'p/a', '3'],
      ['delete', 'p/b'],
    ]);
    expect(drainRendered(stream)).toEqual(['events id=0 rev=1 [put p/b=1@1, put p/a=3@1, del p/b@1]']);
  });
});

describe('cancel and close', () => {
  test('cancel answers canceled; no event of the watcher follows; an unknown id gets no answer', () => {
    const { store, hub } = setup();
    const stream = hub.openStream();
    stream.create(watchKey('a'));
    stream.create(watchKey('a'));
    drain(stream);
    store.put('a', '1');
    expect(stream.cancel(0)).toBe(true);
    expect(stream.cancel(0)).toBe(false);
    expect(stream.cancel(42)).toBe(false);
    store.put('a', '2');
    expect(drainRendered(stream)).toEqual([
      'events id=0 rev=1 [put a=1@1]',
      'events id=1 rev=1 [put a=1@1]',
      'canceled id=0 rev=1',
      'events id=1 rev=2 [put a=2@2]',
    ]);
  });

  test('many watchers on one stream each get their own events, in commit order', () => {
    const { store, hub } = setup();
    const stream = hub.openStream();
    const keys = Array.from({ length: 50 }, (_, i) => `key-${i}`);
    for (const key of keys) stream.create(watchKey(key));
    drain(stream);
    for (let round = 0; round < 3; round++) for (const key of keys) store.put(key, `${round}`);
    const responses = drain(stream);
    expect(responses).toHaveLength(150);
    for (const [i, key] of keys.entries()) {
      const mine = responses.filter((r) => r.watchId === i);
      expect(mine.map((r) => (r.kind === 'events' ? `${new TextDecoder().decode(r.events[0]!.kv.key)}=${r.events[0]!.kv.modRevision}` : r.kind))).toEqual(
        [0, 1, 2].map((round) => `${key}=${round * 50 + i + 1}`),
      );
    }
  });

  test('a closed stream drops its watchers and refuses requests; the hub forgets it', () => {
    const { store, hub } = setup();
    const stream = hub.openStream();
    stream.create(watchKey('a'));
    expect(hub.streamCount).toBe(1);
    stream.close();
    stream.close();
    expect(hub.streamCount).toBe(0);
    store.put('a', '1');
    expect(stream.take()).toBeUndefined();
    expect(() => stream.create(watchKey('a'))).toThrow(WatchStreamClosedError);
    hub.close();
    expect(() => hub.openStream()).toThrow();
  });

  test('the readable listener fires when responses arrive on an empty outbox, not while taking', () => {
    const { store, hub } = setup();
    const stream = hub.openStream();
    let calls = 0;
    stream.onReadable(() => calls++);
    stream.create(watchKey('a'));
    expect(calls).toBe(1);
    store.put('a', '1');
    expect(calls).toBe(1);
    drain(stream);
    store.put('a', '2');
    expect(calls).toBe(2);
  });
});
