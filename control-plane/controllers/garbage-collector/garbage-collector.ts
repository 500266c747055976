/**
 * The garbage collector: deletes objects whose owners are gone, as Kubernetes' does, from a
 * graph of `metadata.ownerReferences` over every kind (`dependency-graph.ts`) kept by shared
 * informers.
 *
 * - **Background** (the default): once every owner of an object is gone, the object is
 *   deleted (with the propagation its own finalizers ask for). An object that keeps some
 *   owner only loses its references to the gone ones.
 * - **Foreground**: an owner marked for deletion with the `foregroundDeletion` finalizer has
 *   its dependents deleted first — those that have dependents of their own in the foreground
 *   too, so that a chain goes bottom-up — and loses the finalizer (and so goes) once no
 *   dependent with `blockOwnerDeletion` remains. A dependent that has another owner not being
 *   deleted loses only its reference.
 * - **Orphan**: an owner marked with the `orphan` finalizer has its references removed from
 *   its dependents, then loses the finalizer.
 *
 * "Gone" is never taken from a cache alone: before acting, the collector reads the owners
 * from the API server and compares uids (a new object of the same name is not the owner).
 * Every write is guarded by a uid and resourceVersion precondition, so acting on a state that
 * moved on fails (409) and is retried on the new state. Two work queues, keyed by uid: one
 * for "may this object (or its dependents) need deleting", one for orphaning.
 */
import { RESOURCES } from '../../api/resources.js';
import type { ResourceInfo } from '../../api/resources.js';
import type { ApiObject, OwnerReference } from '../../api/types.js';
import { jsonEqual } from '../../api/json-values.js';
import { ApiError } from '../../apiserver/errors.js';
import type { DeleteOptions } from '../../apiserver/registry.js';
import type { Informer } from '../../client/informer.js';
import { WorkQueue } from '../../client/work-queue.js';
import type { WorkQueueOptions } from '../../client/work-queue.js';
import type { Controller, ControllerContext } from '../controller.js';
import { WorkAfterSync } from '../controller.js';
import { DependencyGraph, FOREGROUND_DELETION_FINALIZER, ORPHAN_FINALIZER, hasFinalizer, ownerRef } from './dependency-graph.js';
import type { GraphNode, ObjectRef } from './dependency-graph.js';

/** Kinds the collector does not watch: Kubernetes' collector ignores events (there are many, and nobody owns them). */
export const GC_IGNORED_RESOURCES_DEFAULT: readonly string[] = ['events'];
/** Most keys are answered from the graph without a request: a faster queue than the default one. */
export const GC_QUEUE_DEFAULTS: WorkQueueOptions = { ratePerSecond: 200, burst: 1_000 };

export interface GarbageCollectorOptions {
  /** Workers per queue (default 4). */
  readonly workers?: number;
  /** Plurals of the kinds not watched (default `['events']`). */
  readonly ignoredResources?: readonly string[];
  /** Both queues' back-off and rate limit (default GC_QUEUE_DEFAULTS). */
  readonly queue?: WorkQueueOptions;
}

type OwnerState = 'solid' | 'dangling' | 'waiting';

export class GarbageCollector implements Controller {
  readonly name = 'garbagecollector';
  readonly graph = new DependencyGraph();
  private readonly deleteQueue: WorkQueue;
  private readonly orphanQueue: WorkQueue;
  private context: ControllerContext | null = null;
  private readonly work = new WorkAfterSync();

  constructor(private readonly options: GarbageCollectorOptions = {}) {
    this.deleteQueue = new WorkQueue(options.queue ?? GC_QUEUE_DEFAULTS);
    this.orphanQueue = new WorkQueue(options.queue ?? GC_QUEUE_DEFAULTS);
  }

  async start(context: ControllerContext): Promise<void> {
    this.deleteQueue.instrument(context.queueMetrics?.('garbage_collector_attempt_to_delete'));
    this.orphanQueue.instrument(context.queueMetrics?.('garbage_collector_attempt_to_orphan'));
    if (this.context !== null) throw new Error('the garbage collector was already started');
    this.context = context;
    const ignored = new Set(this.options.ignoredResources ?? GC_IGNORED_RESOURCES_DEFAULT);
    const informers: Informer[] = [];
    for (const info of RESOURCES) {
      if (ignored.has(info.plural)) continue;
      const informer = context.informers.informer(info.plural);
      informer.on({
        add: (object) => this.observed(info, undefined, object),
        update: (old, object) => this.observed(info, old, object),
        delete: (object) => this.removed(object),
      });
      informers.push(informer);
    }
    const workers = this.options.workers ?? 4;
    const log = (what: string) => (uid: string, error: unknown) => context.log(`garbage collector: ${what} ${this.describe(uid)}: ${(error as Error).message}`);
    // Act only on a whole graph: an owner not listed yet would look gone.
    this.work.start(informers, async () => {
      await Promise.all([
        this.deleteQueue.run(workers, (uid) => this.attemptToDelete(uid), log('deleting')),
        this.orphanQueue.run(workers, (uid) => this.attemptToOrphan(uid), log('orphaning the dependents of')),
      ]);
    });
  }

  async stop(): Promise<void> {
    this.deleteQueue.shutdown();
    this.orphanQueue.shutdown();
    await this.work.stop();
  }

  /**
   * Looks at the object `uid`: deletes it when its owners are all gone or waiting for their
   * dependents to go, drops its references to gone owners when it keeps another, and, for
   * an object deleting its dependents in the foreground, moves them along or removes its
   * finalizer when none blocks it any more.
   */
  async attemptToDelete(uid: string): Promise<void> {
    const node = this.graph.get(uid);
    if (node === undefined || !node.observed) return;
    if (node.beingDeleted && !node.deletingDependents) return; // Other finalizers or a grace period hold it.
    if (!node.deletingDependents && this.ownersSolidInCache(node)) return;
    const latest = await this.getLive(node.ref);
    if (latest === null) return;
    if (latest.metadata.deletionTimestamp !== undefined) {
      if (hasFinalizer(latest, FOREGROUND_DELETION_FINALIZER)) await this.processDeletingDependents(node, latest);
      return;
    }
    const references = latest.metadata.ownerReferences ?? [];
    if (references.length === 0) return;
    const states = new Map<string, OwnerState>();
    for (const reference of references) states.set(reference.uid, await this.ownerState(reference, latest.metadata.namespace));
    const solid = references.filter((reference) => states.get(reference.uid) === 'solid');
    const goneOrGoing = new Set(references.filter((reference) => states.get(reference.uid) !== 'solid').map((reference) => reference.uid));
    if (solid.length > 0) {
      // Another owner keeps it: it only stops pointing at those that are gone or going.
      if (goneOrGoing.size > 0) await this.removeOwnerReferences(node.ref, latest, goneOrGoing);
      return;
    }
    const waiting = references.some((reference) => states.get(reference.uid) === 'waiting');
    let propagationPolicy: DeleteOptions['propagationPolicy'] = 'Background';
    if (hasFinalizer(latest, ORPHAN_FINALIZER)) propagationPolicy = 'Orphan';
    // An owner waits for its dependents: one with dependents of its own goes in the
    // foreground too, so that the owner is not removed before its grandchildren.
    if (hasFinalizer(latest, FOREGROUND_DELETION_FINALIZER) || (waiting && this.graph.dependents(uid).length > 0)) propagationPolicy = 'Foreground';
    await this.deleteObject(node.ref, latest, propagationPolicy);
  }

  /** Removes the references to the owner `uid` (marked with `orphan`) from its dependents, then the finalizer. */
  async attemptToOrphan(uid: string): Promise<void> {
    const node = this.graph.get(uid);
    if (node === undefined || !node.observed) return;
    const latest = await this.getLive(node.ref);
    if (latest === null || latest.metadata.deletionTimestamp === undefined || !hasFinalizer(latest, ORPHAN_FINALIZER)) return;
    for (const dependent of this.graph.dependents(uid)) {
      const current = await this.getLive(dependent.ref);
      if (current !== null) await this.removeOwnerReferences(dependent.ref, current, new Set([uid]));
    }
    await this.removeFinalizer(node.ref, latest, ORPHAN_FINALIZER);
  }

  /** Whether the graph alone shows every owner present and not deleting its dependents (no request needed). */
  private ownersSolidInCache(node: GraphNode): boolean {
    return node.owners.every((reference) => {
      const owner = this.graph.get(reference.uid);
      return owner !== undefined && owner.observed && !owner.deletingDependents;
    });
  }

  private async processDeletingDependents(node: GraphNode, latest: ApiObject): Promise<void> {
    const blocking = this.graph
      .dependents(node.uid)
      .filter((dependent) => dependent.owners.some((reference) => reference.uid === node.uid && reference.blockOwnerDeletion === true));
    if (blocking.length === 0) {
      await this.removeFinalizer(node.ref, latest, FOREGROUND_DELETION_FINALIZER);
      return;
    }
    // Their removal (an informer event) brings this owner back here.
    for (const dependent of blocking) if (!dependent.beingDeleted) this.deleteQueue.add(dependent.uid);
  }

  /** What the API server says of an owner: present (solid), gone or another object of that name (dangling), or deleting its dependents first (waiting). */
  private async ownerState(reference: OwnerReference, namespace: string | undefined): Promise<OwnerState> {
    const ref = ownerRef(reference, namespace);
    // A kind not served, or a namespaced owner of a cluster-scoped object, cannot be looked up: never delete on a guess.
    if (ref.info === undefined || (ref.info.namespaced && namespace === undefined)) return 'solid';
    const owner = await this.getLive(ref);
    if (owner === null) return 'dangling';
    return owner.metadata.deletionTimestamp !== undefined && hasFinalizer(owner, FOREGROUND_DELETION_FINALIZER) ? 'waiting' : 'solid';
  }

  /** The object as stored now, or null when it is gone or the name is now another object's. */
  private async getLive(ref: ObjectRef): Promise<ApiObject | null> {
    if (ref.info === undefined) return null;
    try {
      const object = await this.context!.client.get(ref.info, ref.namespace, ref.name);
      return object.metadata.uid === ref.uid ? object : null;
    } catch (error) {
      if (error instanceof ApiError && error.reason === 'NotFound') return null;
      throw error;
    }
  }

  private async deleteObject(ref: ObjectRef, latest: ApiObject, propagationPolicy: DeleteOptions['propagationPolicy']): Promise<void> {
    this.context!.log(`garbage collector: deleting ${this.describe(ref.uid)} (${propagationPolicy}): its owners are gone`);
    await ignoreNotFound(
      this.context!.client.delete(ref.info!, ref.namespace, ref.name, {
        ...(propagationPolicy !== undefined ? { propagationPolicy } : {}),
        preconditions: { uid: ref.uid, resourceVersion: latest.metadata.resourceVersion! },
      }),
    );
  }

  private async removeOwnerReferences(ref: ObjectRef, latest: ApiObject, uids: ReadonlySet<string>): Promise<void> {
    const references = latest.metadata.ownerReferences ?? [];
    const kept = references.filter((reference) => !uids.has(reference.uid));
    if (kept.length === references.length) return;
    await ignoreNotFound(
      this.context!.client.patch(ref.info!, ref.namespace, ref.name, {
        metadata: { resourceVersion: latest.metadata.resourceVersion, ownerReferences: kept.length > 0 ? kept : null },
      }),
    );
  }

  private async removeFinalizer(ref: ObjectRef, latest: ApiObject, finalizer: string): Promise<void> {
    const finalizers = latest.metadata.finalizers ?? [];
    const kept = finalizers.filter((name) => name !== finalizer);
    if (kept.length === finalizers.length) return;
    await ignoreNotFound(
      this.context!.client.patch(ref.info!, ref.namespace, ref.name, {
        metadata: { resourceVersion: latest.metadata.resourceVersion, finalizers: kept.length > 0 ? kept : null },
      }),
    );
  }

  /** Takes in an informer's add or update; queues what may now need work. */
  private observed(info: ResourceInfo, old: ApiObject | undefined, object: ApiObject): void {
    if (old !== undefined && old.metadata.uid !== object.metadata.uid) {
      this.removed(old);
      old = undefined;
    }
    const { node, previousOwners } = this.graph.observe(info, object);
    const ownersChanged = !jsonEqual(previousOwners, node.owners);
    if (ownersChanged) {
      // A reference removed or no longer blocking may be what an owner in the foreground waits for.
      for (const reference of previousOwners) if (this.graph.get(reference.uid)?.deletingDependents === true) this.deleteQueue.add(reference.uid);
    }
    if (node.deletingDependents) {
      this.deleteQueue.add(node.uid);
      for (const dependent of node.dependents) this.deleteQueue.add(dependent);
    }
    if (node.orphaning) this.orphanQueue.add(node.uid);
    if (node.owners.length > 0 && (old === undefined || ownersChanged || !this.ownersSolidInCache(node))) this.deleteQueue.add(node.uid);
  }

  /** Takes in an informer's delete: its dependents may have lost their last owner, and its owners may wait for it. */
  private removed(object: ApiObject): void {
    const gone = this.graph.forget(object.metadata.uid!);
    if (gone === undefined) return;
    for (const dependent of gone.dependents) this.deleteQueue.add(dependent);
    for (const reference of gone.owners) if (this.graph.get(reference.uid)?.deletingDependents === true) this.deleteQueue.add(reference.uid);
  }

  private describe(uid: string): string {
    const ref = this.graph.get(uid)?.ref;
    if (ref === undefined) return `object ${uid}`;
    const where = ref.namespace !== undefined ? `${ref.namespace}/` : '';
    return `${ref.info?.singular ?? 'object'} ${where}${ref.name} (${uid})`;
  }
}

async function ignoreNotFound(write: Promise<unknown>): Promise<void> {
  try {
    await write;
  } catch (error) {
    if (!(error instanceof ApiError && error.reason === 'NotFound')) throw error;
  }
}
