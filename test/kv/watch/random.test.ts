/**
 * Exactly-once delivery under random schedules: writes and transactions, watchers created
 * from random past or future revisions with random ranges and filters, a consumer that
 * reads at a random pace (so watchers fall behind and catch up), compactions and
 * cancels. For every watcher, the events received must be exactly the matching events of
 * the store's full log from its start revision, in order — all of them, or a prefix
 * ended by a `compacted` response that is justified by the compaction. One seed per run.
 */
import type { RevisionChanges } from '../../../kv/mvcc/types.js';
import { WatchHub } from '../../../kv/watch/index.js';
import type { WatchResponse } from '../../../kv/watch/index.js';
import { bytes, FakeStore, text } from './fake-store.js';

function lcg(seed: number): () => number {
  let state = (seed * 2654435761) >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

interface Expectation {
  readonly from: number;
  readonly keyRange: [string, string | null];
  readonly noPut: boolean;
  readonly noDelete: boolean;
  canceledAt: number | null;
}

function runSeed(seed: number): void {
  const random = lcg(seed);
  const pick = <T,>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const store = new FakeStore();
  const log: RevisionChanges[] = [];
  store.onChanges((changes) => log.push(changes));
  const hub = new WatchHub(store, { maxPendingResponses: 4, maxResponseBytes: 600 });
  const stream = hub.openStream();
  const expectations = new Map<number, Expectation>();
  const received: WatchResponse[] = [];
  const keys = ['a', 'b', 'c', 'd', 'e'];

  for (let step = 0; step < 300; step++) {
    const action = random();
    if (action < 0.45) {
      const operations = Array.from({ length: 1 + Math.floor(random() * 3) }, () =>
        random() < 0.75 ? (['put', pick(keys), `${step}`] as const) : (['delete', pick(keys)] as const),
      );
      const unique = new Map(operations.map((op) => [op[1], op]));
      store.txn([...unique.values()]);
    } else if (action < 0.55) {
      const current = store.currentRevision();
      const from = random() < 0.3 ? 0 : Math.max(1, current - Math.floor(random() * 15) + 2);
      const single = random() < 0.5;
      const start = pick(keys);
      const end = single ? null : String.fromCharCode(start.charCodeAt(0) + 1 + Math.floor(random() * 3));
      const noPut = random() < 0.15;
      const noDelete = !noPut && random() < 0.15;
      const id = stream.create({
        key: bytes(start),
        rangeEnd: end === null ? new Uint8Array() : bytes(end),
        startRevision: from,
        filters: { noPut, noDelete },
      });
      expect(id).toBeGreaterThanOrEqual(0);
      expectations.set(id, { from: from === 0 ? current + 1 : from, keyRange: [start, end], noPut, noDelete, canceledAt: null });
    } else if (action < 0.58 && store.currentRevision() > 3) {
      store.compact(store.currentRevision() - Math.floor(random() * 6));
    } else if (action < 0.6 && expectations.size > 0) {
      const id = pick([...expectations.keys()]);
      if (stream.cancel(id)) expectations.get(id)!.canceledAt = store.currentRevision();
    } else {
      for (let n = Math.floor(random() * 4); n > 0; n--) {
        const response = stream.take();
        if (response !== undefined) received.push(response);
      }
    }
  }
  for (let response = stream.take(); response !== undefined; response = stream.take()) received.push(response);

  for (const [id, expectation] of expectations) {
    const mine = received.filter((r) => r.watchId === id);
    expect(mine[0]?.kind).toBe('created');
    const events = mine.flatMap((r) => (r.kind === 'events' ? r.events.map((e) => `${e.kv.modRevision}:${e.type}:${text(e.kv.key)}`) : []));
    const [start, end] = expectation.keyRange;
    const wanted = log
      .filter((changes) => changes.revision >= expectation.from)
      .flatMap((changes) =>
        changes.events
          .filter((e) => {
            const key = text(e.kv.key);
            const inRange = end === null ? key === start : key >= start && key < end;
            return inRange && !(e.type === 'put' && expectation.noPut) && !(e.type === 'delete' && expectation.noDelete);
          })
          .map((e) => `${changes.revision}:${e.type}:${text(e.kv.key)}`),
      );
    const last = mine.at(-1)!;
    if (last.kind === 'compacted') {
      // A prefix, and the compaction did remove the next revision it needed.
      expect(wanted.slice(0, events.length)).toEqual(events);
      const nextNeeded = events.length === 0 ? expectation.from : Number(events.at(-1)!.split(':')[0]) + 1;
      expect(nextNeeded).toBeLessThan(last.compactRevision);
    } else if (expectation.canceledAt !== null) {
      expect(last.kind).toBe('canceled');
      expect(wanted.slice(0, events.length)).toEqual(events);
    } else {
      expect(events).toEqual(wanted);
    }
    const headers = mine.filter((r) => r.kind === 'events').map((r) => r.revision);
    expect([...headers].sort((a, b) => a - b)).toEqual(headers);
  }
}

describe('random schedules', () => {
  const seeds = Array.from({ length: 60 }, (_, i) => i + 1);
  test.each(seeds)('seed %i: every watcher receives exactly its events, in order', (seed) => {
    runSeed(seed);
  });
});
