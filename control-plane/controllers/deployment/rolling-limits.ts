/**
 * How far a rolling update may go over and under `spec.replicas`, in Kubernetes' arithmetic:
 * `maxSurge` and `maxUnavailable` are counts or percentages of `spec.replicas`; a surge
 * percentage rounds up and an unavailability percentage rounds down (so that a rollout
 * leans towards keeping capacity); when both come to 0 the rollout could not make a step,
 * so one pod may be unavailable.
 */
import { ROLLING_UPDATE_PERCENT_DEFAULT } from './constants.js';
import type { Deployment, IntOrPercent } from './deployment-object.js';
import { strategyTypeOf } from './deployment-object.js';

/**
 * A count, or `percent` of `total` rounded up or down. Throws for text that is not a
 * percentage (the API server refuses it, so this is a bug).
 */
export function scaledValue(value: IntOrPercent, total: number, roundUp: boolean): number {
  if (typeof value === 'number') return value;
  const match = /^(\d+)%$/.exec(value);
  if (match === null) throw new RangeError(`not a count or a percentage: ${JSON.stringify(value)}`);
  const exact = (Number(match[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** The surge and unavailability allowed for `desired` replicas (Kubernetes' `ResolveFenceposts`). */
export function resolveFenceposts(maxSurge: IntOrPercent | undefined, maxUnavailable: IntOrPercent | undefined, desired: number): { surge: number; unavailable: number } {
  const surge = scaledValue(maxSurge ?? ROLLING_UPDATE_PERCENT_DEFAULT, desired, true);
  let unavailable = scaledValue(maxUnavailable ?? ROLLING_UPDATE_PERCENT_DEFAULT, desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

/** Pods a rolling update may run above `spec.replicas`; 0 for other strategies. */
export function maxSurge(deployment: Deployment): number {
  if (strategyTypeOf(deployment) !== 'RollingUpdate') return 0;
  const rollingUpdate = deployment.spec.strategy?.rollingUpdate;
  return resolveFenceposts(rollingUpdate?.maxSurge, rollingUpdate?.maxUnavailable, deployment.spec.replicas ?? 0).surge;
}

/** Pods a rolling update may have unavailable, at most `spec.replicas`; 0 for other strategies or no replicas. */
export function maxUnavailable(deployment: Deployment): number {
  const replicas = deployment.spec.replicas ?? 0;
  if (strategyTypeOf(deployment) !== 'RollingUpdate' || replicas === 0) return 0;
  const rollingUpdate = deployment.spec.strategy?.rollingUpdate;
  const { unavailable } = resolveFenceposts(rollingUpdate?.maxSurge, rollingUpdate?.maxUnavailable, replicas);
  return Math.min(unavailable, replicas);
}
