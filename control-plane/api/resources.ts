/**
 * The kinds the API server serves, with what the URL layout, the KV layout and the CLI need
 * to know about each: its group and version, its plural (the URL segment and the KV folder),
 * whether it lives in a namespace, the names people type for it, and whether it has a
 * `/status` subresource.
 */

export interface ResourceInfo {
  /** `Pod`. */
  readonly kind: string;
  /** `pods`: the URL segment and the KV folder (`/registry/pods/<ns>/<name>`). */
  readonly plural: string;
  /** `pod`. */
  readonly singular: string;
  /** Short names people type (`po`, `deploy`, `svc`). */
  readonly shortNames: readonly string[];
  /** `''` for the core group (`/api/v1`), else `apps`, `coordination.k8s.io` (`/apis/<group>/v1`). */
  readonly group: string;
  readonly version: string;
  readonly namespaced: boolean;
  /** Has `spec`/`status` written separately through `/status`. */
  readonly hasStatus: boolean;
}

function resource(
  kind: string,
  plural: string,
  shortNames: readonly string[],
  group: string,
  namespaced: boolean,
  hasStatus: boolean,
): ResourceInfo {
  return { kind, plural, singular: kind.toLowerCase(), shortNames, group, version: 'v1', namespaced, hasStatus };
}

/** Every served kind. */
export const RESOURCES: readonly ResourceInfo[] = [
  resource('Namespace', 'namespaces', ['ns'], '', false, true),
  resource('Node', 'nodes', ['no'], '', false, true),
  resource('Pod', 'pods', ['po'], '', true, true),
  resource('Service', 'services', ['svc'], '', true, true),
  resource('Endpoints', 'endpoints', ['ep'], '', true, false),
  resource('ConfigMap', 'configmaps', ['cm'], '', true, false),
  resource('Secret', 'secrets', [], '', true, false),
  resource('Event', 'events', ['ev'], '', true, false),
  resource('ReplicaSet', 'replicasets', ['rs'], 'apps', true, true),
  resource('Deployment', 'deployments', ['deploy'], 'apps', true, true),
  resource('Lease', 'leases', [], 'coordination.k8s.io', true, false),
  resource('Role', 'roles', [], 'rbac.authorization.k8s.io', true, false),
  resource('RoleBinding', 'rolebindings', [], 'rbac.authorization.k8s.io', true, false),
  resource('ClusterRole', 'clusterroles', [], 'rbac.authorization.k8s.io', false, false),
  resource('ClusterRoleBinding', 'clusterrolebindings', [], 'rbac.authorization.k8s.io', false, false),
];

/** `v1` or `apps/v1`. */
export function apiVersionOf(info: ResourceInfo): string {
  return info.group === '' ? info.version : `${info.group}/${info.version}`;
}

/** The kind's resource, by kind (`Pod`) and apiVersion; undefined when not served. */
export function resourceForKind(apiVersion: string, kind: string): ResourceInfo | undefined {
  return RESOURCES.find((info) => info.kind === kind && apiVersionOf(info) === apiVersion);
}

/** The resource a person named: plural, singular, short name or kind, any case (`pods`, `pod`, `po`, `Pod`). */
export function resourceByName(name: string): ResourceInfo | undefined {
  const lower = name.toLowerCase();
  return RESOURCES.find(
    (info) => info.plural === lower || info.singular === lower || info.shortNames.includes(lower),
  );
}

/**
 * The URL path of a collection or of one object, in Kubernetes' layout:
 * `/api/v1/namespaces/default/pods/web`, `/apis/apps/v1/deployments` (all namespaces),
 * `/api/v1/nodes/n1`.
 */
export function resourcePath(info: ResourceInfo, namespace?: string, name?: string): string {
  const prefix = info.group === '' ? `/api/${info.version}` : `/apis/${info.group}/${info.version}`;
  const scope = info.namespaced && namespace !== undefined ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  const tail = name === undefined ? '' : `/${encodeURIComponent(name)}`;
  return `${prefix}${scope}/${info.plural}${tail}`;
}
