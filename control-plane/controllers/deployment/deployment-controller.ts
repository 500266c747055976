/**
 * The Deployment controller: rolls a Deployment's pod template out through ReplicaSets, as
 * Kubernetes' does. Each template gets its ReplicaSet (`<deployment>-<template hash>`, the
 * hash also on its selector, template and pods as `pod-template-hash`) and a revision; the
 * strategy decides how pods move from the old ReplicaSets to the new one
 * (`rollout-planning.ts`); old ReplicaSets beyond `revisionHistoryLimit` are deleted once
 * empty; the status sums the ReplicaSets' and judges the rollout's progress against
 * `progressDeadlineSeconds`.
 *
 * Handlers only enqueue Deployment keys; `sync(key)` is level-triggered and works from the
 * caches. Every write that resizes a ReplicaSet carries the resourceVersion it was computed
 * from, so a plan made on a stale cache fails (and is made again) instead of overshooting.
 *
 * - `spec.paused`: no rollout progress (no new ReplicaSet, no moving of pods), but scaling
 *   and history cleanup go on, and Progressing says `DeploymentPaused`.
 * - `BlueGreen`: this controller claims the ReplicaSets, makes the new one and its revision,
 *   and writes the status; the blue-green deployer (`control-plane/deployer/`) decides the
 *   rest (sizes, the Services' pins, the conditions) through `BlueGreenHost`. Changes of
 *   the Services it names and of the active Service's Endpoints sync it again.
 * - Undo is not the controller's: `balsa rollout undo` copies an old ReplicaSet's template
 *   into the Deployment, as kubectl does since apps/v1; the controller then finds that
 *   ReplicaSet again as the new one and gives it the next revision.
 */
import { jsonClone, jsonEqual } from '../../api/json-values.js';
import { resourceByName } from '../../api/resources.js';
import { labelSelectorFromObject, matchesLabels } from '../../api/selectors.js';
import type { LabelSelector } from '../../api/selectors.js';
import type { OwnerReference } from '../../api/types.js';
import { ApiError } from '../../apiserver/errors.js';
import type { EventRecorder, EventType } from '../../client/event-recorder.js';
import type { Informer } from '../../client/informer.js';
import { objectKey } from '../../client/informer.js';
import { WorkQueue } from '../../client/work-queue.js';
import type { WorkQueueOptions } from '../../client/work-queue.js';
import { BlueGreenDeployer } from '../../deployer/blue-green-deployer.js';
import type { AnnotationChanges } from '../../deployer/blue-green-deployer.js';
import type { ApiObject } from '../../api/types.js';
import type { Controller, ControllerContext } from '../controller.js';
import { WorkAfterSync } from '../controller.js';
import { claimObjects, controllerRefOf, newControllerRef } from '../replicaset/controller-ref.js';
import type { Pod, ReplicaSet } from '../replicaset/workload-objects.js';
import { specReplicas } from '../replicaset/workload-objects.js';
import {
  DEPLOYMENT_WORKERS_DEFAULT,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  POD_TEMPLATE_HASH_LABEL,
  PROGRESS_RECHECK_MARGIN_MS,
  PROGRESSING,
  REASONS,
  REVISION_ANNOTATION,
  UNLIMITED_INT32,
} from './constants.js';
import { getCondition, newCondition, setCondition } from './deployment-conditions.js';
import type { Deployment, DeploymentStatus } from './deployment-object.js';
import { hasProgressDeadline, strategyTypeOf } from './deployment-object.js';
import { calculateStatus, deploymentComplete, deploymentStatusChanged, progressRecheckDelayMs, rolloutStatus } from './deployment-status.js';
import { activeReplicaSets, byRevisionOldestFirst, findNewReplicaSet, findOldReplicaSets, sumStatusReplicas } from './replica-set-groups.js';
import { maxRevision, replicasAnnotationsNeedUpdate, setNewReplicaSetAnnotations } from './revisions.js';
import { maxSurge } from './rolling-limits.js';
import { isScalingEvent, newReplicaSetSize, planNewReplicaSet, planOldReplicaSets, planScale } from './rollout-planning.js';
import type { ScaleStep } from './rollout-planning.js';
import { computeTemplateHash, equalIgnoringHash } from './template-hash.js';

const DEPLOYMENTS = resourceByName('deployments')!;
const REPLICASETS = resourceByName('replicasets')!;

export interface DeploymentControllerOptions {
  /** Keys reconciled in parallel (default `DEPLOYMENT_WORKERS_DEFAULT`). */
  readonly workers?: number;
  /** The clock conditions are stamped and progress deadlines judged by; default the context's `now`. */
  readonly now?: () => Date;
  /** Rates and back-off of the work queue (default the queue's). */
  readonly queue?: WorkQueueOptions;
}

/** One sync's view: the cached Deployment, and a working copy whose status gathers the conditions set along the way. */
interface SyncState {
  readonly key: string;
  readonly cached: Deployment;
  readonly deployment: Deployment;
  readonly status: DeploymentStatus;
}

export class DeploymentController implements Controller {
  readonly name = 'deployment';
  private readonly queue: WorkQueue;
  private readonly workers: number;
  private context!: ControllerContext;
  private now!: () => Date;
  private deployments!: Informer<Deployment>;
  private replicaSets!: Informer<ReplicaSet>;
  private pods!: Informer<Pod>;
  private services!: Informer;
  private endpoints!: Informer;
  private recorder!: EventRecorder;
  private blueGreen!: BlueGreenDeployer;
  private readonly work = new WorkAfterSync();
  private readonly pendingEvents = new Set<Promise<void>>();

  constructor(private readonly options: DeploymentControllerOptions = {}) {
    this.workers = options.workers ?? DEPLOYMENT_WORKERS_DEFAULT;
    if (!(this.workers >= 1)) throw new RangeError('workers must be at least 1');
    this.queue = new WorkQueue(options.queue);
  }

  async start(context: ControllerContext): Promise<void> {
    this.queue.instrument(context.queueMetrics?.('deployment'));
    if (this.work.started) throw new Error('the Deployment controller is already started');
    this.context = context;
    this.now = this.options.now ?? context.now;
    this.recorder = context.recorder('deployment-controller');
    this.deployments = context.informers.informer<Deployment>('deployments');
    this.replicaSets = context.informers.informer<ReplicaSet>('replicasets');
    this.pods = context.informers.informer<Pod>('pods');
    this.services = context.informers.informer('services');
    this.endpoints = context.informers.informer('endpoints');
    this.blueGreen = new BlueGreenDeployer({
      client: context.client,
      services: this.services,
      endpoints: this.endpoints,
      pods: this.pods,
      now: () => this.now(),
      recordEvent: (deployment, type, reason, message) => this.recordEvent(deployment, type, reason, message),
      scaleReplicaSet: (deployment, rs, replicas, annotations) => this.scaleReplicaSet({ deployment }, rs, replicas, false, annotations),
      requeueAfter: (deployment, delayMs) => this.queue.addAfter(objectKey(deployment), delayMs),
    });
    this.deployments.on({
      add: (deployment) => this.queue.add(objectKey(deployment)),
      update: (_old, deployment) => this.queue.add(objectKey(deployment)),
      delete: (deployment) => this.queue.add(objectKey(deployment)),
    });
    this.replicaSets.on({
      add: (rs) => this.addReplicaSet(rs),
      update: (old, rs) => this.updateReplicaSet(old, rs),
      delete: (rs) => this.enqueueOwner(rs),
    });
    // Recreate waits for the old pods to be gone: their removal is the event that lets it go on.
    this.pods.on({ delete: (pod) => this.deletePod(pod) });
    // A blue-green rollout steers its Services and waits for the active one's Endpoints.
    const serviceChanged = (object: ApiObject): void => this.enqueueBlueGreenUsing(object, true);
    this.services.on({ add: serviceChanged, update: (_old, service) => serviceChanged(service), delete: serviceChanged });
    this.endpoints.on({ add: (endpoints) => this.enqueueBlueGreenUsing(endpoints, false), update: (_old, endpoints) => this.enqueueBlueGreenUsing(endpoints, false) });
    this.work.start([this.deployments, this.replicaSets, this.pods, this.services, this.endpoints], () => this.runWorkers());
  }

  private runWorkers(): Promise<void> {
    const onError = (key: string, error: unknown): void => this.context.log(`deployment ${key}: sync failed: ${(error as Error).message}`);
    return this.queue.run(this.workers, (key) => this.sync(key), onError);
  }

  async stop(): Promise<void> {
    this.queue.shutdown();
    await this.work.stop();
    await Promise.all([...this.pendingEvents]);
  }

  // --- Informer handlers ---

  private addReplicaSet(rs: ReplicaSet): void {
    if (rs.metadata.deletionTimestamp !== undefined || controllerRefOf(rs) !== undefined) return this.enqueueOwner(rs);
    for (const deployment of this.deploymentsMatching(rs)) this.queue.add(objectKey(deployment));
  }

  private updateReplicaSet(old: ReplicaSet, rs: ReplicaSet): void {
    if (old.metadata.resourceVersion === rs.metadata.resourceVersion) return;
    const reference = controllerRefOf(rs);
    const oldReference = controllerRefOf(old);
    const referenceChanged = reference?.uid !== oldReference?.uid;
    if (referenceChanged && oldReference !== undefined) this.enqueueOwner(old);
    if (reference !== undefined) return this.enqueueOwner(rs);
    const labelsChanged = !jsonEqual(old.metadata.labels ?? {}, rs.metadata.labels ?? {});
    if (labelsChanged || referenceChanged) for (const deployment of this.deploymentsMatching(rs)) this.queue.add(objectKey(deployment));
  }

  private deletePod(pod: Pod): void {
    const rsReference = controllerRefOf(pod);
    if (rsReference === undefined || rsReference.kind !== 'ReplicaSet') return;
    const rs = this.replicaSets.getByName(pod.metadata.namespace, rsReference.name);
    if (rs === undefined || rs.metadata.uid !== rsReference.uid) return;
    const deployment = this.resolveControllerRef(rs.metadata.namespace, controllerRefOf(rs));
    if (deployment !== undefined && strategyTypeOf(deployment) === 'Recreate') this.queue.add(objectKey(deployment));
  }

  /** The blue-green Deployments of the namespace whose active (or, with `preview`, preview) Service has the object's name. */
  private enqueueBlueGreenUsing(object: ApiObject, preview: boolean): void {
    const name = object.metadata.name;
    for (const deployment of this.deployments.list(object.metadata.namespace)) {
      const blueGreen = deployment.spec.strategy?.blueGreen;
      if (strategyTypeOf(deployment) !== 'BlueGreen' || blueGreen === undefined) continue;
      if (blueGreen.activeService === name || (preview && blueGreen.previewService === name)) this.queue.add(objectKey(deployment));
    }
  }

  private enqueueOwner(rs: ReplicaSet): void {
    const deployment = this.resolveControllerRef(rs.metadata.namespace, controllerRefOf(rs));
    if (deployment !== undefined) this.queue.add(objectKey(deployment));
  }

  private resolveControllerRef(namespace: string | undefined, reference: OwnerReference | undefined): Deployment | undefined {
    if (reference === undefined || reference.kind !== 'Deployment') return undefined;
    const deployment = this.deployments.getByName(namespace, reference.name);
    return deployment !== undefined && deployment.metadata.uid === reference.uid ? deployment : undefined;
  }

  private deploymentsMatching(rs: ReplicaSet): Deployment[] {
    const labels = rs.metadata.labels;
    if (labels === undefined) return [];
    return this.deployments.list(rs.metadata.namespace).filter((deployment) => {
      const selector = parseSelector(deployment);
      return selector !== undefined && selector.requirements.length > 0 && matchesLabels(selector, labels);
    });
  }

  // --- Reconcile ---

  /** Moves one Deployment's rollout a step and writes its status. Throws to be retried with back-off. */
  async sync(key: string): Promise<void> {
    const cached = this.deployments.get(key);
    if (cached === undefined) return;
    const deployment = jsonClone(cached);
    const state: SyncState = { key, cached, deployment, status: (deployment.status ??= {}) };
    const selector = parseSelector(deployment);
    if (selector === undefined || selector.requirements.length === 0) {
      this.context.log(`deployment ${key}: its selector cannot be used; not syncing it`);
      return;
    }
    const rsList = await this.claimReplicaSets(deployment, selector);
    const strategy = strategyTypeOf(deployment);
    // Being deleted: only report.
    if (deployment.metadata.deletionTimestamp !== undefined) return this.syncStatus(state, rsList, findNewReplicaSet(deployment, rsList));
    if (strategy === 'BlueGreen') return this.rolloutBlueGreen(state, rsList);
    this.checkPausedConditions(state);
    if (deployment.spec.paused === true) return this.syncScaling(state, rsList);
    if (isScalingEvent(deployment, findNewReplicaSet(deployment, rsList), findOldReplicaSets(deployment, rsList))) return this.syncScaling(state, rsList);
    switch (strategy) {
      case 'Recreate':
        return this.rolloutRecreate(state, rsList);
      case 'RollingUpdate':
        return this.rolloutRolling(state, rsList);
      default: {
        const unexpected: never = strategy;
        throw new Error(`deployment ${key}: unknown strategy ${String(unexpected)}`);
      }
    }
  }

  /** The ReplicaSets of the namespace this Deployment controls, after adopting and releasing. */
  private claimReplicaSets(deployment: Deployment, selector: LabelSelector): Promise<ReplicaSet[]> {
    return claimObjects(
      {
        client: this.context.client,
        info: REPLICASETS,
        owner: deployment,
        selector,
        canAdopt: async () => {
          const fresh = await this.context.client.get(DEPLOYMENTS, deployment.metadata.namespace, deployment.metadata.name!);
          if (fresh.metadata.uid !== deployment.metadata.uid) throw new Error(`original Deployment ${objectKey(deployment)} is gone`);
          if (fresh.metadata.deletionTimestamp !== undefined) throw new Error(`Deployment ${objectKey(deployment)} has just been deleted`);
        },
        log: this.context.log,
      },
      this.replicaSets.list(deployment.metadata.namespace),
    );
  }

  /** Progressing says `DeploymentPaused` while paused and `DeploymentResumed` after (a timeout stays reported). */
  private checkPausedConditions(state: SyncState): void {
    const { deployment, status } = state;
    if (!hasProgressDeadline(deployment)) return;
    const condition = getCondition(status, PROGRESSING);
    if (condition?.reason === REASONS.progressDeadlineExceeded) return;
    const pausedReported = condition?.reason === REASONS.paused;
    if (deployment.spec.paused === true && !pausedReported) {
      setCondition(status, newCondition(PROGRESSING, 'Unknown', REASONS.paused, 'Deployment is paused', this.now()));
    } else if (deployment.spec.paused !== true && pausedReported) {
      setCondition(status, newCondition(PROGRESSING, 'Unknown', REASONS.resumed, 'Deployment is resumed', this.now()));
    }
  }

  /** Scaling only (paused, or `spec.replicas` changed): sizes shared out, history cleaned when paused, status without progress judgement. */
  private async syncScaling(state: SyncState, rsList: readonly ReplicaSet[]): Promise<void> {
    const { newRS, oldRSs } = await this.replicaSetsAndRevision(state, rsList, false);
    await this.applySteps(state, planScale(state.deployment, newRS, oldRSs));
    if (state.deployment.spec.paused === true) await this.cleanupHistory(state, oldRSs);
    await this.syncStatus(state, [...oldRSs, ...(newRS === undefined ? [] : [newRS])], newRS);
  }

  private async rolloutRolling(state: SyncState, rsList: readonly ReplicaSet[]): Promise<void> {
    const { deployment } = state;
    const { newRS, oldRSs } = await this.replicaSetsAndRevision(state, rsList, true);
    if (newRS === undefined) throw new Error(`deployment ${state.key}: no new ReplicaSet`);
    const allRSs = [...oldRSs, newRS];
    const newSize = planNewReplicaSet(deployment, allRSs, newRS);
    if (newSize !== undefined) {
      await this.scaleReplicaSet(state, newRS, newSize, false);
      return this.syncRolloutStatus(state, allRSs, newRS);
    }
    const steps = planOldReplicaSets(deployment, allRSs, activeReplicaSets(oldRSs), newRS);
    if (steps.length > 0) {
      await this.applySteps(state, steps);
      return this.syncRolloutStatus(state, allRSs, newRS);
    }
    if (deploymentComplete(deployment, state.status)) await this.cleanupHistory(state, oldRSs);
    return this.syncRolloutStatus(state, allRSs, newRS);
  }

  private async rolloutRecreate(state: SyncState, rsList: readonly ReplicaSet[]): Promise<void> {
    const { deployment } = state;
    let { newRS, oldRSs } = await this.replicaSetsAndRevision(state, rsList, false);
    const withNew = (): ReplicaSet[] => [...oldRSs, ...(newRS === undefined ? [] : [newRS])];
    const scaleDown = activeReplicaSets(oldRSs).map((rs): ScaleStep => ({ rs, replicas: 0, refreshAnnotations: false }));
    if (scaleDown.length > 0) {
      await this.applySteps(state, scaleDown);
      return this.syncRolloutStatus(state, withNew(), newRS);
    }
    // Not one new pod while an old one may still run: that is the point of Recreate.
    if (this.oldPodsRunning(deployment, oldRSs)) return this.syncRolloutStatus(state, withNew(), newRS);
    if (newRS === undefined) ({ newRS, oldRSs } = await this.replicaSetsAndRevision(state, rsList, true));
    if (newRS === undefined) throw new Error(`deployment ${state.key}: no new ReplicaSet`);
    if (specReplicas(newRS) !== (deployment.spec.replicas ?? 0)) await this.scaleReplicaSet(state, newRS, deployment.spec.replicas ?? 0, false);
    if (deploymentComplete(deployment, state.status)) await this.cleanupHistory(state, oldRSs);
    return this.syncRolloutStatus(state, withNew(), newRS);
  }

  /**
   * Blue-green: the new ReplicaSet made (not while paused) and numbered here, the rest
   * decided by the deployer, then the counts and the deployer's fields written as status.
   */
  private async rolloutBlueGreen(state: SyncState, rsList: readonly ReplicaSet[]): Promise<void> {
    const { deployment } = state;
    this.checkPausedConditions(state);
    const { newRS, oldRSs } = await this.replicaSetsAndRevision(state, rsList, deployment.spec.paused !== true);
    await this.blueGreen.sync({ deployment, status: state.status, newRS, oldRSs });
    const status = calculateStatus([...oldRSs, ...(newRS === undefined ? [] : [newRS])], newRS, deployment, this.now());
    status.currentPodHash = state.status.currentPodHash;
    status.blueGreen = state.status.blueGreen;
    if (getCondition(status, PROGRESSING)?.reason === REASONS.newReplicaSetAvailable) await this.cleanupHistory(state, oldRSs);
    if (deploymentStatusChanged(state.cached.status, status)) await this.writeStatus(state, status);
  }

  /** Whether an old ReplicaSet still reports pods, or any pod of one is not finished (terminating pods included). */
  private oldPodsRunning(deployment: Deployment, oldRSs: readonly ReplicaSet[]): boolean {
    if (sumStatusReplicas(oldRSs) > 0) return true;
    const oldUids = new Set(oldRSs.map((rs) => rs.metadata.uid));
    return this.pods.list(deployment.metadata.namespace).some((pod) => {
      const reference = controllerRefOf(pod);
      if (reference === undefined || !oldUids.has(reference.uid)) return false;
      const phase = pod.status?.phase;
      return phase !== 'Succeeded' && phase !== 'Failed';
    });
  }

  /**
   * The new ReplicaSet (created when `create` and missing) and the old ones, with revisions
   * brought up to date: the new ReplicaSet's revision above every old one, the
   * Deployment's revision annotation equal to it.
   */
  private async replicaSetsAndRevision(state: SyncState, rsList: readonly ReplicaSet[], create: boolean): Promise<{ newRS: ReplicaSet | undefined; oldRSs: ReplicaSet[] }> {
    const { deployment, status } = state;
    const oldRSs = findOldReplicaSets(deployment, rsList);
    const newRevision = maxRevision(oldRSs) + 1;
    const existing = findNewReplicaSet(deployment, rsList);
    if (existing !== undefined) {
      const copy = jsonClone(existing);
      const annotationsChanged = setNewReplicaSetAnnotations(deployment, copy, newRevision, true);
      const minReadySeconds = deployment.spec.minReadySeconds ?? 0;
      if (annotationsChanged || (copy.spec.minReadySeconds ?? 0) !== minReadySeconds) {
        copy.spec.minReadySeconds = minReadySeconds;
        // Conditional on the cached resourceVersion: a stale copy fails and is synced again.
        const updated = (await this.context.client.update(REPLICASETS, copy)) as ReplicaSet;
        return { newRS: updated, oldRSs };
      }
      await this.setDeploymentRevision(state, copy.metadata.annotations?.[REVISION_ANNOTATION]);
      if (hasProgressDeadline(deployment) && getCondition(status, PROGRESSING) === undefined) {
        setCondition(status, newCondition(PROGRESSING, 'True', REASONS.foundNewReplicaSet, `Found new replica set "${copy.metadata.name}"`, this.now()));
      }
      return { newRS: existing, oldRSs };
    }
    if (!create) return { newRS: undefined, oldRSs };
    return { newRS: await this.createNewReplicaSet(state, oldRSs, newRevision), oldRSs };
  }

  private async createNewReplicaSet(state: SyncState, oldRSs: readonly ReplicaSet[], newRevision: number): Promise<ReplicaSet> {
    const { deployment, status } = state;
    const hash = computeTemplateHash(deployment.spec.template, status.collisionCount);
    const template = jsonClone(deployment.spec.template);
    template.metadata = { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash } };
    const selector = jsonClone(deployment.spec.selector);
    selector.matchLabels = { ...(selector.matchLabels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash };
    const name = `${deployment.metadata.name}-${hash}`;
    const rs: ReplicaSet = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name, namespace: deployment.metadata.namespace, labels: { ...template.metadata.labels }, ownerReferences: [newControllerRef(deployment)] },
      spec: { replicas: 0, minReadySeconds: deployment.spec.minReadySeconds ?? 0, selector, template },
    };
    rs.spec.replicas = newReplicaSetSize(deployment, [...oldRSs, rs], 0);
    setNewReplicaSetAnnotations(deployment, rs, newRevision, false);
    let created: ReplicaSet;
    try {
      created = (await this.context.client.create(REPLICASETS, deployment.metadata.namespace, rs)) as ReplicaSet;
    } catch (error) {
      if (error instanceof ApiError && error.reason === 'AlreadyExists') return this.handleNameTaken(state, name);
      const message = `Failed to create new replica set "${name}": ${(error as Error).message}`;
      this.recordEvent(deployment, 'Warning', REASONS.failedReplicaSetCreate, message);
      if (hasProgressDeadline(deployment)) {
        setCondition(status, newCondition(PROGRESSING, 'False', REASONS.failedReplicaSetCreate, message, this.now()));
        await this.writeStatus(state, status);
      }
      throw error;
    }
    if (specReplicas(created) > 0) this.recordEvent(deployment, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${name} to ${specReplicas(created)}`);
    await this.setDeploymentRevision(state, String(newRevision));
    if (hasProgressDeadline(deployment)) {
      setCondition(status, newCondition(PROGRESSING, 'True', REASONS.newReplicaSetCreated, `Created new replica set "${name}"`, this.now()));
    }
    return created;
  }

  /**
   * The new ReplicaSet's name exists: ours with this template (the cache had not shown it
   * yet), or another template's (a hash collision: bump `collisionCount`, which changes the
   * hash, and try again).
   */
  private async handleNameTaken(state: SyncState, name: string): Promise<ReplicaSet> {
    const { deployment, status } = state;
    const found = (await this.context.client.get(REPLICASETS, deployment.metadata.namespace, name)) as ReplicaSet;
    if (controllerRefOf(found)?.uid === deployment.metadata.uid && equalIgnoringHash(found.spec.template, deployment.spec.template)) return found;
    status.collisionCount = (status.collisionCount ?? 0) + 1;
    await this.writeStatus(state, status);
    throw new Error(`found a hash collision for deployment ${state.key}: ReplicaSet ${name} exists; collisionCount is now ${status.collisionCount}`);
  }

  /** The Deployment's revision annotation set to `revision` (a metadata write; the spec, and so the generation, stay). */
  private async setDeploymentRevision(state: SyncState, revision: string | undefined): Promise<void> {
    const { deployment } = state;
    if (revision === undefined || deployment.metadata.annotations?.[REVISION_ANNOTATION] === revision) return;
    await this.context.client.patch(DEPLOYMENTS, deployment.metadata.namespace, deployment.metadata.name!, { metadata: { annotations: { [REVISION_ANNOTATION]: revision } } });
    deployment.metadata.annotations = { ...(deployment.metadata.annotations ?? {}), [REVISION_ANNOTATION]: revision };
  }

  private async applySteps(state: SyncState, steps: readonly ScaleStep[]): Promise<void> {
    // One at a time, stopping at the first failure: the next sync plans again from what happened.
    for (const step of steps) await this.scaleReplicaSet(state, step.rs, step.replicas, step.refreshAnnotations);
  }

  /**
   * Sets `rs`'s size and its replica annotations (the Deployment's size and size plus
   * surge), conditional on the resourceVersion the decision was made from. Whether it wrote.
   */
  private async scaleReplicaSet(
    state: Pick<SyncState, 'deployment'>,
    rs: ReplicaSet,
    replicas: number,
    refreshAnnotations: boolean,
    annotations: AnnotationChanges = {},
  ): Promise<boolean> {
    const { deployment } = state;
    const current = specReplicas(rs);
    const desired = deployment.spec.replicas ?? 0;
    const maxReplicas = desired + maxSurge(deployment);
    const sizeChanged = current !== replicas;
    const existing = rs.metadata.annotations ?? {};
    const annotationsChanged = Object.entries(annotations).some(([key, value]) => (value === null ? key in existing : existing[key] !== value));
    if (!sizeChanged && !annotationsChanged && !(refreshAnnotations && replicasAnnotationsNeedUpdate(rs, desired, maxReplicas))) return false;
    await this.context.client.patch(REPLICASETS, rs.metadata.namespace, rs.metadata.name!, {
      metadata: {
        resourceVersion: rs.metadata.resourceVersion,
        annotations: { ...annotations, [DESIRED_REPLICAS_ANNOTATION]: String(desired), [MAX_REPLICAS_ANNOTATION]: String(maxReplicas) },
      },
      spec: { replicas },
    });
    if (sizeChanged) {
      this.recordEvent(deployment, 'Normal', 'ScalingReplicaSet', `Scaled ${replicas > current ? 'up' : 'down'} replica set ${rs.metadata.name} to ${replicas}`);
    }
    return true;
  }

  /**
   * Deletes the oldest old ReplicaSets beyond `revisionHistoryLimit`, each only once it is
   * empty (no pods wanted, none reported, its status current).
   */
  private async cleanupHistory(state: SyncState, oldRSs: readonly ReplicaSet[]): Promise<void> {
    const limit = state.deployment.spec.revisionHistoryLimit;
    if (limit === undefined || limit === UNLIMITED_INT32) return;
    const alive = oldRSs.filter((rs) => rs.metadata.deletionTimestamp === undefined);
    const excess = alive.length - limit;
    if (excess <= 0) return;
    const oldestFirst = [...alive].sort(byRevisionOldestFirst);
    for (const rs of oldestFirst.slice(0, excess)) {
      const empty = (rs.status?.replicas ?? 0) === 0 && specReplicas(rs) === 0 && (rs.metadata.generation ?? 0) <= (rs.status?.observedGeneration ?? 0);
      if (!empty) continue;
      try {
        await this.context.client.delete(REPLICASETS, rs.metadata.namespace, rs.metadata.name!, { preconditions: { uid: rs.metadata.uid! } });
      } catch (error) {
        if (!(error instanceof ApiError && error.reason === 'NotFound')) throw error;
      }
    }
  }

  /** Counts and Available only (scaling, paused, blue-green, being deleted). */
  private async syncStatus(state: SyncState, allRSs: readonly ReplicaSet[], newRS: ReplicaSet | undefined): Promise<void> {
    const status = calculateStatus(allRSs, newRS, state.deployment, this.now());
    if (deploymentStatusChanged(state.cached.status, status)) await this.writeStatus(state, status);
  }

  /** Counts, conditions and the rollout's progress; a rollout without progress is looked at again at its deadline. */
  private async syncRolloutStatus(state: SyncState, allRSs: readonly ReplicaSet[], newRS: ReplicaSet | undefined): Promise<void> {
    const now = this.now();
    const status = rolloutStatus(allRSs, newRS, state.deployment, now);
    if (deploymentStatusChanged(state.cached.status, status)) await this.writeStatus(state, status);
    const delayMs = progressRecheckDelayMs(state.deployment, status, now);
    if (delayMs !== undefined) this.queue.addAfter(state.key, delayMs + PROGRESS_RECHECK_MARGIN_MS);
  }

  private async writeStatus(state: SyncState, status: DeploymentStatus): Promise<void> {
    const { deployment } = state;
    const patch: Record<string, unknown> = { ...status, conditions: status.conditions !== undefined && status.conditions.length > 0 ? status.conditions : null };
    try {
      await this.context.client.patch(DEPLOYMENTS, deployment.metadata.namespace, deployment.metadata.name!, { status: patch }, true);
    } catch (error) {
      if (error instanceof ApiError && error.reason === 'NotFound') return;
      throw error;
    }
  }

  private recordEvent(deployment: Deployment, type: EventType, reason: string, message: string): void {
    const pending = this.recorder.record(deployment, type, reason, message);
    this.pendingEvents.add(pending);
    void pending.finally(() => this.pendingEvents.delete(pending));
  }
}

function parseSelector(deployment: Deployment): LabelSelector | undefined {
  try {
    return labelSelectorFromObject(deployment.spec.selector ?? {});
  } catch {
    return undefined;
  }
}
