/**
 * `get`'s tables print kubectl's columns for each kind, computed from fixed objects at a fixed
 * now: READY/STATUS/RESTARTS of pods (waiting reasons, Terminating), replica counts,
 * service types, ports and external IPs, node status and roles, endpoints cut after three,
 * events' involved objects, and the NAMESPACE / LABELS / kind-prefixed variants.
 */
import { resourceByName } from '../../../control-plane/api/resources.js';
import type { ApiObject } from '../../../control-plane/api/types.js';
import { formatTable } from '../../../control-plane/cli/tab-writer.js';
import { tableHeader, tableRows } from '../../../control-plane/api/table-columns.js';
import type { TableOptions } from '../../../control-plane/api/table-columns.js';

const NOW = new Date('2026-12-02T02:47:50Z');
const TWELVE_DAYS_AGO = '2026-11-20T02:47:50Z';

function table(resource: string, objects: ApiObject[], options: Partial<TableOptions> = {}): string {
  const full: TableOptions = { info: resourceByName(resource)!, wide: false, withNamespace: false, withKind: false, showLabels: false, now: NOW, ...options };
  return formatTable([tableHeader(full), ...tableRows(objects, full)]);
}

function lines(...rows: string[]): string {
  return `${rows.join('\n')}\n`;
}

const pods: ApiObject[] = [
  {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-1', namespace: 'default', creationTimestamp: '2026-12-02T02:44:30Z', labels: { app: 'web', tier: 'fe' } },
    spec: { nodeName: 'n1', containers: [{ name: 'web', image: 'nginx' }, { name: 'sidecar', image: 'busybox' }] },
    status: {
      phase: 'Running',
      podIP: '10.0.0.7',
      containerStatuses: [
        { name: 'web', ready: true, restartCount: 1, state: { running: { startedAt: '2026-12-02T02:45:00Z' } } },
        { name: 'sidecar', ready: false, restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } } },
      ],
    },
  },
  {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'db', namespace: 'data', creationTimestamp: '2026-12-01T21:47:50Z', deletionTimestamp: '2026-12-02T02:47:00Z' },
    spec: { containers: [{ name: 'db', image: 'postgres' }] },
    status: { phase: 'Running', containerStatuses: [{ name: 'db', ready: true, restartCount: 0, state: { running: {} } }] },
  },
  { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'new', namespace: 'default' }, spec: { containers: [{ name: 'a', image: 'a' }] } },
];

describe('pods', () => {
  test('NAME READY STATUS RESTARTS AGE', () => {
    expect(table('pods', pods)).toBe(
      lines(
        'NAME    READY   STATUS             RESTARTS   AGE',
        'web-1   1/2     CrashLoopBackOff   5          3m20s',
        'db      1/1     Terminating        0          5h',
        'new     0/1     Pending            0          <unknown>',
      ),
    );
  });

  test('wide, across namespaces, with labels', () => {
    expect(table('pods', pods.slice(0, 2), { wide: true, withNamespace: true, showLabels: true })).toBe(
      lines(
        'NAMESPACE   NAME    READY   STATUS             RESTARTS   AGE     IP         NODE     NOMINATED NODE   READINESS GATES   LABELS',
        'default     web-1   1/2     CrashLoopBackOff   5          3m20s   10.0.0.7   n1       <none>           <none>            app=web,tier=fe',
        'data        db      1/1     Terminating        0          5h      <none>     <none>   <none>           <none>            <none>',
      ),
    );
  });

  test('terminated containers and init containers set the status', () => {
    const base = pods[2]!;
    const completed: ApiObject = { ...base, status: { phase: 'Succeeded', containerStatuses: [{ name: 'a', restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }] } };
    const killed: ApiObject = { ...base, status: { phase: 'Failed', containerStatuses: [{ name: 'a', restartCount: 2, state: { terminated: { exitCode: 137, signal: 9 } } }] } };
    const init: ApiObject = {
      ...base,
      spec: { initContainers: [{ name: 'i1' }, { name: 'i2' }], containers: [{ name: 'a' }] },
      status: { phase: 'Pending', initContainerStatuses: [{ name: 'i1', restartCount: 0, state: { terminated: { exitCode: 0 } } }, { name: 'i2', restartCount: 3, state: { running: {} } }] },
    };
    const rows = tableRows([completed, killed, init], { info: resourceByName('pods')!, wide: false, withNamespace: false, withKind: false, showLabels: false, now: NOW });
    expect(rows.map((row) => [row[2], row[3]])).toEqual([
      ['Completed', '0'],
      ['Signal:9', '2'],
      ['Init:1/2', '3'],
    ]);
  });
});

test('deployments, wide', () => {
  const deployment: ApiObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', creationTimestamp: '2026-11-29T23:47:50Z' },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['fe', 'be'] }] },
      template: { spec: { containers: [{ name: 'web', image: 'nginx:1.25' }, { name: 'sidecar', image: 'busybox' }] } },
    },
    status: { replicas: 3, readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
  };
  expect(table('deploy', [deployment], { wide: true })).toBe(
    lines(
      'NAME   READY   UP-TO-DATE   AVAILABLE   AGE    CONTAINERS    IMAGES               SELECTOR',
      'web    2/3     3            2           2d3h   web,sidecar   nginx:1.25,busybox   app=web,tier in (be,fe)',
    ),
  );
});

test('replicasets, named with their kind when several kinds print together', () => {
  const replicaSet: ApiObject = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'web-5d9c7', namespace: 'default', creationTimestamp: TWELVE_DAYS_AGO },
    spec: { replicas: 2, selector: { matchLabels: { app: 'web' } } },
    status: { replicas: 2, readyReplicas: 1 },
  };
  expect(table('rs', [replicaSet], { withKind: true })).toBe(
    lines('NAME                        DESIRED   CURRENT   READY   AGE', 'replicaset.apps/web-5d9c7   2         2         1       12d'),
  );
});

test('services: types, cluster IPs, external IPs and ports', () => {
  const service = (name: string, spec: Record<string, unknown>, status?: Record<string, unknown>): ApiObject => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default', creationTimestamp: TWELVE_DAYS_AGO },
    spec,
    ...(status ? { status } : {}),
  });
  const services = [
    service('kubernetes', { clusterIP: '10.96.0.1', ports: [{ port: 443, protocol: 'TCP' }] }),
    service('web', { type: 'NodePort', clusterIP: '10.96.0.20', selector: { app: 'web' }, ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }, { port: 443, nodePort: 30443 }] }),
    service('lb', { type: 'LoadBalancer', clusterIP: '10.96.0.30', ports: [{ port: 53, protocol: 'UDP' }] }),
    service('lb2', { type: 'LoadBalancer', clusterIP: '10.96.0.31', ports: [] }, { loadBalancer: { ingress: [{ ip: '192.0.2.1' }] } }),
    service('headless', { clusterIP: 'None', selector: { app: 'db' } }),
  ];
  expect(table('svc', services, { wide: true })).toBe(
    lines(
      'NAME         TYPE           CLUSTER-IP   EXTERNAL-IP   PORT(S)                      AGE   SELECTOR',
      'kubernetes   ClusterIP      10.96.0.1    <none>        443/TCP                      12d   <none>',
      'web          NodePort       10.96.0.20   <none>        80:30080/TCP,443:30443/TCP   12d   app=web',
      'lb           LoadBalancer   10.96.0.30   <pending>     53/UDP                       12d   <none>',
      'lb2          LoadBalancer   10.96.0.31   192.0.2.1     <none>                       12d   <none>',
      'headless     ClusterIP      None         <none>        <none>                       12d   app=db',
    ),
  );
});

test('nodes: Ready condition, cordon, roles; wide adds addresses and node info', () => {
  const node = (name: string, ready: string | undefined, extra: Partial<ApiObject> = {}): ApiObject => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, creationTimestamp: TWELVE_DAYS_AGO, ...(extra.metadata ?? {}) },
    spec: extra.spec ?? {},
    status: {
      ...(ready === undefined ? {} : { conditions: [{ type: 'Ready', status: ready }] }),
      nodeInfo: { kubeletVersion: 'v0.1.0', osImage: 'Debian GNU/Linux 12', kernelVersion: '6.1.0', containerRuntimeVersion: 'balsa://0.1' },
      addresses: [{ type: 'InternalIP', address: `10.0.0.${name.slice(1)}` }],
    },
  });
  const nodes = [
    node('n1', 'True', { metadata: { labels: { 'node-role.kubernetes.io/control-plane': '', 'node-role.kubernetes.io/master': '' } } }),
    node('n2', 'False', { spec: { unschedulable: true } }),
    node('n3', undefined),
  ];
  expect(table('nodes', nodes)).toBe(
    lines(
      'NAME   STATUS                        ROLES                  AGE   VERSION',
      'n1     Ready                         control-plane,master   12d   v0.1.0',
      'n2     NotReady,SchedulingDisabled   <none>                 12d   v0.1.0',
      'n3     Unknown                       <none>                 12d   v0.1.0',
    ),
  );
  expect(table('no', nodes.slice(0, 1), { wide: true })).toBe(
    lines(
      'NAME   STATUS   ROLES                  AGE   VERSION   INTERNAL-IP   EXTERNAL-IP   OS-IMAGE              KERNEL-VERSION   CONTAINER-RUNTIME',
      'n1     Ready    control-plane,master   12d   v0.1.0    10.0.0.1      <none>        Debian GNU/Linux 12   6.1.0            balsa://0.1',
    ),
  );
});

test('namespaces, configmaps, secrets, leases', () => {
  const meta = (name: string) => ({ name, namespace: 'default', creationTimestamp: TWELVE_DAYS_AGO });
  expect(table('ns', [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default', creationTimestamp: TWELVE_DAYS_AGO }, status: { phase: 'Active' } }])).toBe(
    lines('NAME      STATUS   AGE', 'default   Active   12d'),
  );
  expect(table('cm', [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('settings'), data: { a: '1', b: '2' } }])).toBe(
    lines('NAME       DATA   AGE', 'settings   2      12d'),
  );
  expect(table('secrets', [{ apiVersion: 'v1', kind: 'Secret', metadata: meta('token'), type: 'Opaque', data: { t: 'c2VjcmV0' } }])).toBe(
    lines('NAME    TYPE     DATA   AGE', 'token   Opaque   1      12d'),
  );
  expect(table('leases', [{ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: meta('n1'), spec: { holderIdentity: 'n1' } }])).toBe(
    lines('NAME   HOLDER   AGE', 'n1     n1       12d'),
  );
});

test('endpoints: address:port pairs, cut after three', () => {
  const endpoints: ApiObject[] = [
    {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'web', namespace: 'default', creationTimestamp: TWELVE_DAYS_AGO },
      subsets: [{ addresses: ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'].map((ip) => ({ ip })), ports: [{ port: 80 }] }],
    },
    { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'db', namespace: 'default', creationTimestamp: TWELVE_DAYS_AGO }, subsets: [{ addresses: [{ ip: '10.0.0.9' }], ports: [{ port: 5432 }] }] },
    { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'none', namespace: 'default', creationTimestamp: TWELVE_DAYS_AGO } },
  ];
  expect(table('ep', endpoints)).toBe(
    lines(
      'NAME   ENDPOINTS                                         AGE',
      'web    10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 1 more...   12d',
      'db     10.0.0.9:5432                                     12d',
      'none   <none>                                            12d',
    ),
  );
});

test('events: last seen, type, reason, involved object, message', () => {
  const event = (name: string, type: string, reason: string, lastTimestamp: string, message: string): ApiObject => ({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace: 'default', creationTimestamp: TWELVE_DAYS_AGO },
    involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'default' },
    type,
    reason,
    message,
    firstTimestamp: lastTimestamp,
    lastTimestamp,
    count: 1,
    source: { component: 'default-scheduler' },
  });
  expect(
    table('events', [
      event('web-1.1', 'Normal', 'Scheduled', '2026-12-02T02:44:30Z', 'Successfully assigned default/web-1 to n1'),
      event('web-1.2', 'Warning', 'BackOff', '2026-12-02T02:47:05Z', 'Back-off restarting failed container\n'),
    ]),
  ).toBe(
    lines(
      'LAST SEEN   TYPE      REASON      OBJECT      MESSAGE',
      '3m20s       Normal    Scheduled   pod/web-1   Successfully assigned default/web-1 to n1',
      '45s         Warning   BackOff     pod/web-1   Back-off restarting failed container',
    ),
  );
});
