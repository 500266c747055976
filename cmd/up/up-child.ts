/**
 * One process of `balsa up` (a `balsa server` or a `balsa agent`): started in its own
 * process group (so a Ctrl-C in the terminal reaches `up` alone, which then stops the
 * agents before the servers), writing its output to its log file itself, which `up`
 * follows line by line (`log-tail.ts`), its stdin a pipe whose end tells it that `up` is
 * gone (`parent-watch.ts`).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, fstatSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { UP_CHILD_ENV } from './constants.js';
import { LogTail } from './log-tail.js';
import { descendants, killAll } from './process-tree.js';

export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface UpChildOptions {
  /** How `up` names it in its lines (`server m1`, `agent node-1`). */
  readonly label: string;
  /** The compiled `balsa` entry point. */
  readonly balsaCli: string;
  readonly args: readonly string[];
  /** Its stdout and stderr, appended. */
  readonly logFile: string;
  /** Its working directory (where the process runtime runs containers without `workingDir`). */
  readonly cwd: string;
  /** Each line it prints (stdout or stderr). */
  readonly onLine: (line: string) => void;
}

export class UpChild {
  readonly label: string;
  readonly logFile: string;
  readonly exited: Promise<ChildExit>;
  private readonly child: ChildProcess;
  private readonly tail: LogTail;
  private stopRequested = false;

  private constructor(options: UpChildOptions) {
    this.label = options.label;
    this.logFile = options.logFile;
    mkdirSync(dirname(options.logFile), { recursive: true });
    const log = openSync(options.logFile, 'a');
    let from: number;
    try {
      writeSync(log, `--- ${new Date().toISOString()} balsa up: balsa ${options.args.join(' ')}\n`);
      from = fstatSync(log).size;
      this.child = spawn(process.execPath, [options.balsaCli, ...options.args], {
        cwd: options.cwd,
        // `node` first on the PATH: the demo's containers run `node` by name.
        env: { ...process.env, [UP_CHILD_ENV]: '1', PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` },
        stdio: ['pipe', log, log],
        detached: true,
      });
    } finally {
      closeSync(log); // the child has its own copy
    }
    this.tail = new LogTail(options.logFile, from, options.onLine);
    const exit = new Promise<ChildExit>((resolve) => {
      this.child.once('exit', (code, signal) => resolve({ code, signal }));
      // A child that could not be spawned at all: no exit event follows.
      this.child.once('error', (error) => {
        options.onLine(`cannot start: ${error.message}`);
        resolve({ code: null, signal: null });
      });
    });
    // Its last lines are read before its exit is told.
    this.exited = exit.then(async (result) => {
      await this.tail.close();
      return result;
    });
    this.child.stdin!.on('error', () => {}); // it may be gone before we close our end
  }

  static start(options: UpChildOptions): UpChild {
    return new UpChild(options);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Whether `stop` was called: an exit is then expected, not a failure. */
  get stopping(): boolean {
    return this.stopRequested;
  }

  /**
   * SIGTERM, then, after `graceMs`, SIGKILL to it and to every process under it (a pod's
   * processes would outlive an agent killed alone). Resolves with how it exited.
   */
  async stop(graceMs: number): Promise<ChildExit> {
    this.stopRequested = true;
    if (this.running) this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        if (this.running && this.child.pid !== undefined) killAll([...descendants(this.child.pid).reverse(), this.child.pid]);
        resolve();
      }, graceMs);
    });
    await Promise.race([this.exited, killed]);
    clearTimeout(timer);
    const exit = await this.exited;
    this.child.stdin!.destroy();
    return exit;
  }

  /** Kills it and everything under it at once (`up` is failing and cannot wait). */
  kill(): void {
    this.stopRequested = true;
    if (this.running && this.child.pid !== undefined) killAll([...descendants(this.child.pid).reverse(), this.child.pid]);
  }
}
