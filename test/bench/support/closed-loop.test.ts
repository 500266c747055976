/**
 * The benchmarks' closed-loop load: what it counts (completions inside the window, one
 * latency each), how it counts failures, that workers stop issuing once the window closes
 * and the run waits for what is in flight, and the window callbacks. No timing is asserted.
 */
import { runClosedLoop } from '../../../bench/support/closed-loop.js';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('runClosedLoop', () => {
  it('counts the operations completed in the window, one latency each, over the measured length', async () => {
    let started = 0;
    let finished = 0;
    const events: string[] = [];
    const result = await runClosedLoop({
      workers: 4,
      warmupMs: 20,
      durationMs: 300,
      operation: async () => {
        started++;
        await tick();
        finished++;
      },
      onWindowOpen: () => events.push('open'),
      onWindowClose: () => events.push('close'),
    });
    expect(events).toEqual(['open', 'close']);
    // Everything issued finished before the run returned; the warm-up's did not count.
    expect(finished).toBe(started);
    expect(result.ops).toBeGreaterThan(0);
    expect(result.ops).toBeLessThan(started);
    expect(result.latencyMs.count).toBe(result.ops);
    expect(result.errors).toBe(0);
    expect(result.measuredS).toBeGreaterThan(0);
    expect(result.opsPerS).toBeCloseTo(result.ops / result.measuredS, 6);
  });

  it('counts failures by kind, apart from the operations completed', async () => {
    const result = await runClosedLoop({
      workers: 2,
      warmupMs: 0,
      durationMs: 500,
      operation: async (worker, seq) => {
        await tick();
        if (worker === 1) throw new TypeError(`bad ${seq % 2 === 0 ? 'even' : 'odd'}\nsecond line`);
      },
    });
    expect(result.errors).toBeGreaterThan(0);
    expect(Object.keys(result.errorKinds).sort()).toEqual(expect.arrayContaining([expect.stringMatching(/^TypeError: bad (even|odd)$/)]));
    expect(Object.values(result.errorKinds).reduce((a, b) => a + b, 0)).toBe(result.errors);
    expect(result.ops).toBeGreaterThan(0);
  });

  it('keeps at most 8 error kinds, the rest as "other"', async () => {
    // 12 workers failing with messages of their own, for a second: far more than 8 kinds.
    const result = await runClosedLoop({
      workers: 12,
      warmupMs: 0,
      durationMs: 1000,
      operation: async (worker, seq) => {
        await tick();
        throw new Error(`failure ${worker}-${seq}`);
      },
    });
    expect(result.errors).toBeGreaterThan(8);
    expect(Object.keys(result.errorKinds)).toHaveLength(9);
    expect(result.errorKinds.other).toBe(result.errors - 8);
    expect(result.ops).toBe(0);
  });

  it('opens the window only once every worker has finished its first operation, however long the warm-up', async () => {
    const events: string[] = [];
    let releaseSlow!: () => void;
    const slow = new Promise<void>((resolve) => (releaseSlow = resolve));
    // Worker 2's first operation lasts until well after the warm-up time.
    setTimeout(() => releaseSlow(), 80);
    const result = await runClosedLoop({
      workers: 3,
      warmupMs: 5,
      durationMs: 30,
      operation: async (worker, seq) => {
        if (worker === 2 && seq === 0) {
          await slow;
          events.push('slow first done');
          return;
        }
        await tick();
      },
      onWindowOpen: () => events.push('open'),
      onWindowClose: () => events.push('close'),
    });
    expect(events).toEqual(['slow first done', 'open', 'close']);
    expect(result.ops).toBeGreaterThan(0);
  });

  it('refuses a worker count that is not a positive integer', async () => {
    await expect(runClosedLoop({ workers: 0, warmupMs: 0, durationMs: 1, operation: async () => undefined })).rejects.toThrow(RangeError);
  });
});
