/**
 * The watch cache under concurrent writes: watchers joining at different revisions (some
 * inside the cache's window, served from it; some older, served by a KV watch of their own),
 * with and without selectors, each see every change after their revision exactly once and
 * in order, so that their list plus their events is the final state. And the value encoded
 * once for all watchers is the object as a get returns it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiServer } from '../../../control-plane/apiserver/api-server.js';
import { resourceByName } from '../../../control-plane/api/resources.js';
import { GrpcApiClient } from '../../../control-plane/client/grpc-api-client.js';
import { storedJsonWithVersion, encodeObject } from '../../../control-plane/apiserver/stored-objects.js';
import { apiCall, HttpWatch } from '../../support/api-http.js';
import type { ParsedJson, WireWatchEvent } from '../../support/api-http.js';
import { eventually } from '../../support/eventually.js';
import { startKvCluster } from '../../support/kv-cluster.js';
import type { KvCluster } from '../../support/kv-cluster.js';
import type { ApiObject } from '../../../control-plane/api/types.js';

const CACHE_SIZE = 40;

let dir: string;
let cluster: KvCluster;
let api: ApiServer;
let base: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'balsa-watch-cache-'));
  cluster = await startKvCluster({ members: 1, dir });
  api = await ApiServer.start({ kvEndpoints: cluster.clientEndpoints, httpPort: 0, grpcPort: 0, watchCacheSize: CACHE_SIZE });
  base = api.http.url;
  await eventually(async () => expect((await apiCall(base, 'GET', '/readyz')).status).toBe(200));
  await eventually(async () => expect(api.registry.watchCacheWatchers().has('configmaps')).toBe(true));
});

afterAll(async () => {
  await api?.stop();
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

function configMap(name: string, value: string, tier: string): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { tier } }, data: { v: value } };
}

/** Applies watch events to a list's state (name → value), checking each type against what it already holds. */
function replay(start: Map<string, string>, events: readonly WireWatchEvent[]): Map<string, string> {
  const state = new Map(start);
  let revision = 0;
  for (const event of events) {
    const current = Number(event.object.metadata.resourceVersion);
    expect(current).toBeGreaterThan(revision);
    revision = current;
    const name = event.object.metadata.name as string;
    if (event.type === 'DELETED') {
      expect(state.has(name)).toBe(true);
      state.delete(name);
    } else {
      expect(`${event.type} ${name}`).toBe(`${state.has(name) ? 'MODIFIED' : 'ADDED'} ${name}`);
      state.set(name, event.object.data.v as string);
    }
  }
  return state;
}

test('watchers joining at many revisions, inside and outside the window, each see every later change once, in order', async () => {
  const path = '/api/v1/namespaces/default/configmaps';
  const snapshots: { revision: string; state: Map<string, string>; tierState: Map<string, string> }[] = [];
  const snapshot = async (): Promise<void> => {
    const list = await apiCall(base, 'GET', path);
    const state = new Map<string, string>(list.body.items.map((item: ParsedJson) => [item.metadata.name, item.data.v]));
    const tierState = new Map<string, string>(list.body.items.filter((item: ParsedJson) => item.metadata.labels?.tier === 'front').map((item: ParsedJson) => [item.metadata.name, item.data.v]));
    snapshots.push({ revision: list.body.metadata.resourceVersion, state, tierState });
  };
  await snapshot();
  // Two writers racing: creates, updates that move objects between tiers (in and out of the selector), deletes.
  const writer = async (id: number): Promise<void> => {
    for (let i = 0; i < 60; i++) {
      const name = `w${id}-${i % 7}`;
      const current = await apiCall(base, 'GET', `${path}/${name}`);
      const tier = i % 3 === 0 ? 'back' : 'front';
      if (current.status === 404) await apiCall(base, 'POST', path, configMap(name, String(i), tier));
      else if (i % 4 === 0) await apiCall(base, 'DELETE', `${path}/${name}`);
      else await apiCall(base, 'PUT', `${path}/${name}`, { ...current.body, metadata: { ...current.body.metadata, labels: { tier } }, data: { v: String(i) } });
      if (i % 15 === 7 && id === 0) await snapshot();
    }
  };
  await Promise.all([writer(0), writer(1)]);
  const final = await apiCall(base, 'GET', path);
  const finalRevision = Number(final.body.metadata.resourceVersion);
  const finalState = new Map<string, string>(final.body.items.map((item: ParsedJson) => [item.metadata.name, item.data.v]));
  const finalFront = new Map<string, string>(final.body.items.filter((item: ParsedJson) => item.metadata.labels?.tier === 'front').map((item: ParsedJson) => [item.metadata.name, item.data.v]));

  // The first snapshot is older than the 40 changes the cache keeps (240 writes since): a KV watch serves it.
  const before = api.registry.watchCacheWatchers().get('configmaps')!;
  const watches = snapshots.map((taken) => ({
    taken,
    all: new HttpWatch(base, `${path}?watch=1&resourceVersion=${taken.revision}`),
    front: new HttpWatch(base, `${path}?watch=1&resourceVersion=${taken.revision}&labelSelector=tier%3Dfront`),
  }));
  // A change after every watcher joined reaches all of them: the last event each sees is this one.
  await eventually(async () => expect(api.registry.watchCacheWatchers().get('configmaps')! - before).toBeGreaterThan(0));
  const lastWrite = await apiCall(base, 'POST', path, configMap('last', 'end', 'front'));
  const lastRevision = Number(lastWrite.body.metadata.resourceVersion);
  expect(lastRevision).toBeGreaterThan(finalRevision);
  finalState.set('last', 'end');
  finalFront.set('last', 'end');
  for (const { all, front } of watches) {
    await eventually(async () => expect(Number(all.events.at(-1)?.object.metadata.resourceVersion)).toBe(lastRevision));
    await eventually(async () => expect(Number(front.events.at(-1)?.object.metadata.resourceVersion)).toBe(lastRevision));
  }
  // Every watcher is in: the recent ones are the cache's, the oldest (the first snapshot, 240 writes ago) is a KV watch's.
  const served = api.registry.watchCacheWatchers().get('configmaps')! - before;
  expect(served).toBeGreaterThan(0);
  expect(served).toBeLessThan(2 * watches.length);
  for (const { taken, all, front } of watches) {
    all.stop();
    front.stop();
    expect(Number(all.events[0]!.object.metadata.resourceVersion)).toBeGreaterThan(Number(taken.revision));
    expect(replay(taken.state, all.events)).toEqual(finalState);
    expect(replay(taken.tierState, front.events)).toEqual(finalFront);
  }
  expect(snapshots.length).toBeGreaterThan(2);
});

test('a gRPC watch that replays hundreds of changes at once (sent in batches) gets each of them once, in order', async () => {
  const path = '/api/v1/namespaces/default/configmaps';
  const from = (await apiCall(base, 'GET', path)).body.metadata.resourceVersion as string;
  const written: number[] = [];
  for (let i = 0; i < 30; i++) {
    // Ten writes at a time: the cache receives them in few KV responses.
    const answers = await Promise.all(Array.from({ length: 10 }, (_, j) => apiCall(base, 'POST', path, configMap(`batch-${i}-${j}`, String(j), 'front'))));
    written.push(...answers.map((answer) => Number(answer.body.metadata.resourceVersion)));
  }
  const client = new GrpcApiClient(api.grpc.address);
  try {
    const seen: number[] = [];
    const watch = client.watch(resourceByName('configmaps')!, 'default', { resourceVersion: from }, (event) => seen.push(Number(event.object.metadata.resourceVersion)), () => {});
    await eventually(async () => expect(seen).toHaveLength(written.length));
    watch.cancel();
    expect(seen).toEqual([...written].sort((a, b) => a - b));
  } finally {
    client.close();
  }
});

test('a watch event carries the object exactly as a get returns it', async () => {
  const path = '/api/v1/namespaces/default/configmaps';
  const watch = new HttpWatch(base, `${path}?watch=1&resourceVersion=${(await apiCall(base, 'GET', path)).body.metadata.resourceVersion}`);
  const created = await apiCall(base, 'POST', path, { kind: 'ConfigMap', metadata: { name: 'shape', annotations: { note: 'a "quoted" \\ value' } }, apiVersion: 'v1', data: { k: '"metadata":{' } });
  await apiCall(base, 'DELETE', `${path}/shape`);
  await eventually(async () => expect(watch.events.map((event) => event.type)).toEqual(['ADDED', 'DELETED']));
  watch.stop();
  expect(watch.events[0]!.object).toEqual(created.body);
  expect(watch.events[1]!.object).toEqual({ ...created.body, metadata: { ...created.body.metadata, resourceVersion: watch.events[1]!.object.metadata.resourceVersion } });
  expect(Number(watch.events[1]!.object.metadata.resourceVersion)).toBeGreaterThan(Number(created.body.metadata.resourceVersion));
});

test('the stored JSON with its resourceVersion put back equals encoding the object with it, for any metadata', () => {
  const objects: ApiObject[] = [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: {} },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', resourceVersion: '3' }, data: { x: '"metadata":{"resourceVersion":"9"' } },
    { kind: 'Pod', apiVersion: 'v1', spec: { containers: [] }, metadata: { name: 'b\\"c', labels: { 'a/b': 'c' } } },
  ];
  for (const object of objects) {
    const stored = encodeObject(object);
    const expected = { ...object, metadata: { ...object.metadata, resourceVersion: '42' } };
    expect(JSON.parse(storedJsonWithVersion(stored, 42))).toEqual(expected);
  }
  // A value in another shape (written by something else) still comes out right.
  expect(JSON.parse(storedJsonWithVersion(Buffer.from('{"metadata":{"name":"x"},"kind":"ConfigMap","apiVersion":"v1"}'), 7))).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', resourceVersion: '7' } });
});
