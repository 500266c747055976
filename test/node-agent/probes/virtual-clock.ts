/**
 * A `ProbeClock` the test moves by hand: timers fire in time order (ties in the order
 * they were set) as `advance` passes their time, and after each one the promises it
 * started are let run, so that a probe attempt finishing on a fake target is recorded
 * before the next timer fires.
 */
import type { ProbeClock } from '../../../node-agent/probes/probe-clock.js';

interface Timer {
  readonly atMs: number;
  readonly order: number;
  readonly callback: () => void;
}

export class VirtualClock implements ProbeClock {
  private nowMs = 0;
  private order = 0;
  private readonly timers = new Set<Timer>();

  now(): number {
    return this.nowMs;
  }

  schedule(delayMs: number, callback: () => void): () => void {
    const timer: Timer = { atMs: this.nowMs + Math.max(0, delayMs), order: this.order++, callback };
    this.timers.add(timer);
    return () => {
      this.timers.delete(timer);
    };
  }

  /** Timers set and neither fired nor cancelled. */
  get pendingTimers(): number {
    return this.timers.size;
  }

  /** Moves time forward by `ms`, firing every timer due on the way. */
  async advance(ms: number): Promise<void> {
    const targetMs = this.nowMs + ms;
    await settle();
    for (;;) {
      const next = this.nextDue(targetMs);
      if (next === undefined) break;
      this.timers.delete(next);
      this.nowMs = next.atMs;
      next.callback();
      await settle();
    }
    this.nowMs = targetMs;
  }

  async advanceSeconds(seconds: number): Promise<void> {
    await this.advance(seconds * 1000);
  }

  private nextDue(limitMs: number): Timer | undefined {
    let next: Timer | undefined;
    for (const timer of this.timers) {
      if (timer.atMs > limitMs) continue;
      if (next === undefined || timer.atMs < next.atMs || (timer.atMs === next.atMs && timer.order < next.order)) next = timer;
    }
    return next;
  }
}

/** Lets every promise chain started so far run to its next real wait. */
async function settle(): Promise<void> {
  for (let round = 0; round < 3; round++) await new Promise((resolve) => setImmediate(resolve));
}
