/**
 * `balsa scheduler` as its own process against an API server: it logs JSON lines at
 * `--log-level`, serves `/metrics` (its scheduling counted there) and `/healthz` on
 * `--port`, frees the port and exits 0 on SIGTERM; bad flags are usage errors (exit 2).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from '@jest/globals';

import { resourceByName } from '../../../control-plane/api/resources.js';
import { ApiServer } from '../../../control-plane/apiserver/api-server.js';
import { trackChild } from '../../../kv/testing/etcd-tools.js';
import { freePort } from '../../../raft/testing/process-cluster.js';
import { eventually } from '../../support/eventually.js';
import { defaultBalsaCli, startKvCluster } from '../../support/kv-cluster.js';
import type { KvCluster } from '../../support/kv-cluster.js';

const PODS = resourceByName('pods')!;

let dir: string;
let cluster: KvCluster;
let api: ApiServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'balsa-control-loops-'));
  cluster = await startKvCluster({ members: 1, dir });
  api = await ApiServer.start({ kvEndpoints: cluster.clientEndpoints, httpPort: 0, grpcPort: 0 });
});

afterAll(async () => {
  await api?.stop();
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

interface Running {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  stdout: string;
  stderr: string;
}

function run(args: readonly string[]): Running {
  const child = spawn(process.execPath, [defaultBalsaCli(), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  trackChild(child);
  const running: Running = { child, exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))), stdout: '', stderr: '' };
  child.stdout!.on('data', (chunk: Buffer) => (running.stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (running.stderr += chunk.toString()));
  return running;
}

test('serves /metrics, with its own scheduling counted, and /healthz on --port; logs JSON at --log-level; SIGTERM frees the port and exits 0', async () => {
  const port = await freePort();
  const scheduler = run(['scheduler', '--server', api.grpc.address, '--port', String(port), '--log-level', 'debug', '--leader-elect-retry-period', '1s', '--leader-elect-renew-deadline', '2s', '--leader-elect-lease-duration', '3s']);
  try {
    await eventually(async () => expect(scheduler.stdout).toContain(`serving /metrics and /healthz on http://127.0.0.1:${port}`));
    const healthz = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect({ status: healthz.status, body: await healthz.text() }).toEqual({ status: 200, body: 'ok' });
    expect((await fetch(`http://127.0.0.1:${port}/elsewhere`)).status).toBe(404);

    // A pod no node can take (there are none): one unschedulable attempt, counted.
    await api.registry.create(PODS, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'nowhere' }, spec: { containers: [{ name: 'app', image: 'app:1' }] } });
    await eventually(async () => {
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toMatch(/^scheduler_schedule_attempts_total\{result="unschedulable",profile="default-scheduler"\} [1-9]/m);
      expect(metrics).toMatch(/^process_cpu_user_seconds_total /m);
    }, 30_000);

    const lines = scheduler.stderr.split('\n').filter((line) => line.startsWith('{'));
    expect(lines.length).toBeGreaterThan(0);
    const records = lines.map((line) => JSON.parse(line) as { level?: unknown; component?: unknown; msg?: unknown });
    expect(records.every((record) => typeof record.msg === 'string')).toBe(true);
    expect(records.some((record) => record.component === 'leader-election')).toBe(true);
  } finally {
    scheduler.child.kill('SIGTERM');
  }
  expect(await scheduler.exited).toBe(0);
  await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
});

test('bad flags are usage errors: exit 2 with the reason and the usage', async () => {
  for (const [flags, reason] of [
    [['--log-level', 'loud'], '--log-level must be one of debug, info, warn, error, got "loud"'],
    [['--port', 'eighty'], '--port must be a port number (0: no metrics endpoint), got "eighty"'],
  ] as const) {
    const bad = run(['controller-manager', '--server', api.grpc.address, ...flags]);
    expect(await bad.exited).toBe(2);
    expect(bad.stderr).toContain(reason);
    expect(bad.stderr).toContain('usage: balsa controller-manager');
  }
});
