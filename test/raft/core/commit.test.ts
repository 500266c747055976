/**
 * When entries are committed (§5.3, §5.4.2): an entry of the leader's term commits once a
 * majority holds it; an entry of an earlier term is never committed by counting its
 * replicas (Figure 8), only by committing a later entry of the current term — which is why
 * a new leader appends an empty entry at once.
 */
import type { Entry, Message } from '../../../raft/core/types.js';
import { Cluster } from './cluster.js';

describe('committing entries of the current term (§5.3)', () => {
  test('an entry commits once a majority of 5 holds it, and not before', () => {
    const c = new Cluster([1, 2, 3, 4, 5]);
    c.campaign(1);
    for (const id of [3, 4, 5]) c.cut(1, id);
    c.propose(1, 'x');
    c.stabilize();
    expect(c.status(1).progress?.get(2)?.match).toBe(2);
    expect(c.status(1).commit).toBe(1); // 2 of 5 hold it

    c.heal();
    c.cut(1, 4);
    c.cut(1, 5);
    c.tick(1); // the heartbeat round lets the leader resend to 3
    c.stabilize();
    expect(c.status(1).commit).toBe(2); // 3 of 5 hold it
    for (const id of [1, 2, 3]) expect(c.appliedData(id)).toEqual(['x']);
    for (const id of [4, 5]) expect(c.appliedData(id)).toEqual([]);
  });

  test('a follower’s acknowledgement of the entry is what lets the leader commit it', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.propose(1, 'x');
    const apps = c.takeOutgoing();
    expect(apps.map((m) => `${m.type}->${m.to}`)).toEqual(['MsgApp->2', 'MsgApp->3']);
    c.deliver(apps[0]!);
    expect(c.status(1).commit).toBe(1);
    const [ack] = c.takeOutgoing();
    expect(ack).toMatchObject({ type: 'MsgAppResp', from: 2, index: 2, reject: false });
    c.deliver(ack!);
    expect(c.status(1).commit).toBe(2);
  });
});

describe('the new leader’s empty entry (§5.4.2, §8)', () => {
  test('a new leader appends an empty entry of its term and replicates it at once', () => {
    const c = new Cluster([1, 2, 3], { preVote: false });
    c.campaign(1);
    const apps = c.takeTranscript().filter((l) => l.includes(' MsgApp ') && l.includes('Entries'));
    expect(apps).toEqual(['1->2 MsgApp Term:1 Log:0/0 Commit:0 Entries:[1/1]', '1->3 MsgApp Term:1 Log:0/0 Commit:0 Entries:[1/1]']);
    const noop = c.node(2).applied[0]!;
    expect(noop).toMatchObject({ term: 1, index: 1 });
    expect(noop.data.byteLength).toBe(0);
  });

  test('entries a predecessor left uncommitted are committed by committing the new leader’s empty entry', () => {
    const c = new Cluster([1, 2, 3], { preVote: false, checkQuorum: false });
    c.campaign(1);
    // x reaches 2, but 2's acknowledgement is lost: 1 never commits it.
    c.cut(1, 3);
    c.dropIf = (m) => m.type === 'MsgAppResp' && m.from === 2;
    c.propose(1, 'x');
    c.stabilize();
    expect(c.storedLog(2)).toEqual(['1/1', '1/2']);
    expect(c.status(1).commit).toBe(1);

    c.heal();
    c.isolate(1);
    c.takeTranscript();
    c.campaign(2);
    expect(c.takeTranscript().filter((l) => l.startsWith('2->3 MsgApp'))).toEqual([
      '2->3 MsgApp Term:2 Log:1/2 Commit:1 Entries:[2/3]',
      '2->3 MsgApp Term:2 Log:1/1 Commit:1 Entries:[1/2 x, 2/3]',
      '2->3 MsgApp Term:2 Log:2/3 Commit:3',
    ]);
    expect(c.status(2)).toMatchObject({ role: 'leader', term: 2, commit: 3 });
    for (const id of [2, 3]) expect(c.appliedData(id)).toEqual(['x']);
  });
});

/**
 * Figure 8 of the paper, step by step, on 5 nodes. Terms are one lower than the paper's
 * (our term 1 is its term 2, and so on), and each leader's empty entry takes an index:
 *
 * (a) 1 leads term 1 and replicates x (1/2) to 2 only.
 * (b) 1 crashes; 5 is elected for term 2 with the votes of 3, 4, 5 and appends 2/2 locally.
 * (c) 5 crashes; 1 restarts, is elected for term 3 and replicates x to 3 and 4: x (term 1)
 *     is now on a majority. Every append that would install 1's own term-3 entry is lost.
 * (d) 1 crashes; 5 restarts, is elected for term 4 with the votes of 2, 3, 4 (its last
 *     term 2 beats their 1) and overwrites x everywhere.
 *
 * Had 1 committed x in (c) because a majority held it, (d) would replace a committed
 * entry: exactly what the rule of §5.4.2 forbids.
 */
function figure8(options: { commitPriorTerm: boolean; loseCurrentTermEntry: boolean }): Cluster {
  const c = new Cluster([1, 2, 3, 4, 5], {
    preVote: false,
    checkQuorum: false,
    maxSizePerMessageBytes: 1, // one entry per MsgApp, so x can travel without 1's term-3 entry
    testingBugs: { commitPriorTerm: options.commitPriorTerm },
  });
  c.campaign(1);
  expect(c.status(1).commit).toBe(1);

  // (a)
  for (const a of [1, 2]) for (const b of [3, 4, 5]) c.cut(a, b);
  c.propose(1, 'x');
  c.stabilize();
  expect(c.storedLog(2)).toEqual(['1/1', '1/2']);
  expect(c.status(1).commit).toBe(1);

  // (b) 5's votes arrive, its appends do not.
  c.dropIf = (m) => m.type === 'MsgApp' && m.from === 5;
  c.campaign(5);
  expect(c.status(5)).toMatchObject({ role: 'leader', term: 2 });
  expect(c.storedLog(5)).toEqual(['1/1', '2/2']);
  expect(c.storedLog(3)).toEqual(['1/1']);

  // (c) 3 and 4 voted for 5 in term 2, so 1's first campaign (term 2) fails; its second wins.
  c.heal();
  c.isolate(5);
  c.restart(1);
  if (options.loseCurrentTermEntry) {
    const wouldInstall = (m: Message): boolean =>
      m.type === 'MsgApp' && m.entries.some((e) => e.term === 3) && (m.index === 0 || c.storedLog(m.to).includes(`${m.logTerm}/${m.index}`));
    c.dropIf = wouldInstall;
  }
  c.campaign(1);
  expect(c.status(1).role).toBe('candidate');
  c.campaign(1);
  expect(c.status(1)).toMatchObject({ role: 'leader', term: 3 });
  return c;
}

/** The entry each node applied at `index` (undefined when it applied none there). */
function appliedAt(c: Cluster, id: number, index: number): Entry | undefined {
  return c.node(id).applied.find((e) => e.index === index);
}

describe('committing entries from previous terms (§5.4.2, Figure 8)', () => {
  test('(c) the leader does not commit the term-1 entry although a majority holds it', () => {
    const c = figure8({ commitPriorTerm: false, loseCurrentTermEntry: true });
    for (const id of [1, 3, 4]) expect(c.storedLog(id).slice(0, 2)).toEqual(['1/1', '1/2']);
    const progress = c.status(1).progress!;
    expect([progress.get(3)!.match, progress.get(4)!.match]).toEqual([2, 2]);
    expect(c.status(1)).toMatchObject({ commit: 1, lastIndex: 3 });
    for (const id of c.ids) expect(c.appliedData(id)).toEqual([]);
  });

  test('(d) so a later leader may overwrite it, and every node applies the same entries', () => {
    const c = figure8({ commitPriorTerm: false, loseCurrentTermEntry: true });
    c.heal();
    c.isolate(1);
    c.restart(5);
    c.campaign(5); // term 3: 2, 3 and 4 voted for 1 in term 3
    c.campaign(5);
    expect(c.status(5)).toMatchObject({ role: 'leader', term: 4, commit: 3 });
    for (const id of [2, 3, 4, 5]) expect(c.storedLog(id)).toEqual(['1/1', '2/2', '4/3']);

    c.heal();
    c.tick(5);
    c.stabilize();
    expect(c.storedLog(1)).toEqual(['1/1', '2/2', '4/3']);
    for (const id of c.ids) {
      expect(appliedAt(c, id, 2)).toMatchObject({ term: 2, index: 2 });
      expect(c.appliedData(id)).toEqual([]);
    }
  });

  test('with testingBugs.commitPriorTerm the leader commits x by counting replicas, and (d) then commits a different entry at the same index', () => {
    const c = figure8({ commitPriorTerm: true, loseCurrentTermEntry: true });
    expect(c.status(1).commit).toBe(2);
    expect(c.appliedData(1)).toEqual(['x']);

    c.heal();
    c.isolate(1);
    c.restart(5);
    c.campaign(5);
    c.campaign(5);
    expect(c.status(5)).toMatchObject({ role: 'leader', term: 4, commit: 3 });
    // State machine safety is broken: index 2 was applied as x on 1 and as 5's entry elsewhere.
    expect(appliedAt(c, 1, 2)).toMatchObject({ term: 1, index: 2 });
    for (const id of [2, 3, 4, 5]) expect(appliedAt(c, id, 2)).toMatchObject({ term: 2, index: 2 });
  });

  test('(e) once the leader commits an entry of its own term, x is committed with it and 5 can no longer be elected', () => {
    const c = figure8({ commitPriorTerm: false, loseCurrentTermEntry: false });
    c.tick(1);
    c.stabilize();
    expect(c.status(1).commit).toBe(3);
    for (const id of [1, 2, 3, 4]) expect(c.appliedData(id)).toEqual(['x']);

    c.heal();
    c.isolate(1);
    c.restart(5);
    for (let i = 0; i < 3; i++) c.campaign(5);
    expect(c.status(5).role).toBe('follower'); // refused by every voter it reached
    expect(c.takeTranscript().filter((l) => l.includes('MsgVoteResp') && l.startsWith('2->5'))).toEqual([
      '2->5 MsgVoteResp Term:3 Rejected', // (2 voted for 1 in term 3)
      '2->5 MsgVoteResp Term:4 Rejected', // 5's log (last term 2) is behind 2's (last term 3)
      '2->5 MsgVoteResp Term:5 Rejected',
    ]);
  });
});
