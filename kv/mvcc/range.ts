/**
 * A range read's result, by etcd's rules (its server's Range), step for step, since each
 * step shows in what clients get:
 *
 * 1. Every key visible in the range at the read revision, in key order: their number is
 *    `count` (before the filters and the limit).
 * 2. Which of them are looked at: all of them when the request asks for an order or has a
 *    min/max revision filter; otherwise, with a limit, only the first limit + 1 in key
 *    order. So order NONE with a target other than the key — which still sorts, see 4 —
 *    sorts only those first keys, and the limit keeps the lowest of *them*.
 * 3. The min/max revision filters.
 * 4. The sort, in etcd's effective order (NONE with a target other than the key is
 *    ASCEND; ASCEND by key needs nothing), by Go's `sort.Sort` (`go-sort.ts`), whose
 *    order for keys that tie on the target is etcd's; DESCEND sorts with the comparison
 *    reversed, as Go's `sort.Reverse` does, not by reversing the ascending result.
 * 5. The limit: `more` says whether it cut anything. Then keys_only blanks the values.
 */
import { goSort, goSortReverse } from './go-sort.js';
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

  const limit = Math.max(0, options.limit ?? 0);
  const readsAll = (options.sortOrder ?? 'none') !== 'none' || hasFilters(options);
  let kvs = !readsAll && limit > 0 ? visible.slice(0, limit + 1) : [...visible];
  kvs = kvs.filter(passesFilters(options));
  sortKvs(kvs, effectiveSortOrder(options), options.sortTarget ?? 'key');
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

function hasFilters(options: RangeOptions): boolean {
  return [options.minModRevision, options.maxModRevision, options.minCreateRevision, options.maxCreateRevision].some((bound) => (bound ?? 0) !== 0);
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

/** Sorts `kvs` (in key order) in place, as etcd does. */
function sortKvs(kvs: KeyValue[], order: SortOrder, target: SortTarget): void {
  switch (order) {
    case 'none':
      return;
    case 'ascend':
      if (target !== 'key') goSort(kvs, lessBy(target));
      return;
    case 'descend':
      goSortReverse(kvs, lessBy(target));
      return;
    default:
      return unreachable(order);
  }
}

function lessBy(target: SortTarget): (a: KeyValue, b: KeyValue) => boolean {
  switch (target) {
    case 'key':
      return (a, b) => compareBytes(a.key, b.key) < 0;
    case 'version':
      return (a, b) => a.version < b.version;
    case 'create':
      return (a, b) => a.createRevision < b.createRevision;
    case 'mod':
      return (a, b) => a.modRevision < b.modRevision;
    case 'value':
      return (a, b) => compareBytes(a.value, b.value) < 0;
    default:
      return unreachable(target);
  }
}

function unreachable(value: never): never {
  throw new Error(`unexpected ${String(value)}`);
}
