/**
 * `balsa get` against a fake API server: tables, `-o yaml|json|name` (one object, or a List),
 * several kinds at once, selectors, all namespaces, paging through `continue`, kubectl's
 * messages for nothing found, a missing name and an unknown type, and `-w` printing a row
 * per change until interrupted.
 */
import type { ApiObject } from '../../../control-plane/api/types.js';
import { FakeApiServer } from './fake-api-server.js';
import { runBalsa } from './cli-test-io.js';

let server: FakeApiServer;

function pod(name: string, namespace = 'default', labels: Record<string, string> = {}, phase = 'Running'): ApiObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels },
    spec: { containers: [{ name: 'main', image: 'nginx' }] },
    status: { phase, containerStatuses: [{ name: 'main', ready: phase === 'Running', restartCount: 0, state: phase === 'Running' ? { running: {} } : {} }] },
  };
}

beforeEach(async () => {
  server = await FakeApiServer.start({ objects: [pod('web', 'default', { app: 'web' }), pod('api', 'default', { app: 'api' }), pod('db', 'data', { app: 'db' })] });
});

afterEach(async () => {
  await server.close();
});

test('a table of the namespace', async () => {
  expect(await runBalsa(server, ['get', 'pods'])).toEqual({
    code: 0,
    stdout: 'NAME   READY   STATUS    RESTARTS   AGE\napi    1/1     Running   0          60m\nweb    1/1     Running   0          60m\n',
    stderr: '',
  });
  expect(server.requests[0]!.path).toBe('/api/v1/namespaces/default/pods');
  expect(server.requests[0]!.query.get('limit')).toBe('500');
});

test('-A, -l, --show-labels, --no-headers', async () => {
  expect((await runBalsa(server, ['get', 'po', '-A', '--show-labels'])).stdout).toBe(
    [
      'NAMESPACE   NAME   READY   STATUS    RESTARTS   AGE   LABELS',
      'data        db     1/1     Running   0          60m   app=db',
      'default     api    1/1     Running   0          60m   app=api',
      'default     web    1/1     Running   0          60m   app=web',
      '',
    ].join('\n'),
  );
  expect(server.requests[0]!.path).toBe('/api/v1/pods');
  expect((await runBalsa(server, ['get', 'pods', '-l', 'app=web', '--no-headers'])).stdout).toBe('web   1/1   Running   0     60m\n');
  expect(server.requests[1]!.query.get('labelSelector')).toBe('app=web');
});

test('by name: the object as YAML or JSON, several as a List, names', async () => {
  const yaml = await runBalsa(server, ['get', 'pod', 'web', '-o', 'yaml']);
  expect(yaml.code).toBe(0);
  expect(yaml.stdout).toMatch(/^apiVersion: v1\nkind: Pod\nmetadata:\n {2}creationTimestamp: "2026-12-02T01:47:50Z"\n {2}labels:\n {4}app: web\n {2}name: web\n/);
  const json = await runBalsa(server, ['get', 'pods', 'web', 'api', '-o', 'json']);
  const list = JSON.parse(json.stdout) as { kind: string; apiVersion: string; items: ApiObject[]; metadata: unknown };
  expect(list.kind).toBe('List');
  expect(list.apiVersion).toBe('v1');
  expect(list.metadata).toEqual({ resourceVersion: '' });
  expect(list.items.map((item) => item.metadata.name)).toEqual(['web', 'api']);
  expect(json.stdout).toContain('\n    "apiVersion": "v1",\n');
  expect((await runBalsa(server, ['get', 'pods', '-o', 'name'])).stdout).toBe('pod/api\npod/web\n');
  expect((await runBalsa(server, ['get', 'pod/web', '-o', 'name'])).stdout).toBe('pod/web\n');
});

test('several kinds: one table each, names with their kind', async () => {
  server.store({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { clusterIP: '10.96.0.20', ports: [{ port: 80, protocol: 'TCP' }] } });
  expect((await runBalsa(server, ['get', 'pods,svc'])).stdout).toBe(
    [
      'NAME      READY   STATUS    RESTARTS   AGE',
      'pod/api   1/1     Running   0          60m',
      'pod/web   1/1     Running   0          60m',
      '',
      'NAME          TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)   AGE',
      'service/web   ClusterIP   10.96.0.20   <none>        80/TCP    60m',
      '',
    ].join('\n'),
  );
});

test('nothing found, a missing name, an unknown type', async () => {
  expect(await runBalsa(server, ['get', 'deployments'])).toEqual({ code: 0, stdout: '', stderr: 'No resources found in default namespace.\n' });
  expect(await runBalsa(server, ['get', 'deploy', '-n', 'prod'])).toEqual({ code: 0, stdout: '', stderr: 'No resources found in prod namespace.\n' });
  expect(await runBalsa(server, ['get', 'nodes'])).toEqual({ code: 0, stdout: '', stderr: 'No resources found\n' });
  expect(await runBalsa(server, ['get', 'pods', 'web', 'nope'])).toEqual({
    code: 1,
    stdout: 'NAME   READY   STATUS    RESTARTS   AGE\nweb    1/1     Running   0          60m\n',
    stderr: 'Error from server (NotFound): pods "nope" not found\n',
  });
  expect(await runBalsa(server, ['get', 'foo'])).toEqual({ code: 1, stdout: '', stderr: 'error: the server doesn\'t have a resource type "foo"\n' });
  expect((await runBalsa(server, ['get', 'pods', '-o', 'table'])).code).toBe(2);
  expect((await runBalsa(server, ['get', 'pods', 'web', '-l', 'app=web'])).stderr).toContain('name cannot be provided when a selector is specified');
});

test('long lists are read page by page', async () => {
  for (let index = 0; index < 1001; index++) {
    server.store({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${String(index).padStart(4, '0')}`, namespace: 'default' }, data: {} });
  }
  const result = await runBalsa(server, ['get', 'cm', '-o', 'name']);
  expect(result.stdout.split('\n').filter((line) => line !== '')).toHaveLength(1001);
  expect(server.requests.map((request) => request.query.get('continue'))).toEqual([null, '500', '1000']);
});

test('-w prints the table, then a row per change, until interrupted', async () => {
  const controller = new AbortController();
  let output = '';
  const running = runBalsa(server, ['get', 'pods', '-w'], { signal: controller.signal }).then((result) => {
    output = result.stdout;
    return result;
  });
  const watchStarted = async (): Promise<void> => {
    for (let attempt = 0; attempt < 200 && !server.requests.some((request) => request.query.get('watch') === '1'); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  await watchStarted();
  server.store(pod('new', 'default', {}, 'Pending'));
  server.store(pod('elsewhere', 'data'));
  const live = server.get('Pod', 'default', 'new')!;
  server.store({ ...live, status: { phase: 'Running', containerStatuses: [{ name: 'main', ready: true, restartCount: 0, state: { running: {} } }] } });
  await new Promise((resolve) => setTimeout(resolve, 200));
  controller.abort();
  const result = await running;
  expect(result.code).toBe(0);
  expect(output).toBe(
    [
      'NAME   READY   STATUS    RESTARTS   AGE',
      'api    1/1     Running   0          60m',
      'web    1/1     Running   0          60m',
      'new    0/1     Pending   0          60m',
      'new    1/1     Running   0          60m',
      '',
    ].join('\n'),
  );
  const watch = server.requests.find((request) => request.query.get('watch') === '1')!;
  expect(watch.query.get('resourceVersion')).toBe(String(server.revision - 3));
});

test('a Secret\'s values are printed only with -o yaml or -o json', async () => {
  await server.close();
  const secret: ApiObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db-password', namespace: 'default' }, type: 'Opaque', data: { password: Buffer.from('s3cret-value').toString('base64') } };
  server = await FakeApiServer.start({ objects: [secret] });
  const encoded = Buffer.from('s3cret-value').toString('base64');
  for (const args of [['get', 'secrets'], ['get', 'secret', 'db-password', '-o', 'wide'], ['get', 'secret', 'db-password', '-o', 'name'], ['describe', 'secret', 'db-password']]) {
    const run = await runBalsa(server, args);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('db-password');
    expect(run.stdout).not.toContain(encoded);
    expect(run.stdout).not.toContain('s3cret-value');
  }
  expect((await runBalsa(server, ['get', 'secret', 'db-password', '-o', 'yaml'])).stdout).toContain(`password: ${encoded}`);
  expect((await runBalsa(server, ['get', 'secret', 'db-password', '-o', 'json'])).stdout).toContain(`"password": "${encoded}"`);
});
