/**
 * Compaction's physical cleanup runs in the background, a few keys per step; what the
 * store answers must never depend on how far it has got. A store whose cleanup is driven
 * step by step (a few keys per step, a random number of steps between operations) is
 * compared, after every operation, with a reference compacted in full at once: ranges
 * and counts at every readable revision, HashKV, Hash, snapshot bytes, the record view,
 * the history for watches, the size the quota reads, the key count. Snapshots are taken
 * and restored mid-cleanup, and compactions land while a cleanup is under way.
 */
import { createSeededRandom } from '../../../raft/core/random.js';
import type { SeededRandom } from '../../../raft/core/random.js';
import { MvccStore } from '../../../kv/mvcc/index.js';
import type { CleanupScheduler, MvccStoreOptions } from '../../../kv/mvcc/index.js';
import { allKeys, between, bytes, describeChanges, fromKey, key, plain } from './helpers.js';

/** A scheduler whose steps run only when the test says so. */
class ManualScheduler {
  private readonly queue: (() => void)[] = [];
  readonly schedule: CleanupScheduler = (step) => {
    this.queue.push(step);
  };

  get pending(): number {
    return this.queue.length;
  }

  /** Runs up to `count` steps (each may schedule the next). */
  run(count: number): void {
    for (let i = 0; i < count && this.queue.length > 0; i++) this.queue.shift()!();
  }

  drain(): void {
    while (this.queue.length > 0) this.queue.shift()!();
  }
}

/** A store with manual cleanup, and a reference whose cleanup is run to the end after every compaction. */
function pair(): { store: MvccStore; scheduler: ManualScheduler; reference: MvccStore; referenceScheduler: ManualScheduler } {
  const scheduler = new ManualScheduler();
  const referenceScheduler = new ManualScheduler();
  return {
    store: new MvccStore(cleanedBy(scheduler)),
    scheduler,
    reference: new MvccStore(cleanedBy(referenceScheduler)),
    referenceScheduler,
  };
}

function cleanedBy(scheduler: ManualScheduler): MvccStoreOptions {
  return { cleanupScheduler: scheduler.schedule, cleanupBatchKeys: 3, cleanupBatchRecords: 4 };
}

function records(store: MvccStore): unknown[] {
  return [...store.records()].map((r) => ({ main: r.main, sub: r.sub, key: Buffer.from(r.key).toString(), kv: plain(r.kv) }));
}

/** Everything observable about `store`, at every revision it can still read. */
function observe(store: MvccStore): Record<string, unknown> {
  const compacted = store.compactRevision();
  const readable: Record<number, unknown> = {};
  for (let revision = Math.max(1, compacted); revision <= store.revision; revision++) {
    const result = store.range(allKeys(), { revision });
    readable[revision] = { kvs: result.kvs.map(plain), count: result.count, hashKv: revision > compacted ? store.hashKv(revision).hash : null };
  }
  return {
    revision: store.revision,
    compacted,
    readable,
    hashKv: store.hashKv(),
    hash: store.hash(),
    snapshot: Buffer.from(store.snapshot()).toString('base64'),
    records: records(store),
    changes: describeChanges(store.changesSince(Math.max(1, compacted))),
    sizeBytes: store.sizeBytes(),
    keyCount: store.keyCount(),
    prefixCount: store.range(between('k1', 'k3'), { countOnly: true }).count,
  };
}

function randomOperation(random: SeededRandom, stores: readonly MvccStore[]): void {
  const name = `k${random.int(6)}`;
  const roll = random.float();
  for (const store of stores) {
    if (roll < 0.55) store.put({ key: bytes(name), value: bytes(`v${store.revision}`) });
    else if (roll < 0.8) store.deleteRange({ range: key(name) });
    else if (roll < 0.9) store.deleteRange({ range: between('k2', 'k4') });
    else {
      // A put of another key, then a put and a from-key delete of one key, in one revision.
      store.txn({
        compare: [],
        success: [
          { op: 'put', key: bytes('k0x'), value: bytes('u') },
          { op: 'put', key: bytes(name), value: bytes('t') },
          { op: 'deleteRange', range: fromKey(name) },
        ],
        failure: [],
      });
    }
  }
}

describe('compaction cleanup in the background', () => {
  it('answers exactly as a fully compacted store, whatever the cleanup has reached (seeded)', () => {
    for (const seed of [11, 12, 13, 14]) {
      const random = createSeededRandom(seed);
      const { reference, referenceScheduler, ...cleaned } = pair();
      let { store, scheduler } = cleaned;
      let partialChecks = 0;
      for (let step = 0; step < 220; step++) {
        randomOperation(random, [store, reference]);
        const roll = random.float();
        if (roll < 0.12 && store.revision > store.compactRevision() + 1) {
          const revision = store.compactRevision() + 1 + random.int(store.revision - store.compactRevision());
          store.compact(revision);
          reference.compact(revision);
          referenceScheduler.drain();
        } else if (roll < 0.16) {
          // Restore mid-cleanup: the restored store holds only what compaction keeps.
          scheduler = new ManualScheduler();
          const restored = MvccStore.restore(store.snapshot(), cleanedBy(scheduler));
          store.close();
          store = restored;
        }
        scheduler.run(random.int(3));
        if (store.cleaningUp()) partialChecks++;
        expect(observe(store)).toEqual(observe(reference));
      }
      // The cleanup ends, and then frees exactly what the logical figures said.
      scheduler.drain();
      expect(store.cleaningUp()).toBe(false);
      expect(store.physicalSizeBytes()).toBe(store.sizeBytes());
      expect(observe(store)).toEqual(observe(reference));
      // The checks did happen while cleanup was partial.
      expect(partialChecks).toBeGreaterThan(20);
    }
  });

  it('does not free anything physically until its steps run, and a new compaction mid-cleanup goes on to the new point', () => {
    const { store, scheduler } = pair();
    for (let i = 0; i < 20; i++) store.put({ key: bytes(`k${String(i).padStart(2, '0')}`), value: bytes('a') });
    for (let i = 0; i < 20; i++) store.put({ key: bytes(`k${String(i).padStart(2, '0')}`), value: bytes('b') });
    for (let i = 0; i < 20; i += 2) store.deleteRange({ range: key(`k${String(i).padStart(2, '0')}`) });
    const before = store.physicalSizeBytes();
    store.compact(41); // every "a" version goes
    expect(store.sizeBytes()).toBeLessThan(before);
    expect(store.physicalSizeBytes()).toBe(before);
    expect(scheduler.pending).toBe(1);
    scheduler.run(2); // 6 of 20 keys cleaned
    expect(store.cleaningUp()).toBe(true);
    const midway = store.physicalSizeBytes();
    expect(midway).toBeLessThan(before);
    expect(midway).toBeGreaterThan(store.sizeBytes());
    store.compact(store.revision); // the tombstones go too
    expect(store.keyCount()).toBe(10);
    scheduler.drain();
    expect(store.physicalSizeBytes()).toBe(store.sizeBytes());
    expect(store.range(allKeys(), { revision: store.revision }).count).toBe(10);
  });

  it('stops cleaning once closed', () => {
    const { store, scheduler } = pair();
    for (let i = 0; i < 10; i++) store.put({ key: bytes('k'), value: bytes(`${i}`) });
    store.compact(store.revision);
    store.close();
    scheduler.drain();
    expect(store.physicalSizeBytes()).toBeGreaterThan(store.sizeBytes());
  });
});
