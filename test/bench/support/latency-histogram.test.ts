/**
 * The benchmarks' latency histogram: quantiles within its stated resolution of the exact
 * nearest-rank ones, exact count/min/max/mean, merging, and refusal of non-durations.
 */
import { LatencyHistogram, roundedSummary } from '../../../bench/support/latency-histogram.js';

/** The exact nearest-rank quantile of `values`. */
function exactQuantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil(q * sorted.length) - 1]!;
}

/** A deterministic spread of latencies from 20 µs to about 2 s (log-uniform), with a few repeats. */
function latencies(count: number, seed: number): number[] {
  let state = seed;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
  return Array.from({ length: count }, () => 0.02 * 10 ** (5 * next()));
}

describe('LatencyHistogram', () => {
  it('reads quantiles within 1.2% of the exact nearest-rank ones', () => {
    const values = latencies(20_000, 42);
    const histogram = new LatencyHistogram();
    for (const value of values) histogram.record(value);
    for (const q of [0.001, 0.1, 0.5, 0.9, 0.99, 0.999, 1]) {
      const exact = exactQuantile(values, q);
      expect(Math.abs(histogram.quantile(q) / exact - 1)).toBeLessThan(0.012);
    }
  });

  it('keeps count, min, max and mean exact, and gives the smallest and largest ranks exactly', () => {
    const histogram = new LatencyHistogram();
    for (const value of [0.25, 0.25, 0.25, 4]) histogram.record(value);
    const summary = histogram.summary();
    expect(summary).toMatchObject({ count: 4, min: 0.25, max: 4, mean: (0.75 + 4) / 4 });
    expect(summary.p50).toBe(0.25);
    expect(summary.p999).toBe(4);
  });

  it('summarizes an empty histogram as zeros', () => {
    expect(new LatencyHistogram().summary()).toEqual({ count: 0, p50: 0, p99: 0, p999: 0, min: 0, max: 0, mean: 0 });
  });

  it('holds sub-microsecond and very long latencies', () => {
    const histogram = new LatencyHistogram();
    for (const value of [0, 0.0004, 0.0006, 10 * 3600 * 1000, 11 * 3600 * 1000]) histogram.record(value);
    expect(histogram.summary()).toMatchObject({ count: 5, min: 0, max: 11 * 3600 * 1000 });
    expect(histogram.quantile(0.4)).toBeLessThan(0.001);
    // Beyond the buckets' range (about 4.7 h): shown as the maximum, never as a made-up middle.
    expect(histogram.quantile(0.8)).toBe(11 * 3600 * 1000);
    expect(histogram.quantile(1)).toBe(11 * 3600 * 1000);
  });

  it('merges into the same figures as recording everything in one', () => {
    const values = latencies(5_000, 7);
    const whole = new LatencyHistogram();
    const left = new LatencyHistogram();
    const right = new LatencyHistogram();
    values.forEach((value, i) => {
      whole.record(value);
      (i % 3 === 0 ? left : right).record(value);
    });
    left.merge(right);
    const { mean, ...merged } = left.summary();
    const { mean: wholeMean, ...expected } = whole.summary();
    expect(merged).toEqual(expected);
    expect(mean).toBeCloseTo(wholeMean, 9);
  });

  it('refuses a negative or NaN latency and a quantile outside (0, 1]', () => {
    const histogram = new LatencyHistogram();
    expect(() => histogram.record(-1)).toThrow(RangeError);
    expect(() => histogram.record(Number.NaN)).toThrow(RangeError);
    expect(() => histogram.quantile(0)).toThrow(RangeError);
    expect(() => histogram.quantile(1.5)).toThrow(RangeError);
  });

  it('rounds a summary to microseconds', () => {
    expect(roundedSummary({ count: 2, p50: 1.23456, p99: 2.00049, p999: 2.0005, min: 0.0004, max: 3, mean: 1.5 })).toEqual({
      count: 2,
      p50: 1.235,
      p99: 2,
      p999: 2.001,
      min: 0,
      max: 3,
      mean: 1.5,
    });
  });
});
