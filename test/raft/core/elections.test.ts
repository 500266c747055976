/**
 * Leader election (§5.2) and the election restriction (§5.4.1), plus the promise a vote
 * carries: it is on stable storage before the candidate can count it (Figure 2,
 * "Persistent state ... updated on stable storage before responding to RPCs").
 */
import { createSeededRandom } from '../../../raft/core/random.js';
import type { RandomSource } from '../../../raft/core/random.js';
import type { NodeId } from '../../../raft/core/types.js';
import { Cluster } from './cluster.js';
import { newRawNode, persistReady, render } from './fixtures.js';

/** Ticks a lone follower waits before it campaigns (leaves the follower role). */
function ticksUntilCampaign(random: RandomSource): number {
  const { raw } = newRawNode(1, { random, preVote: false });
  for (let ticks = 1; ticks <= 100; ticks++) {
    raw.tick();
    if (raw.status().role !== 'follower') return ticks;
  }
  throw new Error('never campaigned');
}

describe('election timeout (§5.2)', () => {
  test('a follower that hears nothing campaigns after exactly electionTicks + random.int(electionTicks) ticks', () => {
    const bounds: number[] = [];
    const fixed = (value: number): RandomSource => ({
      int: (bound) => {
        bounds.push(bound);
        return value;
      },
    });
    expect(ticksUntilCampaign(fixed(0))).toBe(10);
    expect(ticksUntilCampaign(fixed(9))).toBe(19);
    // The jitter is drawn from [0, electionTicks), so the timeout is in [10, 20).
    expect(new Set(bounds)).toEqual(new Set([10]));
  });

  test('with a seeded source the timeouts fall in [electionTicks, 2·electionTicks) and differ between nodes', () => {
    const timeouts = Array.from({ length: 40 }, (_, seed) => ticksUntilCampaign(createSeededRandom(seed)));
    for (const t of timeouts) {
      expect(t).toBeGreaterThanOrEqual(10);
      expect(t).toBeLessThan(20);
    }
    // Randomization is what breaks split votes: the timeouts must not all be equal.
    expect(new Set(timeouts).size).toBeGreaterThan(3);
  });

  test('a follower that keeps hearing heartbeats never campaigns', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    for (let i = 0; i < 100; i++) {
      c.tickAll();
      c.stabilize();
    }
    expect(c.leader()).toBe(1);
    for (const id of [1, 2, 3]) expect(c.status(id).term).toBe(1);
  });
});

describe('election safety: at most one leader per term (§5.2)', () => {
  test('a candidate that gathers a majority becomes leader and the others follow it', () => {
    const c = new Cluster([1, 2, 3], { preVote: false });
    c.campaign(1);
    expect(c.takeTranscript()).toEqual([
      '1->2 MsgVote Term:1 Log:0/0',
      '1->3 MsgVote Term:1 Log:0/0',
      '2->1 MsgVoteResp Term:1',
      '3->1 MsgVoteResp Term:1',
      '1->2 MsgApp Term:1 Log:0/0 Commit:0 Entries:[1/1]',
      '1->3 MsgApp Term:1 Log:0/0 Commit:0 Entries:[1/1]',
      '2->1 MsgAppResp Term:1 Log:0/1',
      '3->1 MsgAppResp Term:1 Log:0/1',
      '1->2 MsgApp Term:1 Log:1/1 Commit:1',
      '1->3 MsgApp Term:1 Log:1/1 Commit:1',
      '2->1 MsgAppResp Term:1 Log:0/1',
      '3->1 MsgAppResp Term:1 Log:0/1',
    ]);
    expect(c.status(1)).toMatchObject({ role: 'leader', term: 1, leader: 1 });
    for (const id of [2, 3]) expect(c.status(id)).toMatchObject({ role: 'follower', term: 1, leader: 1, vote: 1 });
  });

  test('under random message loss and partitions no term ever has two leaders, and a leader emerges once healed', () => {
    let termsWithLeaders = 0;
    for (let seed = 1; seed <= 8; seed++) {
      const c = new Cluster([1, 2, 3, 4, 5], { seed, preVote: seed % 2 === 0, checkQuorum: seed % 3 === 0 });
      const chaos = createSeededRandom(seed);
      c.dropIf = () => chaos.chance(0.25);
      const leaderOfTerm = new Map<number, NodeId>();
      const record = (): void => {
        for (const id of c.ids) {
          const s = c.status(id);
          if (s.role !== 'leader') continue;
          const known = leaderOfTerm.get(s.term);
          if (known !== undefined && known !== id) throw new Error(`seed ${seed}: term ${s.term} has leaders ${known} and ${id}`);
          leaderOfTerm.set(s.term, id);
        }
      };
      for (let step = 0; step < 300; step++) {
        if (step % 50 === 0) {
          c.heal();
          c.dropIf = () => chaos.chance(0.25);
          c.isolate(1 + chaos.int(5));
        }
        c.tick(1 + chaos.int(5));
        c.tickAll();
        c.stabilize();
        record();
      }
      c.heal();
      // Without pre-vote, stale-log nodes may keep disrupting for a while (each refused
      // campaign raises everyone's term): allow plenty of time.
      const converged = (): boolean => {
        const leader = c.leader();
        if (leader === 0) return false;
        const term = c.status(leader).term;
        return c.ids.every((id) => c.status(id).term === term && c.status(id).leader === leader);
      };
      for (let i = 0; i < 400 && !converged(); i++) {
        c.tickAll();
        c.stabilize();
        record();
      }
      if (!converged()) throw new Error(`seed ${seed}: ${JSON.stringify(c.ids.map((id) => c.status(id)))}`);
      termsWithLeaders += leaderOfTerm.size;
    }
    // The chaos did cause elections (so the check above had something to check).
    expect(termsWithLeaders).toBeGreaterThan(20);
  });

  test('a split vote elects nobody, and the randomized timeouts then resolve it in the next term', () => {
    // 4 voters need 3 votes. 1 and 2 campaign in the same term; 3 only hears 1 and 4 only
    // hears 2, so each candidate holds 2 votes.
    const c = new Cluster([1, 2, 3, 4], { preVote: false, checkQuorum: false });
    c.cut(1, 4);
    c.cut(2, 3);
    c.node(1).raw.campaign();
    c.node(2).raw.campaign();
    c.stabilize();
    expect(c.leader()).toBe(0);
    expect(c.status(1)).toMatchObject({ role: 'candidate', term: 1, vote: 1 });
    expect(c.status(2)).toMatchObject({ role: 'candidate', term: 1, vote: 2 });
    expect(c.status(3).vote).toBe(1);
    expect(c.status(4).vote).toBe(2);

    c.heal();
    let ticks = 0;
    while (c.leader() === 0) {
      c.tickAll();
      c.stabilize();
      ticks++;
      expect(ticks).toBeLessThan(20);
    }
    const leader = c.leader();
    for (const id of c.ids) expect(c.status(id)).toMatchObject({ term: 2, leader });
  });
});

describe('election restriction (§5.4.1)', () => {
  test('a candidate whose log lacks a committed entry is refused, and a candidate holding it wins', () => {
    const c = new Cluster([1, 2, 3], { preVote: false, checkQuorum: false });
    c.campaign(1);
    c.cut(1, 3);
    c.propose(1, 'x');
    c.stabilize();
    expect(c.status(1).commit).toBe(2); // committed on 1 and 2; 3 lags at index 1

    c.heal();
    c.isolate(1);
    c.takeTranscript();
    c.campaign(3);
    expect(c.takeTranscript()).toEqual([
      'DROP 3->1 MsgVote Term:2 Log:1/1',
      '3->2 MsgVote Term:2 Log:1/1',
      '2->3 MsgVoteResp Term:2 Rejected',
    ]);
    expect(c.status(3).role).toBe('candidate');
    expect(c.status(2)).toMatchObject({ role: 'follower', term: 2, vote: 0 });

    c.campaign(2);
    expect(c.status(2)).toMatchObject({ role: 'leader', term: 3 });
    expect(c.appliedData(3)).toEqual(['x']);
    expect(c.storedLog(3)).toEqual(['1/1', '1/2', '3/3']);
  });

  test('an equal last term with a shorter log is not up to date', () => {
    const c = new Cluster([1, 2, 3], { preVote: false, checkQuorum: false });
    c.campaign(1);
    c.cut(1, 3);
    c.propose(1, 'x'); // 2 holds 1/2, 3 stops at 1/1: same last term, shorter log
    c.stabilize();
    c.heal();
    c.isolate(1);
    c.campaign(3);
    expect(c.status(3).role).toBe('candidate');
    expect(c.status(2)).toMatchObject({ role: 'follower', term: 2, vote: 0 });
  });
});

describe('a vote is durable and given once per term (§5.2, Figure 2)', () => {
  test('the Ready carrying a granted MsgVoteResp also carries the hard state recording the vote', () => {
    const { raw } = newRawNode(2);
    raw.step({ type: 'MsgVote', from: 1, to: 2, term: 1, index: 0, logTerm: 0, transfer: false });
    const rd = raw.ready();
    expect(render(rd.messages)).toEqual(['2->1 MsgVoteResp Term:1']);
    expect(rd.hardState).toEqual({ term: 1, vote: 1, commit: 0 });
  });

  test('a candidate persists its own vote and term with the MsgVote it sends', () => {
    const { raw } = newRawNode(1, { preVote: false });
    raw.campaign();
    const rd = raw.ready();
    expect(render(rd.messages)).toEqual(['1->2 MsgVote Term:1 Log:0/0', '1->3 MsgVote Term:1 Log:0/0']);
    expect(rd.hardState).toEqual({ term: 1, vote: 1, commit: 0 });
  });

  test('a node that voted in a term refuses a second candidate of that term', () => {
    const { raw, storage } = newRawNode(3, { preVote: false });
    raw.step({ type: 'MsgVote', from: 1, to: 3, term: 1, index: 0, logTerm: 0, transfer: false });
    persistReady(raw, storage);
    raw.step({ type: 'MsgVote', from: 2, to: 3, term: 1, index: 0, logTerm: 0, transfer: false });
    const rd = raw.ready();
    expect(render(rd.messages)).toEqual(['3->2 MsgVoteResp Term:1 Rejected']);
    expect(rd.hardState).toBeNull();
  });

  /**
   * 3 votes for 1 in term 1 and restarts; then 2 asks for 3's vote in term 1. The vote
   * is reloaded from storage, so 2 is refused; with the `forgetVote` bug 3 votes again and
   * term 1 gets two leaders.
   */
  function voteTwiceAcrossRestart(forgetVote: boolean): Cluster {
    const c = new Cluster([1, 2, 3], { preVote: false, checkQuorum: false, testingBugs: { forgetVote } });
    c.cut(1, 2);
    c.dropIf = (m) => m.type === 'MsgApp'; // 3 votes but never learns of the leader's log
    c.campaign(1);
    expect(c.status(1)).toMatchObject({ role: 'leader', term: 1 });
    expect(c.node(3).storage.initialState().hardState).toMatchObject({ term: 1, vote: 1 });

    c.restart(3);
    c.cut(1, 3);
    c.campaign(2);
    return c;
  }

  test('after a restart the vote is reloaded: a second candidate of the same term is refused', () => {
    const c = voteTwiceAcrossRestart(false);
    expect(c.status(3)).toMatchObject({ term: 1, vote: 1 });
    expect(c.status(2).role).toBe('candidate');
    expect(c.takeTranscript()).toContain('3->2 MsgVoteResp Term:1 Rejected');
  });

  test('with testingBugs.forgetVote the restarted node votes twice and term 1 has two leaders', () => {
    const c = voteTwiceAcrossRestart(true);
    expect(c.status(3)).toMatchObject({ term: 1, vote: 2 });
    expect(c.status(1)).toMatchObject({ role: 'leader', term: 1 });
    expect(c.status(2)).toMatchObject({ role: 'leader', term: 1 });
  });
});
