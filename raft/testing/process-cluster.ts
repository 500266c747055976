/**
 * A Raft cluster of real processes on loopback: one `cluster-node.js` per member, each
 * with its own data directory, optionally behind a `TcpProxy` that the other members use
 * as its Raft address (so that a test can cut it off). It starts members, kills (-9),
 * pauses (SIGSTOP), resumes, stops and restarts them with their data, starts new members
 * that join, and cleans up every process, proxy and directory in `dispose()`.
 *
 * It only manages processes; `cluster-client.ts` talks to them. Used by the multi-process
 * tests (through `test/support/process-cluster.ts`) and by `bench/raft-cluster.ts`.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync, appendFileSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { CLUSTER_MEMBERS_MAX, MEMBER_START_TIMEOUT_MS, MEMBER_STOP_GRACE_MS } from './constants.js';
import { formatMembers } from './member-list.js';
import { TcpProxy } from './tcp-proxy.js';

export interface ProcessClusterOptions {
  /** Initial voters, ids 1..size. */
  readonly size: number;
  /** A `TcpProxy` in front of each member's Raft port, used by its peers (default true). */
  readonly proxies?: boolean;
  /** `--tick-ms` of every member (default: the node's, 100). */
  readonly tickMs?: number;
  /** `--election-ticks` (default: the node's, 10). */
  readonly electionTicks?: number;
  /** `--snapshot-every` (default: the node's, 10000). */
  readonly snapshotEveryEntries?: number;
  /** `--snapshot-trailing`: entries kept behind a snapshot (default: the core's, 5000). */
  readonly snapshotTrailingEntries?: number;
  /** `--snapshot-chunk-bytes` (default: the core's, 1 MiB). */
  readonly snapshotChunkBytes?: number;
  /** `--request-timeout-ms` (default: the node's, 10000). */
  readonly requestTimeoutMs?: number;
  /** The compiled program (default: `cluster-node.js` beside this module, or under `dist/`). */
  readonly nodeScript?: string;
  /** Parent of the cluster's temporary directory (default: the OS's). */
  readonly baseDir?: string;
  /** Keep the directories at `dispose()` (default: when `BALSA_KEEP_CLUSTER_DIRS=1`). */
  readonly keepDirs?: boolean;
  /** Narration of what the harness does (default: none). */
  readonly log?: (line: string) => void;
}

export type MemberState = 'running' | 'paused' | 'killed' | 'stopped';

export interface MemberExit {
  readonly id: number;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The harness did not ask for it: the member crashed or exited on its own. */
  readonly unexpected: boolean;
}

/** What the harness knows about one member. */
export interface ProcessMember {
  readonly id: number;
  /** The member's directory: `data/` and `node.log` (stderr of every run). */
  readonly dir: string;
  readonly dataDir: string;
  readonly logPath: string;
  /** The Raft address its peers use: its proxy's, or its own without proxies. */
  readonly advertisedAddress: string;
  readonly proxy: TcpProxy | null;
  /** The member's own Raft and HTTP addresses, as of its last start. */
  readonly raftAddress: string;
  readonly httpAddress: string;
  readonly state: MemberState;
  readonly pid: number | null;
  /** Started with `--join`. */
  readonly joined: boolean;
}

interface MemberRecord {
  id: number;
  dir: string;
  dataDir: string;
  logPath: string;
  advertisedAddress: string;
  proxy: TcpProxy | null;
  /** The port to listen on for Raft: 0 (any) behind a proxy, else fixed for good. */
  raftPort: number;
  raftAddress: string;
  httpAddress: string;
  state: MemberState;
  process: ChildProcess | null;
  joined: boolean;
  /** The members list it was first started with (ignored by the node on restarts). */
  members: string;
  exited: Promise<void> | null;
}

/** Every child of every cluster in this process, killed if the process exits. */
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of liveChildren) child.kill('SIGKILL');
  });
}

/** `dist/raft/testing/cluster-node.js`, found from this module's location (compiled or source). */
export function defaultNodeScript(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const sibling = join(here, 'cluster-node.js');
  if (existsSync(sibling) && here.split(/[\\/]/).includes('dist')) return sibling;
  return resolve(here, '..', '..', 'dist', 'raft', 'testing', 'cluster-node.js');
}

/** A port free on 127.0.0.1 right now (for members without proxies, whose port must be known in advance). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The last `lines` lines of a file ('' if it does not exist). */
export function tailOf(path: string, lines: number): string {
  if (!existsSync(path)) return '';
  const text = readFileSync(path, 'utf8').trimEnd().split('\n');
  return text.slice(-lines).join('\n');
}

export class ProcessCluster {
  private readonly records = new Map<number, MemberRecord>();
  private readonly exits: MemberExit[] = [];
  private disposed = false;

  private constructor(
    readonly rootDir: string,
    private readonly options: ProcessClusterOptions,
    private readonly nodeScript: string,
  ) {}

  /** Start `options.size` members and wait until every one is serving. */
  static async start(options: ProcessClusterOptions): Promise<ProcessCluster> {
    if (!Number.isInteger(options.size) || options.size < 1 || options.size > CLUSTER_MEMBERS_MAX) {
      throw new Error(`cluster size must be 1..${CLUSTER_MEMBERS_MAX}, got ${options.size}`);
    }
    const nodeScript = options.nodeScript ?? defaultNodeScript();
    if (!existsSync(nodeScript)) throw new Error(`${nodeScript} is missing: build first (npx tsc -p tsconfig.build.json)`);
    installExitHook();
    const rootDir = await mkdtemp(join(options.baseDir ?? tmpdir(), 'balsa-cluster-'));
    const cluster = new ProcessCluster(rootDir, options, nodeScript);
    try {
      const ids = Array.from({ length: options.size }, (_, i) => i + 1);
      for (const id of ids) await cluster.prepare(id, false);
      const members = formatMembers(ids.map((id) => ({ id, address: cluster.record(id).advertisedAddress })));
      for (const id of ids) cluster.record(id).members = members;
      await Promise.all(ids.map((id) => cluster.launch(id)));
      return cluster;
    } catch (error) {
      await cluster.dispose();
      throw error;
    }
  }

  private get keepDirs(): boolean {
    return this.options.keepDirs ?? process.env['BALSA_KEEP_CLUSTER_DIRS'] === '1';
  }

  private narrate(line: string): void {
    this.options.log?.(line);
  }

  private record(id: number): MemberRecord {
    const record = this.records.get(id);
    if (record === undefined) throw new Error(`no member ${id}`);
    return record;
  }

  /** Every member the harness has started, in id order (removed ones too, until `forget`). */
  members(): ProcessMember[] {
    return [...this.records.values()].sort((a, b) => a.id - b.id).map((record) => this.member(record.id));
  }

  member(id: number): ProcessMember {
    const r = this.record(id);
    return {
      id: r.id,
      dir: r.dir,
      dataDir: r.dataDir,
      logPath: r.logPath,
      advertisedAddress: r.advertisedAddress,
      proxy: r.proxy,
      raftAddress: r.raftAddress,
      httpAddress: r.httpAddress,
      state: r.state,
      pid: r.process?.pid ?? null,
      joined: r.joined,
    };
  }

  /** Ids of members whose process is running (not paused, killed or stopped). */
  runningIds(): number[] {
    return this.members()
      .filter((member) => member.state === 'running')
      .map((member) => member.id);
  }

  proxy(id: number): TcpProxy {
    const proxy = this.record(id).proxy;
    if (proxy === null) throw new Error(`member ${id} has no proxy (started with proxies: false)`);
    return proxy;
  }

  /** Every exit of a member process so far; `unexpected` ones are crashes. */
  exitLog(): readonly MemberExit[] {
    return this.exits;
  }

  /** kill -9. Resolves once the process is gone. */
  async kill(id: number): Promise<void> {
    const record = this.record(id);
    const child = this.requireProcess(record);
    this.narrate(`kill -9 member ${id} (pid ${child.pid})`);
    record.state = 'killed';
    child.kill('SIGKILL');
    await record.exited;
  }

  /** SIGSTOP: the process freezes (sockets stay open, nothing is answered). */
  pause(id: number): void {
    const record = this.record(id);
    const child = this.requireProcess(record);
    if (record.state !== 'running') throw new Error(`member ${id} is ${record.state}, not running`);
    this.narrate(`SIGSTOP member ${id}`);
    child.kill('SIGSTOP');
    record.state = 'paused';
  }

  /** SIGCONT after `pause`. */
  resume(id: number): void {
    const record = this.record(id);
    const child = this.requireProcess(record);
    if (record.state !== 'paused') throw new Error(`member ${id} is ${record.state}, not paused`);
    this.narrate(`SIGCONT member ${id}`);
    child.kill('SIGCONT');
    record.state = 'running';
  }

  /** SIGTERM (a clean stop), then SIGKILL after the grace period. */
  async stop(id: number): Promise<void> {
    const record = this.record(id);
    if (record.process === null) return;
    this.narrate(`stop member ${id}`);
    await this.terminate(record);
  }

  /** Start a stopped or killed member again, on its data directory. */
  async restart(id: number): Promise<void> {
    const record = this.record(id);
    if (record.process !== null) throw new Error(`member ${id} is still ${record.state}`);
    this.narrate(`restart member ${id}`);
    await this.launch(id);
  }

  /**
   * Start a new member with `--join`, given the current members to reach. It serves, but is
   * not part of the cluster until added on the leader (`ClusterClient.addMember`).
   */
  async startJoiner(id: number, reach: readonly number[]): Promise<ProcessMember> {
    if (this.records.has(id)) throw new Error(`member ${id} exists already`);
    if (!Number.isInteger(id) || id < 1 || id > CLUSTER_MEMBERS_MAX) throw new Error(`member id must be 1..${CLUSTER_MEMBERS_MAX}`);
    await this.prepare(id, true);
    const record = this.record(id);
    record.members = formatMembers(reach.map((peer) => ({ id: peer, address: this.record(peer).advertisedAddress })));
    this.narrate(`start member ${id} to join via ${record.members}`);
    await this.launch(id);
    return this.member(id);
  }

  /** The member's log (stderr of every run): the last `lines` lines. */
  logTail(id: number, lines = 40): string {
    return tailOf(this.record(id).logPath, lines);
  }

  /** Every member's log tail, for a failure report. */
  describe(lines = 30): string {
    return this.members()
      .map((member) => `--- member ${member.id} (${member.state}, pid ${member.pid ?? '-'}, ${member.logPath}) ---\n${this.logTail(member.id, lines)}`)
      .join('\n');
  }

  /** Kill every process (SIGTERM, then SIGKILL), close the proxies, remove the directories. Idempotent. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await Promise.all([...this.records.values()].map((record) => this.terminate(record)));
    await Promise.all([...this.records.values()].map((record) => record.proxy?.close()));
    if (this.keepDirs) {
      this.narrate(`kept ${this.rootDir}`);
      return;
    }
    await rm(this.rootDir, { recursive: true, force: true, maxRetries: 3 });
  }

  // ---- Internals ----

  private requireProcess(record: MemberRecord): ChildProcess {
    if (record.process === null) throw new Error(`member ${record.id} is ${record.state}: no process`);
    return record.process;
  }

  private async prepare(id: number, joined: boolean): Promise<void> {
    const dir = join(this.rootDir, `member-${id}`);
    const dataDir = join(dir, 'data');
    await mkdir(dataDir, { recursive: true });
    const useProxy = this.options.proxies ?? true;
    const proxy = useProxy ? await TcpProxy.start() : null;
    const raftPort = useProxy ? 0 : await freePort();
    this.records.set(id, {
      id,
      dir,
      dataDir,
      logPath: join(dir, 'node.log'),
      advertisedAddress: proxy?.address ?? `127.0.0.1:${raftPort}`,
      proxy,
      raftPort,
      raftAddress: '',
      httpAddress: '',
      state: 'stopped',
      process: null,
      joined,
      members: '',
      exited: null,
    });
  }

  private argumentsFor(record: MemberRecord): string[] {
    const args = [
      this.nodeScript,
      '--id', String(record.id),
      '--raft', `127.0.0.1:${record.raftPort}`,
      '--http', '127.0.0.1:0',
      '--data', record.dataDir,
      '--members', record.members,
      '--exit-on-stdin-close',
    ];
    if (record.joined) args.push('--join');
    const numeric: [string, number | undefined][] = [
      ['--tick-ms', this.options.tickMs],
      ['--election-ticks', this.options.electionTicks],
      ['--snapshot-every', this.options.snapshotEveryEntries],
      ['--snapshot-trailing', this.options.snapshotTrailingEntries],
      ['--snapshot-chunk-bytes', this.options.snapshotChunkBytes],
      ['--request-timeout-ms', this.options.requestTimeoutMs],
    ];
    for (const [flag, value] of numeric) if (value !== undefined) args.push(flag, String(value));
    return args;
  }

  /** Spawn the member's process and wait for its `ready` line. */
  private async launch(id: number): Promise<void> {
    if (this.disposed) throw new Error('the cluster is disposed');
    const record = this.record(id);
    const args = this.argumentsFor(record);
    appendFileSync(record.logPath, `=== ${new Date().toISOString()} harness: node ${args.join(' ')}\n`);
    const logFd = openSync(record.logPath, 'a');
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', logFd] });
    } finally {
      closeSync(logFd);
    }
    liveChildren.add(child);
    record.process = child;
    record.state = 'running';
    record.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        liveChildren.delete(child);
        const unexpected = record.state === 'running' || record.state === 'paused';
        if (unexpected) appendFileSync(record.logPath, `=== harness: exited on its own, code ${code} signal ${signal}\n`);
        this.exits.push({ id, code, signal, unexpected });
        if (record.process === child) {
          record.process = null;
          if (unexpected) record.state = 'stopped';
        }
        resolve();
      });
    });
    child.stdin?.on('error', () => undefined);
    try {
      const ready = await this.waitForReady(record, child);
      record.raftAddress = ready.raft;
      record.httpAddress = ready.http;
      if (record.proxy !== null) record.proxy.setTarget(ready.raft);
      this.narrate(`member ${id} ready (pid ${child.pid}) raft=${ready.raft} via ${record.advertisedAddress} http=${ready.http}`);
    } catch (error) {
      child.kill('SIGKILL');
      await record.exited;
      throw new Error(`member ${id} did not start: ${(error as Error).message}\n${this.logTail(id, 40)}`);
    }
  }

  private waitForReady(record: MemberRecord, child: ChildProcess): Promise<{ raft: string; http: string }> {
    return new Promise((resolve, reject) => {
      const lines = createInterface({ input: child.stdout! });
      const timer = setTimeout(() => reject(new Error(`no ready line within ${MEMBER_START_TIMEOUT_MS} ms`)), MEMBER_START_TIMEOUT_MS);
      let ready = false;
      lines.on('line', (line) => {
        const match = /^ready raft=(\S+) http=(\S+)$/.exec(line);
        if (!ready && match !== null) {
          ready = true;
          clearTimeout(timer);
          resolve({ raft: match[1]!, http: match[2]! });
          return;
        }
        appendFileSync(record.logPath, `[stdout] ${line}\n`);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (!ready) reject(new Error(`exited before ready (code ${code}, signal ${signal})`));
      });
    });
  }

  /** SIGTERM (SIGCONT first if paused), SIGKILL after the grace period; resolves once gone. */
  private async terminate(record: MemberRecord): Promise<void> {
    const child = record.process;
    if (child === null) return;
    const wasPaused = record.state === 'paused';
    record.state = 'stopped';
    if (wasPaused) child.kill('SIGCONT');
    child.kill('SIGTERM');
    const exited = record.exited ?? Promise.resolve();
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), MEMBER_STOP_GRACE_MS)));
    const outcome = await Promise.race([exited.then(() => 'exited' as const), graceOver]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.narrate(`member ${record.id} ignored SIGTERM for ${MEMBER_STOP_GRACE_MS} ms: SIGKILL`);
      child.kill('SIGKILL');
      await exited;
    }
  }
}
