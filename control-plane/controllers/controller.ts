/**
 * What every controller of the controller manager is: handlers on shared informers that only
 * enqueue keys, and a level-triggered, idempotent `reconcile(key)` run by workers from its
 * own `WorkQueue` (read from the caches, create what is missing, fix drift, write status
 * last). The manager starts the informers, then each controller, once it leads.
 */
import type { EventRecorder } from '../client/event-recorder.js';
import type { GrpcApiClient } from '../client/grpc-api-client.js';
import type { InformerFactory } from '../client/informer-factory.js';

export interface ControllerContext {
  readonly client: GrpcApiClient;
  /** Shared caches: ask for informers in `start` before awaiting anything. */
  readonly informers: InformerFactory;
  /** Makes an event recorder for a component name (`replicaset-controller`). */
  readonly recorder: (component: string) => EventRecorder;
  readonly log: (line: string) => void;
  /** The clock controllers judge time by (tests move it). */
  readonly now: () => Date;
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
