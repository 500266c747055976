/**
 * `balsa label` against a fake API server: a merge patch carrying the resourceVersion read,
 * adds and removes, `not labeled` when nothing changes, kubectl's refusal without
 * --overwrite, a retry after a 409, selectors, and usage errors for bad labels.
 */
import type { ApiObject } from '../../../control-plane/api/types.js';
import { FakeApiServer } from './fake-api-server.js';
import { runBalsa } from './cli-test-io.js';

let server: FakeApiServer;

function pod(name: string, labels: Record<string, string>): ApiObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels }, spec: { containers: [] } };
}

beforeEach(async () => {
  server = await FakeApiServer.start({ objects: [pod('web', { app: 'web', tier: 'fe' }), pod('api', { app: 'api' })] });
});

afterEach(async () => {
  await server.close();
});

test('adds and removes with a merge patch that carries the resourceVersion', async () => {
  const version = server.get('Pod', 'default', 'web')!.metadata.resourceVersion;
  expect(await runBalsa(server, ['label', 'pods', 'web', 'env=prod', 'tier-'])).toEqual({ code: 0, stdout: 'pod/web labeled\n', stderr: '' });
  expect(server.get('Pod', 'default', 'web')!.metadata.labels).toEqual({ app: 'web', env: 'prod' });
  const patch = server.requests.find((request) => request.method === 'PATCH')!;
  expect(patch.contentType).toBe('application/merge-patch+json');
  expect(patch.body).toEqual({ metadata: { labels: { env: 'prod', tier: null }, resourceVersion: version } });
});

test('nothing to change: not labeled; a missing key is mentioned', async () => {
  expect(await runBalsa(server, ['label', 'pod/web', 'app=web', 'gone-'])).toEqual({ code: 0, stdout: 'pod/web not labeled\n', stderr: 'label "gone" not found.\n' });
  expect(server.requests.some((request) => request.method === 'PATCH')).toBe(false);
});

test('an existing value changes only with --overwrite', async () => {
  expect(await runBalsa(server, ['label', 'pods', 'web', 'app=other'])).toEqual({
    code: 1,
    stdout: '',
    stderr: "error: 'app' already has a value (web), and --overwrite is false\n",
  });
  expect(server.get('Pod', 'default', 'web')!.metadata.labels!.app).toBe('web');
  expect(await runBalsa(server, ['label', 'pods', 'web', 'app=other', '--overwrite'])).toEqual({ code: 0, stdout: 'pod/web labeled\n', stderr: '' });
  expect(server.get('Pod', 'default', 'web')!.metadata.labels!.app).toBe('other');
});

test('a concurrent write gives 409, and the labels are worked out again', async () => {
  let interfered = false;
  server.beforeRequest = (request) => {
    if (request.method !== 'PATCH' || interfered) return undefined;
    interfered = true;
    const live = server.get('Pod', 'default', 'web')!;
    server.store({ ...live, metadata: { ...live.metadata, labels: { ...live.metadata.labels, concurrent: 'yes' } } });
    return undefined;
  };
  expect(await runBalsa(server, ['label', 'pods', 'web', 'env=prod'])).toEqual({ code: 0, stdout: 'pod/web labeled\n', stderr: '' });
  expect(server.requests.filter((request) => request.method === 'PATCH')).toHaveLength(2);
  expect(server.get('Pod', 'default', 'web')!.metadata.labels).toEqual({ app: 'web', tier: 'fe', concurrent: 'yes', env: 'prod' });
});

test('by selector and --all', async () => {
  expect((await runBalsa(server, ['label', 'pods', '-l', 'app=api', 'team=core'])).stdout).toBe('pod/api labeled\n');
  expect((await runBalsa(server, ['label', 'pods', '--all', 'team=core'])).stdout).toBe('pod/api not labeled\npod/web labeled\n');
});

test('bad labels and missing arguments are usage errors (exit 2); missing objects exit 1', async () => {
  const bad = await runBalsa(server, ['label', 'pods', 'web', 'app=-bad']);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/^error: invalid label spec: app=-bad: value "-bad": a valid label must be an empty string/);
  expect(bad.stderr).toContain("See 'balsa label --help' for usage.");
  expect((await runBalsa(server, ['label', 'pods', 'web'])).stderr).toContain('at least one label update is required');
  expect(await runBalsa(server, ['label', 'pods', 'nope', 'a=b'])).toEqual({ code: 1, stdout: '', stderr: 'Error from server (NotFound): pods "nope" not found\n' });
  expect(server.requests.some((request) => request.method === 'PATCH')).toBe(false);
});
