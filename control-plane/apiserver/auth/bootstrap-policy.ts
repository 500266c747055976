/**
 * The roles and bindings every RBAC cluster starts with, named as Kubernetes names them:
 * - `cluster-admin` (everything), bound to the group `system:masters`;
 * - `admin`, `edit`, `view`: namespace roles to grant with a RoleBinding (view reads all but
 *   Secrets; edit also writes workloads, Services, ConfigMaps and Secrets; admin also
 *   manages the namespace's Roles and RoleBindings);
 * - `system:public-info-viewer` (`/healthz`, `/livez`, `/readyz`, `/version`) bound to every
 *   user, authenticated or not; `system:discovery` (discovery documents) bound to
 *   authenticated users only, as in Kubernetes since 1.14;
 * - `system:node`, bound to the group `system:nodes`: what node agents need. Kubernetes
 *   leaves it unbound and relies on its Node authorizer; here the binding grants the kinds
 *   and the node restriction (`node-restriction.ts`) narrows them to the node's own objects.
 *
 * The API server creates what is missing at start (RBAC mode) and adds to existing ones
 * what this policy has and they lack, keeping what an administrator added; one annotated
 * `rbac.authorization.kubernetes.io/autoupdate: "false"` is left alone (`bootstrap-reconcile.ts`).
 */
import type { ApiObject } from '../../api/types.js';

const RBAC_VERSION = 'rbac.authorization.k8s.io/v1';
const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];

function rule(apiGroups: string[], resources: string[], verbs: string[]): Record<string, string[]> {
  return { apiGroups, resources, verbs };
}

/** What every default object carries, as Kubernetes' do: a later start brings it up to date (`bootstrap-reconcile.ts`). */
const BOOTSTRAP_METADATA = {
  labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' },
  annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'true' },
};

function clusterRole(name: string, rules: Record<string, string[]>[]): ApiObject {
  return { apiVersion: RBAC_VERSION, kind: 'ClusterRole', metadata: { name, ...structuredClone(BOOTSTRAP_METADATA) }, rules };
}

function clusterRoleBinding(name: string, role: string, groups: string[]): ApiObject {
  return {
    apiVersion: RBAC_VERSION,
    kind: 'ClusterRoleBinding',
    metadata: { name, ...structuredClone(BOOTSTRAP_METADATA) },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
    subjects: groups.map((group) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: group })),
  };
}

const VIEW_RULES = [
  rule([''], ['pods', 'pods/log', 'pods/status', 'services', 'services/status', 'endpoints', 'configmaps', 'events', 'namespaces', 'namespaces/status'], READ),
  rule(['apps'], ['deployments', 'deployments/status', 'replicasets', 'replicasets/status'], READ),
];
const EDIT_RULES = [
  ...VIEW_RULES,
  rule([''], ['secrets'], READ),
  rule([''], ['pods', 'services', 'endpoints', 'configmaps', 'secrets'], WRITE),
  rule(['apps'], ['deployments', 'replicasets'], WRITE),
];
const ADMIN_RULES = [...EDIT_RULES, rule(['rbac.authorization.k8s.io'], ['roles', 'rolebindings'], [...READ, ...WRITE])];

/** The cluster roles, then the cluster role bindings, to create when missing. */
export function bootstrapPolicy(): { clusterRoles: ApiObject[]; clusterRoleBindings: ApiObject[] } {
  return {
    clusterRoles: [
      clusterRole('cluster-admin', [rule(['*'], ['*'], ['*']), { nonResourceURLs: ['*'], verbs: ['*'] }]),
      clusterRole('admin', ADMIN_RULES),
      clusterRole('edit', EDIT_RULES),
      clusterRole('view', VIEW_RULES),
      // The dashboard's page and assets hold no data: the page must load to ask for a token (its data calls are authorized as any other).
      clusterRole('system:public-info-viewer', [{ nonResourceURLs: ['/healthz', '/livez', '/readyz', '/version', '/version/', '/ui', '/ui/', '/ui/dashboard.js', '/ui/dashboard.css'], verbs: ['get'] }]),
      clusterRole('system:discovery', [
        { nonResourceURLs: ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/readyz', '/openapi', '/openapi/*', '/version', '/version/'], verbs: ['get'] },
      ]),
      clusterRole('system:node', [
        rule([''], ['nodes'], ['get', 'list', 'watch', 'create', 'update', 'patch']),
        rule([''], ['nodes/status'], ['update', 'patch']),
        rule([''], ['pods'], ['get', 'list', 'watch', 'delete']),
        rule([''], ['pods/status'], ['update', 'patch']),
        rule([''], ['configmaps', 'secrets'], ['get', 'list', 'watch']),
        // The node's service proxy balances over Services' endpoints; a stopping pod waits until it left them.
        rule([''], ['services', 'endpoints'], READ),
        rule([''], ['events'], ['create', 'update', 'patch']),
        rule(['coordination.k8s.io'], ['leases'], ['get', 'create', 'update', 'patch', 'delete']),
      ]),
    ],
    clusterRoleBindings: [
      clusterRoleBinding('cluster-admin', 'cluster-admin', ['system:masters']),
      clusterRoleBinding('system:public-info-viewer', 'system:public-info-viewer', ['system:authenticated', 'system:unauthenticated']),
      clusterRoleBinding('system:discovery', 'system:discovery', ['system:authenticated']),
      clusterRoleBinding('system:node', 'system:node', ['system:nodes']),
    ],
  };
}
