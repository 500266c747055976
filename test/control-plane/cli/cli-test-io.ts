/** A `CliIo` that captures output, for running client commands in-process. */
import type { CliIo } from '../../../control-plane/cli/cli-io.js';
import { runClientCommand } from '../../../control-plane/cli/client-commands.js';

export interface CapturedIo {
  readonly io: CliIo;
  /** Everything written to stdout so far. */
  stdout(): string;
  stderr(): string;
}

export interface CaptureOptions {
  readonly env?: Record<string, string | undefined>;
  readonly stdin?: string;
  /** Fixed clock (default 2026-12-02T02:47:50Z, an hour after the fake server's creation time). */
  readonly now?: Date;
  readonly signal?: AbortSignal;
  readonly homeDirectory?: string;
}

export const TEST_NOW = new Date('2026-12-02T02:47:50Z');

export function captureIo(options: CaptureOptions = {}): CapturedIo {
  let out = '';
  let err = '';
  const io: CliIo = {
    stdout: (text) => {
      out += text;
    },
    stderr: (text) => {
      err += text;
    },
    readStdin: async () => options.stdin ?? '',
    env: options.env ?? {},
    homeDirectory: options.homeDirectory ?? '/nonexistent-home',
    now: () => options.now ?? TEST_NOW,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  };
  return { io, stdout: () => out, stderr: () => err };
}

/** What one in-process run of a client command produced. */
export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `balsa ARGS…` in-process against `server` (through BALSA_SERVER). */
export async function runBalsa(server: { url: string }, args: string[], options: CaptureOptions = {}): Promise<RunResult> {
  const captured = captureIo({ ...options, env: { BALSA_SERVER: server.url, ...(options.env ?? {}) } });
  const code = await runClientCommand(args, captured.io);
  return { code, stdout: captured.stdout(), stderr: captured.stderr() };
}
