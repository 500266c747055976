/**
 * `balsa deploy DEPLOYMENT --image IMAGE [--container NAME] [--timeout 5m]`: a release from a
 * build pipeline in one command. Sets the image of one container of the Deployment's pod
 * template (the only one, or `--container`), records why in `kubernetes.io/change-cause`
 * (as `kubectl --record` does, so `rollout history` shows it), then follows the rollout
 * until it is live (exit 0) or failed, superseded or out of time (exit 1), as
 * `release-rollout.ts` reports it. An image already deployed changes nothing: the command
 * says so and confirms that its rollout is complete.
 *
 * The template is changed by a read-modify-write carrying the resourceVersion read
 * (`writeObject`): containers are a list, which a merge patch would replace whole.
 */
import { resourceByName } from '../../api/resources.js';
import type { ApiObject } from '../../api/types.js';
import { CHANGE_CAUSE_ANNOTATION } from '../../controllers/deployment/constants.js';
import type { ClientCommand, CommandContext } from '../command-context.js';
import { CliError, CliUsageError } from '../errors.js';
import { stringFlag } from '../flags.js';
import type { ParsedFlags } from '../flags.js';
import { asRecord, asRecords, asString, qualifiedName } from '../../api/object-fields.js';
import { writeObject } from '../object-write.js';
import { RELEASE_TIMEOUT_HELP, deploymentArgument, deploymentTemplate, followRelease, releaseTimeoutMs, templateContainers } from '../release-rollout.js';

const DEPLOYMENTS = resourceByName('deployments')!;

const HELP = `Deploy a new image to a deployment and follow its rollout until it is live.

Usage:
  balsa deploy DEPLOYMENT --image IMAGE [--container NAME] [--timeout DURATION] [flags]

Sets the image of the deployment's container (the only one, or the one --container names),
records "balsa deploy --image IMAGE" as the change cause (see 'balsa rollout history'), and
follows the rollout as 'balsa rollout status' does: progress rewritten in place on a terminal,
one line per change otherwise. Exits 0 once the rollout is live, 1 when it failed (its
reason is printed), when the deployment was changed meanwhile, or when --timeout passed.
An image already deployed changes nothing; the command then waits for its rollout to be complete.

Examples:
  balsa deploy web --image registry.local/web:2.1 -n test
  balsa deploy deployment/web --image registry.local/web:2.1 --container web --timeout 10m

Flags:
      --image IMAGE        the image to deploy (required)
  -c, --container NAME     the container to set it on (default: the only container)
${RELEASE_TIMEOUT_HELP}`;

/**
 * The container of `deployment`'s template (in that object: editing it edits the object) to
 * set the image of.
 *
 * @throws CliError when `name` names none, or when none is named and there is not exactly one.
 */
export function containerToDeploy(deployment: ApiObject, name: string | undefined): Record<string, unknown> {
  const deploymentName = deployment.metadata.name ?? '';
  const template = deploymentTemplate(deployment);
  const containers = templateContainers(template);
  const names = containers.map((container) => asString(container.name));
  if (name !== undefined) {
    const initContainers = asRecords(asRecord(template.spec).initContainers);
    const found = [...containers, ...initContainers].find((container) => container.name === name);
    if (found === undefined) throw new CliError(`unable to find container named "${name}" in deployment "${deploymentName}": its containers are ${names.join(', ')}`);
    return found;
  }
  if (containers.length === 1) return containers[0]!;
  if (containers.length === 0) throw new CliError(`deployment "${deploymentName}" has no containers`);
  throw new CliError(`deployment "${deploymentName}" has ${containers.length} containers (${names.join(', ')}): choose one with --container`);
}

async function run(flags: ParsedFlags, context: CommandContext): Promise<number> {
  const name = deploymentArgument(flags.positionals, 'deploy');
  const image = stringFlag(flags.values, 'image');
  if (image === undefined || image.trim() === '') throw new CliUsageError('--image IMAGE is required', 'deploy');
  const containerName = stringFlag(flags.values, 'container');
  const timeoutMs = releaseTimeoutMs(flags, 'deploy');
  const cause = `balsa deploy --image ${image}${containerName === undefined ? '' : ` --container ${containerName}`}`;
  const client = await context.client();
  let change = { container: '', previous: '' };
  const written = await writeObject(client, DEPLOYMENTS, context.namespace, name, (current) => {
    const deployment = structuredClone(current!);
    const container = containerToDeploy(deployment, containerName);
    change = { container: asString(container.name), previous: asString(container.image) };
    if (container.image === image) return undefined;
    if (asRecord(deployment.spec).paused === true) {
      throw new CliError(`deployment "${name}" is paused: the new image would not roll out; resume it first with 'balsa rollout resume deployment/${name}'`);
    }
    container.image = image;
    deployment.metadata.annotations = { ...(deployment.metadata.annotations ?? {}), [CHANGE_CAUSE_ANNOTATION]: cause };
    return deployment;
  });
  const display = qualifiedName(DEPLOYMENTS, name);
  context.io.stdout(
    written.action === 'unchanged'
      ? `${display} unchanged (container ${change.container} already has image ${image})\n`
      : `${display} image updated (${change.container}: ${change.previous} -> ${image})\n`,
  );
  return followRelease(client, context, { namespace: context.namespace, name, template: deploymentTemplate(written.object), timeoutMs });
}

export const deployCommand: ClientCommand = {
  name: 'deploy',
  summary: 'Deploy a new image to a deployment and follow its rollout',
  help: HELP,
  flags: {
    image: { type: 'string' },
    container: { type: 'string', short: 'c' },
    timeout: { type: 'string' },
  },
  run,
};
