/**
 * The key space of a chaos run: each workload writes under its own prefix, so that a
 * watcher of one prefix sees exactly one workload's writes.
 */
import type { WireObject } from '../../../kv/server/etcd-proto.js';
import type { EtcdGrpcClient } from '../../support/etcd-grpc.js';

/** How long reading a whole prefix may take, in ms. */
const PREFIX_READ_TIMEOUT_MS = 30_000;

/** Prefixes by workload. Values written are unique across the run (`client:n`). */
export const PREFIXES = {
  register: 'chaos/reg/',
  ack: 'chaos/ack/',
  lease: 'chaos/lease/',
} as const;

/** etcd's range end for "every key starting with `prefix`": the prefix with its last byte below 0xff incremented. */
export function prefixEnd(prefix: Uint8Array): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]!++;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]); // every key
}

/** A linearizable read of every key under `prefix`: their values, and the revision read at. */
export async function rangePrefix(client: EtcdGrpcClient, prefix: string): Promise<{ revision: number; state: Map<string, string> }> {
  const key = Buffer.from(prefix);
  const response = await client.call('KV', 'Range', { key, rangeEnd: prefixEnd(key) }, PREFIX_READ_TIMEOUT_MS);
  const state = new Map<string, string>();
  for (const kv of (response.kvs as WireObject[] | undefined) ?? []) state.set((kv.key as Buffer).toString(), (kv.value as Buffer).toString());
  return { revision: Number((response.header as WireObject).revision), state };
}
