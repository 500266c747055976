/**
 * The three patch formats as pure functions: strategic merge patch (lists merged by their
 * merge key, each directive, the bodies kubectl 1.20's client-side `apply` sends), JSON
 * patch (RFC 6902's operations and pointer escaping, all or nothing, Kubernetes' errors)
 * and the media types that pick them (415 for any other).
 */
import { ApiError } from '../../../control-plane/apiserver/errors.js';
import { JSON_PATCH_FAILED_MESSAGE, applyJsonPatch } from '../../../control-plane/apiserver/json-patch.js';
import { patchSchemaOf } from '../../../control-plane/apiserver/patch-strategies.js';
import { patchTypeOf } from '../../../control-plane/apiserver/patch-types.js';
import { applyStrategicMergePatch } from '../../../control-plane/apiserver/strategic-merge-patch.js';

const DEPLOYMENT = patchSchemaOf('Deployment');
const SERVICE = patchSchemaOf('Service');

function caught(run: () => unknown): ApiError {
  try {
    run();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected an ApiError');
}

function deployment(containers: Record<string, unknown>[], extra: Record<string, unknown> = {}) {
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 2, ...extra, template: { spec: { containers } } } };
}

describe('strategic merge patch', () => {
  test('containers merge by name, env by name, ports by containerPort; a list without a strategy is replaced', () => {
    const live = deployment([
      { name: 'web', image: 'web:1', env: [{ name: 'A', value: '1' }], ports: [{ containerPort: 80, protocol: 'TCP' }], args: ['-a', '-b'] },
      { name: 'sidecar', image: 'side:1' },
    ]);
    const patched = applyStrategicMergePatch(
      live,
      { spec: { template: { spec: { containers: [{ name: 'web', image: 'web:2', env: [{ name: 'B', value: '2' }], ports: [{ containerPort: 80, name: 'http' }], args: ['-c'] }] } } } },
      DEPLOYMENT,
    );
    expect(patched).toEqual(
      deployment([
        { name: 'web', image: 'web:2', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }], ports: [{ containerPort: 80, protocol: 'TCP', name: 'http' }], args: ['-c'] },
        { name: 'sidecar', image: 'side:1' },
      ]),
    );
    expect(live.spec.template.spec.containers[0]!.image).toBe('web:1');
  });

  test('$patch delete, replace (element, list and map), $setElementOrder, $deleteFromPrimitiveList, $retainKeys, null', () => {
    const live = {
      ...deployment([{ name: 'a', image: 'a:1', env: [{ name: 'X', value: '1' }] }, { name: 'b', image: 'b:1' }, { name: 'c', image: 'c:1' }], {
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%' } },
      }),
      metadata: { name: 'web', finalizers: ['one', 'two'], labels: { keep: 'yes', drop: 'yes' } },
    };
    const patched = applyStrategicMergePatch(
      live,
      {
        metadata: { labels: { drop: null }, finalizers: ['three'], '$deleteFromPrimitiveList/finalizers': ['one'] },
        spec: {
          strategy: { $retainKeys: ['type'], type: 'Recreate' },
          template: {
            spec: {
              '$setElementOrder/containers': [{ name: 'c' }, { name: 'a' }, { name: 'd' }],
              containers: [{ name: 'b', $patch: 'delete' }, { name: 'a', $patch: 'replace', image: 'a:2' }, { name: 'd', image: 'd:1' }],
            },
          },
        },
      },
      DEPLOYMENT,
    ) as { metadata: unknown; spec: { strategy: unknown; template: { spec: { containers: unknown[] } } } };
    expect(patched.metadata).toEqual({ name: 'web', finalizers: ['two', 'three'], labels: { keep: 'yes' } });
    expect(patched.spec.strategy).toEqual({ type: 'Recreate' });
    expect(patched.spec.template.spec.containers).toEqual([
      { name: 'c', image: 'c:1' },
      { name: 'a', image: 'a:2' },
      { name: 'd', image: 'd:1' },
    ]);

    const replacedList = applyStrategicMergePatch(live, { spec: { template: { spec: { containers: [{ $patch: 'replace' }, { name: 'only', image: 'o:1' }] } } } }, DEPLOYMENT) as typeof live;
    expect(replacedList.spec.template.spec.containers).toEqual([{ name: 'only', image: 'o:1' }]);
    const replacedMap = applyStrategicMergePatch(live, { metadata: { $patch: 'replace', name: 'web' } }, DEPLOYMENT) as typeof live;
    expect(replacedMap.metadata).toEqual({ name: 'web' });
  });

  test("kubectl 1.20 apply's bodies (recorded from kubectl -v=9): image change, env removed, port added, service ports reordered", () => {
    const annotation = { 'kubectl.kubernetes.io/last-applied-configuration': '{}\n' };
    let live: unknown = deployment([
      { name: 'web', image: 'web:1', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }], ports: [{ containerPort: 80, protocol: 'TCP' }], imagePullPolicy: 'IfNotPresent' },
    ]);
    live = applyStrategicMergePatch(live, { metadata: { annotations: annotation }, spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'web' }], containers: [{ image: 'web:2', name: 'web' }] } } } }, DEPLOYMENT);
    live = applyStrategicMergePatch(
      live,
      { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'web' }], containers: [{ '$setElementOrder/env': [{ name: 'A' }], env: [{ $patch: 'delete', name: 'B' }], name: 'web' }] } } } },
      DEPLOYMENT,
    );
    live = applyStrategicMergePatch(
      live,
      {
        spec: {
          template: {
            spec: {
              '$setElementOrder/containers': [{ name: 'web' }],
              containers: [{ '$setElementOrder/ports': [{ containerPort: 80 }, { containerPort: 8080 }], name: 'web', ports: [{ containerPort: 8080 }] }],
            },
          },
        },
      },
      DEPLOYMENT,
    );
    expect(live).toEqual({
      ...deployment([{ name: 'web', image: 'web:2', env: [{ name: 'A', value: '1' }], ports: [{ containerPort: 80, protocol: 'TCP' }, { containerPort: 8080 }], imagePullPolicy: 'IfNotPresent' }]),
      metadata: { name: 'web', annotations: annotation },
    });

    const service = { spec: { ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }, { name: 'metrics', port: 9090, targetPort: 9090, protocol: 'TCP' }] } };
    const patched = applyStrategicMergePatch(
      service,
      { spec: { '$setElementOrder/ports': [{ port: 443 }, { port: 80 }], ports: [{ name: 'https', port: 443, targetPort: 8443 }, { port: 80, targetPort: 8081 }, { $patch: 'delete', port: 9090 }] } },
      SERVICE,
    );
    expect(patched).toEqual({ spec: { ports: [{ name: 'https', port: 443, targetPort: 8443 }, { name: 'http', port: 80, targetPort: 8081, protocol: 'TCP' }] } });
  });

  test('malformed directives are 400 (422 for a key outside $retainKeys), with Kubernetes’ messages', () => {
    const live = deployment([{ name: 'web', image: 'web:1' }]);
    const noKey = caught(() => applyStrategicMergePatch(live, { spec: { template: { spec: { containers: [{ image: 'x' }] } } } }, DEPLOYMENT));
    expect([noKey.httpCode, noKey.message]).toEqual([400, 'map: {"image":"x"} does not contain declared merge key: name']);
    const order = caught(() => applyStrategicMergePatch(live, { spec: { template: { spec: { '$setElementOrder/containers': 'web' } } } }, DEPLOYMENT));
    expect([order.httpCode, order.message]).toEqual([400, 'invalid patch format of setElementOrder list']);
    const retain = caught(() => applyStrategicMergePatch(live, { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: {} } } }, DEPLOYMENT));
    expect([retain.httpCode, retain.message]).toEqual([422, "patch content doesn't match retainKeys list"]);
    expect(caught(() => applyStrategicMergePatch(live, [], DEPLOYMENT)).httpCode).toBe(400);
  });
});

describe('JSON patch (RFC 6902)', () => {
  const document = { metadata: { labels: { 'app/name': 'web', 'a~b': '1' } }, spec: { list: [1, 2, 3], replicas: 2 } };

  test('add, remove, replace, move, copy and test; ~1 and ~0 escapes; "-" appends; the document is not modified', () => {
    const patched = applyJsonPatch(document, [
      { op: 'test', path: '/metadata/labels/app~1name', value: 'web' },
      { op: 'replace', path: '/metadata/labels/a~0b', value: '2' },
      { op: 'add', path: '/spec/list/1', value: 9 },
      { op: 'add', path: '/spec/list/-', value: 4 },
      { op: 'remove', path: '/spec/list/0' },
      { op: 'copy', from: '/spec/replicas', path: '/spec/copied' },
      { op: 'move', from: '/metadata/labels/app~1name', path: '/metadata/name' },
      { op: 'test', path: '/spec', value: { copied: 2, list: [9, 2, 3, 4], replicas: 2 } },
    ]);
    expect(patched).toEqual({ metadata: { name: 'web', labels: { 'a~b': '2' } }, spec: { list: [9, 2, 3, 4], replicas: 2, copied: 2 } });
    expect(document.spec.list).toEqual([1, 2, 3]);
  });

  test('an operation that does not apply is 422 with Kubernetes’ message, and nothing of the patch applies', () => {
    for (const operation of [
      { op: 'test', path: '/spec/replicas', value: 3 },
      { op: 'remove', path: '/spec/missing' },
      { op: 'replace', path: '/spec/list/3', value: 1 },
      { op: 'add', path: '/spec/list/01', value: 1 },
      { op: 'add', path: '/nowhere/deep', value: 1 },
      { op: 'move', from: '/spec', path: '/spec/inner' },
      { op: 'launch', path: '/spec' },
      { op: 'add', path: '/spec/x' },
      { op: 'add', path: 'spec', value: 1 },
    ]) {
      const error = caught(() => applyJsonPatch(document, [operation]));
      expect(error.toStatus()).toMatchObject({ code: 422, reason: 'Invalid', message: JSON_PATCH_FAILED_MESSAGE });
    }
    expect(caught(() => applyJsonPatch(document, { op: 'add' })).toStatus()).toMatchObject({ code: 400, message: 'json: cannot unmarshal object into Go value of type jsonpatch.Patch' });
    expect(caught(() => applyJsonPatch(document, ['add'])).message).toBe('json: cannot unmarshal string into Go value of type jsonpatch.Operation');
  });
});

test('media types pick the format; any other is 415 with Kubernetes’ message', () => {
  expect(patchTypeOf('application/json-patch+json')).toBe('json');
  expect(patchTypeOf('application/merge-patch+json; charset=utf-8')).toBe('merge');
  expect(patchTypeOf('application/strategic-merge-patch+json')).toBe('strategic');
  for (const type of ['application/apply-patch+yaml', 'application/json', undefined]) {
    expect(caught(() => patchTypeOf(type)).toStatus()).toMatchObject({
      code: 415,
      reason: 'UnsupportedMediaType',
      message: 'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json',
    });
  }
});
