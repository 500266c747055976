/**
 * The watch check on hand-built watcher logs: logs that agree with each other, with the
 * acknowledged writes and with the final state pass; each way a watcher can be wrong (a
 * gap, a duplicate, events out of order, a phantom value, a missing acknowledged write, a
 * final state its events do not explain, not catching up) is reported.
 */
import { checkWatchLogs } from './harness/watch-check.js';
import type { AcknowledgedChange, WatchCheckInput, WatchedEvent, WatchLog } from './harness/watch-check.js';

const put = (revision: number, key: string, value: string): WatchedEvent => ({ revision, type: 'put', key, value, receivedAtMs: revision });
const del = (revision: number, key: string): WatchedEvent => ({ revision, type: 'delete', key, value: null, receivedAtMs: revision });

const EVENTS = [put(11, 'a', 'v1'), put(12, 'b', 'v2'), put(13, 'a', 'v3'), del(14, 'b'), put(15, 'c', 'v4')];

function log(name: string, events: WatchedEvent[], overrides: Partial<WatchLog> = {}): WatchLog {
  return { name, prefix: 'p/', from: 11, covered: 15, events, anomalies: [], streams: 1, ...overrides };
}

function input(logs: WatchLog[], overrides: Partial<WatchCheckInput> = {}): WatchCheckInput {
  const acknowledged: AcknowledgedChange[] = [
    { key: 'a', value: 'v1', revision: 11 },
    { key: 'b', value: null, revision: 14 },
  ];
  return {
    logs,
    acknowledged,
    issuedValues: new Set(['v1', 'v2', 'v3', 'v4', 'unacknowledged']),
    final: { revision: 15, state: new Map([['a', 'v3'], ['c', 'v4']]) },
    ...overrides,
  };
}

test('logs that agree, hold the acknowledged writes and explain the final state pass', () => {
  // w2 covers more (a progress answer at 20: revisions 16..20 touched other prefixes).
  expect(checkWatchLogs(input([log('w1', EVENTS), log('w2', EVENTS, { streams: 4, covered: 20 })]))).toEqual([]);
});

test('a revision one watcher skipped is a gap', () => {
  const skipped = EVENTS.filter((e) => e.revision !== 12);
  const anomalies = checkWatchLogs(input([log('w1', EVENTS), log('w2', skipped)]));
  expect(anomalies).toContainEqual(expect.stringMatching(/^w2: no event at revision 12, which it covers; w1 saw put b=v2@12 \(a gap\)$/));
});

test('the same event twice, and events out of order, are reported', () => {
  const twice = [...EVENTS.slice(0, 2), put(12, 'b', 'v2'), ...EVENTS.slice(2)];
  expect(checkWatchLogs(input([log('w1', twice)]))).toContainEqual(expect.stringMatching(/put b=v2@12 twice \(duplicate\)/));
  const swapped = [EVENTS[0]!, EVENTS[2]!, EVENTS[1]!, EVENTS[3]!, EVENTS[4]!];
  expect(checkWatchLogs(input([log('w1', swapped)]))).toContainEqual(expect.stringMatching(/put b=v2@12 after revision 13 \(out of order\)/));
});

test('a value no client wrote is a phantom; watchers that disagree on a revision are reported', () => {
  const phantom = [...EVENTS.slice(0, 4), put(15, 'c', 'made-up')];
  const anomalies = checkWatchLogs(input([log('w1', EVENTS), log('w2', phantom)]));
  expect(anomalies).toContainEqual(expect.stringMatching(/w2: event put c=made-up@15 puts a value no client wrote \(phantom\)/));
  expect(anomalies).toContainEqual('w2 saw put c=made-up@15 at revision 15; w1 saw put c=v4@15');
});

test('an acknowledged write missing from every watcher is reported, though the watchers agree', () => {
  const anomalies = checkWatchLogs(input([log('w1', EVENTS)], { acknowledged: [{ key: 'a', value: 'v9', revision: 13 }], issuedValues: new Set(['v1', 'v2', 'v3', 'v4', 'v9']) }));
  expect(anomalies).toEqual(['w1: the acknowledged put a=v9 at revision 13 is not among its events there (put a=v3@13)']);
});

test('events that do not lead to the final state, and a watcher that never caught up, are reported', () => {
  const anomalies = checkWatchLogs(input([log('w1', EVENTS)], { final: { revision: 15, state: new Map([['a', 'v3'], ['b', 'v2'], ['c', 'v4']]) } }));
  expect(anomalies).toEqual(['w1: its events leave b=(absent) at revision 15, but a read there gives v2']);
  const behind = checkWatchLogs(input([log('w1', EVENTS.slice(0, 3), { covered: 13 })]));
  expect(behind).toEqual(['w1: reached revision 13 only, not the final 15']);
});

test('what the watcher noticed while receiving is passed on', () => {
  expect(checkWatchLogs(input([log('w1', EVENTS, { anomalies: ['w1: watch canceled at covered revision 12: compacted at 13'] })]))).toEqual([
    'w1: watch canceled at covered revision 12: compacted at 13',
  ]);
});
