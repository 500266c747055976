/**
 * `balsa up` as a process for the tests: the built CLI started with a temporary data folder
 * and CLI config, its output collected, lines waited for, its process tree read (to check
 * that nothing outlives it), and its end awaited.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import net from 'node:net';
import { trackChild } from '../../kv/testing/etcd-tools.js';
import { defaultBalsaCli } from '../../kv/testing/kv-process-cluster.js';
import { descendants, killAll } from '../../cmd/up/process-tree.js';

/** A cluster's start on a busy machine: generous. */
export const UP_START_TIMEOUT_MS = 240_000;

export interface UpExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export class UpProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<UpExit>;
  private text = '';
  private waiters: (() => void)[] = [];

  constructor(args: readonly string[], env: NodeJS.ProcessEnv) {
    this.child = spawn(process.execPath, [defaultBalsaCli(), 'up', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    trackChild(this.child);
    const collect = (chunk: Buffer): void => {
      this.text += chunk.toString();
      for (const wake of this.waiters.splice(0)) wake();
    };
    this.child.stdout!.on('data', collect);
    this.child.stderr!.on('data', collect);
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
    void this.exited.then(() => {
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  /** Everything it printed so far, stdout and stderr. */
  output(): string {
    return this.text;
  }

  /** Until its output matches `pattern` (the match); fails with the output if it exits first or after `timeoutMs`. */
  async waitForOutput(pattern: RegExp, timeoutMs = UP_START_TIMEOUT_MS): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(this.text);
      if (match !== null) return match;
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`balsa up exited before printing ${pattern}:\n${this.text}`);
      if (Date.now() > deadline) throw new Error(`balsa up did not print ${pattern} within ${timeoutMs} ms:\n${this.text}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1_000);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Every process under it now (its servers, agents, and their pods' processes). */
  processTree(): number[] {
    return this.child.pid === undefined ? [] : descendants(this.child.pid);
  }

  /** Sends `signal` and waits for the exit. */
  async stop(signal: NodeJS.Signals = 'SIGINT'): Promise<UpExit> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }

  /** For afterAll: whatever is left, killed (its tree first). */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    killAll(this.processTree());
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

/** The pids among `pids` still alive. */
export function alive(pids: readonly number[]): number[] {
  return pids.filter((pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  });
}

/** Whether `host:port` can be listened on now. */
export function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Where Linux's default ephemeral port range (`ip_local_port_range`) begins. */
const EPHEMERAL_PORTS_FIRST = 32_768;

/** The first of `count` consecutive ports free on 127.0.0.1 (and not in `avoid`), from random starts. */
export async function freePortRange(count: number, avoid: readonly number[] = []): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    // Below Linux's ephemeral range (32768 on): the ports that outgoing connections and
    // listeners on port 0 get, which could take one of ours before balsa up binds it.
    const first = 20_000 + Math.floor(Math.random() * (EPHEMERAL_PORTS_FIRST - 20_000 - count));
    const ports = Array.from({ length: count }, (_, i) => first + i);
    if (ports.some((port) => avoid.includes(port))) continue;
    if ((await Promise.all(ports.map((port) => portFree('127.0.0.1', port)))).every(Boolean)) return first;
  }
  throw new Error(`no ${count} consecutive free ports found`);
}
