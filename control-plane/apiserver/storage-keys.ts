/**
 * Where objects live in the KV: `/registry/<plural>/<namespace>/<name>` for namespaced kinds,
 * `/registry/<plural>/<name>` for cluster-scoped ones (Kubernetes' own layout, so that
 * `etcdctl get --prefix /registry/pods/default/` lists a namespace's pods). Values are the
 * objects' JSON, without `metadata.resourceVersion`: that is the key's mod revision.
 */
import type { ResourceInfo } from '../api/resources.js';

/** The root of every key the API server writes (`--kv-prefix`). */
export const DEFAULT_REGISTRY_PREFIX = '/registry';

export class StorageKeys {
  constructor(readonly prefix: string = DEFAULT_REGISTRY_PREFIX) {
    if (!prefix.startsWith('/') || prefix.endsWith('/')) throw new Error(`registry prefix must start with '/' and not end with one: ${prefix}`);
  }

  /** The key of one object. */
  object(info: ResourceInfo, namespace: string | undefined, name: string): Buffer {
    return Buffer.from(info.namespaced ? `${this.prefix}/${info.plural}/${namespace}/${name}` : `${this.prefix}/${info.plural}/${name}`);
  }

  /** The folder of a collection: one namespace's objects, or (namespace undefined) all of them. */
  collection(info: ResourceInfo, namespace: string | undefined): Buffer {
    return Buffer.from(info.namespaced && namespace !== undefined ? `${this.prefix}/${info.plural}/${namespace}/` : `${this.prefix}/${info.plural}/`);
  }
}

/** The end of the range of every key starting with `prefix` (etcd's `--prefix`). */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]! += 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}
