/**
 * Where the pod worker reads the ConfigMaps and Secrets a pod refers to (environment
 * values, projected volumes): the agent's caches of them, and each one's content as bytes
 * per key (a Secret's `data` is base64; a ConfigMap has text `data` and base64 `binaryData`).
 */
import type { ApiObject } from '../control-plane/api/types.js';

export interface ConfigSources {
  configMap(namespace: string, name: string): ApiObject | undefined;
  secret(namespace: string, name: string): ApiObject | undefined;
}

export type ConfigKind = 'configmap' | 'secret';

/** The object's content, key by key. */
export function configData(kind: ConfigKind, object: ApiObject): Map<string, Buffer> {
  const entries = new Map<string, Buffer>();
  const data = isTextRecord(object.data) ? object.data : {};
  if (kind === 'secret') {
    for (const [key, value] of Object.entries(data)) entries.set(key, Buffer.from(value, 'base64'));
    // Defaulting folds stringData into data; a stored one is taken as plain text all the same.
    if (isTextRecord(object.stringData)) for (const [key, value] of Object.entries(object.stringData)) entries.set(key, Buffer.from(value, 'utf8'));
    return entries;
  }
  for (const [key, value] of Object.entries(data)) entries.set(key, Buffer.from(value, 'utf8'));
  if (isTextRecord(object.binaryData)) for (const [key, value] of Object.entries(object.binaryData)) entries.set(key, Buffer.from(value, 'base64'));
  return entries;
}

/** Looks up a ConfigMap or Secret; `configmap "name" not found` as Kubernetes says it. */
export function lookupConfig(sources: ConfigSources, kind: ConfigKind, namespace: string, name: string): ApiObject | undefined {
  return kind === 'configmap' ? sources.configMap(namespace, name) : sources.secret(namespace, name);
}

function isTextRecord(value: unknown): value is Record<string, string> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((entry) => typeof entry === 'string');
}
