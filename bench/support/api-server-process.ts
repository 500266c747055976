/**
 * The API server as its own process (`balsa apiserver --kv-endpoints ...`, the compiled
 * CLI), so that a benchmark's load generator and the component under test do not share its
 * event loop: on a small machine each then gets whatever core is free. Started on free
 * loopback ports; `stop()` sends SIGTERM, then SIGKILL after a grace period. The process is
 * also killed when this one exits, whatever happens.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { trackChild } from '../../kv/testing/etcd-tools.js';
import { defaultBalsaCli } from '../../kv/testing/kv-process-cluster.js';
import { freePort } from '../../raft/testing/process-cluster.js';

const START_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 5_000;
const READY_POLL_MS = 100;

export interface ApiServerProcess {
  readonly pid: number;
  /** `http://127.0.0.1:port`. */
  readonly url: string;
  /** `127.0.0.1:port` of the gRPC front-end. */
  readonly grpcAddress: string;
  /** What it printed (stdout and stderr). */
  output(): string;
  stop(): Promise<void>;
}

/** `nodeArgs`: flags for node itself, before the CLI (say `--cpu-prof`). */
export async function startApiServerProcess(kvEndpoints: readonly string[], nodeArgs: readonly string[] = []): Promise<ApiServerProcess> {
  const httpPort = await freePort();
  const grpcPort = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [...nodeArgs, defaultBalsaCli(), 'apiserver', '--kv-endpoints', kvEndpoints.join(','), '--api-port', String(httpPort), '--api-grpc-port', String(grpcPort)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  trackChild(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${httpPort}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(killer);
  };
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`balsa apiserver exited before it was ready:\n${output}`);
    const ready = await fetch(`${url}/readyz`).then((response) => response.ok, () => false);
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`balsa apiserver was not ready within ${START_TIMEOUT_MS} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
  }
  return { pid: child.pid!, url, grpcAddress: `127.0.0.1:${grpcPort}`, output: () => output, stop };
}
