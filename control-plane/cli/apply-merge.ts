/**
 * What `balsa apply` writes over an object that exists: the live object with the manifest laid
 * over it.
 *
 * kubectl decides what to remove from its record of the last applied manifest; balsa keeps
 * no such record, so it cannot tell a field the user dropped from one the API server or a
 * controller filled in (a Service's `clusterIP`, a container's defaulted `imagePullPolicy`,
 * a controller's annotation). It therefore keeps what the manifest does not mention:
 *
 * - `metadata.labels` are the manifest's exactly (labels are the user's: selectors depend on them);
 * - `metadata.annotations` and everything outside `metadata` and `status` are merged:
 *   objects key by key, arrays of objects element by element when both have as many
 *   elements, anything else replaced by the manifest's value; a `null` in the manifest
 *   removes the field (as in a JSON merge patch);
 * - `status` and the server's metadata (`uid`, `resourceVersion`, …) stay the live ones.
 *
 * The price: deleting a field from a manifest does not delete it from the object; write it
 * as `null` to do that.
 */
import type { ApiObject } from '../api/types.js';

type Json = unknown;

function isPlainObject(value: Json): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `manifest` laid over `live` by the rules above; `undefined` means "remove the field". */
export function mergeValue(live: Json, manifest: Json): Json {
  if (manifest === null) return undefined;
  if (isPlainObject(live) && isPlainObject(manifest)) {
    const merged: Record<string, Json> = { ...live };
    for (const [key, value] of Object.entries(manifest)) {
      const next = mergeValue(live[key], value);
      if (next === undefined) delete merged[key];
      else merged[key] = next;
    }
    return merged;
  }
  if (Array.isArray(live) && Array.isArray(manifest) && live.length === manifest.length && manifest.every(isPlainObject)) {
    return manifest.map((item, index) => mergeValue(live[index], item) ?? null);
  }
  return structuredClone(manifest);
}

/** The object to PUT so that `live` matches `manifest` (see the file comment). */
export function appliedObject(live: ApiObject, manifest: ApiObject): ApiObject {
  const result = structuredClone(live);
  result.apiVersion = manifest.apiVersion;
  const labels = manifest.metadata.labels;
  if (labels === undefined || labels === null || Object.keys(labels).length === 0) delete result.metadata.labels;
  else result.metadata.labels = { ...labels };
  if (manifest.metadata.annotations !== undefined) {
    const annotations = mergeValue(live.metadata.annotations ?? {}, manifest.metadata.annotations) as Record<string, string> | undefined;
    if (annotations === undefined || Object.keys(annotations).length === 0) delete result.metadata.annotations;
    else result.metadata.annotations = annotations;
  }
  for (const [key, value] of Object.entries(manifest)) {
    if (key === 'apiVersion' || key === 'kind' || key === 'metadata' || key === 'status') continue;
    const next = mergeValue(live[key], value);
    if (next === undefined) delete result[key];
    else result[key] = next;
  }
  return result;
}

/** Deep equality of JSON values, key order ignored. */
export function jsonEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, index) => jsonEqual(item, b[index]));
  }
  if (!isPlainObject(a) || !isPlainObject(b)) return false;
  const keysA = Object.keys(a).filter((key) => a[key] !== undefined);
  const keysB = Object.keys(b).filter((key) => b[key] !== undefined);
  if (keysA.length !== keysB.length) return false;
  return keysA.every((key) => Object.prototype.hasOwnProperty.call(b, key) && jsonEqual(a[key], b[key]));
}
