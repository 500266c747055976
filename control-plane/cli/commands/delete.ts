/**
 * `balsa delete`: deletes objects named on the command line, in manifests (`-f`), by label
 * selector (`-l`) or all of a kind (`--all`), printing kubectl's `pod "web" deleted`, then
 * (unless `--wait=false`) waits until each is really gone: finalizers and grace periods
 * can keep an object, marked with `deletionTimestamp`, after the DELETE answered.
 */
import { setTimeout as sleep } from 'node:timers/promises';

import { resourceForKind } from '../../api/resources.js';
import type { ResourceInfo } from '../../api/resources.js';
import type { ApiObject } from '../../api/types.js';
import type { ApiClient, DeleteOptions } from '../api-client.js';
import { noResourcesMessage, reportObjectError } from '../command-context.js';
import type { ClientCommand, CommandContext } from '../command-context.js';
import { DELETE_POLL_INTERVAL_MS_MAX, DELETE_POLL_INTERVAL_MS_MIN, DELETE_WAIT_TIMEOUT_MS_DEFAULT } from '../constants.js';
import { CliError, CliUsageError, isNotFound } from '../errors.js';
import { booleanFlag, integerFlag, parseGoDurationMs, stringFlag, stringsFlag } from '../flags.js';
import type { FlagValues, ParsedFlags } from '../flags.js';
import { readManifests } from '../manifests.js';
import { qualifiedKind } from '../../api/object-fields.js';
import { parseResourceArgs } from '../resource-args.js';

const HELP = `Delete resources by file names, stdin, resources and names, or by resources and label
selector.

Usage:
  balsa delete (-f FILENAME | RESOURCE (NAME... | -l SELECTOR | --all)) [flags]

Examples:
  balsa delete pod web
  balsa delete -f web.yaml
  balsa delete pods -l app=web
  balsa delete deploy --all --wait=false

Flags:
  -f, --filename PATH        objects to delete from a file, folder or - (repeatable)
  -l, --selector SELECTOR    delete the objects the label selector matches
      --all                  delete every object of the kinds given
  -A, --all-namespaces       with -l or --all: in every namespace
      --grace-period N       seconds the object gets to terminate (-1: its own default; 0 needs --force)
      --now                  --grace-period=1
      --force                delete at once (with --grace-period=0), not waiting for confirmation
      --cascade MODE         background, foreground or orphan (true = background, false = orphan)
      --ignore-not-found     no error for objects that do not exist
      --wait                 wait until the objects are gone (default true; --wait=false does not)
      --timeout DURATION     how long to wait (default 60s)`;

/** One object to delete, with where it was named (for messages about manifests). */
interface Target {
  readonly info: ResourceInfo;
  readonly namespace: string | undefined;
  readonly name: string;
}

/** A deleted object still to wait for: its uid tells it from a new object of the same name. */
interface Deleted extends Target {
  readonly uid: string | undefined;
}

function deleteOptions(values: FlagValues): DeleteOptions {
  let gracePeriodSeconds = integerFlag(values, 'grace-period', 'delete') ?? -1;
  const force = booleanFlag(values, 'force');
  if (booleanFlag(values, 'now')) {
    if (gracePeriodSeconds !== -1) throw new CliUsageError('--now and --grace-period cannot be specified together', 'delete');
    gracePeriodSeconds = 1;
  }
  // As kubectl: 0 means "immediately" only with --force; otherwise the shortest grace, 1 s.
  if (gracePeriodSeconds === 0 && !force) gracePeriodSeconds = 1;
  if (force && gracePeriodSeconds === -1) gracePeriodSeconds = 0;
  const cascade = stringFlag(values, 'cascade');
  const policies: Readonly<Record<string, DeleteOptions['propagationPolicy']>> = {
    true: 'Background',
    background: 'Background',
    foreground: 'Foreground',
    false: 'Orphan',
    orphan: 'Orphan',
  };
  if (cascade !== undefined && policies[cascade] === undefined) {
    throw new CliUsageError(`invalid --cascade ${JSON.stringify(cascade)}: expected background, foreground or orphan`, 'delete');
  }
  return {
    ...(gracePeriodSeconds >= 0 ? { gracePeriodSeconds } : {}),
    ...(cascade === undefined ? {} : { propagationPolicy: policies[cascade]! }),
  };
}

function waitTimeoutMs(values: FlagValues): number {
  const text = stringFlag(values, 'timeout');
  if (text === undefined) return DELETE_WAIT_TIMEOUT_MS_DEFAULT;
  const parsed = parseGoDurationMs(text);
  if (parsed === undefined) throw new CliUsageError(`invalid --timeout ${JSON.stringify(text)}: expected a duration like 60s, 2m or 1m30s`, 'delete');
  // kubectl's 0 means "work it out"; ours is the default wait.
  return parsed === 0 ? DELETE_WAIT_TIMEOUT_MS_DEFAULT : parsed;
}

/** The objects the command line names; prints `No resources found` when a selector matches none. */
async function collectTargets(flags: ParsedFlags, context: CommandContext, client: () => Promise<ApiClient>): Promise<Target[]> {
  const { values, positionals } = flags;
  const files = stringsFlag(values, 'filename');
  const selector = stringFlag(values, 'selector');
  const all = booleanFlag(values, 'all');
  const allNamespaces = booleanFlag(values, 'all-namespaces');
  if (files.length > 0) {
    if (positionals.length > 0 || selector !== undefined || all) {
      throw new CliUsageError('cannot combine -f with resources, -l or --all', 'delete');
    }
    const targets: Target[] = [];
    for (const { object, source } of await readManifests(files, context.io.readStdin)) {
      const info = resourceForKind(object.apiVersion, object.kind);
      if (info === undefined) {
        throw new CliError(`unable to recognize "${source}": no matches for kind "${object.kind}" in version "${object.apiVersion}"`);
      }
      if (object.metadata.name === undefined || object.metadata.name === '') {
        throw new CliError(`error validating "${source}": ${object.kind} has no metadata.name`);
      }
      const namespace = info.namespaced ? object.metadata.namespace || context.namespace : undefined;
      targets.push({ info, namespace, name: object.metadata.name });
    }
    return targets;
  }
  const requests = parseResourceArgs(positionals, 'delete');
  const named = requests.some((request) => request.names.length > 0);
  if (named && (selector !== undefined || all)) throw new CliUsageError('name cannot be provided when a selector or --all is specified', 'delete');
  if (!named && selector === undefined && !all) {
    throw new CliUsageError('resource(s) were provided, but no name, label selector, or --all flag specified', 'delete');
  }
  if (named && allNamespaces) throw new CliUsageError('a resource cannot be deleted by name across all namespaces', 'delete');
  if (named) {
    return requests.flatMap(({ info, names }) => names.map((name) => ({ info, namespace: info.namespaced ? context.namespace : undefined, name })));
  }
  const targets: Target[] = [];
  const api = await client();
  for (const { info } of requests) {
    const list = await api.list(info, { namespace: allNamespaces ? undefined : context.namespace, labelSelector: selector });
    for (const object of list.items) targets.push({ info, namespace: object.metadata.namespace, name: object.metadata.name ?? '' });
  }
  if (targets.length === 0) {
    context.io.stderr(noResourcesMessage(allNamespaces || !requests.some((request) => request.info.namespaced) ? undefined : context.namespace));
  }
  return targets;
}

/** Polls until the object is gone (or replaced by another of the same name); false on timeout. */
async function waitUntilGone(client: ApiClient, target: Deleted, deadline: number, signal: AbortSignal | undefined): Promise<boolean> {
  let intervalMs = DELETE_POLL_INTERVAL_MS_MIN;
  for (;;) {
    let current: ApiObject;
    try {
      current = await client.get(target.info, target.namespace, target.name);
    } catch (error) {
      if (isNotFound(error)) return true;
      throw error;
    }
    if (target.uid !== undefined && current.metadata.uid !== undefined && current.metadata.uid !== target.uid) return true;
    const remainingMs = deadline - Date.now();
    if (remainingMs <= 0) return false;
    try {
      await sleep(Math.min(intervalMs, remainingMs), undefined, signal === undefined ? {} : { signal });
    } catch {
      return false; // interrupted
    }
    intervalMs = Math.min(intervalMs * 2, DELETE_POLL_INTERVAL_MS_MAX);
  }
}

async function run(flags: ParsedFlags, context: CommandContext): Promise<number> {
  const { values } = flags;
  const options = deleteOptions(values);
  const wait = booleanFlag(values, 'wait', true);
  const timeoutMs = waitTimeoutMs(values);
  const ignoreNotFound = booleanFlag(values, 'ignore-not-found');
  const targets = await collectTargets(flags, context, () => context.client());
  if (targets.length === 0) return 0;
  const client = await context.client();
  if (options.gracePeriodSeconds === 0) {
    context.io.stderr(
      'warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.\n',
    );
  }
  let failed = false;
  const deleted: Deleted[] = [];
  for (const target of targets) {
    try {
      const last = await client.delete(target.info, target.namespace, target.name, options);
      context.io.stdout(`${qualifiedKind(target.info)} "${target.name}" deleted\n`);
      deleted.push({ ...target, uid: last.metadata?.uid });
    } catch (error) {
      if (ignoreNotFound && isNotFound(error)) continue;
      failed = true;
      reportObjectError(context.io, error);
    }
  }
  if (wait && deleted.length > 0) {
    const deadline = Date.now() + timeoutMs;
    const gone = await Promise.all(deleted.map((target) => waitUntilGone(client, target, deadline, context.io.signal)));
    gone.forEach((done, index) => {
      if (done) return;
      failed = true;
      const target = deleted[index]!;
      const plural = target.info.group === '' ? target.info.plural : `${target.info.plural}.${target.info.group}`;
      context.io.stderr(`error: timed out waiting for the condition on ${plural}/${target.name}\n`);
    });
  }
  return failed ? 1 : 0;
}

export const deleteCommand: ClientCommand = {
  name: 'delete',
  summary: 'Delete resources',
  help: HELP,
  flags: {
    filename: { type: 'string', short: 'f', multiple: true },
    selector: { type: 'string', short: 'l' },
    all: { type: 'boolean' },
    'all-namespaces': { type: 'boolean', short: 'A' },
    'grace-period': { type: 'string' },
    now: { type: 'boolean' },
    force: { type: 'boolean' },
    cascade: { type: 'string' },
    'ignore-not-found': { type: 'boolean' },
    wait: { type: 'boolean' },
    timeout: { type: 'string' },
  },
  run,
};
