/**
 * `-o json|yaml|name` output. Like kubectl, which prints objects read as unstructured maps,
 * keys come out sorted; JSON is indented by 4 spaces; YAML is written as YAML 1.1 (so that
 * strings such as `"80"`, `"yes"` or timestamps stay quoted) with list items not indented
 * under their key and no line folding.
 */
import { stringify } from 'yaml';

import type { ResourceInfo } from '../api/resources.js';
import type { ApiObject } from '../api/types.js';
import { CliUsageError } from './errors.js';
import { asString, qualifiedName } from '../api/object-fields.js';

/** `-o` values: `''` is the default table. */
export type OutputFormat = '' | 'wide' | 'yaml' | 'json' | 'name';

const OUTPUT_FORMATS: readonly OutputFormat[] = ['json', 'name', 'wide', 'yaml'];

/** Checks an `-o` value. */
export function parseOutputFormat(text: string | undefined, command: string): OutputFormat {
  if (text === undefined || text === '') return '';
  if ((OUTPUT_FORMATS as readonly string[]).includes(text)) return text as OutputFormat;
  throw new CliUsageError(
    `unable to match a printer suitable for the output format "${text}", allowed formats are: ${OUTPUT_FORMATS.join(',')}`,
    command,
  );
}

/** A copy of `value` with every object's keys in byte order. */
export function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (typeof value !== 'object' || value === null) return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
    sorted[key] = sortKeysDeep((value as Record<string, unknown>)[key]);
  }
  return sorted;
}

export function formatJson(value: unknown): string {
  return `${JSON.stringify(sortKeysDeep(value), null, 4)}\n`;
}

export function formatYaml(value: unknown): string {
  return stringify(sortKeysDeep(value), { indentSeq: false, lineWidth: 0, version: '1.1' });
}

/** What kubectl prints for several objects: a `v1` `List`. */
export function listObject(items: readonly ApiObject[]): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'List', items: [...items], metadata: { resourceVersion: '' } };
}

/** `pod/web`, `deployment.apps/web`. */
export function formatName(info: ResourceInfo, object: ApiObject): string {
  return `${qualifiedName(info, asString(object.metadata.name))}\n`;
}

/** One object, or a `List` of several, as JSON or YAML. */
export function formatObjects(objects: readonly ApiObject[], format: 'json' | 'yaml', asList: boolean): string {
  const value = asList ? listObject(objects) : objects[0];
  return format === 'json' ? formatJson(value) : formatYaml(value);
}
