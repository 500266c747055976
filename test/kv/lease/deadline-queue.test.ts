/**
 * The lessor's priority queue (one entry per id, ties by id) against a sorted-array
 * model over random operations, and the lease id generator's shape.
 */
import { DeadlineQueue } from '../../../kv/lease/deadline-queue.js';
import { LeaseIdGenerator } from '../../../kv/lease/index.js';

function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('DeadlineQueue', () => {
  test('pops in (time, id) order and moves an id that is set again', () => {
    const queue = new DeadlineQueue();
    queue.set(3n, 10);
    queue.set(1n, 10);
    queue.set(2n, 5);
    queue.set(3n, 1);
    expect(queue.size).toBe(3);
    expect(queue.has(3n)).toBe(true);
    expect([queue.pop(), queue.pop(), queue.pop(), queue.pop()]).toEqual([
      { id: 3n, timeMs: 1 },
      { id: 2n, timeMs: 5 },
      { id: 1n, timeMs: 10 },
      undefined,
    ]);
  });

  test('matches a sorted model over 5000 random operations', () => {
    const random = lcg(42);
    const queue = new DeadlineQueue();
    const model = new Map<bigint, number>();
    const ordered = (): { id: bigint; timeMs: number }[] =>
      [...model.entries()]
        .map(([id, timeMs]) => ({ id, timeMs }))
        .sort((a, b) => a.timeMs - b.timeMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (let step = 0; step < 5000; step++) {
      const id = BigInt(Math.floor(random() * 50));
      const action = random();
      if (action < 0.5) {
        const time = Math.floor(random() * 100);
        queue.set(id, time);
        model.set(id, time);
      } else if (action < 0.75) {
        expect(queue.delete(id)).toBe(model.delete(id));
      } else {
        const expected = ordered()[0];
        expect(queue.pop()).toEqual(expected);
        if (expected !== undefined) model.delete(expected.id);
      }
      expect(queue.size).toBe(model.size);
      expect(queue.peek()).toEqual(ordered()[0]);
    }
  });
});

describe('LeaseIdGenerator', () => {
  test('ids are positive, distinct, carry the member id in the top bits and count up', () => {
    const generator = new LeaseIdGenerator(0x1234, 1_700_000_000_000);
    const ids = Array.from({ length: 1000 }, () => generator.next());
    expect(new Set(ids).size).toBe(1000);
    for (const id of ids) {
      expect(id > 0n && id < 1n << 63n).toBe(true);
      expect(id >> 48n).toBe(0x1234n);
    }
    expect(ids[1]! - ids[0]!).toBe(1n);
  });

  test('different members never produce the same id at the same instant', () => {
    const a = new LeaseIdGenerator(1, 5_000);
    const b = new LeaseIdGenerator(2, 5_000);
    expect(a.next()).not.toBe(b.next());
  });

  test('the top bit of the member id is dropped so that ids stay positive; 0 is skipped', () => {
    const generator = new LeaseIdGenerator(0x8000, 0);
    expect(generator.next()).toBe(1n);
    const wrapping = new LeaseIdGenerator(0, 0);
    (wrapping as unknown as { counter: bigint }).counter = (1n << 48n) - 1n;
    expect(wrapping.next()).toBe(1n);
  });
});
