/**
 * What `balsa apply` writes over an object that exists: a three-way merge, as kubectl's,
 * of the live object, the manifest, and the manifest applied last time (kept in the
 * object's `kubectl.kubernetes.io/last-applied-configuration` annotation, so that kubectl
 * and balsa read each other's):
 *
 * - a field the last manifest had and this one does not is removed (the user dropped it);
 * - a field neither manifest mentions is kept (the API server or a controller filled it in:
 *   a Service's `clusterIP`, a container's defaulted `imagePullPolicy`, a controller's
 *   annotation, a label added with `balsa label`);
 * - the manifest's fields are laid over the live ones: objects key by key, arrays of
 *   objects element by element when both have as many elements, anything else replaced;
 *   a `null` removes the field (as in a JSON merge patch);
 * - `status` and the server's metadata (`uid`, `resourceVersion`, …) stay the live ones.
 *
 * An object that was never applied (created by `POST`, say) has no last manifest: nothing is
 * removed the first time.
 */
import { jsonEqual } from '../api/json-values.js';
import type { ApiObject } from '../api/types.js';

export { jsonEqual };

/** kubectl's annotation for the manifest applied last; balsa keeps the same record. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

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

/** `manifest` with its own JSON (without this record) as the last-applied record: what apply creates or writes. */
export function withLastApplied(manifest: ApiObject): ApiObject {
  const record = structuredClone(manifest);
  if (record.metadata.annotations !== undefined) {
    delete record.metadata.annotations[LAST_APPLIED_ANNOTATION];
    if (Object.keys(record.metadata.annotations).length === 0) delete record.metadata.annotations;
  }
  const result = structuredClone(record);
  result.metadata.annotations = { ...(result.metadata.annotations ?? {}), [LAST_APPLIED_ANNOTATION]: `${JSON.stringify(record)}\n` };
  return result;
}

/** The manifest applied last, from its record on `live`; undefined when there is none (or it does not parse). */
export function lastApplied(live: ApiObject): ApiObject | undefined {
  const text = live.metadata.annotations?.[LAST_APPLIED_ANNOTATION];
  if (text === undefined) return undefined;
  try {
    const parsed = JSON.parse(text) as unknown;
    return isPlainObject(parsed) && isPlainObject(parsed.metadata) ? (parsed as ApiObject) : undefined;
  } catch {
    return undefined;
  }
}

/** Removes from `target` what `last` had and `manifest` does not, recursively through objects both still have. */
function removeDropped(target: Record<string, Json>, last: Record<string, Json>, manifest: Record<string, Json>): void {
  for (const [key, before] of Object.entries(last)) {
    if (!(key in manifest) || manifest[key] === undefined) {
      delete target[key];
      continue;
    }
    const now = manifest[key];
    const current = target[key];
    if (isPlainObject(before) && isPlainObject(now) && isPlainObject(current)) removeDropped(current, before, now);
  }
}

/** The object to PUT so that `live` matches `manifest` (see the file comment). */
export function appliedObject(live: ApiObject, applied: ApiObject): ApiObject {
  const manifest = withLastApplied(applied);
  const last = lastApplied(live);
  const result = structuredClone(live);
  result.apiVersion = manifest.apiVersion;
  if (last !== undefined) {
    const { metadata: lastMetadata, ...lastRest } = last;
    const { metadata: manifestMetadata, ...manifestRest } = manifest;
    removeDropped(result as Record<string, Json>, lastRest as Record<string, Json>, manifestRest as Record<string, Json>);
    for (const field of ['labels', 'annotations'] as const) {
      const target = result.metadata[field];
      if (target !== undefined) removeDropped(target, lastMetadata[field] ?? {}, manifestMetadata[field] ?? {});
    }
  }
  for (const field of ['labels', 'annotations'] as const) {
    const merged = mergeValue(result.metadata[field] ?? {}, manifest.metadata[field] ?? {}) as Record<string, string> | undefined;
    if (merged === undefined || Object.keys(merged).length === 0) delete result.metadata[field];
    else result.metadata[field] = merged;
  }
  for (const [key, value] of Object.entries(manifest)) {
    if (key === 'apiVersion' || key === 'kind' || key === 'metadata' || key === 'status') continue;
    const next = mergeValue(result[key], value);
    if (next === undefined) delete result[key];
    else result[key] = next;
  }
  return result;
}
