/**
 * Reading the loosely typed fields of API objects (`spec`, `status`): the pod spec was
 * validated and defaulted by the API server, so these only guard against absent fields.
 */

export type Json = Record<string, unknown>;

/** The object items of a list field (none when absent). */
export function records(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter((item): item is Json => typeof item === 'object' && item !== null && !Array.isArray(item)) : [];
}

export function asRecord(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

export function stringField(value: unknown, fallback = ''): string {
  return typeof value === 'string' ? value : fallback;
}

export function numberField(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}
