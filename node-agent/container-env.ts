/**
 * A container's environment, resolved as Kubernetes' kubelet does before the runtime sees
 * it: `envFrom` sources first (ConfigMaps and Secrets, each key a variable, with an optional
 * prefix; keys that are not valid variable names are skipped), then `env` in order (a later
 * variable of the same name wins), where a `value` may refer to earlier variables as
 * `$(NAME)` (`$$(` stands for a literal `$(`) and `valueFrom` reads a ConfigMap or Secret key,
 * a field of the pod, or a container's resource request or limit (the downward API). A
 * reference to something missing that is not `optional` is a `CreateContainerConfigError`:
 * the container is not started.
 */
import { containerResourceValue, ResourceFieldError } from '../control-plane/api/resource-field.js';
import type { ApiObject } from '../control-plane/api/types.js';
import { configData, lookupConfig } from './config-sources.js';
import type { ConfigKind, ConfigSources } from './config-sources.js';
import { AgentError } from './errors.js';
import { asRecord, records } from './json-fields.js';
import type { Json } from './json-fields.js';

export interface EnvVar {
  readonly name: string;
  readonly value: string;
}

/** What the downward API may read besides the pod object itself. */
export interface PodFieldValues {
  readonly podIP: string;
  readonly hostIP: string;
  /** The node's allocatable CPU and memory (quantities): a container's limit when it sets none. */
  readonly nodeAllocatable: { readonly cpu: string; readonly memory: string };
}

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

export function resolveEnv(pod: ApiObject, container: Json, sources: ConfigSources, fields: PodFieldValues): EnvVar[] {
  const namespace = pod.metadata.namespace ?? 'default';
  const values = new Map<string, string>();
  for (const source of records(container.envFrom)) {
    const prefix = typeof source.prefix === 'string' ? source.prefix : '';
    const ref = asRecord(source.configMapRef) ?? asRecord(source.secretRef);
    const kind: ConfigKind = source.configMapRef !== undefined ? 'configmap' : 'secret';
    if (ref === undefined) continue;
    const object = lookupConfig(sources, kind, namespace, String(ref.name ?? ''));
    if (object === undefined) {
      if (ref.optional === true) continue;
      throw new AgentError('CreateContainerConfigError', `${kind} "${String(ref.name ?? '')}" not found`);
    }
    for (const [key, value] of configData(kind, object)) {
      if (ENV_NAME.test(prefix + key)) values.set(prefix + key, value.toString('utf8'));
    }
  }
  for (const variable of records(container.env)) {
    const name = String(variable.name ?? '');
    const valueFrom = asRecord(variable.valueFrom);
    if (valueFrom === undefined) {
      values.set(name, expand(typeof variable.value === 'string' ? variable.value : '', values));
      continue;
    }
    const value = valueFromSource(pod, container, valueFrom, sources, fields);
    if (value !== undefined) values.set(name, value);
  }
  return [...values].map(([name, value]) => ({ name, value }));
}

/** A `valueFrom`'s value; undefined when an optional reference is missing (the variable is left out). */
function valueFromSource(pod: ApiObject, container: Json, valueFrom: Json, sources: ConfigSources, fields: PodFieldValues): string | undefined {
  const fieldRef = asRecord(valueFrom.fieldRef);
  if (fieldRef !== undefined) return podField(pod, String(fieldRef.fieldPath ?? ''), fields);
  const resourceRef = asRecord(valueFrom.resourceFieldRef);
  if (resourceRef !== undefined) return resourceField(pod, container, resourceRef, fields);
  const keyRef = asRecord(valueFrom.configMapKeyRef) ?? asRecord(valueFrom.secretKeyRef);
  if (keyRef === undefined) {
    throw new AgentError('CreateContainerConfigError', 'only valueFrom.fieldRef, resourceFieldRef, configMapKeyRef and secretKeyRef are supported', false);
  }
  const kind: ConfigKind = valueFrom.configMapKeyRef !== undefined ? 'configmap' : 'secret';
  const name = String(keyRef.name ?? '');
  const key = String(keyRef.key ?? '');
  const object = lookupConfig(sources, kind, pod.metadata.namespace ?? 'default', name);
  if (object === undefined) {
    if (keyRef.optional === true) return undefined;
    throw new AgentError('CreateContainerConfigError', `${kind} "${name}" not found`);
  }
  const value = configData(kind, object).get(key);
  if (value === undefined) {
    if (keyRef.optional === true) return undefined;
    throw new AgentError('CreateContainerConfigError', `couldn't find key ${key} in ${kind === 'configmap' ? 'ConfigMap' : 'Secret'} ${pod.metadata.namespace ?? 'default'}/${name}`);
  }
  return value.toString('utf8');
}

/** A container's request or limit (`resourceFieldRef`: `resource-field.ts`), of `containerName` or the container itself. */
function resourceField(pod: ApiObject, container: Json, ref: Json, fields: PodFieldValues): string {
  const containerName = typeof ref.containerName === 'string' && ref.containerName !== '' ? ref.containerName : undefined;
  const target =
    containerName === undefined
      ? container
      : [...records(pod.spec?.containers), ...records(pod.spec?.initContainers)].find((candidate) => candidate.name === containerName);
  if (target === undefined) throw new AgentError('CreateContainerConfigError', `resourceFieldRef: no container "${containerName}" in the pod`, false);
  try {
    return containerResourceValue(target, ref, fields.nodeAllocatable);
  } catch (error) {
    if (error instanceof ResourceFieldError) throw new AgentError('CreateContainerConfigError', error.message, false);
    throw error;
  }
}

/** The downward API's fields: `metadata.name`, `metadata.labels['app']`, `status.podIP`, … */
export function podField(pod: ApiObject, fieldPath: string, fields: PodFieldValues): string {
  const meta = pod.metadata;
  const keyed = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (keyed !== null) return (keyed[1] === 'labels' ? meta.labels : meta.annotations)?.[keyed[2]!] ?? '';
  switch (fieldPath) {
    case 'metadata.name':
      return meta.name ?? '';
    case 'metadata.namespace':
      return meta.namespace ?? '';
    case 'metadata.uid':
      return meta.uid ?? '';
    case 'metadata.labels':
    case 'metadata.annotations': {
      const map = (fieldPath === 'metadata.labels' ? meta.labels : meta.annotations) ?? {};
      return Object.keys(map)
        .sort()
        .map((key) => `${key}="${map[key]}"`)
        .join('\n');
    }
    case 'spec.nodeName':
    case 'spec.serviceAccountName': {
      const value = pod.spec?.[fieldPath.slice('spec.'.length)];
      return typeof value === 'string' ? value : '';
    }
    case 'status.podIP':
      return fields.podIP;
    case 'status.hostIP':
      return fields.hostIP;
    default:
      throw new AgentError('CreateContainerConfigError', `unsupported fieldRef.fieldPath: ${fieldPath}`, false);
  }
}

/** `$(NAME)` replaced by an earlier variable's value (left as is when there is none); `$$(` is a literal `$(`. */
function expand(text: string, values: ReadonlyMap<string, string>): string {
  return text.replace(/\$\$\(|\$\(([^)]*)\)/g, (match, name: string | undefined) => {
    if (name === undefined) return '$(';
    return values.get(name) ?? match;
  });
}
