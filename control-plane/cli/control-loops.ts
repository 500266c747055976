/**
 * The control loops of a Balsa control plane — the scheduler and the controller manager —
 * each run under leader election (leases `balsa-scheduler` and `balsa-controller-manager`
 * in `kube-system`), so that every `balsa server` (or `balsa scheduler`,
 * `balsa controller-manager`) may run them and exactly one of each is active at a time,
 * a standby taking over when the active one dies.
 */
import { hostname } from 'node:os';
import type { Registry } from 'prom-client';
import { GrpcApiClient } from '../client/grpc-api-client.js';
import type { ClientCredentials } from '../client/client-credentials.js';
import { EventRecorder } from '../client/event-recorder.js';
import { InformerFactory } from '../client/informer-factory.js';
import { LeaderElectedRunner } from '../client/leader-elected-runner.js';
import { WorkQueueMetricsSet } from '../client/work-queue-metrics.js';
import type { Controller } from '../controllers/controller.js';
import { ControllerManager } from '../controllers/controller-manager.js';
import {
  DeploymentController,
  EndpointsController,
  GarbageCollector,
  NamespaceController,
  NodeLifecycleController,
  PodGcController,
  ReplicaSetController,
} from '../controllers/index.js';
import { Scheduler, SchedulerMetrics } from '../scheduler/index.js';

/** The controllers by name, as `--controllers` takes them. */
export const CONTROLLER_NAMES = ['replicaset', 'deployment', 'endpoints', 'nodelifecycle', 'garbagecollector', 'namespace', 'podgc'] as const;
export type ControllerName = (typeof CONTROLLER_NAMES)[number];

export const SCHEDULER_LEASE = 'balsa-scheduler';
export const CONTROLLER_MANAGER_LEASE = 'balsa-controller-manager';

export interface ControllerSettings {
  /** Which controllers run (default all). */
  readonly controllers?: readonly ControllerName[];
  /** A node silent this long is NotReady/Unknown (default 40 s). */
  readonly nodeMonitorGracePeriodSeconds?: number;
  /** Pods stay this long on an unreachable node before eviction (default 300 s). */
  readonly podEvictionTimeoutSeconds?: number;
}

export interface LeaseSettings {
  readonly leaseDurationSeconds?: number;
  readonly renewDeadlineMs?: number;
  readonly retryPeriodMs?: number;
}

export interface ControlLoopsOptions {
  /** The API server's gRPC address (`host:port`). */
  readonly apiGrpcAddress: string;
  /** How the loops authenticate (in `balsa server`: the API server's loopback token). */
  readonly credentials?: ClientCredentials;
  readonly scheduler: boolean;
  readonly controllerManager: boolean;
  readonly controllerSettings?: ControllerSettings;
  readonly lease?: LeaseSettings;
  /** Unique among the candidates (default `<host>_<pid>`). */
  readonly identity?: string;
  /** Told what the loops do; `fields.component` says which (`scheduler`, `controller-manager`). */
  readonly log?: (line: string, fields?: Readonly<Record<string, string>>) => void;
  /** Where the scheduler's and the work queues' series go (default: not measured). */
  readonly metricsRegistry?: Registry;
}

export interface ControlLoops {
  readonly scheduler: LeaderElectedRunner | null;
  readonly controllerManager: LeaderElectedRunner | null;
  stop(): Promise<void>;
}

/** `--controllers` as people write it: `all` (default), `none`, or a comma list of names. */
export function parseControllerNames(value: string): ControllerName[] {
  const text = value.trim();
  if (text === '' || text === 'all' || text === '*') return [...CONTROLLER_NAMES];
  if (text === 'none') return [];
  const names = text.split(',').map((name) => name.trim());
  for (const name of names) {
    if (!(CONTROLLER_NAMES as readonly string[]).includes(name)) throw new Error(`unknown controller "${name}": known are ${CONTROLLER_NAMES.join(', ')}`);
  }
  return names as ControllerName[];
}

export function makeControllers(settings: ControllerSettings = {}): Controller[] {
  const chosen = new Set(settings.controllers ?? CONTROLLER_NAMES);
  const make: Record<ControllerName, () => Controller> = {
    replicaset: () => new ReplicaSetController(),
    deployment: () => new DeploymentController(),
    endpoints: () => new EndpointsController(),
    nodelifecycle: () =>
      new NodeLifecycleController({
        ...(settings.nodeMonitorGracePeriodSeconds !== undefined ? { nodeMonitorGracePeriodSeconds: settings.nodeMonitorGracePeriodSeconds } : {}),
        ...(settings.podEvictionTimeoutSeconds !== undefined ? { podEvictionTimeoutSeconds: settings.podEvictionTimeoutSeconds } : {}),
      }),
    garbagecollector: () => new GarbageCollector(),
    namespace: () => new NamespaceController(),
    podgc: () => new PodGcController(),
  };
  return CONTROLLER_NAMES.filter((name) => chosen.has(name)).map((name) => make[name]());
}

export function startControlLoops(options: ControlLoopsOptions): ControlLoops {
  const logTo = options.log ?? (() => {});
  const log = (line: string): void => logTo(line, { component: 'leader-election' });
  const schedulerLog = (line: string): void => logTo(line, { component: 'scheduler' });
  const controllersLog = (line: string): void => logTo(line, { component: 'controller-manager' });
  const client = new GrpcApiClient(options.apiGrpcAddress, options.credentials);
  const identity = options.identity ?? `${hostname()}_${process.pid}`;
  const common = { client, identity, log, ...(options.lease ?? {}) };
  const registry = options.metricsRegistry;
  const schedulerMetrics = registry !== undefined && options.scheduler ? new SchedulerMetrics(registry) : undefined;
  const queueMetrics = registry !== undefined && options.controllerManager ? new WorkQueueMetricsSet(registry) : undefined;
  const scheduler = options.scheduler
    ? new LeaderElectedRunner({
        ...common,
        name: SCHEDULER_LEASE,
        start: async () => {
          const informers = new InformerFactory(client, schedulerLog);
          const running = new Scheduler({
            client,
            informers,
            recorder: new EventRecorder(client, 'default-scheduler', schedulerLog),
            log: schedulerLog,
            ...(schedulerMetrics !== undefined ? { metrics: schedulerMetrics } : {}),
          });
          await Promise.all([informers.start(), running.start()]);
          schedulerLog(`scheduler: ${identity} is scheduling`);
          return {
            stop: async () => {
              await running.stop();
              informers.stop();
            },
          };
        },
      })
    : null;
  const controllerManager = options.controllerManager
    ? new LeaderElectedRunner({
        ...common,
        name: CONTROLLER_MANAGER_LEASE,
        start: async () => {
          const manager = new ControllerManager({
            client,
            controllers: makeControllers(options.controllerSettings),
            log: controllersLog,
            ...(queueMetrics !== undefined ? { queueMetrics: (name: string) => queueMetrics.forQueue(name) } : {}),
          });
          await manager.start();
          controllersLog(`controller manager: ${identity} is running the controllers`);
          return manager;
        },
      })
    : null;
  scheduler?.start();
  controllerManager?.start();
  return {
    scheduler,
    controllerManager,
    async stop() {
      await Promise.all([scheduler?.stop(), controllerManager?.stop()]);
      client.close();
    },
  };
}
