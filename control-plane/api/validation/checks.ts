/**
 * The building blocks of validation: field paths, readers that check a value's JSON type
 * before anything looks inside it, and the checks every kind shares (ranges, enumerations,
 * labels). Each pushes what it finds onto an error list and never throws, so that one
 * request learns about every problem at once, and garbage input yields errors, not crashes.
 *
 * Readers treat `null` like an absent field, as Kubernetes' decoder does for optional
 * fields. A reader that meets the wrong type reports `Invalid` and answers `undefined`, so
 * the caller skips what it cannot read.
 */
import type { FieldError } from '../field-errors.js';
import { jsonClone, jsonEqual } from '../json-values.js';

export { jsonClone, jsonEqual };
import { labelKeyErrors, labelValueErrors, portNameErrors, portNumberErrors } from '../names.js';

export type Json = Record<string, unknown>;
export type Errors = FieldError[];

// --- paths -------------------------------------------------------------------------------

/** `spec` + `containers` → `spec.containers`; the root is `''`. */
export function child(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

/** `spec.containers` + 0 → `spec.containers[0]`. */
export function index(path: string, i: number): string {
  return `${path}[${i}]`;
}

/** `data` + `key.txt` → `data[key.txt]` (map keys unquoted, as Kubernetes writes them). */
export function key(path: string, name: string): string {
  return `${path}[${name}]`;
}

// --- errors ------------------------------------------------------------------------------

export function required(errors: Errors, field: string, detail = ''): void {
  errors.push({ field, type: 'Required', detail });
}

export function invalid(errors: Errors, field: string, value: unknown, detail: string): void {
  errors.push({ field, type: 'Invalid', value, detail });
}

/** An `Invalid` error that must not echo the value (Secret data). */
export function invalidHidden(errors: Errors, field: string, detail: string): void {
  errors.push({ field, type: 'Invalid', detail });
}

export function forbidden(errors: Errors, field: string, detail: string): void {
  errors.push({ field, type: 'Forbidden', detail });
}

export function duplicate(errors: Errors, field: string, value: unknown, detail = ''): void {
  errors.push({ field, type: 'Duplicate', value, detail });
}

export function notSupported(errors: Errors, field: string, value: unknown, supported: readonly string[]): void {
  const detail = `supported values: ${supported.map((value) => JSON.stringify(value)).join(', ')}`;
  errors.push({ field, type: 'NotSupported', value, detail });
}

/** Kubernetes' `ValidateImmutableField`. */
export function immutable(errors: Errors, field: string, value: unknown): void {
  invalid(errors, field, value, 'field is immutable');
}

// --- typed readers -----------------------------------------------------------------------

export function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isAbsent(value: unknown): value is undefined | null {
  return value === undefined || value === null;
}

export function readRecord(errors: Errors, value: unknown, field: string): Json | undefined {
  if (isAbsent(value)) return undefined;
  if (isRecord(value)) return value;
  invalid(errors, field, value, 'must be an object');
  return undefined;
}

export function readArray(errors: Errors, value: unknown, field: string): unknown[] | undefined {
  if (isAbsent(value)) return undefined;
  if (Array.isArray(value)) return value;
  invalid(errors, field, value, 'must be a list');
  return undefined;
}

export function readString(errors: Errors, value: unknown, field: string): string | undefined {
  if (isAbsent(value)) return undefined;
  if (typeof value === 'string') return value;
  invalid(errors, field, value, 'must be a string');
  return undefined;
}

/** A string that must be present and non-empty; `Required` otherwise. */
export function readRequiredString(errors: Errors, value: unknown, field: string, detail = ''): string | undefined {
  const text = readString(errors, value, field);
  if (text === undefined && isAbsent(value)) required(errors, field, detail);
  if (text === '') {
    required(errors, field, detail);
    return undefined;
  }
  return text;
}

export function readInteger(errors: Errors, value: unknown, field: string): number | undefined {
  if (isAbsent(value)) return undefined;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  invalid(errors, field, value, 'must be an integer');
  return undefined;
}

export function readBoolean(errors: Errors, value: unknown, field: string): boolean | undefined {
  if (isAbsent(value)) return undefined;
  if (typeof value === 'boolean') return value;
  invalid(errors, field, value, 'must be a boolean');
  return undefined;
}

/** A map of strings (labels, annotations, ConfigMap data); a non-string entry is reported at its key. */
export function readStringMap(errors: Errors, value: unknown, field: string): Record<string, string> | undefined {
  const record = readRecord(errors, value, field);
  if (record === undefined) return undefined;
  const strings: Record<string, string> = {};
  let ok = true;
  for (const [name, entry] of Object.entries(record)) {
    if (typeof entry === 'string') strings[name] = entry;
    else {
      invalid(errors, key(field, name), entry, 'must be a string');
      ok = false;
    }
  }
  return ok ? strings : undefined;
}

/** The records of a list, each with its path; non-records are reported and skipped. */
export function readRecordList(errors: Errors, value: unknown, field: string): { item: Json; path: string }[] {
  const list = readArray(errors, value, field) ?? [];
  const items: { item: Json; path: string }[] = [];
  list.forEach((entry, i) => {
    const path = index(field, i);
    if (isRecord(entry)) items.push({ item: entry, path });
    else invalid(errors, path, entry, 'must be an object');
  });
  return items;
}

/** The strings of a list; non-strings are reported and skipped. */
export function readStringList(errors: Errors, value: unknown, field: string): string[] {
  const list = readArray(errors, value, field) ?? [];
  const strings: string[] = [];
  list.forEach((entry, i) => {
    if (typeof entry === 'string') strings.push(entry);
    else invalid(errors, index(field, i), entry, 'must be a string');
  });
  return strings;
}

// --- shared rules ------------------------------------------------------------------------

/** An optional integer ≥ `minimum`: `must be greater than or equal to 0`. */
export function checkIntegerAtLeast(errors: Errors, value: unknown, field: string, minimum: number): number | undefined {
  const number = readInteger(errors, value, field);
  if (number !== undefined && number < minimum) {
    invalid(errors, field, number, `must be greater than or equal to ${minimum}`);
    return undefined;
  }
  return number;
}

/** An optional string from a fixed set (callers that accept `''` check for it first). */
export function checkOneOf(
  errors: Errors,
  value: unknown,
  field: string,
  supported: readonly string[],
): string | undefined {
  const text = readString(errors, value, field);
  if (text === undefined) return undefined;
  if (!supported.includes(text)) {
    notSupported(errors, field, text, supported);
    return undefined;
  }
  return text;
}

/** Each message of a name check as an `Invalid` error on the field. */
export function checkName(errors: Errors, field: string, value: string, check: (value: string) => string[]): boolean {
  const messages = check(value);
  for (const message of messages) invalid(errors, field, value, message);
  return messages.length === 0;
}

/**
 * Labels (or a node selector, a Service selector): keys are qualified names, values label
 * values. As in Kubernetes, the errors name the map, and the value is the bad key or value.
 */
export function checkLabels(errors: Errors, value: unknown, field: string): Record<string, string> | undefined {
  const labels = readStringMap(errors, value, field);
  if (labels === undefined) return undefined;
  const before = errors.length;
  for (const [name, labelValue] of Object.entries(labels)) {
    checkName(errors, field, name, labelKeyErrors);
    checkName(errors, field, labelValue, labelValueErrors);
  }
  return errors.length === before ? labels : undefined;
}

/** A port given by number (1–65535) or by name (IANA_SVC_NAME): a probe's port, a Service's targetPort. */
export function checkPortNumberOrName(errors: Errors, value: unknown, field: string): void {
  if (typeof value === 'number') {
    for (const message of portNumberErrors(value)) invalid(errors, field, value, message);
  } else if (typeof value === 'string') {
    checkName(errors, field, value, portNameErrors);
  } else if (isAbsent(value)) {
    required(errors, field);
  } else {
    invalid(errors, field, value, 'must be an integer or a string');
  }
}

/** A required port number, 1–65535. */
export function checkPortNumber(errors: Errors, value: unknown, field: string): number | undefined {
  if (isAbsent(value) || value === 0) {
    required(errors, field);
    return undefined;
  }
  const number = readInteger(errors, value, field);
  if (number === undefined) return undefined;
  const messages = portNumberErrors(number);
  for (const message of messages) invalid(errors, field, number, message);
  return messages.length === 0 ? number : undefined;
}

