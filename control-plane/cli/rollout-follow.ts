/**
 * Following one Deployment's rollout to its end for `balsa deploy` and `balsa promote`,
 * judged by exactly what `balsa rollout status` judges it by (`deploymentRolloutStatus`):
 * the rollout is live when that says done, and failed when that refuses (a progress deadline
 * exceeded, or whatever a strategy's status teaches it), whatever the strategy. The reason
 * of a failure is the Deployment's `Progressing` condition, read generically (reason and
 * message, as the controller of any strategy writes them).
 *
 * The Deployment is watched (and read again whenever the watch ends). A rollout is of one
 * pod template: when the Deployment is found with another one (rolled back, or deployed over
 * by someone else), the rollout followed is over and did not go live.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { resourceByName } from '../api/resources.js';
import type { ApiObject } from '../api/types.js';
import { PROGRESSING } from '../controllers/deployment/constants.js';
import { equalIgnoringHash } from '../controllers/deployment/template-hash.js';
import type { PodTemplate } from '../controllers/replicaset/workload-objects.js';
import type { ApiClient } from './api-client.js';
import { ROLLOUT_REWATCH_DELAY_MS } from './constants.js';
import { CliError } from './errors.js';
import { asRecord, asRecords, asString } from '../api/object-fields.js';
import { deploymentRolloutStatus } from './rollout-status.js';

const DEPLOYMENTS = resourceByName('deployments')!;

/** How a followed rollout ended. */
export type RolloutOutcome =
  /** `rollout status` says done: `message` is its line (with its newline). */
  | { readonly kind: 'live'; readonly deployment: ApiObject; readonly message: string }
  /** `rollout status` refuses: `reason` says why, with the Progressing condition's reason and message. */
  | { readonly kind: 'failed'; readonly deployment: ApiObject; readonly reason: string }
  /** The Deployment now has another pod template than the one followed. */
  | { readonly kind: 'superseded'; readonly deployment: ApiObject }
  | { readonly kind: 'deleted' }
  | { readonly kind: 'timedOut' }
  /** The caller's signal was aborted. */
  | { readonly kind: 'interrupted' };

export interface FollowRolloutOptions {
  readonly namespace: string;
  readonly name: string;
  /** The pod template whose rollout is followed (as the server stored it). */
  readonly template: PodTemplate;
  /** Give up after this long, in ms; 0: never. */
  readonly timeoutMs: number;
  /** Stops following (Ctrl-C). */
  readonly signal?: AbortSignal;
  /** Each status line of the rollout in progress (with its newline), as often as the Deployment changes. */
  readonly onProgress: (message: string) => void;
}

/**
 * Why the rollout of `deployment` failed: `message` (`rollout status`'s words), then the
 * Progressing condition's reason and message when that condition is not True.
 */
export function rolloutFailureReason(deployment: ApiObject, message: string): string {
  const progressing = asRecords(asRecord(deployment.status).conditions).find((condition) => condition.type === PROGRESSING);
  if (progressing === undefined || progressing.status === 'True') return message;
  const detail = [asString(progressing.reason), asString(progressing.message)].filter((part) => part !== '').join(': ');
  return detail === '' ? message : `${message} (${detail})`;
}

type Judgement = { readonly progress: string } | Exclude<RolloutOutcome, { kind: 'deleted' | 'timedOut' | 'interrupted' }>;

function judge(deployment: ApiObject, template: PodTemplate): Judgement {
  if (!equalIgnoringHash(asRecord(deployment.spec).template as PodTemplate, template)) return { kind: 'superseded', deployment };
  try {
    const { message, done } = deploymentRolloutStatus(deployment);
    return done ? { kind: 'live', deployment, message } : { progress: message };
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    return { kind: 'failed', deployment, reason: rolloutFailureReason(deployment, error.message) };
  }
}

/** Follows the rollout of `options.template` in the Deployment until it ends one way or another. */
export async function followRollout(client: ApiClient, options: FollowRolloutOptions): Promise<RolloutOutcome> {
  const stop = new AbortController();
  let timedOut = false;
  const timer =
    options.timeoutMs > 0
      ? setTimeout(() => {
          timedOut = true;
          stop.abort();
        }, options.timeoutMs)
      : undefined;
  const onInterrupt = (): void => stop.abort();
  options.signal?.addEventListener('abort', onInterrupt, { once: true });
  /** The outcome once the rollout ended, else undefined (and the progress reported). */
  const look = (deployment: ApiObject): RolloutOutcome | undefined => {
    const judgement = judge(deployment, options.template);
    if ('progress' in judgement) {
      options.onProgress(judgement.progress);
      return undefined;
    }
    return judgement;
  };
  try {
    const outcome = await watchDeployment(client, options.namespace, options.name, stop.signal, look);
    if (outcome === 'deleted') return { kind: 'deleted' };
    if (outcome !== undefined) return outcome;
    return timedOut ? { kind: 'timedOut' } : { kind: 'interrupted' };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    options.signal?.removeEventListener('abort', onInterrupt);
  }
}

/**
 * Reads the Deployment, then watches it (reading it again whenever a watch ends) until
 * `look` answers something: that answer; `'deleted'` when it is deleted; undefined once
 * `signal` aborts.
 */
export async function watchDeployment<T>(client: ApiClient, namespace: string, name: string, signal: AbortSignal, look: (deployment: ApiObject) => T | undefined): Promise<T | 'deleted' | undefined> {
  while (!signal.aborted) {
    const deployment = await client.get(DEPLOYMENTS, namespace, name);
    const now = look(deployment);
    if (now !== undefined) return now;
    const events = client.watch(DEPLOYMENTS, { namespace, fieldSelector: `metadata.name=${name}`, resourceVersion: deployment.metadata.resourceVersion, signal });
    for await (const event of events) {
      if (event.type === 'BOOKMARK') continue;
      if (event.type === 'ERROR') break; // too old a version, say: read it again
      const object = event.object as ApiObject;
      if (object.metadata.name !== name) continue;
      if (event.type === 'DELETED') return 'deleted';
      const answer = look(object);
      if (answer !== undefined) return answer;
    }
    await sleep(ROLLOUT_REWATCH_DELAY_MS, undefined, { signal }).catch(() => undefined);
  }
  return undefined;
}
