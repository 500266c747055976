/**
 * A range read's result, by etcd's rules (its server's Range): take every key visible
 * in the range at the read revision (that number is `count`), drop those outside the
 * min/max revision filters, sort, cut at the limit (`more` says whether anything was
 * cut), and blank the values for keys_only.
 */
import { compareBytes, EMPTY_BYTES } from './key-bytes.js';
import type { RangeOptions, SortOrder, SortTarget } from './requests.js';
import type { KeyValue } from './types.js';

export interface RangeResult {
  readonly kvs: readonly KeyValue[];
  readonly more: boolean;
  readonly count: number;
}

/** `visible`: every version in the range at the read revision, in key order. */
export function shapeRange(visible: readonly KeyValue[], options: RangeOptions): RangeResult {
  const count = visible.length;
  if (options.countOnly === true) return { kvs: [], more: false, count };

  let kvs = visible.filter(passesFilters(options));
  kvs = sortKvs(kvs, effectiveSortOrder(options), options.sortTarget ?? 'key');
  const limit = options.limit ?? 0;
  const more = limit > 0 && kvs.length > limit;
  if (more) kvs = kvs.slice(0, limit);
  if (options.keysOnly === true) kvs = kvs.map((kv) => ({ ...kv, value: EMPTY_BYTES }));
  return { kvs, more, count };
}

/**
 * etcd's quirk: the default order 'none' with a target other than the key means
 * ascending (results come in key order anyway, so 'none' by key needs nothing).
 */
export function effectiveSortOrder(options: RangeOptions): SortOrder {
  const order = options.sortOrder ?? 'none';
  return order === 'none' && (options.sortTarget ?? 'key') !== 'key' ? 'ascend' : order;
}

function passesFilters(options: RangeOptions): (kv: KeyValue) => boolean {
  // 0 (or absent) is "no bound", as on the wire.
  const minMod = options.minModRevision ?? 0;
  const maxMod = options.maxModRevision ?? 0;
  const minCreate = options.minCreateRevision ?? 0;
  const maxCreate = options.maxCreateRevision ?? 0;
  return (kv) =>
    (maxMod === 0 || kv.modRevision <= maxMod) &&
    (minMod === 0 || kv.modRevision >= minMod) &&
    (maxCreate === 0 || kv.createRevision <= maxCreate) &&
    (minCreate === 0 || kv.createRevision >= minCreate);
}

/**
 * Sorted copies, stable: keys that tie on the target stay in key order, in both
 * directions (etcd's sort is not stable, so it leaves ties in no particular order; a
 * replicated store must pick one).
 */
function sortKvs(kvs: KeyValue[], order: SortOrder, target: SortTarget): KeyValue[] {
  switch (order) {
    case 'none':
      return kvs;
    case 'ascend':
      return target === 'key' ? kvs : [...kvs].sort(byTarget(target));
    case 'descend': {
      const ascending = byTarget(target);
      return [...kvs].sort((a, b) => ascending(b, a) || compareBytes(a.key, b.key));
    }
    default:
      return unreachable(order);
  }
}

function byTarget(target: SortTarget): (a: KeyValue, b: KeyValue) => number {
  switch (target) {
    case 'key':
      return (a, b) => compareBytes(a.key, b.key);
    case 'version':
      return (a, b) => a.version - b.version;
    case 'create':
      return (a, b) => a.createRevision - b.createRevision;
    case 'mod':
      return (a, b) => a.modRevision - b.modRevision;
    case 'value':
      return (a, b) => compareBytes(a.value, b.value);
    default:
      return unreachable(target);
  }
}

function unreachable(value: never): never {
  throw new Error(`unexpected ${String(value)}`);
}
