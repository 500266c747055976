/**
 * Validation accepts the manifests people write (after defaulting), reports each broken
 * rule at the field Kubernetes would name with the type Kubernetes would use, reads well,
 * guards what an update may not change, and never throws on malformed input.
 */
import { applyCreateDefaults, applyDefaults } from '../../../control-plane/api/defaults.js';
import { fieldErrorMessage } from '../../../control-plane/api/field-errors.js';
import type { FieldError, FieldErrorType } from '../../../control-plane/api/field-errors.js';
import type { ApiObject } from '../../../control-plane/api/types.js';
import { validateCreate, validateStatusUpdate, validateUpdate } from '../../../control-plane/api/validation.js';
import {
  configMap,
  deployment,
  endpoints,
  event,
  info,
  lease,
  MANIFESTS,
  namespace,
  node,
  pod,
  replicaSet,
  secret,
  service,
} from './fixtures.js';

type Json = Record<string, unknown>;

/** The manifest, defaulted as the API server would, then changed by the test. */
function prepared(make: () => ApiObject, change: (object: ApiObject) => void = () => {}): ApiObject {
  const object = make();
  applyDefaults(info(object.kind), object);
  applyCreateDefaults(info(object.kind), object);
  change(object);
  return object;
}

function createErrors(make: () => ApiObject, change: (object: ApiObject) => void): FieldError[] {
  const object = prepared(make, change);
  return validateCreate(info(object.kind), object);
}

function messages(errors: readonly FieldError[]): string[] {
  return errors.map(fieldErrorMessage);
}

/** Exactly one error, at the field, of the type; answers its message. */
function onlyError(errors: readonly FieldError[], field: string, type: FieldErrorType): string {
  expect(errors.map((error) => `${error.type} ${error.field}`)).toEqual([`${type} ${field}`]);
  return fieldErrorMessage(errors[0]!);
}

function spec(object: ApiObject): Json {
  return object.spec as Json;
}

function container(object: ApiObject, i = 0): Json {
  return (spec(object).containers as Json[])[i]!;
}

function templateSpec(object: ApiObject): Json {
  return (spec(object).template as Json).spec as Json;
}

describe('typical manifests', () => {
  it.each(Object.keys(MANIFESTS))('a %s passes after defaulting', (kind) => {
    const object = prepared(MANIFESTS[kind]!);
    expect(messages(validateCreate(info(kind), object))).toEqual([]);
    expect(messages(validateUpdate(info(kind), object, prepared(MANIFESTS[kind]!)))).toEqual([]);
  });

  it('a pod passes without its defaults too (fields with defaults are optional)', () => {
    expect(messages(validateCreate(info('Pod'), pod()))).toEqual([]);
  });
});

describe('metadata', () => {
  it('requires a name unless generateName is given', () => {
    const missing = createErrors(pod, (object) => delete object.metadata.name);
    expect(onlyError(missing, 'metadata.name', 'Required')).toBe('metadata.name: Required value: name or generateName is required');
    expect(createErrors(pod, (object) => (object.metadata = { generateName: 'web-', namespace: 'default' }))).toEqual([]);
    const badPrefix = createErrors(pod, (object) => (object.metadata = { generateName: 'Web-', namespace: 'default' }));
    onlyError(badPrefix, 'metadata.generateName', 'Invalid');
  });

  it("refuses a bad name in Kubernetes' words", () => {
    const errors = createErrors(pod, (object) => (object.metadata.name = 'Web_1'));
    expect(onlyError(errors, 'metadata.name', 'Invalid')).toBe(
      `metadata.name: Invalid value: "Web_1": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    );
  });

  it('names Namespaces and Services with DNS labels, the other kinds with subdomains', () => {
    const dotted = (object: ApiObject): void => {
      object.metadata.name = 'a.b';
    };
    expect(createErrors(namespace, dotted)).toHaveLength(1);
    expect(createErrors(service, dotted)[0]!.detail).toMatch(/^a lowercase RFC 1123 label/);
    for (const make of [pod, node, configMap, secret, endpoints, event, replicaSet, deployment, lease]) {
      expect(messages(createErrors(make, dotted))).toEqual([]);
    }
    expect(createErrors(node, (object) => (object.metadata.name = 'n'.repeat(254)))[0]!.detail).toBe('must be no more than 253 characters');
  });

  it('requires a namespace for namespaced kinds and forbids one for cluster-scoped kinds', () => {
    const missing = createErrors(deployment, (object) => delete object.metadata.namespace);
    expect(onlyError(missing, 'metadata.namespace', 'Required')).toBe('metadata.namespace: Required value');
    onlyError(createErrors(pod, (object) => (object.metadata.namespace = 'Team.A')), 'metadata.namespace', 'Invalid');
    const scoped = createErrors(node, (object) => (object.metadata.namespace = 'default'));
    expect(onlyError(scoped, 'metadata.namespace', 'Forbidden')).toBe('metadata.namespace: Forbidden: not allowed on this type');
  });

  it('checks label keys and values', () => {
    const errors = createErrors(pod, (object) => (object.metadata.labels = { 'bad key': 'ok', good: 'bad value', 'x/y/z': '' }));
    expect(errors.map((error) => [error.field, error.type, error.value])).toEqual([
      ['metadata.labels', 'Invalid', 'bad key'],
      ['metadata.labels', 'Invalid', 'bad value'],
      ['metadata.labels', 'Invalid', 'x/y/z'],
    ]);
    onlyError(createErrors(pod, (object) => (object.metadata.labels = { app: 7 as unknown as string })), 'metadata.labels[app]', 'Invalid');
  });

  it('checks annotation keys and their total size', () => {
    onlyError(createErrors(pod, (object) => (object.metadata.annotations = { 'a b': 'x' })), 'metadata.annotations', 'Invalid');
    const big = createErrors(pod, (object) => (object.metadata.annotations = { note: 'x'.repeat(256 * 1024) }));
    expect(onlyError(big, 'metadata.annotations', 'TooLong')).toBe('metadata.annotations: Too long: may not be more than 262144 bytes');
    // Annotation keys may use capitals, values anything: only the size is limited.
    expect(createErrors(pod, (object) => (object.metadata.annotations = { 'Example.com/Note': 'any text / at all' }))).toEqual([]);
  });

  it('checks finalizers are qualified names listed once', () => {
    const errors = createErrors(pod, (object) => (object.metadata.finalizers = ['example.com/cleanup', 'bad name', 'example.com/cleanup']));
    expect(errors.map((error) => `${error.type} ${error.field}`)).toEqual(['Invalid metadata.finalizers', 'Duplicate metadata.finalizers[2]']);
  });

  it('requires complete owner references, with one controller at most', () => {
    const owner = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: 'u1', controller: true };
    const incomplete = createErrors(pod, (object) => (object.metadata.ownerReferences = [{ ...owner, uid: '' }]));
    onlyError(incomplete, 'metadata.ownerReferences[0].uid', 'Required');
    const twice = createErrors(pod, (object) => (object.metadata.ownerReferences = [owner, { ...owner, name: 'web-2', uid: 'u2' }]));
    expect(onlyError(twice, 'metadata.ownerReferences', 'Invalid')).toBe(
      'metadata.ownerReferences: Invalid value: Only one reference can have Controller set to true. Found "true" in references for ReplicaSet/web-1 and ReplicaSet/web-2',
    );
  });
});

describe('Pod', () => {
  it('requires containers', () => {
    onlyError(createErrors(pod, (object) => (spec(object).containers = [])), 'spec.containers', 'Required');
    onlyError(createErrors(pod, (object) => delete object.spec), 'spec.containers', 'Required');
  });

  it('requires each container to have an image', () => {
    const errors = createErrors(pod, (object) => delete container(object).image);
    expect(onlyError(errors, 'spec.containers[0].image', 'Required')).toBe('spec.containers[0].image: Required value');
  });

  it('requires unique DNS-label container names', () => {
    onlyError(createErrors(pod, (object) => (container(object, 1).name = 'web')), 'spec.containers[1].name', 'Duplicate');
    onlyError(createErrors(pod, (object) => (container(object, 1).name = 'Side_Car')), 'spec.containers[1].name', 'Invalid');
    onlyError(createErrors(pod, (object) => delete container(object, 1).name), 'spec.containers[1].name', 'Required');
  });

  it('checks container ports', () => {
    const zero = createErrors(pod, (object) => (container(object).ports = [{ containerPort: 0 }]));
    onlyError(zero, 'spec.containers[0].ports[0].containerPort', 'Required');
    const high = createErrors(pod, (object) => (container(object).ports = [{ containerPort: 70000 }]));
    expect(onlyError(high, 'spec.containers[0].ports[0].containerPort', 'Invalid')).toBe(
      'spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
    );
    const longName = createErrors(pod, (object) => (container(object).ports = [{ containerPort: 80, name: 'a-very-long-port-name' }]));
    expect(onlyError(longName, 'spec.containers[0].ports[0].name', 'Invalid')).toMatch(/must be no more than 15 characters$/);
    const protocol = createErrors(pod, (object) => (container(object).ports = [{ containerPort: 80, protocol: 'HTTP' }]));
    expect(onlyError(protocol, 'spec.containers[0].ports[0].protocol', 'NotSupported')).toBe(
      'spec.containers[0].ports[0].protocol: Unsupported value: "HTTP": supported values: "TCP", "UDP", "SCTP"',
    );
  });

  it('requires environment variable names', () => {
    onlyError(createErrors(pod, (object) => (container(object).env = [{ value: 'x' }])), 'spec.containers[0].env[0].name', 'Required');
    onlyError(createErrors(pod, (object) => (container(object).env = [{ name: '1X' }])), 'spec.containers[0].env[0].name', 'Invalid');
  });

  it('checks resource quantities, and that requests stay within limits', () => {
    const bad = createErrors(pod, (object) => (container(object).resources = { requests: { cpu: 'lots' } }));
    expect(onlyError(bad, 'spec.containers[0].resources.requests[cpu]', 'Invalid')).toBe(
      `spec.containers[0].resources.requests[cpu]: Invalid value: "lots": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
    );
    const negative = createErrors(pod, (object) => (container(object).resources = { limits: { memory: '-1Gi' } }));
    onlyError(negative, 'spec.containers[0].resources.limits[memory]', 'Invalid');
    const over = createErrors(pod, (object) => (container(object).resources = { requests: { cpu: '2' }, limits: { cpu: '1500m' } }));
    expect(onlyError(over, 'spec.containers[0].resources.requests[cpu]', 'Invalid')).toBe(
      'spec.containers[0].resources.requests[cpu]: Invalid value: "2": must be less than or equal to cpu limit of 1500m',
    );
    expect(createErrors(pod, (object) => (container(object).resources = { requests: { cpu: '1100m' }, limits: { cpu: 1.1 } }))).toEqual([]);
  });

  it('accepts only the known restart policies', () => {
    const errors = createErrors(pod, (object) => (spec(object).restartPolicy = 'Sometimes'));
    expect(onlyError(errors, 'spec.restartPolicy', 'NotSupported')).toBe(
      'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
    );
  });

  it('requires exactly one handler per probe, and sensible timings', () => {
    const none = createErrors(pod, (object) => (container(object).readinessProbe = { periodSeconds: 5 }));
    expect(onlyError(none, 'spec.containers[0].readinessProbe', 'Required')).toBe(
      'spec.containers[0].readinessProbe: Required value: must specify a handler type',
    );
    const two = createErrors(pod, (object) => (container(object).readinessProbe = { tcpSocket: { port: 80 }, exec: { command: ['true'] } }));
    onlyError(two, 'spec.containers[0].readinessProbe.tcpSocket', 'Forbidden');
    const period = createErrors(pod, (object) => ((container(object).livenessProbe as Json).periodSeconds = 0));
    expect(onlyError(period, 'spec.containers[0].livenessProbe.periodSeconds', 'Invalid')).toBe(
      'spec.containers[0].livenessProbe.periodSeconds: Invalid value: 0: must be greater than or equal to 1',
    );
    const threshold = createErrors(pod, (object) => ((container(object).readinessProbe as Json).failureThreshold = -1));
    onlyError(threshold, 'spec.containers[0].readinessProbe.failureThreshold', 'Invalid');
    const emptyExec = createErrors(pod, (object) => (container(object).readinessProbe = { exec: { command: [] } }));
    onlyError(emptyExec, 'spec.containers[0].readinessProbe.exec.command', 'Required');
    const badPort = createErrors(pod, (object) => (container(object).readinessProbe = { httpGet: { path: '/', port: 'web--ui' } }));
    onlyError(badPort, 'spec.containers[0].readinessProbe.httpGet.port', 'Invalid');
    const liveness = createErrors(pod, (object) => ((container(object).livenessProbe as Json).successThreshold = 2));
    onlyError(liveness, 'spec.containers[0].livenessProbe.successThreshold', 'Invalid');
  });

  it('checks node selectors and tolerations', () => {
    onlyError(createErrors(pod, (object) => (spec(object).nodeSelector = { disk: 'fast ssd' })), 'spec.nodeSelector', 'Invalid');
    const operator = createErrors(pod, (object) => (spec(object).tolerations = [{ key: 'a', operator: 'Like' }]));
    onlyError(operator, 'spec.tolerations[0].operator', 'NotSupported');
    const effect = createErrors(pod, (object) => (spec(object).tolerations = [{ operator: 'Exists', effect: 'Evict' }]));
    expect(onlyError(effect, 'spec.tolerations[0].effect', 'NotSupported')).toBe(
      'spec.tolerations[0].effect: Unsupported value: "Evict": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
    );
    const existsValue = createErrors(pod, (object) => (spec(object).tolerations = [{ key: 'a', operator: 'Exists', value: 'b' }]));
    onlyError(existsValue, 'spec.tolerations[0].operator', 'Invalid');
    const keyless = createErrors(pod, (object) => (spec(object).tolerations = [{ operator: 'Equal', value: 'b' }]));
    onlyError(keyless, 'spec.tolerations[0].operator', 'Invalid');
    const seconds = createErrors(pod, (object) => (spec(object).tolerations = [{ key: 'a', operator: 'Exists', effect: 'NoSchedule', tolerationSeconds: 5 }]));
    onlyError(seconds, 'spec.tolerations[0].effect', 'Invalid');
    expect(createErrors(pod, (object) => (spec(object).tolerations = [{ operator: 'Exists' }, { key: 'a', effect: '' }]))).toEqual([]);
  });

  it('requires a non-negative grace period', () => {
    const errors = createErrors(pod, (object) => (spec(object).terminationGracePeriodSeconds = -1));
    expect(onlyError(errors, 'spec.terminationGracePeriodSeconds', 'Invalid')).toBe(
      'spec.terminationGracePeriodSeconds: Invalid value: -1: must be greater than or equal to 0',
    );
  });

  it('reports wrong JSON types as Invalid, not as exceptions', () => {
    const list = createErrors(pod, (object) => (spec(object).containers = 'nginx'));
    expect(onlyError(list, 'spec.containers', 'Invalid')).toBe('spec.containers: Invalid value: "nginx": must be a list');
    const grace = createErrors(pod, (object) => (spec(object).terminationGracePeriodSeconds = '30'));
    expect(onlyError(grace, 'spec.terminationGracePeriodSeconds', 'Invalid')).toBe(
      'spec.terminationGracePeriodSeconds: Invalid value: "30": must be an integer',
    );
    onlyError(createErrors(pod, (object) => (container(object).ports = [80])), 'spec.containers[0].ports[0]', 'Invalid');
    onlyError(createErrors(pod, (object) => (container(object).image = 42)), 'spec.containers[0].image', 'Invalid');
  });

  it('checks the status the node agent reports', () => {
    const phase = createErrors(pod, (object) => (object.status = { phase: 'Done' }));
    expect(onlyError(phase, 'status.phase', 'NotSupported')).toBe(
      'status.phase: Unsupported value: "Done": supported values: "Pending", "Running", "Succeeded", "Failed", "Unknown"',
    );
    onlyError(createErrors(pod, (object) => (object.status = { podIP: '10.0.0.300' })), 'status.podIP', 'Invalid');
  });
});

describe('ReplicaSet and Deployment', () => {
  it('requires a non-negative integer replica count', () => {
    onlyError(createErrors(replicaSet, (object) => (spec(object).replicas = -1)), 'spec.replicas', 'Invalid');
    const text = createErrors(deployment, (object) => (spec(object).replicas = '3'));
    expect(onlyError(text, 'spec.replicas', 'Invalid')).toBe('spec.replicas: Invalid value: "3": must be an integer');
    onlyError(createErrors(deployment, (object) => (spec(object).replicas = 1.5)), 'spec.replicas', 'Invalid');
  });

  it('requires a non-empty selector with valid requirements', () => {
    onlyError(createErrors(replicaSet, (object) => delete spec(object).selector), 'spec.selector', 'Required');
    const empty = createErrors(deployment, (object) => (spec(object).selector = {}));
    expect(onlyError(empty, 'spec.selector', 'Invalid')).toBe('spec.selector: Invalid value: {}: empty selector is invalid for deployment');
    const operator = createErrors(deployment, (object) => (spec(object).selector = { matchExpressions: [{ key: 'app', operator: 'Is', values: ['web'] }] }));
    expect(operator.map((error) => `${error.type} ${error.field}`)).toEqual(['Invalid spec.selector.matchExpressions[0].operator']);
    const noValues = createErrors(deployment, (object) => ((spec(object).selector as Json).matchExpressions = [{ key: 'tier', operator: 'In' }]));
    onlyError(noValues, 'spec.selector.matchExpressions[0].values', 'Required');
    const extraValues = createErrors(deployment, (object) =>
      ((spec(object).selector as Json).matchExpressions = [{ key: 'tier', operator: 'Exists', values: ['x'] }]),
    );
    onlyError(extraValues, 'spec.selector.matchExpressions[0].values', 'Forbidden');
  });

  it('requires the selector to select the template', () => {
    const errors = createErrors(deployment, (object) => (((spec(object).template as Json).metadata as Json).labels = { app: 'api', tier: 'front' }));
    expect(onlyError(errors, 'spec.template.metadata.labels', 'Invalid')).toBe(
      'spec.template.metadata.labels: Invalid value: {"app":"api","tier":"front"}: `selector` does not match template `labels`',
    );
  });

  it('validates the template as a pod spec at spec.template.spec', () => {
    const errors = createErrors(deployment, (object) => delete (templateSpec(object).containers as Json[])[0]!.image);
    onlyError(errors, 'spec.template.spec.containers[0].image', 'Required');
    onlyError(createErrors(replicaSet, (object) => delete spec(object).template), 'spec.template', 'Required');
    const never = createErrors(replicaSet, (object) => (templateSpec(object).restartPolicy = 'Never'));
    expect(onlyError(never, 'spec.template.spec.restartPolicy', 'NotSupported')).toBe(
      'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
    );
  });

  /** A BlueGreen strategy of `blueGreen`, every container given a readiness probe (which it requires). */
  const blueGreen = (value: unknown) => (object: ApiObject) => {
    spec(object).strategy = { type: 'BlueGreen', blueGreen: value };
    for (const entry of templateSpec(object).containers as Json[]) entry.readinessProbe ??= { tcpSocket: { port: 80 } };
  };

  it('accepts the strategies, Balsa’s BlueGreen included', () => {
    for (const type of ['RollingUpdate', 'Recreate']) {
      expect(createErrors(deployment, (object) => (spec(object).strategy = { type }))).toEqual([]);
    }
    expect(createErrors(deployment, blueGreen({ activeService: 'web' }))).toEqual([]);
    const unknown = createErrors(deployment, (object) => (spec(object).strategy = { type: 'Canary' }));
    expect(onlyError(unknown, 'spec.strategy.type', 'NotSupported')).toBe(
      'spec.strategy.type: Unsupported value: "Canary": supported values: "RollingUpdate", "Recreate", "BlueGreen"',
    );
    const recreate = createErrors(deployment, (object) => ((spec(object).strategy as Json).type = 'Recreate'));
    onlyError(recreate, 'spec.strategy.rollingUpdate', 'Forbidden');
  });

  it('checks a BlueGreen strategy: an active Service, Service names, whole seconds, and no other strategy’s fields', () => {
    expect(onlyError(createErrors(deployment, blueGreen(undefined)), 'spec.strategy.blueGreen.activeService', 'Required')).toBe(
      'spec.strategy.blueGreen.activeService: Required value',
    );
    onlyError(createErrors(deployment, blueGreen({ previewService: 'web-preview' })), 'spec.strategy.blueGreen.activeService', 'Required');
    onlyError(createErrors(deployment, blueGreen({ activeService: 'Web_1' })), 'spec.strategy.blueGreen.activeService', 'Invalid');
    onlyError(createErrors(deployment, blueGreen({ activeService: 'web', previewService: 'web' })), 'spec.strategy.blueGreen.previewService', 'Invalid');
    expect(onlyError(createErrors(deployment, blueGreen({ activeService: 'web', scaleDownDelaySeconds: -1 })), 'spec.strategy.blueGreen.scaleDownDelaySeconds', 'Invalid')).toBe(
      'spec.strategy.blueGreen.scaleDownDelaySeconds: Invalid value: -1: must be greater than or equal to 0',
    );
    onlyError(createErrors(deployment, blueGreen({ activeService: 'web', healthTimeoutSeconds: 1.5 })), 'spec.strategy.blueGreen.healthTimeoutSeconds', 'Invalid');
    onlyError(createErrors(deployment, blueGreen({ activeService: 'web', autoPromote: 'yes' })), 'spec.strategy.blueGreen.autoPromote', 'Invalid');
    const rolling = createErrors(deployment, (object) => (spec(object).strategy = { type: 'RollingUpdate', blueGreen: { activeService: 'web' } }));
    expect(messages(rolling)).toContain("spec.strategy.blueGreen: Forbidden: may not be specified when strategy `type` is 'RollingUpdate'");
  });

  it('rejects a BlueGreen Deployment with a container without a readiness probe, saying why', () => {
    const errors = createErrors(deployment, (object) => {
      blueGreen({ activeService: 'web' })(object);
      delete (templateSpec(object).containers as Json[])[1]!.readinessProbe;
    });
    expect(onlyError(errors, 'spec.template.spec.containers[1].readinessProbe', 'Required')).toBe(
      'spec.template.spec.containers[1].readinessProbe: Required value: a BlueGreen deployment needs a readiness probe on every container',
    );
  });

  it('checks surge and unavailability', () => {
    const rolling = (value: Json) => (object: ApiObject) => (spec(object).strategy = { type: 'RollingUpdate', rollingUpdate: value });
    const both = createErrors(deployment, rolling({ maxSurge: 0, maxUnavailable: '0%' }));
    expect(onlyError(both, 'spec.strategy.rollingUpdate.maxUnavailable', 'Invalid')).toBe(
      'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "0%": may not be 0 when `maxSurge` is 0',
    );
    const word = createErrors(deployment, rolling({ maxSurge: 'lots', maxUnavailable: 1 }));
    expect(onlyError(word, 'spec.strategy.rollingUpdate.maxSurge', 'Invalid')).toBe(
      `spec.strategy.rollingUpdate.maxSurge: Invalid value: "lots": must be an integer or percentage (e.g '5%')`,
    );
    onlyError(createErrors(deployment, rolling({ maxSurge: -1, maxUnavailable: 1 })), 'spec.strategy.rollingUpdate.maxSurge', 'Invalid');
    onlyError(createErrors(deployment, rolling({ maxSurge: 1, maxUnavailable: '150%' })), 'spec.strategy.rollingUpdate.maxUnavailable', 'Invalid');
    expect(createErrors(deployment, rolling({ maxSurge: 0, maxUnavailable: 1 }))).toEqual([]);
  });

  it('checks history, readiness and progress deadlines', () => {
    onlyError(createErrors(deployment, (object) => (spec(object).revisionHistoryLimit = -1)), 'spec.revisionHistoryLimit', 'Invalid');
    onlyError(createErrors(deployment, (object) => (spec(object).minReadySeconds = -5)), 'spec.minReadySeconds', 'Invalid');
    const deadline = createErrors(deployment, (object) => Object.assign(spec(object), { minReadySeconds: 30, progressDeadlineSeconds: 30 }));
    expect(onlyError(deadline, 'spec.progressDeadlineSeconds', 'Invalid')).toBe(
      'spec.progressDeadlineSeconds: Invalid value: 30: must be greater than minReadySeconds',
    );
  });

  it('checks that status counts nest', () => {
    const status = createErrors(deployment, (object) => (object.status = { replicas: 2, readyReplicas: 2, availableReplicas: 3 }));
    expect(messages(status)).toEqual([
      'status.availableReplicas: Invalid value: 3: cannot be greater than status.replicas',
      'status.availableReplicas: Invalid value: 3: cannot be greater than readyReplicas',
    ]);
  });
});

describe('Service', () => {
  it('requires ports, each 1–65535', () => {
    onlyError(createErrors(service, (object) => (spec(object).ports = [])), 'spec.ports', 'Required');
    const port = createErrors(service, (object) => ((spec(object).ports as Json[])[0]!.port = 0));
    onlyError(port, 'spec.ports[0].port', 'Required');
    onlyError(createErrors(service, (object) => ((spec(object).ports as Json[])[1]!.port = 65536)), 'spec.ports[1].port', 'Invalid');
  });

  it('needs no ports for an ExternalName alias, but a DNS name', () => {
    const alias = (object: ApiObject): void => {
      object.spec = { type: 'ExternalName', externalName: 'db.example.com.' };
    };
    expect(createErrors(service, alias)).toEqual([]);
    onlyError(createErrors(service, (object) => (object.spec = { type: 'ExternalName' })), 'spec.externalName', 'Required');
  });

  it('checks target ports by number or name', () => {
    onlyError(createErrors(service, (object) => ((spec(object).ports as Json[])[0]!.targetPort = 'Web_UI')), 'spec.ports[0].targetPort', 'Invalid');
    onlyError(createErrors(service, (object) => ((spec(object).ports as Json[])[0]!.targetPort = 99999)), 'spec.ports[0].targetPort', 'Invalid');
  });

  it('requires unique names when there are several ports', () => {
    onlyError(createErrors(service, (object) => delete (spec(object).ports as Json[])[1]!.name), 'spec.ports[1].name', 'Required');
    onlyError(createErrors(service, (object) => ((spec(object).ports as Json[])[1]!.name = 'http')), 'spec.ports[1].name', 'Duplicate');
    const single = (object: ApiObject): void => {
      object.spec = { selector: { app: 'web' }, ports: [{ port: 80 }] };
    };
    expect(createErrors(service, single)).toEqual([]);
  });

  it('checks node ports', () => {
    const nodePort = (type: string, value: number) => (object: ApiObject) => {
      spec(object).type = type;
      (spec(object).ports as Json[])[0]!.nodePort = value;
    };
    expect(createErrors(service, nodePort('NodePort', 30080))).toEqual([]);
    const range = createErrors(service, nodePort('NodePort', 8080));
    expect(onlyError(range, 'spec.ports[0].nodePort', 'Invalid')).toBe(
      'spec.ports[0].nodePort: Invalid value: 8080: provided port is not in the valid range. The range of valid ports is 30000-32767',
    );
    onlyError(createErrors(service, nodePort('ClusterIP', 30080)), 'spec.ports[0].nodePort', 'Forbidden');
  });

  it('checks the type, cluster IP, protocol and selector', () => {
    onlyError(createErrors(service, (object) => (spec(object).type = 'Internal')), 'spec.type', 'NotSupported');
    onlyError(createErrors(service, (object) => (spec(object).clusterIP = '10.96.0.999')), 'spec.clusterIP', 'Invalid');
    expect(createErrors(service, (object) => (spec(object).clusterIP = 'None'))).toEqual([]);
    expect(createErrors(service, (object) => (spec(object).clusterIP = 'fd00::10'))).toEqual([]);
    onlyError(createErrors(service, (object) => ((spec(object).ports as Json[])[0]!.protocol = 'tcp')), 'spec.ports[0].protocol', 'NotSupported');
    onlyError(createErrors(service, (object) => (spec(object).selector = { app: 'we b' })), 'spec.selector', 'Invalid');
  });
});

describe('Node', () => {
  it('checks taints', () => {
    const taint = (value: Json) => (object: ApiObject) => (spec(object).taints = [value]);
    onlyError(createErrors(node, taint({ key: 'dedicated' })), 'spec.taints[0].effect', 'Required');
    onlyError(createErrors(node, taint({ key: 'dedicated', effect: 'Evict' })), 'spec.taints[0].effect', 'NotSupported');
    onlyError(createErrors(node, taint({ key: 'bad key', effect: 'NoSchedule' })), 'spec.taints[0].key', 'Invalid');
    const twice = createErrors(node, (object) =>
      (spec(object).taints = [
        { key: 'a', value: 'x', effect: 'NoSchedule' },
        { key: 'a', value: 'y', effect: 'NoSchedule' },
      ]),
    );
    onlyError(twice, 'spec.taints[1]', 'Duplicate');
  });

  it('checks unschedulable is a boolean and capacities are quantities', () => {
    onlyError(createErrors(node, (object) => (spec(object).unschedulable = 'yes')), 'spec.unschedulable', 'Invalid');
    onlyError(createErrors(node, (object) => ((object.status!.capacity as Json).memory = '8 GB')), 'status.capacity[memory]', 'Invalid');
  });
});

describe('Endpoints', () => {
  it('requires IP addresses and valid ports', () => {
    const subset = (object: ApiObject): Json => (object.subsets as Json[])[0]!;
    const ip = createErrors(endpoints, (object) => ((subset(object).addresses as Json[])[0]!.ip = 'web-0'));
    expect(onlyError(ip, 'subsets[0].addresses[0].ip', 'Invalid')).toBe(
      'subsets[0].addresses[0].ip: Invalid value: "web-0": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
    );
    onlyError(createErrors(endpoints, (object) => ((subset(object).notReadyAddresses as Json[])[0]!.ip = 'fd00::g')), 'subsets[0].notReadyAddresses[0].ip', 'Invalid');
    onlyError(createErrors(endpoints, (object) => ((subset(object).ports as Json[])[0]!.port = 0)), 'subsets[0].ports[0].port', 'Required');
    for (const address of ['::1', '::ffff:10.0.0.1', '2001:db8:0:0:0:0:0:1', '192.168.0.1']) {
      expect(createErrors(endpoints, (object) => ((subset(object).addresses as Json[])[0]!.ip = address))).toEqual([]);
    }
    for (const address of ['1:2:3:4:5:6:7:8:9', '01.2.3.4', '1.2.3', '1::2::3']) {
      expect(createErrors(endpoints, (object) => ((subset(object).addresses as Json[])[0]!.ip = address))).toHaveLength(1);
    }
  });
});

describe('ConfigMap', () => {
  it('checks keys, keeps data and binaryData disjoint, and caps the size at 1 MiB', () => {
    const key = createErrors(configMap, (object) => ((object.data as Json)['a/b'] = 'x'));
    onlyError(key, 'data[a/b]', 'Invalid');
    const overlap = createErrors(configMap, (object) => ((object.data as Json)['logo.png'] = 'x'));
    expect(onlyError(overlap, 'data[logo.png]', 'Invalid')).toBe('data[logo.png]: Invalid value: "logo.png": duplicate of key present in binaryData');
    const big = createErrors(configMap, (object) => ((object.data as Json).big = 'x'.repeat(1024 * 1024)));
    expect(onlyError(big, '', 'TooLong')).toBe('Too long: may not be more than 1048576 bytes');
    onlyError(createErrors(configMap, (object) => ((object.binaryData as Json).x = 'not base64!')), 'binaryData[x]', 'Invalid');
    onlyError(createErrors(configMap, (object) => ((object.data as Json).n = 5)), 'data[n]', 'Invalid');
  });
});

describe('Secret', () => {
  it('requires base64 data and never echoes it', () => {
    const errors = createErrors(secret, (object) => ((object.data as Json).token = 'hunter2!'));
    const message = onlyError(errors, 'data[token]', 'Invalid');
    expect(message).toBe('data[token]: Invalid value: must be base64-encoded');
    expect(message).not.toContain('hunter2');
  });

  it('reports a stringData that defaulting could not fold in', () => {
    const object = secret();
    object.stringData = { password: 42 };
    applyDefaults(info('Secret'), object);
    onlyError(validateCreate(info('Secret'), object), 'stringData[password]', 'Invalid');
  });

  it('checks keys and what a TLS secret needs', () => {
    onlyError(createErrors(secret, (object) => ((object.data as Json)['..x'] = '')), 'data[..x]', 'Invalid');
    const tls = createErrors(secret, (object) => (object.type = 'kubernetes.io/tls'));
    expect(tls.map((error) => `${error.type} ${error.field}`)).toEqual(['Required data[tls.crt]', 'Required data[tls.key]']);
  });
});

describe('Lease', () => {
  it('requires a positive duration and RFC 3339 times', () => {
    const duration = createErrors(lease, (object) => (spec(object).leaseDurationSeconds = 0));
    expect(onlyError(duration, 'spec.leaseDurationSeconds', 'Invalid')).toBe('spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0');
    onlyError(createErrors(lease, (object) => (spec(object).renewTime = 'yesterday')), 'spec.renewTime', 'Invalid');
    for (const time of ['2026-13-01T00:00:00Z', '2026-02-30T00:00:00Z', '2026-12-02T24:00:00Z', '2026-12-02 01:47:50Z', '2026-12-02T01:47:50']) {
      onlyError(createErrors(lease, (object) => (spec(object).acquireTime = time)), 'spec.acquireTime', 'Invalid');
    }
    expect(createErrors(lease, (object) => (spec(object).acquireTime = '2028-02-29T23:59:59.999999999Z'))).toEqual([]);
    onlyError(createErrors(lease, (object) => (spec(object).holderIdentity = 3)), 'spec.holderIdentity', 'Invalid');
    expect(createErrors(lease, (object) => (spec(object).renewTime = '2026-12-02T01:48:05+02:00'))).toEqual([]);
  });
});

describe('Event', () => {
  it('requires the kind and name of the object it is about', () => {
    const errors = createErrors(event, (object) => delete object.involvedObject);
    expect(messages(errors)).toEqual(['involvedObject.kind: Required value', 'involvedObject.name: Required value']);
    onlyError(createErrors(event, (object) => ((object.involvedObject as Json).name = '')), 'involvedObject.name', 'Required');
  });

  it('checks the type, count, reason and namespace', () => {
    onlyError(createErrors(event, (object) => (object.type = 'Error')), 'type', 'NotSupported');
    onlyError(createErrors(event, (object) => (object.count = -1)), 'count', 'Invalid');
    onlyError(createErrors(event, (object) => (object.reason = 'R'.repeat(129))), 'reason', 'Invalid');
    onlyError(createErrors(event, (object) => (object.message = { text: 'x' })), 'message', 'Invalid');
    const elsewhere = createErrors(event, (object) => ((object.involvedObject as Json).namespace = 'other'));
    expect(onlyError(elsewhere, 'involvedObject.namespace', 'Invalid')).toBe('involvedObject.namespace: Invalid value: "other": does not match event.namespace');
  });
});

describe('Namespace', () => {
  it('checks spec finalizers and the phase', () => {
    onlyError(createErrors(namespace, (object) => (spec(object).finalizers = ['bad name'])), 'spec.finalizers', 'Invalid');
    onlyError(createErrors(namespace, (object) => (object.status = { phase: 'Gone' })), 'status.phase', 'NotSupported');
  });
});

describe('validateUpdate', () => {
  function updateErrors(make: () => ApiObject, change: (object: ApiObject) => void, changeOld: (object: ApiObject) => void = () => {}): FieldError[] {
    const old = prepared(make, changeOld);
    const updated = prepared(make, changeOld);
    change(updated);
    return validateUpdate(info(old.kind), updated, old);
  }

  it('keeps the identity of an object', () => {
    expect(onlyError(updateErrors(pod, (object) => (object.metadata.name = 'web-1')), 'metadata.name', 'Invalid')).toBe(
      'metadata.name: Invalid value: "web-1": field is immutable',
    );
    onlyError(updateErrors(pod, (object) => (object.metadata.namespace = 'other')), 'metadata.namespace', 'Invalid');
    const withUid = (object: ApiObject): void => {
      Object.assign(object.metadata, { uid: 'u1', creationTimestamp: '2026-12-02T01:47:50Z' });
    };
    onlyError(updateErrors(pod, (object) => (object.metadata.uid = 'u2'), withUid), 'metadata.uid', 'Invalid');
    onlyError(updateErrors(pod, (object) => (object.metadata.creationTimestamp = '2027-01-01T00:00:00Z'), withUid), 'metadata.creationTimestamp', 'Invalid');
    // Server-owned fields left out of an update are the registry's to carry over.
    expect(updateErrors(pod, (object) => delete object.metadata.uid, withUid)).toEqual([]);
    expect(updateErrors(pod, (object) => (object.metadata.labels = { app: 'web', version: '2' }))).toEqual([]);
  });

  it('also runs every create rule', () => {
    onlyError(updateErrors(deployment, (object) => (spec(object).replicas = -2)), 'spec.replicas', 'Invalid');
  });

  it('refuses new finalizers once deletion was asked', () => {
    const deleting = (object: ApiObject): void => {
      Object.assign(object.metadata, { deletionTimestamp: '2026-12-02T01:47:50Z', finalizers: ['a.io/x'] });
    };
    onlyError(updateErrors(pod, (object) => (object.metadata.finalizers = ['a.io/x', 'a.io/y']), deleting), 'metadata.finalizers', 'Forbidden');
    expect(updateErrors(pod, (object) => (object.metadata.finalizers = []), deleting)).toEqual([]);
  });

  it("lets a pod change its images, deadline and tolerations' additions, nothing else", () => {
    expect(updateErrors(pod, (object) => (container(object).image = 'nginx:1.28'))).toEqual([]);
    expect(updateErrors(pod, (object) => (spec(object).activeDeadlineSeconds = 600))).toEqual([]);
    expect(updateErrors(pod, (object) => (spec(object).tolerations as Json[]).push({ key: 'b', operator: 'Exists' }))).toEqual([]);
    const removed = updateErrors(pod, (object) => (spec(object).tolerations = []));
    expect(onlyError(removed, 'spec', 'Forbidden')).toMatch(/^spec: Forbidden: pod updates may not change fields other than/);
    onlyError(updateErrors(pod, (object) => (container(object).command = ['sh'])), 'spec', 'Forbidden');
    onlyError(updateErrors(pod, (object) => (spec(object).restartPolicy = 'Never')), 'spec', 'Forbidden');
  });

  it('binds a pod to a node once', () => {
    expect(updateErrors(pod, (object) => (spec(object).nodeName = 'n1'))).toEqual([]);
    const bound = (object: ApiObject): void => {
      spec(object).nodeName = 'n1';
    };
    const moved = updateErrors(pod, (object) => (spec(object).nodeName = 'n2'), bound);
    expect(onlyError(moved, 'spec.nodeName', 'Invalid')).toBe(
      'spec.nodeName: Invalid value: "n2": field is immutable once set (a bound pod stays on its node)',
    );
  });

  it("keeps a Service's cluster IP once allocated", () => {
    const allocated = (object: ApiObject): void => {
      spec(object).clusterIP = '10.96.0.10';
    };
    onlyError(updateErrors(service, (object) => (spec(object).clusterIP = '10.96.0.11'), allocated), 'spec.clusterIP', 'Invalid');
    expect(updateErrors(service, (object) => (spec(object).clusterIP = '10.96.0.10'))).toEqual([]);
    expect(updateErrors(service, (object) => ((spec(object).ports as Json[])[0]!.port = 8080), allocated)).toEqual([]);
  });

  it('keeps the selector of ReplicaSets and Deployments', () => {
    const errors = updateErrors(deployment, (object) => {
      spec(object).selector = { matchLabels: { app: 'web' } };
    });
    expect(onlyError(errors, 'spec.selector', 'Invalid')).toBe('spec.selector: Invalid value: {"matchLabels":{"app":"web"}}: field is immutable');
    onlyError(updateErrors(replicaSet, (object) => ((spec(object).selector as Json).matchLabels = { app: 'web' })), 'spec.selector', 'Invalid');
    expect(updateErrors(deployment, (object) => (spec(object).replicas = 10))).toEqual([]);
  });

  it('freezes the content of immutable ConfigMaps and Secrets', () => {
    const frozen = (object: ApiObject): void => {
      object.immutable = true;
    };
    onlyError(updateErrors(configMap, (object) => ((object.data as Json).LOG_LEVEL = 'debug'), frozen), 'data', 'Forbidden');
    onlyError(updateErrors(configMap, (object) => delete object.immutable, frozen), 'immutable', 'Forbidden');
    const secretChange = updateErrors(secret, (object) => ((object.data as Json).username = 'cm9vdA=='), frozen);
    expect(onlyError(secretChange, 'data', 'Forbidden')).toBe('data: Forbidden: field is immutable when `immutable` is set');
    expect(updateErrors(configMap, (object) => ((object.data as Json).LOG_LEVEL = 'debug'))).toEqual([]);
    expect(updateErrors(secret, frozen)).toEqual([]);
    onlyError(updateErrors(secret, (object) => (object.type = 'kubernetes.io/basic-auth')), 'type', 'Invalid');
  });
});

describe('validateStatusUpdate', () => {
  function statusErrors(make: () => ApiObject, change: (object: ApiObject) => void): FieldError[] {
    const old = prepared(make);
    const updated = prepared(make);
    change(updated);
    return validateStatusUpdate(info(old.kind), updated, old);
  }

  it('accepts the phases of a pod, and nothing else', () => {
    for (const phase of ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown']) {
      expect(statusErrors(pod, (object) => (object.status = { phase, podIP: '10.244.1.5' }))).toEqual([]);
    }
    onlyError(statusErrors(pod, (object) => (object.status = { phase: 'Crashed' })), 'status.phase', 'NotSupported');
  });

  it('checks the metadata, identity included, but not the spec', () => {
    onlyError(statusErrors(pod, (object) => (object.metadata.name = 'other')), 'metadata.name', 'Invalid');
    expect(statusErrors(pod, (object) => (spec(object).containers = []))).toEqual([]);
  });

  it('checks container statuses, conditions and workload counts', () => {
    const restarts = statusErrors(pod, (object) => (object.status = { phase: 'Running', containerStatuses: [{ name: 'web', restartCount: -1 }] }));
    onlyError(restarts, 'status.containerStatuses[0].restartCount', 'Invalid');
    const condition = statusErrors(pod, (object) => (object.status = { conditions: [{ type: 'Ready', status: 'Yes' }] }));
    onlyError(condition, 'status.conditions[0].status', 'NotSupported');
    onlyError(statusErrors(replicaSet, (object) => (object.status = { replicas: 1, readyReplicas: 2 })), 'status.readyReplicas', 'Invalid');
    onlyError(statusErrors(node, (object) => ((object.status!.allocatable as Json).cpu = 'many')), 'status.allocatable[cpu]', 'Invalid');
  });
});

describe('malformed input', () => {
  const garbage: unknown[] = [null, undefined, 0, -1, 1.5, '', 'text', true, [], [null, 1, 'x', [], {}], {}, { x: { y: [1] } }];

  it('yields errors, never exceptions, wherever garbage appears', () => {
    for (const [kind, make] of Object.entries(MANIFESTS)) {
      const paths = collectPaths(prepared(make));
      for (const path of paths) {
        for (const value of garbage) {
          const object = prepared(make);
          setPath(object, path, value);
          const old = prepared(make);
          expect(() => validateCreate(info(kind), object)).not.toThrow();
          expect(() => validateUpdate(info(kind), object, old)).not.toThrow();
          expect(() => validateUpdate(info(kind), old, object)).not.toThrow();
          expect(() => validateStatusUpdate(info(kind), object, old)).not.toThrow();
          expect(() => messages(validateCreate(info(kind), object))).not.toThrow();
        }
      }
    }
  });

  it('survives objects that are not objects at all', () => {
    for (const kind of Object.keys(MANIFESTS)) {
      for (const value of garbage) {
        expect(() => validateCreate(info(kind), value as ApiObject)).not.toThrow();
        expect(() => validateUpdate(info(kind), value as ApiObject, value as ApiObject)).not.toThrow();
        const object = { apiVersion: 'v1', kind, metadata: value } as ApiObject;
        expect(validateCreate(info(kind), object).length).toBeGreaterThan(0);
      }
    }
  });
});

/** Every path to a value in a JSON tree (objects and arrays included), as key lists. */
function collectPaths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const paths: (string | number)[][] = prefix.length > 0 ? [prefix] : [];
  if (Array.isArray(value)) value.forEach((entry, i) => paths.push(...collectPaths(entry, [...prefix, i])));
  else if (typeof value === 'object' && value !== null) {
    for (const [name, entry] of Object.entries(value)) paths.push(...collectPaths(entry, [...prefix, name]));
  }
  return paths;
}

function setPath(root: unknown, path: (string | number)[], value: unknown): void {
  let current = root as Record<string | number, unknown>;
  for (const part of path.slice(0, -1)) current = current[part] as Record<string | number, unknown>;
  current[path[path.length - 1]!] = value;
}
