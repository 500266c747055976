/**
 * JSON Patch (RFC 6902): a list of operations (`add`, `remove`, `replace`, `move`, `copy`,
 * `test`) on JSON Pointers (RFC 6901), applied in order, all or nothing. What `kubectl
 * patch --type json` sends.
 *
 * Errors, as Kubernetes answers them: a body that is not a list of operation objects is
 * 400 Bad Request (its decoder's message); an operation that cannot apply (a path that is
 * not there, a failed `test`, an unknown `op`) is 422 with Kubernetes' fixed message "the
 * server rejected our request due to an error in our request" (our cause says which
 * operation and why); more than `JSON_PATCH_MAX_OPERATIONS` operations is 413.
 */
import { jsonEqual } from '../api/json-values.js';
import { ApiError } from './errors.js';

/** Kubernetes' limit on the operations of one JSON patch. */
export const JSON_PATCH_MAX_OPERATIONS = 10_000;

/** Kubernetes' message for a JSON patch that does not apply. */
export const JSON_PATCH_FAILED_MESSAGE = 'the server rejected our request due to an error in our request';

type JsonMap = Record<string, unknown>;
type Container = JsonMap | unknown[];

function isMap(value: unknown): value is JsonMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Thrown inside: one operation that cannot apply, reported as the 422. */
class OperationFailed extends Error {}

/** 400 unless `patch` is a list of operation objects (413 past the limit). */
export function checkJsonPatchShape(patch: unknown): asserts patch is JsonMap[] {
  if (!Array.isArray(patch)) throw ApiError.badRequest(`json: cannot unmarshal ${goJsonKind(patch)} into Go value of type jsonpatch.Patch`);
  if (patch.length > JSON_PATCH_MAX_OPERATIONS) {
    throw new ApiError('RequestEntityTooLarge', `The allowed maximum operations in a JSON patch is ${JSON_PATCH_MAX_OPERATIONS}, got ${patch.length}`);
  }
  for (const operation of patch) {
    if (!isMap(operation)) throw ApiError.badRequest(`json: cannot unmarshal ${goJsonKind(operation)} into Go value of type jsonpatch.Operation`);
  }
}

/** `document` with `patch` applied; `document` is not modified. */
export function applyJsonPatch(document: unknown, patch: unknown): unknown {
  checkJsonPatchShape(patch);
  let result: unknown = structuredClone(document);
  patch.forEach((operation, index) => {
    try {
      result = applyOperation(result, operation);
    } catch (error) {
      if (!(error instanceof OperationFailed)) throw error;
      throw new ApiError('Invalid', JSON_PATCH_FAILED_MESSAGE, {
        causes: [{ reason: 'FieldValueInvalid', message: `operation ${index} (${JSON.stringify(operation.op)} ${JSON.stringify(operation.path)}): ${error.message}`, field: '' }],
      });
    }
  });
  return result;
}

function applyOperation(document: unknown, operation: JsonMap): unknown {
  const path = pointer(operation.path, 'path');
  switch (operation.op) {
    case 'add':
      return add(document, path, valueOf(operation));
    case 'remove':
      return remove(document, path).document;
    case 'replace': {
      const value = valueOf(operation);
      if (path.length === 0) return value;
      const { parent, key } = locate(document, path);
      if (!has(parent, key)) throw new OperationFailed(`replace of a missing value at ${String(operation.path)}`);
      set(parent, key, value);
      return document;
    }
    case 'move': {
      const from = pointer(operation.from, 'from');
      if (from.length < path.length && from.every((token, i) => token === path[i])) throw new OperationFailed('a value cannot be moved into one of its own children');
      const removed = remove(document, from);
      return add(removed.document, path, removed.value);
    }
    case 'copy': {
      const from = pointer(operation.from, 'from');
      return add(document, path, structuredClone(read(document, from)));
    }
    case 'test':
      if (!jsonEqual(read(document, path), valueOf(operation))) throw new OperationFailed(`test failed: the value at ${String(operation.path)} is not the one given`);
      return document;
    default:
      throw new OperationFailed(`unexpected kind: ${JSON.stringify(operation.op)}`);
  }
}

function valueOf(operation: JsonMap): unknown {
  if (!('value' in operation)) throw new OperationFailed('the operation has no value');
  return structuredClone(operation.value);
}

/** RFC 6901: `''` is the whole document; else `/`-separated tokens with `~1` for `/` and `~0` for `~`. */
function pointer(text: unknown, member: string): string[] {
  if (typeof text !== 'string') throw new OperationFailed(`the operation has no ${member}`);
  if (text === '') return [];
  if (!text.startsWith('/')) throw new OperationFailed(`${member} ${JSON.stringify(text)} is not a JSON pointer (it must start with "/")`);
  return text
    .slice(1)
    .split('/')
    .map((token) => {
      if (/~[^01]|~$/.test(token)) throw new OperationFailed(`${member} ${JSON.stringify(text)} has a bad escape (only ~0 and ~1)`);
      return token.replace(/~1/g, '/').replace(/~0/g, '~');
    });
}

/** The container of the pointer's last token (which must exist) and that token. */
function locate(document: unknown, path: readonly string[]): { parent: Container; key: string } {
  const parent = read(document, path.slice(0, -1));
  if (!isMap(parent) && !Array.isArray(parent)) throw new OperationFailed(`/${path.slice(0, -1).join('/')} is not an object or an array`);
  return { parent, key: path.at(-1)! };
}

function read(document: unknown, path: readonly string[]): unknown {
  let current = document;
  for (const token of path) {
    if (Array.isArray(current)) {
      const index = arrayIndex(token, current.length - 1);
      current = current[index];
    } else if (isMap(current) && Object.hasOwn(current, token)) {
      current = current[token];
    } else {
      throw new OperationFailed(`the document has no value at ${JSON.stringify(token)}`);
    }
  }
  return current;
}

/** A decimal index without leading zeros, at most `max`. */
function arrayIndex(token: string, max: number): number {
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new OperationFailed(`${JSON.stringify(token)} is not an array index`);
  const index = Number(token);
  if (index > max) throw new OperationFailed(`index ${index} is out of the array's bounds`);
  return index;
}

function has(parent: Container, key: string): boolean {
  if (Array.isArray(parent)) {
    arrayIndex(key, parent.length - 1);
    return true;
  }
  return Object.hasOwn(parent, key);
}

function set(parent: Container, key: string, value: unknown): void {
  if (Array.isArray(parent)) parent[arrayIndex(key, parent.length - 1)] = value;
  else parent[key] = value;
}

function add(document: unknown, path: readonly string[], value: unknown): unknown {
  if (path.length === 0) return value;
  const { parent, key } = locate(document, path);
  if (Array.isArray(parent)) {
    // `-` appends; an index inserts before the element there (or appends at the length).
    parent.splice(key === '-' ? parent.length : arrayIndex(key, parent.length), 0, value);
  } else {
    parent[key] = value;
  }
  return document;
}

function remove(document: unknown, path: readonly string[]): { document: unknown; value: unknown } {
  if (path.length === 0) throw new OperationFailed('the whole document cannot be removed');
  const { parent, key } = locate(document, path);
  if (Array.isArray(parent)) {
    const [value] = parent.splice(arrayIndex(key, parent.length - 1), 1);
    return { document, value };
  }
  if (!Object.hasOwn(parent, key)) throw new OperationFailed(`remove of a missing value at /${path.join('/')}`);
  const value = parent[key];
  delete parent[key];
  return { document, value };
}

/** How Go's JSON decoder names a value it could not put in a list or struct. */
function goJsonKind(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'object';
  return typeof value;
}
