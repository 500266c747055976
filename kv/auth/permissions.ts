/**
 * Key-range permissions as etcd 3.4 grants them, and whether a set of them covers a
 * request. A permission names a key and a `range_end` in the encoding of a range request:
 * empty for the key alone, `\0` for every key from `key` on ("from key"), else the
 * half-open range `[key, range_end)` (a prefix is `[p, p+1)`). A request is allowed when
 * the union of the role's permissions of the right type covers the whole of what it
 * touches, as etcd's interval tree decides: a single key must lie in one of them, a range
 * must be covered with no gap.
 */
import { compareBytes } from '../mvcc/index.js';

/** etcd's `authpb.Permission.Type`; a number it does not name is kept as it came and grants nothing (as in etcd). */
export type PermissionType = 'READ' | 'WRITE' | 'READWRITE' | number;

export interface Permission {
  readonly permType: PermissionType;
  readonly key: Uint8Array;
  /** As in a range request: empty for `key` alone, `\0` for every key from `key` on. */
  readonly rangeEnd: Uint8Array;
}

/** What a request needs: reading or writing. */
export type Access = 'read' | 'write';

/** [start, end) with end null for "to the end of the key space". */
interface Interval {
  readonly start: Uint8Array;
  readonly end: Uint8Array | null;
}

const isFromKey = (rangeEnd: Uint8Array): boolean => rangeEnd.length === 1 && rangeEnd[0] === 0;

/** The keys `[key, rangeEnd)` names as an interval; a single key is `[key, key\0)`. */
function intervalOf(key: Uint8Array, rangeEnd: Uint8Array): Interval {
  if (rangeEnd.length === 0) return { start: key, end: Uint8Array.from([...key, 0]) };
  return { start: key, end: isFromKey(rangeEnd) ? null : rangeEnd };
}

export function grants(permission: Permission, access: Access): boolean {
  return permission.permType === 'READWRITE' || permission.permType === (access === 'read' ? 'READ' : 'WRITE');
}

/**
 * Whether `permissions` (of the right type for `access`) cover every key of the request
 * `[key, rangeEnd)` (range-request encoding). Empty intervals (an end not after the start)
 * cover nothing.
 */
export function covers(permissions: readonly Permission[], access: Access, key: Uint8Array, rangeEnd: Uint8Array): boolean {
  const wanted = intervalOf(key, rangeEnd);
  const usable = permissions
    .filter((p) => grants(p, access))
    .map((p) => intervalOf(p.key, p.rangeEnd))
    .filter((i) => i.end === null || compareBytes(i.start, i.end) < 0)
    .sort((a, b) => compareBytes(a.start, b.start));
  // Sweep from the request's start: each interval that begins at or before what is covered so far extends it.
  let covered = wanted.start;
  for (const interval of usable) {
    if (compareBytes(interval.start, covered) > 0) break;
    if (interval.end === null) return true;
    if (compareBytes(interval.end, covered) > 0) covered = interval.end;
    if (wanted.end !== null && compareBytes(covered, wanted.end) >= 0) return true;
  }
  return false;
}

/** Orders permissions as etcd keeps a role's: by key, then by range end. */
export function comparePermissions(a: Permission, b: Permission): number {
  return compareBytes(a.key, b.key) || compareBytes(a.rangeEnd, b.rangeEnd);
}

/** Whether two permissions name the same keys (a grant on them replaces the type). */
export function sameKeys(a: Pick<Permission, 'key' | 'rangeEnd'>, b: Pick<Permission, 'key' | 'rangeEnd'>): boolean {
  return compareBytes(a.key, b.key) === 0 && compareBytes(a.rangeEnd, b.rangeEnd) === 0;
}
