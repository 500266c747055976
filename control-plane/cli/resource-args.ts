/**
 * The resource arguments of `get`, `describe`, `delete` and `label`, as kubectl reads them:
 * `pods`, `pods,services`, `pods web api`, `pod/web svc/api`, `deployments.apps`, and the
 * category `all`.
 */
import { RESOURCES, resourceByName } from '../api/resources.js';
import type { ResourceInfo } from '../api/resources.js';
import { CliError, CliUsageError } from './errors.js';

/** One kind and the names asked of it (none: every object). */
export interface ResourceRequest {
  readonly info: ResourceInfo;
  readonly names: string[];
}

/** kubectl's `all` category, limited to the kinds we serve, in kubectl's order. */
const ALL_CATEGORY: readonly string[] = ['pods', 'services', 'deployments', 'replicasets'];

/**
 * The served kind a person named (`pods`, `po`, `Pod`, `deployments.apps`); a `CliError`
 * (`the server doesn't have a resource type "foo"`) otherwise.
 */
export function lookupResource(name: string): ResourceInfo {
  const direct = resourceByName(name);
  if (direct !== undefined) return direct;
  // `deployments.apps`, `leases.coordination.k8s.io`: a name qualified with its group.
  const dot = name.indexOf('.');
  if (dot > 0) {
    const unqualified = resourceByName(name.slice(0, dot));
    if (unqualified !== undefined && unqualified.group === name.slice(dot + 1).toLowerCase()) return unqualified;
  }
  throw new CliError(`the server doesn't have a resource type "${name}"`);
}

function lookupTypes(list: string): ResourceInfo[] {
  const infos: ResourceInfo[] = [];
  for (const part of list.split(',')) {
    if (part === '') continue;
    const expanded = part.toLowerCase() === 'all' ? ALL_CATEGORY.map(lookupResource) : [lookupResource(part)];
    for (const info of expanded) if (!infos.includes(info)) infos.push(info);
  }
  return infos;
}

/**
 * Reads `args` (positionals after the command). Either the first is a comma-separated type
 * list and the rest are names (applied to each type), or every argument is `type/name`.
 */
export function parseResourceArgs(args: readonly string[], command: string): ResourceRequest[] {
  if (args.length === 0) {
    throw new CliUsageError(`you must specify the type of resource to ${command}; one of: ${RESOURCES.map((info) => info.plural).join(', ')}`, command);
  }
  if (args.some((arg) => arg.includes('/'))) {
    if (!args.every((arg) => arg.includes('/'))) {
      throw new CliUsageError(
        `there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'balsa ${command} resource/<resource_name>' instead of 'balsa ${command} resource resource/<resource_name>')`,
        command,
      );
    }
    const requests: ResourceRequest[] = [];
    for (const arg of args) {
      const slash = arg.indexOf('/');
      const info = lookupResource(arg.slice(0, slash));
      const name = arg.slice(slash + 1);
      if (name === '') throw new CliUsageError(`arguments in resource/name form must have a single resource and name: "${arg}"`, command);
      const existing = requests.find((request) => request.info === info);
      if (existing === undefined) requests.push({ info, names: [name] });
      else existing.names.push(name);
    }
    return requests;
  }
  const infos = lookupTypes(args[0]!);
  if (infos.length === 0) throw new CliUsageError(`no resource type in "${args[0]}"`, command);
  return infos.map((info) => ({ info, names: args.slice(1) }));
}
