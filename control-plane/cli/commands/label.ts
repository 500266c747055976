/**
 * `balsa label RESOURCE NAME KEY=VAL ... KEY-`: sets and removes labels with a JSON merge
 * patch that carries the `resourceVersion` read, so that a concurrent write makes the
 * server answer 409 and the labels are worked out again from the new object (kubectl
 * itself would overwrite blindly). Changing a label's value needs `--overwrite`.
 */
import type { ResourceInfo } from '../../api/resources.js';
import type { ApiObject } from '../../api/types.js';
import type { ApiClient } from '../api-client.js';
import { noResourcesMessage, reportObjectError } from '../command-context.js';
import type { ClientCommand, CommandContext } from '../command-context.js';
import { CONFLICT_ATTEMPTS_MAX } from '../constants.js';
import { ApiClientError, CliUsageError } from '../errors.js';
import { booleanFlag, stringFlag } from '../flags.js';
import type { ParsedFlags } from '../flags.js';
import { applyLabelUpdates, isLabelUpdate, parseLabelUpdates } from '../label-arguments.js';
import type { LabelUpdates } from '../label-arguments.js';
import { asStringMap, qualifiedName } from '../../api/object-fields.js';
import { parseResourceArgs } from '../resource-args.js';

const HELP = `Update the labels on a resource.

Usage:
  balsa label RESOURCE (NAME... | -l SELECTOR | --all) KEY_1=VAL_1 ... KEY_N=VAL_N [flags]
  balsa label RESOURCE/NAME... KEY=VAL ... KEY- [flags]

A label key and value must begin with a letter or number, and may contain letters, numbers,
hyphens, dots and underscores, up to 63 characters each; a key may have a DNS subdomain
prefix (example.com/tier). KEY- removes the label.

Examples:
  balsa label pods web tier=frontend
  balsa label pods web tier=backend --overwrite
  balsa label pods --all status=unhealthy
  balsa label pods web tier-

Flags:
      --overwrite            allow changing the value of an existing label
  -l, --selector SELECTOR    label the objects the label selector matches
      --all                  label every object of the kinds given
  -A, --all-namespaces       with -l or --all: in every namespace`;

interface Target {
  readonly info: ResourceInfo;
  readonly namespace: string | undefined;
  readonly name: string;
  /** The object already read by a list, used for the first attempt. */
  readonly object?: ApiObject;
}

/** Labels one object and prints `labeled` or `not labeled`; retries from a fresh read after a 409. */
async function labelObject(client: ApiClient, target: Target, updates: LabelUpdates, overwrite: boolean, context: CommandContext): Promise<void> {
  let object = target.object;
  let lastConflict: ApiClientError | undefined;
  for (let attempt = 0; attempt < CONFLICT_ATTEMPTS_MAX; attempt++) {
    object ??= await client.get(target.info, target.namespace, target.name);
    const change = applyLabelUpdates(asStringMap(object.metadata.labels), updates, overwrite);
    if (attempt === 0) for (const key of change.missing) context.io.stderr(`label "${key}" not found.\n`);
    const display = qualifiedName(target.info, target.name);
    if (Object.keys(change.patch).length === 0) {
      context.io.stdout(`${display} not labeled\n`);
      return;
    }
    // The version read makes the patch conditional: a concurrent write answers 409.
    const patch = { metadata: { labels: change.patch, resourceVersion: object.metadata.resourceVersion } };
    try {
      await client.mergePatch(target.info, target.namespace, target.name, patch);
      context.io.stdout(`${display} labeled\n`);
      return;
    } catch (error) {
      if (!(error instanceof ApiClientError && error.retryable)) throw error;
      lastConflict = error;
      object = undefined;
    }
  }
  throw lastConflict!.withContext(`labeling ${qualifiedName(target.info, target.name)} (gave up after ${CONFLICT_ATTEMPTS_MAX} conflicting writes)`);
}

async function collectTargets(resourceArgs: string[], flags: ParsedFlags, context: CommandContext, client: ApiClient): Promise<Target[]> {
  const selector = stringFlag(flags.values, 'selector');
  const all = booleanFlag(flags.values, 'all');
  const allNamespaces = booleanFlag(flags.values, 'all-namespaces');
  const requests = parseResourceArgs(resourceArgs, 'label');
  const named = requests.some((request) => request.names.length > 0);
  if (named && (selector !== undefined || all)) throw new CliUsageError('name cannot be provided when a selector or --all is specified', 'label');
  if (!named && selector === undefined && !all) {
    throw new CliUsageError('resource(s) were provided, but no name, label selector, or --all flag specified', 'label');
  }
  if (named && allNamespaces) throw new CliUsageError('a resource cannot be labeled by name across all namespaces', 'label');
  if (named) {
    return requests.flatMap(({ info, names }) => names.map((name) => ({ info, namespace: info.namespaced ? context.namespace : undefined, name })));
  }
  const targets: Target[] = [];
  for (const { info } of requests) {
    const list = await client.list(info, { namespace: allNamespaces ? undefined : context.namespace, labelSelector: selector });
    for (const object of list.items) targets.push({ info, namespace: object.metadata.namespace, name: object.metadata.name ?? '', object });
  }
  if (targets.length === 0) {
    context.io.stderr(noResourcesMessage(allNamespaces || !requests.some((request) => request.info.namespaced) ? undefined : context.namespace));
  }
  return targets;
}

async function run(flags: ParsedFlags, context: CommandContext): Promise<number> {
  // Resources and names first, then the updates (kubectl tells them apart the same way).
  const firstUpdate = flags.positionals.findIndex(isLabelUpdate);
  const resourceArgs = firstUpdate < 0 ? flags.positionals : flags.positionals.slice(0, firstUpdate);
  const updateArgs = firstUpdate < 0 ? [] : flags.positionals.slice(firstUpdate);
  const stray = updateArgs.find((argument) => !isLabelUpdate(argument));
  if (stray !== undefined) throw new CliUsageError(`unexpected argument "${stray}" among the label updates: resources and names come first`, 'label');
  if (resourceArgs.length === 0) throw new CliUsageError('you must specify the type of resource to label', 'label');
  const updates = parseLabelUpdates(updateArgs);
  const overwrite = booleanFlag(flags.values, 'overwrite');
  const client = await context.client();
  let failed = false;
  for (const target of await collectTargets(resourceArgs, flags, context, client)) {
    try {
      await labelObject(client, target, updates, overwrite, context);
    } catch (error) {
      failed = true;
      reportObjectError(context.io, error);
    }
  }
  return failed ? 1 : 0;
}

export const labelCommand: ClientCommand = {
  name: 'label',
  summary: 'Update the labels on a resource',
  help: HELP,
  flags: {
    overwrite: { type: 'boolean' },
    selector: { type: 'string', short: 'l' },
    all: { type: 'boolean' },
    'all-namespaces': { type: 'boolean', short: 'A' },
  },
  run,
};
