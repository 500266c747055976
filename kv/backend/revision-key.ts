/**
 * The keys of etcd's `key` bucket: a revision as 17 bytes — the main revision (8 bytes,
 * big-endian), `_`, the sub-revision (8 bytes, big-endian) — with a `t` appended for a
 * tombstone (18 bytes). Big-endian makes bbolt's bytewise key order the revision order.
 * The same 17 bytes (sub 0) record the compaction revisions in the `meta` bucket.
 */
import { EtcdBackendError } from './errors.js';

export const REVISION_KEY_BYTES = 17;
const SEPARATOR = 0x5f; // '_'
const TOMBSTONE_MARK = 0x74; // 't'

export interface RevisionKey {
  readonly main: number;
  readonly sub: number;
  readonly tombstone: boolean;
}

/** `main` and `sub` are safe integers ≥ 0 (written as two 32-bit halves each: no BigInt per record). */
export function encodeRevisionKey(main: number, sub: number, tombstone = false): Buffer {
  const key = Buffer.allocUnsafe(REVISION_KEY_BYTES + (tombstone ? 1 : 0));
  writeUint64(key, 0, main);
  key[8] = SEPARATOR;
  writeUint64(key, 9, sub);
  if (tombstone) key[REVISION_KEY_BYTES] = TOMBSTONE_MARK;
  return key;
}

const TWO_TO_32 = 2 ** 32;

function writeUint64(out: Buffer, at: number, value: number): void {
  out.writeUInt32BE(Math.floor(value / TWO_TO_32), at);
  out.writeUInt32BE(value % TWO_TO_32, at + 4);
}

/** Throws `EtcdBackendError` for anything that is not a revision key. */
export function decodeRevisionKey(key: Uint8Array): RevisionKey {
  const bytes = Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  const tombstone = bytes.byteLength === REVISION_KEY_BYTES + 1 && bytes[REVISION_KEY_BYTES] === TOMBSTONE_MARK;
  if ((bytes.byteLength !== REVISION_KEY_BYTES && !tombstone) || bytes[8] !== SEPARATOR) {
    throw new EtcdBackendError(`not a revision key: 0x${bytes.toString('hex')}`);
  }
  const main = bytes.readBigUInt64BE(0);
  const sub = bytes.readBigUInt64BE(9);
  if (main > BigInt(Number.MAX_SAFE_INTEGER) || sub > BigInt(Number.MAX_SAFE_INTEGER)) throw new EtcdBackendError(`revision key out of range: 0x${bytes.toString('hex')}`);
  return { main: Number(main), sub: Number(sub), tombstone };
}
