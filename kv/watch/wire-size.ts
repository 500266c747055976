/**
 * Sizes of watch responses as protobuf encodes them (etcdserverpb.WatchResponse with
 * mvccpb.Event / mvccpb.KeyValue), so that fragmenting and buffering count what goes on
 * the wire. proto3 leaves out zero and empty fields. The response header is filled by the
 * server; it is counted at its largest.
 */
import type { KeyValue, KvEvent } from '../mvcc/types.js';

/** Bytes of a varint-encoded int64 (negative values take ten). */
export function varintBytes(value: number | bigint): number {
  let n = BigInt(value);
  if (n < 0n) return 10;
  let bytes = 1;
  while (n >= 0x80n) {
    n >>= 7n;
    bytes++;
  }
  return bytes;
}

function intField(value: number | bigint): number {
  return value === 0 || value === 0n ? 0 : 1 + varintBytes(value);
}

function bytesField(length: number): number {
  return length === 0 ? 0 : 1 + varintBytes(length) + length;
}

function messageField(size: number): number {
  return 1 + varintBytes(size) + size;
}

export function keyValueBytes(kv: KeyValue): number {
  return (
    bytesField(kv.key.length) +
    intField(kv.createRevision) +
    intField(kv.modRevision) +
    intField(kv.version) +
    bytesField(kv.value.length) +
    intField(kv.lease)
  );
}

/** One event as a repeated `events` field of a WatchResponse: tag, length and message. */
export function eventFieldBytes(event: KvEvent): number {
  const size =
    (event.type === 'delete' ? 2 : 0) +
    messageField(keyValueBytes(event.kv)) +
    (event.prevKv === null ? 0 : messageField(keyValueBytes(event.prevKv)));
  return messageField(size);
}

/**
 * A WatchResponse without events at its largest: the header (four 64-bit fields), watch
 * id, created, canceled, compact revision and fragment. A cancel reason comes on top.
 */
export const RESPONSE_OVERHEAD_BYTES = messageField(4 * 11) + 11 + 2 + 2 + 11 + 2;

export function responseBytes(events: readonly KvEvent[]): number {
  let total = RESPONSE_OVERHEAD_BYTES;
  for (const event of events) total += eventFieldBytes(event);
  return total;
}
