/**
 * Validation of the objects the API server stores: the rules every kind shares (metadata)
 * and each kind's own, with Kubernetes' field paths and wording. The API server applies
 * defaults first (`defaults.ts`), then validates, and answers `422 Invalid` with every
 * error found when the list is not empty.
 *
 * Validation is pure and total: any JSON value yields a list of errors, never an
 * exception, so a malformed request cannot crash the server. Fields no rule knows are
 * ignored. Whether `apiVersion`/`kind` match the URL is the server's check, not this one's.
 *
 * The per-kind rules live in `validation/`, one file per kind or family of kinds.
 */
import type { FieldError } from './field-errors.js';
import type { ResourceInfo } from './resources.js';
import type { ApiObject } from './types.js';
import { isRecord } from './validation/checks.js';
import type { Errors, Json } from './validation/checks.js';
import { validateConfigDataUpdate, validateConfigMap, validateSecret } from './validation/config-data.js';
import { validateEvent } from './validation/event.js';
import { validateLeaseSpec } from './validation/lease.js';
import { validateObjectMeta, validateObjectMetaUpdate } from './validation/metadata.js';
import { validateNamespaceSpec, validateNamespaceStatus } from './validation/namespace.js';
import { validateNodeSpec, validateNodeStatus } from './validation/node.js';
import { validatePodSpec, validatePodSpecUpdate, validatePodStatus } from './validation/pod.js';
import { validateRoleBinding, validateRoleBindingUpdate, validateRoleRules } from './validation/rbac.js';
import {
  validateEndpoints,
  validateServiceSpec,
  validateServiceSpecUpdate,
  validateServiceStatus,
} from './validation/service.js';
import {
  validateDeploymentSpec,
  validateReplicaSetSpec,
  validateSelectorUpdate,
  validateWorkloadStatus,
} from './validation/workloads.js';

/**
 * The errors of an object about to be created: metadata, the kind's content, and the
 * status shape (some objects, Nodes for one, are created with their status).
 */
export function validateCreate(info: ResourceInfo, obj: ApiObject): FieldError[] {
  const errors: Errors = [];
  if (!isRecord(obj)) {
    errors.push({ field: '', type: 'Invalid', value: obj, detail: 'must be an object' });
    return errors;
  }
  validateObjectMeta(info, obj.metadata, errors);
  validateContent(info, obj, errors);
  validateStatus(info, obj, errors);
  return errors;
}

/**
 * The errors of an update (a full replacement of the stored `old`): everything
 * `validateCreate` checks, and what may not change: the object's identity (name,
 * namespace, uid, creation time), a pod's spec beyond its images, deadline, added
 * tolerations and binding, a Service's allocated cluster IP, a ReplicaSet's or
 * Deployment's selector, the content of a ConfigMap or Secret marked immutable.
 */
export function validateUpdate(info: ResourceInfo, obj: ApiObject, old: ApiObject): FieldError[] {
  const errors = validateCreate(info, obj);
  if (!isRecord(obj) || !isRecord(old)) return errors;
  validateObjectMetaUpdate(obj.metadata, old.metadata, errors);
  switch (info.kind) {
    case 'Pod':
      validatePodSpecUpdate(obj.spec, old.spec, errors);
      break;
    case 'Service':
      validateServiceSpecUpdate(obj.spec, old.spec, errors);
      break;
    case 'ReplicaSet':
    case 'Deployment':
      validateSelectorUpdate(obj.spec, old.spec, errors);
      break;
    case 'ConfigMap':
    case 'Secret':
      validateConfigDataUpdate(info.kind, obj, old, errors);
      break;
    case 'RoleBinding':
    case 'ClusterRoleBinding':
      validateRoleBindingUpdate(obj, old, errors);
      break;
    default:
      break;
  }
  return errors;
}

/**
 * The errors of a write through `/status`: the metadata rules (identity included) and the
 * status shape. The server keeps the stored spec, so the spec is not looked at.
 */
export function validateStatusUpdate(info: ResourceInfo, obj: ApiObject, old: ApiObject): FieldError[] {
  const errors: Errors = [];
  if (!isRecord(obj)) {
    errors.push({ field: '', type: 'Invalid', value: obj, detail: 'must be an object' });
    return errors;
  }
  validateObjectMeta(info, obj.metadata, errors);
  if (isRecord(old)) validateObjectMetaUpdate(obj.metadata, old.metadata, errors);
  validateStatus(info, obj, errors);
  return errors;
}

/** The kind's spec, or its top-level content for kinds without a spec. */
function validateContent(info: ResourceInfo, obj: Json, errors: Errors): void {
  switch (info.kind) {
    case 'Pod':
      validatePodSpec(obj.spec, 'spec', errors);
      break;
    case 'ReplicaSet':
      validateReplicaSetSpec(obj.spec, errors);
      break;
    case 'Deployment':
      validateDeploymentSpec(obj.spec, errors);
      break;
    case 'Service':
      validateServiceSpec(obj.spec, errors);
      break;
    case 'Endpoints':
      validateEndpoints(obj, errors);
      break;
    case 'ConfigMap':
      validateConfigMap(obj, errors);
      break;
    case 'Secret':
      validateSecret(obj, errors);
      break;
    case 'Node':
      validateNodeSpec(obj.spec, errors);
      break;
    case 'Namespace':
      validateNamespaceSpec(obj.spec, errors);
      break;
    case 'Lease':
      validateLeaseSpec(obj.spec, errors);
      break;
    case 'Event':
      validateEvent(obj, errors);
      break;
    case 'Role':
    case 'ClusterRole':
      validateRoleRules(obj, info.namespaced, errors);
      break;
    case 'RoleBinding':
    case 'ClusterRoleBinding':
      validateRoleBinding(obj, info.namespaced, errors);
      break;
    default:
      break;
  }
}

function validateStatus(info: ResourceInfo, obj: Json, errors: Errors): void {
  switch (info.kind) {
    case 'Pod':
      validatePodStatus(obj.status, errors);
      break;
    case 'ReplicaSet':
    case 'Deployment':
      validateWorkloadStatus(obj.status, info.kind, errors);
      break;
    case 'Service':
      validateServiceStatus(obj.status, errors);
      break;
    case 'Node':
      validateNodeStatus(obj.status, errors);
      break;
    case 'Namespace':
      validateNamespaceStatus(obj.status, errors);
      break;
    default:
      break;
  }
}
