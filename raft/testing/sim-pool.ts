/**
 * Runs many seeds on all cores with worker threads and hands the results back in seed
 * order, so that the output does not depend on scheduling. With one worker (or very few
 * seeds) the seeds run in this thread.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { runSeed } from './simulator.js';
import type { RunSeedResult } from './simulator.js';
import type { WorkerJob } from './sim-worker.js';

export interface PoolOptions {
  readonly jobs: readonly WorkerJob[];
  /** Worker threads; default: every core. */
  readonly workers?: number;
  /** Called once per job, in job order. */
  readonly onResult: (result: RunSeedResult) => void;
}

export function defaultWorkerCount(): number {
  return Math.max(1, availableParallelism());
}

export async function runPool(options: PoolOptions): Promise<void> {
  const jobs = options.jobs;
  const workerCount = Math.min(options.workers ?? defaultWorkerCount(), jobs.length);
  if (workerCount <= 1) {
    for (const job of jobs) options.onResult(runSeed(job));
    return;
  }
  const results = new Map<number, RunSeedResult>();
  let nextJob = 0;
  let nextToReport = 0;
  const workerUrl = new URL('./sim-worker.js', import.meta.url);
  const runWorker = () =>
    new Promise<void>((resolve, reject) => {
      const worker = new Worker(workerUrl);
      let current = -1;
      const dispatch = () => {
        if (nextJob >= jobs.length) {
          void worker.terminate().then(() => resolve());
          return;
        }
        current = nextJob++;
        worker.postMessage(jobs[current]);
      };
      worker.on('message', (result: RunSeedResult) => {
        results.set(current, result);
        while (results.has(nextToReport)) {
          const ready = results.get(nextToReport)!;
          results.delete(nextToReport);
          nextToReport++;
          options.onResult(ready);
        }
        dispatch();
      });
      worker.on('error', reject);
      dispatch();
    });
  await Promise.all(Array.from({ length: workerCount }, runWorker));
}
