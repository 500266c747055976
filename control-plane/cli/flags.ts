/**
 * Flag parsing for the client commands, on Node's `util.parseArgs`, with the two habits of
 * kubectl's flags that parseArgs lacks: boolean flags written `--wait=false`, and Go
 * durations (`--timeout 1m30s`).
 */
import { parseArgs } from 'node:util';

import { CliUsageError } from './errors.js';

export interface FlagSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly multiple?: boolean;
}

export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

/** Flags every client command takes. */
export const COMMON_FLAGS = {
  server: { type: 'string', short: 's' },
  namespace: { type: 'string', short: 'n' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies FlagSpecs;

/** The help lines of `COMMON_FLAGS`. */
export const COMMON_FLAGS_HELP = [
  '  -n, --namespace NS   the namespace (default "default")',
  '  -s, --server URL     the API server (else $BALSA_SERVER, else ~/.balsa/config.json)',
  '  -h, --help           this help',
].join('\n');

export type FlagValues = Record<string, string | boolean | string[] | boolean[] | undefined>;

export interface ParsedFlags {
  readonly values: FlagValues;
  readonly positionals: string[];
}

/** Go's `strconv.ParseBool`, which kubectl's boolean flags accept after `=`. */
export function parseBoolean(text: string, flag: string, command: string): boolean {
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(text)) return false;
  throw new CliUsageError(`invalid argument ${JSON.stringify(text)} for "--${flag}" flag: expected true or false`, command);
}

/**
 * Parses `argv` (the command's arguments, without its name) against `specs`. Unknown flags,
 * missing values and bad booleans are `CliUsageError`s naming `command`.
 */
export function parseFlags(argv: readonly string[], specs: FlagSpecs, command: string): ParsedFlags {
  // parseArgs refuses `--flag=value` for a boolean; take those out first and apply them after.
  const explicitBooleans = new Map<string, boolean>();
  const rest: string[] = [];
  let afterTerminator = false;
  for (const token of argv) {
    const match = afterTerminator ? null : /^--([^=]+)=(.*)$/s.exec(token);
    if (token === '--') afterTerminator = true;
    if (match !== null && specs[match[1]!]?.type === 'boolean') {
      explicitBooleans.set(match[1]!, parseBoolean(match[2]!, match[1]!, command));
      continue;
    }
    rest.push(token);
  }
  let parsed: { values: FlagValues; positionals: string[] };
  try {
    parsed = parseArgs({ args: rest, options: specs as never, strict: true, allowPositionals: true }) as typeof parsed;
  } catch (error) {
    // parseArgs adds advice about '--' that does not apply to flags typed by mistake.
    const unknown = /^Unknown option '([^']+)'/.exec((error as Error).message);
    throw new CliUsageError(unknown === null ? (error as Error).message : `unknown flag: ${unknown[1]}`, command);
  }
  for (const [name, value] of explicitBooleans) parsed.values[name] = value;
  return parsed;
}

/** A string flag's value (the last one when repeated). */
export function stringFlag(values: FlagValues, name: string): string | undefined {
  const value = values[name];
  if (Array.isArray(value)) return value.length === 0 ? undefined : String(value[value.length - 1]);
  return typeof value === 'string' ? value : undefined;
}

/** A repeatable string flag's values, in order. */
export function stringsFlag(values: FlagValues, name: string): string[] {
  const value = values[name];
  if (Array.isArray(value)) return value.map(String);
  return typeof value === 'string' ? [value] : [];
}

/** A boolean flag's value, `fallback` when absent. */
export function booleanFlag(values: FlagValues, name: string, fallback = false): boolean {
  const value = values[name];
  return typeof value === 'boolean' ? value : fallback;
}

/** An integer flag (`--grace-period 30`), `undefined` when absent. */
export function integerFlag(values: FlagValues, name: string, command: string): number | undefined {
  const text = stringFlag(values, name);
  if (text === undefined) return undefined;
  if (!/^-?\d+$/.test(text)) throw new CliUsageError(`invalid argument ${JSON.stringify(text)} for "--${name}" flag: expected an integer`, command);
  return Number(text);
}

const DURATION_UNITS_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * A Go duration (`60s`, `1m30s`, `500ms`, `0`) in milliseconds, as kubectl's `--timeout`
 * takes it; `undefined` when `text` is not one. A bare number other than 0 is refused, as Go does.
 */
export function parseGoDurationMs(text: string): number | undefined {
  if (text === '0') return 0;
  const pattern = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    total += Number(match[1]) * DURATION_UNITS_MS[match[2]!]!;
    consumed = pattern.lastIndex;
  }
  if (consumed === 0 || consumed !== text.length) return undefined;
  return total;
}
