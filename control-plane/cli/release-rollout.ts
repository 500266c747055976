/**
 * What `balsa deploy` and `balsa promote` share: their DEPLOYMENT argument, their
 * `--timeout`, how they name a template's images, and the end of both, following the
 * rollout they started and saying how it ended, in words a build pipeline can grep:
 *
 * - live: `deployment "web" successfully rolled out (image web:2)` on stdout, exit 0;
 * - failed: `error: deployment "web" exceeded its progress deadline (ProgressDeadlineExceeded: …)`
 *   on stderr, exit 1; the same for a template changed meanwhile, a deleted Deployment;
 * - `--timeout` elapsed: `error: timed out waiting for the rollout of web`, exit 1.
 *
 * The progress in between is `rollout status`'s lines, rewritten in place on a terminal and
 * one per change elsewhere (`ProgressLine`).
 */
import type { ApiObject } from '../api/types.js';
import type { PodTemplate } from '../controllers/replicaset/workload-objects.js';
import type { ApiClient } from './api-client.js';
import type { CommandContext } from './command-context.js';
import { RELEASE_TIMEOUT_MS_DEFAULT } from './constants.js';
import { CliUsageError } from './errors.js';
import { parseGoDurationMs, stringFlag } from './flags.js';
import type { ParsedFlags } from './flags.js';
import { asRecord, asRecords, asString } from '../api/object-fields.js';
import { ProgressLine } from './progress-line.js';
import { followRollout } from './rollout-follow.js';
import { lookupResource } from './resource-args.js';

/** The help lines of `--timeout`, the same for both commands. */
export const RELEASE_TIMEOUT_HELP = '      --timeout DURATION   give up on the rollout after this long, exit 1 (default 5m; 0: never)';

/** The Deployment's name from `web`, `deployment/web` or `deploy/web`. */
export function deploymentArgument(positionals: readonly string[], command: string): string {
  if (positionals.length === 0) throw new CliUsageError(`you must specify the deployment: balsa ${command} DEPLOYMENT`, command);
  if (positionals.length > 1) throw new CliUsageError(`${command} takes one deployment, got ${positionals.length} arguments: ${positionals.join(' ')}`, command);
  const argument = positionals[0]!;
  const slash = argument.indexOf('/');
  if (slash < 0) return argument;
  if (lookupResource(argument.slice(0, slash)).kind !== 'Deployment') throw new CliUsageError(`${command} works on deployments, not "${argument.slice(0, slash)}"`, command);
  const name = argument.slice(slash + 1);
  if (name === '') throw new CliUsageError(`no name in "${argument}"`, command);
  return name;
}

/** `--timeout` in ms (default `RELEASE_TIMEOUT_MS_DEFAULT`, 0 for no limit). */
export function releaseTimeoutMs(flags: ParsedFlags, command: string): number {
  const text = stringFlag(flags.values, 'timeout');
  if (text === undefined) return RELEASE_TIMEOUT_MS_DEFAULT;
  const ms = parseGoDurationMs(text);
  if (ms === undefined) throw new CliUsageError(`invalid --timeout ${JSON.stringify(text)}: expected a duration like 60s, 5m or 1m30s`, command);
  return ms;
}

/** The containers of a pod template (init containers apart). */
export function templateContainers(template: PodTemplate): Record<string, unknown>[] {
  return asRecords(asRecord(template.spec).containers);
}

/** `image web:2` for one container, `images main=web:2, log=fluent:1` for several. */
export function imagesText(template: PodTemplate): string {
  const containers = templateContainers(template);
  if (containers.length === 1) return `image ${asString(containers[0]!.image)}`;
  return `images ${containers.map((container) => `${asString(container.name)}=${asString(container.image)}`).join(', ')}`;
}

/** The pod template of a Deployment. */
export function deploymentTemplate(deployment: ApiObject): PodTemplate {
  return asRecord(asRecord(deployment.spec).template) as PodTemplate;
}

/**
 * Follows the rollout of `template` in the Deployment `namespace/name` and reports how it
 * ended; the exit code (0 live, 1 otherwise).
 */
export async function followRelease(
  client: ApiClient,
  context: CommandContext,
  target: { readonly namespace: string; readonly name: string; readonly template: PodTemplate; readonly timeoutMs: number },
): Promise<number> {
  const { io } = context;
  const progress = new ProgressLine(io.stdout, { inPlace: io.interactive === true, ...(io.columns === undefined ? {} : { columns: io.columns }) });
  const outcome = await followRollout(client, {
    ...target,
    ...(io.signal === undefined ? {} : { signal: io.signal }),
    onProgress: (message) => progress.update(message.trimEnd()),
  });
  if (outcome.kind === 'live') {
    progress.complete(`${outcome.message.trimEnd()} (${imagesText(deploymentTemplate(outcome.deployment))})`);
    return 0;
  }
  progress.finish();
  switch (outcome.kind) {
    case 'failed':
      io.stderr(`error: ${outcome.reason}\n`);
      break;
    case 'superseded':
      io.stderr(
        `error: deployment "${target.name}" was changed while it rolled out: it no longer has the pod template deployed (it now has ${imagesText(deploymentTemplate(outcome.deployment))})\n`,
      );
      break;
    case 'deleted':
      io.stderr(`error: deployment "${target.name}" has been deleted\n`);
      break;
    case 'timedOut':
      io.stderr(`error: timed out waiting for the rollout of ${target.name}\n`);
      break;
    case 'interrupted':
      io.stderr(`error: interrupted while waiting for the rollout of ${target.name}\n`);
      break;
    default: {
      const unexpected: never = outcome;
      throw new Error(`unexpected rollout outcome ${JSON.stringify(unexpected)}`);
    }
  }
  return 1;
}
