/**
 * The endpoints controller against a real API server: a Service's Endpoints list its
 * selected pods' addresses, ready ones apart from the rest, with named target ports
 * resolved per pod and pods grouped by identical port sets; they follow pods becoming
 * ready, unready, deleted (a pod being deleted is not ready) and relabelled; nothing is
 * rewritten when nothing changed; the Endpoints go with their Service.
 */
import type { ApiObject } from '../../../control-plane/api/types.js';
import { EndpointsController } from '../../../control-plane/controllers/endpoints/endpoints-controller.js';
import { eventually } from '../../support/eventually.js';
import { ENDPOINTS, PODS, SERVICES, freshNamespace, isGone, podObject, reportPod, runControllers, sleep, startLifecycleCluster } from './support-lifecycle.js';
import type { LifecycleCluster, RunningControllers } from './support-lifecycle.js';

let cluster: LifecycleCluster;
let controllers: RunningControllers;

beforeAll(async () => {
  cluster = await startLifecycleCluster();
  controllers = await runControllers(cluster.client, [new EndpointsController()]);
}, 60_000);

afterAll(async () => {
  await controllers?.stop();
  await cluster?.stop();
});

function service(name: string, spec: Record<string, unknown>, labels?: Record<string, string>): ApiObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, ...(labels ? { labels } : {}) }, spec };
}

const address = (ip: string, namespace: string, pod: ApiObject, nodeName?: string) => ({
  ip,
  ...(nodeName ? { nodeName } : {}),
  targetRef: { kind: 'Pod', namespace, name: pod.metadata.name, uid: pod.metadata.uid },
});

const port = (name: string, number: number) => ({ name, port: number, protocol: 'TCP' });

test('pods are grouped by their resolved port sets, ready apart from not ready, and the Endpoints belong to the Service', async () => {
  const { client } = cluster;
  const ns = await freshNamespace(client, 'ep');
  const web = await client.create(
    SERVICES,
    ns,
    service(
      'web',
      {
        selector: { app: 'web' },
        ports: [
          { name: 'http', port: 80, targetPort: 'http' },
          { name: 'metrics', port: 9090, targetPort: 9090 },
        ],
      },
      { team: 'a' },
    ),
  );
  const a = await client.create(PODS, ns, podObject('web-a', { labels: { app: 'web' }, ports: [{ name: 'http', containerPort: 8080 }] }));
  const b = await client.create(PODS, ns, podObject('web-b', { labels: { app: 'web' }, ports: [{ name: 'http', containerPort: 8081 }] }));
  // No port named http: served only under the metrics port.
  const c = await client.create(PODS, ns, podObject('web-c', { labels: { app: 'web' } }));
  await client.create(PODS, ns, podObject('web-no-ip', { labels: { app: 'web' }, ports: [{ name: 'http', containerPort: 8080 }] }));
  const other = await client.create(PODS, ns, podObject('other', { labels: { app: 'other' }, ports: [{ name: 'http', containerPort: 8080 }] }));
  await reportPod(client, ns, 'web-a', { ip: '10.0.0.1', ready: true });
  await reportPod(client, ns, 'web-b', { ip: '10.0.0.2', ready: false });
  await reportPod(client, ns, 'web-c', { ip: '10.0.0.3', ready: true });
  await reportPod(client, ns, 'other', { ip: '10.0.0.9', ready: true });
  expect(other.metadata.name).toBe('other');

  const endpoints = await eventually(async () => {
    const current = await client.get(ENDPOINTS, ns, 'web');
    expect(current.subsets).toEqual([
      { addresses: [address('10.0.0.1', ns, a)], ports: [port('http', 8080), port('metrics', 9090)] },
      { notReadyAddresses: [address('10.0.0.2', ns, b)], ports: [port('http', 8081), port('metrics', 9090)] },
      { addresses: [address('10.0.0.3', ns, c)], ports: [port('metrics', 9090)] },
    ]);
    return current;
  });
  expect(endpoints.metadata.labels).toEqual({ team: 'a' });
  expect(endpoints.metadata.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: web.metadata.uid, controller: true, blockOwnerDeletion: true }]);

  // b becomes ready and takes the same ports as a: one subset with both.
  await client.delete(PODS, ns, 'web-b');
  const b2 = await client.create(PODS, ns, podObject('web-b', { labels: { app: 'web' }, ports: [{ name: 'http', containerPort: 8080 }] }));
  await reportPod(client, ns, 'web-b', { ip: '10.0.0.2', ready: true });
  await eventually(async () => {
    const current = await client.get(ENDPOINTS, ns, 'web');
    expect(current.subsets).toEqual([
      { addresses: [address('10.0.0.1', ns, a), address('10.0.0.2', ns, b2)], ports: [port('http', 8080), port('metrics', 9090)] },
      { addresses: [address('10.0.0.3', ns, c)], ports: [port('metrics', 9090)] },
    ]);
  });

  // a turns unready; c is relabelled out of the Service.
  await reportPod(client, ns, 'web-a', { ip: '10.0.0.1', ready: false });
  await client.patch(PODS, ns, 'web-c', { metadata: { labels: { app: 'elsewhere' } } });
  await eventually(async () => {
    const current = await client.get(ENDPOINTS, ns, 'web');
    expect(current.subsets).toEqual([
      { addresses: [address('10.0.0.2', ns, b2)], notReadyAddresses: [address('10.0.0.1', ns, a)], ports: [port('http', 8080), port('metrics', 9090)] },
    ]);
  });

  // The Service goes: so do its Endpoints.
  await client.delete(SERVICES, ns, 'web');
  await eventually(async () => expect(await isGone(client, ENDPOINTS, ns, 'web')).toBe(true));
});

test('a pod being deleted is listed as not ready, and goes once deleted', async () => {
  const { client } = cluster;
  const ns = await freshNamespace(client, 'ep');
  await client.create(SERVICES, ns, service('api', { selector: { app: 'api' }, ports: [{ port: 80, targetPort: 8080 }] }));
  // Bound to a node: a delete marks it for its grace period rather than removing it.
  const pod = await client.create(PODS, ns, podObject('api-1', { labels: { app: 'api' }, nodeName: 'n1' }));
  await reportPod(client, ns, 'api-1', { ip: '10.1.0.1', ready: true });
  const served = { ip: '10.1.0.1', nodeName: 'n1', targetRef: { kind: 'Pod', namespace: ns, name: 'api-1', uid: pod.metadata.uid } };
  await eventually(async () => expect((await client.get(ENDPOINTS, ns, 'api')).subsets).toEqual([{ addresses: [served], ports: [{ port: 8080, protocol: 'TCP' }] }]));

  await client.delete(PODS, ns, 'api-1');
  await eventually(async () => expect((await client.get(ENDPOINTS, ns, 'api')).subsets).toEqual([{ notReadyAddresses: [served], ports: [{ port: 8080, protocol: 'TCP' }] }]));

  // Its agent confirms the containers are gone.
  await client.delete(PODS, ns, 'api-1', { gracePeriodSeconds: 0 });
  await eventually(async () => expect((await client.get(ENDPOINTS, ns, 'api')).subsets).toBeUndefined());
});

test('nothing is rewritten when nothing the Endpoints say changed; a headless Service is labelled so', async () => {
  const { client } = cluster;
  const ns = await freshNamespace(client, 'ep');
  await client.create(SERVICES, ns, service('db', { clusterIP: 'None', selector: { app: 'db' }, ports: [{ name: 'pg', port: 5432 }] }));
  await client.create(PODS, ns, podObject('db-0', { labels: { app: 'db' } }));
  await reportPod(client, ns, 'db-0', { ip: '10.2.0.1', ready: true });
  const settled = await eventually(async () => {
    const current = await client.get(ENDPOINTS, ns, 'db');
    expect(current.subsets).toHaveLength(1);
    return current;
  });
  expect(settled.metadata.labels).toEqual({ 'service.kubernetes.io/headless': '' });

  // Changes the Endpoints do not depend on: an annotation on the pod, a new label on the Service's pod.
  await client.patch(PODS, ns, 'db-0', { metadata: { annotations: { note: 'x' } } });
  await client.patch(PODS, ns, 'db-0', { metadata: { labels: { app: 'db', extra: 'y' } } });
  await sleep(1_000);
  expect((await client.get(ENDPOINTS, ns, 'db')).metadata.resourceVersion).toBe(settled.metadata.resourceVersion);

  // Someone edits the Endpoints by hand: put right.
  await client.update(ENDPOINTS, { ...settled, subsets: [] });
  await eventually(async () => expect((await client.get(ENDPOINTS, ns, 'db')).subsets).toEqual(settled.subsets));
});

test('a Service without a selector keeps the Endpoints someone else wrote', async () => {
  const { client } = cluster;
  const ns = await freshNamespace(client, 'ep');
  await client.create(SERVICES, ns, service('external', { ports: [{ port: 443 }] }));
  const manual = await client.create(ENDPOINTS, ns, {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'external' },
    subsets: [{ addresses: [{ ip: '192.0.2.10' }], ports: [{ port: 443, protocol: 'TCP' }] }],
  });
  await sleep(1_000);
  expect((await client.get(ENDPOINTS, ns, 'external')).metadata.resourceVersion).toBe(manual.metadata.resourceVersion);
});
