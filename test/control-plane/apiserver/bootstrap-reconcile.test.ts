/**
 * The default RBAC policy kept up to date at each start (as kube-apiserver does): roles an
 * older version created get the rules they lack and keep an administrator's additions;
 * bindings get the subjects they lack; a binding to another role is made again; objects
 * annotated `autoupdate: "false"` are left alone; a second start changes nothing.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';

import { resourceByName } from '../../../control-plane/api/resources.js';
import type { ApiObject } from '../../../control-plane/api/types.js';
import { bootstrapPolicy } from '../../../control-plane/apiserver/auth/bootstrap-policy.js';
import { AUTOUPDATE_ANNOTATION, reconcileBootstrapObject, rulesCover } from '../../../control-plane/apiserver/auth/bootstrap-reconcile.js';
import { RequestGuard } from '../../../control-plane/apiserver/auth/request-guard.js';
import type { Registry } from '../../../control-plane/apiserver/registry.js';
import { RegistryOnKv } from './support/registry-on-kv.js';

const CLUSTER_ROLES = resourceByName('clusterroles')!;
const CLUSTER_ROLE_BINDINGS = resourceByName('clusterrolebindings')!;
const RBAC = 'rbac.authorization.k8s.io/v1';

const store = new RegistryOnKv();
let registry: Registry;

beforeAll(async () => {
  registry = (await store.start()).registry;
});

afterAll(() => store.stop());

const policyRole = (name: string): ApiObject => bootstrapPolicy().clusterRoles.find((role) => role.metadata.name === name)!;
const rule = (apiGroups: string[], resources: string[], verbs: string[], resourceNames?: string[]) => ({ apiGroups, resources, verbs, ...(resourceNames ? { resourceNames } : {}) });

test('rulesCover: every verb, group, resource and name of a rule, with wildcards and subresource wildcards', () => {
  const rules = [rule([''], ['pods', 'pods/log'], ['get', 'list']), rule(['apps'], ['*'], ['*']), rule([''], ['*/status'], ['update']), { nonResourceURLs: ['/healthz', '/api/*'], verbs: ['get'] }];
  expect(rulesCover(rules, rule([''], ['pods'], ['get']))).toBe(true);
  expect(rulesCover(rules, rule([''], ['pods', 'pods/log'], ['list']))).toBe(true);
  expect(rulesCover(rules, rule([''], ['pods'], ['get', 'watch']))).toBe(false);
  expect(rulesCover(rules, rule(['apps'], ['deployments', 'replicasets'], ['create', 'delete']))).toBe(true);
  expect(rulesCover(rules, rule([''], ['nodes/status'], ['update']))).toBe(true);
  expect(rulesCover(rules, rule([''], ['nodes'], ['update']))).toBe(false);
  expect(rulesCover([rule([''], ['configmaps'], ['get'], ['a'])], rule([''], ['configmaps'], ['get']))).toBe(false);
  expect(rulesCover([rule([''], ['configmaps'], ['get'])], rule([''], ['configmaps'], ['get'], ['a']))).toBe(true);
  expect(rulesCover(rules, { nonResourceURLs: ['/healthz'], verbs: ['get'] })).toBe(true);
  expect(rulesCover(rules, { nonResourceURLs: ['/api/*'], verbs: ['get'] })).toBe(true);
  expect(rulesCover(rules, { nonResourceURLs: ['/version'], verbs: ['get'] })).toBe(false);
});

test('a start brings what an older version created up to date, keeps additions and opted-out objects, and a second start changes nothing', async () => {
  const extra = rule(['example.com'], ['widgets'], ['get']);
  // system:node as an older Balsa made it: without reading Services and Endpoints, no annotation; plus an administrator's rule.
  const oldNode = policyRole('system:node');
  const oldRules = (oldNode.rules as Record<string, string[]>[]).filter((r) => !r.resources!.includes('services'));
  await registry.create(CLUSTER_ROLES, undefined, { apiVersion: RBAC, kind: 'ClusterRole', metadata: { name: 'system:node', labels: { team: 'infra' } }, rules: [...oldRules, extra] });
  // view, cut down and opted out by its administrator.
  const trimmedView = { apiVersion: RBAC, kind: 'ClusterRole', metadata: { name: 'view', annotations: { [AUTOUPDATE_ANNOTATION]: 'false' } }, rules: [rule([''], ['pods'], ['get'])] };
  await registry.create(CLUSTER_ROLES, undefined, trimmedView);
  // A discovery binding someone narrowed to their own group, and a node binding pointed at another role.
  await registry.create(CLUSTER_ROLE_BINDINGS, undefined, {
    apiVersion: RBAC,
    kind: 'ClusterRoleBinding',
    metadata: { name: 'system:discovery' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:discovery' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'auditors' }],
  });
  await registry.create(CLUSTER_ROLE_BINDINGS, undefined, {
    apiVersion: RBAC,
    kind: 'ClusterRoleBinding',
    metadata: { name: 'system:node' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:nodes' }],
  });

  const logged: string[] = [];
  const guard = new RequestGuard(registry, { authorizationMode: 'RBAC', log: (line) => logged.push(line) });
  try {
    await guard.start();
  } finally {
    guard.stop();
  }

  const node = await registry.get(CLUSTER_ROLES, undefined, 'system:node');
  for (const wanted of policyRole('system:node').rules as Record<string, unknown>[]) expect(rulesCover(node.rules as Record<string, unknown>[], wanted)).toBe(true);
  expect(node.rules).toContainEqual(extra);
  expect(node.metadata.labels).toEqual({ team: 'infra', 'kubernetes.io/bootstrapping': 'rbac-defaults' });
  expect(node.metadata.annotations).toEqual({ [AUTOUPDATE_ANNOTATION]: 'true' });

  const view = await registry.get(CLUSTER_ROLES, undefined, 'view');
  expect(view.rules).toEqual(trimmedView.rules);

  const discovery = await registry.get(CLUSTER_ROLE_BINDINGS, undefined, 'system:discovery');
  expect((discovery.subjects as { name: string }[]).map((subject) => subject.name)).toEqual(['auditors', 'system:authenticated']);
  const nodeBinding = await registry.get(CLUSTER_ROLE_BINDINGS, undefined, 'system:node');
  expect(nodeBinding.roleRef).toMatchObject({ kind: 'ClusterRole', name: 'system:node' });

  expect(logged.filter((line) => line.includes('up to date'))).toEqual([
    'rbac: brought ClusterRole system:node up to date with the default policy',
    'rbac: brought ClusterRoleBinding system:discovery up to date with the default policy',
    'rbac: brought ClusterRoleBinding system:node up to date with the default policy',
  ]);

  // Everything holds now: a second pass keeps it all.
  const policy = bootstrapPolicy();
  for (const object of [...policy.clusterRoles, ...policy.clusterRoleBindings]) expect(await reconcileBootstrapObject(registry, object)).toBe('kept');
});
