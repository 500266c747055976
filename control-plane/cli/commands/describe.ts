/**
 * `balsa describe`: a readable account of objects — kind-specific sections and the events
 * about them. `describe pods web` shows `web`, or if there is none, every pod whose name
 * starts with `web` (as kubectl); `describe pods` shows them all.
 */
import { resourceByName } from '../../api/resources.js';
import type { ResourceInfo } from '../../api/resources.js';
import type { ApiObject } from '../../api/types.js';
import type { ApiClient } from '../api-client.js';
import { noResourcesMessage } from '../command-context.js';
import type { ClientCommand, CommandContext } from '../command-context.js';
import { eventsAbout } from '../describe-writer.js';
import { describeObject } from '../describers.js';
import type { DescribeInputs } from '../describers.js';
import { ApiClientError, CliUsageError, formatServerError, isNotFound } from '../errors.js';
import { booleanFlag, stringFlag } from '../flags.js';
import type { ParsedFlags } from '../flags.js';
import { asRecord, formatLabelSelector } from '../../api/object-fields.js';
import { parseResourceArgs } from '../resource-args.js';

const HELP = `Show details of a specific resource or group of resources, with the events about them.

Usage:
  balsa describe RESOURCE [NAME_PREFIX...] [flags]
  balsa describe RESOURCE/NAME... [flags]

Without an exact match, NAME_PREFIX describes every object whose name starts with it.

Examples:
  balsa describe pod web
  balsa describe deploy/web
  balsa describe nodes
  balsa describe pods -l app=web

Flags:
  -l, --selector SELECTOR  describe the objects the label selector matches
  -A, --all-namespaces     across all namespaces`;

/** The objects one name stands for: itself, or those whose name starts with it. */
async function objectsForName(client: ApiClient, info: ResourceInfo, namespace: string, name: string): Promise<ApiObject[]> {
  try {
    return [await client.get(info, namespace, name)];
  } catch (error) {
    if (!isNotFound(error)) throw error;
    const list = await client.list(info, { namespace });
    const matches = list.items.filter((object) => (object.metadata.name ?? '').startsWith(name));
    if (matches.length === 0) throw error;
    return matches;
  }
}

/** The events about `object`. Events are an aid: failing to read them leaves the section empty. */
async function readEvents(client: ApiClient, object: ApiObject): Promise<ApiObject[]> {
  const events = resourceByName('events')!;
  // Cluster-scoped objects (nodes) have their events in any namespace.
  const namespace = object.metadata.namespace || undefined;
  const fieldSelector = `involvedObject.name=${object.metadata.name ?? ''},involvedObject.kind=${object.kind}`;
  try {
    return eventsAbout(object, (await client.list(events, { namespace, fieldSelector })).items);
  } catch (error) {
    if (!(error instanceof ApiClientError)) throw error;
  }
  try {
    // A server without that field selector: filter here instead.
    return eventsAbout(object, (await client.list(events, { namespace })).items);
  } catch (error) {
    if (error instanceof ApiClientError) return [];
    throw error;
  }
}

/** What a kind's describer needs beyond the object and its events. */
async function readInputs(client: ApiClient, object: ApiObject, now: Date): Promise<DescribeInputs> {
  const inputs: { now: Date; events: ApiObject[]; endpoints?: ApiObject; pods?: ApiObject[] } = {
    now,
    events: await readEvents(client, object),
  };
  if (object.kind === 'Service') {
    try {
      inputs.endpoints = await client.get(resourceByName('endpoints')!, object.metadata.namespace, object.metadata.name ?? '');
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
  if (object.kind === 'ReplicaSet') {
    const selector = formatLabelSelector(asRecord(object.spec).selector);
    if (selector !== '<none>') {
      const pods = await client.list(resourceByName('pods')!, { namespace: object.metadata.namespace, labelSelector: selector });
      // Pods the selector matches but another controller owns are not this ReplicaSet's.
      inputs.pods = pods.items.filter((pod) => {
        const owner = (pod.metadata.ownerReferences ?? []).find((reference) => reference.controller === true);
        return owner === undefined || object.metadata.uid === undefined || owner.uid === object.metadata.uid;
      });
    }
  }
  return inputs;
}

async function run(flags: ParsedFlags, context: CommandContext): Promise<number> {
  const selector = stringFlag(flags.values, 'selector');
  const allNamespaces = booleanFlag(flags.values, 'all-namespaces');
  const requests = parseResourceArgs(flags.positionals, 'describe');
  const named = requests.some((request) => request.names.length > 0);
  if (named && selector !== undefined) throw new CliUsageError('name cannot be provided when a selector is specified', 'describe');
  const client = await context.client();
  const objects: ApiObject[] = [];
  const errors: string[] = [];
  for (const { info, names } of requests) {
    if (names.length === 0) {
      const list = await client.list(info, { namespace: allNamespaces ? undefined : context.namespace, labelSelector: selector });
      objects.push(...list.items);
      continue;
    }
    for (const name of names) {
      try {
        objects.push(...(await objectsForName(client, info, context.namespace, name)));
      } catch (error) {
        if (!isNotFound(error)) throw error;
        errors.push(formatServerError(error));
      }
    }
  }
  let first = true;
  for (const object of objects) {
    const text = describeObject(object, await readInputs(client, object, context.io.now()));
    context.io.stdout(first ? text : `\n\n${text}`);
    first = false;
  }
  for (const error of errors) context.io.stderr(`${error}\n`);
  if (objects.length === 0 && errors.length === 0) {
    const namespaced = requests.some((request) => request.info.namespaced);
    context.io.stderr(noResourcesMessage(namespaced && !allNamespaces ? context.namespace : undefined));
  }
  return errors.length > 0 ? 1 : 0;
}

export const describeCommand: ClientCommand = {
  name: 'describe',
  summary: 'Show details of a specific resource or group of resources',
  help: HELP,
  flags: {
    selector: { type: 'string', short: 'l' },
    'all-namespaces': { type: 'boolean', short: 'A' },
  },
  run,
};
