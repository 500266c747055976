/**
 * Key ranges as watch requests carry them (etcd's encoding, see `KeyRange`): `end` empty
 * is the single key `key`; `end` = [0] is every key ≥ `key`; otherwise [key, end). An
 * empty `key` means [0], the smallest key, as etcd reads it.
 */
import type { KeyRange } from '../mvcc/types.js';

const SMALLEST_KEY = Uint8Array.of(0);

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

/** The range as the hub keeps it: `key` never empty, keys copied. */
export function normalizeRange(key: Uint8Array, end: Uint8Array): KeyRange {
  return { key: key.length === 0 ? SMALLEST_KEY : key.slice(), end: end.slice() };
}

/** Whether the range is a proper [key, end) with key ≥ end: it holds no key. */
export function isEmptyRange(range: KeyRange): boolean {
  if (range.end.length === 0 || isFromKey(range)) return false;
  return compareBytes(range.key, range.end) >= 0;
}

export function rangeContains(range: KeyRange, key: Uint8Array): boolean {
  if (range.end.length === 0) return compareBytes(range.key, key) === 0;
  if (compareBytes(key, range.key) < 0) return false;
  return isFromKey(range) || compareBytes(key, range.end) < 0;
}

function isFromKey(range: KeyRange): boolean {
  return range.end.length === 1 && range.end[0] === 0;
}
