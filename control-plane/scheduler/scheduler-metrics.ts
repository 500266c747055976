/**
 * kube-scheduler's series, on a registry: `scheduler_schedule_attempts_total{result,profile}`
 * (scheduled once bound; unschedulable; error: a plugin or the binding failed),
 * `scheduler_e2e_scheduling_duration_seconds{result,profile}` (from taking the pod off the
 * queue to its binding's answer), `scheduler_scheduling_algorithm_duration_seconds` (the
 * decision alone) and `scheduler_pending_pods{queue}` (active, backoff, unschedulable), read
 * from the scheduler leading in this process when scraped (0 while none does).
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import type { QueueCounts } from './scheduling-queue.js';

export type ScheduleResult = 'scheduled' | 'unschedulable' | 'error';

/** kube-scheduler's buckets: 1 ms doubling 15 times. */
const LATENCY_BUCKETS_SECONDS = Array.from({ length: 15 }, (_, i) => 0.001 * 2 ** i);

export class SchedulerMetrics {
  private readonly attempts: Counter;
  private readonly e2e: Histogram;
  private readonly algorithm: Histogram;
  private queue: (() => QueueCounts) | null = null;

  constructor(registry: Registry) {
    const registers = [registry];
    this.attempts = new Counter({
      name: 'scheduler_schedule_attempts_total',
      help: 'Number of attempts to schedule pods, by the result.',
      labelNames: ['result', 'profile'],
      registers,
    });
    this.e2e = new Histogram({
      name: 'scheduler_e2e_scheduling_duration_seconds',
      help: 'E2e scheduling latency in seconds (scheduling algorithm + binding).',
      labelNames: ['result', 'profile'],
      buckets: LATENCY_BUCKETS_SECONDS,
      registers,
    });
    this.algorithm = new Histogram({ name: 'scheduler_scheduling_algorithm_duration_seconds', help: 'Scheduling algorithm latency in seconds.', buckets: LATENCY_BUCKETS_SECONDS, registers });
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the gauge's collect callback is called with the gauge as `this`
    const metrics = this;
    new Gauge({
      name: 'scheduler_pending_pods',
      help: 'Number of pending pods, by the queue type.',
      labelNames: ['queue'],
      registers,
      collect(this: Gauge) {
        const counts = metrics.queue?.() ?? { active: 0, backoff: 0, unschedulable: 0 };
        this.set({ queue: 'active' }, counts.active);
        this.set({ queue: 'backoff' }, counts.backoff);
        this.set({ queue: 'unschedulable' }, counts.unschedulable);
      },
    });
  }

  /** The scheduler running now reads its queue from `counts` (null: none runs). */
  observeQueue(counts: (() => QueueCounts) | null): void {
    this.queue = counts;
  }

  /** One attempt ended with `result`, `seconds` after the pod left the queue. */
  attempted(result: ScheduleResult, profile: string, seconds: number): void {
    this.attempts.inc({ result, profile });
    this.e2e.observe({ result, profile }, seconds);
  }

  decided(seconds: number): void {
    this.algorithm.observe(seconds);
  }
}
