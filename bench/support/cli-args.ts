/**
 * The command-line pieces every benchmark shares: numbers and lists of numbers checked
 * against a minimum, refused with a `UsageError` that names the flag (the benchmark then
 * prints its usage and exits 2).
 */

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
