/**
 * `balsa apply -f FILE|DIR|-`: makes each object of the manifests exist as written — created
 * when absent, replaced (compare-and-swap on the live `resourceVersion`, retried on 409)
 * when it differs, left alone when it does not. Reports each object as kubectl does
 * (`deployment.apps/web created|configured|unchanged`), goes on past failures, and exits 1
 * if any object failed.
 */
import { resourceForKind } from '../../api/resources.js';
import type { ResourceInfo } from '../../api/resources.js';
import type { ApiObject } from '../../api/types.js';
import type { ApiClient } from '../api-client.js';
import { appliedObject, jsonEqual, withLastApplied } from '../apply-merge.js';
import { reportObjectError } from '../command-context.js';
import type { ClientCommand, CommandContext } from '../command-context.js';
import { CONFLICT_ATTEMPTS_MAX } from '../constants.js';
import { ApiClientError, CliError, CliUsageError, isNotFound } from '../errors.js';
import { stringsFlag } from '../flags.js';
import type { ParsedFlags } from '../flags.js';
import { readManifests } from '../manifests.js';
import type { Manifest } from '../manifests.js';
import { qualifiedName } from '../../api/object-fields.js';

const HELP = `Apply a configuration to resources by file name or stdin: create what is missing,
update what differs.

Usage:
  balsa apply -f FILENAME [-f FILENAME...] [flags]

Examples:
  balsa apply -f web.yaml
  balsa apply -f manifests/
  cat web.json | balsa apply -f -

Flags:
  -f, --filename PATH   a file, a folder (its *.yaml, *.yml, *.json) or - for stdin; repeatable

Like kubectl, apply records the manifest in the annotation
kubectl.kubernetes.io/last-applied-configuration: a field the last applied manifest had and
this one drops is removed; fields neither mentions (filled in by the server or a
controller, labels added with balsa label) are kept; write a field as null to remove it.`;

type ApplyOutcome = 'created' | 'configured' | 'unchanged';

/** The object's namespace after checking it against `-n` (kubectl's rule); `undefined` for cluster-scoped kinds. */
function manifestNamespace(manifest: Manifest, info: ResourceInfo, context: CommandContext): string | undefined {
  if (!info.namespaced) return undefined;
  const own = manifest.object.metadata.namespace;
  if (own !== undefined && own !== '' && context.namespaceExplicit && own !== context.namespace) {
    throw new CliError(
      `the namespace from the provided object "${own}" does not match the namespace "${context.namespace}". You must pass '--namespace=${own}' to perform this operation.`,
    );
  }
  return own !== undefined && own !== '' ? own : context.namespace;
}

/** Creates or replaces one object; re-reads and retries when someone else wrote it meanwhile. */
async function applyObject(
  client: ApiClient,
  info: ResourceInfo,
  namespace: string | undefined,
  manifest: ApiObject,
  source: string,
): Promise<ApplyOutcome> {
  const name = manifest.metadata.name!;
  let lastConflict: ApiClientError | undefined;
  for (let attempt = 0; attempt < CONFLICT_ATTEMPTS_MAX; attempt++) {
    let live: ApiObject | undefined;
    try {
      live = await client.get(info, namespace, name);
    } catch (error) {
      if (!isNotFound(error)) {
        throw withContext(error, `error when retrieving current configuration of ${qualifiedName(info, name)} from server for: "${source}"`);
      }
    }
    if (live === undefined) {
      try {
        await client.create(info, namespace, withLastApplied(manifest));
        return 'created';
      } catch (error) {
        // Created by someone else since our read: apply over theirs.
        if (error instanceof ApiClientError && error.reason === 'AlreadyExists') {
          lastConflict = error;
          continue;
        }
        throw withContext(error, `error when creating "${source}"`);
      }
    }
    const desired = appliedObject(live, manifest);
    if (jsonEqual(desired, live)) return 'unchanged';
    try {
      await client.replace(info, namespace, name, desired);
      return 'configured';
    } catch (error) {
      if (error instanceof ApiClientError && error.retryable) {
        lastConflict = error;
        continue;
      }
      throw withContext(error, `error when applying changes to "${source}"`);
    }
  }
  throw withContext(lastConflict!, `error when applying "${source}" (gave up after ${CONFLICT_ATTEMPTS_MAX} conflicting writes)`);
}

function withContext(error: unknown, context: string): unknown {
  return error instanceof ApiClientError ? error.withContext(context) : error;
}

async function run(flags: ParsedFlags, context: CommandContext): Promise<number> {
  const files = stringsFlag(flags.values, 'filename');
  if (files.length === 0) throw new CliUsageError('must specify one of -f or --filename', 'apply');
  if (flags.positionals.length > 0) {
    throw new CliUsageError(`unexpected arguments ${flags.positionals.join(' ')}: apply takes its objects from -f`, 'apply');
  }
  const manifests = await readManifests(files, context.io.readStdin);
  if (manifests.length === 0) throw new CliError('no objects passed to apply');
  const client = await context.client();
  let failed = false;
  for (const manifest of manifests) {
    const { object, source } = manifest;
    try {
      const info = resourceForKind(object.apiVersion, object.kind);
      if (info === undefined) {
        throw new CliError(`unable to recognize "${source}": no matches for kind "${object.kind}" in version "${object.apiVersion}"`);
      }
      if (object.metadata.name === undefined || object.metadata.name === '') {
        throw new CliError(
          object.metadata.generateName !== undefined
            ? `from "${source}": cannot use generate name with apply (${object.kind} with generateName "${object.metadata.generateName}")`
            : `error validating "${source}": ${object.kind} has no metadata.name, which apply needs to find the object`,
        );
      }
      const namespace = manifestNamespace(manifest, info, context);
      const body: ApiObject = { ...object, metadata: { ...object.metadata } };
      if (namespace === undefined) delete body.metadata.namespace;
      else body.metadata.namespace = namespace;
      const outcome = await applyObject(client, info, namespace, body, source);
      context.io.stdout(`${qualifiedName(info, object.metadata.name)} ${outcome}\n`);
    } catch (error) {
      failed = true;
      reportObjectError(context.io, error);
    }
  }
  return failed ? 1 : 0;
}

export const applyCommand: ClientCommand = {
  name: 'apply',
  summary: 'Apply a configuration to resources by file name or stdin',
  help: HELP,
  flags: {
    filename: { type: 'string', short: 'f', multiple: true },
  },
  run,
};
