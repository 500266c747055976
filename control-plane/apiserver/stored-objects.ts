/**
 * Objects as the KV stores them: their JSON without `metadata.resourceVersion` (that is the
 * key's mod revision, set back when read).
 */
import type { KeyValue } from '../../kv/client/etcd-client.js';
import type { ApiObject } from '../api/types.js';

/**
 * The value stored for `object`: `apiVersion`, `kind` and `metadata` first, in that order,
 * so that `storedJsonWithVersion` can put the resourceVersion back without parsing.
 */
export function encodeObject(object: ApiObject): Buffer {
  const { apiVersion, kind, metadata, ...rest } = object;
  const stored = { apiVersion, kind, metadata: { ...metadata }, ...rest };
  delete stored.metadata.resourceVersion;
  return Buffer.from(JSON.stringify(stored));
}

/**
 * What `encodeObject` starts with: two JSON strings (any escapes) and the opening of
 * `metadata`. Matching it proves the brace is the top-level metadata's, not text inside a
 * string.
 */
const STORED_PREFIX = /^\{"apiVersion":"(?:[^"\\]|\\.)*","kind":"(?:[^"\\]|\\.)*","metadata":\{/;

/**
 * The JSON of a stored value with `metadata.resourceVersion` set to `revision`, as
 * `JSON.stringify(withVersion(decode(value), revision))` would give it up to key order —
 * without parsing the object (the watch path sends each change to every watcher this way).
 * A value not in `encodeObject`'s shape (written by something else) takes the long way.
 */
export function storedJsonWithVersion(value: Buffer, revision: number): string {
  const text = value.toString('utf8');
  const match = STORED_PREFIX.exec(text);
  if (match === null) {
    const object = JSON.parse(text) as ApiObject;
    return JSON.stringify(withVersion(object, revision));
  }
  const at = match[0].length;
  const separator = text.charCodeAt(at) === 0x7d /* } */ ? '' : ',';
  return `${text.slice(0, at)}"resourceVersion":"${revision}"${separator}${text.slice(at)}`;
}

/** The object a key-value holds, its resourceVersion the key's mod revision. */
export function decodeObject(kv: KeyValue): ApiObject {
  const object = JSON.parse(kv.value.toString('utf8')) as ApiObject;
  object.metadata.resourceVersion = String(kv.modRevision);
  return object;
}

/** A copy of `object` at `revision` (the revision of the write that produced or removed it). */
export function withVersion(object: ApiObject, revision: number): ApiObject {
  return { ...object, metadata: { ...object.metadata, resourceVersion: String(revision) } };
}
