/**
 * What apply writes over a live object: the manifest's labels exactly, its other fields laid
 * over the live ones (keeping what the server filled in), nulls removing, status and server
 * metadata kept — so that re-applying an unchanged manifest changes nothing.
 */
import type { ApiObject } from '../../../control-plane/api/types.js';
import { appliedObject, jsonEqual } from '../../../control-plane/cli/apply-merge.js';

const live: ApiObject = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: {
    name: 'web',
    namespace: 'default',
    uid: 'u1',
    resourceVersion: '7',
    creationTimestamp: '2026-12-02T01:47:50Z',
    labels: { app: 'web', added: 'by-label' },
    annotations: { 'controller.example/seen': 'yes' },
  },
  spec: { type: 'ClusterIP', clusterIP: '10.96.0.20', selector: { app: 'web' }, ports: [{ port: 80, protocol: 'TCP', targetPort: 8080 }] },
  status: { loadBalancer: {} },
};

test('an unchanged manifest over its defaulted live object changes nothing', () => {
  const manifest: ApiObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', labels: { app: 'web', added: 'by-label' } }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } };
  expect(jsonEqual(appliedObject(live, manifest), live)).toBe(true);
});

test('labels are replaced, annotations and spec merged, nulls remove, status and server fields kept', () => {
  const manifest: ApiObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', labels: { app: 'web' }, annotations: { note: 'hi' } },
    spec: { selector: { app: 'web', tier: 'fe' }, ports: [{ port: 81 }, { port: 443 }], type: null },
  };
  const result = appliedObject(live, manifest);
  expect(result.metadata).toEqual({ ...live.metadata, labels: { app: 'web' }, annotations: { 'controller.example/seen': 'yes', note: 'hi' } });
  expect(result.spec).toEqual({ clusterIP: '10.96.0.20', selector: { app: 'web', tier: 'fe' }, ports: [{ port: 81 }, { port: 443 }] });
  expect(result.status).toEqual(live.status);
});

test('json equality ignores key order', () => {
  expect(jsonEqual({ a: 1, b: [1, { c: 2, d: 3 }] }, { b: [1, { d: 3, c: 2 }], a: 1 })).toBe(true);
  expect(jsonEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false);
  expect(jsonEqual([1, 2], [2, 1])).toBe(false);
});
