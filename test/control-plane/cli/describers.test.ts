/**
 * `describe` lays objects out as kubectl does: aligned `Field:  value` blocks, labels one per
 * line, kind sections (a pod's containers and conditions, a deployment's replicas and pod
 * template, a service's ports and endpoints, a config map's data), YAML for kinds without a
 * layout, and the events about the object — oldest first, repeats as `(xN over …)`, matched
 * by kind, name and uid.
 */
import type { ApiObject } from '../../../control-plane/api/types.js';
import { eventsAbout } from '../../../control-plane/cli/describe-writer.js';
import { describeObject } from '../../../control-plane/cli/describers.js';

const NOW = new Date('2026-12-02T02:47:50Z');
const CREATED = '2026-12-02T01:47:50Z';

function lines(...rows: string[]): string {
  return `${rows.join('\n')}\n`;
}

function event(name: string, involved: Record<string, string>, fields: Record<string, unknown>): ApiObject {
  return { apiVersion: 'v1', kind: 'Event', metadata: { name, namespace: 'default' }, involvedObject: involved, count: 1, ...fields };
}

const pod: ApiObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'web-1',
    namespace: 'default',
    uid: 'p1',
    creationTimestamp: CREATED,
    labels: { app: 'web', 'pod-template-hash': 'abc' },
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', uid: 'rs1', controller: true }],
  },
  spec: { nodeName: 'n1', containers: [{ name: 'web', image: 'nginx:1.25', ports: [{ containerPort: 80 }], env: [{ name: 'MODE', value: 'prod' }] }] },
  status: {
    phase: 'Running',
    hostIP: '10.0.0.5',
    podIP: '10.1.0.7',
    startTime: '2026-12-02T01:47:51Z',
    conditions: [
      { type: 'Ready', status: 'True' },
      { type: 'PodScheduled', status: 'True' },
    ],
    containerStatuses: [
      { name: 'web', ready: true, restartCount: 0, containerID: 'balsa://c1', imageID: 'sha256:1', state: { running: { startedAt: '2026-12-02T01:47:55Z' } } },
    ],
  },
};

const podEvents: ApiObject[] = [
  event('e2', { kind: 'Pod', name: 'web-1', uid: 'p1' }, {
    type: 'Normal',
    reason: 'Started',
    message: 'Started container web',
    firstTimestamp: '2026-12-02T01:47:55Z',
    lastTimestamp: '2026-12-02T01:47:55Z',
    source: { component: 'node-agent', host: 'n1' },
  }),
  event('e1', { kind: 'Pod', name: 'web-1', uid: 'p1' }, {
    type: 'Normal',
    reason: 'Scheduled',
    message: 'Successfully assigned default/web-1 to n1',
    firstTimestamp: CREATED,
    lastTimestamp: CREATED,
    source: { component: 'default-scheduler' },
  }),
  event('e3', { kind: 'Pod', name: 'web-1', uid: 'p1' }, {
    type: 'Warning',
    reason: 'Unhealthy',
    message: 'Readiness probe failed',
    firstTimestamp: '2026-12-02T02:37:50Z',
    lastTimestamp: '2026-12-02T02:46:50Z',
    count: 3,
    source: { component: 'node-agent', host: 'n1' },
  }),
];

test('a pod: node, status, containers, conditions, events', () => {
  expect(describeObject(pod, { now: NOW, events: podEvents })).toBe(
    lines(
      'Name:               web-1',
      'Namespace:          default',
      'Node:               n1/10.0.0.5',
      'Start Time:         Wed, 02 Dec 2026 01:47:51 +0000',
      'Labels:             app=web',
      '                    pod-template-hash=abc',
      'Annotations:        <none>',
      'CreationTimestamp:  Wed, 02 Dec 2026 01:47:50 +0000',
      'Status:             Running',
      'IP:                 10.1.0.7',
      'IPs:',
      '  IP:           10.1.0.7',
      'Controlled By:  ReplicaSet/web-abc',
      'Containers:',
      '  web:',
      '    Container ID:   balsa://c1',
      '    Image:          nginx:1.25',
      '    Image ID:       sha256:1',
      '    Port:           80/TCP',
      '    Host Port:      0/TCP',
      '    State:          Running',
      '      Started:      Wed, 02 Dec 2026 01:47:55 +0000',
      '    Ready:          True',
      '    Restart Count:  0',
      '    Environment:',
      '      MODE:  prod',
      '    Mounts:  <none>',
      'Conditions:',
      '  Type           Status',
      '  Ready          True',
      '  PodScheduled   True',
      'Volumes:         <none>',
      'Node-Selectors:  <none>',
      'Tolerations:     <none>',
      'Events:',
      '  Type     Reason     Age                From               Message',
      '  ----     ------     ----               ----               -------',
      '  Normal   Scheduled  60m                default-scheduler  Successfully assigned default/web-1 to n1',
      '  Normal   Started    59m                node-agent, n1     Started container web',
      '  Warning  Unhealthy  60s (x3 over 10m)  node-agent, n1     Readiness probe failed',
    ),
  );
});

test('a deployment: replicas, strategy, pod template, conditions', () => {
  const deployment: ApiObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', creationTimestamp: CREATED, labels: { app: 'web' }, annotations: { 'deployment.kubernetes.io/revision': '1' } },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.25', ports: [{ containerPort: 80, protocol: 'TCP' }] }] } },
    },
    status: {
      replicas: 3,
      updatedReplicas: 3,
      availableReplicas: 2,
      unavailableReplicas: 1,
      conditions: [
        { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' },
        { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' },
      ],
    },
  };
  expect(describeObject(deployment, { now: NOW, events: [] })).toBe(
    lines(
      'Name:                   web',
      'Namespace:              default',
      'CreationTimestamp:      Wed, 02 Dec 2026 01:47:50 +0000',
      'Labels:                 app=web',
      'Annotations:            deployment.kubernetes.io/revision: 1',
      'Selector:               app=web',
      'Replicas:               3 desired | 3 updated | 3 total | 2 available | 1 unavailable',
      'StrategyType:           RollingUpdate',
      'MinReadySeconds:        0',
      'RollingUpdateStrategy:  25% max unavailable, 25% max surge',
      'Pod Template:',
      '  Labels:  app=web',
      '  Containers:',
      '   web:',
      '    Image:        nginx:1.25',
      '    Port:         80/TCP',
      '    Host Port:    0/TCP',
      '    Environment:  <none>',
      '    Mounts:       <none>',
      '  Volumes:        <none>',
      'Conditions:',
      '  Type         Status  Reason',
      '  ----         ------  ------',
      '  Available    True    MinimumReplicasAvailable',
      '  Progressing  True    NewReplicaSetAvailable',
      'Events:        <none>',
    ),
  );
});

test('a service: each port with its own endpoints', () => {
  const service: ApiObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'default', creationTimestamp: CREATED },
    spec: { selector: { app: 'web' }, clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }, { name: 'metrics', port: 9090, targetPort: 'metrics' }] },
  };
  const endpoints: ApiObject = {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'web', namespace: 'default' },
    subsets: [{ addresses: [{ ip: '10.1.0.7' }, { ip: '10.1.0.8' }], ports: [{ name: 'http', port: 8080 }, { name: 'metrics', port: 9090 }] }],
  };
  expect(describeObject(service, { now: NOW, events: [], endpoints })).toBe(
    lines(
      'Name:               web',
      'Namespace:          default',
      'Labels:             <none>',
      'Annotations:        <none>',
      'CreationTimestamp:  Wed, 02 Dec 2026 01:47:50 +0000',
      'Selector:           app=web',
      'Type:               ClusterIP',
      'IP:                 10.96.0.20',
      'Port:               http  80/TCP',
      'TargetPort:         8080/TCP',
      'Endpoints:          10.1.0.7:8080,10.1.0.8:8080',
      'Port:               metrics  9090/TCP',
      'TargetPort:         metrics',
      'Endpoints:          10.1.0.7:9090,10.1.0.8:9090',
      'Session Affinity:   None',
      'Events:             <none>',
    ),
  );
});

test('a config map: its data; a kind without a layout: YAML', () => {
  const configMap: ApiObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'default', creationTimestamp: CREATED }, data: { mode: 'prod', 'app.conf': 'a=1\nb=2' } };
  expect(describeObject(configMap, { now: NOW, events: [] })).toBe(
    lines(
      'Name:               settings',
      'Namespace:          default',
      'Labels:             <none>',
      'Annotations:        <none>',
      'CreationTimestamp:  Wed, 02 Dec 2026 01:47:50 +0000',
      '',
      'Data',
      '====',
      'app.conf:',
      '----',
      'a=1',
      'b=2',
      'mode:',
      '----',
      'prod',
      'Events:  <none>',
    ),
  );
  const lease: ApiObject = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'n1', namespace: 'kube-node-lease', creationTimestamp: CREATED }, spec: { holderIdentity: 'n1', leaseDurationSeconds: 40 } };
  expect(describeObject(lease, { now: NOW, events: [] })).toBe(
    lines(
      'Name:               n1',
      'Namespace:          kube-node-lease',
      'Labels:             <none>',
      'Annotations:        <none>',
      'CreationTimestamp:  Wed, 02 Dec 2026 01:47:50 +0000',
      'Spec:',
      '  holderIdentity: n1',
      '  leaseDurationSeconds: 40',
      'Events:  <none>',
    ),
  );
});

test('a node: taints, conditions table, addresses, capacity', () => {
  const node: ApiObject = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'n1', uid: 'n1-uid', creationTimestamp: CREATED, labels: { 'kubernetes.io/hostname': 'n1' } },
    spec: { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }], unschedulable: true },
    status: {
      conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: '2026-12-02T02:47:40Z', lastTransitionTime: CREATED, reason: 'NodeReady', message: 'node agent is posting ready status' }],
      addresses: [{ type: 'InternalIP', address: '10.0.0.5' }],
      capacity: { cpu: '4', memory: '8Gi' },
    },
  };
  const text = describeObject(node, { now: NOW, events: [] });
  expect(text).toContain('Taints:             dedicated=gpu:NoSchedule\nUnschedulable:      true\n');
  expect(text).toContain(
    lines(
      'Conditions:',
      '  Type   Status  LastHeartbeatTime                LastTransitionTime               Reason     Message',
      '  ----   ------  -----------------                ------------------               ------     -------',
      '  Ready  True    Wed, 02 Dec 2026 02:47:40 +0000  Wed, 02 Dec 2026 01:47:50 +0000  NodeReady  node agent is posting ready status',
      'Addresses:',
      '  InternalIP:  10.0.0.5',
      'Capacity:',
      '  cpu:     4',
      '  memory:  8Gi',
    ),
  );
});

test('events match by kind and name, and by uid when both sides have one', () => {
  const about = [
    event('same', { kind: 'Pod', name: 'web-1', uid: 'p1' }, {}),
    event('no-uid', { kind: 'Pod', name: 'web-1' }, {}),
    event('older-pod', { kind: 'Pod', name: 'web-1', uid: 'p0' }, {}),
    event('other-kind', { kind: 'Service', name: 'web-1' }, {}),
    event('other-namespace', { kind: 'Pod', name: 'web-1', namespace: 'prod' }, {}),
  ];
  expect(eventsAbout(pod, about).map((item) => item.metadata.name)).toEqual(['same', 'no-uid']);
});

test("a pod's resourceFieldRef variables: the value for the container, or node allocatable for a limit it does not set", () => {
  const container = {
    name: 'app',
    image: 'app:1',
    resources: { limits: { memory: '64Mi' }, requests: { memory: '64Mi' } },
    env: [
      { name: 'MEMORY_MI', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
      { name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
      { name: 'CPU_REQUEST', valueFrom: { resourceFieldRef: { resource: 'requests.cpu', divisor: '1m' } } },
    ],
  };
  const text = describeObject({ ...pod, spec: { containers: [container] }, status: {} }, { now: NOW, events: [] });
  expect(text).toContain(lines('    Environment:', '      MEMORY_MI:    64 (limits.memory)', '      CPU:          node allocatable (limits.cpu)', '      CPU_REQUEST:  0 (requests.cpu)'));
});
