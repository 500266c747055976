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

export function encodeKeyValue(kv: KeyValue): Buffer {
  return encodeMessage([
    { number: 1, bytes: kv.key },
    { number: 2, varint: kv.createRevision },
    { number: 3, varint: kv.modRevision },
    { number: 4, varint: kv.version },
    { number: 5, bytes: kv.value },
    { number: 6, varint: kv.lease },
  ]);
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
  const present = fields.filter((f) => ('bytes' in f ? f.bytes.byteLength > 0 : f.varint !== 0 && f.varint !== 0n));
  let size = 0;
  for (const field of present) {
    size += varintBytes(tag(field));
    size += 'bytes' in field ? varintBytes(field.bytes.byteLength) + field.bytes.byteLength : varintBytes(field.varint);
  }
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const field of present) {
    at = writeVarint(out, at, tag(field));
    if ('bytes' in field) {
      at = writeVarint(out, at, field.bytes.byteLength);
      out.set(field.bytes, at);
      at += field.bytes.byteLength;
    } else {
      at = writeVarint(out, at, field.varint);
    }
  }
  return out;
}

function tag(field: Field): number {
  return field.number * 8 + ('bytes' in field ? WIRE_BYTES : WIRE_VARINT);
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
