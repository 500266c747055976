/**
 * What every controller of the controller manager is: handlers on shared informers that only
 * enqueue keys, and a level-triggered, idempotent `reconcile(key)` run by workers from its
 * own `WorkQueue` (read from the caches, create what is missing, fix drift, write status
 * last). The manager starts the informers, then each controller, once it leads.
 */
import type { EventRecorder } from '../client/event-recorder.js';
import type { GrpcApiClient } from '../client/grpc-api-client.js';
import type { InformerFactory } from '../client/informer-factory.js';
import type { Informer } from '../client/informer.js';
import type { WorkQueueMetrics } from '../client/work-queue.js';

export interface ControllerContext {
  readonly client: GrpcApiClient;
  /** Shared caches: ask for informers in `start` before awaiting anything. */
  readonly informers: InformerFactory;
  /** Makes an event recorder for a component name (`replicaset-controller`). */
  readonly recorder: (component: string) => EventRecorder;
  readonly log: (line: string) => void;
  /** The clock controllers judge time by (tests move it). */
  readonly now: () => Date;
  /** The metrics of the work queue named so (kube-controller-manager's queue names); absent: not measured. */
  readonly queueMetrics?: (queueName: string) => WorkQueueMetrics;
}

export interface Controller {
  /** `replicaset`, `deployment`, `endpoints`, ... (also the `--controllers` name). */
  readonly name: string;
  /**
   * Registers informer handlers (synchronously, before the factory starts) and starts the
   * workers. Resolves once running.
   */
  start(context: ControllerContext): Promise<void>;
  /** Stops the workers (the work in hand finishes) and every timer. */
  stop(): Promise<void>;
}

/**
 * A controller's work, started once all its caches have listed — never before: acting on a
 * half-listed cache would create what exists, or take an owner not listed yet for gone —
 * and not at all if `stop()` comes first (the API server may be gone, the caches never fill).
 */
export class WorkAfterSync {
  private wake: () => void = () => {};
  private running: Promise<void> | null = null;
  private stopped = false;

  get started(): boolean {
    return this.running !== null;
  }

  /** Starts `work` once every one of `informers` has listed. */
  start(informers: readonly Informer[], work: () => Promise<void>): void {
    const stop = new Promise<void>((resolve) => (this.wake = resolve));
    const synced = Promise.all(informers.map((informer) => informer.waitForSync()));
    this.running = Promise.race([synced, stop]).then(() => (this.stopped ? undefined : work()));
  }

  /** Ends the wait, or waits for the work to end (shut its queues down first). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.running;
  }
}
