/**
 * Membership changes through the log (thesis chapter 4; Raft paper §6): a conf change is
 * an entry, and takes effect on each node when that node applies it. A change of one
 * voter is made in one step (thesis §4.1). A leader accepts one change at a time, and
 * only once it has applied an entry of its own term (thesis §4.1, and the correction to
 * it published on raft-dev: without that rule, two overlapping one-member changes from
 * successive leaders can elect two leaders in one term). A change that cannot apply is
 * refused and leaves everything as it was.
 */
import { encodeConfChange } from '../../../raft/core/conf-change.js';
import { InvalidConfChangeError, ProposalDroppedError } from '../../../raft/core/errors.js';
import { EntryType } from '../../../raft/core/types.js';
import type { ConfChange } from '../../../raft/core/types.js';
import { Cluster } from './cluster.js';
import { conf, confChange, electNode1ByHand, entry, heartbeats, linesOfType, newRawNode, persistReady, render, thrown } from './fixtures.js';

function expectDropped(run: () => unknown, reason: string): void {
  const error = thrown(run);
  expect(error).toBeInstanceOf(ProposalDroppedError);
  expect(error).toMatchObject({ code: 'PROPOSAL_DROPPED', reason, retryable: true });
}

describe('one-member changes (thesis §4.1)', () => {
  test('adding a voter: every member applies the new configuration, and the new voter counts for commitment', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.addMember(4);
    c.proposeConfChange(1, confChange('v4'));
    c.stabilize();
    heartbeats(c, 1, 2); // the leader reaches 4 with its heartbeats and brings it up to date
    for (const id of [1, 2, 3, 4]) {
      expect(c.config(id)).toEqual(conf([1, 2, 3, 4]));
      expect(c.status(id).voters).toEqual([1, 2, 3, 4]);
      expect(c.node(id).confChanges).toEqual([{ index: 2, confState: conf([1, 2, 3, 4]) }]);
    }
    expect(c.storedLog(4)).toEqual(['1/1', '1/2']);

    // Four voters: the leader and one other are no longer a majority.
    c.cut(1, 3);
    c.cut(1, 4);
    c.propose(1, 'x');
    c.stabilize();
    expect(c.status(1).commit).toBe(2);
    c.heal();
    heartbeats(c, 1);
    expect(c.status(1).commit).toBe(3);
    for (const id of [1, 2, 3, 4]) expect(c.appliedData(id)).toEqual(['x']);
  });

  test('removing a voter: the leader stops replicating to it, and the remaining two are the whole quorum', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.proposeConfChange(1, confChange('r3'));
    c.stabilize();
    for (const id of [1, 2]) expect(c.config(id)).toEqual(conf([1, 2]));
    c.takeTranscript();
    c.propose(1, 'x');
    heartbeats(c, 1);
    expect(c.takeTranscript().filter((line) => line.includes('->3 ') || line.startsWith('3->'))).toEqual([]);
    expect(c.appliedData(2)).toEqual(['x']);

    c.cut(1, 2);
    c.propose(1, 'y');
    c.stabilize();
    expect(c.status(1).commit).toBe(3); // 'y' at 4 needs 2 as well
    c.heal();
    heartbeats(c, 1);
    expect(c.appliedData(2)).toEqual(['x', 'y']);
  });

  test('the change takes effect when applied, not when appended: an uncommitted change leaves the configuration as it was', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.addMember(4);
    c.cut(1, 2);
    c.cut(1, 3);
    c.proposeConfChange(1, confChange('v4'));
    c.stabilize();
    expect(c.status(1).lastIndex).toBe(2); // appended...
    expect(c.config(1)).toEqual(conf([1, 2, 3])); // ...not in force
    expect(c.node(1).confChanges).toEqual([]);
    c.heal();
    heartbeats(c, 1);
    expect(c.node(1).confChanges).toEqual([{ index: 2, confState: conf([1, 2, 3, 4]) }]);
    expect(c.config(1)).toEqual(conf([1, 2, 3, 4]));
  });

  test('advance() returns the configuration each applied conf change produced, in log order', () => {
    const { raw, storage } = newRawNode(2);
    const cc = (text: string, index: number) => ({
      ...entry(1, index),
      type: EntryType.ConfChange,
      data: encodeConfChange(confChange(text)),
    });
    raw.step({
      type: 'MsgApp',
      from: 1,
      to: 2,
      term: 1,
      logTerm: 0,
      index: 0,
      entries: [entry(1, 1), cc('l4', 2), entry(1, 3, 'x'), cc('v4', 4)],
      commit: 4,
    });
    const rd = raw.ready();
    expect(rd.committedEntries.map((e) => e.index)).toEqual([1, 2, 3, 4]);
    storage.append(rd.entries);
    if (rd.hardState !== null) storage.setHardState(rd.hardState);
    expect(raw.advance()).toEqual([
      { index: 2, confState: conf([1, 2, 3], [4]) },
      { index: 4, confState: conf([1, 2, 3, 4]) },
    ]);
    expect(raw.status().config).toEqual(conf([1, 2, 3, 4]));
  });

  test('a follower may propose a conf change: it is forwarded to the leader like any proposal', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.addMember(4);
    c.takeTranscript();
    c.proposeConfChange(3, confChange('l4'));
    c.stabilize();
    expect(linesOfType(c.takeTranscript(), 'MsgProp')).toEqual(['3->1 MsgProp Term:0 Entries:[0/0 conf(l4)]']);
    for (const id of [1, 2, 3]) expect(c.config(id)).toEqual(conf([1, 2, 3], [4]));
  });

  test('the context travels with the change, opaque to the core', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    const context = new TextEncoder().encode('10.0.0.4:2380');
    c.proposeConfChange(1, { changes: [{ type: 'add-learner', node: 4 }], context });
    c.stabilize();
    const applied = c.node(2).applied.filter((e) => e.type === EntryType.ConfChange);
    expect(applied.map((e) => e.data)).toEqual([encodeConfChange({ changes: [{ type: 'add-learner', node: 4 }], context })]);
  });
});

describe('a restarted node rebuilds its configuration (thesis §4.1)', () => {
  test('from the conf change entries in its log, re-applied after the restart', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.addMember(4);
    c.proposeConfChange(1, confChange('l4'));
    c.stabilize();
    c.proposeConfChange(1, confChange('v4'));
    c.stabilize();
    for (const id of [1, 2]) c.restart(id);
    for (const id of [1, 2]) {
      c.stabilize();
      expect(c.node(id).confChanges.map((change) => change.index)).toEqual([2, 3]);
      expect(c.config(id)).toEqual(conf([1, 2, 3, 4]));
    }
    // The cluster of four elects a leader and commits with any three.
    c.isolate(3);
    for (let i = 0; i < 60 && c.leader() === 0; i++) {
      c.tickAll();
      c.stabilize();
    }
    const leader = c.leader();
    expect([1, 2, 4]).toContain(leader);
    c.propose(leader, 'x');
    c.stabilize();
    for (const id of [1, 2, 4]) expect(c.appliedData(id)).toEqual(['x']);
  });
});

describe('a leader accepts one conf change at a time, and only after applying an entry of its term (thesis §4.1)', () => {
  test('a new leader refuses a conf change until its own no-op is applied, though it takes ordinary proposals', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.propose(1, 'a');
    c.stabilize();
    // Leadership moves to 2, whose no-op at term 2 cannot commit: its acknowledgements are lost.
    c.dropIf = (m) => m.type === 'MsgAppResp' && m.to === 2;
    c.node(1).raw.transferLeadership(2);
    c.stabilize();
    expect(c.status(2)).toMatchObject({ role: 'leader', term: 2, commit: 2, lastIndex: 3 });

    expectDropped(() => c.proposeConfChange(2, confChange('l4')), 'conf-change-pending');
    expect(c.status(2).lastIndex).toBe(3);
    c.propose(2, 'b'); // an ordinary proposal is taken
    expect(c.status(2).lastIndex).toBe(4);

    c.heal();
    heartbeats(c, 2);
    expect(c.status(2)).toMatchObject({ commit: 4, applied: 4 });
    c.proposeConfChange(2, confChange('l4'));
    c.stabilize();
    for (const id of [1, 2, 3]) expect(c.config(id)).toEqual(conf([1, 2, 3], [4]));
  });

  test('a second conf change is refused while the first is not yet applied on the leader', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.cut(1, 2);
    c.cut(1, 3);
    c.proposeConfChange(1, confChange('l4'));
    expectDropped(() => c.proposeConfChange(1, confChange('l5')), 'conf-change-pending');
    c.propose(1, 'x'); // ordinary proposals are not held up
    expect(c.status(1).lastIndex).toBe(3);

    c.heal();
    heartbeats(c, 1);
    expect(c.config(1)).toEqual(conf([1, 2, 3], [4]));
    c.proposeConfChange(1, confChange('l5'));
    c.stabilize();
    for (const id of [1, 2, 3]) expect(c.config(id)).toEqual(conf([1, 2, 3], [4, 5]));
  });

  test('“applied” means applied: a committed no-op not yet handed out for applying still holds conf changes back', () => {
    const { raw, storage } = newRawNode(1, { preVote: false });
    electNode1ByHand(raw, storage); // the no-op at 1, persisted
    raw.step({ type: 'MsgAppResp', from: 2, to: 1, term: 1, index: 1, reject: false, rejectHint: 0, logTerm: 0 });
    expect(raw.status()).toMatchObject({ role: 'leader', commit: 1, applied: 0 });
    expectDropped(() => raw.proposeConfChange(confChange('l4')), 'conf-change-pending');
    persistReady(raw, storage); // hands out and applies the no-op
    expect(raw.status().applied).toBe(1);
    raw.proposeConfChange(confChange('l4'));
    expect(raw.status().lastIndex).toBe(2);
  });

  test('a committed conf change still awaiting application on the leader holds the next one back', () => {
    const { raw, storage } = newRawNode(1, { preVote: false });
    electNode1ByHand(raw, storage);
    raw.step({ type: 'MsgAppResp', from: 2, to: 1, term: 1, index: 1, reject: false, rejectHint: 0, logTerm: 0 });
    persistReady(raw, storage);
    raw.proposeConfChange(confChange('l4'));
    persistReady(raw, storage);
    raw.step({ type: 'MsgAppResp', from: 2, to: 1, term: 1, index: 2, reject: false, rejectHint: 0, logTerm: 0 });
    expect(raw.status()).toMatchObject({ commit: 2, applied: 1 });
    expectDropped(() => raw.proposeConfChange(confChange('l5')), 'conf-change-pending');
    const rd = raw.ready();
    expect(rd.committedEntries.map((e) => e.index)).toEqual([2]);
    storage.append(rd.entries);
    if (rd.hardState !== null) storage.setHardState(rd.hardState);
    expect(raw.advance()).toEqual([{ index: 2, confState: conf([1, 2, 3], [4]) }]);
    raw.proposeConfChange(confChange('l5'));
    expect(raw.status().lastIndex).toBe(3);
  });

  test('a conf change forwarded while another is pending is dropped by the leader, silently for the follower', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.cut(1, 3);
    c.dropIf = (m) => m.type === 'MsgAppResp';
    c.proposeConfChange(1, confChange('l4'));
    c.stabilize();
    c.dropIf = null;
    c.proposeConfChange(2, confChange('l5'));
    c.stabilize();
    expect(c.status(1).lastIndex).toBe(2);
    c.heal();
    heartbeats(c, 1);
    for (const id of [1, 2, 3]) expect(c.config(id)).toEqual(conf([1, 2, 3], [4]));
  });
});

describe('an invalid conf change is refused and changes nothing (thesis §4.1)', () => {
  const invalid: [string, ConfChange][] = [
    ['removing every voter', confChange('r1 r2 r3')],
    ['leaving a joint configuration when there is none', { changes: [] }],
    ['node id 0', { changes: [{ type: 'add-voter', node: 0 }] }],
    ['the same node twice', confChange('v4 l4')],
  ];

  test.each(invalid)('%s: InvalidConfChangeError on the leader, nothing appended or sent', (_name, cc) => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.takeTranscript();
    const error = thrown(() => c.proposeConfChange(1, cc));
    expect(error).toBeInstanceOf(InvalidConfChangeError);
    expect(error).toMatchObject({ code: 'INVALID_CONF_CHANGE', retryable: false });
    c.stabilize();
    expect(c.takeTranscript()).toEqual([]);
    expect(c.status(1).lastIndex).toBe(1);
    for (const id of [1, 2, 3]) expect(c.config(id)).toEqual(conf([1, 2, 3]));
    // The refused change is not pending: a valid one is taken at once.
    c.proposeConfChange(1, confChange('l4'));
    c.stabilize();
    for (const id of [1, 2, 3]) expect(c.config(id)).toEqual(conf([1, 2, 3], [4]));
  });

  test.each(invalid)('%s, forwarded by a follower: the leader drops it', (_name, cc) => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    const error = thrown(() => c.proposeConfChange(2, cc));
    // (the follower may refuse it itself; either way nothing reaches the log)
    if (error !== null) expect(error).toBeInstanceOf(InvalidConfChangeError);
    c.stabilize();
    expect(c.status(1).lastIndex).toBe(1);
    for (const id of [1, 2, 3]) expect(c.config(id)).toEqual(conf([1, 2, 3]));
    c.proposeConfChange(2, confChange('l4'));
    c.stabilize();
    for (const id of [1, 2, 3]) expect(c.config(id)).toEqual(conf([1, 2, 3], [4]));
  });
});

describe('a node with committed, unapplied conf changes does not campaign (thesis §4.1)', () => {
  test('it ignores its election timeout and campaign() until it has applied them, then campaigns', () => {
    const { raw, storage } = newRawNode(2);
    const ccEntry = { ...entry(1, 2), type: EntryType.ConfChange, data: encodeConfChange(confChange('l4')) };
    raw.step({ type: 'MsgApp', from: 1, to: 2, term: 1, logTerm: 0, index: 0, entries: [entry(1, 1), ccEntry], commit: 2 });
    // The conf change at 2 is committed; its Ready is not handled yet, so it is not applied.
    for (let i = 0; i < 40; i++) raw.tick();
    raw.campaign();
    expect(raw.status()).toMatchObject({ role: 'follower', term: 1, commit: 2, applied: 0 });
    const rd = persistReady(raw, storage);
    expect(render(rd.messages)).toEqual(['2->1 MsgAppResp Term:1 Log:0/2']);
    expect(raw.status()).toMatchObject({ applied: 2, config: conf([1, 2, 3], [4]) });

    // Applied: now it campaigns on its own timeout (pre-vote first).
    for (let i = 0; i < 20 && raw.status().role === 'follower'; i++) raw.tick();
    expect(raw.status().role).toBe('pre-candidate');
    const campaign = persistReady(raw, storage);
    expect(render(campaign.messages)).toEqual(['2->1 MsgPreVote Term:2 Log:1/2', '2->3 MsgPreVote Term:2 Log:1/2']);
  });

  test('a conf change handed out in a Ready counts as unapplied until advance()', () => {
    const { raw, storage } = newRawNode(2);
    const ccEntry = { ...entry(1, 2), type: EntryType.ConfChange, data: encodeConfChange(confChange('l4')) };
    raw.step({ type: 'MsgApp', from: 1, to: 2, term: 1, logTerm: 0, index: 0, entries: [entry(1, 1), ccEntry], commit: 2 });
    const rd = raw.ready(); // the driver is applying it, asynchronously, while time passes
    expect(rd.committedEntries.map((e) => e.index)).toEqual([1, 2]);
    for (let i = 0; i < 40; i++) raw.tick();
    raw.campaign();
    expect(raw.status()).toMatchObject({ role: 'follower', term: 1 });
    storage.append(rd.entries);
    if (rd.hardState !== null) storage.setHardState(rd.hardState);
    raw.advance();
    raw.campaign();
    expect(raw.status().role).toBe('pre-candidate');
  });
});
