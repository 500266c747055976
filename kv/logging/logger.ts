/**
 * Balsa's structured logs (pino), for every process above the Raft library: one JSON
 * object per line on stderr (`level`, `time`, `component`, the object's fields such as
 * `member`, `namespace`, `pod`, `node`, and `msg`), or pino-pretty's readable lines when
 * stderr is a terminal. stdout stays for what commands print for people and scripts (a
 * server's "serving on ..." line, `balsa get`'s tables); those are not logs.
 *
 * Levels as etcd's and Kubernetes' `--log-level`: debug, info (the default), warn, error.
 * The layers below keep `log: (line, fields?) => void` callbacks; `lineLogger` makes one
 * from a logger, so that a library never needs pino to be used.
 */
import { pino } from 'pino';
import type { Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger } from 'pino';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const DEFAULT_LOG_LEVEL: LogLevel = 'info';

/** Fields a log line may carry besides its message (`namespace`, `pod`, `node`, `member`, ...). */
export type LogFields = Readonly<Record<string, string | number | boolean>>;

/** A layer's log callback: a line, and the objects it is about. */
export type LogLine = (line: string, fields?: LogFields) => void;

/** `text` as a level, or null if it names none (the caller answers with its usage). */
export function parseLogLevel(text: string): LogLevel | null {
  return LOG_LEVELS.find((level) => level === text) ?? null;
}

export interface LoggerOptions {
  readonly level: LogLevel;
  /** Fields on every line of this process (`member`, `node`). */
  readonly base?: LogFields;
  /** Readable lines instead of JSON (default: whether stderr is a terminal). */
  readonly pretty?: boolean;
  /** Where the JSON lines go instead of stderr (each call one line, with its newline); for callers that collect them. */
  readonly destination?: { write(line: string): void };
}

/** The process's root logger, writing synchronously to stderr (a line is out before a crash or an exit). */
export function createLogger(options: LoggerOptions): Logger {
  const human = options.destination === undefined && (options.pretty ?? process.stderr.isTTY === true);
  const settings = {
    level: options.level,
    base: { ...options.base },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  if (human) return pino(settings, pretty({ destination: 2, sync: true, colorize: true, ignore: 'pid,hostname' }));
  return pino(settings, options.destination ?? pino.destination({ dest: 2, sync: true }));
}

/** A `LogLine` callback that logs at `level` with `component` (and the call's fields). */
export function lineLogger(logger: Logger, component: string, level: 'info' | 'warn' | 'error' = 'info'): LogLine {
  const child = logger.child({ component });
  return (line, fields) => child[level]({ ...fields }, line);
}
