/**
 * The built `balsa` binary, run as a person or a build pipeline runs it, against a running
 * `balsa server` (a KV member with the API server): apply creates, reports unchanged, then
 * configured; get prints kubectl's tables, JSON and YAML, with selectors, all namespaces and
 * watch; describe shows the object and its recent events; label refuses to overwrite
 * without --overwrite; delete -f deletes what a manifest names; and every failure says what
 * failed and why, with exit status 1.
 */
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiCall } from '../../support/api-http.js';
import { runBalsa, startBalsa } from '../../support/balsa-process.js';
import { eventually } from '../../support/eventually.js';
import { startKvCluster } from '../../support/kv-cluster.js';
import type { KvCluster } from '../../support/kv-cluster.js';

let dir: string;
let cluster: KvCluster;
let server: string;
let env: NodeJS.ProcessEnv;

const APP_YAML = `# the web app
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: registry.local/web:1.0
        ports: [{name: http, containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: http}]
`;

const CONFIG_JSON = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web-config', labels: { app: 'web' } }, data: { greeting: 'hello' } });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'balsa-cli-'));
  // No control loops: the tables and descriptions below show objects exactly as applied.
  cluster = await startKvCluster({ members: 1, dir, apiServer: true, flags: ['--controllers', 'none', '--scheduler=false'] });
  server = cluster.members[0]!.apiUrl!;
  // No ~/.balsa/config.json of the machine's: the server comes from BALSA_SERVER only.
  env = { BALSA_SERVER: server, HOME: dir, BALSA_CONFIG: join(dir, 'no-config.json') };
  await eventually(async () => expect((await apiCall(server, 'GET', '/readyz')).status).toBe(200));
  await mkdir(join(dir, 'app'));
  await writeFile(join(dir, 'app', 'web.yaml'), APP_YAML);
  await writeFile(join(dir, 'app', 'config.json'), CONFIG_JSON);
});

afterAll(async () => {
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

const balsa = (...args: string[]) => runBalsa(args, { env });

test('apply -f DIR creates, then reports unchanged, then configured', async () => {
  const first = await balsa('apply', '-f', join(dir, 'app'));
  expect(first.stderr).toBe('');
  expect(first.code).toBe(0);
  // The directory's files in name order: config.json, then web.yaml's two documents.
  expect(first.stdout).toBe('configmap/web-config created\ndeployment.apps/web created\nservice/web created\n');

  const again = await balsa('apply', '-f', join(dir, 'app'));
  expect(again.stdout).toBe('configmap/web-config unchanged\ndeployment.apps/web unchanged\nservice/web unchanged\n');

  await writeFile(join(dir, 'app', 'web.yaml'), APP_YAML.replace('replicas: 3', 'replicas: 5'));
  const changed = await balsa('apply', '-f', join(dir, 'app', 'web.yaml'));
  expect(changed.stdout).toBe('deployment.apps/web configured\nservice/web unchanged\n');
  const stored = await apiCall(server, 'GET', '/apis/apps/v1/namespaces/default/deployments/web');
  expect(stored.body.spec.replicas).toBe(5);
  expect(stored.body.metadata.generation).toBe(2);
});

test('apply removes what the last applied manifest had and this one drops, and keeps what others added', async () => {
  const file = join(dir, 'settings.yaml');
  await writeFile(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, labels: {app: settings, stage: beta}}\ndata: {a: "1", b: "2"}\n');
  expect((await balsa('apply', '-f', file)).stdout).toBe('configmap/settings created\n');
  expect((await balsa('label', 'configmap', 'settings', 'owner=ops')).code).toBe(0);
  await writeFile(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, labels: {app: settings}}\ndata: {a: "1"}\n');
  expect((await balsa('apply', '-f', file)).stdout).toBe('configmap/settings configured\n');
  const stored = (await apiCall(server, 'GET', '/api/v1/namespaces/default/configmaps/settings')).body;
  expect(stored.data).toEqual({ a: '1' });
  expect(stored.metadata.labels).toEqual({ app: 'settings', owner: 'ops' });
  expect((await balsa('apply', '-f', file)).stdout).toBe('configmap/settings unchanged\n');
  expect((await balsa('delete', 'configmap', 'settings')).code).toBe(0);
});

test('get prints tables, JSON and YAML, with selectors and all namespaces', async () => {
  const table = await balsa('get', 'deployments');
  expect(table.code).toBe(0);
  const lines = table.stdout.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^NAME {3}READY {3}UP-TO-DATE {3}AVAILABLE {3}AGE$/);
  expect(lines[1]).toMatch(/^web {4}0\/5 {5}0 {12}0 {11}\d+s$/);

  const json = await balsa('get', 'deploy', 'web', '-o', 'json');
  const object = JSON.parse(json.stdout);
  expect(object).toMatchObject({ kind: 'Deployment', metadata: { name: 'web', namespace: 'default' }, spec: { replicas: 5 } });

  const yaml = await balsa('get', 'configmap', 'web-config', '-o', 'yaml');
  expect(yaml.stdout).toContain('kind: ConfigMap\n');
  expect(yaml.stdout).toContain('  greeting: hello\n');

  const selected = await balsa('get', 'svc,cm', '-l', 'app=web', '-o', 'name');
  expect(selected.stdout).toBe('configmap/web-config\n');

  const everywhere = await balsa('get', 'namespaces');
  expect(everywhere.stdout).toMatch(/^NAME +STATUS +AGE\ndefault +Active +\d+s\nkube-node-lease +Active +\d+s\nkube-public +Active +\d+s\nkube-system +Active +\d+s\n$/);
  const allConfigMaps = await balsa('get', 'cm', '-A');
  expect(allConfigMaps.stdout.split('\n')[0]).toMatch(/^NAMESPACE +NAME +DATA +AGE$/);
  expect(allConfigMaps.stdout).toMatch(/\ndefault +web-config +1 +\d+s\n/);

  const none = await balsa('get', 'pods');
  expect(none.code).toBe(0);
  expect(none.stdout).toBe('');
  expect(none.stderr).toBe('No resources found in default namespace.\n');
});

test('get -w prints a row for each change', async () => {
  const watcher = await startBalsa(['get', 'configmaps', '-w'], /web-config/, env);
  try {
    await writeFile(join(dir, 'extra.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: watched-config}\ndata: {a: "1", b: "2"}\n');
    expect((await balsa('apply', '-f', join(dir, 'extra.yaml'))).code).toBe(0);
    await eventually(async () => expect(watcher.output()).toMatch(/\nwatched-config +2 +\d+s\n/), 15_000);
  } finally {
    await watcher.stop();
  }
});

test('describe shows the object and the events about it', async () => {
  const uid = (await apiCall(server, 'GET', '/apis/apps/v1/namespaces/default/deployments/web')).body.metadata.uid;
  const event = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'web.scaled' },
    involvedObject: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'default', uid },
    reason: 'ScalingReplicaSet',
    message: 'Scaled up replica set web-5d4f to 5',
    type: 'Normal',
    count: 1,
    source: { component: 'deployment-controller' },
    firstTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    lastTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  };
  const applied = await runBalsa(['apply', '-f', '-'], { env, input: JSON.stringify(event) });
  expect(applied.stdout).toBe('event/web.scaled created\n');

  const described = await balsa('describe', 'deployment', 'web');
  expect(described.code).toBe(0);
  expect(described.stdout).toMatch(/^Name: +web\nNamespace: +default\n/);
  expect(described.stdout).toMatch(/\nReplicas: +5 desired \| 0 updated \| 0 total \| 0 available \| 0 unavailable\n/);
  expect(described.stdout).toMatch(/\n +Image: +registry\.local\/web:1\.0\n/);
  expect(described.stdout).toMatch(/\nEvents:\n +Type +Reason +Age +From +Message\n +---- +------ +---- +---- +-------\n +Normal +ScalingReplicaSet +\d+s +deployment-controller +Scaled up replica set web-5d4f to 5\n/);
});

test('label adds a label, and refuses to change one without --overwrite', async () => {
  expect((await balsa('label', 'deployment', 'web', 'tier=front')).stdout).toBe('deployment.apps/web labeled\n');
  const refused = await balsa('label', 'deployment', 'web', 'tier=back');
  expect(refused.code).toBe(1);
  expect(refused.stderr).toBe("error: 'tier' already has a value (front), and --overwrite is false\n");
  expect((await balsa('label', 'deployment', 'web', 'tier=back', '--overwrite')).code).toBe(0);
  expect((await balsa('label', 'deployment', 'web', 'tier-')).stdout).toBe('deployment.apps/web labeled\n');
  const labels = (await apiCall(server, 'GET', '/apis/apps/v1/namespaces/default/deployments/web')).body.metadata.labels;
  expect(labels).toEqual({ app: 'web' });
});

test('an invalid manifest is refused with the field and the rule, and nothing else is stopped', async () => {
  await writeFile(
    join(dir, 'bad.yaml'),
    'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fine}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: broken}\nspec:\n  replicas: -1\n  selector: {matchLabels: {app: x}}\n  template:\n    metadata: {labels: {app: x}}\n    spec: {containers: [{name: c, image: i}]}\n',
  );
  const result = await balsa('apply', '-f', join(dir, 'bad.yaml'));
  expect(result.code).toBe(1);
  expect(result.stdout).toBe('configmap/fine created\n');
  expect(result.stderr).toContain('Error from server (Invalid): error when creating');
  expect(result.stderr).toContain('Deployment.apps "broken" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0');

  const unknownKind = await runBalsa(['apply', '-f', '-'], { env, input: 'apiVersion: v1\nkind: Widget\nmetadata: {name: w}\n' });
  expect(unknownKind.code).toBe(1);
  expect(unknownKind.stderr).toContain('no matches for kind "Widget" in version "v1"');
});

test('delete -f deletes what the manifest names; a get of it is then NotFound', async () => {
  const deleted = await balsa('delete', '-f', join(dir, 'app', 'web.yaml'));
  expect(deleted.code).toBe(0);
  expect(deleted.stdout).toBe('deployment.apps "web" deleted\nservice "web" deleted\n');
  const missing = await balsa('get', 'deployment', 'web');
  expect(missing.code).toBe(1);
  expect(missing.stderr).toBe('Error from server (NotFound): deployments.apps "web" not found\n');
});

test('the server comes from --server, BALSA_SERVER or the config file; an unreachable one is a clear error', async () => {
  const configPath = join(dir, 'config.json');
  await writeFile(configPath, JSON.stringify({ server }));
  const fromFile = await runBalsa(['get', 'cm', 'web-config', '-o', 'name'], { env: { HOME: dir, BALSA_CONFIG: configPath, BALSA_SERVER: '' } });
  expect(fromFile.stdout).toBe('configmap/web-config\n');

  const unreachable = await runBalsa(['get', 'pods', '--server', 'http://127.0.0.1:9'], { env });
  expect(unreachable.code).toBe(1);
  expect(unreachable.stderr).toMatch(/^error: cannot reach the API server at http:\/\/127\.0\.0\.1:9/);

  const nowhere = await runBalsa(['get', 'pods'], { env: { HOME: dir, BALSA_CONFIG: join(dir, 'absent.json'), BALSA_SERVER: '' } });
  expect(nowhere.code).toBe(1);
  expect(nowhere.stderr).toContain('BALSA_SERVER');
});

test("the README walkthrough's manifest (examples/web/web.yaml) applies, gets and describes", async () => {
  const manifest = join(process.cwd(), 'examples', 'web', 'web.yaml');
  const applied = await balsa('apply', '-f', manifest);
  expect(applied.stderr).toBe('');
  expect(applied.stdout).toBe('configmap/web-config configured\ndeployment.apps/web created\nservice/web created\n');
  expect((await balsa('get', 'deployment', 'web')).stdout).toMatch(/\nweb +0\/3 +0 +0 +\d+s\n$/);
  expect((await balsa('describe', 'service', 'web')).stdout).toMatch(/\nSelector: +app=web\n/);
});
