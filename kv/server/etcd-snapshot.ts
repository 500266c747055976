/**
 * What Maintenance.Snapshot streams, as etcd 3.4 streams it: the member's backend
 * database — a bbolt file in etcd's layout (`kv/backend/`) — in 32 KiB chunks, each with
 * the bytes still to come, then one last message with the SHA-256 of the whole file and
 * 0 remaining. The server writes the trailer; `etcdctl snapshot save` writes every blob
 * it receives, trailer included, to the file. `snapshot restore` recognises the trailer
 * by the file's size (a multiple of 512, plus 32), checks it and cuts it off;
 * `snapshot status` opens the bbolt file directly (bbolt reads no further than its pages).
 *
 * The file is laid out when the call starts, from a point-in-time view of the state
 * (`MvccStore.records()` and copies of the small parts), and its pages are produced as
 * the stream drains: writes applied meanwhile do not reach it, and it is never whole in
 * memory.
 */
import { createHash } from 'node:crypto';
import { planEtcdBackendFile } from '../backend/index.js';
import type { EtcdBackendState } from '../backend/index.js';
import type { BoltFile } from '../backend/bolt/index.js';
import { ETCD_API_VERSION, SNAPSHOT_CHUNK_BYTES } from './constants.js';
import type { WireObject } from './etcd-proto.js';
import type { KvStateMachine } from './kv-state-machine.js';

/** The state of `machine` as etcd's backend would hold it after applying Raft entry `appliedIndex`. */
export function etcdBackendStateOf(machine: KvStateMachine, appliedIndex: number): EtcdBackendState {
  return {
    consistentIndex: appliedIndex,
    compactRevision: machine.store.compactRevision(),
    records: machine.store.records(),
    leases: machine.lessor.snapshot().leases,
    alarms: machine.alarms.flatMap((a) => (a.alarm === 'NONE' ? [] : [{ memberId: a.memberId, alarm: a.alarm }])),
    members: [...machine.members.values()].sort((a, b) => a.id - b.id),
    removedMemberIds: [...machine.removedMemberIds].sort((a, b) => a - b),
    clusterVersion: ETCD_API_VERSION,
  };
}

/** The snapshot file of `machine`, laid out now (see the file comment). */
export function snapshotFileOf(machine: KvStateMachine, appliedIndex: number): BoltFile {
  return planEtcdBackendFile(etcdBackendStateOf(machine, appliedIndex));
}

/**
 * The Maintenance.Snapshot responses for `file`: chunks of `chunkBytes` (the last one
 * shorter) with the bytes remaining after each, then the SHA-256 of the file with 0
 * remaining.
 */
export function* snapshotResponses(file: BoltFile, chunkBytes = SNAPSHOT_CHUNK_BYTES): Generator<WireObject> {
  const hash = createHash('sha256');
  let sent = 0;
  for (const blob of rechunk(file.pages(), chunkBytes)) {
    hash.update(blob);
    sent += blob.byteLength;
    yield { remainingBytes: String(file.sizeBytes - sent), blob };
  }
  if (sent !== file.sizeBytes) throw new Error(`snapshot stream: ${sent} bytes sent of ${file.sizeBytes}`);
  yield { remainingBytes: '0', blob: hash.digest() };
}

/** `buffers` cut and joined into pieces of exactly `chunkBytes` (the last may be shorter). */
function* rechunk(buffers: Iterable<Buffer>, chunkBytes: number): Generator<Buffer> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for (const buffer of buffers) {
    let rest = buffer;
    while (rest.byteLength > 0) {
      const take = Math.min(chunkBytes - pendingBytes, rest.byteLength);
      pending.push(rest.subarray(0, take));
      pendingBytes += take;
      rest = rest.subarray(take);
      if (pendingBytes === chunkBytes) {
        yield Buffer.concat(pending, chunkBytes);
        pending = [];
        pendingBytes = 0;
      }
    }
  }
  if (pendingBytes > 0) yield Buffer.concat(pending, pendingBytes);
}
