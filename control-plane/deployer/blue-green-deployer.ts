/**
 * The blue-green deployer: a Deployment with `strategy.type: BlueGreen` is rolled out by
 * starting the new version beside the old one and switching traffic at once, as Argo
 * Rollouts' blue-green strategy does. The Deployment controller owns the ReplicaSets (it
 * creates them, numbers their revisions, writes the status) and hands each sync of such a
 * Deployment here; this module decides the sizes, the Services' pins, the conditions and the
 * Events. Level-triggered: everything is worked out again from the caches each sync.
 *
 * Which version is *active* is what the active Service's selector says (its
 * `pod-template-hash`, see `service-pinning.ts`); a Service not pinned yet is pinned to the
 * version serving now (`presumedActive`). Then:
 *
 * - **live** (the template's ReplicaSet is active): it has `spec.replicas` pods; every other
 *   ReplicaSet is kept `scaleDownDelaySeconds` after it left service (its
 *   `scale-down-deadline` annotation), then scaled to 0; Progressing says
 *   `NewReplicaSetAvailable` once the Service's Endpoints list only the active version.
 * - **rolling out** (a new template): the new ReplicaSet gets every pod at once, the active
 *   one keeps its own, the preview Service is pinned to the new one. Once every new pod is
 *   available (Ready for `minReadySeconds`) the active Service is switched in one update —
 *   at once with `autoPromote`, else once `balsa rollout promote` named this version. A new
 *   version not healthy by its `health-deadline` (`healthTimeoutSeconds` after the rollout
 *   began) is given up: aborted as below, with reason `BlueGreenHealthTimeout`.
 * - **aborted** (`balsa rollout abort`, or the health timeout, marked on the Deployment): the
 *   new ReplicaSet goes to 0, traffic stays where it is, Progressing is False; until the
 *   template changes again or `balsa rollout undo` clears the mark.
 * - **paused** (`spec.paused`): nothing moves but the active version's size.
 */
import { resourceByName } from '../api/resources.js';
import type { ApiObject } from '../api/types.js';
import type { EventType } from '../client/event-recorder.js';
import type { GrpcApiClient } from '../client/grpc-api-client.js';
import type { Informer } from '../client/informer.js';
import { PROGRESSING, REASONS } from '../controllers/deployment/constants.js';
import { getCondition, newCondition, setCondition } from '../controllers/deployment/deployment-conditions.js';
import type { Deployment, DeploymentStatus } from '../controllers/deployment/deployment-object.js';
import { revisionOf } from '../controllers/deployment/revisions.js';
import type { Pod, ReplicaSet } from '../controllers/replicaset/workload-objects.js';
import { specReplicas } from '../controllers/replicaset/workload-objects.js';
import type { BlueGreenSettings } from './blue-green-spec.js';
import { blueGreenSettings, deadlineMs, deadlineText, findByHash, hashOf, isHealthy, podsNotReady, presumedActive } from './blue-green-spec.js';
import {
  ABORT_ANNOTATION,
  ACTIVE_REVISION_ANNOTATION,
  BLUE_GREEN_EVENTS,
  BLUE_GREEN_REASONS,
  DEADLINE_RECHECK_MARGIN_MS,
  HEALTH_DEADLINE_ANNOTATION,
  PROMOTE_ANNOTATION,
  SCALE_DOWN_DEADLINE_ANNOTATION,
} from './constants.js';
import { endpointsFollow, pinnedHash, pinnedTo } from './service-pinning.js';

const DEPLOYMENTS = resourceByName('deployments')!;
const SERVICES = resourceByName('services')!;

/** Annotations to set (a string) or remove (null). */
export type AnnotationChanges = Record<string, string | null>;

/** What the deployer needs of the Deployment controller that runs it. */
export interface BlueGreenHost {
  readonly client: GrpcApiClient;
  readonly services: Informer;
  readonly endpoints: Informer;
  readonly pods: Informer<Pod>;
  now(): Date;
  recordEvent(deployment: Deployment, type: EventType, reason: string, message: string): void;
  /**
   * Sets `rs`'s size and these annotations, conditional on its cached resourceVersion (a
   * stale plan fails with a conflict and is made again); whether it wrote.
   */
  scaleReplicaSet(deployment: Deployment, rs: ReplicaSet, replicas: number, annotations: AnnotationChanges): Promise<boolean>;
  /** Syncs the Deployment again in `delayMs`. */
  requeueAfter(deployment: Deployment, delayMs: number): void;
}

/** One sync's view of a blue-green Deployment: the working copies the controller writes back. */
export interface BlueGreenRollout {
  readonly deployment: Deployment;
  /** Conditions and the blue-green fields are set here; the controller adds the counts. */
  readonly status: DeploymentStatus;
  /** The current template's ReplicaSet; undefined while paused before it was made. */
  readonly newRS: ReplicaSet | undefined;
  readonly oldRSs: readonly ReplicaSet[];
}

/** One sync's facts, worked out once. */
interface Step extends BlueGreenRollout {
  readonly settings: BlueGreenSettings;
  readonly desired: number;
  readonly service: ApiObject | undefined;
  readonly active: ReplicaSet;
  readonly now: Date;
}

export class BlueGreenDeployer {
  constructor(private readonly host: BlueGreenHost) {}

  /** Moves the rollout one step. Throws (to be retried) when a write fails. */
  async sync(rollout: BlueGreenRollout): Promise<void> {
    const { deployment, status, newRS, oldRSs } = rollout;
    const settings = blueGreenSettings(deployment);
    const all = newRS === undefined ? [...oldRSs] : [...oldRSs, newRS];
    const service = this.host.services.getByName(deployment.metadata.namespace, settings.activeService);
    const active = findByHash(all, service === undefined ? undefined : pinnedHash(service)) ?? presumedActive(newRS, oldRSs);
    status.currentPodHash = newRS === undefined ? undefined : hashOf(newRS);
    status.blueGreen = { newAvailableReplicas: newRS?.status?.availableReplicas ?? 0 };
    if (active === undefined) return;
    const step: Step = { ...rollout, settings, desired: deployment.spec.replicas ?? 0, service, active, now: this.host.now() };
    status.blueGreen.activeSelector = hashOf(active);
    if (service === undefined) {
      this.setProgressing(step, 'False', BLUE_GREEN_REASONS.serviceNotFound, `active service "${settings.activeService}" not found`);
    } else if (pinnedHash(service) !== hashOf(active)) {
      await this.pin(step, service, active);
    }
    if (newRS === undefined || deployment.spec.paused === true) return this.syncPaused(step);
    if (active.metadata.uid === newRS.metadata.uid) return this.syncLive(step, newRS);
    if (deployment.metadata.annotations?.[ABORT_ANNOTATION] === hashOf(newRS)) return this.syncAborted(step, newRS);
    return this.syncRollout(step, newRS);
  }

  // --- states ---

  private async syncPaused(step: Step): Promise<void> {
    await this.host.scaleReplicaSet(step.deployment, step.active, step.desired, { [SCALE_DOWN_DEADLINE_ANNOTATION]: null });
  }

  private async syncLive(step: Step, newRS: ReplicaSet): Promise<void> {
    const { deployment, settings, desired } = step;
    await this.host.scaleReplicaSet(deployment, newRS, desired, { [SCALE_DOWN_DEADLINE_ANNOTATION]: null, [HEALTH_DEADLINE_ANNOTATION]: null });
    await this.pinPreview(step, newRS);
    await this.scaleDownOld(step, step.oldRSs);
    // A promotion or abort asked for an earlier rollout means nothing now.
    await this.setDeploymentAnnotations(deployment, { [ACTIVE_REVISION_ANNOTATION]: String(revisionOf(newRS)), [PROMOTE_ANNOTATION]: null, [ABORT_ANNOTATION]: null });
    if (step.service === undefined) return;
    const current = getCondition(step.status, PROGRESSING)?.reason;
    if (current === REASONS.newReplicaSetAvailable) return;
    const endpoints = this.host.endpoints.getByName(deployment.metadata.namespace, settings.activeService);
    const followed = endpointsFollow(endpoints, this.host.pods.list(deployment.metadata.namespace), hashOf(newRS)!, desired > 0 ? 1 : 0);
    if (isHealthy(newRS, desired) && followed) {
      this.setProgressing(step, 'True', REASONS.newReplicaSetAvailable, `ReplicaSet "${newRS.metadata.name}" has successfully progressed.`);
    } else if (current !== BLUE_GREEN_REASONS.promoted) {
      this.setProgressing(step, 'True', REASONS.replicaSetUpdated, `ReplicaSet "${newRS.metadata.name}" is progressing.`);
    }
  }

  private async syncRollout(step: Step, newRS: ReplicaSet): Promise<void> {
    const { deployment, settings, desired, active, now } = step;
    await this.host.scaleReplicaSet(deployment, active, desired, { [SCALE_DOWN_DEADLINE_ANNOTATION]: null });
    const healthDeadline = deadlineMs(newRS, HEALTH_DEADLINE_ANNOTATION);
    const deadlineChange: AnnotationChanges = healthDeadline !== undefined || settings.healthTimeoutSeconds === 0 ? {} : { [HEALTH_DEADLINE_ANNOTATION]: deadlineText(now, settings.healthTimeoutSeconds) };
    await this.host.scaleReplicaSet(deployment, newRS, desired, { [SCALE_DOWN_DEADLINE_ANNOTATION]: null, ...deadlineChange });
    await this.scaleDownOld(step, step.oldRSs.filter((rs) => rs.metadata.uid !== active.metadata.uid));
    await this.pinPreview(step, newRS);
    if (isHealthy(newRS, desired)) return this.newVersionHealthy(step, newRS);
    if (healthDeadline !== undefined && now.getTime() >= healthDeadline) {
      const notReady = podsNotReady(newRS, this.host.pods.list(deployment.metadata.namespace));
      const pods = notReady.length > 0 ? `pods not ready: ${notReady.join(', ')}` : `${newRS.status?.availableReplicas ?? 0} of ${desired} pods available`;
      const message = `ReplicaSet "${newRS.metadata.name}" did not become healthy within ${settings.healthTimeoutSeconds}s (${pods}); service "${settings.activeService}" stays on ReplicaSet "${active.metadata.name}"`;
      await this.setDeploymentAnnotations(deployment, { [ABORT_ANNOTATION]: hashOf(newRS)!, [PROMOTE_ANNOTATION]: null });
      this.setProgressing(step, 'False', BLUE_GREEN_REASONS.healthTimeout, message);
      return this.syncAborted(step, newRS);
    }
    const available = newRS.status?.availableReplicas ?? 0;
    this.setProgressing(step, 'True', REASONS.replicaSetUpdated, `ReplicaSet "${newRS.metadata.name}" is progressing: ${available} of ${desired} new pods available.`);
    const waitMs = (healthDeadline ?? timestampOf(deadlineChange[HEALTH_DEADLINE_ANNOTATION] ?? undefined)) - now.getTime();
    if (Number.isFinite(waitMs)) this.host.requeueAfter(deployment, Math.max(0, waitMs) + DEADLINE_RECHECK_MARGIN_MS);
  }

  /** Every new pod is available: switch now, or wait to be promoted. */
  private async newVersionHealthy(step: Step, newRS: ReplicaSet): Promise<void> {
    const { deployment, settings, service, active } = step;
    const hash = hashOf(newRS)!;
    const reason = getCondition(step.status, PROGRESSING)?.reason;
    if (reason !== BLUE_GREEN_REASONS.awaitingPromotion && reason !== BLUE_GREEN_REASONS.promoted) {
      this.host.recordEvent(deployment, 'Normal', BLUE_GREEN_EVENTS.previewReady, `ReplicaSet "${newRS.metadata.name}" (revision ${revisionOf(newRS)}) is healthy: ${step.desired} of ${step.desired} pods ready`);
    }
    const promoted = settings.autoPromote || deployment.metadata.annotations?.[PROMOTE_ANNOTATION] === hash;
    if (!promoted) {
      const message = `ReplicaSet "${newRS.metadata.name}" is healthy; waiting for 'balsa rollout promote deployment/${deployment.metadata.name}'`;
      this.setProgressing(step, 'Unknown', BLUE_GREEN_REASONS.awaitingPromotion, message);
      return;
    }
    if (service === undefined) return;
    // The switch: one conditional update of the Service. A stale cache gets a conflict and a retry.
    await this.host.client.update(SERVICES, pinnedTo(service, hash));
    this.host.recordEvent(
      deployment,
      'Normal',
      BLUE_GREEN_EVENTS.promoted,
      `Switched service "${settings.activeService}" from ReplicaSet "${active.metadata.name}" (revision ${revisionOf(active)}) to ReplicaSet "${newRS.metadata.name}" (revision ${revisionOf(newRS)})`,
    );
    step.status.blueGreen = { ...step.status.blueGreen, activeSelector: hash };
    this.setProgressing(step, 'True', BLUE_GREEN_REASONS.promoted, `Service "${settings.activeService}" selects ReplicaSet "${newRS.metadata.name}"; waiting for its endpoints`);
    await this.setDeploymentAnnotations(deployment, { [ACTIVE_REVISION_ANNOTATION]: String(revisionOf(newRS)), [PROMOTE_ANNOTATION]: null });
    // The old version's scale-down delay starts when the next sync sees it out of service.
    this.host.requeueAfter(deployment, 0);
  }

  private async syncAborted(step: Step, newRS: ReplicaSet): Promise<void> {
    const { deployment, settings, desired, active } = step;
    await this.host.scaleReplicaSet(deployment, active, desired, { [SCALE_DOWN_DEADLINE_ANNOTATION]: null });
    await this.pinPreview(step, active);
    await this.scaleDownOld(step, step.oldRSs.filter((rs) => rs.metadata.uid !== active.metadata.uid));
    const reason = getCondition(step.status, PROGRESSING)?.reason;
    if (reason !== BLUE_GREEN_REASONS.healthTimeout && reason !== BLUE_GREEN_REASONS.aborted) {
      const message = `Rollout of ReplicaSet "${newRS.metadata.name}" aborted; service "${settings.activeService}" stays on ReplicaSet "${active.metadata.name}"`;
      this.setProgressing(step, 'False', BLUE_GREEN_REASONS.aborted, message);
    }
    const scaled = await this.host.scaleReplicaSet(deployment, newRS, 0, { [HEALTH_DEADLINE_ANNOTATION]: null, [SCALE_DOWN_DEADLINE_ANNOTATION]: null });
    if (scaled && specReplicas(newRS) > 0) {
      this.host.recordEvent(deployment, 'Warning', BLUE_GREEN_EVENTS.aborted, getCondition(step.status, PROGRESSING)?.message ?? 'Rollout aborted');
    }
  }

  // --- helpers ---

  /**
   * Every ReplicaSet out of service that still has pods: it keeps them for
   * `scaleDownDelaySeconds` from when it was first seen out of service (connections in
   * flight drain, and an undo finds it ready), then goes to 0.
   */
  private async scaleDownOld(step: Step, replicaSets: readonly ReplicaSet[]): Promise<void> {
    const { deployment, settings, now } = step;
    for (const rs of replicaSets) {
      if (specReplicas(rs) === 0) continue;
      const deadline = deadlineMs(rs, SCALE_DOWN_DEADLINE_ANNOTATION);
      if (deadline === undefined && settings.scaleDownDelaySeconds > 0) {
        await this.host.scaleReplicaSet(deployment, rs, specReplicas(rs), {
          [SCALE_DOWN_DEADLINE_ANNOTATION]: deadlineText(now, settings.scaleDownDelaySeconds),
          [HEALTH_DEADLINE_ANNOTATION]: null,
        });
        this.host.requeueAfter(deployment, settings.scaleDownDelaySeconds * 1000 + DEADLINE_RECHECK_MARGIN_MS);
      } else if (deadline === undefined || now.getTime() >= deadline) {
        const written = await this.host.scaleReplicaSet(deployment, rs, 0, { [SCALE_DOWN_DEADLINE_ANNOTATION]: null, [HEALTH_DEADLINE_ANNOTATION]: null });
        const after = settings.scaleDownDelaySeconds > 0 ? ` after its ${settings.scaleDownDelaySeconds}s scale-down delay` : '';
        if (written) this.host.recordEvent(deployment, 'Normal', BLUE_GREEN_EVENTS.scaledDownOld, `Scaled down ReplicaSet "${rs.metadata.name}" (revision ${revisionOf(rs)}) to 0${after}`);
      } else {
        this.host.requeueAfter(deployment, deadline - now.getTime() + DEADLINE_RECHECK_MARGIN_MS);
      }
    }
  }

  /** Pins the active Service to the version serving now (it was not pinned, or to a version gone). */
  private async pin(step: Step, service: ApiObject, active: ReplicaSet): Promise<void> {
    await this.host.client.update(SERVICES, pinnedTo(service, hashOf(active)!));
    const message = `Service "${service.metadata.name}" now selects ReplicaSet "${active.metadata.name}" (pod-template-hash=${hashOf(active)})`;
    this.host.recordEvent(step.deployment, 'Normal', BLUE_GREEN_EVENTS.serviceSelected, message);
  }

  /** Pins the preview Service, when there is one, to `rs`. */
  private async pinPreview(step: Step, rs: ReplicaSet): Promise<void> {
    const name = step.settings.previewService;
    if (name === undefined) return;
    const preview = this.host.services.getByName(step.deployment.metadata.namespace, name);
    if (preview === undefined) return;
    const hash = hashOf(rs)!;
    step.status.blueGreen = { ...step.status.blueGreen, previewSelector: hash };
    if (pinnedHash(preview) !== hash) await this.host.client.update(SERVICES, pinnedTo(preview, hash));
  }

  private setProgressing(step: Step, status: 'True' | 'False' | 'Unknown', reason: string, message: string): void {
    const current = getCondition(step.status, PROGRESSING);
    if (current?.status === status && current.reason === reason && current.message === message) return;
    // setCondition keeps a condition of the same status and reason: a new message replaces it.
    if (current?.reason === reason) step.status.conditions = step.status.conditions?.filter((condition) => condition.type !== PROGRESSING);
    const next = newCondition(PROGRESSING, status, reason, message, step.now);
    if (current?.status === status && current.lastTransitionTime !== undefined) next.lastTransitionTime = current.lastTransitionTime;
    setCondition(step.status, next);
  }

  /** Sets and removes annotations of the Deployment (a metadata patch; the generation stays) when they differ. */
  private async setDeploymentAnnotations(deployment: Deployment, changes: AnnotationChanges): Promise<void> {
    const annotations = deployment.metadata.annotations ?? {};
    const needed = Object.entries(changes).filter(([key, value]) => (value === null ? key in annotations : annotations[key] !== value));
    if (needed.length === 0) return;
    const patch = Object.fromEntries(needed);
    await this.host.client.patch(DEPLOYMENTS, deployment.metadata.namespace, deployment.metadata.name!, { metadata: { annotations: patch } });
    const next = { ...annotations };
    for (const [key, value] of needed) {
      if (value === null) delete next[key];
      else next[key] = value;
    }
    deployment.metadata.annotations = next;
  }
}

function timestampOf(text: string | undefined): number {
  return text === undefined ? Number.NaN : Date.parse(text);
}
