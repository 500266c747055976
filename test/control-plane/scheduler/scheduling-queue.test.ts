/**
 * The scheduling queue: active order (priority, then age, then arrival), back-off that
 * doubles per attempt to a cap, unschedulable pods woken by cluster changes (to back-off if
 * theirs has not ended), in-flight pods that keep their latest version, and deletion from
 * anywhere. Durations are shortened; the checks wait on real time, with margins.
 */
import { Heap } from '../../../control-plane/scheduler/heap.js';
import { SchedulingQueue } from '../../../control-plane/scheduler/scheduling-queue.js';
import { pod } from './fixtures.js';

const queues: SchedulingQueue[] = [];
function queue(options: ConstructorParameters<typeof SchedulingQueue>[0] = {}): SchedulingQueue {
  const made = new SchedulingQueue({ initialBackoffMs: 40, maxBackoffMs: 160, ...options });
  queues.push(made);
  return made;
}
afterEach(() => {
  for (const made of queues.splice(0)) made.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function drain(q: SchedulingQueue): string[] {
  const names: string[] = [];
  for (let entry = q.pop(); entry !== undefined; entry = q.pop()) names.push(entry.podInfo.name);
  return names;
}

describe('Heap', () => {
  test('pops in order, removes and re-sorts any item', () => {
    const items = [5, 3, 9, 1, 7].map((value) => ({ value }));
    const heap = new Heap<{ value: number }>((a, b) => a.value < b.value);
    for (const item of items) heap.push(item);
    expect(heap.remove(items[2]!)).toBe(true);
    items[4]!.value = 0;
    heap.update(items[4]!);
    const order: number[] = [];
    for (let item = heap.pop(); item !== undefined; item = heap.pop()) order.push(item.value);
    expect(order).toEqual([0, 1, 3, 5]);
    expect(() => heap.update(items[0]!)).toThrow('not in the heap');
  });
});

describe('SchedulingQueue', () => {
  test('active order: higher priority first, then older, then first queued', () => {
    const q = queue();
    q.add(pod('late', { createdAt: '2026-12-02T00:00:09Z' }));
    q.add(pod('early-b', { createdAt: '2026-12-02T00:00:01Z' }));
    q.add(pod('early-a', { createdAt: '2026-12-02T00:00:01Z' }));
    q.add(pod('urgent', { priority: 1000, createdAt: '2026-12-02T00:00:30Z' }));
    expect(drain(q)).toEqual(['urgent', 'early-b', 'early-a', 'late']);
    expect(q.counts).toEqual({ active: 0, backoff: 0, unschedulable: 0, inFlight: 4 });
  });

  test('a pod is queued once; a change of priority re-sorts it', () => {
    const q = queue();
    q.add(pod('a'));
    q.add(pod('b'));
    q.add(pod('b', { priority: 5 }));
    expect(drain(q)).toEqual(['b', 'a']);
  });

  test('back-off: initial × 2^(attempts − 1), capped', () => {
    const q = queue();
    expect([1, 2, 3, 4, 10].map((attempts) => q.backoffMs(attempts))).toEqual([40, 80, 160, 160, 160]);
  });

  test('a pod requeued with back-off becomes active when it ends, and waiters wake', async () => {
    const q = queue();
    q.add(pod('a'));
    const entry = q.pop()!;
    q.requeueBackoff(entry.key);
    expect(q.placeOf(entry.key)).toBe('backoff');
    expect(q.pop()).toBeUndefined();
    const started = Date.now();
    await q.waitForPods();
    expect(Date.now() - started).toBeGreaterThanOrEqual(30);
    expect(q.pop()?.attempts).toBe(2);
  });

  test('unschedulable pods wait for a change; woken after their back-off they go active, before it to back-off', async () => {
    const q = queue();
    q.add(pod('a'));
    q.requeueUnschedulable(q.pop()!.key);
    expect(q.placeOf('default/a')).toBe('unschedulable');
    await sleep(60);
    expect(q.pop()).toBeUndefined();
    expect(q.moveAllToActiveOrBackoff()).toBe(1);
    expect(q.placeOf('default/a')).toBe('active');
    q.requeueUnschedulable(q.pop()!.key); // second attempt: 80 ms back-off
    q.moveAllToActiveOrBackoff();
    expect(q.placeOf('default/a')).toBe('backoff');
    await q.waitForPods();
    expect(q.pop()?.podInfo.name).toBe('a');
  });

  test('a status-only update leaves an unschedulable pod waiting; a spec change wakes it', async () => {
    const q = queue();
    q.add(pod('a'));
    q.requeueUnschedulable(q.pop()!.key);
    q.add(pod('a'), false);
    expect(q.placeOf('default/a')).toBe('unschedulable');
    q.add(pod('a', { cpu: '1' }), true);
    expect(q.placeOf('default/a')).toBe('backoff');
  });

  test('unschedulable pods are retried anyway after the longest wait', async () => {
    const q = queue({ maxUnschedulableMs: 50, unschedulableFlushIntervalMs: 20 });
    q.add(pod('a'));
    q.requeueUnschedulable(q.pop()!.key);
    await sleep(120);
    expect(q.placeOf('default/a')).toBe('active');
  });

  test('an in-flight pod keeps its latest version; done forgets it; delete works from anywhere', () => {
    const q = queue();
    q.add(pod('a'));
    q.add(pod('b'));
    const a = q.pop()!;
    q.add(pod('a', { cpu: '2' }));
    expect(q.placeOf('default/a')).toBe('in-flight');
    expect(a.podInfo.requests.milliCpu).toBe(2000);
    q.done(a.key);
    expect(q.placeOf('default/a')).toBeUndefined();
    q.delete('default/b');
    expect(q.pop()).toBeUndefined();
    expect(q.counts).toEqual({ active: 0, backoff: 0, unschedulable: 0, inFlight: 0 });
  });

  test('a pod deleted while in flight is not requeued by its late outcome', () => {
    const q = queue();
    q.add(pod('a'));
    const entry = q.pop()!;
    q.delete(entry.key);
    q.requeueBackoff(entry.key);
    expect(q.placeOf(entry.key)).toBeUndefined();
    expect(q.counts.inFlight).toBe(0);
  });

  test('close wakes waiters and refuses new pods; the queue is bounded', async () => {
    const q = queue({ maxPods: 2 });
    const waiting = q.waitForPods();
    q.close();
    await waiting;
    q.add(pod('a'));
    expect(q.pop()).toBeUndefined();
    const bounded = queue({ maxPods: 1 });
    bounded.add(pod('a'));
    expect(() => bounded.add(pod('b'))).toThrow('refusing more');
  });
});
