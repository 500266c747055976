/**
 * Progress: a progress request answers with watch id -1 at the current revision, once
 * every watcher of the stream is synced (never ahead of an event not yet sent); periodic
 * notifications go to idle synced watchers that asked for them, and not to watchers that
 * were just sent events or start in the future. Also the overload guard on requests.
 */
import { WatchHub, WatchProgressNotifier, WatchStreamOverloadedError } from '../../../kv/watch/index.js';
import type { WatchCreateRequest } from '../../../kv/watch/index.js';
import { bytes, drain, drainRendered, FakeStore } from './fake-store.js';

const watchKey = (key: string, extra: Partial<WatchCreateRequest> = {}): WatchCreateRequest => ({
  key: bytes(key),
  rangeEnd: new Uint8Array(),
  startRevision: 0,
  ...extra,
});

describe('progress requests', () => {
  test('answered at once with watch id -1 and the current revision when every watcher is synced', () => {
    const store = new FakeStore();
    const stream = new WatchHub(store).openStream();
    stream.create(watchKey('a'));
    stream.create(watchKey('b'));
    store.put('c', '1');
    store.put('c', '2');
    drain(stream);
    stream.requestProgress();
    expect(drainRendered(stream)).toEqual(['progress id=-1 rev=2']);
  });

  test('a stream without watchers gets no answer', () => {
    const store = new FakeStore();
    const stream = new WatchHub(store).openStream();
    stream.requestProgress();
    expect(drain(stream)).toEqual([]);
  });

  test('deferred while a watcher catches up, then sent after its events', () => {
    const store = new FakeStore();
    const stream = new WatchHub(store, { maxPendingResponses: 2 }).openStream();
    stream.create(watchKey('a'));
    drain(stream);
    for (let i = 1; i <= 5; i++) store.put('a', `${i}`);
    expect(stream.unsyncedWatcherCount).toBe(1);
    stream.requestProgress();
    const rendered = drainRendered(stream);
    expect(rendered.at(-1)).toBe('progress id=-1 rev=5');
    expect(rendered.filter((r) => r.startsWith('progress'))).toHaveLength(1);
    expect(rendered.slice(0, -1).join(' ')).toContain('put a=5@5');
  });

  test('a deferred request is dropped if the stream loses all its watchers', () => {
    const store = new FakeStore();
    const stream = new WatchHub(store, { maxPendingResponses: 2 }).openStream();
    stream.create(watchKey('a'));
    drain(stream);
    for (let i = 1; i <= 5; i++) store.put('a', `${i}`);
    stream.requestProgress();
    stream.cancel(0);
    expect(drainRendered(stream).filter((r) => r.startsWith('progress'))).toEqual([]);
  });

  test('a client that never reads its answers is refused once the control budget is spent', () => {
    const store = new FakeStore();
    const stream = new WatchHub(store, { maxPendingResponses: 2 }).openStream();
    stream.create(watchKey('a'));
    expect(() => {
      for (let i = 0; i < 5000; i++) stream.requestProgress();
    }).toThrow(WatchStreamOverloadedError);
    drain(stream);
    expect(() => stream.requestProgress()).not.toThrow();
  });
});

describe('progress notifications', () => {
  test('idle synced watchers that asked get one per tick; a watcher sent events skips the next tick', () => {
    const store = new FakeStore();
    const hub = new WatchHub(store);
    const stream = hub.openStream();
    stream.create(watchKey('a', { progressNotify: true }));
    stream.create(watchKey('b', { progressNotify: true }));
    stream.create(watchKey('c'));
    drain(stream);
    hub.notifyProgress();
    expect(drainRendered(stream)).toEqual(['progress id=0 rev=0', 'progress id=1 rev=0']);
    store.put('a', '1');
    store.put('c', '1');
    hub.notifyProgress();
    expect(drainRendered(stream)).toEqual(['events id=0 rev=1 [put a=1@1]', 'events id=2 rev=2 [put c=1@2]', 'progress id=1 rev=2']);
    hub.notifyProgress();
    expect(drainRendered(stream)).toEqual(['progress id=0 rev=2', 'progress id=1 rev=2']);
  });

  test('no notification to a watcher starting in the future, or to one catching up', () => {
    const store = new FakeStore();
    const hub = new WatchHub(store, { maxPendingResponses: 2 });
    const stream = hub.openStream();
    stream.create(watchKey('future', { progressNotify: true, startRevision: 10 }));
    stream.create(watchKey('busy', { progressNotify: true }));
    drain(stream);
    for (let i = 1; i <= 5; i++) store.put('busy', `${i}`);
    expect(stream.unsyncedWatcherCount).toBe(1);
    hub.notifyProgress();
    const rendered = drainRendered(stream);
    expect(rendered.filter((r) => r.startsWith('progress'))).toEqual([]);
    for (let i = 6; i <= 9; i++) store.put('x', `${i}`);
    hub.notifyProgress(); // 'busy' was sent its events by the drain above: not idle yet
    expect(drainRendered(stream)).toEqual(['progress id=0 rev=9']);
    hub.notifyProgress();
    expect(drainRendered(stream)).toEqual(['progress id=0 rev=9', 'progress id=1 rev=9']);
  });

  test('the notifier runs the tick on a timer', async () => {
    const store = new FakeStore();
    const hub = new WatchHub(store);
    const stream = hub.openStream();
    stream.create(watchKey('a', { progressNotify: true }));
    drain(stream);
    const notifier = new WatchProgressNotifier(hub, 5);
    const arrived = new Promise<void>((resolve) => stream.onReadable(resolve));
    notifier.start();
    notifier.start();
    await arrived;
    notifier.stop();
    expect(drainRendered(stream)[0]).toBe('progress id=0 rev=0');
  });
});
