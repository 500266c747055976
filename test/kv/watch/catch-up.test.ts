/**
 * Watching from the past and falling behind: history first, then live events, each
 * event exactly once and in order — also when writes keep arriving while a watcher
 * catches up, and when a slow consumer lets the outbox fill. Compaction: a start at the
 * compaction revision is served, one below it gets created-then-compacted (etcd's
 * sequence), and so does a watcher that falls behind a compaction.
 */
import { WatchHub } from '../../../kv/watch/index.js';
import type { WatchCreateRequest, WatchResponse, WatchStream } from '../../../kv/watch/index.js';
import { bytes, drain, drainRendered, FakeStore, text } from './fake-store.js';

const everything = (startRevision: number, extra: Partial<WatchCreateRequest> = {}): WatchCreateRequest => ({
  key: new Uint8Array(),
  rangeEnd: Uint8Array.of(0),
  startRevision,
  ...extra,
});

/** The (revision, key) of every event the responses carry for `watchId`, in order. */
function delivered(responses: readonly WatchResponse[], watchId = 0): string[] {
  return responses.flatMap((r) => (r.kind === 'events' && r.watchId === watchId ? r.events.map((e) => `${e.kv.modRevision}:${text(e.kv.key)}`) : []));
}

function takeSome(stream: WatchStream, count: number): WatchResponse[] {
  const taken: WatchResponse[] = [];
  for (let i = 0; i < count; i++) {
    const response = stream.take();
    if (response === undefined) break;
    taken.push(response);
  }
  return taken;
}

describe('from a past revision', () => {
  test('history first, then live, as one sequence', () => {
    const store = new FakeStore();
    const hub = new WatchHub(store);
    store.put('a', '1');
    store.put('b', '2');
    store.put('a', '3');
    const stream = hub.openStream();
    stream.create(everything(2, { prevKv: true }));
    store.put('c', '4');
    expect(drainRendered(stream)).toEqual([
      'created id=0 rev=3',
      'events id=0 rev=3 [put b=2@2, put a=3@3 prev=1]',
      'events id=0 rev=4 [put c=4@4]',
    ]);
  });

  test('a start revision in the future delivers from that revision on only', () => {
    const store = new FakeStore();
    const stream = new WatchHub(store).openStream();
    stream.create(everything(3));
    store.put('a', '1');
    store.put('a', '2');
    store.put('a', '3');
    expect(delivered(drain(stream))).toEqual(['3:a']);
  });

  test('revisions with nothing for the watcher are skipped, not sent', () => {
    const store = new FakeStore();
    store.put('x', '1');
    store.put('a', '1');
    store.put('x', '2');
    const stream = new WatchHub(store).openStream();
    stream.create({ key: bytes('a'), rangeEnd: new Uint8Array(), startRevision: 1 });
    expect(drainRendered(stream)).toEqual(['created id=0 rev=3', 'events id=0 rev=3 [put a=1@2]']);
  });
});

describe('a slow consumer', () => {
  test('the outbox stays bounded; a lagging watcher catches up from history; no event lost or repeated', () => {
    const store = new FakeStore();
    const hub = new WatchHub(store, { maxPendingResponses: 8 });
    const stream = hub.openStream();
    stream.create(everything(0));
    stream.create(everything(0, { filters: { noDelete: true } }));
    drain(stream);
    let pendingMax = 0;
    let unsyncedMax = 0;
    const received: WatchResponse[] = [];
    for (let i = 1; i <= 200; i++) {
      store.put(`k${i % 7}`, `${i}`);
      if (i % 3 === 0) store.delete(`k${i % 7}`);
      pendingMax = Math.max(pendingMax, stream.pendingResponses);
      unsyncedMax = Math.max(unsyncedMax, stream.unsyncedWatcherCount);
      if (i % 10 === 0) received.push(...takeSome(stream, 3)); // reads less than it is sent
    }
    expect(pendingMax).toBeLessThanOrEqual(8);
    expect(unsyncedMax).toBe(2);
    received.push(...drain(stream));
    expect(stream.unsyncedWatcherCount).toBe(0);

    const expectedAll: string[] = [];
    const expectedPuts: string[] = [];
    for (const changes of store.changesSince(1)) {
      for (const event of changes.events) {
        expectedAll.push(`${changes.revision}:${text(event.kv.key)}`);
        if (event.type === 'put') expectedPuts.push(`${changes.revision}:${text(event.kv.key)}`);
      }
    }
    expect(delivered(received, 0)).toEqual(expectedAll);
    expect(delivered(received, 1)).toEqual(expectedPuts);

    store.put('after', 'x'); // live again
    expect(delivered(drain(stream), 0)).toEqual([`${store.currentRevision()}:after`]);
  });

  test('writes arriving while a watcher catches up are delivered once, after the history', () => {
    const store = new FakeStore();
    for (let i = 1; i <= 30; i++) store.put(`h${i}`, `${i}`);
    const hub = new WatchHub(store, { maxPendingResponses: 4, maxResponseBytes: 400 });
    const stream = hub.openStream();
    stream.create(everything(1));
    const received: WatchResponse[] = [];
    let write = 0;
    for (;;) {
      const response = stream.take();
      if (response === undefined) break;
      received.push(response);
      if (write < 20) store.put(`live${++write}`, 'v'); // one write per response taken
    }
    const revisions = delivered(received).map((e) => Number(e.split(':')[0]));
    expect(revisions).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(received.filter((r) => r.kind === 'events').length).toBeGreaterThan(4); // several catch-up batches
  });

  test('header revisions never run ahead of what the watcher has been sent', () => {
    const store = new FakeStore();
    for (let i = 1; i <= 40; i++) store.put(i % 2 === 0 ? `a${i}` : `b${i}`, 'v');
    const hub = new WatchHub(store, { maxPendingResponses: 2, maxResponseBytes: 300 });
    const stream = hub.openStream();
    stream.create({ key: bytes('a'), rangeEnd: bytes('b'), startRevision: 1 });
    const responses = drain(stream).filter((r) => r.kind === 'events');
    let sentThrough = 0;
    for (const response of responses) {
      if (response.kind !== 'events') continue;
      for (const event of response.events) expect(event.kv.modRevision).toBeGreaterThan(sentThrough);
      sentThrough = response.revision;
      expect(response.revision).toBeGreaterThanOrEqual(response.events.at(-1)!.kv.modRevision);
    }
    expect(sentThrough).toBe(40);
  });

  test('watchers catching up take turns: one long backlog does not starve another', () => {
    const store = new FakeStore();
    for (let i = 1; i <= 400; i++) store.put(i % 2 === 0 ? 'a' : 'b', `${i}`);
    const stream = new WatchHub(store, { maxPendingResponses: 4, maxResponseBytes: 200 }).openStream();
    stream.create({ key: bytes('a'), rangeEnd: new Uint8Array(), startRevision: 1 });
    stream.create({ key: bytes('b'), rangeEnd: new Uint8Array(), startRevision: 1 });
    const order = drain(stream).flatMap((r) => (r.kind === 'events' ? [r.watchId] : []));
    expect(order.indexOf(1)).toBeLessThan(order.lastIndexOf(0));
    expect(delivered(drain(stream))).toEqual([]);
  });

  test('a catch-up response spans several revisions but never splits one', () => {
    const store = new FakeStore();
    for (let i = 1; i <= 10; i++) store.txn([['put', `x${i}`, 'v'], ['put', `y${i}`, 'v']]);
    const stream = new WatchHub(store, { maxResponseBytes: 250 }).openStream();
    stream.create(everything(1));
    const responses = drain(stream).filter((r) => r.kind === 'events');
    expect(responses.length).toBeGreaterThan(1);
    expect(responses.length).toBeLessThan(10);
    for (const response of responses) {
      if (response.kind !== 'events') continue;
      expect(response.events.length % 2).toBe(0);
      expect(response.fragment).toBe(false);
    }
    expect(delivered(responses)).toHaveLength(20);
  });
});

describe('compaction', () => {
  test('a start at the compaction revision is served; below it: created, then compacted and canceled', () => {
    const store = new FakeStore();
    for (let i = 1; i <= 5; i++) store.put('k', `${i}`);
    store.compact(3);
    const stream = new WatchHub(store).openStream();
    stream.create(everything(3));
    stream.create(everything(2));
    expect(drainRendered(stream)).toEqual([
      'created id=0 rev=5',
      'events id=0 rev=5 [put k=3@3, put k=4@4, put k=5@5]',
      'created id=1 rev=5',
      'compacted id=1 rev=5 compact=3',
    ]);
    expect(stream.watcherCount).toBe(1);
  });

  test('a watcher that falls behind a compaction is told so and canceled; the others go on', () => {
    const store = new FakeStore();
    const hub = new WatchHub(store, { maxPendingResponses: 2 });
    const stream = hub.openStream();
    stream.create({ key: bytes('slow'), rangeEnd: new Uint8Array(), startRevision: 0 });
    stream.create({ key: bytes('quiet'), rangeEnd: new Uint8Array(), startRevision: 0 });
    drain(stream);
    for (let i = 1; i <= 6; i++) store.put('slow', `${i}`);
    expect(stream.unsyncedWatcherCount).toBe(1);
    store.compact(5);
    store.put('quiet', 'q');
    expect(drainRendered(stream)).toEqual([
      'events id=0 rev=1 [put slow=1@1]',
      'events id=0 rev=2 [put slow=2@2]',
      'compacted id=0 rev=7 compact=5',
      'events id=1 rev=7 [put quiet=q@7]',
    ]);
    store.put('slow', 'gone');
    expect(drain(stream)).toEqual([]);
  });

  test('after the store is restored from a snapshot, watchers catch up or learn they were compacted', () => {
    const store = new FakeStore();
    const hub = new WatchHub(store);
    const stream = hub.openStream();
    stream.create({ key: bytes('a'), rangeEnd: new Uint8Array(), startRevision: 0 });
    stream.create({ key: bytes('b'), rangeEnd: new Uint8Array(), startRevision: 100 });
    drain(stream);
    store.restoreTo(10, 8); // a follower installed a snapshot: revisions 1..7 unknown here
    hub.storeRestored();
    expect(drainRendered(stream)).toEqual(['compacted id=0 rev=10 compact=8']);
    expect(stream.watcherCount).toBe(1);
  });
});
