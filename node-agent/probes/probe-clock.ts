/**
 * The time the probes run on: the prober schedules attempts and each attempt its deadline
 * through a `ProbeClock`, so that tests drive them on a virtual clock, deterministic and
 * fast, while the agent uses `realProbeClock`.
 */
import { performance } from 'node:perf_hooks';

export interface ProbeClock {
  /** Milliseconds on a monotonic scale (only differences are meaningful). */
  now(): number;
  /**
   * Calls `callback` once, `delayMs` from now (at once-ish for 0). Returns the cancel
   * function: after it, the callback never runs; calling it again does nothing.
   */
  schedule(delayMs: number, callback: () => void): () => void;
}

/** Node's timers and `performance.now()`. */
export const realProbeClock: ProbeClock = {
  now: () => performance.now(),
  schedule(delayMs, callback) {
    const timer = setTimeout(callback, Math.max(0, delayMs));
    return () => clearTimeout(timer);
  },
};
