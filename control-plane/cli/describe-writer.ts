/**
 * The text layout of `kubectl describe`: lines indented two spaces per level, `Field:\tvalue`
 * pairs aligned by the tab writer over runs of consecutive lines (so a section's fields line
 * up among themselves), multi-line maps (`Labels:`), and the `Events:` table.
 */
import type { ApiObject } from '../api/types.js';
import { age, describeTimestamp } from '../api/human-duration.js';
import { formatYaml } from './object-printers.js';
import { asNumber, asRecord, asString, asStringMap, compareStrings } from '../api/object-fields.js';
import { DESCRIBE_TAB_OPTIONS, alignTabs } from './tab-writer.js';

/** Collects lines; `toString` aligns them. */
export class DescribeWriter {
  private readonly lines: string[] = [];

  /** One line at `level` (two spaces each); `\t` separates aligned cells. */
  line(level: number, text: string): void {
    this.lines.push(`${'  '.repeat(level)}${text}`);
  }

  /** A line as given, for indents that are not whole levels (kubectl's three-space container names in pod templates). */
  raw(text: string): void {
    this.lines.push(text);
  }

  /** `Title:\tvalue`. */
  field(level: number, title: string, value: string | number | boolean): void {
    this.line(level, `${title}:\t${String(value)}`);
  }

  /**
   * A map one entry per line, sorted by key: `Labels:\tapp=web` then `\ttier=fe`;
   * `Title:\t<none>` when empty. `separator` is `=` for labels, `: ` for annotations.
   */
  map(level: number, title: string, value: unknown, separator: '=' | ': '): void {
    const entries = Object.entries(asStringMap(value)).sort(([a], [b]) => compareStrings(a, b));
    if (entries.length === 0) {
      this.field(level, title, '<none>');
      return;
    }
    entries.forEach(([key, item], index) => {
      this.line(level, `${index === 0 ? `${title}:` : ''}\t${key}${separator}${item}`);
    });
  }

  /** `Title:\tfirst` then `\tnext` lines; `<none>` when empty. */
  list(level: number, title: string, items: readonly string[]): void {
    if (items.length === 0) {
      this.field(level, title, '<none>');
      return;
    }
    items.forEach((item, index) => this.line(level, `${index === 0 ? `${title}:` : ''}\t${item}`));
  }

  /**
   * A table with kubectl's underline row under the headers: dashes as long as each header
   * unless `underline` gives them (kubectl's events table underlines `Age` with four).
   */
  table(level: number, headers: readonly string[], rows: readonly (readonly string[])[], underline?: readonly string[]): void {
    this.line(level, headers.join('\t'));
    this.line(level, (underline ?? headers.map((header) => '-'.repeat(header.length))).join('\t'));
    for (const row of rows) this.line(level, row.join('\t'));
  }

  /** `Title:` and `value` as YAML below it, for fields without a dedicated layout. */
  yaml(level: number, title: string, value: unknown): void {
    if (value === undefined) return;
    if (typeof value !== 'object' || value === null) {
      this.field(level, title, String(value));
      return;
    }
    this.line(level, `${title}:`);
    for (const text of formatYaml(value).trimEnd().split('\n')) this.line(level + 1, text.replace(/\t/g, '    '));
  }

  /** A blank line (ends every alignment block). */
  blank(): void {
    this.lines.push('');
  }

  toString(): string {
    return alignTabs(`${this.lines.join('\n')}\n`, DESCRIBE_TAB_OPTIONS);
  }
}

/** `Name:`, `Namespace:` (namespaced kinds), then labels, annotations and creation time. */
export function writeObjectHeader(writer: DescribeWriter, object: ApiObject, options: { namespaced: boolean }): void {
  writer.field(0, 'Name', asString(object.metadata.name));
  if (options.namespaced) writer.field(0, 'Namespace', asString(object.metadata.namespace));
  writer.map(0, 'Labels', object.metadata.labels, '=');
  writer.map(0, 'Annotations', object.metadata.annotations, ': ');
  writer.field(0, 'CreationTimestamp', describeTimestamp(object.metadata.creationTimestamp));
}

/** `Controlled By:\tReplicaSet/web-abc` when a controller owns the object. */
export function writeControlledBy(writer: DescribeWriter, object: ApiObject): void {
  const owner = (object.metadata.ownerReferences ?? []).find((reference) => reference.controller === true);
  if (owner !== undefined) writer.field(0, 'Controlled By', `${owner.kind}/${owner.name}`);
}

/** When an event last happened, for ordering. */
function lastSeenMs(event: ApiObject): number {
  const text = asString(event.lastTimestamp) || asString(event.firstTimestamp) || asString(event.eventTime);
  const at = Date.parse(text);
  return Number.isNaN(at) ? 0 : at;
}

/**
 * The events about `object` among `events`: same kind and name (and namespace, when the
 * event says), and the same uid when both sides have one. A node's events carry the node
 * name as uid (the kubelet's habit), which counts as a match too.
 */
export function eventsAbout(object: ApiObject, events: readonly ApiObject[]): ApiObject[] {
  return events.filter((event) => {
    const involved = asRecord(event.involvedObject);
    if (involved.kind !== object.kind || involved.name !== object.metadata.name) return false;
    const namespace = asString(involved.namespace);
    if (namespace !== '' && object.metadata.namespace !== undefined && namespace !== object.metadata.namespace) return false;
    const uid = asString(involved.uid);
    if (uid === '' || object.metadata.uid === undefined) return true;
    return uid === object.metadata.uid || uid === object.metadata.name;
  });
}

/**
 * `Events:` as kubectl shows them, oldest last-seen first: `Type Reason Age From Message`,
 * AGE `5m` or `2m (x3 over 10m)` for a repeated event; `Events:\t<none>` when there are none.
 */
export function writeEvents(writer: DescribeWriter, events: readonly ApiObject[], now: Date): void {
  if (events.length === 0) {
    writer.field(0, 'Events', '<none>');
    return;
  }
  const sorted = [...events].sort((a, b) => lastSeenMs(a) - lastSeenMs(b));
  writer.line(0, 'Events:');
  writer.table(
    1,
    ['Type', 'Reason', 'Age', 'From', 'Message'],
    sorted.map((event) => {
      const first = age(asString(event.firstTimestamp) || asString(event.eventTime), now);
      const count = asNumber(event.count, 1);
      const interval = count > 1 ? `${age(event.lastTimestamp, now)} (x${count} over ${first})` : first;
      const source = asRecord(event.source);
      const from = asString(source.host) === '' ? asString(source.component) : `${asString(source.component)}, ${asString(source.host)}`;
      return [asString(event.type), asString(event.reason), interval, from, asString(event.message).trim()];
    }),
    ['----', '------', '----', '----', '-------'],
  );
}
