/**
 * Kubernetes' slow start: run `count` calls in batches of 1, 2, 4, ... (from
 * `initialBatchSize`), the calls of a batch in parallel, and stop after the first batch in
 * which any call failed. Many creations that would all fail the same way (a quota, a
 * template the server refuses) then cost a few requests and one event, not hundreds.
 */

export interface SlowStartResult {
  /** Calls that succeeded. The rest (`count - successes`) failed or were never made. */
  readonly successes: number;
  /** The first failure, when a batch had one. */
  readonly error?: unknown;
}

export async function slowStartBatch(count: number, initialBatchSize: number, call: () => Promise<void>): Promise<SlowStartResult> {
  if (!(initialBatchSize >= 1)) throw new RangeError(`the initial batch size must be at least 1, got ${initialBatchSize}`);
  let remaining = count;
  let successes = 0;
  for (let batchSize = Math.min(remaining, initialBatchSize); batchSize > 0; batchSize = Math.min(2 * batchSize, remaining)) {
    const results = await Promise.allSettled(Array.from({ length: batchSize }, () => call()));
    const failures = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
    successes += batchSize - failures.length;
    if (failures.length > 0) return { successes, error: failures[0]!.reason };
    remaining -= batchSize;
  }
  return { successes };
}
