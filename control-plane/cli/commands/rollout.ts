/**
 * `balsa rollout SUBCOMMAND deployment/NAME` (or `deployment NAME`), kubectl's rollout
 * commands for Deployments:
 *
 * - `status`: follows the Deployment (a watch, read again whenever the watch ends) and
 *   prints each new status line until the rollout finishes (exit 0), exceeds its progress
 *   deadline or `--timeout` passes (exit 1);
 * - `history`: the revisions and their change causes, or one revision's pod template;
 * - `undo`: copies a revision's pod template (the previous one by default) back into the
 *   Deployment, as kubectl does since apps/v1; the controller then scales that revision's
 *   ReplicaSet back up under a new revision number;
 * - `pause` / `resume`: sets `spec.paused`;
 * - `restart`: stamps the template with `kubectl.kubernetes.io/restartedAt`, so that every
 *   pod is replaced;
 * - `promote` / `abort` (BlueGreen Deployments, as `kubectl argo rollouts`): name the new
 *   version (its `pod-template-hash`) in the Deployment's promote or abort annotation; the
 *   deployer then switches traffic to it once healthy, or gives it up and keeps traffic on
 *   the old one. `undo` of a BlueGreen Deployment also clears an abort, so that the
 *   revision rolled back to is rolled out again the blue-green way.
 *
 * Writes carry the resourceVersion they were computed from and are worked out again after a
 * 409, so a concurrent change is never overwritten.
 */
import type { ResourceInfo } from '../../api/resources.js';
import type { ApiObject } from '../../api/types.js';
import { ANNOTATIONS_NOT_COPIED, POD_TEMPLATE_HASH_LABEL } from '../../controllers/deployment/constants.js';
import { revisionOf } from '../../controllers/deployment/revisions.js';
import { computeTemplateHash, equalIgnoringHash, withoutHashLabel } from '../../controllers/deployment/template-hash.js';
import { ABORT_ANNOTATION, PROMOTE_ANNOTATION } from '../../deployer/constants.js';
import type { PodTemplate } from '../../controllers/replicaset/workload-objects.js';
import type { ApiClient } from '../api-client.js';
import type { ClientCommand, CommandContext } from '../command-context.js';
import { reportObjectError } from '../command-context.js';
import { CONFLICT_ATTEMPTS_MAX } from '../constants.js';
import { historyTable, ownedReplicaSets, podTemplateText, replicaSetForRevision } from '../deployment-history.js';
import { ApiClientError, CliError, CliUsageError } from '../errors.js';
import { booleanFlag, integerFlag, parseGoDurationMs, stringFlag } from '../flags.js';
import type { ParsedFlags } from '../flags.js';
import { asRecord, qualifiedName } from '../../api/object-fields.js';
import { parseResourceArgs } from '../resource-args.js';
import { watchDeployment } from '../rollout-follow.js';
import { deploymentRolloutStatus } from '../rollout-status.js';

const HELP = `Manage the rollout of a deployment.

Usage:
  balsa rollout SUBCOMMAND (TYPE NAME... | TYPE/NAME...) [flags]

Subcommands:
  status    follow the rollout until it finishes (exit 0) or fails (exit 1)
  history   the revisions and their change causes; with --revision, one revision's pod template
  undo      roll back to the previous revision, or to --to-revision
  pause     stop the rollout where it is (scaling still happens)
  resume    let a paused rollout go on
  restart   replace every pod with a new one of the same template
  promote   BlueGreen: switch traffic to the new version once it is healthy (autoPromote: false)
  abort     BlueGreen: give the new version up; traffic stays on (or goes back to) the old one

Examples:
  balsa rollout status deployment/web
  balsa rollout history deployment web
  balsa rollout history deployment/web --revision 2
  balsa rollout undo deployment/web --to-revision 1
  balsa rollout pause deployment/web
  balsa rollout promote deployment/web

Flags:
  -w, --watch=false        status: print the status once and exit
      --timeout DURATION   status: give up after this long (0, the default: never)
      --revision N         status: fail unless N is the running revision;
                           history: show revision N's pod template
      --to-revision N      undo: the revision to go back to (default: the one before the latest)`;

const SUBCOMMANDS = ['status', 'history', 'undo', 'pause', 'resume', 'restart', 'promote', 'abort'] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];

/** Which flags each subcommand takes (the common ones aside). */
const SUBCOMMAND_FLAGS: Readonly<Record<Subcommand, readonly string[]>> = {
  status: ['watch', 'timeout', 'revision'],
  history: ['revision'],
  undo: ['to-revision'],
  pause: [],
  resume: [],
  restart: [],
  promote: [],
  abort: [],
};

const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';

interface Target {
  readonly info: ResourceInfo;
  readonly name: string;
}

function parseSubcommand(text: string | undefined): Subcommand {
  if (text === undefined) throw new CliUsageError(`you must specify a subcommand: ${SUBCOMMANDS.join(', ')}`, 'rollout');
  if (!(SUBCOMMANDS as readonly string[]).includes(text)) {
    throw new CliUsageError(`unknown subcommand "${text}": expected one of ${SUBCOMMANDS.join(', ')}`, 'rollout');
  }
  return text as Subcommand;
}

/** The deployments named (`deployment web`, `deploy/web api`); only deployments have rollouts. */
function parseTargets(args: readonly string[], subcommand: Subcommand): Target[] {
  if (args.length === 0) throw new CliUsageError(`you must specify the deployment: balsa rollout ${subcommand} deployment/NAME`, 'rollout');
  const targets: Target[] = [];
  for (const { info, names } of parseResourceArgs(args, `rollout ${subcommand}`)) {
    if (info.kind !== 'Deployment') throw new CliError(`rollout ${subcommand} is not supported for ${info.plural}: only deployments have rollouts`);
    if (names.length === 0) throw new CliUsageError('required resource name not specified', 'rollout');
    for (const name of names) targets.push({ info, name });
  }
  return targets;
}

/** Refuses flags the subcommand does not take (kubectl's subcommands each have their own). */
function checkFlags(subcommand: Subcommand, flags: ParsedFlags): void {
  for (const flag of ['watch', 'timeout', 'revision', 'to-revision']) {
    if (flags.values[flag] !== undefined && !SUBCOMMAND_FLAGS[subcommand].includes(flag)) {
      throw new CliUsageError(`unknown flag: --${flag} (for rollout ${subcommand})`, 'rollout');
    }
  }
}

function nonNegativeFlag(flags: ParsedFlags, name: string): number | undefined {
  const value = integerFlag(flags.values, name, 'rollout');
  if (value !== undefined && value < 0) throw new CliUsageError(`--${name} must be 0 or more, got ${value}`, 'rollout');
  return value;
}

// --- status ---

/** Prints status lines (each once, as it changes) until the rollout is done; the exit code. */
async function followStatus(client: ApiClient, target: Target, flags: ParsedFlags, context: CommandContext): Promise<number> {
  const { io } = context;
  const watch = booleanFlag(flags.values, 'watch', true);
  const revision = nonNegativeFlag(flags, 'revision');
  const timeoutText = stringFlag(flags.values, 'timeout');
  const timeoutMs = timeoutText === undefined ? 0 : parseGoDurationMs(timeoutText);
  if (timeoutMs === undefined) throw new CliUsageError(`invalid --timeout ${JSON.stringify(timeoutText)}: expected a duration like 60s, 2m or 1m30s`, 'rollout');
  const stop = new AbortController();
  const timer = timeoutMs > 0 ? setTimeout(() => stop.abort(), timeoutMs) : undefined;
  const onInterrupt = (): void => stop.abort();
  io.signal?.addEventListener('abort', onInterrupt, { once: true });
  let last = '';
  /** Prints the line when it changed; whether the rollout is done. */
  const show = (deployment: ApiObject): boolean => {
    const { message, done } = deploymentRolloutStatus(deployment, revision);
    if (message !== last) io.stdout(message);
    last = message;
    return done;
  };
  try {
    if (!watch) {
      show(await client.get(target.info, context.namespace, target.name));
      return 0;
    }
    const outcome = await watchDeployment(client, context.namespace, target.name, stop.signal, (deployment) => (show(deployment) ? true : undefined));
    if (outcome === 'deleted') throw new CliError(`deployment "${target.name}" has been deleted`);
    if (outcome === true) return 0;
    if (io.signal?.aborted) return 1;
    io.stderr('error: timed out waiting for the condition\n');
    return 1;
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    io.signal?.removeEventListener('abort', onInterrupt);
  }
}

// --- history ---

async function showHistory(client: ApiClient, target: Target, flags: ParsedFlags, context: CommandContext): Promise<void> {
  const deployment = await client.get(target.info, context.namespace, target.name);
  const replicaSets = await ownedReplicaSets(client, deployment);
  const revision = nonNegativeFlag(flags, 'revision') ?? 0;
  const display = qualifiedName(target.info, target.name);
  if (revision > 0) {
    const rs = replicaSetForRevision(target.name, replicaSets, revision);
    context.io.stdout(`${display} with revision #${revision}\n${podTemplateText(rs, context.io.now())}\n`);
    return;
  }
  context.io.stdout(`${display} \n${historyTable(replicaSets)}\n`);
}

// --- writes: undo, pause, resume, restart ---

/**
 * Reads the Deployment, lets `change` edit a copy (or say why nothing is to be done), and
 * writes it back conditional on the version read; again from a fresh read after a 409.
 * The line to print.
 */
async function updateDeployment(
  client: ApiClient,
  target: Target,
  context: CommandContext,
  change: (deployment: ApiObject) => { done: string } | { skipped: string },
): Promise<string> {
  let lastConflict: ApiClientError | undefined;
  for (let attempt = 0; attempt < CONFLICT_ATTEMPTS_MAX; attempt++) {
    const deployment = await client.get(target.info, context.namespace, target.name);
    const edited = structuredClone(deployment);
    const outcome = change(edited);
    if ('skipped' in outcome) return outcome.skipped;
    try {
      await client.replace(target.info, context.namespace, target.name, edited);
      return outcome.done;
    } catch (error) {
      if (!(error instanceof ApiClientError && error.retryable)) throw error;
      lastConflict = error;
    }
  }
  throw lastConflict!.withContext(`updating ${qualifiedName(target.info, target.name)} (gave up after ${CONFLICT_ATTEMPTS_MAX} conflicting writes)`);
}

async function undo(client: ApiClient, target: Target, flags: ParsedFlags, context: CommandContext): Promise<string> {
  const toRevision = nonNegativeFlag(flags, 'to-revision') ?? 0;
  const deployment = await client.get(target.info, context.namespace, target.name);
  const rs = replicaSetForRevision(target.name, await ownedReplicaSets(client, deployment), toRevision);
  const template = asRecord(rs.spec).template as PodTemplate;
  const revision = revisionOf(rs);
  return updateDeployment(client, target, context, (current) => {
    if (asRecord(current.spec).paused === true) {
      throw new CliError("you cannot rollback a paused deployment; resume it first with 'balsa rollout resume' and try again");
    }
    if (equalIgnoringHash(template, asRecord(current.spec).template as PodTemplate)) {
      return { skipped: `skipped rollback (current template already matches revision ${revision})` };
    }
    current.spec = { ...current.spec, template: withoutHashLabel(template) };
    // The Deployment's own bookkeeping stays; the revision's other annotations (its change cause) come back.
    const annotations: Record<string, string> = {};
    for (const [key, value] of Object.entries(current.metadata.annotations ?? {})) if (ANNOTATIONS_NOT_COPIED.has(key)) annotations[key] = value;
    for (const [key, value] of Object.entries(rs.metadata.annotations ?? {})) if (!ANNOTATIONS_NOT_COPIED.has(key)) annotations[key] = value;
    // A rollback is a new rollout: an abort of that version no longer holds.
    delete annotations[ABORT_ANNOTATION];
    delete annotations[PROMOTE_ANNOTATION];
    current.metadata.annotations = annotations;
    return { done: 'rolled back' };
  });
}

function setPaused(paused: boolean): (deployment: ApiObject) => { done: string } {
  return (deployment) => {
    const spec = asRecord(deployment.spec);
    if ((spec.paused === true) === paused) {
      throw new CliError(`deployments.apps "${deployment.metadata.name}" ${paused ? 'is already paused' : 'is not paused'}`);
    }
    deployment.spec = { ...spec, paused };
    return { done: paused ? 'paused' : 'resumed' };
  };
}

function restart(now: Date): (deployment: ApiObject) => { done: string } {
  return (deployment) => {
    const spec = asRecord(deployment.spec);
    if (spec.paused === true) throw new CliError(`can't restart paused deployment (run rollout resume first)`);
    const template = asRecord(spec.template) as PodTemplate;
    const metadata = template.metadata ?? {};
    const stamp = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
    deployment.spec = { ...spec, template: { ...template, metadata: { ...metadata, annotations: { ...(metadata.annotations ?? {}), [RESTARTED_AT_ANNOTATION]: stamp } } } };
    return { done: 'restarted' };
  };
}

// --- promote, abort (BlueGreen) ---

/**
 * The `pod-template-hash` of the Deployment's current template: its ReplicaSet's label
 * when one exists (the hash it was made with), else the hash the controller will give it.
 */
async function currentTemplateHash(client: ApiClient, deployment: ApiObject): Promise<string> {
  const template = asRecord(deployment.spec).template as PodTemplate;
  const rs = (await ownedReplicaSets(client, deployment)).find((candidate) => equalIgnoringHash(asRecord(candidate.spec).template as PodTemplate, template));
  const label = rs?.metadata.labels?.[POD_TEMPLATE_HASH_LABEL];
  if (label !== undefined) return label;
  const collisionCount = asRecord(deployment.status).collisionCount;
  return computeTemplateHash(template, typeof collisionCount === 'number' ? collisionCount : undefined);
}

/** Marks the new version of a BlueGreen Deployment promoted (or aborted); refuses when no new version is rolling out. */
async function markNewVersion(client: ApiClient, target: Target, context: CommandContext, annotation: string): Promise<string> {
  const deployment = await client.get(target.info, context.namespace, target.name);
  const spec = asRecord(deployment.spec);
  if (asRecord(spec.strategy).type !== 'BlueGreen') throw new CliError(`deployment "${target.name}" does not use the BlueGreen strategy: nothing to ${annotation === PROMOTE_ANNOTATION ? 'promote' : 'abort'}`);
  const hash = await currentTemplateHash(client, deployment);
  const active = asRecord(asRecord(deployment.status).blueGreen).activeSelector;
  if (hash === active) throw new CliError(`deployment "${target.name}" has no new version rolling out: service "${String(asRecord(asRecord(spec.strategy).blueGreen).activeService)}" already serves it`);
  const verb = annotation === PROMOTE_ANNOTATION ? 'promoted' : 'aborted';
  return updateDeployment(client, target, context, (current) => {
    if (current.metadata.annotations?.[annotation] === hash) return { skipped: `${verb} (already)` };
    const annotations: Record<string, string> = { ...(current.metadata.annotations ?? {}), [annotation]: hash };
    // Promoting after an abort would contradict it: the later word wins.
    delete annotations[annotation === PROMOTE_ANNOTATION ? ABORT_ANNOTATION : PROMOTE_ANNOTATION];
    current.metadata.annotations = annotations;
    return { done: verb };
  });
}

async function run(flags: ParsedFlags, context: CommandContext): Promise<number> {
  const subcommand = parseSubcommand(flags.positionals[0]);
  checkFlags(subcommand, flags);
  const targets = parseTargets(flags.positionals.slice(1), subcommand);
  if (subcommand === 'status' && targets.length > 1) throw new CliUsageError('rollout status follows one deployment at a time', 'rollout');
  const client = await context.client();
  if (subcommand === 'status') return followStatus(client, targets[0]!, flags, context);
  let failed = false;
  for (const target of targets) {
    try {
      switch (subcommand) {
        case 'history':
          await showHistory(client, target, flags, context);
          break;
        case 'undo':
          context.io.stdout(`${qualifiedName(target.info, target.name)} ${await undo(client, target, flags, context)}\n`);
          break;
        case 'pause':
        case 'resume':
          context.io.stdout(`${qualifiedName(target.info, target.name)} ${await updateDeployment(client, target, context, setPaused(subcommand === 'pause'))}\n`);
          break;
        case 'restart':
          context.io.stdout(`${qualifiedName(target.info, target.name)} ${await updateDeployment(client, target, context, restart(context.io.now()))}\n`);
          break;
        case 'promote':
        case 'abort':
          context.io.stdout(`${qualifiedName(target.info, target.name)} ${await markNewVersion(client, target, context, subcommand === 'promote' ? PROMOTE_ANNOTATION : ABORT_ANNOTATION)}\n`);
          break;
        default: {
          const unexpected: never = subcommand;
          throw new Error(`unexpected subcommand ${String(unexpected)}`);
        }
      }
    } catch (error) {
      failed = true;
      reportObjectError(context.io, error);
    }
  }
  return failed ? 1 : 0;
}

export const rolloutCommand: ClientCommand = {
  name: 'rollout',
  summary: 'Manage the rollout of a deployment',
  help: HELP,
  flags: {
    watch: { type: 'boolean', short: 'w' },
    timeout: { type: 'string' },
    revision: { type: 'string' },
    'to-revision': { type: 'string' },
  },
  run,
};
