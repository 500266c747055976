/**
 * Latencies of many operations in fixed memory: a histogram with logarithmic buckets, 64
 * per doubling, so that a quantile read from it is within about 1.1% of the exact one
 * (nearest rank), from 1 µs to about 4.5 hours. Count, sum, min and max are exact.
 *
 * A benchmark records millions of latencies a second; keeping each one would cost as much
 * memory as the store under test, and sorting them would take longer than the run.
 */

/** Buckets per doubling of the latency: the resolution (2^(1/64) ≈ 1.011). */
const BUCKETS_PER_DOUBLING = 64;
/** Doublings above 1 µs covered; anything longer lands in the last bucket. */
const DOUBLINGS = 34;
const BUCKET_COUNT = BUCKETS_PER_DOUBLING * DOUBLINGS;

/** Quantiles and moments of a histogram, in milliseconds (all 0 when it is empty). */
export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
}

export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKET_COUNT);
  private total = 0;
  private sumMs = 0;
  private minMs = Infinity;
  private maxMs = 0;

  /** Record one latency, in milliseconds (negative or NaN is a bug in the caller). */
  record(latencyMs: number): void {
    if (!(latencyMs >= 0)) throw new RangeError(`latency ${latencyMs} ms is not a duration`);
    this.counts[bucketOf(latencyMs)]!++;
    this.total++;
    this.sumMs += latencyMs;
    if (latencyMs < this.minMs) this.minMs = latencyMs;
    if (latencyMs > this.maxMs) this.maxMs = latencyMs;
  }

  /** Add every latency recorded in `other`. */
  merge(other: LatencyHistogram): void {
    for (let i = 0; i < BUCKET_COUNT; i++) this.counts[i]! += other.counts[i]!;
    this.total += other.total;
    this.sumMs += other.sumMs;
    this.minMs = Math.min(this.minMs, other.minMs);
    this.maxMs = Math.max(this.maxMs, other.maxMs);
  }

  get count(): number {
    return this.total;
  }

  /**
   * The latency at quantile `q` (0 < q ≤ 1) by nearest rank: the ⌈q·count⌉-th smallest
   * latency. The smallest and the largest are known exactly; any other is the geometric
   * middle of its bucket, clamped to [min, max].
   */
  quantile(q: number): number {
    if (!(q > 0 && q <= 1)) throw new RangeError(`quantile ${q} is not in (0, 1]`);
    if (this.total === 0) return 0;
    const rank = Math.ceil(q * this.total);
    if (rank <= 1) return this.minMs;
    if (rank >= this.total) return this.maxMs;
    let seen = 0;
    for (let i = 0; i < BUCKET_COUNT - 1; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(this.maxMs, Math.max(this.minMs, middleOf(i)));
    }
    // The last bucket has no upper bound: what lands there is beyond the range, shown as the maximum.
    return this.maxMs;
  }

  summary(): LatencySummary {
    return {
      count: this.total,
      p50: this.quantile(0.5),
      p99: this.quantile(0.99),
      p999: this.quantile(0.999),
      min: this.total === 0 ? 0 : this.minMs,
      max: this.maxMs,
      mean: this.total === 0 ? 0 : this.sumMs / this.total,
    };
  }
}

/** Bucket i ≥ 1 holds [2^((i-1)/64), 2^(i/64)) µs; bucket 0 everything under 1 µs. */
function bucketOf(latencyMs: number): number {
  const micros = latencyMs * 1000;
  if (micros < 1) return 0;
  return Math.min(BUCKET_COUNT - 1, 1 + Math.floor(Math.log2(micros) * BUCKETS_PER_DOUBLING));
}

/** The geometric middle of bucket `i`, in milliseconds. */
function middleOf(i: number): number {
  if (i === 0) return 0.0005;
  return 2 ** ((i - 0.5) / BUCKETS_PER_DOUBLING) / 1000;
}

/** `summary` with every latency rounded to microseconds (for JSON and reports). */
export function roundedSummary(summary: LatencySummary): LatencySummary {
  const us = (ms: number) => Math.round(ms * 1000) / 1000;
  return { count: summary.count, p50: us(summary.p50), p99: us(summary.p99), p999: us(summary.p999), min: us(summary.min), max: us(summary.max), mean: us(summary.mean) };
}
