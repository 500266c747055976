/**
 * A real etcd cluster of 1 or 3 members on free 127.0.0.1 ports, in a temporary
 * directory: `startRealEtcd({ etcd, members })` waits until every member is healthy;
 * `stop()` kills every process and removes the directory. `stopOpenRealEtcds()` stops
 * every cluster not stopped yet (a test file's last resort); the processes are killed on
 * this process's exit in any case.
 *
 * `BALSA_KEEP_ETCD_DIRS=1` keeps the directories (data and logs) for a post-mortem.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, tailOf } from '../../raft/testing/process-cluster.js';
import { cleanEtcdEnvironment, trackChild } from './etcd-tools.js';

/** A real etcd must report healthy within this long of being started. */
export const ETCD_START_TIMEOUT_MS = 20_000;
/** A stopped member that ignores SIGTERM this long gets SIGKILL. */
const ETCD_STOP_GRACE_MS = 3_000;
/** Attempts at starting a cluster when a port picked as free was taken meanwhile. */
const START_ATTEMPTS = 3;

export interface RealEtcdOptions {
  /** Path of the etcd binary (from `etcdTools()`). */
  readonly etcd: string;
  /** 1 (default) or 3 members, named m1, m2, m3. */
  readonly members?: 1 | 3;
  /** Parent of the temporary directory holding the data directories and logs (default: the OS temp dir). */
  readonly dir?: string;
  /** Extra flags given to every member (e.g. `--quota-backend-bytes=...`). */
  readonly extraArgs?: readonly string[];
  /**
   * Runs before each member starts, with its (not yet existing) data directory and the
   * cluster's bootstrap flags: e.g. `etcdctl snapshot restore` into it, so that the member
   * starts on restored data.
   */
  readonly prepareDataDir?: (member: MemberBootstrap) => Promise<void>;
}

/** What `etcdctl snapshot restore` must be told for a member to start on its output. */
export interface MemberBootstrap {
  readonly name: string;
  readonly dataDir: string;
  readonly peerUrl: string;
  /** `name=peerUrl,...` of every member. */
  readonly initialCluster: string;
  readonly clusterToken: string;
}

export interface RealEtcdMember {
  readonly name: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
  readonly dataDir: string;
  readonly logFile: string;
}

interface RunningMember extends RealEtcdMember {
  child: ChildProcess;
  exited: Promise<void>;
  exitCode: number | null | undefined;
}

/** A running real etcd cluster. */
export class RealEtcd {
  private stopped = false;
  private token = '';

  private constructor(
    /** The temporary directory holding every member's data directory and log; removed by `stop()`. */
    readonly rootDir: string,
    private readonly running: RunningMember[],
  ) {}

  /** The members, in name order (m1, m2, m3). */
  get members(): readonly RealEtcdMember[] {
    return this.running;
  }

  /** The `--initial-cluster-token` the members were started with (unique to this cluster). */
  get clusterToken(): string {
    return this.token;
  }

  /** Every member's client URL, in name order. */
  get clientEndpoints(): string[] {
    return this.running.map((m) => m.clientUrl);
  }

  static async start(options: RealEtcdOptions): Promise<RealEtcd> {
    const count = options.members ?? 1;
    const rootDir = await mkdtemp(join(options.dir ?? tmpdir(), 'balsa-real-etcd-'));
    let lastError: unknown;
    for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
      const cluster = new RealEtcd(rootDir, []);
      openClusters.add(cluster);
      try {
        await cluster.launch(options, count, attempt);
        return cluster;
      } catch (error) {
        lastError = error;
        await cluster.killAll();
        openClusters.delete(cluster);
        // A port taken between freePort() and etcd's bind is worth another try; anything else is not.
        if (!(error instanceof Error) || !/address already in use/.test(error.message)) break;
      }
    }
    await rm(rootDir, { recursive: true, force: true });
    throw lastError;
  }

  private async launch(options: RealEtcdOptions, count: number, attempt: number): Promise<void> {
    const names = Array.from({ length: count }, (_, i) => `m${i + 1}`);
    const ports: { client: number; peer: number }[] = [];
    for (let i = 0; i < count; i++) ports.push({ client: await freePort(), peer: await freePort() });
    const peerUrls = ports.map((port) => `http://127.0.0.1:${port.peer}`);
    const initialCluster = names.map((name, i) => `${name}=${peerUrls[i]}`).join(',');
    // A token unique to this start, so that members of two clusters can never join each other.
    const token = `balsa-test-${process.pid}-${Date.now().toString(36)}-${attempt}`;
    this.token = token;
    for (const [i, name] of names.entries()) {
      const clientUrl = `http://127.0.0.1:${ports[i]!.client}`;
      const peerUrl = peerUrls[i]!;
      const dataDir = join(this.rootDir, `${name}-${attempt}.etcd`);
      const logFile = join(this.rootDir, `${name}-${attempt}.log`);
      await options.prepareDataDir?.({ name, dataDir, peerUrl, initialCluster, clusterToken: token });
      const args = [
        `--name=${name}`,
        `--data-dir=${dataDir}`,
        `--listen-client-urls=${clientUrl}`,
        `--advertise-client-urls=${clientUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=${initialCluster}`,
        `--initial-cluster-token=${token}`,
        '--initial-cluster-state=new',
        '--logger=zap',
        ...(options.extraArgs ?? []),
      ];
      const log = openSync(logFile, 'a');
      let child: ChildProcess;
      try {
        child = spawn(options.etcd, args, { env: cleanEtcdEnvironment(), stdio: ['ignore', log, log] });
      } finally {
        closeSync(log);
      }
      trackChild(child);
      const member: RunningMember = {
        name, clientUrl, peerUrl, dataDir, logFile, child,
        exitCode: undefined,
        exited: new Promise<void>((resolve) => {
          child.once('exit', (code) => {
            member.exitCode = code;
            resolve();
          });
          child.once('error', () => {
            member.exitCode = null;
            resolve();
          });
        }),
      };
      this.running.push(member);
    }
    await Promise.all(this.running.map((member) => this.waitHealthy(member)));
  }

  private async waitHealthy(member: RunningMember): Promise<void> {
    const deadline = Date.now() + ETCD_START_TIMEOUT_MS;
    for (;;) {
      if (member.exitCode !== undefined) {
        throw new Error(`etcd member ${member.name} exited with ${member.exitCode} while starting:\n${tailOf(member.logFile, 20)}`);
      }
      if (await isHealthy(member.clientUrl)) return;
      if (Date.now() >= deadline) {
        throw new Error(`etcd member ${member.name} not healthy after ${ETCD_START_TIMEOUT_MS} ms:\n${tailOf(member.logFile, 20)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** True while member `name`'s process runs (a member removed from the cluster exits by itself). */
  isRunning(name: string): boolean {
    return this.member(name).exitCode === undefined;
  }

  /** Stop one member (SIGTERM, then SIGKILL); its data stays until `stop()`. */
  async stopMember(name: string): Promise<void> {
    await stopProcess(this.member(name));
  }

  /** The last lines of every member's log. */
  describe(lines = 20): string {
    return this.running.map((m) => `--- ${m.name} (${m.logFile})\n${tailOf(m.logFile, lines)}`).join('\n');
  }

  /** The process id of each running member, in name order (for its CPU time and memory in /proc). */
  pids(): number[] {
    return this.running.filter((m) => m.exitCode === undefined && m.child.pid !== undefined).map((m) => m.child.pid!);
  }

  /**
   * Stop every member and remove the directory (kept with BALSA_KEEP_ETCD_DIRS=1).
   * Idempotent. By default with SIGKILL (the data goes with the directory, and a member that
   * lost its quorum can take seconds over a SIGTERM); `'SIGTERM'` asks first and kills
   * whatever is still there after a grace period.
   */
  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGKILL'): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    openClusters.delete(this);
    await Promise.all(this.running.map((member) => stopProcess(member, signal)));
    if (process.env.BALSA_KEEP_ETCD_DIRS === '1') {
      console.warn(`kept ${this.rootDir}`);
      return;
    }
    await rm(this.rootDir, { recursive: true, force: true });
  }

  private async killAll(): Promise<void> {
    await Promise.all(this.running.map((member) => stopProcess(member, 'SIGKILL')));
  }

  private member(name: string): RunningMember {
    const member = this.running.find((m) => m.name === name);
    if (member === undefined) throw new Error(`no etcd member ${name}`);
    return member;
  }
}

/** `RealEtcd.start(options)`. */
export function startRealEtcd(options: RealEtcdOptions): Promise<RealEtcd> {
  return RealEtcd.start(options);
}

async function stopProcess(member: RunningMember, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
  if (member.exitCode !== undefined) return;
  member.child.kill(signal);
  const timer = setTimeout(() => member.child.kill('SIGKILL'), ETCD_STOP_GRACE_MS);
  await member.exited;
  clearTimeout(timer);
}

/** GET /health on a client URL: etcd answers {"health":"true"} once it has a leader and can serve. */
function isHealthy(clientUrl: string): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.get(`${clientUrl}/health`, { timeout: 1_000 }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve(response.statusCode === 200 && /"health":\s*"true"/.test(body)));
      response.on('error', () => resolve(false));
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(false));
  });
}

const openClusters = new Set<RealEtcd>();

/** Stop every cluster started here and not stopped yet (see `RealEtcd.stop` for `signal`). */
export async function stopOpenRealEtcds(signal: 'SIGTERM' | 'SIGKILL' = 'SIGKILL'): Promise<void> {
  await Promise.all([...openClusters].map((cluster) => cluster.stop(signal)));
}
