/**
 * What `etcdctl snapshot save` receives from Maintenance.Snapshot, and how to read it back.
 *
 * etcd streams its bbolt file (whose size is a multiple of the page size) and then the
 * SHA-256 of those bytes; etcdctl writes everything to the file and recognises the
 * trailer by the size (a multiple of 512, plus 32). Balsa has no bbolt file: it streams
 * its state machine snapshot in an envelope — a magic line, a version, the payload's
 * length, the payload, zero padding to 512 bytes — then the SHA-256 of all that. So
 * `snapshot save` works and its file is checked end to end; `etcdctl snapshot status` and
 * `snapshot restore` open bbolt files and refuse it.
 */
import { createHash } from 'node:crypto';
import { SNAPSHOT_ALIGNMENT_BYTES, SNAPSHOT_CHUNK_BYTES } from './constants.js';
import type { WireObject } from './etcd-proto.js';

const MAGIC = Buffer.from('BALSA-KV-SNAPSHOT\n', 'latin1');
const VERSION = 1;
/** Magic, u32 version, u64 payload length. */
const HEADER_BYTES = MAGIC.byteLength + 4 + 8;
const SHA256_BYTES = 32;

/** The envelope around a state machine snapshot: header, payload, padding (no trailer). */
export function encodeSnapshotFile(payload: Uint8Array): Buffer {
  const unpadded = HEADER_BYTES + payload.byteLength;
  const size = Math.ceil(unpadded / SNAPSHOT_ALIGNMENT_BYTES) * SNAPSHOT_ALIGNMENT_BYTES;
  const file = Buffer.alloc(size);
  MAGIC.copy(file, 0);
  file.writeUInt32BE(VERSION, MAGIC.byteLength);
  file.writeBigUInt64BE(BigInt(payload.byteLength), MAGIC.byteLength + 4);
  file.set(payload, HEADER_BYTES);
  return file;
}

/**
 * The Maintenance.Snapshot responses for `file`: chunks with the bytes remaining after
 * each, then the SHA-256 of the whole file with 0 remaining (as etcd sends them).
 */
export function* snapshotResponses(file: Buffer, chunkBytes = SNAPSHOT_CHUNK_BYTES): Generator<WireObject> {
  const hash = createHash('sha256');
  for (let offset = 0; offset < file.byteLength; offset += chunkBytes) {
    const blob = file.subarray(offset, Math.min(file.byteLength, offset + chunkBytes));
    hash.update(blob);
    yield { remainingBytes: String(file.byteLength - offset - blob.byteLength), blob };
  }
  yield { remainingBytes: '0', blob: hash.digest() };
}

export class SnapshotFileError extends Error {
  constructor(message: string) {
    super(`snapshot file: ${message}`);
    this.name = 'SnapshotFileError';
  }
}

/** The state machine snapshot in a file `etcdctl snapshot save` wrote, after checking its trailer and envelope. */
export function decodeSnapshotFile(bytes: Uint8Array): Uint8Array {
  const file = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (file.byteLength % SNAPSHOT_ALIGNMENT_BYTES !== SHA256_BYTES) throw new SnapshotFileError(`size ${file.byteLength} has no sha256 trailer`);
  const body = file.subarray(0, file.byteLength - SHA256_BYTES);
  if (!createHash('sha256').update(body).digest().equals(file.subarray(body.byteLength))) throw new SnapshotFileError('sha256 mismatch');
  if (!body.subarray(0, MAGIC.byteLength).equals(MAGIC)) throw new SnapshotFileError('not a Balsa KV snapshot');
  const version = body.readUInt32BE(MAGIC.byteLength);
  if (version !== VERSION) throw new SnapshotFileError(`version ${version} is not ${VERSION}`);
  const length = Number(body.readBigUInt64BE(MAGIC.byteLength + 4));
  if (HEADER_BYTES + length > body.byteLength) throw new SnapshotFileError(`payload of ${length} bytes is longer than the file`);
  return body.subarray(HEADER_BYTES, HEADER_BYTES + length);
}
