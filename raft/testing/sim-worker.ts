/**
 * A worker thread of the simulation pool: runs the seeds it is sent, one at a time, and
 * posts each result back.
 */
import { parentPort } from 'node:worker_threads';
import { runSeed } from './simulator.js';
import type { RunSeedOptions } from './simulator.js';

export type WorkerJob = Omit<RunSeedOptions, 'trace'>;

const port = parentPort;
if (port === null) throw new Error('sim-worker must run in a worker thread');
port.on('message', (job: WorkerJob) => {
  port.postMessage(runSeed(job));
});
