/**
 * The controller manager: the controllers of one process over one set of shared informers.
 * `start()` registers every controller's handlers, starts the informers and waits for their
 * first lists; `stop()` stops the controllers and the informers. Leader election (one active
 * controller manager per cluster) wraps it from outside (`LeaderElectedRunner`).
 */
import { EventRecorder } from '../client/event-recorder.js';
import type { GrpcApiClient } from '../client/grpc-api-client.js';
import { InformerFactory } from '../client/informer-factory.js';
import type { WorkQueueMetrics } from '../client/work-queue.js';
import type { Controller, ControllerContext } from './controller.js';

export interface ControllerManagerOptions {
  readonly client: GrpcApiClient;
  readonly controllers: readonly Controller[];
  readonly log?: (line: string) => void;
  readonly now?: () => Date;
  /** The controllers' work queues report here, by queue name (default: not measured). */
  readonly queueMetrics?: (queueName: string) => WorkQueueMetrics;
}

export class ControllerManager {
  private readonly informers: InformerFactory;
  private readonly started: Controller[] = [];

  constructor(private readonly options: ControllerManagerOptions) {
    this.informers = new InformerFactory(options.client, options.log);
  }

  async start(): Promise<void> {
    const log = this.options.log ?? (() => {});
    const context: ControllerContext = {
      client: this.options.client,
      informers: this.informers,
      recorder: (component) => new EventRecorder(this.options.client, component, log),
      log,
      now: this.options.now ?? (() => new Date()),
      ...(this.options.queueMetrics !== undefined ? { queueMetrics: this.options.queueMetrics } : {}),
    };
    // Each controller asks for its informers first thing in start(), before awaiting their sync.
    const starting = this.options.controllers.map(async (controller) => {
      await controller.start(context);
      this.started.push(controller);
    });
    await Promise.all([this.informers.start(), ...starting]);
  }

  async stop(): Promise<void> {
    await Promise.all(this.started.splice(0).map((controller) => controller.stop()));
    this.informers.stop();
  }
}
