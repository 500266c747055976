/**
 * How a strategic merge patch treats each field of each kind: Kubernetes' `patchStrategy`
 * and `patchMergeKey` struct tags, for the fields of the kinds served here. A list named
 * here is merged (lists of objects element by element, matched on their merge key; lists
 * of scalars as a union); every other list is replaced whole, as Kubernetes replaces a list
 * without a strategy. (`$retainKeys` needs no entry: it is honoured wherever a patch has it.)
 *
 * The facts come from Kubernetes' API types (v1.20): e.g. `Containers []Container
 * patchStrategy:"merge" patchMergeKey:"name"`; `Tolerations` has no strategy (replaced).
 */

/** The patch strategy of one field. */
export interface FieldStrategy {
  /** The field is a list merged by the patch, not replaced: by this key for objects, as a union for scalars (`''`). */
  readonly mergeKey?: string;
  /** The strategies inside the field's value (or inside each element of a list). */
  readonly fields?: PatchSchema;
}

/** Field name → strategy. A field not named merges as a map when both sides are maps, else is replaced. */
export type PatchSchema = Readonly<Record<string, FieldStrategy>>;

function mergedBy(mergeKey: string, fields?: PatchSchema): FieldStrategy {
  return { mergeKey, ...(fields !== undefined ? { fields } : {}) };
}

const SCALAR_UNION: FieldStrategy = { mergeKey: '' };
const BY_TYPE: FieldStrategy = mergedBy('type');

const OBJECT_META: PatchSchema = {
  finalizers: SCALAR_UNION,
  ownerReferences: mergedBy('uid'),
};

const CONTAINER: PatchSchema = {
  ports: mergedBy('containerPort'),
  env: mergedBy('name'),
  volumeMounts: mergedBy('mountPath'),
  volumeDevices: mergedBy('devicePath'),
};

const POD_SPEC: PatchSchema = {
  containers: mergedBy('name', CONTAINER),
  initContainers: mergedBy('name', CONTAINER),
  ephemeralContainers: mergedBy('name', CONTAINER),
  volumes: mergedBy('name'),
  imagePullSecrets: mergedBy('name'),
  hostAliases: mergedBy('ip'),
  topologySpreadConstraints: mergedBy('topologyKey'),
};

const POD_TEMPLATE: FieldStrategy = { fields: { metadata: { fields: OBJECT_META }, spec: { fields: POD_SPEC } } };

const WORKLOAD_STATUS: FieldStrategy = { fields: { conditions: BY_TYPE } };

/** Each served kind's strategies, from its top level. */
const KIND_SCHEMAS: Readonly<Record<string, PatchSchema>> = {
  Pod: {
    spec: { fields: POD_SPEC },
    status: { fields: { conditions: BY_TYPE, podIPs: mergedBy('ip') } },
  },
  Deployment: {
    spec: { fields: { template: POD_TEMPLATE } },
    status: WORKLOAD_STATUS,
  },
  ReplicaSet: {
    spec: { fields: { template: POD_TEMPLATE } },
    status: WORKLOAD_STATUS,
  },
  Service: {
    spec: { fields: { ports: mergedBy('port') } },
  },
  Node: {
    spec: { fields: { podCIDRs: SCALAR_UNION } },
    status: { fields: { conditions: BY_TYPE, addresses: mergedBy('type') } },
  },
  Namespace: {
    status: { fields: { conditions: BY_TYPE } },
  },
};

/** The strategies of a kind's fields (metadata's for every kind). */
export function patchSchemaOf(kind: string): PatchSchema {
  return { metadata: { fields: OBJECT_META }, ...(KIND_SCHEMAS[kind] ?? {}) };
}

/** Autoscaling's Scale has no list: every field merges or replaces. */
export const SCALE_PATCH_SCHEMA: PatchSchema = { metadata: { fields: OBJECT_META } };
