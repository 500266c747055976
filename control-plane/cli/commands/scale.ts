/**
 * `balsa scale --replicas N [--current-replicas M] RESOURCE NAME...`: sets `spec.replicas`
 * of Deployments and ReplicaSets with a merge patch (there is no `/scale` subresource yet).
 * With a precondition (`--current-replicas`, `--resource-version`) the patch carries the
 * resourceVersion the precondition was checked on, so that a concurrent write answers 409
 * and the check is made again on the new object; the size is never set on a precondition
 * that no longer holds.
 */
import type { ResourceInfo } from '../../api/resources.js';
import type { ApiObject } from '../../api/types.js';
import type { ApiClient } from '../api-client.js';
import { noResourcesMessage, reportObjectError } from '../command-context.js';
import type { ClientCommand, CommandContext } from '../command-context.js';
import { CONFLICT_ATTEMPTS_MAX } from '../constants.js';
import { ApiClientError, CliError, CliUsageError } from '../errors.js';
import { booleanFlag, integerFlag, stringFlag } from '../flags.js';
import type { ParsedFlags } from '../flags.js';
import { asNumber, asRecord, qualifiedName } from '../../api/object-fields.js';
import { parseResourceArgs } from '../resource-args.js';

const HELP = `Set a new size for a deployment or replica set.

Usage:
  balsa scale --replicas=COUNT [--current-replicas=COUNT] (TYPE NAME... | TYPE/NAME... | TYPE -l SELECTOR | TYPE --all) [flags]

With --current-replicas or --resource-version, the size is set only if the object still has
that size or version when it is written.

Examples:
  balsa scale --replicas=3 deployment/web
  balsa scale --current-replicas=2 --replicas=3 deployment web
  balsa scale --replicas=0 rs -l app=web

Flags:
      --replicas COUNT            the new number of replicas (required, 0 or more)
      --current-replicas COUNT    precondition: the current number of replicas
      --resource-version VERSION  precondition: the current resourceVersion
  -l, --selector SELECTOR         scale the objects the label selector matches
      --all                       scale every object of the kind in the namespace`;

/** The kinds with a replica count. */
const SCALABLE_KINDS: readonly string[] = ['Deployment', 'ReplicaSet'];

interface Preconditions {
  readonly currentReplicas?: number;
  readonly resourceVersion?: string;
}

interface Target {
  readonly info: ResourceInfo;
  readonly name: string;
  /** Already read by a list. */
  readonly object?: ApiObject;
}

/** kubectl's precondition failure. */
function checkPreconditions(object: ApiObject, preconditions: Preconditions): void {
  const replicas = asNumber(asRecord(object.spec).replicas, 1);
  if (preconditions.currentReplicas !== undefined && preconditions.currentReplicas !== replicas) {
    throw new CliError(`Expected replicas to be ${preconditions.currentReplicas}, was ${replicas}`);
  }
  if (preconditions.resourceVersion !== undefined && preconditions.resourceVersion !== object.metadata.resourceVersion) {
    throw new CliError(`Expected resource version to be ${preconditions.resourceVersion}, was ${object.metadata.resourceVersion ?? ''}`);
  }
}

async function scaleOne(client: ApiClient, target: Target, namespace: string, replicas: number, preconditions: Preconditions): Promise<void> {
  const conditional = preconditions.currentReplicas !== undefined || preconditions.resourceVersion !== undefined;
  if (!conditional) {
    await client.mergePatch(target.info, namespace, target.name, { spec: { replicas } });
    return;
  }
  let object = target.object;
  let lastConflict: ApiClientError | undefined;
  for (let attempt = 0; attempt < CONFLICT_ATTEMPTS_MAX; attempt++) {
    object ??= await client.get(target.info, namespace, target.name);
    checkPreconditions(object, preconditions);
    try {
      await client.mergePatch(target.info, namespace, target.name, { metadata: { resourceVersion: object.metadata.resourceVersion }, spec: { replicas } });
      return;
    } catch (error) {
      // Another write came first: a resourceVersion precondition now fails; a size one is checked again.
      if (!(error instanceof ApiClientError && error.retryable) || preconditions.resourceVersion !== undefined) throw error;
      lastConflict = error;
      object = undefined;
    }
  }
  throw lastConflict!.withContext(`scaling ${qualifiedName(target.info, target.name)} (gave up after ${CONFLICT_ATTEMPTS_MAX} conflicting writes)`);
}

async function collectTargets(flags: ParsedFlags, context: CommandContext, client: () => Promise<ApiClient>): Promise<Target[]> {
  const selector = stringFlag(flags.values, 'selector');
  const all = booleanFlag(flags.values, 'all');
  const requests = parseResourceArgs(flags.positionals, 'scale');
  for (const { info } of requests) {
    if (!SCALABLE_KINDS.includes(info.kind)) throw new CliError(`cannot scale ${info.plural}: only deployments and replicasets have a replica count`);
  }
  const named = requests.some((request) => request.names.length > 0);
  if (named && (selector !== undefined || all)) throw new CliUsageError('name cannot be provided when a selector or --all is specified', 'scale');
  if (named) return requests.flatMap(({ info, names }) => names.map((name) => ({ info, name })));
  if (selector === undefined && !all) throw new CliUsageError('resource(s) were provided, but no name, label selector, or --all flag specified', 'scale');
  const api = await client();
  const targets: Target[] = [];
  for (const { info } of requests) {
    const list = await api.list(info, { namespace: context.namespace, labelSelector: selector });
    for (const object of list.items) targets.push({ info, name: object.metadata.name ?? '', object });
  }
  if (targets.length === 0) context.io.stderr(noResourcesMessage(context.namespace));
  return targets;
}

async function run(flags: ParsedFlags, context: CommandContext): Promise<number> {
  const replicas = integerFlag(flags.values, 'replicas', 'scale');
  if (replicas === undefined || replicas < 0) throw new CliUsageError('The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0', 'scale');
  const currentReplicas = integerFlag(flags.values, 'current-replicas', 'scale');
  if (currentReplicas !== undefined && currentReplicas < 0) throw new CliUsageError('--current-replicas must be 0 or more', 'scale');
  const resourceVersion = stringFlag(flags.values, 'resource-version');
  const preconditions: Preconditions = {
    ...(currentReplicas === undefined ? {} : { currentReplicas }),
    ...(resourceVersion === undefined ? {} : { resourceVersion }),
  };
  const targets = await collectTargets(flags, context, () => context.client());
  if (targets.length === 0) return 0;
  if (targets.length > 1 && resourceVersion !== undefined) throw new CliUsageError('--resource-version may only be used with a single resource', 'scale');
  const client = await context.client();
  let failed = false;
  for (const target of targets) {
    try {
      await scaleOne(client, target, context.namespace, replicas, preconditions);
      context.io.stdout(`${qualifiedName(target.info, target.name)} scaled\n`);
    } catch (error) {
      failed = true;
      reportObjectError(context.io, error);
    }
  }
  return failed ? 1 : 0;
}

export const scaleCommand: ClientCommand = {
  name: 'scale',
  summary: 'Set a new size for a deployment or replica set',
  help: HELP,
  flags: {
    replicas: { type: 'string' },
    'current-replicas': { type: 'string' },
    'resource-version': { type: 'string' },
    selector: { type: 'string', short: 'l' },
    all: { type: 'boolean' },
  },
  run,
};
