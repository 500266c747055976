/**
 * The key-value hash that members compare to detect divergence (etcd's HashKV).
 *
 * Which versions count, as in etcd: every record written after the compaction point and
 * at or before the hashed revision, plus the versions at or before the compaction point
 * that are still current at the hashed revision (what a compaction at that revision
 * would keep). The hash does not depend on whether old records are physically gone yet,
 * only on the history the members agree on.
 *
 * The algorithm is ours (CRC-32 over a fixed binary encoding of each counted record, in
 * revision order): only equality between Balsa members matters, never equality with etcd.
 */
import { crc32 } from 'node:zlib';

import type { KeyIndex, KeyRecord } from './key-index.js';
import { lastAtOrBefore } from './key-index.js';

interface CountedRecord {
  readonly key: Uint8Array;
  readonly record: KeyRecord;
}

/** Identifies the encoding, so that a change to it changes every hash. */
const HASH_DOMAIN = Buffer.from('balsa-mvcc-hashkv-v1');

export function hashKeyValues(index: KeyIndex, revision: number, compactRevision: number): number {
  const counted: CountedRecord[] = [];
  for (const [, history] of index.entries()) {
    const records = history.records;
    const current = lastAtOrBefore(records, revision);
    for (let i = 0; i <= current; i++) {
      const record = records[i]!;
      const stillCurrent = i === current && record.kv !== null;
      if (record.main > compactRevision || stillCurrent) counted.push({ key: history.key, record });
    }
  }
  counted.sort((a, b) => a.record.main - b.record.main || a.record.sub - b.record.sub);
  let hash = crc32(HASH_DOMAIN);
  for (const { key, record } of counted) hash = crc32(encodeRecord(key, record), hash);
  return hash;
}

/**
 * main (float64), sub (uint32), tombstone flag, key length + key; for a version also
 * create revision, version (float64 each), lease (int64), value length + value. Lengths
 * make the encoding unambiguous.
 */
function encodeRecord(key: Uint8Array, record: KeyRecord): Buffer {
  const kv = record.kv;
  const valueBytes = kv === null ? 0 : 8 + 8 + 8 + 4 + kv.value.byteLength;
  const out = Buffer.alloc(8 + 4 + 1 + 4 + key.byteLength + valueBytes);
  let at = out.writeDoubleBE(record.main, 0);
  at = out.writeUInt32BE(record.sub, at);
  at = out.writeUInt8(kv === null ? 1 : 0, at);
  at = out.writeUInt32BE(key.byteLength, at);
  out.set(key, at);
  at += key.byteLength;
  if (kv === null) return out;
  at = out.writeDoubleBE(kv.createRevision, at);
  at = out.writeDoubleBE(kv.version, at);
  at = out.writeBigInt64BE(BigInt.asIntN(64, kv.lease), at);
  at = out.writeUInt32BE(kv.value.byteLength, at);
  out.set(kv.value, at);
  return out;
}
