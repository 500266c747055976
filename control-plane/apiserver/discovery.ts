/**
 * Discovery documents: which groups, versions and resources this server serves
 * (`/api`, `/apis`, `/api/v1`, `/apis/apps/v1`), in Kubernetes' shapes, so that tools that
 * discover before they call (kubectl) find the resources.
 */
import { RESOURCES, apiVersionOf } from '../api/resources.js';
import type { ResourceInfo } from '../api/resources.js';

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
/** Kubernetes 1.20 serves no `deletecollection` for these. */
const NO_DELETE_COLLECTION = new Set(['namespaces', 'services']);
/** Members of the `all` category (`kubectl get all`), as in Kubernetes. */
const CATEGORY_ALL = new Set(['pods', 'services', 'deployments', 'replicasets']);
/** Kinds with a `scale` subresource (an `autoscaling/v1` Scale), which `kubectl scale` finds here. */
const SCALABLE = new Set(['deployments', 'replicasets']);

function groupsServed(): string[] {
  return [...new Set(RESOURCES.map((info) => info.group).filter((group) => group !== ''))];
}

/** The discovery document at `pathname`, or undefined when it is not a discovery path. */
export function discoveryDocument(pathname: string): unknown {
  const path = pathname.replace(/\/+$/, '');
  if (path === '/api') return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] };
  if (path === '/apis') {
    return {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: groupsServed().map((name) => ({
        name,
        versions: [{ groupVersion: `${name}/v1`, version: 'v1' }],
        preferredVersion: { groupVersion: `${name}/v1`, version: 'v1' },
      })),
    };
  }
  const core = path === '/api/v1';
  const named = /^\/apis\/([^/]+)\/v1$/.exec(path);
  if (!core && named === null) {
    const group = /^\/apis\/([^/]+)$/.exec(path);
    if (group !== null && groupsServed().includes(group[1]!)) {
      const version = { groupVersion: `${group[1]}/v1`, version: 'v1' };
      return { kind: 'APIGroup', apiVersion: 'v1', name: group[1], versions: [version], preferredVersion: version };
    }
    return undefined;
  }
  const group = core ? '' : named![1]!;
  const resources = RESOURCES.filter((info) => info.group === group);
  if (resources.length === 0) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: apiVersionOf(resources[0]!),
    resources: resources.flatMap((info) => resourceEntries(info)),
  };
}

/** The resource's entry, then one per subresource (`pods/log`, `deployments/scale`), as Kubernetes lists them. */
function resourceEntries(info: ResourceInfo): unknown[] {
  const entries: unknown[] = [
    {
      name: info.plural,
      singularName: info.singular,
      namespaced: info.namespaced,
      kind: info.kind,
      verbs: NO_DELETE_COLLECTION.has(info.plural) ? VERBS.filter((verb) => verb !== 'deletecollection') : VERBS,
      ...(info.shortNames.length > 0 ? { shortNames: info.shortNames } : {}),
      ...(CATEGORY_ALL.has(info.plural) ? { categories: ['all'] } : {}),
    },
  ];
  const subresource = (name: string, verbs: string[], kind = info.kind, groupVersion?: { group: string; version: string }): void => {
    entries.push({ name: `${info.plural}/${name}`, singularName: '', namespaced: info.namespaced, ...groupVersion, kind, verbs });
  };
  if (info.kind === 'Pod') {
    subresource('binding', ['create'], 'Binding');
    subresource('log', ['get']);
  }
  if (SCALABLE.has(info.plural)) subresource('scale', ['get', 'patch', 'update'], 'Scale', { group: 'autoscaling', version: 'v1' });
  if (info.hasStatus) subresource('status', ['get', 'patch', 'update']);
  return entries;
}
