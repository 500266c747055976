/**
 * RBAC rules (`rbac.authorization.k8s.io/v1`): Role and ClusterRole hold policy rules,
 * RoleBinding and ClusterRoleBinding grant a role to subjects. Kubernetes' checks and
 * wording: a rule names verbs and either API groups with resources or (cluster roles only)
 * non-resource URLs; a binding's `roleRef` names a role of this API group and never changes;
 * a subject is a User, a Group (both of the RBAC group) or a ServiceAccount (core group,
 * with a namespace).
 */
import { dns1123SubdomainErrors, pathSegmentNameErrors } from '../names.js';
import {
  checkName,
  child,
  invalid,
  isRecord,
  jsonEqual,
  notSupported,
  readRecord,
  readRecordList,
  readRequiredString,
  readString,
  readStringList,
  required,
} from './checks.js';
import type { Errors, Json } from './checks.js';

export const RBAC_GROUP = 'rbac.authorization.k8s.io';

/** The rules of a Role (`namespaced`) or ClusterRole. */
export function validateRoleRules(obj: Json, namespaced: boolean, errors: Errors): void {
  for (const { item, path } of readRecordList(errors, obj.rules, 'rules')) validatePolicyRule(item, namespaced, path, errors);
}

function validatePolicyRule(rule: Json, namespaced: boolean, path: string, errors: Errors): void {
  const verbs = readStringList(errors, rule.verbs, child(path, 'verbs'));
  const apiGroups = readStringList(errors, rule.apiGroups, child(path, 'apiGroups'));
  const resources = readStringList(errors, rule.resources, child(path, 'resources'));
  readStringList(errors, rule.resourceNames, child(path, 'resourceNames'));
  const nonResourceURLs = readStringList(errors, rule.nonResourceURLs, child(path, 'nonResourceURLs'));
  if (verbs.length === 0) required(errors, child(path, 'verbs'), 'verbs must contain at least one value');
  if (nonResourceURLs.length > 0) {
    if (namespaced) invalid(errors, child(path, 'nonResourceURLs'), nonResourceURLs, 'namespaced rules cannot apply to non-resource URLs');
    if (apiGroups.length > 0 || resources.length > 0) {
      invalid(errors, child(path, 'nonResourceURLs'), nonResourceURLs, 'rules cannot apply to both regular resources and non-resource URLs');
    }
    return;
  }
  if (apiGroups.length === 0) required(errors, child(path, 'apiGroups'), 'resource rules must supply at least one api group');
  if (resources.length === 0) required(errors, child(path, 'resources'), 'resource rules must supply at least one resource');
}

/** A RoleBinding (`namespaced`: its roleRef may name a Role or a ClusterRole) or ClusterRoleBinding (a ClusterRole only). */
export function validateRoleBinding(obj: Json, namespaced: boolean, errors: Errors): void {
  const roleRef = readRecord(errors, obj.roleRef, 'roleRef');
  if (roleRef === undefined) {
    required(errors, 'roleRef', '');
  } else {
    const apiGroup = readString(errors, roleRef.apiGroup, 'roleRef.apiGroup') ?? '';
    if (apiGroup !== RBAC_GROUP) notSupported(errors, 'roleRef.apiGroup', apiGroup, [RBAC_GROUP]);
    const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
    const kind = readString(errors, roleRef.kind, 'roleRef.kind') ?? '';
    if (!kinds.includes(kind)) notSupported(errors, 'roleRef.kind', kind, kinds);
    const name = readRequiredString(errors, roleRef.name, 'roleRef.name');
    if (name !== undefined) checkName(errors, 'roleRef.name', name, pathSegmentNameErrors);
  }
  for (const { item, path } of readRecordList(errors, obj.subjects, 'subjects')) validateSubject(item, namespaced, path, errors);
}

function validateSubject(subject: Json, namespaced: boolean, path: string, errors: Errors): void {
  const name = readRequiredString(errors, subject.name, child(path, 'name'));
  const apiGroup = readString(errors, subject.apiGroup, child(path, 'apiGroup')) ?? '';
  const kind = readString(errors, subject.kind, child(path, 'kind')) ?? '';
  switch (kind) {
    case 'ServiceAccount': {
      if (name !== undefined) checkName(errors, child(path, 'name'), name, dns1123SubdomainErrors);
      if (apiGroup !== '') notSupported(errors, child(path, 'apiGroup'), apiGroup, ['']);
      const namespace = readString(errors, subject.namespace, child(path, 'namespace')) ?? '';
      if (!namespaced && namespace === '') required(errors, child(path, 'namespace'), '');
      break;
    }
    case 'User':
    case 'Group':
      if (apiGroup !== RBAC_GROUP) notSupported(errors, child(path, 'apiGroup'), apiGroup, [RBAC_GROUP]);
      break;
    default:
      notSupported(errors, child(path, 'kind'), kind, ['ServiceAccount', 'User', 'Group']);
  }
}

/** A binding's roleRef is fixed at create: granting another role is a new binding. */
export function validateRoleBindingUpdate(obj: Json, old: Json, errors: Errors): void {
  if (isRecord(old) && !jsonEqual(obj.roleRef, old.roleRef)) invalid(errors, 'roleRef', obj.roleRef, 'cannot change roleRef');
}
