/**
 * A node agent on the docker runtime, end to end: `balsa agent --runtime docker` runs a pod
 * as a container of a real Docker daemon (host network, busybox httpd on the port the agent
 * gave it), the readiness probe makes it Ready, its Service answers through the node's proxy,
 * its logs come from the container, and deleting the pod removes the container.
 * Needs the daemon and image of `.ci/docker-setup.sh`: fails in CI without them, skips
 * elsewhere saying why.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiCall } from '../support/api-http.js';
import type { ParsedJson } from '../support/api-http.js';
import { startBalsa } from '../support/balsa-process.js';
import type { BalsaServerProcess } from '../support/balsa-process.js';
import { describeWithDocker, dockerDaemon } from '../support/docker-daemon.js';
import { eventually } from '../support/eventually.js';
import { startKvCluster } from '../support/kv-cluster.js';
import type { KvCluster } from '../support/kv-cluster.js';
import { freePort } from '../../raft/testing/process-cluster.js';

const daemon = await dockerDaemon();

function get(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { agent: false, timeout: 5_000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve(body));
    });
    request.on('timeout', () => request.destroy(new Error(`GET ${url} timed out`)));
    request.on('error', reject);
  });
}

describeWithDocker(daemon, 'balsa agent --runtime docker', (docker) => {
  let dir: string;
  let cluster: KvCluster;
  let agent: BalsaServerProcess;
  let api: string;

  /** This agent's containers on the daemon (it labels them with its state directory). */
  function containers(): string[] {
    const out = execFileSync('docker', ['-H', `unix://${docker.socketPath}`, 'ps', '-a', '-q', '--filter', `label=io.balsa.state-dir=${join(dir, 'node-d', 'runtime')}`], { encoding: 'utf8' });
    return out.split('\n').filter((line) => line !== '');
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'balsa-docker-agent-'));
    cluster = await startKvCluster({ members: 1, dir, apiServer: true });
    api = cluster.members[0]!.apiUrl!;
    await eventually(async () => expect((await apiCall(api, 'GET', '/readyz')).status).toBe(200));
    agent = await startBalsa(
      ['agent', '--server', cluster.members[0]!.apiGrpcAddress!, '--name', 'node-d', '--node-ip', '127.0.0.4', '--port', '0', '--runtime', 'docker', '--data-dir', join(dir, 'node-d')],
      /registered/,
    );
  }, 120_000);

  afterAll(async () => {
    await agent?.stop();
    await cluster?.stop();
    await rm(dir, { recursive: true, force: true });
  }, 120_000);

  test('a pod runs as a container, becomes Ready by its probe, serves through the proxy, and is removed with the pod', async () => {
    const servicePort = await freePort();
    const script = 'mkdir -p /tmp/www && echo "hello from $BALSA_IMAGE" > /tmp/www/index.html && echo "serving on $PORT" && exec httpd -f -p "$PORT" -h /tmp/www';
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'httpd', labels: { app: 'httpd' } },
      spec: {
        terminationGracePeriodSeconds: 2,
        containers: [
          {
            name: 'httpd',
            image: docker.image,
            command: ['/bin/sh', '-c', script],
            ports: [{ name: 'http', containerPort: 80 }],
            readinessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 1 },
            resources: { limits: { memory: '64Mi', cpu: '500m' } },
          },
        ],
      },
    };
    expect((await apiCall(api, 'POST', '/api/v1/namespaces/default/pods', pod)).status).toBe(201);
    const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'httpd' }, spec: { selector: { app: 'httpd' }, ports: [{ port: servicePort, targetPort: 'http' }] } };
    expect((await apiCall(api, 'POST', '/api/v1/namespaces/default/services', service)).status).toBe(201);

    let running: ParsedJson;
    await eventually(async () => {
      running = (await apiCall(api, 'GET', '/api/v1/namespaces/default/pods/httpd')).body;
      expect(running.status.conditions.find((condition: ParsedJson) => condition.type === 'Ready')?.status).toBe('True');
    }, 60_000);
    const status = running!.status.containerStatuses[0];
    expect(status.containerID).toMatch(/^docker:\/\/[0-9a-f]{12,}$/);
    expect(status.state.running).toBeDefined();
    expect(containers()).toHaveLength(1);
    expect(await get(`http://127.0.0.4:${status.ports[0].hostPort}/`)).toBe(`hello from ${docker.image}\n`);
    await eventually(async () => expect(await get(`http://127.0.0.4:${servicePort}/`)).toBe(`hello from ${docker.image}\n`), 30_000);

    // Its output, through the agent's logs endpoint.
    const node = (await apiCall(api, 'GET', '/api/v1/nodes/node-d')).body;
    const logsPort = node.status.daemonEndpoints.kubeletEndpoint.Port;
    await eventually(async () => expect(await get(`http://127.0.0.4:${logsPort}/containerLogs/default/httpd/httpd`)).toBe(`serving on ${status.ports[0].hostPort}\n`));

    expect((await apiCall(api, 'DELETE', '/api/v1/namespaces/default/pods/httpd')).status).toBe(200);
    await eventually(async () => expect((await apiCall(api, 'GET', '/api/v1/namespaces/default/pods/httpd')).status).toBe(404), 60_000);
    expect(containers()).toEqual([]);
  }, 180_000);
});
