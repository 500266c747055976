/**
 * Defaulting fills in what Kubernetes fills in, keeps whatever a manifest says, runs twice
 * to the same result, and never throws on malformed input (it runs before validation).
 */
import { applyCreateDefaults, applyDefaults } from '../../../control-plane/api/defaults.js';
import type { ApiObject } from '../../../control-plane/api/types.js';
import { deployment, info, MANIFESTS, namespace, pod, replicaSet, secret, service } from './fixtures.js';

type Json = Record<string, unknown>;

function defaulted(object: ApiObject): ApiObject {
  applyDefaults(info(object.kind), object);
  return object;
}

function containers(spec: unknown): Json[] {
  return (spec as { containers: Json[] }).containers;
}

describe('Pod defaults', () => {
  it('fills in the pod-level defaults', () => {
    expect(defaulted(pod()).spec).toMatchObject({
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      schedulerName: 'default-scheduler',
    });
  });

  it('keeps what the manifest says', () => {
    const object = pod();
    Object.assign(object.spec!, { restartPolicy: 'Never', terminationGracePeriodSeconds: 0, schedulerName: 'mine' });
    expect(defaulted(object).spec).toMatchObject({ restartPolicy: 'Never', terminationGracePeriodSeconds: 0, schedulerName: 'mine' });
  });

  it.each([
    ['nginx', 'Always'],
    ['nginx:latest', 'Always'],
    ['nginx:1.27', 'IfNotPresent'],
    ['registry:5000/team/app', 'Always'],
    ['registry:5000/team/app:v2', 'IfNotPresent'],
    ['nginx@sha256:0123abcd', 'IfNotPresent'],
  ])('pulls %s with policy %s', (image, policy) => {
    const object = pod();
    containers(object.spec)[0]!.image = image;
    expect(containers(defaulted(object).spec)[0]!.imagePullPolicy).toBe(policy);
  });

  it('fills in container, port and probe defaults', () => {
    const [web, sidecar] = containers(defaulted(pod()).spec);
    expect(web).toMatchObject({
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
      ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }],
      livenessProbe: {
        httpGet: { path: '/healthz', port: 'http', scheme: 'HTTP' },
        initialDelaySeconds: 3,
        timeoutSeconds: 1,
        periodSeconds: 10,
        successThreshold: 1,
        failureThreshold: 3,
      },
      readinessProbe: { tcpSocket: { port: 80 }, timeoutSeconds: 1, periodSeconds: 10 },
    });
    expect(sidecar!.imagePullPolicy).toBe('Always');
  });

  it("gives an httpGet probe Kubernetes' path and scheme", () => {
    const object = pod();
    containers(object.spec)[0]!.livenessProbe = { httpGet: { port: 8080 } };
    expect(containers(defaulted(object).spec)[0]!.livenessProbe).toMatchObject({ httpGet: { path: '/', scheme: 'HTTP', port: 8080 } });
  });

  it('gives a fieldRef of an environment variable apiVersion v1, keeping one the manifest gives', () => {
    const object = pod();
    containers(object.spec)[0]!.env = [
      { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      { name: 'NAME', valueFrom: { fieldRef: { apiVersion: 'v2', fieldPath: 'metadata.name' } } },
      { name: 'PLAIN', value: 'x' },
    ];
    expect(containers(defaulted(object).spec)[0]!.env).toEqual([
      { name: 'NODE', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } } },
      { name: 'NAME', valueFrom: { fieldRef: { apiVersion: 'v2', fieldPath: 'metadata.name' } } },
      { name: 'PLAIN', value: 'x' },
    ]);
  });

  it('requests the limit of a resource the container limits but does not request', () => {
    const object = pod();
    containers(object.spec)[0]!.resources = { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '250m' } };
    containers(object.spec)[1]!.resources = { limits: { memory: '64Mi' } };
    const [web, sidecar] = containers(defaulted(object).spec);
    expect(web!.resources).toEqual({ limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '250m', memory: '1Gi' } });
    expect(sidecar!.resources).toEqual({ limits: { memory: '64Mi' }, requests: { memory: '64Mi' } });
  });
});

describe('create defaults', () => {
  it('starts a pod Pending, with its QoS class', () => {
    const object = defaulted(pod());
    applyCreateDefaults(info('Pod'), object);
    expect(object.status).toEqual({ phase: 'Pending', qosClass: 'Burstable' });
  });

  it.each([
    ['BestEffort', undefined, undefined],
    ['Guaranteed', { cpu: '1', memory: '1Gi' }, { cpu: '1000m', memory: '1024Mi' }],
    ['Burstable', { cpu: '1', memory: '1Gi' }, { cpu: '2', memory: '1Gi' }],
  ])('classifies a pod as %s', (qosClass, requests, limits) => {
    const object = pod();
    for (const container of containers(object.spec)) {
      container.resources = { ...(requests && { requests }), ...(limits && { limits }) };
    }
    applyDefaults(info('Pod'), object);
    applyCreateDefaults(info('Pod'), object);
    expect(object.status!.qosClass).toBe(qosClass);
  });

  it('makes a namespace Active', () => {
    const object = defaulted(namespace());
    applyCreateDefaults(info('Namespace'), object);
    expect(object.spec).toEqual({ finalizers: ['kubernetes'] });
    expect(object.status).toEqual({ phase: 'Active' });
  });

  it('keeps a status already given and leaves other kinds alone', () => {
    const object = pod();
    object.status = { phase: 'Running' };
    applyCreateDefaults(info('Pod'), object);
    expect(object.status.phase).toBe('Running');
    const other = service();
    applyCreateDefaults(info('Service'), other);
    expect(other.status).toBeUndefined();
  });
});

describe('workload defaults', () => {
  it('gives a ReplicaSet one replica and its template the pod defaults', () => {
    const object = replicaSet();
    delete object.spec!.replicas;
    defaulted(object);
    expect(object.spec!.replicas).toBe(1);
    const template = object.spec!.template as { spec: Json };
    expect(template.spec.restartPolicy).toBe('Always');
    expect(containers(template.spec)[0]!.imagePullPolicy).toBe('IfNotPresent');
  });

  it('gives a Deployment a 25% rolling update, history and a progress deadline', () => {
    const object = deployment();
    delete object.spec!.replicas;
    expect(defaulted(object).spec).toMatchObject({
      replicas: 1,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      template: { spec: { dnsPolicy: 'ClusterFirst' } },
    });
  });

  it('completes a partial rolling update and leaves other strategies without one', () => {
    const partial = deployment();
    partial.spec!.strategy = { rollingUpdate: { maxSurge: 1 } };
    expect(defaulted(partial).spec!.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: '25%' } });
    const recreate = deployment();
    recreate.spec!.strategy = { type: 'Recreate' };
    expect(defaulted(recreate).spec!.strategy).toEqual({ type: 'Recreate' });
  });

  it('completes a BlueGreen strategy: promoted automatically, old version kept 30 s, 600 s to become healthy', () => {
    const object = deployment();
    object.spec!.strategy = { type: 'BlueGreen', blueGreen: { activeService: 'web', scaleDownDelaySeconds: 5 } };
    expect(defaulted(object).spec!.strategy).toEqual({
      type: 'BlueGreen',
      blueGreen: { activeService: 'web', autoPromote: true, scaleDownDelaySeconds: 5, healthTimeoutSeconds: 600 },
    });
  });
});

describe('Service defaults', () => {
  it('defaults the type, affinity, protocols and target ports', () => {
    expect(defaulted(service()).spec).toMatchObject({
      type: 'ClusterIP',
      sessionAffinity: 'None',
      ports: [
        { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
        { name: 'metrics', port: 9090, targetPort: 9090, protocol: 'TCP' },
      ],
    });
  });
});

describe('Secret defaults', () => {
  it('is Opaque and folds stringData into base64 data, stringData winning', () => {
    const object = secret();
    (object.stringData as Json).username = 'root';
    defaulted(object);
    expect(object.type).toBe('Opaque');
    expect(object.stringData).toBeUndefined();
    const data = object.data as Record<string, string>;
    expect(Buffer.from(data.password!, 'base64').toString('utf8')).toBe('s3cret!');
    expect(Buffer.from(data.username!, 'base64').toString('utf8')).toBe('root');
  });

  it('creates data when only stringData is given, and keeps a given type', () => {
    const object: ApiObject = { ...secret(), type: 'kubernetes.io/basic-auth', data: undefined };
    defaulted(object);
    expect(object.type).toBe('kubernetes.io/basic-auth');
    expect(object.data).toEqual({ password: Buffer.from('s3cret!').toString('base64') });
  });

  it('leaves a malformed stringData for validation to report', () => {
    const object = secret();
    object.stringData = { password: 42 };
    defaulted(object);
    expect(object.stringData).toEqual({ password: 42 });
  });
});

describe('defaulting in general', () => {
  it('is idempotent for every kind', () => {
    for (const make of Object.values(MANIFESTS)) {
      const once = defaulted(make());
      const twice = defaulted(structuredClone(once));
      expect(twice).toEqual(once);
    }
  });

  it('never throws on malformed input', () => {
    const garbage: unknown[] = [null, 7, 'text', [], [1, 'a', null], { containers: 'x' }, { containers: [null, 3, { ports: 'p' }] }, true];
    for (const kind of Object.keys(MANIFESTS)) {
      for (const value of garbage) {
        const object = { apiVersion: 'v1', kind, metadata: {}, spec: value, data: value, stringData: value, status: value } as ApiObject;
        expect(() => applyDefaults(info(kind), object)).not.toThrow();
        expect(() => applyCreateDefaults(info(kind), object)).not.toThrow();
        const template = { ...object, spec: { template: value, strategy: value, ports: [value], replicas: value } } as ApiObject;
        expect(() => applyDefaults(info(kind), template)).not.toThrow();
      }
      expect(() => applyDefaults(info(kind), null as unknown as ApiObject)).not.toThrow();
    }
  });
});
