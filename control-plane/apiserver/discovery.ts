/**
 * Discovery documents: which groups, versions and resources this server serves
 * (`/api`, `/apis`, `/api/v1`, `/apis/apps/v1`), in Kubernetes' shapes, so that tools that
 * discover before they call (kubectl) find the resources.
 */
import { RESOURCES, apiVersionOf } from '../api/resources.js';
import type { ResourceInfo } from '../api/resources.js';

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

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

function resourceEntries(info: ResourceInfo): unknown[] {
  const entry = {
    name: info.plural,
    singularName: info.singular,
    namespaced: info.namespaced,
    kind: info.kind,
    verbs: VERBS,
    ...(info.shortNames.length > 0 ? { shortNames: info.shortNames } : {}),
  };
  const status = { name: `${info.plural}/status`, singularName: '', namespaced: info.namespaced, kind: info.kind, verbs: ['get', 'patch', 'update'] };
  return info.hasStatus ? [entry, status] : [entry];
}
