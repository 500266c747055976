/**
 * `balsa promote DEPLOYMENT --from test --to production [--timeout 5m]`: deploys to one
 * namespace exactly what is live in another. The source Deployment's rollout must be
 * complete (as `rollout status` judges it): a source mid-rollout or failed is refused, since
 * only what is live has been proven. Its pod template, image included, is then copied
 * whole (only the `pod-template-hash` label and server-set metadata left out) into the
 * target's Deployment of the same name, which keeps its own replicas and strategy; an absent
 * target is created with the source's spec. The target is annotated with where its template
 * came from (`balsa.dev/promoted-from: test/web@3`, the source's revision, or its template's
 * hash when it has none), and its rollout followed as `balsa deploy` follows one.
 */
import { resourceByName } from '../../api/resources.js';
import type { ApiObject } from '../../api/types.js';
import { ANNOTATIONS_NOT_COPIED, CHANGE_CAUSE_ANNOTATION, REVISION_ANNOTATION } from '../../controllers/deployment/constants.js';
import { computeTemplateHash, equalIgnoringHash, withoutHashLabel } from '../../controllers/deployment/template-hash.js';
import type { PodTemplate } from '../../controllers/replicaset/workload-objects.js';
import type { ClientCommand, CommandContext } from '../command-context.js';
import { ApiClientError, CliError, CliUsageError } from '../errors.js';
import { stringFlag } from '../flags.js';
import type { ParsedFlags } from '../flags.js';
import { asRecord, qualifiedName } from '../../api/object-fields.js';
import { writeObject } from '../object-write.js';
import { RELEASE_TIMEOUT_HELP, deploymentArgument, deploymentTemplate, followRelease, imagesText, releaseTimeoutMs } from '../release-rollout.js';
import { rolloutFailureReason } from '../rollout-follow.js';
import { deploymentRolloutStatus } from '../rollout-status.js';

const DEPLOYMENTS = resourceByName('deployments')!;

/** On a promoted Deployment: `NAMESPACE/NAME@REVISION` (or `@HASH`) of the Deployment its pod template came from. */
export const PROMOTED_FROM_ANNOTATION = 'balsa.dev/promoted-from';

const HELP = `Deploy to one namespace the pod template that is live in another, and follow its rollout.

Usage:
  balsa promote DEPLOYMENT --from NAMESPACE --to NAMESPACE [--timeout DURATION] [flags]

The deployment in --from must have completed its rollout (a rollout in progress or failed is
refused). Its pod template, image included, replaces the template of the deployment of the
same name in --to, which keeps its replicas; when --to has no such deployment, it is created
with the source's spec. The target is annotated with ${PROMOTED_FROM_ANNOTATION}: FROM/NAME@REVISION.
Then the rollout is followed as 'balsa deploy' does: exit 0 once it is live, 1 when it
failed, when the deployment was changed meanwhile, or when --timeout passed.

Examples:
  balsa promote web --from test --to production
  balsa promote deployment/web --from staging --to production --timeout 10m

Flags:
      --from NAMESPACE     where the live deployment is (required)
      --to NAMESPACE       where to deploy it (required)
${RELEASE_TIMEOUT_HELP}`;

/** `from/name@revision`, or `@hash` of the template for a Deployment without a revision yet. */
export function promotionOrigin(source: ApiObject, template: PodTemplate): string {
  const revision = source.metadata.annotations?.[REVISION_ANNOTATION];
  return `${source.metadata.namespace ?? ''}/${source.metadata.name ?? ''}@${revision ?? computeTemplateHash(template)}`;
}

/** The source's template as it is copied: without the hash label and without what the server set in its metadata. */
export function promotedTemplate(source: ApiObject): PodTemplate {
  const template = withoutHashLabel(deploymentTemplate(source));
  if (template.metadata !== undefined) delete template.metadata.creationTimestamp;
  return template;
}

/** @throws CliError unless the rollout of `source` is complete. */
function checkLive(source: ApiObject, from: string): void {
  const refusal = `cannot promote deployment "${source.metadata.name ?? ''}" from ${from}`;
  let status: { message: string; done: boolean };
  try {
    status = deploymentRolloutStatus(source);
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    throw new CliError(`${refusal}: its rollout failed: ${rolloutFailureReason(source, error.message)}`);
  }
  if (!status.done) throw new CliError(`${refusal}: its rollout is not complete (${status.message.trimEnd()}); only what is live is promoted`);
}

/** The target to create: the source's labels, its annotations (bookkeeping aside) and its spec, with `annotations` added. */
function newTarget(source: ApiObject, to: string, template: PodTemplate, annotations: Record<string, string>): ApiObject {
  const copied: Record<string, string> = {};
  for (const [key, value] of Object.entries(source.metadata.annotations ?? {})) if (!ANNOTATIONS_NOT_COPIED.has(key)) copied[key] = value;
  // Paused, the copy would never roll out: it is created to run what runs in the source.
  const { paused: _paused, ...spec } = asRecord(source.spec);
  return {
    apiVersion: source.apiVersion,
    kind: source.kind,
    metadata: { name: source.metadata.name!, namespace: to, ...(source.metadata.labels === undefined ? {} : { labels: source.metadata.labels }), annotations: { ...copied, ...annotations } },
    spec: { ...spec, template },
  };
}

async function run(flags: ParsedFlags, context: CommandContext): Promise<number> {
  const name = deploymentArgument(flags.positionals, 'promote');
  const from = stringFlag(flags.values, 'from');
  const to = stringFlag(flags.values, 'to');
  if (context.namespaceExplicit) throw new CliUsageError('promote takes its namespaces from --from and --to, not -n', 'promote');
  if (from === undefined || from === '' || to === undefined || to === '') throw new CliUsageError('--from NAMESPACE and --to NAMESPACE are both required', 'promote');
  if (from === to) throw new CliUsageError(`--from and --to are the same namespace ("${from}"): nothing to promote`, 'promote');
  const timeoutMs = releaseTimeoutMs(flags, 'promote');
  const client = await context.client();
  let source: ApiObject;
  try {
    source = await client.get(DEPLOYMENTS, from, name);
  } catch (error) {
    throw error instanceof ApiClientError ? error.withContext(`reading the deployment to promote from namespace "${from}"`) : error;
  }
  checkLive(source, from);
  const template = promotedTemplate(source);
  const origin = promotionOrigin(source, template);
  const annotations = { [PROMOTED_FROM_ANNOTATION]: origin, [CHANGE_CAUSE_ANNOTATION]: `balsa promote --from ${from} --to ${to}` };
  const written = await writeObject(
    client,
    DEPLOYMENTS,
    to,
    name,
    (current) => {
      if (current === undefined) return newTarget(source, to, template, annotations);
      const sameTemplate = equalIgnoringHash(deploymentTemplate(current), template);
      if (sameTemplate && current.metadata.annotations?.[PROMOTED_FROM_ANNOTATION] === origin) return undefined;
      if (asRecord(current.spec).paused === true) {
        throw new CliError(`deployment "${name}" in ${to} is paused: the promoted template would not roll out; resume it first with 'balsa rollout resume deployment/${name} -n ${to}'`);
      }
      const target = structuredClone(current);
      target.spec = { ...asRecord(target.spec), template };
      target.metadata.annotations = { ...(target.metadata.annotations ?? {}), ...annotations };
      return target;
    },
    { create: true },
  );
  const display = qualifiedName(DEPLOYMENTS, name);
  const action = written.action === 'created' ? 'created' : written.action === 'updated' ? 'configured' : 'unchanged';
  context.io.stdout(`${display} ${action} in ${to} from ${origin} (${imagesText(template)})\n`);
  return followRelease(client, context, { namespace: to, name, template: deploymentTemplate(written.object), timeoutMs });
}

export const promoteCommand: ClientCommand = {
  name: 'promote',
  summary: 'Deploy to one namespace the pod template live in another',
  help: HELP,
  flags: {
    from: { type: 'string' },
    to: { type: 'string' },
    timeout: { type: 'string' },
  },
  run,
};
