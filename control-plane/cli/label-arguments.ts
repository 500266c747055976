/**
 * The label updates of `balsa label`: `KEY=VALUE` sets, `KEY-` removes. Keys and values are
 * checked with the API's own label rules (`api/names.ts`) before anything is sent, so that a
 * typo is refused with the rule it breaks rather than half-applied.
 */
import { labelKeyErrors, labelValueErrors } from '../api/names.js';
import { CliError, CliUsageError } from './errors.js';

export interface LabelUpdates {
  /** Labels to set, in the order given. */
  readonly set: ReadonlyMap<string, string>;
  /** Label keys to remove. */
  readonly remove: readonly string[];
}

/** Whether a positional argument of `label` is a label update rather than a resource or a name. */
export function isLabelUpdate(argument: string): boolean {
  return argument.includes('=') || argument.endsWith('-');
}

/**
 * Parses `KEY=VALUE` and `KEY-` arguments. A `CliUsageError` for an argument that is
 * neither, for a key or value breaking Kubernetes' label syntax (with the rule), for two
 * values of one key, and for a key both set and removed.
 */
export function parseLabelUpdates(updates: readonly string[], command = 'label'): LabelUpdates {
  if (updates.length === 0) throw new CliUsageError('at least one label update is required', command);
  const set = new Map<string, string>();
  const remove: string[] = [];
  for (const update of updates) {
    const equals = update.indexOf('=');
    if (equals >= 0) {
      const key = update.slice(0, equals);
      const value = update.slice(equals + 1);
      if (value.includes('=')) throw new CliUsageError(`invalid label spec: ${update}: a label update is KEY=VALUE, with one '='`, command);
      const problems = [
        ...labelKeyErrors(key).map((problem) => `key ${JSON.stringify(key)}: ${problem}`),
        ...labelValueErrors(value).map((problem) => `value ${JSON.stringify(value)}: ${problem}`),
      ];
      if (problems.length > 0) throw new CliUsageError(`invalid label spec: ${update}: ${problems.join('; ')}`, command);
      if (set.has(key) && set.get(key) !== value) {
        throw new CliUsageError(`invalid label spec: ${update}: label ${JSON.stringify(key)} is given two values`, command);
      }
      set.set(key, value);
      continue;
    }
    if (update.endsWith('-')) {
      const key = update.slice(0, -1);
      const problems = labelKeyErrors(key);
      if (problems.length > 0) throw new CliUsageError(`invalid label spec: ${update}: key ${JSON.stringify(key)}: ${problems.join('; ')}`, command);
      if (!remove.includes(key)) remove.push(key);
      continue;
    }
    throw new CliUsageError(`unknown label spec: ${update}: expected KEY=VALUE to set a label or KEY- to remove one`, command);
  }
  const both = remove.filter((key) => set.has(key));
  if (both.length > 0) throw new CliUsageError(`can not both modify and remove a label in the same command (${both.join(', ')})`, command);
  return { set, remove };
}

/** The result of applying updates to an object's labels. */
export interface LabelChange {
  /** The labels after the updates. */
  readonly labels: Record<string, string>;
  /** The merge patch of `metadata.labels` (`null` removes), empty when nothing changes. */
  readonly patch: Record<string, string | null>;
  /** Keys asked to be removed that the object does not have. */
  readonly missing: string[];
}

/**
 * Applies `updates` to `current`. Without `overwrite`, changing an existing label's value is
 * refused (a `CliError`, exit 1: the object, not the command line, is in the way) with
 * kubectl's `'app' already has a value (web), and --overwrite is false`; setting the value
 * it already has is not a change, so it is allowed.
 */
export function applyLabelUpdates(current: Readonly<Record<string, string>>, updates: LabelUpdates, overwrite: boolean): LabelChange {
  if (!overwrite) {
    const clashes = [...updates.set]
      .filter(([key, value]) => current[key] !== undefined && current[key] !== value)
      .map(([key]) => `'${key}' already has a value (${current[key]}), and --overwrite is false`);
    // kubectl reports several errors at once as a bracketed list.
    if (clashes.length === 1) throw new CliError(clashes[0]!);
    if (clashes.length > 1) throw new CliError(`[${clashes.join(', ')}]`);
  }
  const labels: Record<string, string> = { ...current };
  const patch: Record<string, string | null> = {};
  for (const [key, value] of updates.set) {
    if (labels[key] === value) continue;
    labels[key] = value;
    patch[key] = value;
  }
  const missing: string[] = [];
  for (const key of updates.remove) {
    if (labels[key] === undefined) {
      missing.push(key);
      continue;
    }
    delete labels[key];
    patch[key] = null;
  }
  return { labels, patch, missing };
}
