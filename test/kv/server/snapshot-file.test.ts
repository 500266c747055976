/**
 * The snapshot stream is what `etcdctl snapshot save` accepts: chunks whose total size is
 * a multiple of 512, then the 32-byte SHA-256 of them (etcdctl recognises the trailer by
 * the file's size); and a saved file reads back to the exact state machine snapshot, or is
 * refused when damaged.
 */
import { createHash } from 'node:crypto';
import { decodeSnapshotFile, encodeSnapshotFile, snapshotResponses, SnapshotFileError } from '../../../kv/server/snapshot-file.js';

const saved = (payload: Uint8Array, chunkBytes?: number): Buffer =>
  Buffer.concat([...snapshotResponses(encodeSnapshotFile(payload), chunkBytes)].map((r) => r.blob as Buffer));

test.each([0, 1, 490, 5_000, 100_000])('a %i-byte snapshot streams as etcd streams its database, and reads back', (size) => {
  const payload = Buffer.alloc(size, 7);
  const responses = [...snapshotResponses(encodeSnapshotFile(payload), 4096)];
  const file = Buffer.concat(responses.map((r) => r.blob as Buffer));
  expect(file.byteLength % 512).toBe(32);
  const body = file.subarray(0, file.byteLength - 32);
  expect(file.subarray(body.byteLength)).toEqual(createHash('sha256').update(body).digest());
  // Bytes still to come after each chunk, then 0 with the trailer.
  expect(responses.map((r) => Number(r.remainingBytes))).toEqual([
    ...responses.slice(0, -1).map((_, i) => Math.max(0, body.byteLength - (i + 1) * 4096)),
    0,
  ]);
  expect(Buffer.from(decodeSnapshotFile(file))).toEqual(payload);
});

test('a damaged or foreign file is refused', () => {
  const file = saved(Buffer.from('state'));
  const flipped = Buffer.from(file);
  flipped[40] ^= 1;
  expect(() => decodeSnapshotFile(flipped)).toThrow(SnapshotFileError);
  expect(() => decodeSnapshotFile(file.subarray(0, file.byteLength - 1))).toThrow('no sha256 trailer');
  const foreign = Buffer.alloc(512);
  expect(() => decodeSnapshotFile(Buffer.concat([foreign, createHash('sha256').update(foreign).digest()]))).toThrow('not a Balsa KV snapshot');
});
