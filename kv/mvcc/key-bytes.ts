/**
 * Keys as strings, and etcd's key-range encoding.
 *
 * The store indexes a key by its bytes read as Latin-1: one UTF-16 code unit per byte,
 * each 0..255, so JavaScript's string comparison is exactly the bytewise order etcd sorts
 * keys in, and a `Map` lookup needs no byte-array hashing.
 */
import type { KeyRange } from './types.js';

/** A key's bytes as a Latin-1 string (one char per byte): ordered like the bytes. */
export type KeyString = string;

/** A shared empty value (deleted keys, keys_only results). Never written to. */
export const EMPTY_BYTES: Uint8Array = new Uint8Array(0);

export function keyString(bytes: Uint8Array): KeyString {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** The bytes of a key string, as a fresh array owned by the caller. */
export function keyBytes(key: KeyString): Uint8Array {
  return new Uint8Array(Buffer.from(key, 'latin1'));
}

/** Bytewise comparison, as Go's `bytes.Compare`: negative, 0 or positive. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(
    Buffer.from(a.buffer, a.byteOffset, a.byteLength),
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}

/** A copy that shares no memory with the caller's array (which may be a network buffer). */
export function ownBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

/**
 * A key range as a half-open interval of key strings [start, end); `end` undefined means
 * no upper bound.
 */
export interface KeyInterval {
  readonly start: KeyString;
  readonly end: KeyString | undefined;
}

/**
 * etcd's encoding of a range as an interval: an empty `end` is the single key (the
 * interval [key, key + "\0"), which holds only `key`); `end` = "\0" is every key ≥ `key`;
 * anything else is [key, end), empty when end ≤ key.
 */
export function keyInterval(range: KeyRange): KeyInterval {
  const start = keyString(range.key);
  if (range.end.byteLength === 0) return { start, end: `${start}\0` };
  if (range.end.byteLength === 1 && range.end[0] === 0) return { start, end: undefined };
  return { start, end: keyString(range.end) };
}

export function intervalContains(interval: KeyInterval, key: KeyString): boolean {
  return key >= interval.start && (interval.end === undefined || key < interval.end);
}
