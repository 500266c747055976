/**
 * client-go's work queue series, by queue name, on a registry: `workqueue_depth`,
 * `workqueue_adds_total`, `workqueue_queue_duration_seconds` (waiting),
 * `workqueue_work_duration_seconds` (a key's handling: the controller's reconcile) and
 * `workqueue_retries_total`, so that kube-controller-manager's dashboards read Balsa's.
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import type { WorkQueueMetrics } from './work-queue.js';

/** client-go's buckets: 10^-8 to 10^1 seconds, a decade each. */
const DURATION_BUCKETS_SECONDS = Array.from({ length: 10 }, (_, i) => 10 ** (i - 8));

export class WorkQueueMetricsSet {
  private readonly depth: Gauge;
  private readonly adds: Counter;
  private readonly queueDuration: Histogram;
  private readonly workDuration: Histogram;
  private readonly retries: Counter;

  constructor(registry: Registry) {
    const common = { labelNames: ['name'], registers: [registry] };
    this.depth = new Gauge({ name: 'workqueue_depth', help: 'Current depth of workqueue', ...common });
    this.adds = new Counter({ name: 'workqueue_adds_total', help: 'Total number of adds handled by workqueue', ...common });
    this.queueDuration = new Histogram({
      name: 'workqueue_queue_duration_seconds',
      help: 'How long in seconds an item stays in workqueue before being requested.',
      buckets: DURATION_BUCKETS_SECONDS,
      ...common,
    });
    this.workDuration = new Histogram({
      name: 'workqueue_work_duration_seconds',
      help: 'How long in seconds processing an item from workqueue takes.',
      buckets: DURATION_BUCKETS_SECONDS,
      ...common,
    });
    this.retries = new Counter({ name: 'workqueue_retries_total', help: 'Total number of retries handled by workqueue', ...common });
  }

  /** The metrics of the queue called `name` (`replicaset`, `deployment`, ...). */
  forQueue(name: string): WorkQueueMetrics {
    const labels = { name };
    return {
      added: (depth) => {
        this.adds.inc(labels);
        this.depth.set(labels, depth);
      },
      taken: (queuedSeconds, depth) => {
        this.queueDuration.observe(labels, queuedSeconds);
        this.depth.set(labels, depth);
      },
      worked: (seconds) => this.workDuration.observe(labels, seconds),
      retried: () => this.retries.inc(labels),
    };
  }
}
