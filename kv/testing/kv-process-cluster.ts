/**
 * A Balsa KV cluster of real `balsa kv serve` processes on 127.0.0.1 (the compiled CLI,
 * with etcd's flags), for tests that drive it with etcdctl or etcd clients and for
 * `bench/kv.ts`. Members can be stopped one by one, and new ones planned (ports picked)
 * and started to join the running cluster (`--initial-cluster-state existing`). `stop()`
 * sends SIGTERM, then SIGKILL to whatever has not exited, and never leaves a process;
 * `stopOpenKvClusters()` stops every cluster not stopped yet (on an interrupt), and the
 * processes are killed on this process's exit in any case.
 *
 * With `advertisePeer`, a member listens for peers on one port and tells the others
 * another (a fault-injecting proxy in front of it, say): every peer then reaches it there.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { loadEtcdProto } from '../server/etcd-proto.js';
import type { WireObject } from '../server/etcd-proto.js';
import { freePort } from '../../raft/testing/process-cluster.js';
import { trackChild } from './etcd-tools.js';

const START_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 5_000;
export const CLUSTER_TOKEN = 'balsa-test';

/**
 * The project's `dist/cmd/balsa.js`: the first folder above this module
 * (run from source, from `dist/`, or from another compiled copy such as `dist/chaos/`)
 * that holds a `package.json`.
 */
export function defaultBalsaCli(): string {
  let folder = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(folder, 'package.json'))) {
    const parent = dirname(folder);
    if (parent === folder) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    folder = parent;
  }
  return join(folder, 'dist', 'cmd', 'balsa.js');
}

export interface KvClusterOptions {
  readonly members: number;
  /** A temporary directory of the caller's: data directories and logs go under it. */
  readonly dir: string;
  /** The compiled `balsa` CLI (default: `defaultBalsaCli()`). */
  readonly balsaCli?: string;
  /** Extra flags for every member. */
  readonly flags?: readonly string[];
  /** Extra environment variables for every member. */
  readonly env?: Readonly<Record<string, string>>;
  /** Flags for node itself, before the CLI (say `--cpu-prof`). */
  readonly nodeArgs?: readonly string[];
  /**
   * The host:port the other members should reach member `name` at, given the one it listens
   * on for peers (e.g. a proxy's, started here). Default: the one it listens on.
   */
  readonly advertisePeer?: (name: string, listenAddress: string) => Promise<string>;
  /** Called with each member process as it is spawned (started, restarted or joining). */
  readonly onSpawn?: (name: string, pid: number) => void;
  /**
   * Run `balsa server` (a KV member with the API server on it) rather than `balsa kv serve`:
   * each member also serves the API on ports picked for it (`PlannedMember.apiUrl`,
   * `apiGrpcAddress`).
   */
  readonly apiServer?: boolean;
  /**
   * Serve clients and peers over TLS with mutual authentication (https:// URLs,
   * `--client-cert-auth`, `--peer-client-cert-auth`). Default: plain text.
   */
  readonly tls?: KvClusterTls;
}

/** The files of a TLS cluster: one CA signs every certificate. */
export interface KvClusterTls {
  readonly caFile: string;
  /** Member `name`'s certificate for both its ports (serverAuth and clientAuth, SAN 127.0.0.1). */
  readonly memberCert: (name: string) => { readonly certFile: string; readonly keyFile: string };
  /** A client certificate the harness presents when it polls the members. */
  readonly client: { readonly certFile: string; readonly keyFile: string };
}

/** A member's name and URLs, chosen before it starts. */
export interface PlannedMember {
  readonly name: string;
  /** `http://127.0.0.1:port` (`https://` with `tls`) */
  readonly peerUrl: string;
  /** `http://127.0.0.1:port`: where it listens for them (`--listen-peer-urls`; `peerUrl` unless `advertisePeer` says otherwise). */
  readonly listenPeerUrl: string;
  readonly clientUrl: string;
  /** host:port of its client API, for etcdctl's --endpoints. */
  readonly clientEndpoint: string;
  /** With `apiServer`: `http://127.0.0.1:port` of its API server's HTTP front-end. */
  readonly apiUrl?: string;
  /** With `apiServer`: `127.0.0.1:port` of its API server's gRPC front-end. */
  readonly apiGrpcAddress?: string;
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
   * Start a stopped member again on its data directory (by default `existing`, with the
   * members started so far as its initial cluster), at a new peer URL if given (after
   * `member update`); resolves once it serves clients.
   */
  restartMember(index: number, options?: RestartOptions): Promise<void>;
  /**
   * Stop one member: SIGTERM, then SIGKILL after a grace period; or SIGKILL at once (a
   * crash). Its index stays; its endpoint no longer answers.
   */
  stopMember(index: number, signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Kill one member with SIGKILL (a crash: nothing flushed, nothing closed); resolves once it has exited. */
  killMember(index: number): Promise<void>;
  /** The process id of each running member, in member order (for its CPU time and memory in /proc). */
  pids(): number[];
  /** Whether member `index`'s process has exited (by itself or stopped). */
  exited(index: number): boolean;
  /** How member `index`'s process ended, null while it runs (a clean stop: code 0, no signal). */
  exitStatus(index: number): { readonly code: number | null; readonly signal: NodeJS.Signals | null } | null;
  /** Send `signal` to member `index`'s process if it is running (SIGKILL, SIGSTOP, SIGCONT, ...); whether it was. */
  signal(index: number, signal: NodeJS.Signals): boolean;
  /** Until member `index`'s process exits by itself; false after `timeoutMs`. */
  waitForExit(index: number, timeoutMs: number): Promise<boolean>;
  stop(): Promise<void>;
}

/** How `restartMember` starts a member again. */
export interface RestartOptions {
  /** Its new peer URL (after `member update`). */
  readonly peerUrl?: string;
  /** `--initial-cluster-state` (default `existing`). */
  readonly state?: 'new' | 'existing';
  /** `--initial-cluster` (default: every member started so far, at its current peer URL). */
  readonly initialCluster?: string;
  /** Extra flags, after every other (a repeated flag keeps its last value). */
  readonly flags?: readonly string[];
}

interface RunningMember {
  readonly child: ChildProcess;
  readonly exit: Promise<void>;
}

async function plan(name: string, advertisePeer: KvClusterOptions['advertisePeer'], apiServer = false, secure = false): Promise<PlannedMember> {
  const scheme = secure ? 'https' : 'http';
  const clientPort = await freePort();
  const peerPort = await freePort();
  const api = apiServer ? { apiUrl: `http://127.0.0.1:${await freePort()}`, apiGrpcAddress: `127.0.0.1:${await freePort()}` } : {};
  const advertised = advertisePeer === undefined ? `127.0.0.1:${peerPort}` : await advertisePeer(name, `127.0.0.1:${peerPort}`);
  return {
    name,
    peerUrl: `${scheme}://${advertised}`,
    listenPeerUrl: `${scheme}://127.0.0.1:${peerPort}`,
    clientUrl: `${scheme}://127.0.0.1:${clientPort}`,
    clientEndpoint: `127.0.0.1:${clientPort}`,
    ...api,
  };
}

const openClusters = new Set<KvCluster>();

/** Stop every cluster started here and not stopped yet. */
export async function stopOpenKvClusters(): Promise<void> {
  await Promise.all([...openClusters].map((cluster) => cluster.stop()));
}

export async function startKvCluster(options: KvClusterOptions): Promise<KvCluster> {
  const balsaCli = options.balsaCli ?? defaultBalsaCli();
  if (!existsSync(balsaCli)) throw new Error(`${balsaCli} is missing: build first (npm run build)`);
  const members: PlannedMember[] = [];
  const secure = options.tls !== undefined;
  for (let i = 0; i < options.members; i++) members.push(await plan(`m${i + 1}`, options.advertisePeer, options.apiServer, secure));
  const credentials = channelCredentials(options.tls);
  const tlsFlags = (name: string): string[] => {
    const tls = options.tls;
    if (tls === undefined) return [];
    const own = tls.memberCert(name);
    return [
      '--cert-file', own.certFile, '--key-file', own.keyFile, '--trusted-ca-file', tls.caFile, '--client-cert-auth',
      '--peer-cert-file', own.certFile, '--peer-key-file', own.keyFile, '--peer-trusted-ca-file', tls.caFile, '--peer-client-cert-auth',
    ];
  };
  const processes: (RunningMember | null)[] = [];
  const logs: string[] = [];

  const launch = (member: PlannedMember, initialCluster: string, state: 'new' | 'existing', flags: readonly string[]): void => {
    const args = [
      ...(options.nodeArgs ?? []), balsaCli, ...(options.apiServer ? ['server'] : ['kv', 'serve']), '--name', member.name, '--data-dir', join(options.dir, `${member.name}.etcd`),
      '--listen-client-urls', member.clientUrl, '--advertise-client-urls', member.clientUrl,
      '--listen-peer-urls', member.listenPeerUrl, '--initial-advertise-peer-urls', member.peerUrl,
      '--initial-cluster', initialCluster, '--initial-cluster-state', state, '--initial-cluster-token', CLUSTER_TOKEN,
      ...(member.apiUrl !== undefined ? ['--api-port', new URL(member.apiUrl).port, '--api-grpc-port', member.apiGrpcAddress!.split(':')[1]!] : []),
      ...tlsFlags(member.name), ...(options.flags ?? []), ...flags,
    ];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
    trackChild(child);
    const logPath = join(options.dir, `${member.name}.log`);
    const log = createWriteStream(logPath, { flags: 'a' });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    if (child.pid !== undefined) options.onSpawn?.(member.name, child.pid);
    const index = members.findIndex((m) => m.name === member.name);
    processes[index] = { child, exit };
    logs[index] = logPath;
  };

  const stopProcess = async (running: RunningMember | null, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> => {
    if (running === null) return;
    if (running.child.exitCode === null && running.child.signalCode === null) {
      running.child.kill('SIGCONT'); // a stopped process would not handle SIGTERM
      running.child.kill(signal);
    }
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
      const member = await plan(name, options.advertisePeer, options.apiServer, secure);
      members.push(member);
      cluster.clientEndpoints.push(member.clientEndpoint);
      processes.push(null);
      return member;
    },
    async startJoining(member, initialCluster, flags = []) {
      launch(member, initialCluster, 'existing', flags);
      await waitForStatus([member.clientEndpoint], () => true, credentials);
    },
    async restartMember(index, restart = {}) {
      if (!cluster.exited(index)) throw new Error(`member ${index} is still running`);
      // A new peer URL is listened on too (no proxy moves with it).
      const member = restart.peerUrl === undefined ? members[index]! : { ...members[index]!, peerUrl: restart.peerUrl, listenPeerUrl: restart.peerUrl };
      members[index] = member;
      const initial = restart.initialCluster ?? cluster.initialCluster(members.filter((_, i) => processes[i] !== null));
      launch(member, initial, restart.state ?? 'existing', restart.flags ?? []);
      await waitForStatus([member.clientEndpoint], () => true, credentials);
    },
    async stopMember(index, signal) {
      await stopProcess(processes[index] ?? null, signal);
    },
    async killMember(index) {
      await stopProcess(processes[index] ?? null, 'SIGKILL');
    },
    pids() {
      return processes
        .filter((running): running is RunningMember => running !== null && running.child.exitCode === null && running.child.signalCode === null)
        .map((running) => running.child.pid!);
    },
    exited(index) {
      const running = processes[index];
      return running === null || running === undefined || running.child.exitCode !== null || running.child.signalCode !== null;
    },
    exitStatus(index) {
      const child = processes[index]?.child;
      if (child === undefined || (child.exitCode === null && child.signalCode === null)) return null;
      return { code: child.exitCode, signal: child.signalCode };
    },
    signal(index, signal) {
      if (cluster.exited(index)) return false;
      return processes[index]!.child.kill(signal);
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
      openClusters.delete(cluster);
      await Promise.all(processes.map((running) => stopProcess(running ?? null)));
    },
  };
  openClusters.add(cluster);

  const initialCluster = cluster.initialCluster(members);
  for (const member of members) launch(member, initialCluster, 'new', []);
  try {
    await waitForStatus(cluster.clientEndpoints, (leaders) => leaders[0] !== '0' && leaders.every((leader) => leader === leaders[0]), credentials);
    await waitForPublished(cluster.clientEndpoints[0]!, members.length, credentials);
  } catch (error) {
    await cluster.stop();
    // What the members said is usually why: put it in the failure.
    const said = cluster.logs.map((path) => `--- ${path}\n${existsSync(path) ? readFileSync(path, 'utf8').split('\n').slice(-20).join('\n') : '(no log)'}`);
    throw new Error(`${(error as Error).message}\n${said.join('\n')}`);
  }
  return cluster;
}

/** The harness's own credentials for the members' client ports. */
function channelCredentials(tls: KvClusterTls | undefined): grpc.ChannelCredentials {
  if (tls === undefined) return grpc.credentials.createInsecure();
  return grpc.credentials.createSsl(readFileSync(tls.caFile), readFileSync(tls.client.keyFile), readFileSync(tls.client.certFile));
}

/** Until every endpoint answers Maintenance.Status and `done` holds for the leaders they name. */
async function waitForStatus(endpoints: readonly string[], done: (leaders: string[]) => boolean, credentials: grpc.ChannelCredentials): Promise<void> {
  const { services } = loadEtcdProto();
  const Maintenance = grpc.makeGenericClientConstructor(services.Maintenance, 'Maintenance');
  const clients = endpoints.map((endpoint) => new Maintenance(endpoint, credentials));
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
async function waitForPublished(endpoint: string, count: number, credentials: grpc.ChannelCredentials): Promise<void> {
  const { services } = loadEtcdProto();
  const Cluster = grpc.makeGenericClientConstructor(services.Cluster, 'Cluster');
  const client = new Cluster(endpoint, credentials);
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
