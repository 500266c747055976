/**
 * A Deployment's revisions as `balsa rollout history` and `undo` read them, kubectl's way
 * (client-side since apps/v1): the ReplicaSets the Deployment controls, each carrying its
 * revision (`deployment.kubernetes.io/revision`) and why it was made
 * (`kubernetes.io/change-cause`).
 */
import { resourceByName } from '../api/resources.js';
import type { ApiObject } from '../api/types.js';
import { CHANGE_CAUSE_ANNOTATION } from '../controllers/deployment/constants.js';
import { revisionOf } from '../controllers/deployment/revisions.js';
import type { ApiClient } from './api-client.js';
import { describeObject } from './describers.js';
import { CliError } from './errors.js';
import { DESCRIBE_TAB_OPTIONS, alignTabs } from './tab-writer.js';

const REPLICASETS = resourceByName('replicasets')!;

/** The ReplicaSets of `deployment`'s namespace whose controller it is. */
export async function ownedReplicaSets(client: ApiClient, deployment: ApiObject): Promise<ApiObject[]> {
  const { items } = await client.list(REPLICASETS, { namespace: deployment.metadata.namespace });
  return items.filter((rs) => rs.metadata.ownerReferences?.some((owner) => owner.controller === true && owner.uid === deployment.metadata.uid));
}

/** Each revision's ReplicaSet (a later one wins a revision two share), lowest revision first; ReplicaSets without one left out. */
export function revisions(replicaSets: readonly ApiObject[]): { revision: number; rs: ApiObject }[] {
  const byRevision = new Map<number, ApiObject>();
  for (const rs of replicaSets) {
    const revision = revisionOf(rs);
    if (revision > 0) byRevision.set(revision, rs);
  }
  return [...byRevision.entries()].sort(([a], [b]) => a - b).map(([revision, rs]) => ({ revision, rs }));
}

/** kubectl's history: `REVISION  CHANGE-CAUSE` and a row per revision, or `No rollout history found.`. */
export function historyTable(replicaSets: readonly ApiObject[]): string {
  const rows = revisions(replicaSets);
  if (rows.length === 0) return 'No rollout history found.\n';
  const lines = rows.map(({ revision, rs }) => `${revision}\t${rs.metadata.annotations?.[CHANGE_CAUSE_ANNOTATION] || '<none>'}`);
  return alignTabs(`REVISION\tCHANGE-CAUSE\n${lines.join('\n')}\n`, DESCRIBE_TAB_OPTIONS);
}

/**
 * The ReplicaSet of `toRevision`, or with 0 the one before the latest (kubectl's
 * `deploymentRevision`).
 *
 * @throws CliError when there is no such revision, or no earlier one.
 */
export function replicaSetForRevision(deploymentName: string, replicaSets: readonly ApiObject[], toRevision: number): ApiObject {
  const all = revisions(replicaSets);
  if (toRevision > 0) {
    const found = all.find((entry) => entry.revision === toRevision);
    if (found === undefined) throw new CliError(`unable to find specified revision ${toRevision} in history`);
    return found.rs;
  }
  const previous = all.at(-2);
  if (previous === undefined) throw new CliError(`no rollout history found for deployment "${deploymentName}"`);
  return previous.rs;
}

/** The `Pod Template:` section `describe` writes for the ReplicaSet's template. */
export function podTemplateText(rs: ApiObject, now: Date): string {
  const lines = describeObject(rs, { now, events: [] }).split('\n');
  const start = lines.findIndex((line) => line.startsWith('Pod Template:'));
  if (start < 0) return '';
  let end = start + 1;
  while (end < lines.length && /^\s/.test(lines[end]!)) end++;
  return `${lines.slice(start, end).join('\n')}\n`;
}
