/**
 * Comparing and copying JSON values as JSON. Equality looks at values only, never at
 * prototypes (objects from `structuredClone` and from `JSON.parse` may come from different
 * realms, as under Jest), ignores key order, and counts a key holding `undefined` as absent,
 * as it is once stored. The registry decides with it whether a change changes anything
 * (no write, same resourceVersion) and whether a spec changed (generation); validation,
 * whether an immutable field was changed.
 */

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((entry, i) => jsonEqual(entry, b[i]));
  }
  if (!isRecord(a) || !isRecord(b)) return false;
  const keysA = Object.keys(a).filter((name) => a[name] !== undefined);
  const keysB = Object.keys(b).filter((name) => b[name] !== undefined);
  if (keysA.length !== keysB.length) return false;
  return keysA.every((name) => Object.hasOwn(b, name) && jsonEqual(a[name], b[name]));
}

/** A deep copy of a JSON value. */
export function jsonClone<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}
