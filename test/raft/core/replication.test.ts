/**
 * Log replication (§5.3): the AppendEntries consistency check, the leader backing off to
 * where a follower's log matches (with the conflict-term optimisation the paper sketches
 * at the end of §5.3), overwriting a follower's conflicting suffix, batching, and how
 * followers learn the commit index.
 */
import { Cluster } from './cluster.js';
import { linesOfType, preloadLog } from './fixtures.js';

describe('consistency check and fast back-off (§5.3, Figure 7)', () => {
  /**
   * Figure 7 of the paper: the leader of term 8 and six followers whose logs (a)–(f)
   * are missing entries, have extra uncommitted entries, or both. Node 1 is the leader;
   * nodes 2..7 hold logs (a)..(f).
   */
  const leaderLog = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
  const followerLogs: Record<number, number[]> = {
    2: [1, 1, 1, 4, 4, 5, 5, 6, 6], // (a) missing one entry
    3: [1, 1, 1, 4], // (b) missing many
    4: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6], // (c) an extra term-6 entry
    5: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7], // (d) extra term-7 entries
    6: [1, 1, 1, 4, 4, 4, 4], // (e) missing entries, extra term-4 entries
    7: [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3], // (f) a whole run of terms 2 and 3 the leader never had
  };

  function figure7(): Cluster {
    const c = new Cluster([1, 2, 3, 4, 5, 6, 7]);
    preloadLog(c, 1, leaderLog, { term: 7, vote: 0, commit: 0 });
    for (const [id, terms] of Object.entries(followerLogs)) preloadLog(c, Number(id), terms, { term: 7, vote: 0, commit: 0 });
    c.campaign(1);
    return c;
  }

  test('node 1 wins term 8 with the votes of (a), (b), (e), (f); (c) and (d) hold longer logs and refuse', () => {
    const c = figure7();
    expect(c.status(1)).toMatchObject({ role: 'leader', term: 8 });
    const preVoteAnswers = linesOfType(c.takeTranscript(), 'MsgPreVoteResp');
    expect(preVoteAnswers.filter((l) => l.endsWith('Rejected')).sort()).toEqual([
      '4->1 MsgPreVoteResp Term:7 Rejected',
      '5->1 MsgPreVoteResp Term:7 Rejected',
    ]);
  });

  test('every follower converges to the leader’s log with at most one rejected MsgApp each', () => {
    const c = figure7();
    const transcript = c.takeTranscript();
    const expected = [...leaderLog.map((t, i) => `${t}/${i + 1}`), '8/11'];
    for (const id of c.ids) expect(c.storedLog(id)).toEqual(expected);
    for (const id of c.ids) expect(c.status(id).commit).toBe(11);

    const rejections = linesOfType(transcript, 'MsgAppResp').filter((l) => l.includes('Rejected'));
    // A follower rejects the first probe (prev 6/10) only when it lacks a matching entry 10,
    // and its hint (the last entry with term ≤ 6 at or before 10) takes the leader straight to
    // a matching entry. Backing off one entry per round trip would cost (f) alone 7 rejections.
    expect(rejections.sort()).toEqual([
      '2->1 MsgAppResp Term:8 Log:0/10 Rejected (Hint: 9/6)', // (a): resend from 10
      '3->1 MsgAppResp Term:8 Log:0/10 Rejected (Hint: 4/4)', // (b): resend from 5
      '6->1 MsgAppResp Term:8 Log:0/10 Rejected (Hint: 7/4)', // (e): the leader's last term-4 entry is 5
      '7->1 MsgAppResp Term:8 Log:0/10 Rejected (Hint: 10/3)', // (f): the leader has no term 2 or 3, back to 3
    ]);
    const appsTo = (id: number): string[] => linesOfType(transcript, 'MsgApp').filter((l) => l.startsWith(`1->${id} `));
    expect(appsTo(6)[1]).toMatch(/^1->6 MsgApp Term:8 Log:4\/5 /);
    expect(appsTo(7)[1]).toMatch(/^1->7 MsgApp Term:8 Log:1\/3 /);
  });

  test('the overwritten uncommitted entries of (c), (d), (e), (f) are never applied', () => {
    const c = figure7();
    const expectedData = leaderLog.map((t, i) => `t${t}i${i + 1}`);
    for (const id of c.ids) expect(c.appliedData(id)).toEqual(expectedData);
  });
});

describe('a follower’s conflicting uncommitted suffix is overwritten (§5.3)', () => {
  test('an old leader’s uncommitted entries are replaced by the new leader’s log when it rejoins', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.isolate(1);
    c.propose(1, 'x');
    c.propose(1, 'y');
    c.stabilize();
    expect(c.storedLog(1)).toEqual(['1/1', '1/2', '1/3']);

    // 2 and 3 elect a new leader of term 2 once 1's lease has run out.
    for (let i = 0; i < 40 && c.status(2).role !== 'leader' && c.status(3).role !== 'leader'; i++) {
      c.tick(2);
      c.tick(3);
      c.stabilize();
    }
    const leader = c.status(2).role === 'leader' ? 2 : 3;
    expect(c.status(leader).term).toBe(2);
    c.propose(leader, 'z');
    c.stabilize();

    c.heal();
    for (let i = 0; i < 5; i++) {
      c.tickAll();
      c.stabilize();
    }
    for (const id of c.ids) {
      expect(c.storedLog(id)).toEqual(['1/1', '2/2', '2/3']);
      expect(c.appliedData(id)).toEqual(['z']);
    }
  });
});

describe('batching and commit propagation (§5.3)', () => {
  test('proposals made between two Readies go out in one MsgApp per follower, and the commit follows in the next', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.takeTranscript();
    c.propose(1, 'a');
    c.propose(1, 'b');
    c.propose(1, 'c');
    c.stabilize();
    expect(c.takeTranscript()).toEqual([
      '1->2 MsgApp Term:1 Log:1/1 Commit:1 Entries:[1/2 a, 1/3 b, 1/4 c]',
      '1->3 MsgApp Term:1 Log:1/1 Commit:1 Entries:[1/2 a, 1/3 b, 1/4 c]',
      '2->1 MsgAppResp Term:1 Log:0/4',
      '3->1 MsgAppResp Term:1 Log:0/4',
      '1->2 MsgApp Term:1 Log:1/4 Commit:4',
      '1->3 MsgApp Term:1 Log:1/4 Commit:4',
      '2->1 MsgAppResp Term:1 Log:0/4',
      '3->1 MsgAppResp Term:1 Log:0/4',
    ]);
    for (const id of c.ids) {
      expect(c.status(id).commit).toBe(4);
      expect(c.appliedData(id)).toEqual(['a', 'b', 'c']);
    }
  });

  test('a follower commits no further than the leader’s commit index, nor past the entries it received', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.propose(1, 'a');
    const out = c.takeOutgoing(); // the MsgApps carrying 'a', not delivered yet
    expect(out.map((m) => m.type)).toEqual(['MsgApp', 'MsgApp']);
    c.deliver(out[0]!); // to 2: it holds 'a' but the leader has not committed it yet
    expect(c.status(2)).toMatchObject({ commit: 1, lastIndex: 2 });
    expect(c.appliedData(2)).toEqual([]);
  });

  test('heartbeats never advance a follower’s commit beyond what it is known to hold', () => {
    // 3 is a deposed leader of term 1 with uncommitted entries 1/2 x and 1/3 y; the leader
    // of term 2 committed different entries 2/2 and 2/3 a. A heartbeat telling 3 "commit
    // 3" would make it apply x and y.
    const c = new Cluster([1, 2, 3], { preVote: false, checkQuorum: false });
    c.campaign(3);
    c.isolate(3);
    c.propose(3, 'x');
    c.propose(3, 'y');
    c.stabilize();
    c.campaign(1);
    c.propose(1, 'a');
    c.stabilize();
    expect(c.status(1)).toMatchObject({ role: 'leader', term: 2, commit: 3 });

    c.heal();
    c.dropIf = (m) => m.type === 'MsgApp' && m.to === 3;
    c.takeTranscript();
    c.tick(1);
    c.stabilize();
    expect(linesOfType(c.takeTranscript(), 'MsgHeartbeat')).toEqual([
      '1->2 MsgHeartbeat Term:2 Commit:3',
      '1->3 MsgHeartbeat Term:2 Commit:0',
    ]);
    expect(c.status(3)).toMatchObject({ role: 'follower', term: 2, commit: 1 });
    expect(c.appliedData(3)).toEqual([]);

    c.heal();
    c.tick(1);
    c.stabilize();
    expect(c.storedLog(3)).toEqual(['1/1', '2/2', '2/3']);
    expect(c.appliedData(3)).toEqual(['a']);
  });

  test('a rejoining follower learns entries committed while it was away and applies them in order', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.isolate(3);
    for (const data of ['a', 'b', 'c']) {
      c.propose(1, data);
      c.stabilize();
    }
    expect(c.status(3).commit).toBe(1);
    c.heal();
    c.tick(1);
    c.stabilize();
    expect(c.status(3).commit).toBe(4);
    expect(c.appliedData(3)).toEqual(['a', 'b', 'c']);
  });
});
