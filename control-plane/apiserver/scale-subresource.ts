/**
 * The `scale` subresource of Deployments and ReplicaSets (`.../deployments/{name}/scale`):
 * the object's replica count seen as an `autoscaling/v1` `Scale`, what `kubectl scale` and
 * autoscalers read and write. A Scale's `spec.replicas` is the object's; its status is the
 * object's observed `status.replicas` and its `spec.selector` as label selector text.
 * Writing a Scale changes only `spec.replicas`; a `metadata.resourceVersion` in it must be
 * the object's current one.
 */
import { invalidStatus } from '../api/field-errors.js';
import type { FieldError } from '../api/field-errors.js';
import type { ResourceInfo } from '../api/resources.js';
import { SelectorError, formatLabelSelector, labelSelectorFromObject } from '../api/selectors.js';
import type { LabelSelectorObject } from '../api/selectors.js';
import type { ApiObject } from '../api/types.js';
import { ApiError } from './errors.js';

export const SCALE_API_VERSION = 'autoscaling/v1';
const SCALABLE_KINDS: readonly string[] = ['Deployment', 'ReplicaSet'];

/** 404 (as for any subresource a kind lacks) unless the kind has a scale subresource. */
export function checkScalable(info: ResourceInfo): void {
  if (!SCALABLE_KINDS.includes(info.kind)) throw new ApiError('NotFound', `the server could not find the requested resource (${info.plural}/scale)`);
}

/** The object's Scale, in Kubernetes' shape (`spec.replicas` left out when 0, as its JSON omits it). */
export function scaleOf(object: ApiObject): ApiObject {
  const meta = object.metadata;
  const replicas = typeof object.spec?.replicas === 'number' ? object.spec.replicas : 0;
  const observed = (object.status as { replicas?: unknown } | undefined)?.replicas;
  const status: Record<string, unknown> = { replicas: typeof observed === 'number' ? observed : 0 };
  const selector = selectorText(object.spec?.selector);
  if (selector !== '') status.selector = selector;
  return {
    apiVersion: SCALE_API_VERSION,
    kind: 'Scale',
    metadata: {
      name: meta.name!,
      ...(meta.namespace !== undefined ? { namespace: meta.namespace } : {}),
      uid: meta.uid!,
      resourceVersion: meta.resourceVersion!,
      creationTimestamp: meta.creationTimestamp!,
    },
    spec: replicas === 0 ? {} : { replicas },
    status,
  };
}

/**
 * The replica count and resourceVersion a Scale written for object `name` asks for.
 * 400 when it is not a Scale of that object, 422 (a Scale's own message) when the count is
 * not a non-negative integer.
 */
export function readScale(name: string, body: unknown): { replicas: number; resourceVersion: string | undefined } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw ApiError.badRequest('the request body must be a JSON object');
  const scale = body as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown; resourceVersion?: unknown }; spec?: { replicas?: unknown } };
  if ((scale.kind !== undefined && scale.kind !== 'Scale') || (scale.apiVersion !== undefined && scale.apiVersion !== SCALE_API_VERSION)) {
    throw ApiError.badRequest(`the body is not an ${SCALE_API_VERSION} Scale (got ${String(scale.apiVersion)} ${String(scale.kind)})`);
  }
  if (scale.metadata?.name !== undefined && scale.metadata.name !== name) {
    throw ApiError.badRequest(`the name of the object (${String(scale.metadata.name)}) does not match the name on the URL (${name})`);
  }
  const replicas = scale.spec?.replicas ?? 0;
  const errors: FieldError[] = [];
  if (typeof replicas !== 'number' || !Number.isInteger(replicas)) errors.push({ field: 'spec.replicas', type: 'Invalid', value: replicas, detail: 'must be an integer' });
  else if (replicas < 0) errors.push({ field: 'spec.replicas', type: 'Invalid', value: replicas, detail: 'must be greater than or equal to 0' });
  if (errors.length > 0) throw ApiError.fromStatus(invalidStatus('Scale', 'autoscaling', name, errors));
  const version = scale.metadata?.resourceVersion;
  return { replicas: replicas as number, resourceVersion: typeof version === 'string' && version !== '' ? version : undefined };
}

/** `spec.selector` as text (`app=web`); '' when absent or not a selector. */
function selectorText(selector: unknown): string {
  if (typeof selector !== 'object' || selector === null) return '';
  try {
    return formatLabelSelector(labelSelectorFromObject(selector as LabelSelectorObject));
  } catch (error) {
    if (error instanceof SelectorError) return '';
    throw error;
  }
}
