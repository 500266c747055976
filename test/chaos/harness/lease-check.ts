/**
 * Did the keys attached to each lease vanish the way etcd promises? Pure: the leases the
 * clients granted and the keys they attached, the events the lease-prefix watchers saw,
 * and the keys left at the end, in; anomalies out.
 *
 * For every lease (never kept alive, so it expires):
 * - its keys are deleted together, in one revision;
 * - every key that was put is deleted (the run waits for expiry before checking);
 * - a key is put at most once, and never again after its delete (it never reappears);
 * - nothing is deleted before its TTL could have run out (granted at the earliest when the
 *   client asked, deleted at the latest when a watcher heard of it);
 * - no key under the prefix is left at the end.
 */
import type { WatchedEvent, WatchLog } from './watch-check.js';

export interface LeaseRecord {
  /** The lease id, in hex (as etcdctl prints it). */
  readonly id: string;
  readonly ttlSeconds: number;
  /** When the client sent the grant (ms, the run's clock). */
  readonly grantSentAtMs: number;
  /** The keys the client attached to it, by put with the lease. */
  readonly keys: readonly string[];
}

export interface LeaseCheckInput {
  readonly leases: readonly LeaseRecord[];
  /** The logs of the watchers of the lease prefix. */
  readonly logs: readonly WatchLog[];
  /** Keys under the lease prefix still present at the end. */
  readonly remaining: readonly string[];
}

export function checkLeases(input: LeaseCheckInput): string[] {
  const anomalies: string[] = [];
  const events = mergeEvents(input.logs);
  const byKey = new Map<string, WatchedEvent[]>();
  for (const event of events) {
    const list = byKey.get(event.key);
    if (list === undefined) byKey.set(event.key, [event]);
    else list.push(event);
  }
  const owned = new Set<string>();
  for (const lease of input.leases) {
    for (const key of lease.keys) owned.add(key);
    anomalies.push(...checkLease(lease, byKey));
  }
  for (const key of byKey.keys()) if (!owned.has(key)) anomalies.push(`lease prefix: events for ${key}, which no client attached to a lease`);
  if (input.remaining.length > 0) {
    anomalies.push(`lease prefix: ${input.remaining.length} key(s) outlived their lease: ${input.remaining.slice(0, 10).join(', ')}`);
  }
  return anomalies;
}

function checkLease(lease: LeaseRecord, byKey: ReadonlyMap<string, readonly WatchedEvent[]>): string[] {
  const anomalies: string[] = [];
  const deleteRevisions = new Set<number>();
  const earliestDeleteMs = lease.grantSentAtMs + lease.ttlSeconds * 1000;
  for (const key of lease.keys) {
    const events = byKey.get(key) ?? [];
    const puts = events.filter((e) => e.type === 'put');
    const deletes = events.filter((e) => e.type === 'delete');
    if (puts.length > 1) anomalies.push(`lease ${lease.id}: ${key} put ${puts.length} times (revisions ${puts.map((e) => e.revision).join(', ')})`);
    if (puts.length > 0 && deletes.length === 0) anomalies.push(`lease ${lease.id}: ${key} (put at revision ${puts[0]!.revision}) was never deleted`);
    if (deletes.length > 1) anomalies.push(`lease ${lease.id}: ${key} deleted ${deletes.length} times (revisions ${deletes.map((e) => e.revision).join(', ')})`);
    const lastDelete = deletes[deletes.length - 1];
    for (const put of puts) {
      if (lastDelete !== undefined && put.revision > deletes[0]!.revision) {
        anomalies.push(`lease ${lease.id}: ${key} reappeared at revision ${put.revision} after its delete at ${deletes[0]!.revision}`);
      }
    }
    for (const del of deletes) {
      deleteRevisions.add(del.revision);
      if (del.receivedAtMs < earliestDeleteMs) {
        anomalies.push(`lease ${lease.id}: ${key} deleted at revision ${del.revision}, ${Math.round(earliestDeleteMs - del.receivedAtMs)} ms before its ${lease.ttlSeconds} s TTL could have run out`);
      }
    }
  }
  if (deleteRevisions.size > 1) {
    anomalies.push(`lease ${lease.id}: its keys were deleted in ${deleteRevisions.size} revisions (${[...deleteRevisions].sort((a, b) => a - b).join(', ')}), not one`);
  }
  return anomalies;
}

/** Every distinct event any log saw, in revision order, with the earliest time it was received. */
function mergeEvents(logs: readonly WatchLog[]): WatchedEvent[] {
  const merged = new Map<string, WatchedEvent>();
  for (const log of logs) {
    for (const event of log.events) {
      const id = `${event.revision}\u0000${event.key}\u0000${event.type}`;
      const known = merged.get(id);
      if (known === undefined || event.receivedAtMs < known.receivedAtMs) merged.set(id, event);
    }
  }
  return [...merged.values()].sort((a, b) => a.revision - b.revision);
}
