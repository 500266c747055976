/**
 * Typical manifests of each kind, as a person would write them (no defaults filled in),
 * fresh on every call so that a test can break one field without touching the others.
 */
import type { ResourceInfo } from '../../../control-plane/api/resources.js';
import { RESOURCES } from '../../../control-plane/api/resources.js';
import type { ApiObject } from '../../../control-plane/api/types.js';

export function info(kind: string): ResourceInfo {
  const found = RESOURCES.find((resource) => resource.kind === kind);
  if (found === undefined) throw new Error(`no resource ${kind}`);
  return found;
}

export function podSpec(): Record<string, unknown> {
  return {
    containers: [
      {
        name: 'web',
        image: 'nginx:1.27',
        ports: [{ name: 'http', containerPort: 80 }],
        env: [{ name: 'MODE', value: 'production' }],
        resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } },
        livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, initialDelaySeconds: 3 },
        readinessProbe: { tcpSocket: { port: 80 } },
      },
      { name: 'sidecar', image: 'busybox', command: ['sh', '-c', 'sleep infinity'] },
    ],
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'web', effect: 'NoSchedule' }],
  };
}

export function pod(): ApiObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-0', namespace: 'default', labels: { app: 'web' } },
    spec: podSpec(),
  };
}

export function deployment(): ApiObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['front'] }] },
      template: {
        metadata: { labels: { app: 'web', tier: 'front' } },
        spec: podSpec(),
      },
    },
  };
}

export function replicaSet(): ApiObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'web-5d4f8c', namespace: 'default' },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web', 'pod-template-hash': '5d4f8c' } },
      template: { metadata: { labels: { app: 'web', 'pod-template-hash': '5d4f8c' } }, spec: podSpec() },
    },
  };
}

export function service(): ApiObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      selector: { app: 'web' },
      ports: [
        { name: 'http', port: 80, targetPort: 'http' },
        { name: 'metrics', port: 9090 },
      ],
    },
  };
}

export function configMap(): ApiObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'web-config', namespace: 'default' },
    data: { 'nginx.conf': 'server { listen 80; }', LOG_LEVEL: 'info' },
    binaryData: { 'logo.png': Buffer.from([0x89, 0x50, 0x4e, 0x47]).toString('base64') },
  };
}

export function secret(): ApiObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'db-credentials', namespace: 'default' },
    data: { username: Buffer.from('admin').toString('base64') },
    stringData: { password: 's3cret!' },
  };
}

export function lease(): ApiObject {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: 'balsa-controller-manager', namespace: 'kube-system' },
    spec: {
      holderIdentity: 'cm-1_4f9a',
      leaseDurationSeconds: 15,
      acquireTime: '2026-12-02T01:47:50.123456Z',
      renewTime: '2026-12-02T01:48:05.000001Z',
      leaseTransitions: 2,
    },
  };
}

export function event(): ApiObject {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'web-0.17a3b4c5d6e7f8a9', namespace: 'default' },
    involvedObject: { kind: 'Pod', name: 'web-0', namespace: 'default', uid: 'u1', apiVersion: 'v1' },
    reason: 'Scheduled',
    message: 'Successfully assigned default/web-0 to n1',
    type: 'Normal',
    count: 1,
    source: { component: 'default-scheduler' },
  };
}

export function node(): ApiObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'n1', labels: { 'kubernetes.io/hostname': 'n1' } },
    spec: { taints: [{ key: 'dedicated', value: 'web', effect: 'NoSchedule' }], unschedulable: false },
    status: {
      capacity: { cpu: '4', memory: '8Gi', pods: '110' },
      allocatable: { cpu: '3800m', memory: '7.5Gi', pods: '110' },
      addresses: [{ type: 'InternalIP', address: '10.0.0.11' }],
      conditions: [{ type: 'Ready', status: 'True' }],
    },
  };
}

export function namespace(): ApiObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } };
}

export function endpoints(): ApiObject {
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'web', namespace: 'default' },
    subsets: [
      {
        addresses: [{ ip: '10.244.1.5', nodeName: 'n1', targetRef: { kind: 'Pod', name: 'web-0' } }],
        notReadyAddresses: [{ ip: 'fd00::5' }],
        ports: [
          { name: 'http', port: 80, protocol: 'TCP' },
          { name: 'metrics', port: 9090 },
        ],
      },
    ],
  };
}

/** Every fixture, by kind. */
export const MANIFESTS: Readonly<Record<string, () => ApiObject>> = {
  Pod: pod,
  Deployment: deployment,
  ReplicaSet: replicaSet,
  Service: service,
  ConfigMap: configMap,
  Secret: secret,
  Lease: lease,
  Event: event,
  Node: node,
  Namespace: namespace,
  Endpoints: endpoints,
};
