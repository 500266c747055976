/**
 * Running a command in a `process` container's context (exec probes, preStop hooks): the
 * container's environment and working directory, paths under its mounts translated, in
 * its cgroup when it has one. The command gets its own process group so that a timeout
 * kills it together with whatever it started.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import type { ExecResult } from '../container-runtime.js';
import { EXEC_DRAIN_MS, EXEC_OUTPUT_MAX_BYTES, EXEC_TIMEOUT_EXIT_CODE, EXIT_NOT_EXECUTABLE, EXIT_NOT_FOUND } from './constants.js';
import { resolveExecutable } from './resolve-executable.js';

export interface ExecContext {
  readonly env: ReadonlyMap<string, string>;
  readonly cwd: string;
  /** The container's `cgroup.procs`, to put the command in the container's cgroup. */
  readonly cgroupProcsFile?: string;
}

/** Keeps the first `EXEC_OUTPUT_MAX_BYTES` of what it is given. */
class CappedOutput {
  private readonly chunks: Buffer[] = [];
  private bytes = 0;

  add(chunk: Buffer): void {
    const room = EXEC_OUTPUT_MAX_BYTES - this.bytes;
    if (room <= 0) return;
    const kept = chunk.length <= room ? chunk : chunk.subarray(0, room);
    this.chunks.push(kept);
    this.bytes += kept.length;
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/**
 * Runs `argv` (already translated) and resolves with its exit code and output; never
 * rejects. A command that cannot be executed resolves as a shell reports it (127 not
 * found, 126 not executable, with the reason as output), so that a probe fails with it.
 * A signal that ends the command gives 128 + n.
 */
export async function execInContainer(argv: readonly string[], context: ExecContext, timeoutMs: number): Promise<ExecResult> {
  const executable = argv[0] ?? '';
  const resolution = await resolveExecutable(executable, context.env.get('PATH'), context.cwd);
  if (!resolution.ok) {
    const exitCode = resolution.why.endsWith('permission denied') || resolution.why.endsWith('is a directory') ? EXIT_NOT_EXECUTABLE : EXIT_NOT_FOUND;
    return { exitCode, output: `${resolution.why}\n`, timedOut: false };
  }
  return new Promise<ExecResult>((resolve) => {
    const output = new CappedOutput();
    const child = spawn(executable, argv.slice(1), {
      cwd: context.cwd,
      env: Object.fromEntries(context.env),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let timedOut = false;
    let settled = false;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    const killGroup = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    const finish = (result: ExecResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(drain);
      child.stdout?.destroy();
      child.stderr?.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, timeoutMs);
    let drain: NodeJS.Timeout | undefined;
    child.stdout?.on('data', (chunk: Buffer) => output.add(chunk));
    child.stderr?.on('data', (chunk: Buffer) => output.add(chunk));
    child.on('error', (error) => finish({ exitCode: EXIT_NOT_FOUND, output: `${error.message}\n`, timedOut: false }));
    child.on('spawn', () => {
      if (context.cgroupProcsFile !== undefined && child.pid !== undefined) {
        writeFile(context.cgroupProcsFile, String(child.pid)).catch(() => undefined);
      }
    });
    const settle = (): void => {
      if (exit === undefined) return;
      if (timedOut) return finish({ exitCode: EXEC_TIMEOUT_EXIT_CODE, output: output.text(), timedOut: true });
      const signalNumber = exit.signal === null ? undefined : signalCode(exit.signal);
      finish({ exitCode: exit.code ?? 128 + (signalNumber ?? 0), output: output.text(), timedOut: false });
    };
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      // Output still in the pipes comes before 'close'; a grandchild holding them open does not hold the result.
      drain = setTimeout(settle, EXEC_DRAIN_MS);
    });
    child.on('close', settle);
  });
}

/** The number of a signal by name (`SIGKILL` → 9). */
export function signalCode(signal: NodeJS.Signals): number {
  return osSignals[signal] ?? 0;
}

const osSignals: Partial<Record<NodeJS.Signals, number>> = osConstants.signals;
