/**
 * The real etcd tools for tests: `etcdctl` (to drive Balsa the way operators do) and `etcd`
 * itself (the reference Balsa is compared with). Both come from Debian's `etcd-client` and
 * `etcd-server` packages (3.4), which `.ci/run` installs.
 *
 * - `etcdTools()` finds both. A missing tool fails the suite in CI (`CI=true`); elsewhere
 *   the suite is skipped with the reason printed: `describeWithTools(tools, name, body)`
 *   registers one passing test that says why instead of the real ones.
 * - `runEtcdctl(tool, args, { endpoints })` runs one command with `ETCDCTL_API=3` and a
 *   clean environment, bounded in time; `spawnEtcdctl` starts one that runs until stopped
 *   (watch, keep-alive).
 * - `startRealEtcd({ members })` starts a real etcd of 1 or 3 members on free 127.0.0.1
 *   ports in a temporary directory, waits until every member is healthy, and `stop()` kills
 *   every process and removes the directory. Whatever a test leaves running is killed when
 *   its file ends (and on process exit). `prepareDataDir` fills a member's data directory
 *   before it starts (`etcdctl snapshot restore`).
 *
 * `BALSA_KEEP_ETCD_DIRS=1` keeps the directories (data and logs) for a post-mortem.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { accessSync, closeSync, constants as fsConstants, openSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort, tailOf } from '../../raft/testing/process-cluster.js';

export type ToolName = 'etcdctl' | 'etcd';

/** Where each tool comes from, for the message that says it is missing. */
const TOOL_PACKAGES: Record<ToolName, string> = { etcdctl: 'etcd-client', etcd: 'etcd-server' };

/** Searched after `PATH`: where Debian (and a manual install) put the binaries. */
const FALLBACK_DIRECTORIES = ['/usr/bin', '/usr/local/bin'];

/** A single etcdctl command is killed after this long (its own timeouts are 2 s dial, 5 s command). */
export const ETCDCTL_TIMEOUT_MS = 20_000;
/** A real etcd must report healthy within this long of being started. */
export const ETCD_START_TIMEOUT_MS = 20_000;
/** A stopped member that ignores SIGTERM this long gets SIGKILL. */
const ETCD_STOP_GRACE_MS = 3_000;
/** Attempts at starting a cluster when a port picked as free was taken meanwhile. */
const START_ATTEMPTS = 3;

/** True in CI, where a missing tool is a failure rather than a reason to skip. */
export function isCi(): boolean {
  const value = process.env.CI;
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}

/** Raised in CI when a test needs a program that is not installed. */
export class MissingToolError extends Error {
  constructor(readonly tool: ToolName, message: string) {
    super(message);
    this.name = 'MissingToolError';
  }
}

/** The absolute path of an executable `name` on `PATH` or in /usr/bin, /usr/local/bin; undefined if none. */
export function locateTool(name: ToolName, searchPath: string | undefined = process.env.PATH): string | undefined {
  const directories = [...(searchPath ?? '').split(delimiter).filter((d) => d !== ''), ...FALLBACK_DIRECTORIES];
  for (const directory of directories) {
    const candidate = join(directory, name);
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // not here: keep looking
    }
  }
  return undefined;
}

/** Why a tool is missing, in words a developer can act on. */
function missingReason(name: ToolName): string {
  return `${name} not found on PATH or in ${FALLBACK_DIRECTORIES.join(', ')} (install Debian's ${TOOL_PACKAGES[name]}: apt-get install ${TOOL_PACKAGES[name]})`;
}

/** Reasons printed so far, so that a file asking twice prints once. */
const reported = new Set<string>();

/**
 * The path of `name`. Missing: throws `MissingToolError` in CI; elsewhere prints why the
 * tests that need it are skipped and returns null.
 */
export function requireTool(name: ToolName): string | null {
  const path = locateTool(name);
  if (path !== undefined) return path;
  const reason = missingReason(name);
  if (isCi()) throw new MissingToolError(name, `${reason}; CI must have it (.ci/run installs it)`);
  if (!reported.has(reason)) {
    reported.add(reason);
    console.warn(`skipping the tests that need ${name}: ${reason}`);
  }
  return null;
}

export interface EtcdTools {
  /** Absolute path of etcdctl (3.4 from Debian). */
  readonly etcdctl: string;
  /** Absolute path of etcd (3.4 from Debian). */
  readonly etcd: string;
}

/** Both tools (see `requireTool`): null outside CI when either is missing. */
export function etcdTools(): EtcdTools | null {
  const etcdctl = requireTool('etcdctl');
  const etcd = requireTool('etcd');
  return etcdctl !== null && etcd !== null ? { etcdctl, etcd } : null;
}

/**
 * `describe(name, () => body(tools))` when the tools are there. Otherwise (only possible
 * outside CI, since `requireTool` throws in CI) one test that prints why the suite is
 * skipped, and fails after all if it finds itself in CI. `needs` names the tools `tools`
 * stands for, for the message.
 */
export function describeWithTools<T>(tools: T | null, name: string, body: (tools: T) => void, needs: readonly ToolName[] = ['etcdctl', 'etcd']): void {
  if (tools !== null) {
    describe(name, () => body(tools));
    return;
  }
  describe(name, () => {
    test(`is skipped: ${needs.join(' and ')} not installed`, () => {
      if (isCi()) throw new Error(`${name}: ${needs.join(' and ')} missing in CI`);
      console.warn(`${name}: skipped (${needs.filter((t) => locateTool(t) === undefined).map(missingReason).join('; ')})`);
    });
  });
}

// ---------------------------------------------------------------------------------------
// etcdctl

export interface EtcdctlOptions {
  /** Client URLs passed as `--endpoints` (comma-joined). */
  readonly endpoints: readonly string[];
  /** Written to standard input, which is then closed (`txn -i` reads its answers there). */
  readonly input?: string;
  /** Extra environment variables (after the clean base: no inherited ETCD_* or ETCDCTL_*). */
  readonly env?: Readonly<Record<string, string>>;
  /** Kill the command after this long (default `ETCDCTL_TIMEOUT_MS`). */
  readonly timeoutMs?: number;
}

export interface EtcdctlResult {
  /** Exit status; null when killed (timeout). */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** True when the command was killed for running longer than its timeout. */
  readonly timedOut: boolean;
}

/**
 * The environment for etcd and etcdctl: the caller's, minus every `ETCD_*` and `ETCDCTL_*`
 * variable (both programs read their flags from those, which would make a run depend on
 * the shell it came from), with `ETCDCTL_API=3`.
 */
export function cleanEtcdEnvironment(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('ETCD_') && !key.startsWith('ETCDCTL_')) env[key] = value;
  }
  return { ...env, ETCDCTL_API: '3', ...extra };
}

function etcdctlArguments(args: readonly string[], endpoints: readonly string[]): string[] {
  if (endpoints.length === 0) throw new Error('etcdctl needs at least one endpoint');
  return [`--endpoints=${endpoints.join(',')}`, ...args];
}

/** Run `etcdctl args` to completion (or its timeout) and collect what it printed. */
export function runEtcdctl(etcdctl: string, args: readonly string[], options: EtcdctlOptions): Promise<EtcdctlResult> {
  const child = spawn(etcdctl, etcdctlArguments(args, options.endpoints), {
    env: cleanEtcdEnvironment(options.env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  track(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin!.on('error', () => undefined); // etcdctl may exit before reading its input
  child.stdin!.end(options.input ?? '');
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, options.timeoutMs ?? ETCDCTL_TIMEOUT_MS);
  return new Promise((resolve, reject) => {
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

/** An etcdctl command that runs until stopped (watch, keep-alive). */
export class BackgroundEtcdctl {
  private stdoutText = '';
  private stderrText = '';
  private exited: Promise<number | null>;
  private exitCode: number | null | undefined;
  private readonly waiters = new Set<() => void>();

  constructor(private readonly child: ChildProcess) {
    track(child);
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdoutText += chunk;
      this.wake();
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderrText += chunk;
      this.wake();
    });
    this.exited = new Promise((resolve) => {
      child.once('close', (code) => {
        this.exitCode = code;
        this.wake();
        resolve(code);
      });
      child.once('error', () => {
        this.exitCode = null;
        this.wake();
        resolve(null);
      });
    });
  }

  get stdout(): string {
    return this.stdoutText;
  }

  get stderr(): string {
    return this.stderrText;
  }

  /** The exit status once the command ended by itself or was stopped; undefined while it runs. */
  get code(): number | null | undefined {
    return this.exitCode;
  }

  /**
   * Resolves true once `done(stdout)` holds, false if the command exits first or `timeoutMs`
   * passes.
   */
  async waitFor(done: (stdout: string) => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.stdoutText)) {
      if (this.exitCode !== undefined || Date.now() >= deadline) return done(this.stdoutText);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(wake, Math.max(0, deadline - Date.now()));
        const waiters = this.waiters;
        function wake() {
          clearTimeout(timer);
          waiters.delete(wake);
          resolve();
        }
        waiters.add(wake);
      });
    }
    return true;
  }

  /** SIGTERM (SIGKILL after a grace period); resolves with the exit status once it is gone. */
  async stop(): Promise<number | null> {
    if (this.exitCode === undefined) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), ETCD_STOP_GRACE_MS);
      await this.exited;
      clearTimeout(timer);
    }
    return this.exitCode ?? null;
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

/** Start `etcdctl args` in the background; stop it with `stop()`. */
export function spawnEtcdctl(etcdctl: string, args: readonly string[], options: Omit<EtcdctlOptions, 'input' | 'timeoutMs'>): BackgroundEtcdctl {
  const child = spawn(etcdctl, etcdctlArguments(args, options.endpoints), {
    env: cleanEtcdEnvironment(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new BackgroundEtcdctl(child);
}

// ---------------------------------------------------------------------------------------
// A real etcd

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
      track(child);
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

  /**
   * Kill every member (SIGKILL: the data goes with the directory, and a member that lost its
   * quorum can take seconds over a SIGTERM) and remove the directory (kept with
   * BALSA_KEEP_ETCD_DIRS=1). Idempotent.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    openClusters.delete(this);
    await this.killAll();
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

// ---------------------------------------------------------------------------------------
// Never leave a process behind

const liveChildren = new Set<ChildProcess>();
const openClusters = new Set<RealEtcd>();
let exitHookInstalled = false;

function track(child: ChildProcess): void {
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
  child.once('error', () => liveChildren.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const live of liveChildren) live.kill('SIGKILL');
    });
  }
}

// A test that failed or timed out may still hold a cluster or a background etcdctl: whatever
// is left is stopped when the file ends.
if (typeof afterAll === 'function') {
  afterAll(async () => {
    await Promise.all([...openClusters].map((cluster) => cluster.stop()));
    for (const child of liveChildren) child.kill('SIGKILL');
  });
}

/** etcdctl against one member (or several): the raw result, stdout of a success, or a checked failure. */
export function etcdctlAt(etcdctl: string) {
  const endpointsOf = (target: string | readonly string[]) => (typeof target === 'string' ? [target] : target);
  const ctl = (target: string | readonly string[], ...args: string[]) => runEtcdctl(etcdctl, args, { endpoints: endpointsOf(target) });
  return {
    ctl,
    /** stdout of a command that must succeed. */
    async out(target: string | readonly string[], ...args: string[]): Promise<string> {
      const result = await ctl(target, ...args);
      if (result.code !== 0) throw new Error(`etcdctl ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
      return result.stdout;
    },
    /** A command that must fail, saying `message` on stderr. */
    async fails(target: string | readonly string[], args: string[], message: string | RegExp): Promise<void> {
      const result = await ctl(target, ...args);
      expect(result.code).not.toBe(0);
      if (typeof message === 'string') expect(result.stderr).toContain(message);
      else expect(result.stderr).toMatch(message);
    },
  };
}
