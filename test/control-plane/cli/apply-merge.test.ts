/**
 * What apply writes over a live object, kubectl's three-way merge: the manifest laid over the
 * live object (keeping what the server or others filled in), what the last applied manifest
 * had and this one drops removed, nulls removing, status and server metadata kept — so that
 * re-applying an unchanged manifest changes nothing.
 */
import type { ApiObject } from '../../../control-plane/api/types.js';
import { LAST_APPLIED_ANNOTATION, appliedObject, jsonEqual, lastApplied, withLastApplied } from '../../../control-plane/cli/apply-merge.js';

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
  const applied = { ...live, metadata: { ...live.metadata, annotations: { ...live.metadata.annotations, ...withLastApplied(manifest).metadata.annotations } } };
  expect(jsonEqual(appliedObject(applied, manifest), applied)).toBe(true);
});

test('never applied before: the manifest is laid over the live object, nothing removed, nulls remove, status and server fields kept', () => {
  const manifest: ApiObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', labels: { app: 'web' }, annotations: { note: 'hi' } },
    spec: { selector: { app: 'web', tier: 'fe' }, ports: [{ port: 81 }, { port: 443 }], type: null },
  };
  const result = appliedObject(live, manifest);
  const { [LAST_APPLIED_ANNOTATION]: record, ...annotations } = result.metadata.annotations!;
  expect(result.metadata).toEqual({ ...live.metadata, labels: { app: 'web', added: 'by-label' }, annotations: { 'controller.example/seen': 'yes', note: 'hi', [LAST_APPLIED_ANNOTATION]: record } });
  expect(annotations).toEqual({ 'controller.example/seen': 'yes', note: 'hi' });
  expect(lastApplied(result)).toEqual(manifest);
  expect(result.spec).toEqual({ clusterIP: '10.96.0.20', selector: { app: 'web', tier: 'fe' }, ports: [{ port: 81 }, { port: 443 }] });
  expect(result.status).toEqual(live.status);
});

test('a field the last manifest had and this one drops is removed; what neither mentions is kept', () => {
  const before: ApiObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', labels: { app: 'web', tier: 'fe' }, annotations: { note: 'old' } },
    spec: { selector: { app: 'web', tier: 'fe' }, ports: [{ port: 80 }], sessionAffinity: 'ClientIP' },
  };
  const appliedBefore = withLastApplied(before);
  const liveNow: ApiObject = {
    ...appliedBefore,
    metadata: { ...appliedBefore.metadata, uid: 'u1', resourceVersion: '9', labels: { ...before.metadata.labels, added: 'by-label' } },
    spec: { ...before.spec, clusterIP: '10.96.0.20', type: 'ClusterIP' },
  };
  const after: ApiObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', labels: { app: 'web' } }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } };
  const result = appliedObject(liveNow, after);
  expect(result.metadata.labels).toEqual({ app: 'web', added: 'by-label' });
  expect(Object.keys(result.metadata.annotations!)).toEqual([LAST_APPLIED_ANNOTATION]);
  expect(result.spec).toEqual({ selector: { app: 'web' }, ports: [{ port: 80 }], clusterIP: '10.96.0.20', type: 'ClusterIP' });
  expect(lastApplied(result)).toEqual(after);
});

test('json equality ignores key order', () => {
  expect(jsonEqual({ a: 1, b: [1, { c: 2, d: 3 }] }, { b: [1, { d: 3, c: 2 }], a: 1 })).toBe(true);
  expect(jsonEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false);
  expect(jsonEqual([1, 2], [2, 1])).toBe(false);
});
