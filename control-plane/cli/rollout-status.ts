/**
 * What `balsa rollout status` says about a Deployment at one moment, in kubectl's words
 * (its `DeploymentStatusViewer`): waiting for the controller to see the spec, for new
 * replicas to be updated, for old ones to go, for updated ones to become available; then
 * `successfully rolled out`. A rollout past its progress deadline is an error. Pure: one
 * Deployment in, one line out.
 *
 * A blue-green rollout is done once traffic is on the new version: the active Service
 * selects the current template's ReplicaSet and its Endpoints followed (Progressing says
 * `NewReplicaSetAvailable` with `status.blueGreen.activeSelector` equal to
 * `status.currentPodHash`); a rollout aborted or past its health timeout is an error.
 */
import type { ApiObject } from '../api/types.js';
import { REVISION_ANNOTATION } from '../controllers/deployment/constants.js';
import { BLUE_GREEN_REASONS } from '../deployer/constants.js';
import { CliError } from './errors.js';
import { asNumber, asRecord, asRecords, asString } from '../api/object-fields.js';

export interface RolloutStatusLine {
  /** The line to print, ending with a newline. */
  readonly message: string;
  /** The rollout finished. */
  readonly done: boolean;
}

/**
 * The status line of `deployment`. With `revision`, the running revision must be that one.
 *
 * @throws CliError when the rollout exceeded its progress deadline, or runs another revision
 *   than `revision`.
 */
export function deploymentRolloutStatus(deployment: ApiObject, revision?: number): RolloutStatusLine {
  const name = deployment.metadata.name ?? '';
  if (revision !== undefined && revision > 0) {
    const running = Number(deployment.metadata.annotations?.[REVISION_ANNOTATION] ?? '0');
    if (running !== revision) throw new CliError(`desired revision (${revision}) is different from the running revision (${running})`);
  }
  const spec = asRecord(deployment.spec);
  const status = asRecord(deployment.status);
  if ((deployment.metadata.generation ?? 0) > asNumber(status.observedGeneration)) {
    return { message: 'Waiting for deployment spec update to be observed...\n', done: false };
  }
  const progressing = asRecords(status.conditions).find((condition) => condition.type === 'Progressing');
  if (asRecord(spec.strategy).type === 'BlueGreen') return blueGreenStatus(name, spec, status, progressing);
  if (asString(progressing?.reason) === 'ProgressDeadlineExceeded') throw new CliError(`deployment "${name}" exceeded its progress deadline`);
  const replicas = asNumber(spec.replicas, 1);
  const updated = asNumber(status.updatedReplicas);
  const total = asNumber(status.replicas);
  const available = asNumber(status.availableReplicas);
  if (updated < replicas) {
    return { message: `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${replicas} new replicas have been updated...\n`, done: false };
  }
  if (total > updated) {
    return { message: `Waiting for deployment "${name}" rollout to finish: ${total - updated} old replicas are pending termination...\n`, done: false };
  }
  if (available < updated) {
    return { message: `Waiting for deployment "${name}" rollout to finish: ${available} of ${updated} updated replicas are available...\n`, done: false };
  }
  return { message: `deployment "${name}" successfully rolled out\n`, done: true };
}

function blueGreenStatus(name: string, spec: Record<string, unknown>, status: Record<string, unknown>, progressing: Record<string, unknown> | undefined): RolloutStatusLine {
  const reason = asString(progressing?.reason);
  const message = asString(progressing?.message);
  if (reason === BLUE_GREEN_REASONS.healthTimeout || reason === BLUE_GREEN_REASONS.aborted) throw new CliError(`deployment "${name}" rollout aborted: ${message}`);
  const blueGreen = asRecord(status.blueGreen);
  const service = asString(asRecord(asRecord(spec.strategy).blueGreen).activeService);
  const current = asString(status.currentPodHash);
  const switched = current !== '' && asString(blueGreen.activeSelector) === current;
  if (switched && reason === 'NewReplicaSetAvailable') return { message: `deployment "${name}" successfully rolled out (service "${service}" serves the new version)\n`, done: true };
  if (reason === BLUE_GREEN_REASONS.serviceNotFound) return { message: `Waiting for deployment "${name}" rollout to finish: ${message}...\n`, done: false };
  if (reason === BLUE_GREEN_REASONS.awaitingPromotion) {
    return { message: `Waiting for deployment "${name}" rollout to be promoted: the new version is healthy; run 'balsa rollout promote deployment/${name}'...\n`, done: false };
  }
  if (switched) return { message: `Waiting for deployment "${name}" rollout to finish: service "${service}" switched; waiting for its endpoints...\n`, done: false };
  const replicas = asNumber(spec.replicas, 1);
  const available = asNumber(blueGreen.newAvailableReplicas);
  return { message: `Waiting for deployment "${name}" rollout to finish: ${available} of ${replicas} new replicas are available (service "${service}" stays on the old version)...\n`, done: false };
}
