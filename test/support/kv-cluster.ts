/**
 * A Balsa KV cluster of real `balsa kv serve` processes on 127.0.0.1 (the compiled CLI,
 * with etcd's flags), for tests that drive it with etcdctl or etcd clients. Members can
 * be stopped one by one, and new ones planned (ports picked) and started to join the
 * running cluster (`--initial-cluster-state existing`). `stop()` sends SIGTERM, then
 * SIGKILL to whatever has not exited, and never leaves a process.
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
const STOP_GRACE_MS = 5_000;
export const CLUSTER_TOKEN = 'balsa-test';

export interface KvClusterOptions {
  readonly members: number;
  /** A temporary directory of the test's: data directories and logs go under it. */
  readonly dir: string;
  /** Extra flags for every member. */
  readonly flags?: readonly string[];
  /** Extra environment variables for every member. */
  readonly env?: Readonly<Record<string, string>>;
}

/** A member's name and URLs, chosen before it starts. */
export interface PlannedMember {
  readonly name: string;
  /** `http://127.0.0.1:port` */
  readonly peerUrl: string;
  readonly clientUrl: string;
  /** host:port of its client API, for etcdctl's --endpoints. */
  readonly clientEndpoint: string;
}

export interface KvCluster {
  /** host:port of each member's client API, in member order (joined members appended). */
  readonly clientEndpoints: string[];
  /** Each member's name, peer and client URLs, in member order. */
  readonly members: PlannedMember[];
  /** Each member's log file (stdout and stderr). */
  readonly logs: string[];
  /** `name=peerUrl,...` for the members given (default: every member still running). */
  initialCluster(members?: readonly PlannedMember[]): string;
  /** Pick free ports for a new member (not started: `member add` it, then `startJoining`). */
  planMember(name: string): Promise<PlannedMember>;
  /** Start a planned member that joins with `--initial-cluster-state existing` and this `--initial-cluster`; resolves once it serves clients. */
  startJoining(member: PlannedMember, initialCluster: string, flags?: readonly string[]): Promise<void>;
  /**
   * Start a stopped member again on its data directory (`existing`), at a new peer URL if
   * given (after `member update`); resolves once it serves clients.
   */
  restartMember(index: number, peerUrl?: string): Promise<void>;
  /** Stop one member (SIGTERM, then SIGKILL). Its index stays; its endpoint no longer answers. */
  stopMember(index: number): Promise<void>;
  /** Whether member `index`'s process has exited (by itself or stopped). */
  exited(index: number): boolean;
  /** Until member `index`'s process exits by itself; false after `timeoutMs`. */
  waitForExit(index: number, timeoutMs: number): Promise<boolean>;
  /** How member `index`'s process ended, null while it runs (a clean stop: code 0, no signal). */
  exitStatus(index: number): { readonly code: number | null; readonly signal: NodeJS.Signals | null } | null;
  stop(): Promise<void>;
}

interface RunningMember {
  readonly child: ChildProcess;
  readonly exit: Promise<void>;
}

async function plan(name: string): Promise<PlannedMember> {
  const clientPort = await freePort();
  const peerPort = await freePort();
  return {
    name,
    peerUrl: `http://127.0.0.1:${peerPort}`,
    clientUrl: `http://127.0.0.1:${clientPort}`,
    clientEndpoint: `127.0.0.1:${clientPort}`,
  };
}

export async function startKvCluster(options: KvClusterOptions): Promise<KvCluster> {
  const members: PlannedMember[] = [];
  for (let i = 0; i < options.members; i++) members.push(await plan(`m${i + 1}`));
  const processes: (RunningMember | null)[] = [];
  const logs: string[] = [];

  const launch = (member: PlannedMember, initialCluster: string, state: 'new' | 'existing', flags: readonly string[]): void => {
    const args = [
      BALSA, 'kv', 'serve', '--name', member.name, '--data-dir', join(options.dir, `${member.name}.etcd`),
      '--listen-client-urls', member.clientUrl, '--advertise-client-urls', member.clientUrl,
      '--listen-peer-urls', member.peerUrl, '--initial-advertise-peer-urls', member.peerUrl,
      '--initial-cluster', initialCluster, '--initial-cluster-state', state, '--initial-cluster-token', CLUSTER_TOKEN,
      ...(options.flags ?? []), ...flags,
    ];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
    const logPath = join(options.dir, `${member.name}.log`);
    const log = createWriteStream(logPath, { flags: 'a' });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const index = members.findIndex((m) => m.name === member.name);
    processes[index] = { child, exit };
    logs[index] = logPath;
  };

  const stopProcess = async (running: RunningMember | null): Promise<void> => {
    if (running === null) return;
    if (running.child.exitCode === null && running.child.signalCode === null) running.child.kill('SIGTERM');
    const killer = setTimeout(() => running.child.kill('SIGKILL'), STOP_GRACE_MS);
    await running.exit;
    clearTimeout(killer);
  };

  const cluster: KvCluster = {
    clientEndpoints: members.map((m) => m.clientEndpoint),
    members,
    logs,
    initialCluster(chosen) {
      const list = chosen ?? members.filter((_, i) => processes[i] !== null && processes[i]!.child.exitCode === null);
      return list.map((m) => `${m.name}=${m.peerUrl}`).join(',');
    },
    async planMember(name) {
      const member = await plan(name);
      members.push(member);
      cluster.clientEndpoints.push(member.clientEndpoint);
      processes.push(null);
      return member;
    },
    async startJoining(member, initialCluster, flags = []) {
      launch(member, initialCluster, 'existing', flags);
      await waitForStatus([member.clientEndpoint], () => true);
    },
    async restartMember(index, peerUrl) {
      if (!cluster.exited(index)) throw new Error(`member ${index} is still running`);
      const member = peerUrl === undefined ? members[index]! : { ...members[index]!, peerUrl };
      members[index] = member;
      launch(member, cluster.initialCluster(members.filter((_, i) => processes[i] !== null)), 'existing', []);
      await waitForStatus([member.clientEndpoint], () => true);
    },
    async stopMember(index) {
      await stopProcess(processes[index] ?? null);
    },
    exitStatus(index) {
      const child = processes[index]?.child;
      if (child === undefined || (child.exitCode === null && child.signalCode === null)) return null;
      return { code: child.exitCode, signal: child.signalCode };
    },
    exited(index) {
      const running = processes[index];
      return running === null || running === undefined || running.child.exitCode !== null || running.child.signalCode !== null;
    },
    async waitForExit(index, timeoutMs) {
      const running = processes[index];
      if (running === null || running === undefined) return true;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
      const result = await Promise.race([running.exit.then(() => true), timedOut]);
      clearTimeout(timer);
      return result;
    },
    async stop() {
      await Promise.all(processes.map((running) => stopProcess(running ?? null)));
    },
  };

  const initialCluster = cluster.initialCluster(members);
  for (const member of members) launch(member, initialCluster, 'new', []);
  try {
    await waitForStatus(cluster.clientEndpoints, (leaders) => leaders[0] !== '0' && leaders.every((leader) => leader === leaders[0]));
    await waitForPublished(cluster.clientEndpoints[0]!, members.length);
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}

/** Until every endpoint answers Maintenance.Status and `done` holds for the leaders they name. */
async function waitForStatus(endpoints: readonly string[], done: (leaders: string[]) => boolean): Promise<void> {
  const { services } = loadEtcdProto();
  const Maintenance = grpc.makeGenericClientConstructor(services.Maintenance, 'Maintenance');
  const clients = endpoints.map((endpoint) => new Maintenance(endpoint, grpc.credentials.createInsecure()));
  const deadline = Date.now() + START_TIMEOUT_MS;
  try {
    for (;;) {
      const leaders = await Promise.all(clients.map((client) => statusLeader(client)));
      if (leaders.every((leader) => leader !== undefined) && done(leaders as string[])) return;
      if (Date.now() > deadline) throw new Error(`KV members not ready within ${START_TIMEOUT_MS} ms (leaders: ${leaders.join(', ')})`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    for (const client of clients) client.close();
  }
}

/** Until `endpoint` lists `count` members, each with its name (all have published: etcd's "started"). */
async function waitForPublished(endpoint: string, count: number): Promise<void> {
  const { services } = loadEtcdProto();
  const Cluster = grpc.makeGenericClientConstructor(services.Cluster, 'Cluster');
  const client = new Cluster(endpoint, grpc.credentials.createInsecure());
  const deadline = Date.now() + START_TIMEOUT_MS;
  const list = () =>
    new Promise<WireObject[]>((resolve) => {
      (client as unknown as { MemberList: (req: WireObject, opts: grpc.CallOptions, cb: (e: Error | null, r?: WireObject) => void) => void }).MemberList(
        {},
        { deadline: Date.now() + 1000 },
        (error, response) => resolve(error ? [] : ((response?.members as WireObject[] | undefined) ?? [])),
      );
    });
  try {
    for (;;) {
      const members = await list();
      if (members.length === count && members.every((m) => m.name !== '')) return;
      if (Date.now() > deadline) throw new Error(`KV members not all started within ${START_TIMEOUT_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    client.close();
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
