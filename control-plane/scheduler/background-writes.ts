/**
 * Writes the scheduling loop must not wait for (a pod's `PodScheduled=False` condition, the
 * `Scheduled` and `FailedScheduling` events): queued, run a few at a time, in order. The
 * queue is bounded: past `maxQueued` a write is dropped and counted (these are reports for
 * people, and the next attempt of the pod writes them again), never the scheduling slowed.
 */
import { BACKGROUND_WRITES_CONCURRENCY, BACKGROUND_WRITES_QUEUED_MAX } from './constants.js';

export class BackgroundWrites {
  private readonly queued: { readonly what: string; readonly write: () => Promise<unknown> }[] = [];
  private running = 0;
  private idleWaiters: (() => void)[] = [];
  /** Writes dropped because the queue was full. */
  dropped = 0;
  /** Writes that failed (logged). */
  failed = 0;

  constructor(
    private readonly log: (line: string) => void,
    private readonly concurrency = BACKGROUND_WRITES_CONCURRENCY,
    private readonly maxQueued = BACKGROUND_WRITES_QUEUED_MAX,
  ) {
    if (!(concurrency >= 1 && maxQueued >= 0)) throw new RangeError('background writes need a concurrency ≥ 1 and a queue ≥ 0');
  }

  /** Queues `write` (described by `what` in logs). */
  submit(what: string, write: () => Promise<unknown>): void {
    if (this.queued.length >= this.maxQueued) {
      this.dropped++;
      if (this.dropped === 1 || this.dropped % 1000 === 0) this.log(`scheduler: background writes queue full: ${this.dropped} dropped so far (latest: ${what})`);
      return;
    }
    this.queued.push({ what, write });
    this.pump();
  }

  get pending(): number {
    return this.queued.length + this.running;
  }

  /** Resolves when nothing is queued or running, or after `timeoutMs` (what is left is dropped). */
  async drain(timeoutMs: number): Promise<void> {
    if (this.pending === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => this.idleWaiters.push(resolve)),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]);
    clearTimeout(timer);
    this.dropped += this.queued.splice(0).length;
  }

  private pump(): void {
    while (this.running < this.concurrency && this.queued.length > 0) {
      const { what, write } = this.queued.shift()!;
      this.running++;
      write()
        .catch((error: unknown) => {
          this.failed++;
          this.log(`scheduler: ${what} failed: ${(error as Error).message}`);
        })
        .finally(() => {
          this.running--;
          this.pump();
          if (this.pending === 0) for (const wake of this.idleWaiters.splice(0)) wake();
        });
    }
  }
}
