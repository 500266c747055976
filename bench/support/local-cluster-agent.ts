/**
 * A node agent as its own process, as people run it: `balsa agent --server ADDR --name NODE
 * --node-ip IP --port 0 --data-dir DIR` (the compiled CLI, the process runtime), started and
 * considered up once it prints that its Node is `registered`. `stop()` sends SIGTERM, on
 * which the agent stops every pod's containers gracefully and exits; SIGKILL follows after
 * STOP_GRACE_MS. The process is also killed when this one exits (its pods then outlive it:
 * the caller removes them, see `appProcessIds`).
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { trackChild } from '../../kv/testing/etcd-tools.js';
import { defaultBalsaCli } from '../../kv/testing/kv-process-cluster.js';

/** How long an agent may take to register its Node (it connects, creates the Node and its Lease). */
const START_TIMEOUT_MS = 30_000;
/** How long an agent may take to stop after SIGTERM: its pods' grace periods and the exit. */
const STOP_GRACE_MS = 30_000;
/** How much of an agent's output is kept for error messages (the end of it). */
const OUTPUT_KEPT_CHARS = 16_384;

export interface AgentProcess {
  readonly name: string;
  readonly nodeIp: string;
  readonly pid: number;
  /** The end of what it printed (stdout and stderr). */
  output(): string;
  /** SIGTERM, then SIGKILL after STOP_GRACE_MS; how it exited. */
  stop(): Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>;
}

export interface AgentSpec {
  readonly name: string;
  readonly nodeIp: string;
  readonly dataDir: string;
  /** The API server's gRPC `host:port`. */
  readonly server: string;
}

export async function startAgentProcess(spec: AgentSpec): Promise<AgentProcess> {
  const args = [defaultBalsaCli(), 'agent', '--server', spec.server, '--name', spec.name, '--node-ip', spec.nodeIp, '--port', '0', '--data-dir', spec.dataDir];
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  trackChild(child);
  let output = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const stop = async (): Promise<{ code: number | null; signal: NodeJS.Signals | null }> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    const result = await exited;
    clearTimeout(killer);
    return result;
  };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`agent ${spec.name} did not register within ${START_TIMEOUT_MS} ms:\n${output}`));
    }, START_TIMEOUT_MS);
    const onData = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-OUTPUT_KEPT_CHARS);
      if (/registered/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`agent ${spec.name} exited (${code ?? signal}) before it registered:\n${output}`));
    });
  });
  return { name: spec.name, nodeIp: spec.nodeIp, pid: child.pid!, output: () => output, stop };
}

/**
 * The process ids of the app processes started as `<node> <app>` (the app itself, not the
 * process runtime's shell around it). `app` is a path of this run's own, so that no other
 * run's processes match.
 */
export function appProcessIds(app: string): number[] {
  const pattern = `^${escapeRegExp(process.execPath)} ${escapeRegExp(app)}$`;
  try {
    return execFileSync('pgrep', ['-f', pattern], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
