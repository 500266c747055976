/**
 * A control plane for controller tests: a one-member Balsa KV (a real process), an
 * in-process API server over it, a gRPC client, shared informers, and whatever controllers
 * a test starts on them, as the controller manager would run them. No scheduler and no node
 * agent: tests that need pods bound, running and ready start a `FakeNodeAgent`.
 *
 * One control plane per test file (in `beforeAll`); each test works in a namespace of its
 * own (`namespace()`), since the controllers watch every namespace.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resourceByName } from '../../../../control-plane/api/resources.js';
import { ApiServer } from '../../../../control-plane/apiserver/api-server.js';
import { EventRecorder } from '../../../../control-plane/client/event-recorder.js';
import { GrpcApiClient } from '../../../../control-plane/client/grpc-api-client.js';
import { InformerFactory } from '../../../../control-plane/client/informer-factory.js';
import type { WorkQueueOptions } from '../../../../control-plane/client/work-queue.js';
import type { Controller, ControllerContext } from '../../../../control-plane/controllers/controller.js';
import { eventually } from '../../../support/eventually.js';
import { startKvCluster } from '../../../support/kv-cluster.js';
import type { KvCluster } from '../../../support/kv-cluster.js';
import { laggingClient } from './lagging-client.js';

const NAMESPACES = resourceByName('namespaces')!;

/**
 * Work-queue settings for tests: no global rate limit to speak of, and back-off capped at a
 * second, so that a retried key does not outlast a test.
 */
export const TEST_QUEUE_OPTIONS: WorkQueueOptions = { ratePerSecond: 10_000, burst: 10_000, baseDelayMs: 5, maxDelayMs: 1_000 };

export interface ControlPlaneOptions {
  /** Where controller and informer logs go (default: kept in `logs`; `BALSA_TEST_LOG=1` prints them). */
  readonly log?: (line: string) => void;
  /**
   * Make the shared informers' caches trail the API server by this long (ms): controllers
   * then work from a stale cache, as they must tolerate (see `laggingClient`). Default 0.
   */
  readonly cacheLagMs?: number;
}

export interface StartControllersOptions {
  /** The context's clock (default the real one). */
  readonly now?: () => Date;
}

export interface ControlPlane {
  readonly cluster: KvCluster;
  readonly api: ApiServer;
  /** The API server's HTTP+JSON URL (for the CLI: `BALSA_SERVER`). */
  readonly url: string;
  readonly client: GrpcApiClient;
  /** Shared by every controller started here; started with the first controllers. */
  readonly informers: InformerFactory;
  /** Lines the controllers and informers logged. */
  readonly logs: string[];
  /** Starts `controllers` on this control plane's informers; they are stopped by `stop()`. */
  startControllers(controllers: readonly Controller[], options?: StartControllersOptions): Promise<void>;
  /** Creates a fresh namespace (`<prefix>-<n>`) and answers its name. */
  namespace(prefix?: string): Promise<string>;
  /** Stops the controllers, informers, client, API server and KV, and removes the data. Idempotent. */
  stop(): Promise<void>;
}

export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const dir = await mkdtemp(join(tmpdir(), 'balsa-controllers-'));
  const logs: string[] = [];
  const log = (line: string): void => {
    logs.push(line);
    options.log?.(line);
    if (process.env.BALSA_TEST_LOG) console.log(line);
  };
  let cluster: KvCluster | undefined;
  let api: ApiServer | undefined;
  try {
    cluster = await startKvCluster({ members: 1, dir });
    api = await ApiServer.start({ kvEndpoints: cluster.clientEndpoints, httpPort: 0, grpcPort: 0, log });
  } catch (error) {
    await api?.stop();
    await cluster?.stop();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const started = api;
  await eventually(() => started.ready());
  const client = new GrpcApiClient(api.grpc.address);
  const informers = new InformerFactory((options.cacheLagMs ?? 0) > 0 ? laggingClient(client, options.cacheLagMs!) : client, log);
  const controllers: Controller[] = [];
  let informersStarted = false;
  let namespaces = 0;
  let stopped = false;
  const kvCluster = cluster;
  return {
    cluster: kvCluster,
    api,
    url: api.http.url,
    client,
    informers,
    logs,
    async startControllers(toStart, startOptions = {}) {
      const context: ControllerContext = {
        client,
        informers,
        recorder: (component) => new EventRecorder(client, component, log),
        log,
        now: startOptions.now ?? (() => new Date()),
      };
      // Handlers first (synchronously in `start`), then the informers: no event is missed.
      for (const controller of toStart) {
        await controller.start(context);
        controllers.push(controller);
      }
      if (!informersStarted) {
        informersStarted = true;
        await informers.start();
      }
    },
    async namespace(prefix = 'test') {
      const name = `${prefix}-${++namespaces}`;
      await client.create(NAMESPACES, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
      return name;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await Promise.all(controllers.map((controller) => controller.stop()));
      informers.stop();
      client.close();
      await started.stop();
      await kvCluster.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
