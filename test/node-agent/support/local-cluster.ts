/**
 * A small cluster of real processes for tests that run pods for real: one `balsa server`
 * (KV, API server, scheduler, controllers) and `balsa agent`s on their own loopback
 * addresses with the process runtime, all under one temp dir; and the web app
 * (examples/web/app.mjs) copied there, so that its processes are this test's own.
 */
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiCall } from '../../support/api-http.js';
import { startBalsa } from '../../support/balsa-process.js';
import type { BalsaServerProcess } from '../../support/balsa-process.js';
import { eventually } from '../../support/eventually.js';
import { startKvCluster } from '../../support/kv-cluster.js';
import type { KvCluster } from '../../support/kv-cluster.js';

export interface LocalNode {
  readonly name: string;
  readonly ip: string;
}

export const LOCAL_NODES: readonly LocalNode[] = [
  { name: 'node-a', ip: '127.0.0.2' },
  { name: 'node-b', ip: '127.0.0.3' },
];

export interface LocalClusterOptions {
  /** `balsa server` processes (KV members, each with an API server); default 1. Agents use the first. */
  readonly servers?: number;
  /** Extra flags of every `balsa server` (`--node-monitor-grace-period 20s`). */
  readonly serverFlags?: readonly string[];
}

export class LocalCluster {
  readonly agents = new Map<string, BalsaServerProcess>();

  private constructor(
    readonly dir: string,
    /** This test's copy of the web app. */
    readonly app: string,
    readonly kv: KvCluster,
  ) {}

  /** The API server's HTTP URL. */
  get api(): string {
    return this.kv.members[0]!.apiUrl!;
  }

  static async start(name: string, nodes: readonly LocalNode[] = LOCAL_NODES, options: LocalClusterOptions = {}): Promise<LocalCluster> {
    const dir = await mkdtemp(join(tmpdir(), `balsa-${name}-`));
    const app = join(dir, 'web-app.mjs');
    await copyFile(join(process.cwd(), 'examples/web/app.mjs'), app);
    const kv = await startKvCluster({ members: options.servers ?? 1, dir, apiServer: true, ...(options.serverFlags !== undefined ? { flags: options.serverFlags } : {}) });
    const cluster = new LocalCluster(dir, app, kv);
    await eventually(async () => expect((await apiCall(cluster.api, 'GET', '/readyz')).status).toBe(200));
    // Side by side: each agent's start (a process, then its registration) takes seconds on a busy machine.
    await Promise.all(nodes.map((node) => cluster.startAgent(node)));
    return cluster;
  }

  /** Starts (or starts again, on the same data dir) the agent of `node`. */
  async startAgent(node: LocalNode): Promise<BalsaServerProcess> {
    const args = ['agent', '--server', this.kv.members[0]!.apiGrpcAddress!, '--name', node.name, '--node-ip', node.ip, '--port', '0', '--data-dir', join(this.dir, node.name)];
    const agent = await startBalsa(args, /registered/);
    this.agents.set(node.name, agent);
    return agent;
  }

  /** The container spec of the web app as `image`, its POD_NAME from the pod, a readiness probe on /healthz every second. */
  webContainer(image: string): Record<string, unknown> {
    return {
      name: 'web',
      image,
      command: [process.execPath, this.app],
      env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
      ports: [{ name: 'http', containerPort: 8080 }],
      readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 1 },
    };
  }

  async stop(): Promise<void> {
    for (const agent of this.agents.values()) await agent.stop();
    this.agents.clear();
    await this.kv.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}
