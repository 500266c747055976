/**
 * Kubernetes' URL layout, as the HTTP front-end reads it: core and named groups, namespaced
 * and cluster-scoped kinds, the Namespace object itself and its status, and clear 404s for
 * resources that are not served.
 */
import { parseResourcePath } from '../../../control-plane/apiserver/http-routes.js';
import { ApiError } from '../../../control-plane/apiserver/errors.js';

function route(path: string) {
  const parsed = parseResourcePath(path);
  return parsed === null ? null : { kind: parsed.info.kind, namespace: parsed.namespace, name: parsed.name, subresource: parsed.subresource };
}

test('namespaced collections and objects, core and apps', () => {
  expect(route('/api/v1/namespaces/default/pods')).toEqual({ kind: 'Pod', namespace: 'default', name: undefined, subresource: undefined });
  expect(route('/api/v1/namespaces/default/pods/web')).toEqual({ kind: 'Pod', namespace: 'default', name: 'web', subresource: undefined });
  expect(route('/api/v1/namespaces/default/pods/web/status')).toEqual({ kind: 'Pod', namespace: 'default', name: 'web', subresource: 'status' });
  expect(route('/apis/apps/v1/namespaces/prod/deployments/api')).toEqual({ kind: 'Deployment', namespace: 'prod', name: 'api', subresource: undefined });
  expect(route('/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/scheduler')).toMatchObject({ kind: 'Lease', name: 'scheduler' });
});

test('all namespaces, cluster-scoped kinds, and the Namespace object itself', () => {
  expect(route('/api/v1/pods')).toEqual({ kind: 'Pod', namespace: undefined, name: undefined, subresource: undefined });
  expect(route('/api/v1/nodes/n1')).toEqual({ kind: 'Node', namespace: undefined, name: 'n1', subresource: undefined });
  expect(route('/api/v1/namespaces')).toEqual({ kind: 'Namespace', namespace: undefined, name: undefined, subresource: undefined });
  expect(route('/api/v1/namespaces/prod')).toEqual({ kind: 'Namespace', namespace: undefined, name: 'prod', subresource: undefined });
  expect(route('/api/v1/namespaces/prod/status')).toEqual({ kind: 'Namespace', namespace: undefined, name: 'prod', subresource: 'status' });
});

test('percent-encoded segments are decoded', () => {
  expect(route('/api/v1/namespaces/default/configmaps/a%2Eb')).toMatchObject({ name: 'a.b' });
});

test('paths that are not resources are null; unknown resources of a served group are 404', () => {
  expect(route('/healthz')).toBeNull();
  expect(route('/api/v2/pods')).toBeNull();
  expect(route('/apis/batch/v1/jobs')).toBeNull();
  expect(() => parseResourcePath('/api/v1/namespaces/default/widgets')).toThrow(ApiError);
  expect(() => parseResourcePath('/api/v1/namespaces/default/nodes/n1')).toThrow('nodes is not namespaced');
  expect(() => parseResourcePath('/api/v1/namespaces/default/pods/web/status/extra')).toThrow(ApiError);
});
