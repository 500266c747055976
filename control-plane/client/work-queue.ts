/**
 * The controllers' work queue, as Kubernetes' client-go has it: keys (`namespace/name`) to
 * reconcile, each
 * - de-duplicated: a key added many times before a worker takes it is handled once;
 * - never handled by two workers at once: a key added while it is being handled is handled
 *   again after, once;
 * - retried with per-key exponential back-off when its handler fails (`baseDelayMs`
 *   doubling to `maxDelayMs`), forgotten (back-off reset) when it succeeds;
 * - released no faster than `ratePerSecond` overall (a token bucket of `burst`), so a storm
 *   of failures cannot flood the API server.
 */

export interface WorkQueueOptions {
  /** First retry delay of a failing key (default 5 ms). */
  readonly baseDelayMs?: number;
  /** Longest retry delay (default 1,000 s, Kubernetes' default). */
  readonly maxDelayMs?: number;
  /** Keys released per second at most, over all keys (default 10). */
  readonly ratePerSecond?: number;
  /** Keys that may be released at once before the rate applies (default 100). */
  readonly burst?: number;
  /** The most keys waiting; adding past it throws (a bug: more objects than can exist). */
  readonly maxKeys?: number;
}

/**
 * What a queue tells a metrics system (client-go's workqueue metrics; `WorkQueueMetricsSet`
 * maps them to Prometheus). Set with `WorkQueue.instrument`.
 */
export interface WorkQueueMetrics {
  /** A key was queued (not a duplicate of one waiting); `depth`: keys now waiting. */
  added(depth: number): void;
  /** A worker took a key after it waited `queuedSeconds`; `depth`: keys still waiting. */
  taken(queuedSeconds: number, depth: number): void;
  /** A key's handling took `workSeconds` (its reconcile). */
  worked(workSeconds: number): void;
  /** A key failed and was queued again after its back-off. */
  retried(): void;
}

export const WORK_QUEUE_DEFAULTS = { baseDelayMs: 5, maxDelayMs: 1_000_000, ratePerSecond: 10, burst: 100, maxKeys: 1_000_000 } as const;

export class WorkQueue {
  private readonly options: Required<WorkQueueOptions>;
  /** Keys ready to be handled, in order. */
  private readonly ready: string[] = [];
  /** Keys waiting in `ready` or to be re-queued once their handling ends. */
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly waiters: (() => void)[] = [];
  private tokens: number;
  private lastRefill = Date.now();
  private refillTimer: NodeJS.Timeout | null = null;
  private shuttingDown = false;
  private metrics: WorkQueueMetrics | null = null;
  /** When each waiting key was queued (`performance.now()` ms), for the metrics. */
  private readonly queuedAt = new Map<string, number>();

  constructor(options: WorkQueueOptions = {}) {
    this.options = { ...WORK_QUEUE_DEFAULTS, ...options };
    if (!(this.options.ratePerSecond > 0) || !(this.options.burst >= 1)) throw new RangeError('ratePerSecond must be > 0 and burst ≥ 1');
    this.tokens = this.options.burst;
  }

  /** Report to `metrics` from now on (undefined: stop reporting). */
  instrument(metrics: WorkQueueMetrics | undefined): void {
    this.metrics = metrics ?? null;
  }

  /** Queues `key` now (no-op if it is already waiting). */
  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    if (this.dirty.size >= this.options.maxKeys) throw new Error(`work queue holds ${this.options.maxKeys} keys: refusing more`);
    this.dirty.add(key);
    this.queuedAt.set(key, performance.now());
    this.metrics?.added(this.dirty.size);
    if (this.processing.has(key)) return;
    this.ready.push(key);
    this.wakeOne();
  }

  /** Queues `key` after `delayMs` (a later call with a shorter delay wins). */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) return this.add(key);
    const existing = this.timers.get(key);
    if (existing !== undefined) clearTimeout(existing);
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        this.add(key);
      }, delayMs),
    );
  }

  /** Queues `key` after its back-off: `baseDelayMs × 2^(failures so far)`, at most `maxDelayMs`. */
  addRateLimited(key: string): void {
    const failures = this.failures.get(key) ?? 0;
    this.failures.set(key, failures + 1);
    this.metrics?.retried();
    this.addAfter(key, Math.min(this.options.baseDelayMs * 2 ** failures, this.options.maxDelayMs));
  }

  /** Resets `key`'s back-off (its last handling succeeded). */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** How many times `key` failed in a row. */
  retries(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  get length(): number {
    return this.ready.length;
  }

  /**
   * Runs `workers` loops that take keys and call `handle`: a key whose handler throws is
   * re-queued with back-off (and `onError` told), one that succeeds is forgotten. Resolves
   * when the queue is shut down and the keys in hand are done.
   */
  async run(workers: number, handle: (key: string) => Promise<void>, onError: (key: string, error: unknown) => void = () => {}): Promise<void> {
    const worker = async (): Promise<void> => {
      for (;;) {
        const key = await this.take();
        if (key === null) return;
        const started = performance.now();
        try {
          await handle(key);
          this.forget(key);
        } catch (error) {
          onError(key, error);
          this.addRateLimited(key);
        } finally {
          this.metrics?.worked((performance.now() - started) / 1000);
          this.done(key);
        }
      }
    };
    await Promise.all(Array.from({ length: workers }, worker));
  }

  /** Stops handing out keys; `run` resolves once the keys in hand are done. */
  shutdown(): void {
    this.shuttingDown = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    if (this.refillTimer !== null) clearTimeout(this.refillTimer);
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** The next key (rate permitting), or null once shut down. */
  private async take(): Promise<string | null> {
    for (;;) {
      if (this.shuttingDown) return null;
      if (this.ready.length > 0 && this.takeToken()) {
        const key = this.ready.shift()!;
        this.dirty.delete(key);
        this.processing.add(key);
        const queuedAt = this.queuedAt.get(key);
        this.queuedAt.delete(key);
        if (queuedAt !== undefined) this.metrics?.taken((performance.now() - queuedAt) / 1000, this.dirty.size);
        return key;
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  private done(key: string): void {
    this.processing.delete(key);
    // Added again while it was handled: handle it once more.
    if (this.dirty.has(key) && !this.shuttingDown) {
      this.ready.push(key);
      this.wakeOne();
    }
  }

  private takeToken(): boolean {
    const now = Date.now();
    this.tokens = Math.min(this.options.burst, this.tokens + ((now - this.lastRefill) / 1000) * this.options.ratePerSecond);
    this.lastRefill = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    // Out of tokens: wake a worker when the next one is due.
    if (this.refillTimer === null) {
      this.refillTimer = setTimeout(() => {
        this.refillTimer = null;
        this.wakeOne();
      }, Math.ceil(((1 - this.tokens) / this.options.ratePerSecond) * 1000));
    }
    return false;
  }

  private wakeOne(): void {
    this.waiters.shift()?.();
  }
}
