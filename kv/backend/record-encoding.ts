/**
 * The protobuf records etcd 3.4 keeps in its backend, encoded as etcd's generated (gogo)
 * code encodes them: fields in field-number order, proto3 zero values left out, int64s as
 * 64-bit two's complement varints.
 *
 * - mvccpb.KeyValue (`proto/etcd/mvccpb/kv.proto`): key 1, create_revision 2,
 *   mod_revision 3, version 4, value 5, lease 6. A tombstone's value holds the key alone.
 * - leasepb.Lease: ID 1, TTL 2, RemainingTTL 3 (int64 each).
 * - etcdserverpb.AlarmMember (`rpc.proto`): memberID 1 (uint64), alarm 2 (AlarmType).
 */
import type { KeyValue } from '../mvcc/index.js';

const WIRE_VARINT = 0;
const WIRE_BYTES = 2;

type Field =
  | { readonly number: number; readonly varint: number | bigint }
  | { readonly number: number; readonly bytes: Uint8Array };

/** One per record kept, so written out field by field (no field list to build and filter). */
export function encodeKeyValue(kv: KeyValue): Buffer {
  const size =
    bytesFieldSize(kv.key) +
    varintFieldSize(kv.createRevision) +
    varintFieldSize(kv.modRevision) +
    varintFieldSize(kv.version) +
    bytesFieldSize(kv.value) +
    varintFieldSize(kv.lease);
  const out = Buffer.allocUnsafe(size);
  let at = writeBytesField(out, 0, 1, kv.key);
  at = writeVarintField(out, at, 2, kv.createRevision);
  at = writeVarintField(out, at, 3, kv.modRevision);
  at = writeVarintField(out, at, 4, kv.version);
  at = writeBytesField(out, at, 5, kv.value);
  writeVarintField(out, at, 6, kv.lease);
  return out;
}

/** What a delete writes: a KeyValue with only the key. */
export function encodeTombstone(key: Uint8Array): Buffer {
  return encodeMessage([{ number: 1, bytes: key }]);
}

export function encodeLease(id: bigint, ttlSeconds: number, remainingTtlSeconds: number): Buffer {
  return encodeMessage([
    { number: 1, varint: id },
    { number: 2, varint: ttlSeconds },
    { number: 3, varint: remainingTtlSeconds },
  ]);
}

/** `alarm`: etcdserverpb.AlarmType's number (NOSPACE 1, CORRUPT 2). */
export function encodeAlarmMember(memberId: bigint, alarm: number): Buffer {
  return encodeMessage([
    { number: 1, varint: memberId },
    { number: 2, varint: alarm },
  ]);
}

function encodeMessage(fields: readonly Field[]): Buffer {
  let size = 0;
  for (const field of fields) size += 'bytes' in field ? bytesFieldSize(field.bytes) : varintFieldSize(field.varint);
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const field of fields) at = 'bytes' in field ? writeBytesField(out, at, field.number, field.bytes) : writeVarintField(out, at, field.number, field.varint);
  return out;
}

/** Field numbers here are below 16: every tag is one byte. Zero values take no bytes. */
function bytesFieldSize(bytes: Uint8Array): number {
  return bytes.byteLength === 0 ? 0 : 1 + varintBytes(bytes.byteLength) + bytes.byteLength;
}

function varintFieldSize(value: number | bigint): number {
  return isZero(value) ? 0 : 1 + varintBytes(value);
}

function writeBytesField(out: Buffer, at: number, number: number, bytes: Uint8Array): number {
  if (bytes.byteLength === 0) return at;
  at = writeVarint(out, at, number * 8 + WIRE_BYTES);
  at = writeVarint(out, at, bytes.byteLength);
  out.set(bytes, at);
  return at + bytes.byteLength;
}

function writeVarintField(out: Buffer, at: number, number: number, value: number | bigint): number {
  if (isZero(value)) return at;
  at = writeVarint(out, at, number * 8 + WIRE_VARINT);
  return writeVarint(out, at, value);
}

function isZero(value: number | bigint): boolean {
  return value === 0 || value === 0n;
}

/** A negative number is its 64-bit two's complement (ten bytes), as Go encodes an int64. */
function asUnsigned(value: number | bigint): number | bigint {
  if (typeof value === 'number' && value >= 0 && Number.isSafeInteger(value)) return value;
  return BigInt.asUintN(64, BigInt(value));
}

function varintBytes(value: number | bigint): number {
  let rest = asUnsigned(value);
  let bytes = 1;
  if (typeof rest === 'number') {
    while (rest >= 0x80) {
      rest = Math.floor(rest / 0x80);
      bytes++;
    }
    return bytes;
  }
  while (rest >= 0x80n) {
    rest >>= 7n;
    bytes++;
  }
  return bytes;
}

function writeVarint(out: Buffer, at: number, value: number | bigint): number {
  let rest = asUnsigned(value);
  if (typeof rest === 'number') {
    while (rest >= 0x80) {
      out[at++] = (rest % 0x80) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    out[at++] = rest;
    return at;
  }
  while (rest >= 0x80n) {
    out[at++] = Number(rest & 0x7fn) | 0x80;
    rest >>= 7n;
  }
  out[at++] = Number(rest);
  return at;
}
