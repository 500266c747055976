/**
 * The KV's replicated state machine: every member that applies the same commands holds
 * the same state; a command the data refuses is an etcd error in the result, the same on
 * every member, not a failure; a snapshot restores the store, the leases and the alarms.
 */
import { encodeCommand } from '../../../kv/server/commands.js';
import type { KvCommand } from '../../../kv/server/commands.js';
import { KvStateMachine } from '../../../kv/server/kv-state-machine.js';

const text = (s: string) => new TextEncoder().encode(s);
const machine = () => new KvStateMachine({ now: () => 0, minLeaseTtlSeconds: 2 });
let index = 0;
const entries = (...commands: KvCommand[]) => commands.map((c) => ({ index: ++index, term: 1, data: encodeCommand(c) }));

const COMMANDS: KvCommand[] = [
  { kind: 'put', request: { key: text('a'), value: text('1') } },
  { kind: 'leaseGrant', id: 0x7ab1a21a559bf001n, ttlSeconds: 60 },
  { kind: 'put', request: { key: text('b'), value: text('2'), lease: 0x7ab1a21a559bf001n } },
  {
    kind: 'txn',
    request: {
      compare: [{ target: 'value', range: { key: text('a'), end: new Uint8Array(0) }, result: 'equal', value: text('1') }],
      success: [{ op: 'put', key: text('a'), value: text('3') }],
      failure: [],
    },
  },
  { kind: 'alarm', action: 'activate', memberId: 42n, alarm: 'NOSPACE' },
];

test('members applying the same commands end with the same state and hash', () => {
  const one = machine();
  const two = machine();
  const batch = entries(...COMMANDS);
  expect(one.apply(batch)).toEqual(two.apply(batch));
  expect(one.store.hash()).toBe(two.store.hash());
  expect(one.store.revision).toBe(4);
  expect(one.store.range({ key: text('a'), end: new Uint8Array(0) }).kvs[0]!.value).toEqual(text('3'));
});

test('a refused command is an etcd error in the result, and changes nothing', () => {
  const m = machine();
  m.apply(entries(COMMANDS[0]!));
  const before = m.store.hash();
  const [unknownLease] = m.apply(entries({ kind: 'put', request: { key: text('x'), value: text('y'), lease: 99n } }));
  expect(unknownLease).toEqual({ ok: false, failure: { grpcCode: 5, message: 'etcdserver: requested lease not found' }, revision: 2 });
  const [future] = m.apply(entries({ kind: 'compact', revision: 10 }));
  expect(future).toMatchObject({ ok: false, failure: { grpcCode: 11, message: 'etcdserver: mvcc: required revision is a future revision' } });
  expect(m.store.hash()).toBe(before);
});

test('revoking a lease deletes its keys in one revision', () => {
  const m = machine();
  m.apply(entries(...COMMANDS.slice(0, 3), { kind: 'put', request: { key: text('c'), value: text('3'), lease: 0x7ab1a21a559bf001n } }));
  const revision = m.store.revision;
  const [revoked] = m.apply(entries({ kind: 'leaseRevoke', id: 0x7ab1a21a559bf001n }));
  expect(revoked).toEqual({ ok: true, kind: 'leaseRevoke', revision: revision + 1 });
  expect(m.store.range({ key: text('b'), end: text('d') }).kvs).toEqual([]);
  expect(m.lessor.has(0x7ab1a21a559bf001n)).toBe(false);
});

test('a snapshot restores the store, the leases and the alarms, and tells the watchers', async () => {
  const m = machine();
  m.apply(entries(...COMMANDS));
  const restored = machine();
  let told = 0;
  restored.onRestore(() => told++);
  restored.restore(await m.snapshot());
  expect(told).toBe(1);
  expect(restored.store.hash()).toBe(m.store.hash());
  expect(restored.lessor.leaseIds()).toEqual([0x7ab1a21a559bf001n]);
  expect(restored.alarms).toEqual([{ memberId: 42n, alarm: 'NOSPACE' }]);
  // And it goes on from there like the original.
  const next = entries({ kind: 'put', request: { key: text('z'), value: text('9') } });
  expect(restored.apply(next)).toEqual(m.apply(next));
});

test('transactions that change one key twice in a revision apply, or are refused, on every member alike: none stops the member', async () => {
  const nested = (op: Extract<KvCommand, { kind: 'txn' }>['request']['success'][number]) => ({ op: 'txn', compare: [], success: [op], failure: [] }) as const;
  const fromK = { key: text('k'), end: Uint8Array.of(0) };
  const commands: KvCommand[] = [
    { kind: 'put', request: { key: text('k'), value: text('old') } },
    // etcd accepts both: a put and a later delete of the key share the revision.
    { kind: 'txn', request: { compare: [], success: [nested({ op: 'put', key: text('k'), value: text('1') }), nested({ op: 'deleteRange', range: { key: text('k'), end: new Uint8Array(0) } })], failure: [] } },
    { kind: 'txn', request: { compare: [], success: [{ op: 'put', key: text('k'), value: text('2') }, { op: 'deleteRange', range: fromK }], failure: [] } },
    { kind: 'put', request: { key: text('k'), value: text('3') } },
    // etcd 3.4 accepts this one, then panics applying it: Balsa refuses it.
    { kind: 'txn', request: { compare: [], success: [{ op: 'deleteRange', range: fromK }, { op: 'put', key: text('k'), value: new Uint8Array(0), ignoreValue: true }], failure: [] } },
  ];
  const one = machine();
  const two = machine();
  const results = one.apply(entries(...commands));
  expect(two.apply(entries(...commands))).toEqual(results);
  expect(results.map((r) => (r.ok ? `ok ${r.kind}` : r.failure.message))).toEqual(['ok put', 'ok txn', 'ok txn', 'ok put', 'etcdserver: key not found']);
  expect(one.store.revision).toBe(5);
  expect(one.store.hash()).toBe(two.store.hash());
  const restored = machine();
  restored.restore(await one.snapshot());
  expect(restored.store.changesSince(2)).toEqual(one.store.changesSince(2));
});

test('a CORRUPT alarm refuses every command that changes the data, on every member and after a restore, until disarmed', async () => {
  const m = machine();
  m.apply(entries(...COMMANDS.slice(0, 3)));
  m.apply(entries({ kind: 'alarm', action: 'activate', memberId: 7n, alarm: 'CORRUPT' }));
  const restored = machine();
  restored.restore(await m.snapshot());
  const lease = 0x7ab1a21a559bf001n;
  const readOnly: KvCommand = {
    kind: 'txn',
    request: { compare: [], success: [{ op: 'range', range: { key: text('a'), end: new Uint8Array(0) } }], failure: [] },
  };
  const refused: KvCommand[] = [
    { kind: 'put', request: { key: text('x'), value: text('y') } },
    { kind: 'deleteRange', request: { range: { key: text('a'), end: new Uint8Array(0) } } },
    // A transaction that may write is refused whichever branch it would take.
    { kind: 'txn', request: { compare: [], success: [], failure: [{ op: 'deleteRange', range: { key: text('a'), end: new Uint8Array(0) } }] } },
    { kind: 'compact', revision: 2 },
    { kind: 'leaseGrant', id: 5n, ttlSeconds: 60 },
    { kind: 'leaseRevoke', id: lease },
  ];
  for (const member of [m, restored]) {
    const before = member.store.hash();
    const results = member.apply(entries(...refused));
    for (const result of results) expect(result).toEqual({ ok: false, failure: { grpcCode: 15, message: 'etcdserver: corrupt cluster' }, revision: 3 });
    expect(member.store.hash()).toBe(before);
    expect(member.lessor.leaseIds()).toEqual([lease]);
    expect(member.apply(entries(readOnly))[0]).toMatchObject({ ok: true, kind: 'txn' });
    expect(member.apply(entries({ kind: 'alarm', action: 'deactivate', memberId: 7n, alarm: 'CORRUPT' }))[0]).toMatchObject({ ok: true, alarms: [{ memberId: 7n, alarm: 'CORRUPT' }] });
    expect(member.apply(entries(refused[0]!))[0]).toMatchObject({ ok: true, kind: 'put', response: { revision: 4 } });
  }
});
