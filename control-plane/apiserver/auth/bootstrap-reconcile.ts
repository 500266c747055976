/**
 * The default roles and bindings kept up to date at every start, as kube-apiserver's RBAC
 * bootstrap does: a missing one is created; an existing one annotated
 * `rbac.authorization.kubernetes.io/autoupdate: "true"` (or not annotated) gets what a newer
 * Balsa's policy adds — a ClusterRole the rules it lacks (its own extra rules stay), a
 * ClusterRoleBinding the subjects it lacks (one bound to another role, which cannot change,
 * is made again as the policy has it), and the policy's labels and annotations. One
 * annotated `"false"` is the administrator's: left as it is.
 */
import { asRecords, asStrings } from '../../api/object-fields.js';
import type { JsonRecord } from '../../api/object-fields.js';
import { resourceByName } from '../../api/resources.js';
import type { ApiObject } from '../../api/types.js';
import { ApiError } from '../errors.js';
import type { Registry } from '../registry.js';

export const AUTOUPDATE_ANNOTATION = 'rbac.authorization.kubernetes.io/autoupdate';

const CLUSTER_ROLES = resourceByName('clusterroles')!;
const CLUSTER_ROLE_BINDINGS = resourceByName('clusterrolebindings')!;
/** Writes that lost a race with another API server's are made again this many times. */
const RECONCILE_ATTEMPTS = 5;

/** Whether `rules` allow everything `wanted` allows (each of its verb × group × resource × name, or verb × URL). */
export function rulesCover(rules: readonly JsonRecord[], wanted: JsonRecord): boolean {
  const covers = (have: readonly string[], want: string): boolean => have.includes('*') || have.includes(want);
  const resourceCovers = (have: readonly string[], want: string): boolean => {
    if (have.includes('*') || have.includes(want)) return true;
    const slash = want.indexOf('/');
    return slash >= 0 && have.includes(`*/${want.slice(slash + 1)}`);
  };
  const verbs = asStrings(wanted.verbs);
  const urls = asStrings(wanted.nonResourceURLs);
  if (urls.length > 0) {
    return verbs.every((verb) => urls.every((url) => rules.some((rule) => covers(asStrings(rule.verbs), verb) && covers(asStrings(rule.nonResourceURLs), url))));
  }
  const names = asStrings(wanted.resourceNames);
  return verbs.every((verb) =>
    asStrings(wanted.apiGroups).every((group) =>
      asStrings(wanted.resources).every((resource) =>
        rules.some((rule) => {
          if (!covers(asStrings(rule.verbs), verb) || !covers(asStrings(rule.apiGroups), group) || !resourceCovers(asStrings(rule.resources), resource)) return false;
          const ruleNames = asStrings(rule.resourceNames);
          return ruleNames.length === 0 || (names.length > 0 && names.every((name) => ruleNames.includes(name)));
        }),
      ),
    ),
  );
}

/** `existing`'s metadata with the policy's labels and annotations added (its own kept); null when nothing is missing. */
function mergedMetadata(existing: ApiObject, wanted: ApiObject): ApiObject['metadata'] | null {
  const labels = { ...(existing.metadata.labels ?? {}) };
  const annotations = { ...(existing.metadata.annotations ?? {}) };
  let changed = false;
  for (const [key, value] of Object.entries(wanted.metadata.labels ?? {})) {
    if (labels[key] === undefined) {
      labels[key] = value;
      changed = true;
    }
  }
  for (const [key, value] of Object.entries(wanted.metadata.annotations ?? {})) {
    if (annotations[key] === undefined) {
      annotations[key] = value;
      changed = true;
    }
  }
  return changed ? { ...existing.metadata, labels, annotations } : null;
}

/** What `existing` should become to carry `wanted`'s rules or subjects; null when it already does. */
function reconciled(existing: ApiObject, wanted: ApiObject): ApiObject | null {
  const metadata = mergedMetadata(existing, wanted);
  let next: ApiObject = metadata === null ? existing : { ...existing, metadata };
  if (wanted.kind === 'ClusterRole') {
    const rules = asRecords(existing.rules);
    const missing = asRecords(wanted.rules).filter((rule) => !rulesCover(rules, rule));
    if (missing.length > 0) next = { ...next, rules: [...rules, ...missing] };
  } else {
    const subjects = asRecords(existing.subjects);
    const same = (a: JsonRecord, b: JsonRecord): boolean => a.kind === b.kind && a.name === b.name && (a.namespace ?? '') === (b.namespace ?? '');
    const missing = asRecords(wanted.subjects).filter((subject) => !subjects.some((have) => same(have, subject)));
    if (missing.length > 0) next = { ...next, subjects: [...subjects, ...missing] };
  }
  return next === existing ? null : next;
}

function sameRoleRef(a: ApiObject, b: ApiObject): boolean {
  const left = (a.roleRef ?? {}) as JsonRecord;
  const right = (b.roleRef ?? {}) as JsonRecord;
  return left.kind === right.kind && left.name === right.name && (left.apiGroup ?? '') === (right.apiGroup ?? '');
}

/**
 * Makes `wanted` (a policy ClusterRole or ClusterRoleBinding) hold in the registry; says
 * what it did: `created`, `updated`, `kept` (nothing missing, or autoupdate off).
 */
export async function reconcileBootstrapObject(registry: Registry, wanted: ApiObject): Promise<'created' | 'updated' | 'kept'> {
  const info = wanted.kind === 'ClusterRole' ? CLUSTER_ROLES : CLUSTER_ROLE_BINDINGS;
  const name = wanted.metadata.name!;
  for (let attempt = 0; attempt < RECONCILE_ATTEMPTS; attempt++) {
    let existing: ApiObject;
    try {
      existing = await registry.get(info, undefined, name);
    } catch (error) {
      if (!(error instanceof ApiError && error.reason === 'NotFound')) throw error;
      try {
        await registry.create(info, undefined, wanted);
        return 'created';
      } catch (createError) {
        if (createError instanceof ApiError && createError.reason === 'AlreadyExists') continue;
        throw createError;
      }
    }
    if (existing.metadata.annotations?.[AUTOUPDATE_ANNOTATION] === 'false') return 'kept';
    try {
      if (wanted.kind === 'ClusterRoleBinding' && !sameRoleRef(existing, wanted)) {
        // A binding's role cannot change: it is made again as the policy has it (as Kubernetes does).
        await registry.delete(info, undefined, name, { preconditions: { resourceVersion: existing.metadata.resourceVersion! } });
        await registry.create(info, undefined, wanted);
        return 'updated';
      }
      const next = reconciled(existing, wanted);
      if (next === null) return 'kept';
      await registry.update(info, undefined, name, next);
      return 'updated';
    } catch (error) {
      // Another API server changed it meanwhile: look again.
      if (error instanceof ApiError && (error.reason === 'Conflict' || error.reason === 'NotFound' || error.reason === 'AlreadyExists')) continue;
      throw error;
    }
  }
  throw ApiError.conflict(info, name, 'the default RBAC object kept changing while it was being brought up to date');
}
