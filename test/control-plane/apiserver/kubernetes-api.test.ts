/**
 * The API server's Kubernetes semantics that kubectl relies on, over HTTP, with the
 * garbage collector running (one KV process, the API server and the collector in-process):
 * client-side `kubectl apply` (the create and the strategic merge patches kubectl 1.20
 * sends, recorded with -v=9), JSON and merge patches, the `scale` subresource as `kubectl
 * scale` uses it, DeleteOptions (each propagation policy end to end, preconditions, dry
 * run), watch bookmarks, and field selectors; each error with Kubernetes' status and words.
 */
import type { ApiObject } from '../../../control-plane/api/types.js';
import { GarbageCollector } from '../../../control-plane/controllers/garbage-collector/garbage-collector.js';
import { apiCall, HttpWatch } from '../../support/api-http.js';
import type { ParsedJson } from '../../support/api-http.js';
import { eventually } from '../../support/eventually.js';
import { DEPLOYMENTS, REPLICASETS, freshNamespace, runControllers, startLifecycleCluster } from '../controllers/support-lifecycle.js';
import type { LifecycleCluster, RunningControllers } from '../controllers/support-lifecycle.js';

let cluster: LifecycleCluster;
let controllers: RunningControllers;
let base: string;

beforeAll(async () => {
  cluster = await startLifecycleCluster();
  controllers = await runControllers(cluster.client, [new GarbageCollector()]);
  base = cluster.api.http.url;
}, 60_000);

afterAll(async () => {
  await controllers?.stop();
  await cluster?.stop();
});

const SMP = 'application/strategic-merge-patch+json';
const MERGE = 'application/merge-patch+json';
const JSON_PATCH = 'application/json-patch+json';

function deploymentsPath(ns: string, name = ''): string {
  return `/apis/apps/v1/namespaces/${ns}/deployments${name === '' ? '' : `/${name}`}`;
}

function deployment(name: string, replicas = 1): ApiObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image: 'web:1' }] } } },
  };
}

async function create(ns: string, object: ApiObject): Promise<ParsedJson> {
  const path = object.kind === 'Deployment' ? deploymentsPath(ns) : `/apis/apps/v1/namespaces/${ns}/replicasets`;
  const created = await apiCall(base, 'POST', path, object);
  expect(created.status).toBe(201);
  return created.body;
}

test("kubectl apply (client-side): the create and the three-way strategic merge patches kubectl 1.20 sends", async () => {
  const ns = await freshNamespace(cluster.client, 'apply');
  const lastApplied = (spec: string): string =>
    `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"web","namespace":"${ns}"},"spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[${spec}]}}}}\n`;
  const annotation = (spec: string) => ({ 'kubectl.kubernetes.io/last-applied-configuration': lastApplied(spec) });
  const v1 = '{"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"image":"web:1","name":"web","ports":[{"containerPort":80}]}';
  const created = await apiCall(base, 'POST', `${deploymentsPath(ns)}?fieldManager=kubectl-client-side-apply`, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { annotations: annotation(v1), name: 'web', namespace: ns },
    spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [JSON.parse(v1)] } } },
  });
  expect(created.status).toBe(201);

  const patch = async (body: unknown): Promise<ParsedJson> => {
    const answer = await apiCall(base, 'PATCH', `${deploymentsPath(ns, 'web')}?fieldManager=kubectl-client-side-apply`, body, SMP);
    expect(answer.status).toBe(200);
    return answer.body;
  };
  const v2 = v1.replace('web:1', 'web:2');
  await patch({ metadata: { annotations: annotation(v2) }, spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'web' }], containers: [{ image: 'web:2', name: 'web' }] } } } });
  const v3 = v2.replace(',{"name":"B","value":"2"}', '');
  await patch({
    metadata: { annotations: annotation(v3) },
    spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'web' }], containers: [{ '$setElementOrder/env': [{ name: 'A' }], env: [{ $patch: 'delete', name: 'B' }], name: 'web' }] } } },
  });
  const v4 = v3.replace('[{"containerPort":80}]', '[{"containerPort":80},{"containerPort":8080}]');
  const applied = await patch({
    metadata: { annotations: annotation(v4) },
    spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'web' }], containers: [{ '$setElementOrder/ports': [{ containerPort: 80 }, { containerPort: 8080 }], name: 'web', ports: [{ containerPort: 8080 }] }] } } },
  });

  const [container] = applied.spec.template.spec.containers;
  expect(container).toMatchObject({ name: 'web', image: 'web:2', env: [{ name: 'A', value: '1' }], ports: [{ containerPort: 80, protocol: 'TCP' }, { containerPort: 8080, protocol: 'TCP' }] });
  expect(container.imagePullPolicy).toBe('IfNotPresent');
  expect(applied.metadata.annotations).toEqual(annotation(v4));
  expect(applied.metadata.generation).toBe(4);
});

test('JSON patch applies all or nothing (a failed test is 422 and changes nothing); merge patch; other media types 415; dry runs store nothing', async () => {
  const ns = await freshNamespace(cluster.client, 'patch');
  const path = deploymentsPath(ns, 'web');
  const created = await create(ns, deployment('web', 1));
  const failed = await apiCall(
    base,
    'PATCH',
    path,
    [
      { op: 'replace', path: '/spec/replicas', value: 3 },
      { op: 'test', path: '/metadata/labels/app~1tier', value: 'x' },
    ],
    JSON_PATCH,
  );
  expect(failed.status).toBe(422);
  expect(failed.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Invalid', code: 422, message: 'the server rejected our request due to an error in our request' });
  expect((await apiCall(base, 'GET', path)).body.metadata.resourceVersion).toBe(created.metadata.resourceVersion);

  const patched = await apiCall(
    base,
    'PATCH',
    path,
    [
      { op: 'test', path: '/spec/replicas', value: 1 },
      { op: 'replace', path: '/spec/replicas', value: 3 },
      { op: 'add', path: '/metadata/labels', value: { 'app/tier': 'front' } },
    ],
    JSON_PATCH,
  );
  expect(patched.status).toBe(200);
  expect([patched.body.spec.replicas, patched.body.metadata.labels]).toEqual([3, { 'app/tier': 'front' }]);
  const stale = await apiCall(base, 'PATCH', path, [{ op: 'replace', path: '/metadata/resourceVersion', value: created.metadata.resourceVersion }], JSON_PATCH);
  expect(stale.status).toBe(409);
  expect(stale.body.message).toBe('Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again');

  const merged = await apiCall(base, 'PATCH', path, { metadata: { labels: { 'app/tier': null, b: '2' } } }, MERGE);
  expect(merged.body.metadata.labels).toEqual({ b: '2' });
  const unsupported = await apiCall(base, 'PATCH', path, 'spec: {}', 'application/apply-patch+yaml');
  expect(unsupported.status).toBe(415);
  expect(unsupported.body.message).toBe(
    'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json',
  );

  // Dry runs answer what would be, and store nothing.
  const before = (await apiCall(base, 'GET', path)).body;
  const dryPatch = await apiCall(base, 'PATCH', `${path}?dryRun=All`, { spec: { replicas: 7 } }, MERGE);
  expect([dryPatch.status, dryPatch.body.spec.replicas]).toEqual([200, 7]);
  const dryCreate = await apiCall(base, 'POST', `${deploymentsPath(ns)}?dryRun=All`, deployment('ghost'));
  expect(dryCreate.status).toBe(201);
  const dryDelete = await apiCall(base, 'DELETE', path, { dryRun: ['All'] });
  expect(dryDelete.status).toBe(200);
  expect((await apiCall(base, 'GET', deploymentsPath(ns, 'ghost'))).status).toBe(404);
  expect((await apiCall(base, 'GET', path)).body).toEqual(before);
  const badDryRun = await apiCall(base, 'PATCH', `${path}?dryRun=Some`, { spec: { replicas: 7 } }, MERGE);
  expect([badDryRun.status, badDryRun.body.message]).toEqual([422, 'PatchOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: ["Some"]: supported values: "All"']);
});

test('scale subresource: autoscaling/v1 Scale read, patched as kubectl scale does, replaced; errors as Kubernetes says them', async () => {
  const ns = await freshNamespace(cluster.client, 'scale');
  await create(ns, deployment('web', 2));
  const path = `${deploymentsPath(ns, 'web')}/scale`;
  const read = await apiCall(base, 'GET', path);
  expect(read.status).toBe(200);
  expect(read.body).toMatchObject({ apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'web', namespace: ns }, spec: { replicas: 2 }, status: { replicas: 0, selector: 'app=web' } });

  // What `kubectl scale deployment web --replicas=5` sends.
  const scaled = await apiCall(base, 'PATCH', path, { spec: { replicas: 5 } }, MERGE);
  expect([scaled.status, scaled.body.spec.replicas]).toEqual([200, 5]);
  const object = (await apiCall(base, 'GET', deploymentsPath(ns, 'web'))).body;
  expect([object.spec.replicas, object.metadata.generation, object.metadata.resourceVersion]).toEqual([5, 2, scaled.body.metadata.resourceVersion]);

  const replaced = await apiCall(base, 'PUT', path, { ...scaled.body, spec: { replicas: 1 } });
  expect([replaced.status, replaced.body.spec.replicas]).toEqual([200, 1]);
  const stale = await apiCall(base, 'PUT', path, { ...scaled.body, spec: { replicas: 3 } });
  expect(stale.status).toBe(409);
  expect(stale.body.message).toBe('Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again');
  const negative = await apiCall(base, 'PATCH', path, { spec: { replicas: -1 } }, MERGE);
  expect([negative.status, negative.body.message]).toEqual([422, 'Scale.autoscaling "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0']);
  expect((await apiCall(base, 'GET', deploymentsPath(ns, 'web'))).body.spec.replicas).toBe(1);
  const zero = await apiCall(base, 'PATCH', path, [{ op: 'add', path: '/spec/replicas', value: 0 }], JSON_PATCH);
  expect([zero.status, zero.body.spec]).toEqual([200, {}]);

  expect((await apiCall(base, 'GET', `/api/v1/namespaces/${ns}/configmaps/web/scale`)).status).toBe(404);
  expect((await apiCall(base, 'GET', `${deploymentsPath(ns, 'missing')}/scale`)).body.message).toBe('deployments.apps "missing" not found');
});

/** A Deployment owning a ReplicaSet (blocking its deletion, as the deployment controller's references do). */
async function ownedPair(ns: string): Promise<{ owner: ParsedJson; dependent: ParsedJson }> {
  const owner = await create(ns, deployment('app'));
  const reference = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'app', uid: owner.metadata.uid, controller: true, blockOwnerDeletion: true };
  const rs = { ...deployment('app-rs'), kind: 'ReplicaSet', metadata: { name: 'app-rs', ownerReferences: [reference] } };
  const dependent = await create(ns, rs);
  return { owner, dependent };
}

describe('DeleteOptions', () => {
  test('Foreground (body): the owner is marked with the foregroundDeletion finalizer, its dependents go first, then it', async () => {
    const ns = await freshNamespace(cluster.client, 'fg');
    await ownedPair(ns);
    const owners = new HttpWatch(base, `${deploymentsPath(ns)}?watch=1`);
    const dependents = new HttpWatch(base, `/apis/apps/v1/namespaces/${ns}/replicasets?watch=1`);
    await eventually(async () => expect(owners.events.length + dependents.events.length).toBe(2));
    const marked = await apiCall(base, 'DELETE', deploymentsPath(ns, 'app'), { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Foreground' });
    expect(marked.status).toBe(200);
    expect(marked.body.metadata.finalizers).toEqual(['foregroundDeletion']);
    expect(marked.body.metadata.deletionTimestamp).toBeDefined();
    await eventually(async () => {
      expect(owners.events.some((event) => event.type === 'DELETED')).toBe(true);
      expect(dependents.events.some((event) => event.type === 'DELETED')).toBe(true);
    });
    owners.stop();
    dependents.stop();
    const deletedAt = (events: HttpWatch): number => Number(events.events.find((event) => event.type === 'DELETED')!.object.metadata.resourceVersion);
    expect(deletedAt(dependents)).toBeLessThan(deletedAt(owners));
  });

  test('Orphan (query): the dependents lose their owner reference and stay', async () => {
    const ns = await freshNamespace(cluster.client, 'orphan');
    const { dependent } = await ownedPair(ns);
    const marked = await apiCall(base, 'DELETE', `${deploymentsPath(ns, 'app')}?propagationPolicy=Orphan`);
    expect(marked.body.metadata.finalizers).toEqual(['orphan']);
    await eventually(async () => expect((await apiCall(base, 'GET', deploymentsPath(ns, 'app'))).status).toBe(404));
    const kept = (await apiCall(base, 'GET', `/apis/apps/v1/namespaces/${ns}/replicasets/app-rs`)).body;
    expect(kept.metadata.uid).toBe(dependent.metadata.uid);
    expect(kept.metadata.ownerReferences).toBeUndefined();
  });

  test('Background (the default): the owner goes at once, the collector removes its dependents after', async () => {
    const ns = await freshNamespace(cluster.client, 'bg');
    await ownedPair(ns);
    const deleted = await apiCall(base, 'DELETE', deploymentsPath(ns, 'app'));
    expect(deleted.status).toBe(200);
    expect((await apiCall(base, 'GET', deploymentsPath(ns, 'app'))).status).toBe(404);
    await eventually(async () => expect((await cluster.client.list(REPLICASETS, ns)).items).toEqual([]));
  });

  test('preconditions: a uid or resourceVersion that is not the object’s is 409 with Kubernetes’ message, and nothing is deleted', async () => {
    const ns = await freshNamespace(cluster.client, 'pre');
    const object = await create(ns, deployment('web'));
    const path = deploymentsPath(ns, 'web');
    const wrongUid = await apiCall(base, 'DELETE', path, { preconditions: { uid: 'not-it' } });
    expect([wrongUid.status, wrongUid.body.reason, wrongUid.body.message]).toEqual([
      409,
      'Conflict',
      `Operation cannot be fulfilled on deployments.apps "web": Precondition failed: UID in precondition: not-it, UID in object meta: ${object.metadata.uid}`,
    ]);
    const wrongVersion = await apiCall(base, 'DELETE', path, { preconditions: { resourceVersion: '1' } });
    expect(wrongVersion.body.message).toBe(
      `Operation cannot be fulfilled on deployments.apps "web": Precondition failed: ResourceVersion in precondition: 1, ResourceVersion in object meta: ${object.metadata.resourceVersion}`,
    );
    expect((await apiCall(base, 'GET', path)).status).toBe(200);
    const right = await apiCall(base, 'DELETE', path, { preconditions: { uid: object.metadata.uid, resourceVersion: object.metadata.resourceVersion } });
    expect(right.status).toBe(200);
    expect((await cluster.client.list(DEPLOYMENTS, ns)).items).toEqual([]);
  });
});

test('watch bookmarks: with allowWatchBookmarks, the watch ends with a BOOKMARK carrying the revision it reached; none without', async () => {
  const ns = await freshNamespace(cluster.client, 'bookmark');
  const created = await create(ns, deployment('web'));
  const other = await create(ns, deployment('other'));
  const bookmarked = new HttpWatch(base, `${deploymentsPath(ns)}?watch=1&allowWatchBookmarks=true&timeoutSeconds=1&resourceVersion=${created.metadata.resourceVersion}&fieldSelector=metadata.name%3Dweb`);
  const plain = new HttpWatch(base, `${deploymentsPath(ns)}?watch=1&timeoutSeconds=1&resourceVersion=${created.metadata.resourceVersion}`);
  await Promise.all([bookmarked.ended, plain.ended]);
  // The selector hides `other`, but the bookmark is past it: a watch from there misses nothing and replays nothing.
  expect(bookmarked.events).toEqual([{ type: 'BOOKMARK', object: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { resourceVersion: other.metadata.resourceVersion } } }]);
  expect(plain.events.map((event) => event.type)).toEqual(['ADDED']);
});

test('field selectors: metadata.name and metadata.namespace for every kind, != too; an unknown field is 400 in Kubernetes’ words', async () => {
  const [one, two] = [await freshNamespace(cluster.client, 'fields'), await freshNamespace(cluster.client, 'fields')];
  for (const ns of [one, two]) for (const name of ['a', 'b']) await create(ns, deployment(name));
  const names = async (path: string): Promise<string[]> => {
    const answer = await apiCall(base, 'GET', path);
    expect(answer.status).toBe(200);
    return answer.body.items.map((item: ParsedJson) => `${item.metadata.namespace ?? ''}/${item.metadata.name}`).sort();
  };
  expect(await names(`${deploymentsPath(one)}?fieldSelector=metadata.name%3Da`)).toEqual([`${one}/a`]);
  expect(await names(`${deploymentsPath(one)}?fieldSelector=metadata.name!%3Da`)).toEqual([`${one}/b`]);
  expect(await names(`/apis/apps/v1/deployments?fieldSelector=${encodeURIComponent(`metadata.namespace=${two},metadata.name==b`)}`)).toEqual([`${two}/b`]);
  expect(await names(`/api/v1/namespaces?fieldSelector=metadata.name%3D${one}`)).toEqual([`/${one}`]);

  const unknown = await apiCall(base, 'GET', `${deploymentsPath(one)}?fieldSelector=status.replicas%3D1`);
  expect([unknown.status, unknown.body.reason, unknown.body.message]).toEqual([400, 'BadRequest', '"status.replicas" is not a known field selector: only "metadata.name", "metadata.namespace"']);
  const pods = await apiCall(base, 'GET', `/api/v1/pods?fieldSelector=spec.nodeNames%3Dx`);
  expect([pods.status, pods.body.message]).toEqual([400, 'field label not supported: spec.nodeNames']);
  const watch = await apiCall(base, 'GET', `${deploymentsPath(one)}?watch=1&fieldSelector=spec.x%3D1`);
  expect(watch.status).toBe(400);
});

test('list resourceVersion semantics: 0 is any (the latest serves), Exact reads that revision, bad combinations are 422 in Kubernetes’ words', async () => {
  const ns = await freshNamespace(cluster.client, 'versions');
  const first = await create(ns, deployment('a'));
  await create(ns, deployment('b'));
  const names = (body: ParsedJson): string[] => body.items.map((item: ParsedJson) => item.metadata.name);
  expect(names((await apiCall(base, 'GET', `${deploymentsPath(ns)}?resourceVersion=0`)).body)).toEqual(['a', 'b']);
  const notOlder = await apiCall(base, 'GET', `${deploymentsPath(ns)}?resourceVersion=${first.metadata.resourceVersion}&resourceVersionMatch=NotOlderThan`);
  expect(names(notOlder.body)).toEqual(['a', 'b']);
  const exact = await apiCall(base, 'GET', `${deploymentsPath(ns)}?resourceVersion=${first.metadata.resourceVersion}&resourceVersionMatch=Exact`);
  expect([exact.status, names(exact.body), exact.body.metadata.resourceVersion]).toEqual([200, ['a'], first.metadata.resourceVersion]);

  const refused = async (query: string): Promise<[number, string]> => {
    const answer = await apiCall(base, 'GET', `${deploymentsPath(ns)}?${query}`);
    return [answer.status, answer.body.message];
  };
  expect(await refused('resourceVersionMatch=Exact')).toEqual([422, 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided']);
  expect(await refused('resourceVersion=0&resourceVersionMatch=Exact')).toEqual([422, 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"']);
  expect((await refused('resourceVersion=5&resourceVersionMatch=Newest'))[0]).toBe(422);
  const future = await apiCall(base, 'GET', `${deploymentsPath(ns)}?resourceVersion=999999999&resourceVersionMatch=Exact`);
  expect([future.status, future.body.reason]).toEqual([504, 'Timeout']);
  expect(future.body.message).toMatch(/^Too large resource version: 999999999, current: \d+$/);
});
