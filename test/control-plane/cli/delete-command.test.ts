/**
 * `balsa delete` against a fake API server: kubectl's `pod "web" deleted`, waiting until an
 * object held by a finalizer is really gone (or timing out), `--wait=false`, selectors,
 * `--all`, manifests, grace periods in DeleteOptions, and NotFound (ignorable).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type { ApiObject } from '../../../control-plane/api/types.js';
import { FakeApiServer } from './fake-api-server.js';
import { runBalsa } from './cli-test-io.js';

let server: FakeApiServer;

function pod(name: string, extra: Partial<ApiObject['metadata']> = {}): ApiObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels: { app: name.split('-')[0]! }, ...extra }, spec: { containers: [{ name: 'main', image: 'nginx' }] } };
}

beforeEach(async () => {
  server = await FakeApiServer.start({ objects: [pod('web'), pod('api-1'), pod('api-2'), pod('held', { finalizers: ['example.com/cleanup'] })] });
});

afterEach(async () => {
  await server.close();
});

test('deletes by name and waits for nothing more when it is gone at once', async () => {
  expect(await runBalsa(server, ['delete', 'pod', 'web'])).toEqual({ code: 0, stdout: 'pod "web" deleted\n', stderr: '' });
  expect(server.get('Pod', 'default', 'web')).toBeUndefined();
  expect(server.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
    'DELETE /api/v1/namespaces/default/pods/web',
    'GET /api/v1/namespaces/default/pods/web',
  ]);
});

test('waits while a finalizer holds the object', async () => {
  const releaseAfterMs = 300;
  const timer = setTimeout(() => server.remove('Pod', 'default', 'held'), releaseAfterMs);
  const started = Date.now();
  try {
    expect(await runBalsa(server, ['delete', 'pods', 'held'])).toEqual({ code: 0, stdout: 'pod "held" deleted\n', stderr: '' });
  } finally {
    clearTimeout(timer);
  }
  expect(Date.now() - started).toBeGreaterThanOrEqual(releaseAfterMs - 20);
  expect(server.get('Pod', 'default', 'held')).toBeUndefined();
});

test('--wait=false returns at once; --timeout gives up with kubectl message', async () => {
  expect(await runBalsa(server, ['delete', 'pod', 'held', '--wait=false'])).toEqual({ code: 0, stdout: 'pod "held" deleted\n', stderr: '' });
  expect(server.get('Pod', 'default', 'held')!.metadata.deletionTimestamp).toBeDefined();
  const started = Date.now();
  expect(await runBalsa(server, ['delete', 'pod', 'held', '--timeout', '300ms'])).toEqual({
    code: 1,
    stdout: 'pod "held" deleted\n',
    stderr: 'error: timed out waiting for the condition on pods/held\n',
  });
  expect(Date.now() - started).toBeLessThan(3000);
});

test('NotFound is an error unless --ignore-not-found; others are still deleted', async () => {
  expect(await runBalsa(server, ['delete', 'pods', 'nope', 'web'])).toEqual({
    code: 1,
    stdout: 'pod "web" deleted\n',
    stderr: 'Error from server (NotFound): pods "nope" not found\n',
  });
  expect(await runBalsa(server, ['delete', 'pods', 'nope', '--ignore-not-found'])).toEqual({ code: 0, stdout: '', stderr: '' });
});

test('by selector, --all, apps kinds, grace period', async () => {
  expect(await runBalsa(server, ['delete', 'pods', '-l', 'app=api', '--grace-period', '5'])).toEqual({
    code: 0,
    stdout: 'pod "api-1" deleted\npod "api-2" deleted\n',
    stderr: '',
  });
  const deletes = server.requests.filter((request) => request.method === 'DELETE');
  expect(deletes.map((request) => request.body)).toEqual([
    { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 5 },
    { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 5 },
  ]);
  expect(await runBalsa(server, ['delete', 'pods', '-l', 'app=none'])).toEqual({ code: 0, stdout: '', stderr: 'No resources found in default namespace.\n' });
  server.store({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' }, spec: {} });
  expect((await runBalsa(server, ['delete', 'deploy', '--all', '--cascade=foreground'])).stdout).toBe('deployment.apps "web" deleted\n');
  expect(server.requests.at(-2)!.body).toEqual({ kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Foreground' });
  expect((await runBalsa(server, ['delete', 'pods'])).stderr).toContain('resource(s) were provided, but no name, label selector, or --all flag specified');
});

test('-f deletes what a manifest names', async () => {
  const directory = await mkdtemp(path.join(tmpdir(), 'balsa-delete-'));
  try {
    const file = path.join(directory, 'pods.yaml');
    await writeFile(file, 'apiVersion: v1\nkind: Pod\nmetadata: {name: web}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: api-1, namespace: default}\n');
    expect(await runBalsa(server, ['delete', '-f', file])).toEqual({ code: 0, stdout: 'pod "web" deleted\npod "api-1" deleted\n', stderr: '' });
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
});
