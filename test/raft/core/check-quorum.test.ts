/**
 * Check-quorum and leader stickiness (thesis §4.2.3, disruptive servers; §6.2): a leader
 * that cannot hear a quorum steps down within an election timeout, and followers that hear
 * a live leader disregard vote requests — except those a leadership transfer asks for.
 */
import { Cluster } from './cluster.js';
import { linesOfType } from './fixtures.js';

function tickAndSettle(c: Cluster, ids: readonly number[], ticks: number): void {
  for (let i = 0; i < ticks; i++) {
    for (const id of ids) c.tick(id);
    c.stabilize();
  }
}

describe('check-quorum (thesis §6.2)', () => {
  test('a leader cut off from a quorum steps down one election timeout after its last successful check', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    // A check-quorum period with everyone answering; the isolation starts right at the
    // check that ends it (tick 10), before that tick's heartbeat is answered.
    tickAndSettle(c, [1], 9);
    c.tick(1);
    c.isolate(1);
    c.stabilize();
    expect(c.status(1).role).toBe('leader');

    tickAndSettle(c, [1], 9);
    expect(c.status(1).role).toBe('leader');
    tickAndSettle(c, [1], 1);
    expect(c.status(1)).toMatchObject({ role: 'follower', term: 1, leader: 0 });
  });

  test('wherever in its period the leader is cut off, it steps down within 2·electionTicks, and the majority elects a new leader', () => {
    for (let offset = 0; offset < 10; offset++) {
      const c = new Cluster([1, 2, 3]);
      c.campaign(1);
      tickAndSettle(c, [1, 2, 3], offset);
      c.isolate(1);
      let ticks = 0;
      while (c.status(1).role === 'leader') {
        tickAndSettle(c, [1, 2, 3], 1);
        ticks++;
        expect(ticks).toBeLessThanOrEqual(20);
      }
      tickAndSettle(c, [1, 2, 3], 40);
      const leader = c.leader();
      expect([2, 3]).toContain(leader);
      expect(c.status(leader).term).toBe(2);
    }
  });

  test('without check-quorum an isolated leader stays leader indefinitely', () => {
    const c = new Cluster([1, 2, 3], { checkQuorum: false });
    c.campaign(1);
    c.isolate(1);
    tickAndSettle(c, [1], 200);
    expect(c.status(1)).toMatchObject({ role: 'leader', term: 1 });
  });

  test('a leader that hears from just a quorum stays leader', () => {
    const c = new Cluster([1, 2, 3, 4, 5]);
    c.campaign(1);
    c.cut(1, 4);
    c.cut(1, 5);
    tickAndSettle(c, [1], 100);
    expect(c.status(1)).toMatchObject({ role: 'leader', term: 1 });
  });
});

describe('leader stickiness (thesis §4.2.3)', () => {
  test('followers hearing a live leader ignore a disruptive candidate, which never wins', () => {
    // 2 cannot hear 1 (a one-way fault), so it times out and campaigns, again and again.
    // Without pre-vote its term climbs, but 3 hears 1 and disregards it.
    const c = new Cluster([1, 2, 3], { preVote: false });
    c.campaign(1);
    c.cutOneWay(1, 2);
    c.takeTranscript();
    tickAndSettle(c, [1, 2, 3], 100);
    const transcript = c.takeTranscript();
    expect(linesOfType(transcript, 'MsgVote').length).toBeGreaterThan(2);
    expect(linesOfType(transcript, 'MsgVoteResp')).toEqual([]);
    expect(c.status(2).term).toBeGreaterThan(3);
    expect(c.status(1)).toMatchObject({ role: 'leader', term: 1 });
    expect(c.status(3)).toMatchObject({ role: 'follower', term: 1, leader: 1 });
  });

  test('without check-quorum the same follower grants the vote and the leader is deposed', () => {
    const c = new Cluster([1, 2, 3], { preVote: false, checkQuorum: false });
    c.campaign(1);
    c.cutOneWay(1, 2);
    tickAndSettle(c, [1, 2, 3], 100);
    expect(c.status(3).term).toBeGreaterThan(1);
    expect(c.status(1).term).toBeGreaterThan(1);
  });

  test('a follower within its lease disregards a MsgVote, but grants one that carries the transfer flag', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.takeTranscript();
    c.deliver({ type: 'MsgVote', from: 2, to: 3, term: 2, index: 1, logTerm: 1, transfer: false });
    c.stabilize();
    expect(c.takeTranscript()).toEqual(['2->3 MsgVote Term:2 Log:1/1']);
    expect(c.status(3)).toMatchObject({ term: 1, vote: 1, leader: 1 });

    c.deliver({ type: 'MsgVote', from: 2, to: 3, term: 2, index: 1, logTerm: 1, transfer: true });
    c.stabilize();
    expect(c.takeTranscript()).toEqual(['2->3 MsgVote Term:2 Log:1/1 Transfer', '3->2 MsgVoteResp Term:2']);
    expect(c.status(3)).toMatchObject({ term: 2, vote: 2 });
  });

  test('once a follower’s lease has run out (electionTicks without its leader) it grants votes again', () => {
    const c = new Cluster([1, 2, 3], { preVote: false });
    c.campaign(1);
    c.isolate(1);
    c.tick(3, 9);
    c.takeTranscript();
    c.deliver({ type: 'MsgVote', from: 2, to: 3, term: 2, index: 1, logTerm: 1, transfer: false });
    c.stabilize();
    expect(c.takeTranscript()).toEqual(['2->3 MsgVote Term:2 Log:1/1']);
    c.tick(3, 1); // (3 may time out itself here; a vote for a later term is granted either way)
    c.deliver({ type: 'MsgVote', from: 2, to: 3, term: 5, index: 1, logTerm: 1, transfer: false });
    const out = c.takeOutgoing();
    expect(out).toContainEqual(expect.objectContaining({ type: 'MsgVoteResp', from: 3, to: 2, term: 5, reject: false }));
    expect(c.status(3)).toMatchObject({ term: 5, vote: 2 });
  });
});
