/**
 * The key space of a chaos run: each workload writes under its own prefix, so that a
 * watcher of one prefix sees exactly one workload's writes.
 */

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
