/**
 * Reading the loosely typed fields of API objects (`spec`, `status` are records of unknown)
 * safely, and the small renderings every printer shares: label maps, label selectors and
 * kubectl's `deployment.apps/web` object names.
 */
import type { ResourceInfo } from './resources.js';

export type JsonRecord = Record<string, unknown>;

/** `value` if it is a plain object, else an empty one. */
export function asRecord(value: unknown): JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonRecord) : {};
}

/** `value` if it is an array of objects (non-objects dropped), else empty. */
export function asRecords(value: unknown): JsonRecord[] {
  return Array.isArray(value) ? value.filter((item) => typeof item === 'object' && item !== null && !Array.isArray(item)) : [];
}

/** `value` if it is an array, its strings (others dropped), else empty. */
export function asStrings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/** `value` if it is a string, else `fallback`. */
export function asString(value: unknown, fallback = ''): string {
  return typeof value === 'string' ? value : fallback;
}

/** `value` if it is a finite number, else `fallback`. */
export function asNumber(value: unknown, fallback = 0): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

/** A string map (labels, annotations, data), non-string values dropped. */
export function asStringMap(value: unknown): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, item] of Object.entries(asRecord(value))) if (typeof item === 'string') result[key] = item;
  return result;
}

/** `k=v,k2=v2` sorted by key, `<none>` when empty (kubectl's `labels.FormatLabels`). */
export function formatLabels(labels: unknown): string {
  const entries = Object.entries(asStringMap(labels)).sort(([a], [b]) => compareStrings(a, b));
  return entries.length === 0 ? '<none>' : entries.map(([key, value]) => `${key}=${value}`).join(',');
}

/**
 * A `LabelSelector` (`matchLabels` and `matchExpressions`) as kubectl writes it: requirements
 * sorted by key, `app=web`, `tier in (a,b)`, `tier notin (c)`, `gpu`, `!gpu`; `<none>` when
 * it selects everything.
 */
export function formatLabelSelector(selector: unknown): string {
  const record = asRecord(selector);
  const requirements: { key: string; text: string }[] = [];
  for (const [key, value] of Object.entries(asStringMap(record.matchLabels))) requirements.push({ key, text: `${key}=${value}` });
  for (const expression of asRecords(record.matchExpressions)) {
    const key = asString(expression.key);
    const values = (Array.isArray(expression.values) ? expression.values.map(String) : []).sort(compareStrings).join(',');
    switch (expression.operator) {
      case 'In':
        requirements.push({ key, text: `${key} in (${values})` });
        break;
      case 'NotIn':
        requirements.push({ key, text: `${key} notin (${values})` });
        break;
      case 'Exists':
        requirements.push({ key, text: key });
        break;
      case 'DoesNotExist':
        requirements.push({ key, text: `!${key}` });
        break;
      default:
        requirements.push({ key, text: `${key} ${String(expression.operator)} (${values})` });
    }
  }
  if (requirements.length === 0) return '<none>';
  return requirements
    .sort((a, b) => compareStrings(a.key, b.key))
    .map((requirement) => requirement.text)
    .join(',');
}

/** Byte-order comparison, as Go's `sort.Strings` (not locale order). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `pod`, `deployment.apps`, `lease.coordination.k8s.io`: how kubectl names a kind in messages. */
export function qualifiedKind(info: ResourceInfo): string {
  return info.group === '' ? info.singular : `${info.singular}.${info.group}`;
}

/** `pod/web`, `deployment.apps/web`. */
export function qualifiedName(info: ResourceInfo, name: string): string {
  return `${qualifiedKind(info)}/${name}`;
}

/** `text` or `<none>` when empty. */
export function orNone(text: string | undefined): string {
  return text === undefined || text === '' ? '<none>' : text;
}
