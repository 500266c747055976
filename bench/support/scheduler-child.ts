/**
 * The parent's side of `scheduler-process.ts`: forks the scheduler's process, waits for it to
 * be ready, asks for its counters and stops it, each message a promise with a deadline. The
 * process is killed when this one exits, whatever happens.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { trackChild } from '../../kv/testing/etcd-tools.js';
import type { SchedulerProcessMessage, SchedulerProcessStats } from './scheduler-process.js';

/** Its start includes listing every node and pod through the API server. */
const READY_TIMEOUT_MS = 60_000;
const STATS_TIMEOUT_MS = 10_000;
/** A stop waits for the bindings in flight (each bounded by the API client's deadline). */
const STOP_TIMEOUT_MS = 30_000;

export interface SchedulerChildOptions {
  readonly bindConcurrency: number;
  /** Write a `Scheduled` event per pod. */
  readonly events: boolean;
  /** Write a V8 CPU profile there on exit. */
  readonly cpuProfDir: string | null;
}

/** The scheduler's process, and its messages as promises. */
export class SchedulerChild {
  private readonly listeners = new Set<(message: SchedulerProcessMessage) => void>();
  private readonly exited: Promise<void>;

  private constructor(readonly child: ChildProcess) {
    child.on('message', (message: SchedulerProcessMessage) => {
      for (const listener of [...this.listeners]) listener(message);
    });
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  static async start(apiGrpcAddress: string, options: SchedulerChildOptions): Promise<{ child: SchedulerChild; ready: { nodes: number; pods: number } }> {
    const script = join(dirname(fileURLToPath(import.meta.url)), 'scheduler-process.js');
    const args = ['--api', apiGrpcAddress, '--bind-concurrency', String(options.bindConcurrency), ...(options.events ? ['--events'] : [])];
    const execArgv = options.cpuProfDir === null ? [] : ['--cpu-prof', '--cpu-prof-dir', options.cpuProfDir];
    const child = new SchedulerChild(fork(script, args, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv }));
    trackChild(child.child);
    let ready: { nodes: number; pods: number };
    try {
      ready = await child.next('ready', READY_TIMEOUT_MS);
    } catch (error) {
      child.child.kill('SIGKILL');
      throw error;
    }
    return { child, ready: { nodes: ready.nodes, pods: ready.pods } };
  }

  get pid(): number {
    return this.child.pid!;
  }

  async stats(): Promise<SchedulerProcessStats> {
    const answer = this.next('stats', STATS_TIMEOUT_MS);
    this.child.send({ type: 'stats' });
    return (await answer).stats;
  }

  /** Stops the scheduler; its last counters, or null if it had to be killed. */
  async stop(): Promise<SchedulerProcessStats | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return null;
    const answer = this.next('stopped', STOP_TIMEOUT_MS).then((message) => message.stats, () => null);
    this.child.send({ type: 'stop' });
    const stats = await answer;
    if (stats === null) this.child.kill('SIGKILL');
    await this.exited;
    return stats;
  }

  private next<T extends SchedulerProcessMessage['type']>(type: T, timeoutMs: number): Promise<Extract<SchedulerProcessMessage, { type: T }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`the scheduler process sent no ${type} within ${timeoutMs} ms`));
      }, timeoutMs);
      const listener = (message: SchedulerProcessMessage): void => {
        if (message.type !== type) return;
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve(message as Extract<SchedulerProcessMessage, { type: T }>);
      };
      this.listeners.add(listener);
      void this.exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`the scheduler process exited before sending ${type}`));
      });
    });
  }
}
