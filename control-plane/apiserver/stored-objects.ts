/**
 * Objects as the KV stores them: their JSON without `metadata.resourceVersion` (that is the
 * key's mod revision, set back when read), and KV watch events as API watch events.
 */
import type { KeyValue } from '../../kv/client/etcd-client.js';
import type { ApiObject, WatchEvent } from '../api/types.js';

/** The value stored for `object`. */
export function encodeObject(object: ApiObject): Buffer {
  const stored = { ...object, metadata: { ...object.metadata } };
  delete stored.metadata.resourceVersion;
  return Buffer.from(JSON.stringify(stored));
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

/** A KV event as a watch event of the objects that pass `passes` (null when neither side does). */
export function translateEvent(type: 'PUT' | 'DELETE', kv: KeyValue, prevKv: KeyValue | null, passes: (object: ApiObject) => boolean): WatchEvent | null {
  const previous = prevKv === null ? null : decodeObject(prevKv);
  if (type === 'DELETE') {
    if (previous === null || !passes(previous)) return null;
    return { type: 'DELETED', object: withVersion(previous, kv.modRevision) };
  }
  const current = decodeObject(kv);
  const was = previous !== null && passes(previous);
  const is = passes(current);
  if (is) return { type: was ? 'MODIFIED' : 'ADDED', object: current };
  // It no longer matches the selector: to this watcher it is gone.
  if (was) return { type: 'DELETED', object: withVersion(previous, kv.modRevision) };
  return null;
}
