/**
 * Transaction compares, by etcd's rules: a compare holds when every key visible in its
 * range satisfies it. An empty range (or a missing key) compares as etcd's zero
 * KeyValue — version, create, mod revision and lease all 0 — except for a value compare,
 * which then fails: there is no value to compare, and an empty value is not "missing".
 */
import { compareBytes } from './key-bytes.js';
import type { Compare, CompareResult } from './requests.js';
import type { KeyValue } from './types.js';

/** `visible`: the keys of the compare's range, as the transaction sees them. */
export function compareHolds(compare: Compare, visible: readonly KeyValue[]): boolean {
  if (visible.length === 0) {
    return compare.target === 'value' ? false : satisfies(compare.result, compareField(compare, null));
  }
  return visible.every((kv) => satisfies(compare.result, compareField(compare, kv)));
}

/** The sign of (the key's field − the operand); `kv` null is the zero KeyValue. */
function compareField(compare: Compare, kv: KeyValue | null): number {
  switch (compare.target) {
    case 'version':
      return Math.sign((kv?.version ?? 0) - compare.version);
    case 'create':
      return Math.sign((kv?.createRevision ?? 0) - compare.createRevision);
    case 'mod':
      return Math.sign((kv?.modRevision ?? 0) - compare.modRevision);
    case 'value':
      return kv === null ? 0 : Math.sign(compareBytes(kv.value, compare.value));
    case 'lease': {
      const lease = kv?.lease ?? 0n;
      return lease === compare.lease ? 0 : lease > compare.lease ? 1 : -1;
    }
    default:
      return unreachable(compare);
  }
}

function satisfies(result: CompareResult, sign: number): boolean {
  switch (result) {
    case 'equal':
      return sign === 0;
    case 'notEqual':
      return sign !== 0;
    case 'greater':
      return sign > 0;
    case 'less':
      return sign < 0;
    default:
      return unreachable(result);
  }
}

function unreachable(value: never): never {
  throw new Error(`unexpected compare ${JSON.stringify(value)}`);
}
