/**
 * Pre-vote (thesis §9.6): a node first asks whether it could win an election at term+1,
 * without changing anyone's term, so that a node returning from a partition cannot depose
 * a healthy leader (thesis §4.2.3, disruptive servers).
 */
import { MemoryStorage } from '../../../raft/storage/memory-storage.js';
import { Cluster } from './cluster.js';
import { linesOfType, newRawNode, persistReady, render } from './fixtures.js';

function tickAllAndSettle(c: Cluster, ticks: number): void {
  for (let i = 0; i < ticks; i++) {
    c.tickAll();
    c.stabilize();
  }
}

describe('pre-vote (thesis §9.6)', () => {
  test('a partitioned node keeps its term while isolated and does not disrupt the leader when it rejoins', () => {
    const c = new Cluster([1, 2, 3]); // pre-vote and check-quorum are on by default
    c.campaign(1);
    c.isolate(3);
    tickAllAndSettle(c, 100);
    // It has been campaigning all along, but only in pre-vote rounds.
    expect(linesOfType(c.takeTranscript(), 'MsgPreVote').length).toBeGreaterThan(0);
    expect(c.status(3).term).toBe(1);
    expect(c.status(3).role).toBe('pre-candidate');

    c.heal();
    tickAllAndSettle(c, 30);
    const transcript = c.takeTranscript();
    expect(linesOfType(transcript, 'MsgVote')).toEqual([]);
    // Whoever heard a pre-vote ignored it: they hear their leader (leader stickiness).
    expect(linesOfType(transcript, 'MsgPreVoteResp')).toEqual([]);
    for (const id of c.ids) expect(c.status(id)).toMatchObject({ term: 1, leader: 1 });
    expect(c.status(3).role).toBe('follower');
  });

  test('a pre-candidate hearing the leader of its term returns to being its follower', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.isolate(3);
    c.tick(3, 20); // past any randomized timeout: it is now a pre-candidate
    c.stabilize();
    expect(c.status(3)).toMatchObject({ role: 'pre-candidate', term: 1, leader: 0 });
    c.heal();
    c.takeTranscript();
    c.tick(1);
    c.stabilize();
    expect(c.takeTranscript()).toEqual([
      '1->2 MsgHeartbeat Term:1 Commit:1',
      '1->3 MsgHeartbeat Term:1 Commit:1',
      '2->1 MsgHeartbeatResp Term:1',
      '3->1 MsgHeartbeatResp Term:1',
    ]);
    expect(c.status(3)).toMatchObject({ role: 'follower', term: 1, leader: 1 });
  });

  test('without pre-vote (and without check-quorum) the isolated node inflates its term and forces a new election', () => {
    const c = new Cluster([1, 2, 3], { preVote: false, checkQuorum: false });
    c.campaign(1);
    c.isolate(3);
    tickAllAndSettle(c, 100);
    const inflated = c.status(3).term;
    expect(inflated).toBeGreaterThan(3);
    expect(c.status(1)).toMatchObject({ role: 'leader', term: 1 });

    c.heal();
    tickAllAndSettle(c, 40);
    // The healthy leader of term 1 was deposed: everyone moved past the inflated term.
    const leader = c.leader();
    expect(leader).not.toBe(0);
    expect(c.status(leader).term).toBeGreaterThan(inflated);
    for (const id of c.ids) expect(c.status(id).term).toBe(c.status(leader).term);
  });

  test('a pre-vote reaching a follower within its leader’s lease is ignored (leader stickiness, thesis §4.2.3)', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.takeTranscript();
    c.isolate(1);
    c.tick(3, 9); // 3 last heard from 1 nine ticks ago: less than electionTicks
    c.tick(2, 20); // past any randomized timeout: 2 campaigns
    c.stabilize();
    expect(c.takeTranscript()).toEqual(['DROP 2->1 MsgPreVote Term:2 Log:1/1', '2->3 MsgPreVote Term:2 Log:1/1']);
    expect(c.status(2)).toMatchObject({ role: 'pre-candidate', term: 1 });
    expect(c.status(3)).toMatchObject({ role: 'follower', term: 1, leader: 1 });
  });

  test('a pre-candidate persists nothing and keeps its term; only a pre-vote quorum starts the real election at term+1', () => {
    const { raw, storage } = newRawNode(1);
    raw.campaign();
    const pre = persistReady(raw, storage);
    expect(render(pre.messages)).toEqual(['1->2 MsgPreVote Term:1 Log:0/0', '1->3 MsgPreVote Term:1 Log:0/0']);
    expect(pre.hardState).toBeNull();
    expect(pre.softState).toEqual({ role: 'pre-candidate', leader: 0 });
    expect(raw.status().term).toBe(0);

    raw.step({ type: 'MsgPreVoteResp', from: 2, to: 1, term: 1, reject: false });
    const real = raw.ready();
    expect(render(real.messages)).toEqual(['1->2 MsgVote Term:1 Log:0/0', '1->3 MsgVote Term:1 Log:0/0']);
    expect(real.hardState).toEqual({ term: 1, vote: 1, commit: 0 });
    expect(real.softState).toEqual({ role: 'candidate', leader: 0 });
  });

  test('a pre-candidate refused by a quorum returns to follower without having changed its term', () => {
    const storage = new MemoryStorage([1, 2, 3]);
    storage.setHardState({ term: 1, vote: 0, commit: 0 });
    const { raw } = newRawNode(1, { storage });
    raw.campaign();
    persistReady(raw, storage);
    // Rejections come at the voters' own term (1).
    raw.step({ type: 'MsgPreVoteResp', from: 2, to: 1, term: 1, reject: true });
    expect(raw.status()).toMatchObject({ role: 'pre-candidate', term: 1 });
    raw.step({ type: 'MsgPreVoteResp', from: 3, to: 1, term: 1, reject: true });
    expect(raw.status()).toMatchObject({ role: 'follower', term: 1, vote: 0 });
    expect(raw.hasReady()).toBe(true);
    expect(raw.ready().hardState).toBeNull();
  });

  test('granting a pre-vote for a higher term changes neither the voter’s term nor its vote', () => {
    const { raw, storage } = newRawNode(2);
    raw.step({ type: 'MsgVote', from: 1, to: 2, term: 1, index: 0, logTerm: 0, transfer: false });
    persistReady(raw, storage); // voted for 1 in term 1
    raw.step({ type: 'MsgPreVote', from: 3, to: 2, term: 5, index: 0, logTerm: 0, transfer: false });
    const rd = raw.ready();
    // The grant is at the proposed term (so the pre-candidate counts it) ...
    expect(render(rd.messages)).toEqual(['2->3 MsgPreVoteResp Term:5']);
    // ... but nothing about the voter changed, so there is nothing to persist.
    expect(rd.hardState).toBeNull();
    expect(raw.status()).toMatchObject({ term: 1, vote: 1 });
  });

  test('a pre-vote from a candidate with a stale log is refused at the voter’s own term', () => {
    const { raw, storage } = newRawNode(2);
    raw.step({ type: 'MsgApp', from: 1, to: 2, term: 3, index: 0, logTerm: 0, commit: 0, entries: [{ term: 3, index: 1, type: 0, data: new Uint8Array() }] });
    persistReady(raw, storage);
    raw.tick(); // (a follower that has heard from a leader ignores pre-votes only within its lease)
    for (let i = 0; i < 10; i++) raw.tick();
    persistReady(raw, storage);
    raw.step({ type: 'MsgPreVote', from: 3, to: 2, term: 4, index: 0, logTerm: 0, transfer: false });
    const rd = raw.ready();
    expect(render(rd.messages)).toEqual(['2->3 MsgPreVoteResp Term:3 Rejected']);
  });
});
