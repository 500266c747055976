/**
 * Metrics and logs as an operator meets them: `/metrics` in Prometheus' text format on a
 * KV member's client port, on the API server's port (with the in-process scheduler and
 * controllers of `balsa server`) and on an agent's port, whose series move with what the
 * cluster does; and `--log-level` deciding which JSON log lines a server writes.
 *
 * One `balsa server` (a single member, started with `--log-level debug`) and one agent in
 * this process (its containers in a fake runtime, its probes the real prober).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAgentCommand } from '../../node-agent/cli/agent-command.js';
import { apiCall } from '../support/api-http.js';
import { runBalsa, startBalsa } from '../support/balsa-process.js';
import { EtcdGrpcClient } from '../support/etcd-grpc.js';
import { eventually } from '../support/eventually.js';
import { startKvCluster } from '../support/kv-cluster.js';
import type { KvCluster } from '../support/kv-cluster.js';
import { sampleValue, scrape } from '../support/prometheus-text.js';
import { FakeRuntime } from '../node-agent/support/fake-runtime.js';

let dir: string;
let cluster: KvCluster;
let api: string;
let kvMetrics: string;
let agentMetrics: string;
const runtime = new FakeRuntime();
let stopAgent!: () => void;
let agentExit: Promise<number>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'balsa-observability-'));
  cluster = await startKvCluster({ members: 1, dir, apiServer: true, flags: ['--log-level', 'debug'] });
  api = cluster.members[0]!.apiUrl!;
  kvMetrics = `http://${cluster.clientEndpoints[0]}/metrics`;
  await eventually(async () => expect((await apiCall(api, 'GET', '/readyz')).status).toBe(200));
  const out: string[] = [];
  agentExit = runAgentCommand(
    ['--server', cluster.members[0]!.apiGrpcAddress!, '--name', 'metrics-node', '--node-ip', '127.0.0.1', '--port', '0', '--data-dir', join(dir, 'agent')],
    { runtime: async () => runtime, untilStopped: new Promise((resolve) => (stopAgent = resolve)), out: (line) => out.push(line), err: () => {} },
  );
  const registered = await eventually(async () => {
    const match = /logs on (http:\/\/\S+)/.exec(out.join('\n'));
    if (match === null) throw new Error(`the agent has not registered yet: ${out.join('\n')}`);
    return match[1]!;
  });
  agentMetrics = `${registered}/metrics`;
});

afterAll(async () => {
  stopAgent?.();
  await agentExit;
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

test("a KV member's /metrics: its leader, and a put counted by method and code", async () => {
  const before = await scrape(kvMetrics);
  expect(sampleValue(before, 'etcd_server_has_leader')).toBe(1);
  expect(sampleValue(before, 'etcd_server_is_leader')).toBe(1);
  expect(sampleValue(before, 'balsa_raft_term')).toBeGreaterThan(0);
  expect(sampleValue(before, 'etcd_server_leader_changes_seen_total')).toBeGreaterThanOrEqual(1);
  const putLabels = { grpc_service: 'etcdserverpb.KV', grpc_method: 'Put', grpc_code: 'OK' };
  const client = new EtcdGrpcClient(cluster.clientEndpoints[0]!);
  try {
    await client.call('KV', 'Put', { key: Buffer.from('metrics-key'), value: Buffer.from('v') });
  } finally {
    client.close();
  }
  const after = await scrape(kvMetrics);
  expect(sampleValue(after, 'grpc_server_handled_total', putLabels)).toBe((sampleValue(before, 'grpc_server_handled_total', putLabels) ?? 0) + 1);
  expect(sampleValue(after, 'etcd_server_proposals_committed_total')).toBeGreaterThan(sampleValue(before, 'etcd_server_proposals_committed_total')!);
  expect(sampleValue(after, 'etcd_disk_wal_fsync_duration_seconds_count')).toBeGreaterThan(0);
  expect(sampleValue(after, 'etcd_mvcc_db_total_size_in_bytes')).toBeGreaterThan(0);
  // Anything but /metrics is not found; the port still serves gRPC (the put above).
  expect((await fetch(`http://${cluster.clientEndpoints[0]}/v2/keys`)).status).toBe(404);
});

test("the API server's /metrics counts requests by verb, resource and code", async () => {
  const labels = (verb: string, code: string) => ({ verb, resource: 'configmaps', scope: 'namespace', code });
  const before = await scrape(`${api}/metrics`);
  expect((await apiCall(api, 'GET', '/api/v1/namespaces/default/configmaps')).status).toBe(200);
  expect((await apiCall(api, 'POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'counted' } })).status).toBe(201);
  expect((await apiCall(api, 'GET', '/api/v1/namespaces/default/configmaps/absent')).status).toBe(404);
  const after = await scrape(`${api}/metrics`);
  const moved = (verb: string, code: string, scope = 'namespace') => {
    const l = { ...labels(verb, code), scope };
    return (sampleValue(after, 'apiserver_request_total', l) ?? 0) - (sampleValue(before, 'apiserver_request_total', l) ?? 0);
  };
  expect(moved('LIST', '200')).toBe(1);
  expect(moved('POST', '201')).toBe(1);
  expect(moved('GET', '404', 'resource')).toBe(1);
  expect(sampleValue(after, 'apiserver_request_duration_seconds_count', { verb: 'POST', resource: 'configmaps' })).toBeGreaterThanOrEqual(1);
  // One process: the KV member's series are on the API port too.
  expect(sampleValue(after, 'etcd_server_has_leader')).toBe(1);
});

test('a pod scheduled onto the agent: scheduler attempts, queues, the running pod and its failing probe', async () => {
  runtime.execResults.set('app:false', { exitCode: 1, output: 'not ready', timedOut: false });
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'probed' },
    spec: { containers: [{ name: 'app', image: 'app:1', readinessProbe: { exec: { command: ['false'] }, periodSeconds: 1 } }] },
  };
  expect((await apiCall(api, 'POST', '/api/v1/namespaces/default/pods', pod)).status).toBe(201);
  await eventually(async () => {
    const samples = await scrape(`${api}/metrics`);
    expect(sampleValue(samples, 'scheduler_schedule_attempts_total', { result: 'scheduled', profile: 'default-scheduler' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(samples, 'scheduler_e2e_scheduling_duration_seconds_count', { result: 'scheduled' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(samples, 'scheduler_pending_pods', { queue: 'active' })).toBe(0);
    // The agent's Node went through the node lifecycle controller's queue and its reconcile.
    expect(sampleValue(samples, 'workqueue_adds_total', { name: 'node_lifecycle_controller' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(samples, 'workqueue_work_duration_seconds_count', { name: 'node_lifecycle_controller' })).toBeGreaterThanOrEqual(1);
  });
  await eventually(async () => {
    const samples = await scrape(agentMetrics);
    expect(sampleValue(samples, 'kubelet_running_pods')).toBe(1);
    expect(sampleValue(samples, 'kubelet_running_containers', { container_state: 'running' })).toBe(1);
    expect(sampleValue(samples, 'prober_probe_total', { probe_type: 'Readiness', result: 'failed', namespace: 'default', pod: 'probed', container: 'app' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(samples, 'kube_pod_container_status_restarts_total', { pod: 'probed', container: 'app' })).toBe(0);
  });
});

test('--log-level: debug logs each request as a JSON line with its component; warn leaves them out', async () => {
  const serverLog = await readFile(cluster.logs[0]!, 'utf8');
  const requests = jsonLines(serverLog).filter((line) => line.component === 'apiserver' && line.msg === 'request');
  expect(requests.length).toBeGreaterThan(0);
  expect(requests[0]).toMatchObject({ level: 'debug', member: cluster.members[0]!.name, verb: expect.any(String), uri: expect.any(String), code: expect.any(Number) });
  // The startup lines people and scripts read stay plain text.
  expect(serverLog).toMatch(/API server on http:\/\/127\.0\.0\.1:\d+/);

  const quiet = await startBalsa(['apiserver', '--kv-endpoints', cluster.clientEndpoints[0]!, '--api-port', '0', '--api-grpc-port', '0', '--log-level', 'warn'], /API server on (http:\/\/\S+)/);
  const url = /API server on (http:\/\/\S+)/.exec(quiet.output())![1]!;
  await eventually(async () => expect((await apiCall(url, 'GET', '/readyz')).status).toBe(200));
  expect((await quiet.stop()).code).toBe(0);
  const levels = jsonLines(quiet.output()).map((line) => line.level);
  expect(levels.filter((level) => level !== 'warn' && level !== 'error')).toEqual([]);
});

test('a --log-level that names no level is a usage error', async () => {
  const apiserver = await runBalsa(['apiserver', '--kv-endpoints', '127.0.0.1:1', '--log-level', 'loud']);
  expect(apiserver.code).toBe(2);
  expect(apiserver.stderr).toContain('--log-level must be one of debug, info, warn, error, got "loud"');
  const kv = await runBalsa(['kv', 'serve', '--log-level', 'verbose']);
  expect(kv.code).toBe(2);
  expect(kv.stderr).toContain('invalid value "verbose" for --log-level: one of debug, info, warn, error');
});

/** The JSON objects among `text`'s lines (the log lines; plain lines are what the command prints). */
function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
