/**
 * The rules on `metadata` every kind shares: the name and namespace an object is stored
 * under, labels and annotations, finalizers, owner references; and, on update, the fields
 * that identify an object and so may never change.
 */
import type { ResourceInfo } from '../resources.js';
import { dns1123LabelErrors, dns1123SubdomainErrors, pathSegmentNameErrors, qualifiedNameErrors } from '../names.js';
import {
  checkIntegerAtLeast,
  checkLabels,
  checkName,
  child,
  duplicate,
  forbidden,
  immutable,
  index,
  invalid,
  isAbsent,
  isRecord,
  readBoolean,
  readRecordList,
  readRequiredString,
  readString,
  readStringList,
  readStringMap,
  required,
} from './checks.js';
import type { Errors, Json } from './checks.js';

/** Kubernetes' cap on the summed size of an object's annotation keys and values. */
export const ANNOTATIONS_SIZE_BYTES_MAX = 256 * 1024;

/** Kinds whose names must be DNS labels: they become one label of a DNS name (`<svc>.<ns>.svc`). */
const LABEL_NAMED_KINDS: ReadonlySet<string> = new Set(['Namespace', 'Service']);

/** Kinds whose names are path segments (`system:node`), as Kubernetes' RBAC objects. */
const PATH_SEGMENT_NAMED_GROUPS: ReadonlySet<string> = new Set(['rbac.authorization.k8s.io']);

/** The name check of the kind: DNS-1123 label or subdomain, or a path segment for RBAC's kinds. */
export function nameCheckFor(info: ResourceInfo): (value: string) => string[] {
  if (PATH_SEGMENT_NAMED_GROUPS.has(info.group)) return pathSegmentNameErrors;
  return LABEL_NAMED_KINDS.has(info.kind) ? dns1123LabelErrors : dns1123SubdomainErrors;
}

/**
 * The metadata of an object about to be stored. The name is the final one: the registry
 * completes a `generateName` before validating, but a name left empty with a
 * `generateName` given is not reported, so validation may also run before.
 */
export function validateObjectMeta(info: ResourceInfo, metaValue: unknown, errors: Errors): void {
  if (!isRecord(metaValue)) {
    if (isAbsent(metaValue)) required(errors, 'metadata');
    else invalid(errors, 'metadata', metaValue, 'must be an object');
    return;
  }
  const meta = metaValue;
  const checkObjectName = nameCheckFor(info);

  const name = readString(errors, meta.name, 'metadata.name');
  const generateName = readString(errors, meta.generateName, 'metadata.generateName');
  if (name !== undefined && name !== '') checkName(errors, 'metadata.name', name, checkObjectName);
  else if (isAbsent(meta.name) || name === '') {
    if (generateName === undefined || generateName === '') {
      required(errors, 'metadata.name', 'name or generateName is required');
    }
  }
  if (generateName !== undefined && generateName !== '') {
    // A prefix may end in `-` (the random suffix follows); check it as if completed.
    const completed = generateName.endsWith('-') ? `${generateName.slice(0, -1)}a` : generateName;
    for (const message of checkObjectName(completed)) invalid(errors, 'metadata.generateName', generateName, message);
  }

  if (info.namespaced) {
    const namespace = readRequiredString(errors, meta.namespace, 'metadata.namespace');
    if (namespace !== undefined) checkName(errors, 'metadata.namespace', namespace, dns1123LabelErrors);
  } else if (!isAbsent(meta.namespace) && meta.namespace !== '') {
    forbidden(errors, 'metadata.namespace', 'not allowed on this type');
  }

  checkLabels(errors, meta.labels, 'metadata.labels');
  validateAnnotations(meta.annotations, 'metadata.annotations', errors);
  validateFinalizers(meta.finalizers, 'metadata.finalizers', errors);
  validateOwnerReferences(meta.ownerReferences, 'metadata.ownerReferences', errors);

  // Server-owned fields: only their types can be wrong here.
  readString(errors, meta.uid, 'metadata.uid');
  readString(errors, meta.resourceVersion, 'metadata.resourceVersion');
  readString(errors, meta.creationTimestamp, 'metadata.creationTimestamp');
  readString(errors, meta.deletionTimestamp, 'metadata.deletionTimestamp');
  checkIntegerAtLeast(errors, meta.generation, 'metadata.generation', 0);
  checkIntegerAtLeast(errors, meta.deletionGracePeriodSeconds, 'metadata.deletionGracePeriodSeconds', 0);
}

/**
 * The fields that identify an object and may not change on update. `uid` and
 * `creationTimestamp` are server-owned: the registry carries them over from the stored
 * object, so they are only compared when the update states them.
 */
export function validateObjectMetaUpdate(metaValue: unknown, oldMetaValue: unknown, errors: Errors): void {
  if (!isRecord(metaValue) || !isRecord(oldMetaValue)) return;
  const meta = metaValue;
  const old = oldMetaValue;
  if ((meta.name ?? '') !== (old.name ?? '')) immutable(errors, 'metadata.name', meta.name);
  if ((meta.namespace ?? '') !== (old.namespace ?? '')) immutable(errors, 'metadata.namespace', meta.namespace);
  for (const field of ['uid', 'creationTimestamp']) {
    if (!isAbsent(meta[field]) && meta[field] !== '' && meta[field] !== old[field]) {
      immutable(errors, `metadata.${field}`, meta[field]);
    }
  }
  // Deletion waits for the finalizers present when it was asked; a new one could hold the object forever.
  if (typeof old.deletionTimestamp === 'string' && old.deletionTimestamp !== '') {
    const before = new Set(Array.isArray(old.finalizers) ? old.finalizers : []);
    const added = (Array.isArray(meta.finalizers) ? meta.finalizers : []).filter((name) => !before.has(name));
    if (added.length > 0) {
      forbidden(
        errors,
        'metadata.finalizers',
        `no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`,
      );
    }
  }
}

/**
 * The metadata of a pod template: only labels and annotations mean anything there (the
 * pods get their names and namespace from the controller that creates them).
 */
export function validateTemplateMeta(metaValue: unknown, path: string, errors: Errors): Json | undefined {
  if (isAbsent(metaValue)) return undefined;
  if (!isRecord(metaValue)) {
    invalid(errors, path, metaValue, 'must be an object');
    return undefined;
  }
  checkLabels(errors, metaValue.labels, child(path, 'labels'));
  validateAnnotations(metaValue.annotations, child(path, 'annotations'), errors);
  return metaValue;
}

/** Keys like label keys (compared in lower case, as Kubernetes does), sizes summed against the cap. */
function validateAnnotations(value: unknown, path: string, errors: Errors): void {
  const annotations = readStringMap(errors, value, path);
  if (annotations === undefined) return;
  let sizeBytes = 0;
  for (const [name, text] of Object.entries(annotations)) {
    for (const message of qualifiedNameErrors(name.toLowerCase())) invalid(errors, path, name, message);
    sizeBytes += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(text, 'utf8');
  }
  if (sizeBytes > ANNOTATIONS_SIZE_BYTES_MAX) {
    errors.push({ field: path, type: 'TooLong', detail: `may not be more than ${ANNOTATIONS_SIZE_BYTES_MAX} bytes` });
  }
}

/** Qualified names, each at most once. */
export function validateFinalizers(value: unknown, path: string, errors: Errors): void {
  const seen = new Set<string>();
  const list = readStringList(errors, value, path);
  list.forEach((name, i) => {
    checkName(errors, path, name, qualifiedNameErrors);
    if (seen.has(name)) duplicate(errors, index(path, i), name);
    seen.add(name);
  });
}

/** Each reference names its owner completely; at most one owner is the controller. */
function validateOwnerReferences(value: unknown, path: string, errors: Errors): void {
  const controllers: string[] = [];
  for (const { item: reference, path: referencePath } of readRecordList(errors, value, path)) {
    for (const field of ['apiVersion', 'kind', 'name', 'uid']) {
      readRequiredString(errors, reference[field], child(referencePath, field));
    }
    readBoolean(errors, reference.blockOwnerDeletion, child(referencePath, 'blockOwnerDeletion'));
    if (readBoolean(errors, reference.controller, child(referencePath, 'controller')) === true) {
      controllers.push(`${String(reference.kind)}/${String(reference.name)}`);
    }
  }
  if (controllers.length > 1) {
    errors.push({
      field: path,
      type: 'Invalid',
      detail: `Only one reference can have Controller set to true. Found "true" in references for ${controllers.join(' and ')}`,
    });
  }
}
