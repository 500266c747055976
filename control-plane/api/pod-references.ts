/**
 * The ConfigMaps and Secrets a pod reads: its `configMap`, `secret` and `projected`
 * volumes, its containers' (and init containers') `envFrom` and `valueFrom` key references,
 * and its `imagePullSecrets`. The API server's node restriction lets a node agent read
 * exactly these of the pods bound to it.
 */
import type { ApiObject } from './types.js';

export interface PodReferences {
  readonly configMaps: ReadonlySet<string>;
  readonly secrets: ReadonlySet<string>;
}

type Json = Record<string, unknown>;

function record(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

function records(value: unknown): Json[] {
  return Array.isArray(value) ? value.map(record).filter((item): item is Json => item !== undefined) : [];
}

function nameOf(value: unknown, field = 'name'): string | undefined {
  const text = record(value)?.[field];
  return typeof text === 'string' && text !== '' ? text : undefined;
}

/** The names of the ConfigMaps and Secrets (in the pod's namespace) that `pod` refers to. */
export function podReferences(pod: ApiObject): PodReferences {
  const configMaps = new Set<string>();
  const secrets = new Set<string>();
  const add = (set: Set<string>, name: string | undefined): void => {
    if (name !== undefined) set.add(name);
  };
  const spec = record(pod.spec) ?? {};
  for (const volume of records(spec.volumes)) {
    add(configMaps, nameOf(volume.configMap));
    add(secrets, nameOf(volume.secret, 'secretName'));
    for (const source of records(record(volume.projected)?.sources)) {
      add(configMaps, nameOf(source.configMap));
      add(secrets, nameOf(source.secret));
    }
  }
  for (const container of [...records(spec.containers), ...records(spec.initContainers)]) {
    for (const source of records(container.envFrom)) {
      add(configMaps, nameOf(source.configMapRef));
      add(secrets, nameOf(source.secretRef));
    }
    for (const variable of records(container.env)) {
      const valueFrom = record(variable.valueFrom);
      add(configMaps, nameOf(valueFrom?.configMapKeyRef));
      add(secrets, nameOf(valueFrom?.secretKeyRef));
    }
  }
  for (const pullSecret of records(spec.imagePullSecrets)) add(secrets, nameOf(pullSecret));
  return { configMaps, secrets };
}
