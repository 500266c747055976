/**
 * The ReplicaSet controller: keeps `spec.replicas` pods of each ReplicaSet running, made from
 * its `spec.template`, as Kubernetes' does.
 *
 * Informer handlers only enqueue ReplicaSet keys (and note what they observed for the
 * expectations); `sync(key)` is level-triggered: it reads the ReplicaSet and the pods of its
 * namespace from the caches, claims the pods its selector matches (adopting orphans,
 * releasing pods that stopped matching), creates or deletes the difference, and writes the
 * status last.
 *
 * Cache lag: after creating or deleting pods a sync records expectations and, until the
 * informer has shown it all of them, later syncs of that ReplicaSet only write status. So a
 * cache that has not caught up with the controller's own writes never makes it create or
 * delete twice. Creations go in slow-start batches (1, 2, 4, ...) and at most
 * `BURST_REPLICAS` per sync; deletions pick the cheapest pods first (`pod-deletion-order.ts`).
 */
import { labelSelectorFromObject, matchesLabels } from '../../api/selectors.js';
import type { LabelSelector } from '../../api/selectors.js';
import { resourceByName } from '../../api/resources.js';
import type { ApiObject, OwnerReference } from '../../api/types.js';
import { jsonClone, jsonEqual } from '../../api/json-values.js';
import { ApiError } from '../../apiserver/errors.js';
import type { EventRecorder, EventType } from '../../client/event-recorder.js';
import type { Informer } from '../../client/informer.js';
import { objectKey, splitKey } from '../../client/informer.js';
import { WorkQueue } from '../../client/work-queue.js';
import type { WorkQueueOptions } from '../../client/work-queue.js';
import type { Controller, ControllerContext } from '../controller.js';
import { WorkAfterSync } from '../controller.js';
import { AVAILABILITY_RECHECK_MARGIN_MS, BURST_REPLICAS, REPLICASET_WORKERS_DEFAULT, SLOW_START_INITIAL_BATCH_SIZE } from './constants.js';
import { claimObjects, controllerRefOf, newControllerRef } from './controller-ref.js';
import { ControllerExpectations } from './expectations.js';
import { isPodActive } from './pod-readiness.js';
import { podsToDelete } from './pod-deletion-order.js';
import { calculateReplicaSetStatus, nextAvailabilityMs, replicaSetStatusChanged } from './replicaset-status.js';
import { slowStartBatch } from './slow-start.js';
import type { Pod, ReplicaSet } from './workload-objects.js';
import { specReplicas } from './workload-objects.js';

const REPLICASETS = resourceByName('replicasets')!;
const PODS = resourceByName('pods')!;

/** Kubernetes' limit on a generated name's base: 63 characters less the 5 random ones. */
const GENERATED_NAME_BASE_LENGTH_MAX = 58;

export interface ReplicaSetControllerOptions {
  /** Keys reconciled in parallel (default `REPLICASET_WORKERS_DEFAULT`). */
  readonly workers?: number;
  /** The clock availability (`minReadySeconds`) is judged by; default the context's `now`. */
  readonly now?: () => Date;
  /** Rates and back-off of the work queue (default the queue's). */
  readonly queue?: WorkQueueOptions;
  /** Pods created or deleted per sync, at most (default `BURST_REPLICAS`). */
  readonly burstReplicas?: number;
}

export class ReplicaSetController implements Controller {
  readonly name = 'replicaset';
  /** What each ReplicaSet waits to observe (exposed for tests and debugging). */
  readonly expectations = new ControllerExpectations();
  private readonly queue: WorkQueue;
  private readonly workers: number;
  private readonly burstReplicas: number;
  private context!: ControllerContext;
  private now!: () => Date;
  private replicaSets!: Informer<ReplicaSet>;
  private pods!: Informer<Pod>;
  private recorder!: EventRecorder;
  private readonly work = new WorkAfterSync();
  private readonly pendingEvents = new Set<Promise<void>>();

  constructor(private readonly options: ReplicaSetControllerOptions = {}) {
    this.workers = options.workers ?? REPLICASET_WORKERS_DEFAULT;
    this.burstReplicas = options.burstReplicas ?? BURST_REPLICAS;
    if (!(this.workers >= 1) || !(this.burstReplicas >= 1)) throw new RangeError('workers and burstReplicas must be at least 1');
    this.queue = new WorkQueue(options.queue);
  }

  async start(context: ControllerContext): Promise<void> {
    this.queue.instrument(context.queueMetrics?.('replicaset'));
    if (this.work.started) throw new Error('the ReplicaSet controller is already started');
    this.context = context;
    this.now = this.options.now ?? context.now;
    this.recorder = context.recorder('replicaset-controller');
    this.replicaSets = context.informers.informer<ReplicaSet>('replicasets');
    this.pods = context.informers.informer<Pod>('pods');
    this.replicaSets.on({
      add: (rs) => this.queue.add(objectKey(rs)),
      update: (_old, rs) => this.queue.add(objectKey(rs)),
      delete: (rs) => {
        this.expectations.delete(objectKey(rs));
        this.queue.add(objectKey(rs));
      },
    });
    this.pods.on({
      add: (pod) => this.addPod(pod),
      update: (old, pod) => this.updatePod(old, pod),
      delete: (pod) => this.deletePod(pod),
    });
    this.work.start([this.replicaSets, this.pods], () => this.runWorkers());
  }

  private runWorkers(): Promise<void> {
    const onError = (key: string, error: unknown): void => this.context.log(`replicaset ${key}: sync failed: ${(error as Error).message}`);
    return this.queue.run(this.workers, (key) => this.sync(key), onError);
  }

  async stop(): Promise<void> {
    this.queue.shutdown();
    await this.work.stop();
    await Promise.all([...this.pendingEvents]);
  }

  // --- Informer handlers: note observations, enqueue keys ---

  private addPod(pod: Pod): void {
    // A pod first seen already terminating (a restart of the controller) is no creation to observe.
    if (pod.metadata.deletionTimestamp !== undefined) return this.deletePod(pod);
    const reference = controllerRefOf(pod);
    if (reference !== undefined) {
      const rs = this.resolveControllerRef(pod.metadata.namespace, reference);
      if (rs === undefined) return;
      const key = objectKey(rs);
      this.expectations.creationObserved(key);
      this.queue.add(key);
      return;
    }
    // An orphan: every ReplicaSet that matches it may adopt it.
    for (const rs of this.replicaSetsMatching(pod)) this.queue.add(objectKey(rs));
  }

  private updatePod(old: Pod, pod: Pod): void {
    if (old.metadata.resourceVersion === pod.metadata.resourceVersion) return;
    const labelsChanged = !jsonEqual(old.metadata.labels ?? {}, pod.metadata.labels ?? {});
    if (pod.metadata.deletionTimestamp !== undefined) {
      // Marked for deletion: as good as deleted for counting; the removal itself comes later.
      this.deletePod(pod);
      if (labelsChanged) this.deletePod(old);
      return;
    }
    const reference = controllerRefOf(pod);
    const oldReference = controllerRefOf(old);
    const referenceChanged = !jsonEqual(reference ?? null, oldReference ?? null);
    if (referenceChanged && oldReference !== undefined) {
      const previous = this.resolveControllerRef(old.metadata.namespace, oldReference);
      if (previous !== undefined) this.queue.add(objectKey(previous));
    }
    if (reference !== undefined) {
      const rs = this.resolveControllerRef(pod.metadata.namespace, reference);
      if (rs !== undefined) this.queue.add(objectKey(rs));
      return;
    }
    if (labelsChanged || referenceChanged) for (const rs of this.replicaSetsMatching(pod)) this.queue.add(objectKey(rs));
  }

  private deletePod(pod: Pod): void {
    const reference = controllerRefOf(pod);
    if (reference === undefined) return;
    const rs = this.resolveControllerRef(pod.metadata.namespace, reference);
    if (rs === undefined) return;
    const key = objectKey(rs);
    this.expectations.deletionObserved(key, objectKey(pod));
    this.queue.add(key);
  }

  /** The cached ReplicaSet a controller reference points to, if it is that very one (same uid). */
  private resolveControllerRef(namespace: string | undefined, reference: OwnerReference): ReplicaSet | undefined {
    if (reference.kind !== 'ReplicaSet') return undefined;
    const rs = this.replicaSets.getByName(namespace, reference.name);
    return rs !== undefined && rs.metadata.uid === reference.uid ? rs : undefined;
  }

  private replicaSetsMatching(pod: Pod): ReplicaSet[] {
    const labels = pod.metadata.labels;
    if (labels === undefined) return [];
    return this.replicaSets.list(pod.metadata.namespace).filter((rs) => {
      const selector = parseSelector(rs);
      return selector !== undefined && selector.requirements.length > 0 && matchesLabels(selector, labels);
    });
  }

  // --- Reconcile ---

  /** Brings one ReplicaSet's pods to its spec and writes its status. Throws to be retried with back-off. */
  async sync(key: string): Promise<void> {
    const rs = this.replicaSets.get(key);
    if (rs === undefined) {
      this.expectations.delete(key);
      return;
    }
    const selector = parseSelector(rs);
    if (selector === undefined || selector.requirements.length === 0) {
      this.context.log(`replicaset ${key}: its selector cannot be used; not syncing it`);
      return;
    }
    // Read before listing: a pod observed after this point satisfies later syncs, not this one.
    const needsManage = this.expectations.satisfied(key);
    const { namespace } = splitKey(key);
    const active = this.pods.list(namespace).filter(isPodActive);
    const owned = await claimObjects(
      {
        client: this.context.client,
        info: PODS,
        owner: rs,
        selector,
        canAdopt: () => this.checkCanAdopt(rs),
        log: this.context.log,
      },
      active,
    );
    let manageError: unknown;
    if (needsManage && rs.metadata.deletionTimestamp === undefined) {
      try {
        await this.manageReplicas(key, rs, owned);
      } catch (error) {
        manageError = error;
      }
    }
    const now = this.now();
    const status = calculateReplicaSetStatus(rs, owned, manageError, now);
    if (replicaSetStatusChanged(rs.status, status)) await this.writeStatus(rs, status);
    if (manageError !== undefined) throw manageError;
    const availableAt = nextAvailabilityMs(rs, owned, now.getTime());
    if (availableAt !== undefined) this.queue.addAfter(key, availableAt - now.getTime() + AVAILABILITY_RECHECK_MARGIN_MS);
  }

  /** Creates or deletes pods until `owned` would number `spec.replicas`; the first failure is thrown. */
  private async manageReplicas(key: string, rs: ReplicaSet, owned: readonly Pod[]): Promise<void> {
    const diff = owned.length - specReplicas(rs);
    if (diff < 0) {
      const count = Math.min(-diff, this.burstReplicas);
      // Expect first: the informer may report a created pod before `create` returns.
      this.expectations.expectCreations(key, count);
      const { successes, error } = await slowStartBatch(count, SLOW_START_INITIAL_BATCH_SIZE, () => this.createPod(rs));
      // Pods never created (a batch failed) will never be observed.
      for (let skipped = count - successes; skipped > 0; skipped--) this.expectations.creationObserved(key);
      if (error !== undefined) throw error;
    } else if (diff > 0) {
      const victims = podsToDelete(owned, Math.min(diff, this.burstReplicas));
      this.expectations.expectDeletions(key, victims.map(objectKey));
      const failures: unknown[] = [];
      await Promise.all(
        victims.map(async (pod) => {
          try {
            await this.context.client.delete(PODS, pod.metadata.namespace, pod.metadata.name!, { preconditions: { uid: pod.metadata.uid! } });
            this.recordEvent(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
          } catch (error) {
            // The deletion will never be observed: stop waiting for it.
            this.expectations.deletionObserved(key, objectKey(pod));
            if (error instanceof ApiError && error.reason === 'NotFound') return;
            this.recordEvent(rs, 'Warning', 'FailedDelete', `Error deleting: ${(error as Error).message}`);
            failures.push(error);
          }
        }),
      );
      if (failures.length > 0) throw failures[0];
    }
  }

  private async createPod(rs: ReplicaSet): Promise<void> {
    try {
      const created = await this.context.client.create(PODS, rs.metadata.namespace, podFromTemplate(rs));
      this.recordEvent(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
    } catch (error) {
      // A namespace being deleted refuses new pods: expected, not worth an event.
      if (!(error instanceof ApiError && error.reason === 'Forbidden' && /being terminated/.test(error.message))) {
        this.recordEvent(rs, 'Warning', 'FailedCreate', `Error creating: ${(error as Error).message}`);
      }
      throw error;
    }
  }

  /** A fresh read: the cached ReplicaSet may be gone or being deleted already, and must not adopt then. */
  private async checkCanAdopt(rs: ReplicaSet): Promise<void> {
    const fresh = await this.context.client.get(REPLICASETS, rs.metadata.namespace, rs.metadata.name!);
    if (fresh.metadata.uid !== rs.metadata.uid) {
      throw new Error(`original ReplicaSet ${objectKey(rs)} is gone: got uid ${fresh.metadata.uid}, wanted ${rs.metadata.uid}`);
    }
    if (fresh.metadata.deletionTimestamp !== undefined) {
      throw new Error(`ReplicaSet ${objectKey(rs)} has just been deleted at ${fresh.metadata.deletionTimestamp}`);
    }
  }

  private async writeStatus(rs: ReplicaSet, status: ReturnType<typeof calculateReplicaSetStatus>): Promise<void> {
    try {
      // A merge patch of the whole status: the server applies it to the latest object, so a
      // concurrent spec change (a scale) cannot make it fail; observedGeneration says which
      // spec this status answers.
      await this.context.client.patch(REPLICASETS, rs.metadata.namespace, rs.metadata.name!, { status: { ...status, conditions: status.conditions ?? null } }, true);
    } catch (error) {
      if (error instanceof ApiError && error.reason === 'NotFound') return;
      throw error;
    }
  }

  private recordEvent(rs: ReplicaSet, type: EventType, reason: string, message: string): void {
    const pending = this.recorder.record(rs, type, reason, message);
    this.pendingEvents.add(pending);
    void pending.finally(() => this.pendingEvents.delete(pending));
  }
}

/** The ReplicaSet's selector parsed; undefined when it cannot be (validation should have refused it). */
function parseSelector(rs: ReplicaSet): LabelSelector | undefined {
  try {
    return labelSelectorFromObject(rs.spec.selector ?? {});
  } catch {
    return undefined;
  }
}

/**
 * A pod of `rs`'s template: its labels, annotations and finalizers, a name generated from
 * the ReplicaSet's (`web-5d4f8-` then five random characters), and the ReplicaSet as its
 * controller.
 */
export function podFromTemplate(rs: ReplicaSet): ApiObject {
  const template = rs.spec.template;
  const metadata = template.metadata ?? {};
  const pod: ApiObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${rs.metadata.name}-`.slice(0, GENERATED_NAME_BASE_LENGTH_MAX),
      namespace: rs.metadata.namespace,
      labels: { ...(metadata.labels ?? {}) },
      ownerReferences: [newControllerRef(rs)],
    },
    spec: jsonClone(template.spec ?? {}),
  };
  if (metadata.annotations !== undefined) pod.metadata.annotations = { ...metadata.annotations };
  if (Array.isArray(metadata.finalizers)) pod.metadata.finalizers = [...(metadata.finalizers as string[])];
  return pod;
}
