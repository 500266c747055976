import { EventQueue } from '../../raft/testing/event-queue.js';
import { createSeededRandom } from '../../raft/core/random.js';

describe('EventQueue', () => {
  it('pops in time order, and in insertion order within one time', () => {
    const queue = new EventQueue<string>();
    queue.push(30, 'c');
    queue.push(10, 'a1');
    queue.push(20, 'b');
    queue.push(10, 'a2');
    queue.push(10, 'a3');
    const popped: string[] = [];
    while (queue.size > 0) popped.push(queue.pop());
    expect(popped).toEqual(['a1', 'a2', 'a3', 'b', 'c']);
    expect(queue.peekTime()).toBe(Infinity);
  });

  it('agrees with a stable sort on random input', () => {
    const random = createSeededRandom(42);
    const queue = new EventQueue<number>();
    const pushed: Array<{ time: number; order: number }> = [];
    for (let i = 0; i < 2000; i++) {
      const time = random.int(100);
      queue.push(time, i);
      pushed.push({ time, order: i });
      if (random.chance(0.3)) {
        // Interleave pops with pushes: the heap must stay ordered throughout.
        const expected = [...pushed].sort((x, y) => x.time - y.time || x.order - y.order)[0]!;
        const time = queue.peekTime();
        expect([time, queue.pop()]).toEqual([expected.time, expected.order]);
        pushed.splice(pushed.indexOf(expected), 1);
      }
    }
    const expected = [...pushed].sort((x, y) => x.time - y.time || x.order - y.order).map((e) => e.order);
    const got: number[] = [];
    while (queue.size > 0) got.push(queue.pop());
    expect(got).toEqual(expected);
  });

  it('refuses non-integer times and popping when empty', () => {
    const queue = new EventQueue<number>();
    expect(() => queue.push(1.5, 1)).toThrow();
    expect(() => queue.pop()).toThrow();
  });
});
