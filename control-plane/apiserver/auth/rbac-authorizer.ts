/**
 * Kubernetes' RBAC authorizer: a request is allowed when some rule of some role bound to
 * its user allows it — the ClusterRoles of ClusterRoleBindings everywhere, and the Roles
 * and ClusterRoles of the RoleBindings of the request's namespace there. Nothing is denied
 * explicitly; what no rule allows is refused. The four kinds are read from informers over
 * the registry (kept current by its watch), so a decision reads memory only.
 *
 * Rule matching, as Kubernetes': `*` matches any verb, group, resource or URL; a resource
 * `pods` does not match the subresource `pods/log` (name it, or `*` or `* /log`); a rule
 * with `resourceNames` allows only requests that name one of them; a non-resource URL
 * ending in `*` matches the paths it prefixes.
 */
import { resourceByName } from '../../api/resources.js';
import type { ApiObject } from '../../api/types.js';
import { Informer } from '../../client/informer.js';
import type { InformerSource } from '../../client/informer.js';
import { resourceWithSubresource } from './request-attributes.js';
import type { RequestAttributes } from './request-attributes.js';
import type { UserInfo } from './user-info.js';

export interface Decision {
  readonly allowed: boolean;
  /** Why, when refused for a reason beyond "no rule allows it" (a binding names a missing role). */
  readonly reason: string;
}

interface PolicyRule {
  readonly verbs: readonly string[];
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly resourceNames: readonly string[];
  readonly nonResourceURLs: readonly string[];
}

const ROLES = resourceByName('roles')!;
const ROLE_BINDINGS = resourceByName('rolebindings')!;
const CLUSTER_ROLES = resourceByName('clusterroles')!;
const CLUSTER_ROLE_BINDINGS = resourceByName('clusterrolebindings')!;

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function rulesOf(role: ApiObject): PolicyRule[] {
  const rules = Array.isArray(role.rules) ? (role.rules as unknown[]) : [];
  return rules.map((rule) => {
    const fields = (typeof rule === 'object' && rule !== null ? rule : {}) as Record<string, unknown>;
    return {
      verbs: strings(fields.verbs),
      apiGroups: strings(fields.apiGroups),
      resources: strings(fields.resources),
      resourceNames: strings(fields.resourceNames),
      nonResourceURLs: strings(fields.nonResourceURLs),
    };
  });
}

/** Whether `subject` of a binding (in `bindingNamespace` for a RoleBinding) is `user`. */
function subjectIsUser(subject: unknown, user: UserInfo, bindingNamespace: string | undefined): boolean {
  if (typeof subject !== 'object' || subject === null) return false;
  const { kind, name, namespace } = subject as { kind?: unknown; name?: unknown; namespace?: unknown };
  if (typeof name !== 'string') return false;
  switch (kind) {
    case 'User':
      return user.name === name;
    case 'Group':
      return user.groups.includes(name);
    case 'ServiceAccount': {
      const saNamespace = typeof namespace === 'string' && namespace !== '' ? namespace : bindingNamespace;
      return saNamespace !== undefined && user.name === `system:serviceaccount:${saNamespace}:${name}`;
    }
    default:
      return false;
  }
}

/** Whether `rule` allows the request (Kubernetes' `RuleAllows`). */
export function ruleAllows(rule: PolicyRule, attributes: RequestAttributes): boolean {
  if (!rule.verbs.includes('*') && !rule.verbs.includes(attributes.verb)) return false;
  const resource = attributes.resource;
  if (resource === undefined) {
    const path = attributes.path ?? '';
    return rule.nonResourceURLs.some((url) => url === '*' || url === path || (url.endsWith('*') && path.startsWith(url.slice(0, -1))));
  }
  if (!rule.apiGroups.includes('*') && !rule.apiGroups.includes(resource.info.group)) return false;
  const combined = resourceWithSubresource(resource);
  const subresource = resource.subresource;
  const resourceMatches = rule.resources.some(
    (candidate) => candidate === '*' || candidate === combined || (subresource !== undefined && candidate === `*/${subresource}`),
  );
  if (!resourceMatches) return false;
  if (rule.resourceNames.length === 0) return true;
  return resource.name !== undefined && rule.resourceNames.includes(resource.name);
}

/** The RBAC objects, cached from the registry's watch. */
export class RbacAuthorizer {
  private readonly roles: Informer;
  private readonly roleBindings: Informer;
  private readonly clusterRoles: Informer;
  private readonly clusterRoleBindings: Informer;

  constructor(source: InformerSource, log?: (line: string) => void) {
    const options = log === undefined ? {} : { log };
    this.roles = new Informer(source, ROLES, options);
    this.roleBindings = new Informer(source, ROLE_BINDINGS, options);
    this.clusterRoles = new Informer(source, CLUSTER_ROLES, options);
    this.clusterRoleBindings = new Informer(source, CLUSTER_ROLE_BINDINGS, options);
  }

  private get informers(): Informer[] {
    return [this.roles, this.roleBindings, this.clusterRoles, this.clusterRoleBindings];
  }

  /** Starts the caches; resolves once each has its first list. */
  async start(): Promise<void> {
    await Promise.all(this.informers.map((informer) => informer.start()));
  }

  get synced(): boolean {
    return this.informers.every((informer) => informer.hasSynced);
  }

  stop(): void {
    for (const informer of this.informers) informer.stop();
  }

  authorize(attributes: RequestAttributes): Decision {
    const errors: string[] = [];
    const allows = (role: ApiObject | undefined, describe: () => string): boolean => {
      if (role === undefined) {
        errors.push(describe());
        return false;
      }
      return rulesOf(role).some((rule) => ruleAllows(rule, attributes));
    };
    for (const binding of this.clusterRoleBindings.list()) {
      if (!this.bindsUser(binding, attributes.user, undefined)) continue;
      const name = roleRefName(binding);
      if (allows(this.clusterRoles.getByName(undefined, name), () => `clusterrole.rbac.authorization.k8s.io "${name}" not found`)) return { allowed: true, reason: '' };
    }
    const namespace = attributes.resource?.namespace;
    if (namespace !== undefined) {
      for (const binding of this.roleBindings.list(namespace)) {
        if (!this.bindsUser(binding, attributes.user, namespace)) continue;
        const name = roleRefName(binding);
        const clusterRole = (binding.roleRef as { kind?: unknown } | undefined)?.kind === 'ClusterRole';
        const role = clusterRole ? this.clusterRoles.getByName(undefined, name) : this.roles.getByName(namespace, name);
        const describe = (): string => (clusterRole ? `clusterrole.rbac.authorization.k8s.io "${name}" not found` : `role.rbac.authorization.k8s.io "${name}" not found`);
        if (allows(role, describe)) return { allowed: true, reason: '' };
      }
    }
    if (errors.length === 0) return { allowed: false, reason: '' };
    return { allowed: false, reason: `RBAC: ${errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`}` };
  }

  private bindsUser(binding: ApiObject, user: UserInfo, namespace: string | undefined): boolean {
    const subjects = Array.isArray(binding.subjects) ? (binding.subjects as unknown[]) : [];
    return subjects.some((subject) => subjectIsUser(subject, user, namespace));
  }
}

function roleRefName(binding: ApiObject): string {
  const name = (binding.roleRef as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' ? name : '';
}
