/**
 * Strategic merge patch, Kubernetes' patch format for its own kinds and what `kubectl
 * apply` (client-side), `kubectl edit` and the default `kubectl patch` send. It is a JSON
 * merge patch (maps merge key by key, `null` removes) where the schema decides how lists
 * merge (`patch-strategies.ts`), plus directives:
 *
 * - `"$patch": "replace"` in a map: the map becomes the patch's map; as an element of a
 *   merged list: the list becomes the patch's other elements.
 * - `"$patch": "delete"` in an element of a merged list: the element with that merge key
 *   goes; in a map: the map becomes empty.
 * - `"$setElementOrder/<list>": [...]`: the order of a merged list's elements (by merge key,
 *   or by value for scalars), as kubectl sends along with every change to such a list.
 * - `"$deleteFromPrimitiveList/<list>": [...]`: values removed from a merged list of scalars.
 * - `"$retainKeys": [...]`: the keys of the map to keep (the others go even when the patch
 *   does not name them: a Deployment whose strategy becomes `Recreate` loses its
 *   `rollingUpdate`). kubectl sends it only for the fields Kubernetes marks `retainKeys`
 *   (a Deployment's `strategy`, a volume); it is honoured wherever it appears.
 *
 * Malformed directives are 400 Bad Request with Kubernetes' messages; a patch that names a
 * key outside its own `$retainKeys` is 422, as there.
 */
import { ApiError } from './errors.js';
import type { FieldStrategy, PatchSchema } from './patch-strategies.js';

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ELEMENT_ORDER = '$setElementOrder/';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList/';

type JsonMap = Record<string, unknown>;

function isMap(value: unknown): value is JsonMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `original` with `patch` applied under `schema` (the kind's strategies); neither is modified. */
export function applyStrategicMergePatch(original: unknown, patch: unknown, schema: PatchSchema): unknown {
  if (!isMap(patch)) throw ApiError.badRequest('a strategic merge patch must be a JSON object');
  return mergeMap(isMap(original) ? original : {}, patch, schema);
}

function mergeMap(original: JsonMap, patch: JsonMap, schema: PatchSchema | undefined): JsonMap {
  const directive = patch[DIRECTIVE];
  if (directive !== undefined) {
    if (directive === 'replace') return mergeMap({}, withoutKey(patch, DIRECTIVE), schema);
    if (directive === 'delete') return {};
    if (directive !== 'merge') throw ApiError.badRequest(`invalid patch type: ${JSON.stringify(directive)} in map: ${JSON.stringify(patch)}`);
  }
  const result: JsonMap = { ...original };
  const retained = patch[RETAIN_KEYS];
  if (retained !== undefined) {
    if (!Array.isArray(retained) || !retained.every((key) => typeof key === 'string')) {
      throw ApiError.badRequest('invalid patch format of retainKeys');
    }
    for (const key of Object.keys(patch)) {
      if (!key.startsWith('$') && !retained.includes(key)) throw new ApiError('Invalid', "patch content doesn't match retainKeys list");
    }
    for (const key of Object.keys(result)) if (!retained.includes(key)) delete result[key];
  }
  const orders = new Map<string, unknown[]>();
  for (const [key, value] of Object.entries(patch)) {
    if (key === DIRECTIVE || key === RETAIN_KEYS) continue;
    if (key.startsWith(SET_ELEMENT_ORDER)) {
      if (!Array.isArray(value)) throw ApiError.badRequest('invalid patch format of setElementOrder list');
      orders.set(key.slice(SET_ELEMENT_ORDER.length), value);
      continue;
    }
    if (key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
      const field = key.slice(DELETE_FROM_PRIMITIVE_LIST.length);
      const current = result[field];
      if (!Array.isArray(value) || (current !== undefined && !Array.isArray(current))) throw ApiError.badRequest('invalid patch format of primitive list');
      if (Array.isArray(current)) result[field] = current.filter((item) => !value.some((gone) => scalarEqual(gone, item)));
      continue;
    }
    if (value === null) {
      delete result[key];
      continue;
    }
    result[key] = mergeValue(result[key], value, schema?.[key]);
  }
  for (const [field, order] of orders) {
    const list = result[field];
    if (Array.isArray(list)) result[field] = applyElementOrder(list, order, schema?.[field]);
  }
  return result;
}

/** One field: maps merge, merged lists merge, anything else is replaced by the patch's value (cleaned of directives). */
function mergeValue(original: unknown, patch: unknown, strategy: FieldStrategy | undefined): unknown {
  if (isMap(patch)) return mergeMap(isMap(original) ? original : {}, patch, strategy?.fields);
  if (Array.isArray(patch)) {
    if (strategy?.mergeKey === undefined) return patch.map((item) => clean(item, strategy?.fields));
    return mergeList(Array.isArray(original) ? original : [], patch, strategy);
  }
  return patch;
}

/** A value the patch brings in whole: its maps merged onto nothing, so that directives and nulls do not get stored. */
function clean(value: unknown, schema: PatchSchema | undefined): unknown {
  if (isMap(value)) return mergeMap({}, value, schema);
  if (Array.isArray(value) && value.some(Array.isArray)) throw ApiError.badRequest('lists of lists are not supported');
  return value;
}

function mergeList(original: readonly unknown[], patch: readonly unknown[], strategy: FieldStrategy): unknown[] {
  const mergeKey = strategy.mergeKey!;
  if (patch.some(Array.isArray)) throw ApiError.badRequest('lists of lists are not supported');
  const replaceAll = patch.findIndex((item) => isMap(item) && item[DIRECTIVE] === 'replace' && Object.keys(item).length === 1);
  if (replaceAll >= 0) {
    return patch.filter((_, i) => i !== replaceAll).map((item) => (isMap(item) ? mergeMap({}, item, strategy.fields) : item));
  }
  if (mergeKey === '') {
    // Scalars: a union in order of first appearance.
    const result = [...original];
    for (const item of patch) {
      if (isMap(item)) throw ApiError.badRequest('invalid patch format of primitive list');
      if (!result.some((present) => scalarEqual(present, item))) result.push(item);
    }
    return result;
  }
  const result = [...original];
  for (const item of patch) {
    if (!isMap(item)) throw ApiError.badRequest(`the list of merge key ${mergeKey} holds a value that is not a map: ${JSON.stringify(item)}`);
    if (!(mergeKey in item)) throw ApiError.badRequest(`map: ${JSON.stringify(item)} does not contain declared merge key: ${mergeKey}`);
    const key = item[mergeKey];
    const index = result.findIndex((present) => isMap(present) && scalarEqual(present[mergeKey], key));
    if (item[DIRECTIVE] === 'delete') {
      // Every element of that key goes (a list may hold duplicates).
      for (let i = result.length - 1; i >= 0; i--) {
        const present = result[i];
        if (isMap(present) && scalarEqual(present[mergeKey], key)) result.splice(i, 1);
      }
      continue;
    }
    if (index >= 0) result[index] = mergeMap(result[index] as JsonMap, item, strategy.fields);
    else result.push(mergeMap({}, item, strategy.fields));
  }
  return result;
}

/**
 * Orders `list` as `order` says: the elements `order` names take, in its order, the places
 * the named elements held; the others keep their places (elements only the server knows,
 * a controller's additions, stay where they are relative to the rest).
 */
function applyElementOrder(list: readonly unknown[], order: readonly unknown[], strategy: FieldStrategy | undefined): unknown[] {
  const mergeKey = strategy?.mergeKey;
  if (mergeKey === undefined) return [...list];
  const identity = (item: unknown): unknown => (mergeKey === '' ? item : isMap(item) ? item[mergeKey] : undefined);
  const wanted = order.map((entry) => {
    if (mergeKey !== '' && !isMap(entry)) throw ApiError.badRequest('invalid patch format of setElementOrder list');
    return identity(entry);
  });
  const rank = (item: unknown): number => wanted.findIndex((key) => scalarEqual(key, identity(item)));
  const slots = list.map((item, i) => ({ item, i, rank: rank(item) }));
  const named = slots.filter((slot) => slot.rank >= 0).sort((a, b) => a.rank - b.rank || a.i - b.i);
  const result = [...list];
  let next = 0;
  for (const slot of slots) if (slot.rank >= 0) result[slot.i] = named[next++]!.item;
  return result;
}

/** Merge keys and scalar list values are compared as JSON scalars (a port 80 is not "80"). */
function scalarEqual(a: unknown, b: unknown): boolean {
  return a === b || (typeof a === 'object' && typeof b === 'object' && JSON.stringify(a) === JSON.stringify(b));
}

function withoutKey(map: JsonMap, key: string): JsonMap {
  const copy = { ...map };
  delete copy[key];
  return copy;
}
