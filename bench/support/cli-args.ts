/**
 * The command-line pieces every benchmark shares: the flags of every run (`--duration-s`,
 * `--warmup-s`, `--quick`, `--results-dir`, `--help`), and numbers and lists checked
 * against a minimum, refused with a `UsageError` that names the flag (the benchmark then
 * prints its usage and exits 2).
 */
import { defaultResultsDir } from './results-file.js';

export class UsageError extends Error {}

/** `text` as a number ≥ `min`, or `fallback` when the flag is absent. */
export function numberFlag(name: string, text: string | undefined, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < min) throw new UsageError(`--${name} must be a number ≥ ${min}, got ${text}`);
  return value;
}

/** `text` as an integer ≥ `min`, or `fallback` when the flag is absent. */
export function integerFlag(name: string, text: string | undefined, fallback: number, min: number): number {
  const value = numberFlag(name, text, fallback, min);
  if (!Number.isSafeInteger(value)) throw new UsageError(`--${name} must be an integer, got ${text}`);
  return value;
}

/** A comma-separated list of integers ≥ `min` (`1,16,256`), in the order given, without repeats. */
export function integerListFlag(name: string, text: string | undefined, fallback: readonly number[], min: number): number[] {
  if (text === undefined) return [...fallback];
  const values = text.split(',').map((part) => integerFlag(name, part.trim(), 0, min));
  return [...new Set(values)];
}

/** A comma-separated list of words from `allowed`, in the order given, without repeats; `none` is the empty list. */
export function choiceListFlag<T extends string>(name: string, text: string | undefined, fallback: readonly T[], allowed: readonly T[]): T[] {
  if (text === undefined) return [...fallback];
  if (text.trim() === 'none') return [];
  const values = text.split(',').map((part) => part.trim());
  for (const value of values) {
    if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`--${name} takes ${allowed.join(', ')} (comma-separated) or none, got ${value}`);
  }
  return [...new Set(values as T[])];
}

/**
 * `parse(argv)`, or null once a bad command line (a `UsageError`, or `parseArgs`'s
 * `TypeError` for an unknown flag) has been explained on stderr with `usage`: the
 * benchmark then exits 2. `--help` is a `UsageError` without a message: the usage alone.
 */
export function parseOrExplain<T>(argv: readonly string[], parse: (argv: readonly string[]) => T, usage: string): T | null {
  try {
    return parse(argv);
  } catch (error) {
    if (!(error instanceof UsageError) && !(error instanceof TypeError)) throw error;
    if (error.message !== '') console.error(error.message);
    console.error(usage);
    return null;
  }
}

/** `parseArgs` options of the flags every benchmark takes; spread them into its own. */
export const COMMON_FLAGS = {
  'duration-s': { type: 'string' },
  'warmup-s': { type: 'string' },
  quick: { type: 'boolean' },
  'results-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** What the common flags say: the window of each cell and where results go. */
export interface CommonSettings {
  /** `--quick`: a short run for smoke tests and trying a change. */
  readonly quick: boolean;
  /** Measured window per cell: `--duration-s` (default 5 s, 1 s with `--quick`). */
  readonly durationMs: number;
  /** Warm-up per cell: `--warmup-s` (default 1 s, 0.25 s with `--quick`). */
  readonly warmupMs: number;
  readonly resultsDir: string;
}

/** The common flags' values (throws the `--help` `UsageError`). */
export function commonSettings(values: { 'duration-s'?: string; 'warmup-s'?: string; quick?: boolean; 'results-dir'?: string; help?: boolean }): CommonSettings {
  if (values.help) throw new UsageError('');
  const quick = values.quick ?? false;
  return {
    quick,
    durationMs: numberFlag('duration-s', values['duration-s'], quick ? 1 : 5, 0.1) * 1000,
    warmupMs: numberFlag('warmup-s', values['warmup-s'], quick ? 0.25 : 1, 0) * 1000,
    resultsDir: values['results-dir'] ?? defaultResultsDir(),
  };
}
