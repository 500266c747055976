/**
 * The namespace controller: empties a namespace marked for deletion, then lets it go.
 *
 * The API server keeps a deleted namespace (`deletionTimestamp`, phase `Terminating`) while
 * its `spec.finalizers` holds `kubernetes`, and refuses new content in it. On each pass this
 * controller deletes every object of every namespaced kind in it (background propagation,
 * as Kubernetes' does), counts what remains (objects waiting for finalizers, pods in their
 * grace period), writes Kubernetes' deletion conditions to the namespace's status, and, once
 * nothing remains, removes `kubernetes` from `spec.finalizers`: the API server then removes
 * the namespace (unless `metadata.finalizers` still holds it).
 *
 * A pod bound to a node is only marked by a delete and goes when its node agent confirms.
 * Here it is force-deleted (grace 0) once its grace period has passed since this controller
 * saw it marked, so that a namespace whose pods sit on dead nodes still goes.
 *
 * Reads go to the API server, not the caches: the namespace is only finalized when a fresh
 * list of every kind shows nothing left. The caches only tell it when to look again.
 */
import { NAMESPACE_FINALIZER } from '../../api/defaults.js';
import { RESOURCES, resourceByName } from '../../api/resources.js';
import type { ResourceInfo } from '../../api/resources.js';
import type { ApiObject } from '../../api/types.js';
import { jsonEqual } from '../../api/json-values.js';
import { ApiError, qualifiedResource } from '../../apiserver/errors.js';
import type { Informer } from '../../client/informer.js';
import { WorkQueue } from '../../client/work-queue.js';
import type { WorkQueueOptions } from '../../client/work-queue.js';
import type { Controller, ControllerContext } from '../controller.js';
import { WorkAfterSync } from '../controller.js';
import { namespaceConditions } from './namespace-conditions.js';
import type { ContentTotals, NamespaceCondition } from './namespace-conditions.js';

const NAMESPACES = resourceByName('namespaces')!;

/** Owners first: deleting a Deployment before its ReplicaSets, and those before their pods, saves the garbage collector work. */
const DELETION_ORDER: readonly ResourceInfo[] = [
  ...['Deployment', 'ReplicaSet'].map((kind) => RESOURCES.find((info) => info.kind === kind)!),
  ...RESOURCES.filter((info) => info.namespaced && info.kind !== 'Deployment' && info.kind !== 'ReplicaSet'),
];

export const NAMESPACE_CONTROLLER_DEFAULTS = { workers: 2, recheckMs: 5_000 } as const;

export interface NamespaceControllerOptions {
  /** Namespaces emptied at once (default 2). */
  readonly workers?: number;
  /** While content remains, the namespace is looked at again after at most this long (default 5 s). */
  readonly recheckMs?: number;
  readonly queue?: WorkQueueOptions;
}

export class NamespaceController implements Controller {
  readonly name = 'namespace';
  private readonly queue: WorkQueue;
  private context: ControllerContext | null = null;
  /** Per namespace: pod uid → when (this clock, ms) it was first seen marked for deletion. */
  private readonly podClocks = new Map<string, Map<string, number>>();
  private readonly work = new WorkAfterSync();

  constructor(private readonly options: NamespaceControllerOptions = {}) {
    this.queue = new WorkQueue(options.queue);
  }

  async start(context: ControllerContext): Promise<void> {
    this.queue.instrument(context.queueMetrics?.('namespace'));
    if (this.context !== null) throw new Error('the namespace controller was already started');
    this.context = context;
    const namespaces = context.informers.informer('namespaces');
    const enqueueIfDeleting = (namespace: ApiObject): void => {
      if (namespace.metadata.deletionTimestamp !== undefined) this.queue.add(namespace.metadata.name!);
    };
    namespaces.on({ add: enqueueIfDeleting, update: (_old, namespace) => enqueueIfDeleting(namespace), delete: (namespace) => this.podClocks.delete(namespace.metadata.name!) });
    const informers: Informer[] = [namespaces];
    // Content going away is the moment to look again (events are not watched: there are many, and they never wait).
    for (const info of RESOURCES) {
      if (!info.namespaced || info.kind === 'Event') continue;
      const informer = context.informers.informer(info.plural);
      informer.on({
        delete: (object) => {
          const namespace = namespaces.getByName(undefined, object.metadata.namespace ?? '');
          if (namespace !== undefined) enqueueIfDeleting(namespace);
        },
      });
      informers.push(informer);
    }
    this.work.start(informers, () =>
      this.queue.run(this.options.workers ?? NAMESPACE_CONTROLLER_DEFAULTS.workers, (name) => this.reconcile(name), (name, error) =>
        context.log(`namespace ${name}: ${(error as Error).message}`),
      ),
    );
  }

  async stop(): Promise<void> {
    this.queue.shutdown();
    await this.work.stop();
  }

  /** One deletion pass over the namespace `name`; finalizes it once it is empty, else looks again later. */
  async reconcile(name: string): Promise<void> {
    const client = this.context!.client;
    let namespace: ApiObject;
    try {
      namespace = await client.get(NAMESPACES, undefined, name);
    } catch (error) {
      if (error instanceof ApiError && error.reason === 'NotFound') {
        this.podClocks.delete(name);
        return;
      }
      throw error;
    }
    if (namespace.metadata.deletionTimestamp === undefined || !specFinalizers(namespace).includes(NAMESPACE_FINALIZER)) return;
    const now = this.context!.now();
    const { totals, nextDueMs } = await this.deleteContent(name, now.getTime());
    namespace = await this.writeConditions(namespace, totals, now);
    if (totals.remainingByResource.size === 0 && totals.failures.size === 0) {
      await this.finalize(namespace);
      this.podClocks.delete(name);
      return;
    }
    const recheckMs = this.options.recheckMs ?? NAMESPACE_CONTROLLER_DEFAULTS.recheckMs;
    this.queue.addAfter(name, Math.max(1, Math.min(recheckMs, nextDueMs - now.getTime() + 1)));
  }

  /** Deletes what is left in the namespace; says what remains and when the next pod's grace period ends. */
  private async deleteContent(namespace: string, nowMs: number): Promise<{ totals: ContentTotals; nextDueMs: number }> {
    const client = this.context!.client;
    const remainingByResource = new Map<string, number>();
    const remainingByFinalizer = new Map<string, number>();
    const failures = new Map<string, string>();
    let nextDueMs = Infinity;
    for (const info of DELETION_ORDER) {
      const resource = qualifiedResource(info);
      let items: ApiObject[];
      try {
        items = (await client.list(info, namespace)).items;
      } catch (error) {
        failures.set(resource, (error as Error).message);
        continue;
      }
      for (let object of items) {
        try {
          if (object.metadata.deletionTimestamp === undefined) {
            object = await client.delete(info, namespace, object.metadata.name!, { propagationPolicy: 'Background', preconditions: { uid: object.metadata.uid! } });
            // Removed at once (no finalizers, no grace period): nothing remains of it.
            if (object.metadata.deletionTimestamp === undefined) continue;
          }
          if (info.kind === 'Pod') {
            const dueMs = this.podClock(namespace, object.metadata.uid!, nowMs) + (object.metadata.deletionGracePeriodSeconds ?? 0) * 1000;
            if (nowMs >= dueMs && (object.metadata.finalizers ?? []).length === 0) {
              // Its grace period is over and no agent confirmed: it goes without.
              await client.delete(info, namespace, object.metadata.name!, { gracePeriodSeconds: 0, preconditions: { uid: object.metadata.uid! } });
              continue;
            }
            nextDueMs = Math.min(nextDueMs, dueMs);
          }
        } catch (error) {
          if (error instanceof ApiError && error.reason === 'NotFound') continue; // Gone meanwhile.
          // A conflict (it changed under the delete) is no failure, but it is still there: next pass.
          if (!(error instanceof ApiError && error.reason === 'Conflict') && !failures.has(resource)) failures.set(resource, (error as Error).message);
        }
        remainingByResource.set(resource, (remainingByResource.get(resource) ?? 0) + 1);
        for (const finalizer of object.metadata.finalizers ?? []) remainingByFinalizer.set(finalizer, (remainingByFinalizer.get(finalizer) ?? 0) + 1);
      }
    }
    return { totals: { remainingByResource, remainingByFinalizer, failures }, nextDueMs };
  }

  private podClock(namespace: string, uid: string, nowMs: number): number {
    let clocks = this.podClocks.get(namespace);
    if (clocks === undefined) this.podClocks.set(namespace, (clocks = new Map()));
    const since = clocks.get(uid);
    if (since !== undefined) return since;
    clocks.set(uid, nowMs);
    return nowMs;
  }

  private async writeConditions(namespace: ApiObject, totals: ContentTotals, now: Date): Promise<ApiObject> {
    const status = (namespace.status ?? {}) as { conditions?: NamespaceCondition[]; phase?: string };
    const conditions = namespaceConditions(totals, status.conditions ?? [], now);
    if (status.phase === 'Terminating' && jsonEqual(status.conditions ?? [], conditions)) return namespace;
    return this.context!.client.updateStatus(NAMESPACES, { ...namespace, status: { ...status, phase: 'Terminating', conditions } });
  }

  /** Removes `kubernetes` from `spec.finalizers` (an empty list, not none: none would be defaulted back). */
  private async finalize(namespace: ApiObject): Promise<void> {
    const finalizers = specFinalizers(namespace).filter((finalizer) => finalizer !== NAMESPACE_FINALIZER);
    this.context!.log(`namespace controller: namespace ${namespace.metadata.name} is empty; removing its ${NAMESPACE_FINALIZER} finalizer`);
    try {
      await this.context!.client.update(NAMESPACES, { ...namespace, spec: { ...(namespace.spec ?? {}), finalizers } });
    } catch (error) {
      if (!(error instanceof ApiError && error.reason === 'NotFound')) throw error;
    }
  }
}

function specFinalizers(namespace: ApiObject): string[] {
  const finalizers = namespace.spec?.finalizers;
  return Array.isArray(finalizers) ? finalizers.filter((finalizer): finalizer is string => typeof finalizer === 'string') : [];
}
