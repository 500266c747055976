/**
 * A Balsa KV cluster of real `balsa kv serve` processes on 127.0.0.1 (the compiled CLI,
 * with etcd's flags), for tests that drive it with etcdctl or etcd clients. `stop()`
 * sends SIGTERM, then SIGKILL to whatever has not exited, and never leaves a process.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadEtcdProto } from '../../kv/server/etcd-proto.js';
import type { WireObject } from '../../kv/server/etcd-proto.js';
import { freePort } from '../../raft/testing/process-cluster.js';

const BALSA = join(process.cwd(), 'dist/control-plane/cli/balsa.js');
const START_TIMEOUT_MS = 20_000;

export interface KvClusterOptions {
  readonly members: number;
  /** A temporary directory of the test's: data directories and logs go under it. */
  readonly dir: string;
  /** Extra flags for every member. */
  readonly flags?: readonly string[];
}

export interface KvCluster {
  /** host:port of each member's client API, in member order. */
  readonly clientEndpoints: string[];
  /** Each member's stdout and stderr. */
  readonly logs: string[];
  stop(): Promise<void>;
}

export async function startKvCluster(options: KvClusterOptions): Promise<KvCluster> {
  const names = Array.from({ length: options.members }, (_, i) => `m${i + 1}`);
  const clientPorts: number[] = [];
  const peerPorts: number[] = [];
  for (let i = 0; i < names.length; i++) {
    clientPorts.push(await freePort());
    peerPorts.push(await freePort());
  }
  const initialCluster = names.map((name, i) => `${name}=http://127.0.0.1:${peerPorts[i]}`).join(',');
  const children: ChildProcess[] = [];
  const logs = names.map((name) => join(options.dir, `${name}.log`));
  const exits: Promise<void>[] = [];
  for (const [i, name] of names.entries()) {
    const client = `http://127.0.0.1:${clientPorts[i]}`;
    const peer = `http://127.0.0.1:${peerPorts[i]}`;
    const args = [
      BALSA, 'kv', 'serve', '--name', name, '--data-dir', join(options.dir, `${name}.etcd`),
      '--listen-client-urls', client, '--advertise-client-urls', client,
      '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
      '--initial-cluster', initialCluster, '--initial-cluster-token', 'balsa-test',
      ...(options.flags ?? []),
    ];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const log = createWriteStream(logs[i]!);
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    exits.push(new Promise((resolve) => child.once('exit', () => resolve())));
    children.push(child);
  }
  const clientEndpoints = clientPorts.map((port) => `127.0.0.1:${port}`);
  const cluster: KvCluster = {
    clientEndpoints,
    logs,
    async stop() {
      for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
      const killer = setTimeout(() => {
        for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
      }, 5000);
      await Promise.all(exits);
      clearTimeout(killer);
    },
  };
  try {
    await waitForLeader(clientEndpoints);
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}

/** Until every member answers Maintenance.Status naming the same leader. */
async function waitForLeader(endpoints: readonly string[]): Promise<void> {
  const { services } = loadEtcdProto();
  const Maintenance = grpc.makeGenericClientConstructor(services.Maintenance, 'Maintenance');
  const clients = endpoints.map((endpoint) => new Maintenance(endpoint, grpc.credentials.createInsecure()));
  const deadline = Date.now() + START_TIMEOUT_MS;
  try {
    for (;;) {
      const leaders = await Promise.all(clients.map((client) => statusLeader(client)));
      if (leaders[0] !== '0' && leaders[0] !== undefined && leaders.every((leader) => leader === leaders[0])) return;
      if (Date.now() > deadline) throw new Error(`no KV leader within ${START_TIMEOUT_MS} ms: ${leaders.join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    for (const client of clients) client.close();
  }
}

function statusLeader(client: grpc.Client): Promise<string | undefined> {
  return new Promise((resolve) => {
    (client as unknown as { Status: (req: WireObject, opts: grpc.CallOptions, cb: (e: Error | null, r?: WireObject) => void) => void }).Status(
      {},
      { deadline: Date.now() + 1000 },
      (error, response) => resolve(error ? undefined : String(response?.leader ?? '0')),
    );
  });
}
