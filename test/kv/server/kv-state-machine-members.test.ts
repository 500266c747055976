/**
 * What the state machine replicates beside the data: member records (added, published,
 * promoted, updated, removed — a removed id stays removed), the cluster id (the first one
 * published wins), alarms (each change answers what it changed), and the NOSPACE cap
 * (while the alarm is on, writes that grow the store are refused the same way on every
 * member; deletes, compactions and revokes still apply). All of it survives a snapshot.
 */
import { encodeCommand } from '../../../kv/server/commands.js';
import type { KvCommand } from '../../../kv/server/commands.js';
import { KvStateMachine } from '../../../kv/server/kv-state-machine.js';

const text = (s: string) => new TextEncoder().encode(s);
const EMPTY = new Uint8Array(0);
const machine = () => new KvStateMachine({ now: () => 0, minLeaseTtlSeconds: 2 });
let index = 0;
const apply = (m: KvStateMachine, ...commands: KvCommand[]) => m.apply(commands.map((c) => ({ index: ++index, term: 1, data: encodeCommand(c) })));
const NO_SPACE = { grpcCode: 8, message: 'etcdserver: mvcc: database space exceeded' };

describe('member records', () => {
  test('a member added is recorded before it starts, then published, promoted, moved and removed', () => {
    const m = machine();
    const changed: number[] = [];
    m.onMemberChanged((id) => changed.push(id));
    apply(m, { kind: 'memberAdd', id: 7, peerUrls: ['http://127.0.0.1:2380'], learner: true });
    expect(m.members.get(7)).toEqual({ id: 7, name: '', peerUrls: ['http://127.0.0.1:2380'], clientUrls: [], learner: true });
    // Publishing keeps the peer URLs the add recorded.
    apply(m, { kind: 'memberAttributes', id: 7, name: 'm7', clientUrls: ['http://127.0.0.1:2379'], peerUrls: ['http://elsewhere:1'], clusterId: null });
    expect(m.members.get(7)).toEqual({ id: 7, name: 'm7', peerUrls: ['http://127.0.0.1:2380'], clientUrls: ['http://127.0.0.1:2379'], learner: true });
    apply(m, { kind: 'memberPromote', id: 7 }, { kind: 'memberUpdate', id: 7, peerUrls: ['http://127.0.0.1:2390'] });
    expect(m.members.get(7)).toMatchObject({ learner: false, peerUrls: ['http://127.0.0.1:2390'] });
    apply(m, { kind: 'memberRemove', id: 7 });
    expect(m.members.has(7)).toBe(false);
    expect(m.removedMemberIds.has(7)).toBe(true);
    // A removed member publishing late does not come back.
    apply(m, { kind: 'memberAttributes', id: 7, name: 'm7', clientUrls: [], peerUrls: [], clusterId: null });
    expect(m.members.has(7)).toBe(false);
    expect(changed).toEqual([7, 7, 7, 7, 7]);
  });

  test('a member of the initial cluster records itself when it publishes; the first cluster id published is kept', () => {
    const m = machine();
    apply(
      m,
      { kind: 'memberAttributes', id: 1, name: 'm1', clientUrls: ['http://a:2379'], peerUrls: ['http://a:2380'], clusterId: '18446744073709551615' },
      { kind: 'memberAttributes', id: 2, name: 'm2', clientUrls: ['http://b:2379'], peerUrls: ['http://b:2380'], clusterId: '5' },
    );
    expect(m.clusterId).toBe(18446744073709551615n);
    expect(m.members.get(2)).toEqual({ id: 2, name: 'm2', peerUrls: ['http://b:2380'], clientUrls: ['http://b:2379'], learner: false });
  });
});

describe('alarms and the NOSPACE cap', () => {
  test('activating and deactivating answer what changed', () => {
    const m = machine();
    const activate: KvCommand = { kind: 'alarm', action: 'activate', memberId: 3n, alarm: 'NOSPACE' };
    const deactivate: KvCommand = { kind: 'alarm', action: 'deactivate', memberId: 3n, alarm: 'NOSPACE' };
    expect(apply(m, activate, activate, deactivate, deactivate)).toEqual([
      { ok: true, kind: 'alarm', alarms: [{ memberId: 3n, alarm: 'NOSPACE' }], revision: 1 },
      { ok: true, kind: 'alarm', alarms: [], revision: 1 },
      { ok: true, kind: 'alarm', alarms: [{ memberId: 3n, alarm: 'NOSPACE' }], revision: 1 },
      { ok: true, kind: 'alarm', alarms: [], revision: 1 },
    ]);
  });

  test('while NOSPACE is on, puts, writing transactions and grants are refused; the rest applies', () => {
    const m = machine();
    apply(m, { kind: 'put', request: { key: text('a'), value: text('1') } }, { kind: 'leaseGrant', id: 9n, ttlSeconds: 60 });
    apply(m, { kind: 'alarm', action: 'activate', memberId: 3n, alarm: 'NOSPACE' });
    const before = m.store.hash();
    const writingTxn: KvCommand = {
      kind: 'txn',
      request: { compare: [], success: [], failure: [{ op: 'txn', compare: [], success: [{ op: 'put', key: text('b'), value: text('2') }], failure: [] }] },
    };
    const results = apply(m, { kind: 'put', request: { key: text('b'), value: text('2') } }, writingTxn, { kind: 'leaseGrant', id: 10n, ttlSeconds: 60 });
    expect(results).toEqual([1, 2, 3].map(() => ({ ok: false, failure: NO_SPACE, revision: 2 })));
    expect(m.store.hash()).toBe(before);
    expect(m.lessor.has(10n)).toBe(false);
    const readTxn: KvCommand = { kind: 'txn', request: { compare: [], success: [{ op: 'range', range: { key: text('a'), end: EMPTY } }], failure: [] } };
    const allowed = apply(
      m,
      readTxn,
      { kind: 'deleteRange', request: { range: { key: text('a'), end: EMPTY } } },
      { kind: 'compact', revision: 3 },
      { kind: 'leaseRevoke', id: 9n },
    );
    expect(allowed.map((r) => r.ok)).toEqual([true, true, true, true]);
    apply(m, { kind: 'alarm', action: 'deactivate', memberId: 3n, alarm: 'NOSPACE' });
    expect(apply(m, { kind: 'put', request: { key: text('b'), value: text('2') } })[0]).toMatchObject({ ok: true });
  });
});

test('a snapshot carries the member records, the removed ids and the cluster id', async () => {
  const m = machine();
  apply(
    m,
    { kind: 'memberAttributes', id: 1, name: 'm1', clientUrls: ['http://a:2379'], peerUrls: ['http://a:2380'], clusterId: '42' },
    { kind: 'memberAdd', id: 2, peerUrls: ['http://b:2380'], learner: false },
    { kind: 'memberAdd', id: 3, peerUrls: ['http://c:2380'], learner: true },
    { kind: 'memberRemove', id: 3 },
  );
  const restored = machine();
  restored.restore(await m.snapshot());
  expect([...restored.members.values()]).toEqual([...m.members.values()]);
  expect(restored.removedMemberIds).toEqual(new Set([3]));
  expect(restored.clusterId).toBe(42n);
  expect(await restored.snapshot()).toEqual(await m.snapshot());
});
