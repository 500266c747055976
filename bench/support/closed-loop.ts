/**
 * A closed-loop load: `workers` concurrent loops, each issuing one operation, waiting for
 * it, and issuing the next, for a warm-up and then a measured window. The window opens
 * when the warm-up time is over and every worker has finished at least one operation
 * (under a heavy load the first answers can take longer than the warm-up). Only
 * operations that complete inside the window count, and the throughput is their number
 * over the window's measured length; workers stop issuing when the window closes and the
 * run ends once the operations still in flight have finished (they are not counted).
 *
 * Latency is taken per operation with `process.hrtime.bigint()`. A failed operation is
 * counted by its error's name and message (the first few kinds are kept) and its worker
 * waits a little before the next one, so that a server that refuses everything at once
 * cannot starve the event loop (and with it the timers that close the window).
 */
import { LatencyHistogram } from './latency-histogram.js';
import type { LatencySummary } from './latency-histogram.js';

/** A worker pauses this long after a failed operation. */
const ERROR_PAUSE_MS = 5;
/** Distinct error kinds kept (the rest are counted under their kind "other"). */
const ERROR_KINDS_MAX = 8;

export interface ClosedLoopOptions {
  readonly workers: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** One operation of worker `worker` (0-based), its `seq`-th (0-based). */
  readonly operation: (worker: number, seq: number) => Promise<void>;
  /** Called when the measured window opens and closes (to sample the servers' CPU time). */
  readonly onWindowOpen?: () => void;
  readonly onWindowClose?: () => void;
}

export interface ClosedLoopResult {
  /** Operations completed inside the window. */
  readonly ops: number;
  /** Operations that failed inside the window. */
  readonly errors: number;
  /** Failures inside the window by kind (`Name: message`), at most `ERROR_KINDS_MAX` kinds. */
  readonly errorKinds: Readonly<Record<string, number>>;
  /** The window's measured length, in seconds. */
  readonly measuredS: number;
  readonly opsPerS: number;
  readonly latencyMs: LatencySummary;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function runClosedLoop(options: ClosedLoopOptions): Promise<ClosedLoopResult> {
  if (!Number.isSafeInteger(options.workers) || options.workers < 1) throw new RangeError(`workers must be a positive integer, got ${options.workers}`);
  const histogram = new LatencyHistogram();
  const errorKinds: Record<string, number> = {};
  let phase: 'warmup' | 'measuring' | 'done' = 'warmup';
  let errors = 0;
  let openedAt = 0n;
  let closedAt = 0n;

  let warmupOver = false;
  let warmedWorkers = 0;
  let closeWindow!: () => void;
  const windowClosed = new Promise<void>((resolve) => (closeWindow = resolve));
  // The window opens once the warm-up time is over and every worker has finished its first
  // operation (its connection is up, its first request served): a steady state, not a ramp.
  const maybeOpenWindow = () => {
    if (phase !== 'warmup' || !warmupOver || warmedWorkers < options.workers) return;
    options.onWindowOpen?.();
    openedAt = process.hrtime.bigint();
    phase = 'measuring';
    setTimeout(() => {
      closedAt = process.hrtime.bigint();
      phase = 'done';
      options.onWindowClose?.();
      closeWindow();
    }, options.durationMs);
  };
  setTimeout(() => {
    warmupOver = true;
    maybeOpenWindow();
  }, options.warmupMs);

  const countError = (error: unknown) => {
    errors++;
    const kind = error instanceof Error ? `${error.name}: ${error.message.split('\n')[0]}` : String(error);
    const key = kind in errorKinds || Object.keys(errorKinds).length < ERROR_KINDS_MAX ? kind : 'other';
    errorKinds[key] = (errorKinds[key] ?? 0) + 1;
  };

  const worker = async (index: number): Promise<void> => {
    for (let seq = 0; phase !== 'done'; seq++) {
      const began = process.hrtime.bigint();
      let failed = false;
      try {
        await options.operation(index, seq);
        if (phase === 'measuring') histogram.record(Number(process.hrtime.bigint() - began) / 1e6);
      } catch (error) {
        if (phase === 'measuring') countError(error);
        failed = true;
      }
      if (seq === 0) {
        warmedWorkers++;
        maybeOpenWindow();
      }
      if (failed) await sleep(ERROR_PAUSE_MS);
    }
  };

  const workers = Array.from({ length: options.workers }, (_, i) => worker(i));
  await windowClosed;
  await Promise.all(workers);
  const measuredS = Number(closedAt - openedAt) / 1e9;
  return {
    ops: histogram.count,
    errors,
    errorKinds,
    measuredS,
    opsPerS: histogram.count / measuredS,
    latencyMs: histogram.summary(),
  };
}
