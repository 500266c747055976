/**
 * The patch formats the API server accepts, by the media type a PATCH request names, and
 * how each applies to an object. Any other media type is 415 with Kubernetes' message
 * listing the accepted ones (server-side apply, `application/apply-patch+yaml`, is not
 * served).
 */
import { ApiError } from './errors.js';
import { applyJsonPatch, checkJsonPatchShape } from './json-patch.js';
import { applyMergePatch } from './merge-patch.js';
import type { PatchSchema } from './patch-strategies.js';
import { applyStrategicMergePatch } from './strategic-merge-patch.js';

export type PatchType = 'json' | 'merge' | 'strategic';

const MEDIA_TYPES: Readonly<Record<string, PatchType>> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
};

/** The patch type of a request's `Content-Type` (parameters ignored); 415 for any other. */
export function patchTypeOf(contentType: string | undefined): PatchType {
  const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const type = MEDIA_TYPES[mediaType];
  if (type === undefined) {
    throw new ApiError('UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${Object.keys(MEDIA_TYPES).join(', ')}`);
  }
  return type;
}

/** `current` with `patch` applied (a new value; `current` is not modified). `schema`: the kind's strategic merge strategies. */
export function applyPatch(current: unknown, patch: unknown, type: PatchType, schema: PatchSchema): unknown {
  switch (type) {
    case 'json':
      return applyJsonPatch(current, patch);
    case 'merge':
      return applyMergePatch(current, patch);
    case 'strategic':
      return applyStrategicMergePatch(current, patch, schema);
    default: {
      const unknown: never = type;
      throw new Error(`unknown patch type ${String(unknown)}`);
    }
  }
}

/**
 * Checks the patch's shape before anything is read (400 Bad Request when it is not a list
 * of operations, or not an object) and answers the resourceVersion a merge or strategic
 * patch names in its metadata (it must be the current one), if any.
 */
export function checkPatch(patch: unknown, type: PatchType): string | undefined {
  if (type === 'json') {
    checkJsonPatchShape(patch);
    return undefined;
  }
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) throw ApiError.badRequest(`a ${type === 'merge' ? 'merge' : 'strategic merge'} patch must be a JSON object`);
  const version = (patch as { metadata?: { resourceVersion?: unknown } }).metadata?.resourceVersion;
  return typeof version === 'string' ? version : undefined;
}
