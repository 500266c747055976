/**
 * The controllers' work queue: a key added many times is handled once; a key is never
 * handled by two workers at once and is handled again if added meanwhile; a failing key
 * comes back with growing delays and is forgotten when it succeeds; the rate limit holds
 * keys back once the burst is spent; shutdown ends the workers.
 */
import { WorkQueue } from '../../../control-plane/client/work-queue.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('duplicates are handled once; a key re-added while handled is handled once more, never concurrently', async () => {
  const queue = new WorkQueue({ ratePerSecond: 1000, burst: 1000 });
  const handled: string[] = [];
  let concurrent = 0;
  let maxConcurrentOfA = 0;
  let release: () => void = () => {};
  const firstA = new Promise<void>((resolve) => (release = resolve));
  const running = queue.run(4, async (key) => {
    handled.push(key);
    if (key === 'a') {
      concurrent++;
      maxConcurrentOfA = Math.max(maxConcurrentOfA, concurrent);
      if (handled.filter((k) => k === 'a').length === 1) await firstA;
      concurrent--;
    }
  });
  queue.add('a');
  queue.add('a');
  queue.add('b');
  await sleep(20);
  // While 'a' is in hand: added twice more, it must wait and then run once.
  queue.add('a');
  queue.add('a');
  await sleep(20);
  expect(handled.filter((k) => k === 'a')).toHaveLength(1);
  release();
  await sleep(20);
  queue.shutdown();
  await running;
  expect(handled.filter((k) => k === 'a')).toHaveLength(2);
  expect(handled.filter((k) => k === 'b')).toHaveLength(1);
  expect(maxConcurrentOfA).toBe(1);
});

test('a failing key is retried with exponential back-off and forgotten after a success', async () => {
  const queue = new WorkQueue({ baseDelayMs: 10, maxDelayMs: 1000, ratePerSecond: 1000, burst: 1000 });
  const times: number[] = [];
  const started = Date.now();
  const running = queue.run(1, async () => {
    times.push(Date.now() - started);
    if (times.length < 4) throw new Error('not yet');
  });
  queue.add('k');
  while (times.length < 4) await sleep(5);
  expect(queue.retries('k')).toBe(0);
  queue.shutdown();
  await running;
  // Delays 10, 20, 40 ms: each gap at least its delay.
  expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(9);
  expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(19);
  expect(times[3]! - times[2]!).toBeGreaterThanOrEqual(39);
});

test('the rate limit holds keys back once the burst is spent', async () => {
  // Slow enough that a stretched sleep on a loaded machine still cannot release all six.
  const queue = new WorkQueue({ ratePerSecond: 5, burst: 2 });
  const handled: string[] = [];
  const running = queue.run(2, async (key) => {
    handled.push(key);
  });
  for (let i = 0; i < 6; i++) queue.add(`k${i}`);
  await sleep(30);
  // The burst (2), and perhaps one more token refilled meanwhile, not all six.
  expect(handled.length).toBeGreaterThanOrEqual(2);
  expect(handled.length).toBeLessThan(6);
  while (handled.length < 6) await sleep(10);
  queue.shutdown();
  await running;
  expect(handled).toEqual(['k0', 'k1', 'k2', 'k3', 'k4', 'k5']);
});

test('addAfter delays a key; shutdown drops what waits and ends the workers', async () => {
  const queue = new WorkQueue({ ratePerSecond: 1000, burst: 1000 });
  const handled: string[] = [];
  const running = queue.run(2, async (key) => {
    handled.push(key);
  });
  queue.addAfter('later', 40);
  queue.addAfter('never', 10_000);
  await sleep(10);
  expect(handled).toEqual([]);
  await sleep(60);
  expect(handled).toEqual(['later']);
  queue.shutdown();
  await running;
  queue.add('after-shutdown');
  expect(handled).toEqual(['later']);
});
