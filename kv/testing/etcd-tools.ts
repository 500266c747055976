/**
 * The real etcd tools, as programs to find and run: `etcdctl` (to drive Balsa the way
 * operators do) and `etcd` itself (the reference Balsa is compared with). Both come from
 * Debian's `etcd-client` and `etcd-server` packages (3.4). Also kubectl 1.20 (Debian's
 * `kubernetes-client`), which the Kubernetes-compatibility tests drive the API server with.
 *
 * - `locateTool(name)` finds one on `PATH` or in /usr/bin, /usr/local/bin (kubectl: only
 *   where `.ci/kubectl-setup.sh` unpacks it, or `BALSA_KUBECTL`: the kubectl on a
 *   machine's PATH is often another version); `missingToolReason(name)` says how to install it.
 * - `runProgram(path, args, options)` runs any of them to completion, bounded in time.
 * - `runEtcdctl(tool, args, { endpoints })` runs one command with `ETCDCTL_API=3` and a
 *   clean environment, bounded in time; `spawnEtcdctl` starts one that runs until stopped
 *   (watch, keep-alive).
 * - Every child started here (and by `real-etcd.ts`) is tracked: `killTrackedChildren()`
 *   kills what is left, and so does this process's exit.
 *
 * Used by the tests (through `test/support/etcd-tools.ts`, which adds the CI policy for a
 * missing tool) and by `bench/kv.ts`.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';

export type ToolName = 'etcdctl' | 'etcd' | 'kubectl';

/** Where each tool comes from, for the message that says it is missing. */
const TOOL_PACKAGES: Record<ToolName, string> = { etcdctl: 'etcd-client', etcd: 'etcd-server', kubectl: 'kubernetes-client' };

/** Where `.ci/kubectl-setup.sh` unpacks kubectl 1.20, relative to the repository root (the tests' working directory). */
export const KUBECTL_RELATIVE_PATH = '.tools/kubernetes-client/usr/bin/kubectl';
/** Overrides `KUBECTL_RELATIVE_PATH` with the absolute path of a kubectl 1.20. */
export const KUBECTL_ENV = 'BALSA_KUBECTL';

function kubectlCandidate(): string {
  const given = process.env[KUBECTL_ENV];
  return given !== undefined && given !== '' ? resolve(given) : resolve(process.cwd(), KUBECTL_RELATIVE_PATH);
}

/** Searched after `PATH`: where Debian (and a manual install) put the binaries. */
const FALLBACK_DIRECTORIES = ['/usr/bin', '/usr/local/bin'];

/** A single etcdctl command is killed after this long (its own timeouts are 2 s dial, 5 s command). */
export const ETCDCTL_TIMEOUT_MS = 20_000;
/** A background etcdctl that ignores SIGTERM this long gets SIGKILL. */
const ETCDCTL_STOP_GRACE_MS = 3_000;

/** True in CI, where a missing tool is a failure rather than a reason to skip. */
export function isCi(): boolean {
  const value = process.env.CI;
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}

/** The absolute path of an executable `name` on `PATH` or in /usr/bin, /usr/local/bin; undefined if none. */
export function locateTool(name: ToolName, searchPath: string | undefined = process.env.PATH): string | undefined {
  if (name === 'kubectl') return isExecutable(kubectlCandidate()) ? kubectlCandidate() : undefined;
  const directories = [...(searchPath ?? '').split(delimiter).filter((d) => d !== ''), ...FALLBACK_DIRECTORIES];
  for (const directory of directories) {
    const candidate = join(directory, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** Whether `path` is a file this process may execute. */
export function isExecutable(path: string): boolean {
  try {
    accessSync(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Why a tool is missing, in words a developer can act on. */
export function missingToolReason(name: ToolName): string {
  if (name === 'kubectl') {
    return `kubectl 1.20 not found at ${kubectlCandidate()} (run .ci/kubectl-setup.sh, which unpacks Debian's kubernetes-client there, or set ${KUBECTL_ENV})`;
  }
  return `${name} not found on PATH or in ${FALLBACK_DIRECTORIES.join(', ')} (install Debian's ${TOOL_PACKAGES[name]}: apt-get install ${TOOL_PACKAGES[name]})`;
}

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
  return runProgram(etcdctl, etcdctlArguments(args, options.endpoints), { env: cleanEtcdEnvironment(options.env), input: options.input, timeoutMs: options.timeoutMs ?? ETCDCTL_TIMEOUT_MS });
}

export interface ProgramOptions {
  /** The whole environment of the program. */
  readonly env: NodeJS.ProcessEnv;
  /** Written to standard input, which is then closed. */
  readonly input?: string;
  /** Killed (SIGKILL) after this long. */
  readonly timeoutMs: number;
}

/** Run `program args` to completion (or its timeout) and collect what it printed. The child is tracked (see `trackChild`). */
export function runProgram(program: string, args: readonly string[], options: ProgramOptions): Promise<EtcdctlResult> {
  const child = spawn(program, args, { env: options.env, stdio: ['pipe', 'pipe', 'pipe'] });
  trackChild(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin!.on('error', () => undefined); // the program may exit before reading its input
  child.stdin!.end(options.input ?? '');
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, options.timeoutMs);
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
    trackChild(child);
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
      const timer = setTimeout(() => this.child.kill('SIGKILL'), ETCDCTL_STOP_GRACE_MS);
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
// Never leave a process behind

const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Remember `child` until it exits; whatever is left when this process exits is killed (SIGKILL). */
export function trackChild(child: ChildProcess): void {
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
  child.once('error', () => liveChildren.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', killTrackedChildren);
  }
}

/** SIGKILL every tracked child still running. */
export function killTrackedChildren(): void {
  for (const live of liveChildren) live.kill('SIGKILL');
}

/** SIGTERM every tracked child still running, then SIGKILL those still there after `graceMs`. */
export async function stopTrackedChildren(graceMs: number): Promise<void> {
  const children = [...liveChildren];
  const exits = children.map((child) => new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve()))));
  for (const child of children) child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
  await Promise.race([Promise.all(exits), graceOver]);
  clearTimeout(timer);
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await Promise.all(exits);
}
