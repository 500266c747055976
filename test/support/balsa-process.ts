/**
 * The built `balsa` CLI as a process, for tests that use it as people and scripts do:
 * `startBalsa` for a server (waits for a line of its output that says it is up; `stop()`
 * sends SIGTERM and reports how it exited), `runBalsa` for a command that runs and exits.
 * Every process is tracked and killed when the test process exits, whatever happens.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { trackChild } from '../../kv/testing/etcd-tools.js';
import { defaultBalsaCli } from '../../kv/testing/kv-process-cluster.js';

const START_TIMEOUT_MS = 20_000;
const RUN_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

export interface BalsaRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface BalsaServerProcess {
  readonly child: ChildProcess;
  /** Everything it printed so far (stdout and stderr, interleaved). */
  output(): string;
  /** SIGTERM (or `signal`), then waits for the exit; SIGKILL after STOP_TIMEOUT_MS. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `balsa ...args` and resolves once a line of its output matches `ready`. */
export async function startBalsa(args: readonly string[], ready: RegExp, env: NodeJS.ProcessEnv = {}): Promise<BalsaServerProcess> {
  const child = spawn(process.execPath, [defaultBalsaCli(), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  trackChild(child);
  let output = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`balsa ${args.join(' ')} did not print ${ready} within ${START_TIMEOUT_MS} ms:\n${output}`)), START_TIMEOUT_MS);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (ready.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`balsa ${args.join(' ')} exited (${code ?? signal}) before it was ready:\n${output}`));
    });
  });
  return {
    child,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}

/** Runs `balsa ...args` to its end (stdin from `input`), with `env` added to this process's. */
export function runBalsa(args: readonly string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<BalsaRun> {
  const child = spawn(process.execPath, [defaultBalsaCli(), ...args], { env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
  trackChild(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(options.input ?? '');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`balsa ${args.join(' ')} did not finish within ${RUN_TIMEOUT_MS} ms:\n${stdout}\n${stderr}`));
    }, RUN_TIMEOUT_MS);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
