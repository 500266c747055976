/**
 * The API server over a real 3-member Balsa KV (three `balsa kv serve` processes), through
 * its HTTP+JSON front-end as people and tools use it: create and update conflicts, spec and
 * status written apart, validation errors that name the field, list paging over one
 * snapshot, a watch from a list's resourceVersion that sees every later change exactly once,
 * 410 Expired once that version is compacted, selectors, finalizers and graceful deletion.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiServer } from '../../../control-plane/apiserver/api-server.js';
import { apiCall, HttpWatch } from '../../support/api-http.js';
import type { ParsedJson } from '../../support/api-http.js';
import { etcdGrpcClients } from '../../support/etcd-grpc.js';
import type { EtcdGrpcClients } from '../../support/etcd-grpc.js';
import { eventually } from '../../support/eventually.js';
import { startKvCluster } from '../../support/kv-cluster.js';
import type { KvCluster } from '../../support/kv-cluster.js';

let dir: string;
let cluster: KvCluster;
let api: ApiServer;
let rpc: EtcdGrpcClients;
let base: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'balsa-apiserver-'));
  cluster = await startKvCluster({ members: 3, dir });
  rpc = etcdGrpcClients(cluster.clientEndpoints);
  api = await ApiServer.start({ kvEndpoints: cluster.clientEndpoints, httpPort: 0, grpcPort: 0 });
  base = api.http.url;
  await eventually(async () => expect((await apiCall(base, 'GET', '/readyz')).status).toBe(200));
});

afterAll(async () => {
  await api?.stop();
  rpc?.close();
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

let namespaceCount = 0;
/** A fresh namespace per test, so that tests do not see each other's objects. */
async function freshNamespace(): Promise<string> {
  const name = `t${++namespaceCount}`;
  const answer = await apiCall(base, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  expect(answer.status).toBe(201);
  return name;
}

function configMap(name: string, data: Record<string, string>, labels?: Record<string, string>) {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...(labels ? { labels } : {}) }, data };
}

function deployment(name: string, replicas: number, image = 'web:1') {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { app: name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image }] } },
    },
  };
}

describe('system namespaces', () => {
  test('default, kube-system, kube-public and kube-node-lease exist, and default may not be deleted', async () => {
    const list = await apiCall(base, 'GET', '/api/v1/namespaces');
    expect(list.status).toBe(200);
    const names = list.body.items.map((item: ParsedJson) => item.metadata.name);
    expect(names).toEqual(expect.arrayContaining(['default', 'kube-system', 'kube-public', 'kube-node-lease']));
    const refused = await apiCall(base, 'DELETE', '/api/v1/namespaces/default');
    expect(refused.status).toBe(403);
    expect(refused.body.message).toBe('namespaces "default" is forbidden: this namespace may not be deleted');
  });
});

describe('create', () => {
  test('stores the object with server fields, under /registry/<resource>/<namespace>/<name>, and refuses a second create', async () => {
    const ns = await freshNamespace();
    const created = await apiCall(base, 'POST', `/apis/apps/v1/namespaces/${ns}/deployments`, deployment('web', 2));
    expect(created.status).toBe(201);
    const meta = created.body.metadata;
    expect(meta).toMatchObject({ name: 'web', namespace: ns, generation: 1 });
    expect(meta.uid).toMatch(/^[A-Za-z0-9_-]{21}$/);
    expect(meta.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    // Defaulted.
    expect(created.body.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } });

    // resourceVersion is the key's mod revision in the KV.
    const range = await rpc.kv[1]!('Range', { key: Buffer.from(`/registry/deployments/${ns}/web`) });
    const kvs = range.kvs as { modRevision: string; value: Buffer }[];
    expect(kvs).toHaveLength(1);
    expect(kvs[0]!.modRevision).toBe(meta.resourceVersion);
    expect(JSON.parse(kvs[0]!.value.toString()).metadata.uid).toBe(meta.uid);

    const again = await apiCall(base, 'POST', `/apis/apps/v1/namespaces/${ns}/deployments`, deployment('web', 3));
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'AlreadyExists', code: 409, message: 'deployments.apps "web" already exists' });
    const read = await apiCall(base, 'GET', `/apis/apps/v1/namespaces/${ns}/deployments/web`);
    expect(read.body.spec.replicas).toBe(2);
  });

  test('generateName completes the name; a missing namespace is 404 and a terminating one 403', async () => {
    const ns = await freshNamespace();
    const generated = await apiCall(base, 'POST', `/api/v1/namespaces/${ns}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'cfg-' } });
    expect(generated.status).toBe(201);
    expect(generated.body.metadata.name).toMatch(/^cfg-[a-z0-9]{5}$/);

    const missing = await apiCall(base, 'POST', '/api/v1/namespaces/nowhere/configmaps', configMap('a', {}));
    expect(missing.status).toBe(404);
    expect(missing.body.message).toBe('namespaces "nowhere" not found');

    const doomed = await freshNamespace();
    const deleting = await apiCall(base, 'DELETE', `/api/v1/namespaces/${doomed}`);
    expect(deleting.status).toBe(200);
    expect(deleting.body.status.phase).toBe('Terminating');
    const refused = await apiCall(base, 'POST', `/api/v1/namespaces/${doomed}/configmaps`, configMap('a', {}));
    expect(refused.status).toBe(403);
    expect(refused.body.message).toBe(`configmaps "a" is forbidden: unable to create new content in namespace ${doomed} because it is being terminated`);
  });

  test('an invalid object is 422 with a cause per broken rule, naming the field, and nothing is stored', async () => {
    const ns = await freshNamespace();
    const bad = deployment('Bad_Name', -1);
    (bad.spec.template.spec.containers[0] as { image?: string }).image = undefined;
    const answer = await apiCall(base, 'POST', `/apis/apps/v1/namespaces/${ns}/deployments`, bad);
    expect(answer.status).toBe(422);
    expect(answer.body.reason).toBe('Invalid');
    const fields = answer.body.details.causes.map((cause: ParsedJson) => cause.field);
    expect(fields).toEqual(expect.arrayContaining(['metadata.name', 'spec.replicas', 'spec.template.spec.containers[0].image']));
    expect(answer.body.message).toContain('Deployment.apps "Bad_Name" is invalid');
    const list = await apiCall(base, 'GET', `/apis/apps/v1/namespaces/${ns}/deployments`);
    expect(list.body.items).toEqual([]);
  });

  test('a body of the wrong kind, bad JSON, or an unknown resource is a clear 400/404', async () => {
    const ns = await freshNamespace();
    const wrongKind = await apiCall(base, 'POST', `/api/v1/namespaces/${ns}/configmaps`, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } });
    expect(wrongKind.status).toBe(400);
    expect(wrongKind.body.message).toContain('not a v1 ConfigMap');
    const badJson = await apiCall(base, 'POST', `/api/v1/namespaces/${ns}/configmaps`, '{"metadata": ');
    expect(badJson.status).toBe(400);
    expect(badJson.body.message).toContain('not valid JSON');
    const unknown = await apiCall(base, 'GET', `/api/v1/namespaces/${ns}/widgets`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.reason).toBe('NotFound');
  });
});

describe('update', () => {
  test('a stale resourceVersion is 409 Conflict; spec changes bump generation, metadata changes do not', async () => {
    const ns = await freshNamespace();
    const path = `/apis/apps/v1/namespaces/${ns}/deployments/web`;
    const created = (await apiCall(base, 'POST', `/apis/apps/v1/namespaces/${ns}/deployments`, deployment('web', 1))).body;

    const scaled = await apiCall(base, 'PUT', path, { ...created, spec: { ...created.spec, replicas: 3 } });
    expect(scaled.status).toBe(200);
    expect(scaled.body.metadata.generation).toBe(2);
    expect(Number(scaled.body.metadata.resourceVersion)).toBeGreaterThan(Number(created.metadata.resourceVersion));

    const stale = await apiCall(base, 'PUT', path, { ...created, spec: { ...created.spec, replicas: 5 } });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({
      reason: 'Conflict',
      message: 'Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again',
    });

    const labelled = await apiCall(base, 'PUT', path, { ...scaled.body, metadata: { ...scaled.body.metadata, labels: { app: 'web', tier: 'front' } } });
    expect(labelled.status).toBe(200);
    expect(labelled.body.metadata.generation).toBe(2);

    // Nothing changed: no write, same resourceVersion.
    const same = await apiCall(base, 'PUT', path, labelled.body);
    expect(same.body.metadata.resourceVersion).toBe(labelled.body.metadata.resourceVersion);

    // The selector of a Deployment is immutable.
    const moved = await apiCall(base, 'PUT', path, { ...labelled.body, spec: { ...labelled.body.spec, selector: { matchLabels: { app: 'other' } } } });
    expect(moved.status).toBe(422);
    expect(moved.body.details.causes.map((cause: ParsedJson) => cause.field)).toContain('spec.selector');
  });

  test('status is written only through /status, which does not bump generation', async () => {
    const ns = await freshNamespace();
    const path = `/apis/apps/v1/namespaces/${ns}/deployments/web`;
    const created = (await apiCall(base, 'POST', `/apis/apps/v1/namespaces/${ns}/deployments`, deployment('web', 1))).body;

    const viaMain = await apiCall(base, 'PUT', path, { ...created, status: { replicas: 7 } });
    expect(viaMain.status).toBe(200);
    expect(viaMain.body.status ?? {}).not.toHaveProperty('replicas');

    const viaStatus = await apiCall(base, 'PUT', `${path}/status`, { ...created, spec: { ...created.spec, replicas: 9 }, status: { replicas: 1, readyReplicas: 1 } });
    expect(viaStatus.status).toBe(200);
    expect(viaStatus.body.status).toEqual({ replicas: 1, readyReplicas: 1 });
    expect(viaStatus.body.spec.replicas).toBe(1);
    expect(viaStatus.body.metadata.generation).toBe(1);
  });

  test('merge patch changes labels and removes one with null', async () => {
    const ns = await freshNamespace();
    await apiCall(base, 'POST', `/api/v1/namespaces/${ns}/configmaps`, configMap('cfg', { a: '1' }, { keep: 'yes', drop: 'me' }));
    const patched = await apiCall(base, 'PATCH', `/api/v1/namespaces/${ns}/configmaps/cfg`, { metadata: { labels: { drop: null, added: 'x' } } }, 'application/merge-patch+json');
    expect(patched.status).toBe(200);
    expect(patched.body.metadata.labels).toEqual({ keep: 'yes', added: 'x' });
    const wrongType = await apiCall(base, 'PATCH', `/api/v1/namespaces/${ns}/configmaps/cfg`, 'data: {}', 'application/apply-patch+yaml');
    expect(wrongType.status).toBe(415);
  });
});

describe('list', () => {
  test('pages with limit and continue read one snapshot: a write between pages does not show', async () => {
    const ns = await freshNamespace();
    for (let i = 0; i < 25; i++) {
      expect((await apiCall(base, 'POST', `/api/v1/namespaces/${ns}/configmaps`, configMap(`cm-${String(i).padStart(2, '0')}`, { i: String(i) }))).status).toBe(201);
    }
    const first = await apiCall(base, 'GET', `/api/v1/namespaces/${ns}/configmaps?limit=10`);
    expect(first.body.items).toHaveLength(10);
    expect(first.body.metadata.remainingItemCount).toBe(15);
    const revision = first.body.metadata.resourceVersion;
    // Between pages: one added, one changed.
    await apiCall(base, 'POST', `/api/v1/namespaces/${ns}/configmaps`, configMap('cm-99', {}));
    const changed = (await apiCall(base, 'GET', `/api/v1/namespaces/${ns}/configmaps/cm-20`)).body;
    await apiCall(base, 'PUT', `/api/v1/namespaces/${ns}/configmaps/cm-20`, { ...changed, data: { i: 'changed' } });

    const names: string[] = first.body.items.map((item: ParsedJson) => item.metadata.name);
    let token = first.body.metadata.continue;
    let pages = 1;
    while (token) {
      const page = await apiCall(base, 'GET', `/api/v1/namespaces/${ns}/configmaps?limit=10&continue=${encodeURIComponent(token)}`);
      expect(page.status).toBe(200);
      expect(page.body.metadata.resourceVersion).toBe(revision);
      for (const item of page.body.items) {
        names.push(item.metadata.name);
        if (item.metadata.name === 'cm-20') expect(item.data.i).toBe('20');
      }
      token = page.body.metadata.continue;
      pages++;
    }
    expect(pages).toBe(3);
    expect(names).toEqual(Array.from({ length: 25 }, (_, i) => `cm-${String(i).padStart(2, '0')}`));
  });

  test('label and field selectors filter lists, across namespaces too', async () => {
    const ns = await freshNamespace();
    await apiCall(base, 'POST', `/api/v1/namespaces/${ns}/configmaps`, configMap('a', {}, { app: 'web', tier: 'front' }));
    await apiCall(base, 'POST', `/api/v1/namespaces/${ns}/configmaps`, configMap('b', {}, { app: 'web', tier: 'back' }));
    await apiCall(base, 'POST', `/api/v1/namespaces/${ns}/configmaps`, configMap('c', {}, { app: 'db' }));
    const names = async (query: string): Promise<string[]> => {
      const answer = await apiCall(base, 'GET', `/api/v1/namespaces/${ns}/configmaps?${query}`);
      expect(answer.status).toBe(200);
      return answer.body.items.map((item: ParsedJson) => item.metadata.name);
    };
    expect(await names(`labelSelector=${encodeURIComponent('app=web')}`)).toEqual(['a', 'b']);
    expect(await names(`labelSelector=${encodeURIComponent('app=web,tier!=front')}`)).toEqual(['b']);
    expect(await names(`labelSelector=${encodeURIComponent('tier in (front,back),app')}`)).toEqual(['a', 'b']);
    expect(await names(`labelSelector=${encodeURIComponent('!tier')}`)).toEqual(['c']);
    expect(await names(`fieldSelector=${encodeURIComponent('metadata.name=c')}`)).toEqual(['c']);
    const everywhere = await apiCall(base, 'GET', `/api/v1/configmaps?fieldSelector=${encodeURIComponent(`metadata.namespace=${ns}`)}&labelSelector=app%3Ddb`);
    expect(everywhere.body.items.map((item: ParsedJson) => `${item.metadata.namespace}/${item.metadata.name}`)).toEqual([`${ns}/c`]);

    const badLabel = await apiCall(base, 'GET', `/api/v1/namespaces/${ns}/configmaps?labelSelector=${encodeURIComponent('app in (web')}`);
    expect(badLabel.status).toBe(400);
    const badField = await apiCall(base, 'GET', `/api/v1/namespaces/${ns}/configmaps?fieldSelector=spec.nodeName%3Dn1`);
    expect(badField.status).toBe(400);
    expect(badField.body.message).toBe('"spec.nodeName" is not a known field selector: only "metadata.name", "metadata.namespace"');
  });
});

describe('watch', () => {
  test('a watch from a list resourceVersion sees every later change exactly once, in order, while writes race the list', async () => {
    const ns = await freshNamespace();
    const path = `/api/v1/namespaces/${ns}/configmaps`;
    let writing = true;
    let written = 0;
    const writer = (async () => {
      for (let i = 0; writing || i < 30; i++) {
        const name = `cm-${i % 12}`;
        const current = await apiCall(base, 'GET', `${path}/${name}`);
        if (current.status === 404) await apiCall(base, 'POST', path, configMap(name, { v: String(i) }));
        else if (i % 5 === 0) await apiCall(base, 'DELETE', `${path}/${name}`);
        else await apiCall(base, 'PUT', `${path}/${name}`, { ...current.body, data: { v: String(i) } });
        written++;
      }
    })();
    await eventually(async () => expect(written).toBeGreaterThan(10));
    const list = await apiCall(base, 'GET', path);
    const watch = new HttpWatch(base, `${path}?watch=1&resourceVersion=${list.body.metadata.resourceVersion}`);
    writing = false;
    await writer;
    const final = await apiCall(base, 'GET', path);
    const finalRevision = Number(final.body.metadata.resourceVersion);
    // Nothing else writes during this test: the writer's last write is the store's latest revision.
    await eventually(async () => expect(Number(watch.events.at(-1)?.object.metadata.resourceVersion)).toBe(finalRevision));
    watch.stop();

    // Revisions strictly increase after the list's: each change once, in order.
    const revisions = watch.events.map((event) => Number(event.object.metadata.resourceVersion));
    expect(revisions[0]).toBeGreaterThan(Number(list.body.metadata.resourceVersion));
    for (let i = 1; i < revisions.length; i++) expect(revisions[i]).toBeGreaterThan(revisions[i - 1]!);

    // The list plus the events is the final state.
    const state = new Map<string, string>(list.body.items.map((item: ParsedJson) => [item.metadata.name, item.data.v]));
    for (const event of watch.events) {
      if (event.type === 'DELETED') {
        expect(state.has(event.object.metadata.name)).toBe(true);
        state.delete(event.object.metadata.name);
      } else {
        expect(event.type).toBe(state.has(event.object.metadata.name) ? 'MODIFIED' : 'ADDED');
        state.set(event.object.metadata.name, event.object.data.v);
      }
    }
    expect(state).toEqual(new Map(final.body.items.map((item: ParsedJson) => [item.metadata.name, item.data.v])));
  });

  test('without a resourceVersion the current objects come first as ADDED; selectors turn leaving objects into DELETED', async () => {
    const ns = await freshNamespace();
    const path = `/api/v1/namespaces/${ns}/configmaps`;
    await apiCall(base, 'POST', path, configMap('a', {}, { app: 'web' }));
    await apiCall(base, 'POST', path, configMap('b', {}, { app: 'db' }));
    const watch = new HttpWatch(base, `${path}?watch=true&labelSelector=app%3Dweb`);
    await eventually(async () => expect(watch.events).toHaveLength(1));
    expect(watch.events[0]).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'a' } } });
    await apiCall(base, 'PATCH', `${path}/b`, { metadata: { labels: { app: 'web' } } }, 'application/merge-patch+json');
    await apiCall(base, 'PATCH', `${path}/a`, { metadata: { labels: { app: 'db' } } }, 'application/merge-patch+json');
    await eventually(async () => expect(watch.events).toHaveLength(3));
    watch.stop();
    expect(watch.events.slice(1).map((event) => `${event.type} ${event.object.metadata.name}`)).toEqual(['ADDED b', 'DELETED a']);
  });

  test('a resourceVersion older than the watch cache holds goes to the KV: 410 Expired once compacted, as is a list continue token', async () => {
    // An API server whose caches keep one change: an older revision is the KV's to answer.
    const small = await ApiServer.start({ kvEndpoints: cluster.clientEndpoints, httpPort: 0, grpcPort: 0, watchCacheSize: 1 });
    try {
      const smallBase = small.http.url;
      await eventually(async () => expect((await apiCall(smallBase, 'GET', '/readyz')).status).toBe(200));
      await eventually(async () => expect(small.registry.watchCacheWatchers().has('configmaps')).toBe(true));
      const ns = await freshNamespace();
      const path = `/api/v1/namespaces/${ns}/configmaps`;
      for (let i = 0; i < 3; i++) await apiCall(smallBase, 'POST', path, configMap(`cm-${i}`, {}));
      const first = await apiCall(smallBase, 'GET', `${path}?limit=1`);
      const old = Number(first.body.metadata.resourceVersion);
      await apiCall(smallBase, 'POST', path, configMap('later', {}));
      const latest = Number((await apiCall(smallBase, 'GET', path)).body.metadata.resourceVersion);
      await rpc.kv[1]!('Compact', { revision: latest, physical: true });

      const watch = new HttpWatch(smallBase, `${path}?watch=1&resourceVersion=${old - 1}`);
      await watch.ended;
      expect(watch.status).toBe(200);
      expect(watch.events).toHaveLength(1);
      expect(watch.events[0]).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } });
      expect(watch.events[0]!.object.message).toBe(`too old resource version: ${old - 1} (${latest})`);

      const page = await apiCall(smallBase, 'GET', `${path}?limit=1&continue=${encodeURIComponent(first.body.metadata.continue)}`);
      expect(page.status).toBe(410);
      expect(page.body.reason).toBe('Expired');

      // From the compaction point on, watching works.
      const fresh = new HttpWatch(smallBase, `${path}?watch=1&resourceVersion=${latest}`);
      await apiCall(smallBase, 'DELETE', `${path}/later`);
      await eventually(async () => expect(fresh.events.map((event) => event.type)).toEqual(['DELETED']));
      fresh.stop();
    } finally {
      await small.stop();
    }
  });

  test('a resourceVersion the watch cache still holds is served from it, even after the KV compacted it (as Kubernetes does)', async () => {
    const ns = await freshNamespace();
    const path = `/api/v1/namespaces/${ns}/configmaps`;
    const start = await apiCall(base, 'GET', path);
    await apiCall(base, 'POST', path, configMap('one', {}));
    await apiCall(base, 'POST', path, configMap('two', {}));
    const latest = Number((await apiCall(base, 'GET', path)).body.metadata.resourceVersion);
    await rpc.kv[1]!('Compact', { revision: latest, physical: true });
    const watch = new HttpWatch(base, `${path}?watch=1&resourceVersion=${start.body.metadata.resourceVersion}`);
    await eventually(async () => expect(watch.events.map((event) => `${event.type} ${event.object.metadata.name}`)).toEqual(['ADDED one', 'ADDED two']));
    watch.stop();
  });
});

describe('deletion', () => {
  test('finalizers keep a deleted object, marked, until an update removes the last one', async () => {
    const ns = await freshNamespace();
    const path = `/api/v1/namespaces/${ns}/configmaps/held`;
    const created = await apiCall(base, 'POST', `/api/v1/namespaces/${ns}/configmaps`, { ...configMap('held', {}), metadata: { name: 'held', finalizers: ['example.com/keep'] } });
    expect(created.status).toBe(201);
    const watch = new HttpWatch(base, `/api/v1/namespaces/${ns}/configmaps?watch=1&resourceVersion=${created.body.metadata.resourceVersion}`);
    const deleted = await apiCall(base, 'DELETE', path);
    expect(deleted.status).toBe(200);
    expect(deleted.body.metadata.deletionTimestamp).toBeDefined();
    const still = await apiCall(base, 'GET', path);
    expect(still.status).toBe(200);
    expect(still.body.metadata.finalizers).toEqual(['example.com/keep']);

    const addAnother = await apiCall(base, 'PUT', path, { ...still.body, metadata: { ...still.body.metadata, finalizers: ['example.com/keep', 'example.com/more'] } });
    expect(addAnother.status).toBe(422);
    expect(addAnother.body.message).toContain('no new finalizers can be added if the object is being deleted');

    const released = await apiCall(base, 'PUT', path, { ...still.body, metadata: { ...still.body.metadata, finalizers: [] } });
    expect(released.status).toBe(200);
    expect((await apiCall(base, 'GET', path)).status).toBe(404);
    await eventually(async () => expect(watch.events.map((event) => event.type)).toEqual(['MODIFIED', 'DELETED']));
    watch.stop();
  });

  test('a pod bound to a node is deleted gracefully: marked with its grace period until deleted with grace 0', async () => {
    const ns = await freshNamespace();
    const pods = `/api/v1/namespaces/${ns}/pods`;
    const pod = (name: string, nodeName?: string) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: { ...(nodeName ? { nodeName } : {}), terminationGracePeriodSeconds: 20, containers: [{ name: 'c', image: 'busybox' }] },
    });
    expect((await apiCall(base, 'POST', pods, pod('unbound'))).status).toBe(201);
    expect((await apiCall(base, 'POST', pods, pod('bound', 'n1'))).status).toBe(201);
    expect((await apiCall(base, 'DELETE', `${pods}/unbound`)).status).toBe(200);
    expect((await apiCall(base, 'GET', `${pods}/unbound`)).status).toBe(404);

    const marked = await apiCall(base, 'DELETE', `${pods}/bound`);
    expect(marked.body.metadata.deletionGracePeriodSeconds).toBe(20);
    expect(Date.parse(marked.body.metadata.deletionTimestamp)).toBeGreaterThan(Date.now() + 10_000);
    expect((await apiCall(base, 'GET', `${pods}/bound`)).body.status.phase).toBe('Pending');
    expect((await apiCall(base, 'DELETE', `${pods}/bound`, { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0 })).status).toBe(200);
    expect((await apiCall(base, 'GET', `${pods}/bound`)).status).toBe(404);
  });

  test('delete with a stale precondition is 409 and deletes nothing; deleting what is gone is 404', async () => {
    const ns = await freshNamespace();
    const created = await apiCall(base, 'POST', `/api/v1/namespaces/${ns}/configmaps`, configMap('x', {}));
    await apiCall(base, 'PATCH', `/api/v1/namespaces/${ns}/configmaps/x`, { data: { b: '2' } }, 'application/merge-patch+json');
    const stale = await apiCall(base, 'DELETE', `/api/v1/namespaces/${ns}/configmaps/x`, { preconditions: { resourceVersion: created.body.metadata.resourceVersion } });
    expect(stale.status).toBe(409);
    expect((await apiCall(base, 'GET', `/api/v1/namespaces/${ns}/configmaps/x`)).status).toBe(200);
    expect((await apiCall(base, 'DELETE', `/api/v1/namespaces/${ns}/configmaps/x`)).status).toBe(200);
    const gone = await apiCall(base, 'DELETE', `/api/v1/namespaces/${ns}/configmaps/x`);
    expect(gone.status).toBe(404);
    expect(gone.body.message).toBe('configmaps "x" not found');
  });
});

describe('two API servers over one KV', () => {
  // Each remembers the objects it wrote as first guesses for later writes: a guess the other
  // made stale must cost a retry, never a lost change or a wrong answer.
  test('writes through both interleave without losing a change; stale memory never decides', async () => {
    const other = await ApiServer.start({ kvEndpoints: cluster.clientEndpoints, httpPort: 0, grpcPort: 0 });
    try {
      const ns = await freshNamespace();
      const path = `/api/v1/namespaces/${ns}/configmaps/shared`;
      const merge = 'application/merge-patch+json';
      await apiCall(base, 'POST', `/api/v1/namespaces/${ns}/configmaps`, configMap('shared', {}));
      await apiCall(base, 'PATCH', path, { metadata: { labels: { a: '1' } } }, merge);
      await apiCall(other.http.url, 'PATCH', path, { metadata: { labels: { b: '2' } } }, merge);
      const third = await apiCall(base, 'PATCH', path, { metadata: { labels: { c: '3' } } }, merge);
      expect(third.status).toBe(200);
      expect(third.body.metadata.labels).toEqual({ a: '1', b: '2', c: '3' });

      // A replace with the current resourceVersion (learned from the other server) succeeds here.
      const latest = (await apiCall(other.http.url, 'PATCH', path, { data: { x: 'y' } }, merge)).body;
      const replaced = await apiCall(base, 'PUT', path, { ...latest, data: { x: 'z' } });
      expect(replaced.status).toBe(200);
      expect(replaced.body.data).toEqual({ x: 'z' });
      // ... and one with an old resourceVersion is a conflict, whatever this server remembers.
      const old = await apiCall(base, 'PUT', path, { ...latest, data: { x: 'w' } });
      expect(old.status).toBe(409);

      // Bound through the other server: a second binding here is a conflict.
      const pods = `/api/v1/namespaces/${ns}/pods`;
      await apiCall(base, 'POST', pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'i' }] } });
      const bind = (server: string, node: string) => apiCall(server, 'POST', `${pods}/p/binding`, { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'p' }, target: { kind: 'Node', name: node } });
      expect((await bind(other.http.url, 'n1')).status).toBe(201);
      const second = await bind(base, 'n2');
      expect(second.status).toBe(409);
      expect(second.body.message).toContain('already assigned to node "n1"');

      // A namespace deleted and made again through the other server takes new objects here.
      const doomed = await freshNamespace();
      await apiCall(base, 'POST', `/api/v1/namespaces/${doomed}/configmaps`, configMap('before', {}));
      await apiCall(other.http.url, 'DELETE', `/api/v1/namespaces/${doomed}`);
      await apiCall(other.http.url, 'PUT', `/api/v1/namespaces/${doomed}`, {
        ...(await apiCall(other.http.url, 'GET', `/api/v1/namespaces/${doomed}`)).body,
        spec: { finalizers: [] },
      });
      await eventually(async () => expect((await apiCall(other.http.url, 'GET', `/api/v1/namespaces/${doomed}`)).status).toBe(404));
      expect((await apiCall(other.http.url, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: doomed } })).status).toBe(201);
      const after = await apiCall(base, 'POST', `/api/v1/namespaces/${doomed}/configmaps`, configMap('after', {}));
      expect(after.status).toBe(201);
    } finally {
      await other.stop();
    }
  });
});

describe('availability', () => {
  test('the API keeps serving when the KV member it was using stops', async () => {
    const ns = await freshNamespace();
    await cluster.stopMember(0);
    try {
      const created = await apiCall(base, 'POST', `/api/v1/namespaces/${ns}/configmaps`, configMap('after-stop', {}));
      expect(created.status).toBe(201);
      expect((await apiCall(base, 'GET', `/api/v1/namespaces/${ns}/configmaps/after-stop`)).status).toBe(200);
    } finally {
      await cluster.restartMember(0);
    }
  });
});
