/**
 * The pods of this node: watches the pods bound to it (a field selector on `spec.nodeName`)
 * and, one by one, the ConfigMaps and Secrets they refer to (`config-watches.ts`), keeps one `PodWorker` per pod (by uid: a pod
 * deleted and made again under the same name is another pod), and routes to it every change
 * of its object, its containers' exits and its configuration.
 *
 * At start it takes over what an earlier run of the agent left: containers of pods still
 * bound here are adopted as they are (running ones keep running, restart counts continue
 * from their attempt numbers); containers, host ports, volumes and logs of pods that are
 * gone are removed.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { resourceByName } from '../control-plane/api/resources.js';
import type { ApiObject } from '../control-plane/api/types.js';
import { Informer } from '../control-plane/client/informer.js';
import type { GrpcApiClient } from '../control-plane/client/grpc-api-client.js';
import type { ContainerSample } from './agent-metrics.js';
import { ConfigWatches } from './config-watches.js';
import { MINIMUM_STOP_GRACE_SECONDS } from './constants.js';
import type { PodIdentity } from './pod-paths.js';
import { PodWorker } from './pod-worker.js';
import type { PodWorkerContext } from './pod-worker.js';
import type { ContainerInfo } from './runtime/container-runtime.js';

const PODS = resourceByName('pods')!;

export type PodManagerContext = Omit<PodWorkerContext, 'sources' | 'terminated'> & { readonly nodeName: string };

export class PodManager {
  private readonly pods: Informer;
  private readonly configs: ConfigWatches;
  private readonly workers = new Map<string, PodWorker>();
  private readonly workerContext: PodWorkerContext;
  private stopped = false;

  constructor(
    client: GrpcApiClient,
    private readonly context: PodManagerContext,
  ) {
    const log = context.log;
    this.pods = new Informer(client, PODS, { fieldSelector: `spec.nodeName=${context.nodeName}`, log });
    this.configs = new ConfigWatches(client, (namespace) => this.configChanged(namespace), log);
    this.workerContext = {
      ...context,
      sources: this.configs,
      terminated: (uid) => {
        this.workers.delete(uid);
        this.configs.untrack(uid);
      },
    };
  }

  /** Lists what the runtime has, starts watching, adopts or cleans up, then converges every pod. */
  async start(): Promise<void> {
    const leftovers = await this.context.runtime.list();
    this.context.runtime.onExit((info) => this.workers.get(info.podUid)?.containerExited(info));
    await this.pods.start();
    // What the pods refer to is in hand before their workers first look at it.
    await Promise.all(this.pods.list().map((pod) => this.configs.track(pod)));
    if (this.stopped) return;
    const known = new Set<string>();
    for (const pod of this.pods.list()) {
      known.add(pod.metadata.uid!);
      const worker = this.ensureWorker(pod);
      const ports = worker.adopt(leftovers.filter((info) => info.podUid === pod.metadata.uid));
      await this.context.ports.adopt(pod.metadata.uid!, ports);
    }
    await this.removeLeftovers(leftovers, known);
    this.pods.on({
      add: (pod) => {
        void this.configs.track(pod);
        this.ensureWorker(pod).update(pod);
      },
      update: (old, pod) => {
        if (old.metadata.uid !== pod.metadata.uid) this.workers.get(old.metadata.uid!)?.update(undefined);
        void this.configs.track(pod);
        this.ensureWorker(pod).update(pod);
      },
      delete: (pod) => this.workers.get(pod.metadata.uid!)?.update(undefined),
    });
    // A pod deleted while the leftovers were cleaned up was never announced to its worker.
    const present = new Set(this.pods.list().map((pod) => pod.metadata.uid!));
    for (const worker of this.workers.values()) if (!present.has(worker.uid)) worker.update(undefined);
  }

  /** The worker of the pod named so, if this node runs it. */
  /** Every pod worker's containers (for the metrics). */
  containerSamples(): ContainerSample[] {
    return [...this.workers.values()].flatMap((worker) => worker.containerSamples());
  }

  worker(namespace: string, name: string): PodWorker | undefined {
    const pod = this.pods.getByName(namespace, name);
    if (pod !== undefined) return this.workers.get(pod.metadata.uid!);
    return [...this.workers.values()].find((worker) => worker.namespace === namespace && worker.name === name);
  }

  /** Stops watching and every worker; with `stopContainers`, their running containers are stopped gracefully. */
  async stop(stopContainers: boolean): Promise<void> {
    this.stopped = true;
    this.pods.stop();
    this.configs.stop();
    await Promise.all([...this.workers.values()].map((worker) => worker.shutdown(stopContainers)));
  }

  private ensureWorker(pod: ApiObject): PodWorker {
    let worker = this.workers.get(pod.metadata.uid!);
    if (worker === undefined) {
      worker = new PodWorker(this.workerContext, pod);
      this.workers.set(pod.metadata.uid!, worker);
    }
    return worker;
  }

  private configChanged(namespace: string): void {
    for (const worker of this.workers.values()) if (worker.namespace === namespace) worker.requestSync();
  }

  /** What an earlier run left for pods that are no longer bound here: containers, ports, volumes, logs. */
  private async removeLeftovers(leftovers: readonly ContainerInfo[], known: ReadonlySet<string>): Promise<void> {
    for (const info of leftovers) {
      if (known.has(info.podUid)) continue;
      this.context.log(`removing container ${info.id} of ${info.podNamespace}/${info.podName}: the pod is no longer bound to this node`);
      if (info.state === 'running') await this.context.runtime.stop(info.id, MINIMUM_STOP_GRACE_SECONDS);
      await this.context.runtime.remove(info.id);
    }
    for (const uid of this.context.ports.podUids) if (!known.has(uid)) await this.context.ports.release(uid);
    for (const root of ['pods', 'volumes']) {
      const dir = join(this.context.paths.dataDir, root);
      for (const entry of await readdir(dir).catch(() => [] as string[])) {
        const identity = parsePodDir(entry);
        if (identity !== undefined && !known.has(identity.uid)) await rm(join(dir, entry), { recursive: true, force: true });
      }
    }
  }
}

function parsePodDir(entry: string): PodIdentity | undefined {
  const parts = entry.split('_');
  return parts.length === 3 ? { namespace: parts[0]!, name: parts[1]!, uid: parts[2]! } : undefined;
}
