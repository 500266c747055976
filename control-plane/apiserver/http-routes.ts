/**
 * Kubernetes' URL layout, parsed:
 *   /api/v1/{plural}[/{name}[/{subresource}]]                       core, cluster-scoped or all namespaces
 *   /api/v1/namespaces/{ns}/{plural}[/{name}[/{subresource}]]       core, namespaced
 *   /apis/{group}/{version}/... the same for named groups
 * `/api/v1/namespaces/{name}` is the Namespace itself; `/api/v1/namespaces/{name}/status`
 * its status.
 */
import { RESOURCES } from '../api/resources.js';
import type { ResourceInfo } from '../api/resources.js';
import { ApiError } from './errors.js';

export interface ResourceRoute {
  readonly info: ResourceInfo;
  /** Undefined for cluster-scoped kinds and for lists/watches across namespaces. */
  readonly namespace: string | undefined;
  readonly name: string | undefined;
  readonly subresource: string | undefined;
}

/** The route of a resource path, null when the path is not one (discovery, health, unknown). Throws 404 for unknown resources of a served group. */
export function parseResourcePath(pathname: string): ResourceRoute | null {
  const segments = pathname.split('/').filter((segment) => segment !== '').map(decodeSegment);
  let group: string;
  let version: string;
  let rest: string[];
  if (segments[0] === 'api' && segments.length >= 3) {
    group = '';
    version = segments[1]!;
    rest = segments.slice(2);
  } else if (segments[0] === 'apis' && segments.length >= 4) {
    group = segments[1]!;
    version = segments[2]!;
    rest = segments.slice(3);
  } else {
    return null;
  }
  const inGroup = RESOURCES.filter((info) => info.group === group && info.version === version);
  if (inGroup.length === 0) return null;
  const find = (plural: string): ResourceInfo => {
    const info = inGroup.find((candidate) => candidate.plural === plural);
    if (info === undefined) throw new ApiError('NotFound', `the server could not find the requested resource (${plural})`);
    return info;
  };
  if (rest[0] === 'namespaces' && rest.length >= 3 && !(rest.length === 3 && rest[2] === 'status') && !(rest.length === 3 && rest[2] === 'finalize')) {
    const info = find(rest[2]!);
    if (!info.namespaced) throw new ApiError('NotFound', `the server could not find the requested resource (${info.plural} is not namespaced)`);
    if (rest.length > 5) throw new ApiError('NotFound', `the server could not find the requested resource`);
    return { info, namespace: rest[1], name: rest[3], subresource: rest[4] };
  }
  if (rest.length > 3) throw new ApiError('NotFound', `the server could not find the requested resource`);
  return { info: find(rest[0]!), namespace: undefined, name: rest[1], subresource: rest[2] };
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw ApiError.badRequest(`malformed path segment: ${segment}`);
  }
}
