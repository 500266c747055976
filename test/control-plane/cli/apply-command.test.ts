/**
 * `balsa apply` against a fake API server: creates what is missing, reports `unchanged` when
 * the live object already matches (server-filled fields included), `configured` after a
 * PUT with the live resourceVersion, retries from a fresh read after a 409, and reports
 * per-object failures in kubectl's words while applying the rest.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type { ApiObject } from '../../../control-plane/api/types.js';
import { FakeApiServer } from './fake-api-server.js';
import { runBalsa } from './cli-test-io.js';

let server: FakeApiServer;
let directory: string;

beforeEach(async () => {
  server = await FakeApiServer.start();
  directory = await mkdtemp(path.join(tmpdir(), 'balsa-apply-'));
});

afterEach(async () => {
  await server.close();
  await rm(directory, { recursive: true, force: true });
});

function manifest(replicas: number): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.25
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - port: 80
`;
}

test('creates, then unchanged (despite server-filled fields), then configured', async () => {
  const file = path.join(directory, 'web.yaml');
  await writeFile(file, manifest(2));
  expect(await runBalsa(server, ['apply', '-f', file])).toEqual({ code: 0, stdout: 'deployment.apps/web created\nservice/web created\n', stderr: '' });

  // What a real API server and controllers add: a cluster IP, defaulted protocol, status.
  const service = server.get('Service', 'default', 'web')!;
  server.store({ ...service, spec: { ...service.spec, clusterIP: '10.96.0.20', type: 'ClusterIP', ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }] } });
  const deployment = server.get('Deployment', 'default', 'web')!;
  server.store({ ...deployment, status: { replicas: 2, readyReplicas: 2 } });
  expect(await runBalsa(server, ['apply', '-f', file])).toEqual({ code: 0, stdout: 'deployment.apps/web unchanged\nservice/web unchanged\n', stderr: '' });
  expect(server.requests.filter((request) => request.method === 'PUT')).toEqual([]);

  await writeFile(file, manifest(3));
  const liveVersion = server.get('Deployment', 'default', 'web')!.metadata.resourceVersion;
  expect(await runBalsa(server, ['apply', '-f', file])).toEqual({ code: 0, stdout: 'deployment.apps/web configured\nservice/web unchanged\n', stderr: '' });
  const puts = server.requests.filter((request) => request.method === 'PUT');
  expect(puts.map((request) => request.path)).toEqual(['/apis/apps/v1/namespaces/default/deployments/web']);
  expect((puts[0]!.body as ApiObject).metadata.resourceVersion).toBe(liveVersion);
  const updated = server.get('Deployment', 'default', 'web')!;
  expect(updated.spec!.replicas).toBe(3);
  expect(updated.status).toEqual({ replicas: 2, readyReplicas: 2 });
  expect(server.get('Service', 'default', 'web')!.spec!.clusterIP).toBe('10.96.0.20');
});

test('a 409 Conflict is retried from a fresh read, keeping the concurrent change', async () => {
  const file = path.join(directory, 'web.yaml');
  await writeFile(file, manifest(2));
  await runBalsa(server, ['apply', '-f', file]);
  await writeFile(file, manifest(5));
  let interfered = false;
  server.beforeRequest = (request) => {
    if (request.method !== 'PUT' || interfered) return undefined;
    interfered = true;
    const live = server.get('Deployment', 'default', 'web')!;
    server.store({ ...live, metadata: { ...live.metadata, annotations: { 'someone/else': 'was here' } } });
    return undefined;
  };
  expect(await runBalsa(server, ['apply', '-f', file])).toEqual({ code: 0, stdout: 'deployment.apps/web configured\nservice/web unchanged\n', stderr: '' });
  expect(server.requests.filter((request) => request.method === 'PUT')).toHaveLength(2);
  const live = server.get('Deployment', 'default', 'web')!;
  expect(live.spec!.replicas).toBe(5);
  expect(live.metadata.annotations).toMatchObject({ 'someone/else': 'was here' });
});

test('gives up after five conflicts with the server message', async () => {
  const file = path.join(directory, 'web.yaml');
  await writeFile(file, manifest(2));
  await runBalsa(server, ['apply', '-f', file]);
  await writeFile(file, manifest(4));
  server.beforeRequest = (request) => {
    if (request.method !== 'PUT') return undefined;
    const live = server.get('Deployment', 'default', 'web')!;
    server.store({ ...live });
    return undefined;
  };
  const result = await runBalsa(server, ['apply', '-f', file]);
  expect(result.code).toBe(1);
  expect(result.stdout).toBe('service/web unchanged\n');
  expect(result.stderr).toBe(
    `Error from server (Conflict): error when applying "${file}" (gave up after 5 conflicting writes): Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again\n`,
  );
  expect(server.requests.filter((request) => request.method === 'PUT')).toHaveLength(5);
});

test('failures are reported per object in kubectl words; the others are applied; exit 1', async () => {
  const file = path.join(directory, 'mixed.yaml');
  await writeFile(
    file,
    [
      'apiVersion: v1\nkind: Foo\nmetadata: {name: x}',
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: bad}\nspec: {replicas: -1}',
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: other, namespace: prod}\ndata: {a: "1"}',
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: good}\ndata: {a: "1"}',
    ].join('\n---\n'),
  );
  const result = await runBalsa(server, ['apply', '-f', file, '-n', 'default']);
  expect(result.code).toBe(1);
  expect(result.stdout).toBe('configmap/good created\n');
  expect(result.stderr).toBe(
    [
      `error: unable to recognize "${file}": no matches for kind "Foo" in version "v1"`,
      `Error from server (Invalid): error when creating "${file}": Deployment.apps "bad" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0`,
      `error: the namespace from the provided object "prod" does not match the namespace "default". You must pass '--namespace=prod' to perform this operation.`,
      '',
    ].join('\n'),
  );
});

test('stdin, a JSON List, namespaces from the manifest or -n, cluster-scoped kinds', async () => {
  const list = {
    apiVersion: 'v1',
    kind: 'List',
    items: [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'prod' } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'prod' }, data: { k: 'v' } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b' }, data: { k: 'v' } },
    ],
  };
  const result = await runBalsa(server, ['apply', '-f', '-', '-n', 'staging'], { stdin: JSON.stringify(list) });
  expect(result).toEqual({ code: 1, stdout: 'namespace/prod created\nconfigmap/b created\n', stderr: expect.stringContaining('does not match the namespace "staging"') });
  expect(server.get('ConfigMap', 'staging', 'b')).toBeDefined();
  expect((await runBalsa(server, ['apply', '-f', '-'], { stdin: JSON.stringify(list) })).stdout).toBe('namespace/prod unchanged\nconfigmap/a created\nconfigmap/b created\n');
  expect(server.get('ConfigMap', 'prod', 'a')).toBeDefined();
  expect(server.get('ConfigMap', 'default', 'b')).toBeDefined();
});

test('usage and reading errors', async () => {
  expect(await runBalsa(server, ['apply'])).toEqual({ code: 2, stdout: '', stderr: "error: must specify one of -f or --filename\nSee 'balsa apply --help' for usage.\n" });
  const missing = path.join(directory, 'nope.yaml');
  expect(await runBalsa(server, ['apply', '-f', missing])).toEqual({ code: 1, stdout: '', stderr: `error: the path "${missing}" does not exist\n` });
  expect(server.requests).toEqual([]);
});
