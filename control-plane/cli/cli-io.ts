/**
 * Where the client commands read and write. Commands never touch `process` directly, so
 * that tests run them in-process with captured output, their own environment and a fixed
 * clock.
 */
import { homedir } from 'node:os';

export interface CliIo {
  /** Normal output (tables, objects, `pod "web" deleted`). Text is written as given: callers end lines. */
  readonly stdout: (text: string) => void;
  /** Errors, warnings and `No resources found …`. */
  readonly stderr: (text: string) => void;
  /** The whole of standard input, for `apply -f -`. */
  readonly readStdin: () => Promise<string>;
  /** The environment (`BALSA_SERVER`, `BALSA_CONFIG`). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The user's home directory, where `~/.balsa/config.json` lives. */
  readonly homeDirectory: string;
  /** The current time, for AGE columns. */
  readonly now: () => Date;
  /** When aborted, long-running commands (`get -w`, `delete --wait`) stop and return. */
  readonly signal?: AbortSignal;
  /**
   * stdout is a terminal: progress (`deploy`, `promote`) may be rewritten in place with a
   * carriage return. Absent or false: plain lines only, as logs and build pipelines want them.
   */
  readonly interactive?: boolean;
  /** The terminal's width in characters when known, so that a line rewritten in place never wraps. */
  readonly columns?: number;
}

async function readAllStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}

/** The real process: its streams, environment and clock. */
export const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  readStdin: readAllStdin,
  env: process.env,
  homeDirectory: homedir(),
  now: () => new Date(),
  interactive: process.stdout.isTTY === true,
  ...(process.stdout.isTTY === true && process.stdout.columns > 0 ? { columns: process.stdout.columns } : {}),
};
