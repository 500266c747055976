/**
 * The lease check on hand-built watcher logs: keys deleted together after their TTL pass;
 * keys deleted in two revisions, deleted too early, never deleted, put again after their
 * delete, left at the end, or belonging to no lease are reported.
 */
import { checkLeases } from './harness/lease-check.js';
import type { LeaseRecord } from './harness/lease-check.js';
import type { WatchedEvent, WatchLog } from './harness/watch-check.js';

const put = (revision: number, key: string, atMs = 0): WatchedEvent => ({ revision, type: 'put', key, value: `v${revision}`, receivedAtMs: atMs });
const del = (revision: number, key: string, atMs = 10_000): WatchedEvent => ({ revision, type: 'delete', key, value: null, receivedAtMs: atMs });

const LEASE: LeaseRecord = { id: 'a1', ttlSeconds: 2, grantSentAtMs: 1_000, keys: ['l/a1/0', 'l/a1/1', 'l/a1/2'] };

function log(events: WatchedEvent[], name = 'w1'): WatchLog {
  return { name, prefix: 'l/', from: 1, covered: 100, events, anomalies: [], streams: 1 };
}

test('keys deleted together once the TTL has passed (seen by several watchers) pass', () => {
  const events = [put(2, 'l/a1/0'), put(3, 'l/a1/1'), del(9, 'l/a1/0', 5_000), del(9, 'l/a1/1', 5_000)];
  // The third key's put never applied (the lease had expired); a second watcher heard later.
  expect(checkLeases({ leases: [LEASE], logs: [log(events), log(events.map((e) => ({ ...e, receivedAtMs: e.receivedAtMs + 50 })), 'w2')], remaining: [] })).toEqual([]);
});

test('keys of one lease deleted in two revisions', () => {
  const events = [put(2, 'l/a1/0'), put(3, 'l/a1/1'), del(9, 'l/a1/0'), del(10, 'l/a1/1')];
  expect(checkLeases({ leases: [LEASE], logs: [log(events)], remaining: [] })).toEqual(['lease a1: its keys were deleted in 2 revisions (9, 10), not one']);
});

test('a key deleted before the TTL could have run out', () => {
  const events = [put(2, 'l/a1/0'), del(9, 'l/a1/0', 2_500)];
  expect(checkLeases({ leases: [LEASE], logs: [log(events)], remaining: [] })).toEqual([
    'lease a1: l/a1/0 deleted at revision 9, 500 ms before its 2 s TTL could have run out',
  ]);
});

test('a key never deleted, and keys left at the end', () => {
  const events = [put(2, 'l/a1/0'), put(3, 'l/a1/1'), del(9, 'l/a1/0')];
  expect(checkLeases({ leases: [LEASE], logs: [log(events)], remaining: ['l/a1/1'] })).toEqual([
    'lease a1: l/a1/1 (put at revision 3) was never deleted',
    'lease prefix: 1 key(s) outlived their lease: l/a1/1',
  ]);
});

test('a key that reappears after its delete, and a key of no lease', () => {
  const events = [put(2, 'l/a1/0'), del(9, 'l/a1/0'), put(11, 'l/a1/0'), put(12, 'l/zz/0')];
  expect(checkLeases({ leases: [LEASE], logs: [log(events)], remaining: [] })).toEqual([
    'lease a1: l/a1/0 put 2 times (revisions 2, 11)',
    'lease a1: l/a1/0 reappeared at revision 11 after its delete at 9',
    'lease prefix: events for l/zz/0, which no client attached to a lease',
  ]);
});
