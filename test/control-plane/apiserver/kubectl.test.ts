/**
 * The real kubectl 1.20 against Balsa, as people use it: one `balsa server` and one
 * `balsa agent` (so pods run for real, with the web app), driven only through kubectl with
 * a kubeconfig that points at the insecure API server, asserting on what kubectl prints.
 *
 * The tests run in order on one Deployment `web` and one Service `web`: get nodes, apply
 * (created, unchanged), rollout status, get pods -o wide / deployments / services (the
 * server's Table columns), get -w seeing a new ReplicaSet arrive as an apply changes the
 * image (configured), rollout undo, scale, describe, logs, get -o yaml fed back to apply,
 * and delete (with --wait).
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { describeWithTools } from '../../support/etcd-tools.js';
import { eventually } from '../../support/eventually.js';
import { Kubectl, kubectlTool, tableRows } from '../../support/kubectl.js';
import { LOCAL_NODES, LocalCluster } from '../../node-agent/support/local-cluster.js';

const NODE = LOCAL_NODES[0]!;
/** Long enough for a rollout on a busy machine; kubectl's own `--timeout` is kept shorter so it speaks first. */
const STEP_TIMEOUT_MS = 180_000;

describeWithTools(
  kubectlTool(),
  'kubectl 1.20 against balsa',
  (kubectlPath) => {
    let local: LocalCluster;
    let kubectl: Kubectl;

    /** A Deployment (two replicas of the web app, as `image`) and a Service in front of it, as a manifest. */
    function manifest(image: string): string {
      const container = { ...local.webContainer(image), imagePullPolicy: 'IfNotPresent' };
      return [
        stringify({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'web', labels: { app: 'web' } },
          spec: {
            replicas: 2,
            selector: { matchLabels: { app: 'web' } },
            template: { metadata: { labels: { app: 'web' } }, spec: { containers: [container], terminationGracePeriodSeconds: 2 } },
          },
        }),
        '---',
        stringify({
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'web' },
          spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
        }),
      ].join('\n');
    }

    /** `kubectl get <args>`'s table: header row first. */
    async function table(...args: string[]): Promise<string[][]> {
      return tableRows(await kubectl.out(['get', ...args]));
    }

    async function deploymentField(path: string): Promise<string> {
      return kubectl.out(['get', 'deployment', 'web', '-o', `jsonpath={${path}}`]);
    }

    beforeAll(async () => {
      local = await LocalCluster.start('kubectl', [NODE]);
      kubectl = await Kubectl.forServer(kubectlPath, local.api, join(local.dir, 'kubectl'));
    }, STEP_TIMEOUT_MS);

    afterAll(async () => {
      if (local !== undefined) {
        await rm(join(local.dir, 'kubectl'), { recursive: true, force: true });
        await local.stop();
      }
    }, STEP_TIMEOUT_MS);

    test('version and get nodes (-o wide): the server version, the node Ready with its address', async () => {
      expect(await kubectl.out(['version', '--short'])).toMatch(/Server Version: v1\.20\.\d+-balsa/);
      await eventually(async () => {
        const rows = await table('nodes');
        expect(rows[0]).toEqual(['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION']);
        expect(rows.slice(1).map((row) => row.slice(0, 3))).toEqual([[NODE.name, 'Ready', '<none>']]);
      });
      const wide = await table('nodes', '-o', 'wide');
      expect(wide[0]!.slice(0, 7)).toEqual(['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION', 'INTERNAL-IP', 'EXTERNAL-IP']);
      expect(wide[1]![5]).toBe(NODE.ip);
    }, STEP_TIMEOUT_MS);

    test('api-resources lists the kinds with their short names from discovery', async () => {
      const rows = tableRows(await kubectl.out(['api-resources']));
      expect(rows[0]).toEqual(['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND']);
      expect(rows).toContainEqual(['pods', 'po', 'v1', 'true', 'Pod']);
      expect(rows).toContainEqual(['nodes', 'no', 'v1', 'false', 'Node']);
      expect(rows).toContainEqual(['deployments', 'deploy', 'apps/v1', 'true', 'Deployment']);
      expect(rows).toContainEqual(['secrets', 'v1', 'true', 'Secret']);
      // Subresources are not resources of their own.
      expect(rows.map((row) => row[0])).not.toContain('pods/log');
    }, STEP_TIMEOUT_MS);

    test('the Table wire format: column definitions with priorities, includeObject, 406 for a type the server cannot write', async () => {
      const tableAccept = 'application/json;as=Table;v=v1;g=meta.k8s.io, application/json';
      const get = (path: string, accept: string) => fetch(`${local.api}${path}`, { headers: { Accept: accept } });
      const nodes = (await (await get('/api/v1/nodes', tableAccept)).json()) as {
        kind: string;
        apiVersion: string;
        metadata: { resourceVersion: string };
        columnDefinitions: { name: string; format: string; priority: number }[];
        rows: { cells: string[]; object?: { kind: string; metadata: { name: string } } }[];
      };
      expect([nodes.kind, nodes.apiVersion]).toEqual(['Table', 'meta.k8s.io/v1']);
      expect(nodes.metadata.resourceVersion).toMatch(/^\d+$/);
      expect(nodes.columnDefinitions.map((column) => [column.name, column.priority])).toEqual([
        ['Name', 0], ['Status', 0], ['Roles', 0], ['Age', 0], ['Version', 0],
        ['Internal-IP', 1], ['External-IP', 1], ['OS-Image', 1], ['Kernel-Version', 1], ['Container-Runtime', 1],
      ]);
      expect(nodes.columnDefinitions[0]!.format).toBe('name');
      expect(nodes.rows.map((row) => [row.cells[0], row.object?.kind, row.object?.metadata.name])).toEqual([[NODE.name, 'PartialObjectMetadata', NODE.name]]);
      const whole = (await (await get('/api/v1/nodes?includeObject=Object', tableAccept)).json()) as typeof nodes;
      expect(whole.rows[0]!.object!.kind).toBe('Node');
      const bare = (await (await get(`/api/v1/nodes/${NODE.name}?includeObject=None`, tableAccept)).json()) as typeof nodes;
      expect(bare.rows).toHaveLength(1);
      expect(bare.rows[0]!.object).toBeUndefined();
      expect((await get('/api/v1/nodes', 'application/json')).headers.get('content-type')).toBe('application/json');
      expect(((await (await get('/api/v1/nodes', 'application/json')).json()) as { kind: string }).kind).toBe('NodeList');
      const refused = await get('/api/v1/nodes', 'application/yaml');
      expect(refused.status).toBe(406);
      expect(((await refused.json()) as { reason: string }).reason).toBe('NotAcceptable');
      expect((await get('/api/v1/nodes?includeObject=All', tableAccept)).status).toBe(400);
    }, STEP_TIMEOUT_MS);

    test('apply -f creates a Deployment and a Service, then again changes nothing', async () => {
      expect(await kubectl.out(['apply', '-f', '-'], manifest('web:1'))).toBe('deployment.apps/web created\nservice/web created\n');
      expect(await kubectl.out(['apply', '-f', '-'], manifest('web:1'))).toBe('deployment.apps/web unchanged\nservice/web unchanged\n');
    }, STEP_TIMEOUT_MS);

    test('rollout status waits for the pods; get pods -o wide, deployments and services print Kubernetes columns', async () => {
      expect(await kubectl.out(['rollout', 'status', 'deployment/web', '--timeout=150s'])).toContain('deployment "web" successfully rolled out');
      const pods = await table('pods', '-o', 'wide');
      expect(pods[0]).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES']);
      expect(pods).toHaveLength(3);
      for (const row of pods.slice(1)) {
        expect(row[0]).toMatch(/^web-[a-z0-9]+-[a-z0-9]{5}$/);
        expect(row.slice(1, 4)).toEqual(['1/1', 'Running', '0']);
        expect(row.slice(6)).toEqual([NODE.name, '<none>', '<none>']);
      }
      const deployments = await table('deployments');
      expect(deployments[0]).toEqual(['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
      expect(deployments[1]!.slice(0, 4)).toEqual(['web', '2/2', '2', '2']);
      const services = await table('services', 'web');
      expect(services[0]).toEqual(['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE']);
      expect(services[1]![0]).toBe('web');
      expect(services[1]![1]).toBe('ClusterIP');
      expect(services[1]![3]).toBe('<none>');
      expect(services[1]![4]).toBe('80/TCP');
    }, STEP_TIMEOUT_MS);

    test('get -w prints the new ReplicaSet when apply changes the image (configured), and rollout status sees it through', async () => {
      const first = await table('replicasets', '-l', 'app=web');
      expect(first[0]).toEqual(['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE']);
      const oldName = first[1]![0]!;
      const watch = kubectl.spawn(['get', 'replicasets', '-w', '-l', 'app=web']);
      try {
        expect(await watch.waitFor((out) => out.includes(oldName), 60_000)).toBe(true);
        expect(await kubectl.out(['apply', '-f', '-'], manifest('web:2'))).toBe('deployment.apps/web configured\nservice/web unchanged\n');
        expect(await watch.waitFor((out) => tableRows(out).some((row) => row[0]!.startsWith('web-') && row[0] !== oldName), 60_000)).toBe(true);
      } finally {
        await watch.stop();
      }
      expect(await kubectl.out(['rollout', 'status', 'deployment/web', '--timeout=150s'])).toContain('deployment "web" successfully rolled out');
      expect(await deploymentField('.spec.template.spec.containers[0].image')).toBe('web:2');
      const sets = await table('replicasets', '-l', 'app=web', '-o', 'wide');
      expect(sets.slice(1).map((row) => [row[1], row[6]]).sort()).toEqual([['0', 'web:1'], ['2', 'web:2']]);
    }, STEP_TIMEOUT_MS);

    test('rollout undo goes back to the previous template, on the ReplicaSet that had it', async () => {
      expect(await kubectl.out(['rollout', 'undo', 'deployment/web'])).toBe('deployment.apps/web rolled back\n');
      expect(await deploymentField('.spec.template.spec.containers[0].image')).toBe('web:1');
      expect(await kubectl.out(['rollout', 'status', 'deployment/web', '--timeout=150s'])).toContain('deployment "web" successfully rolled out');
      expect(await deploymentField(".metadata.annotations.deployment\\.kubernetes\\.io/revision")).toBe('3');
      // The first ReplicaSet is scaled back up (its template is the same), not a third one made.
      const sets = await table('replicasets', '-l', 'app=web', '-o', 'wide');
      expect(sets.slice(1).map((row) => [row[1], row[6]]).sort()).toEqual([['0', 'web:2'], ['2', 'web:1']]);
    }, STEP_TIMEOUT_MS);

    test('scale changes the replicas through the scale subresource', async () => {
      expect(await kubectl.out(['scale', 'deployment/web', '--replicas=3'])).toBe('deployment.apps/web scaled\n');
      expect(await kubectl.out(['rollout', 'status', 'deployment/web', '--timeout=150s'])).toContain('deployment "web" successfully rolled out');
      expect((await table('deployment', 'web'))[1]!.slice(0, 4)).toEqual(['web', '3/3', '3', '3']);
    }, STEP_TIMEOUT_MS);

    test('describe shows the Deployment and its events; logs prints a pod\'s output', async () => {
      const described = await kubectl.out(['describe', 'deployment', 'web']);
      expect(described).toMatch(/^Name:\s+web$/m);
      expect(described).toMatch(/^Replicas:\s+3 desired \| 3 updated \| 3 total \| 3 available \| 0 unavailable$/m);
      expect(described).toMatch(/^\s+Image:\s+web:1$/m);
      expect(described).toMatch(/Normal\s+ScalingReplicaSet\s+.*deployment-controller\s+Scaled up replica set web-/);
      const pod = (await table('pods', '-l', 'app=web'))[1]![0]!;
      const describedPod = await kubectl.out(['describe', 'pod', pod]);
      expect(describedPod).toMatch(new RegExp(`^Name:\\s+${pod}$`, 'm'));
      expect(describedPod).toMatch(new RegExp(`^Node:\\s+${NODE.name}/${NODE.ip.replace(/\./g, '\\.')}$`, 'm'));
      expect(describedPod).toMatch(/^Status:\s+Running$/m);
      expect(describedPod).toMatch(/Normal\s+Scheduled\s+/);
      await eventually(async () => expect(await kubectl.out(['logs', pod])).toMatch(/^listening on \d+$/m));
    }, STEP_TIMEOUT_MS);

    test('get -o yaml applied back changes no spec (no new generation, no new ReplicaSet)', async () => {
      const generation = await deploymentField('.metadata.generation');
      const sets = (await table('replicasets', '-l', 'app=web')).length;
      const yaml = await kubectl.out(['get', 'deployment', 'web', '-o', 'yaml']);
      // As with Kubernetes: only the last-applied annotation changes (it now holds the whole object).
      expect(await kubectl.out(['apply', '-f', '-'], yaml)).toBe('deployment.apps/web configured\n');
      expect(await deploymentField('.metadata.generation')).toBe(generation);
      expect((await table('replicasets', '-l', 'app=web')).length).toBe(sets);
    }, STEP_TIMEOUT_MS);

    test('delete removes the Service, then the Deployment with its ReplicaSets and pods (--wait)', async () => {
      expect(await kubectl.out(['delete', 'service', 'web'])).toBe('service "web" deleted\n');
      expect(await kubectl.out(['delete', 'deployment', 'web', '--wait=true', '--timeout=150s'])).toBe('deployment.apps "web" deleted\n');
      const gone = await kubectl.run(['get', 'deployment', 'web']);
      expect(gone.code).toBe(1);
      expect(gone.stderr).toBe('Error from server (NotFound): deployments.apps "web" not found\n');
      await eventually(async () => {
        const left = await kubectl.run(['get', 'replicasets,pods', '-l', 'app=web']);
        expect(left.stdout).toBe('');
        expect(left.stderr).toBe('No resources found in default namespace.\n');
      }, 120_000);
    }, STEP_TIMEOUT_MS);
  },
  ['kubectl'],
);
