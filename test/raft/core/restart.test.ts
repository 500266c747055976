/**
 * Restart from stable storage (Figure 2: currentTerm, votedFor and log are persistent;
 * the commit index is kept too): a restarted node resumes with the same term, vote and
 * commit index, re-applies its committed entries, and rejoins the cluster.
 */
import { createSeededRandom } from '../../../raft/core/random.js';
import { RawNode } from '../../../raft/core/raw-node.js';
import { Cluster } from './cluster.js';

describe('restart (Figure 2)', () => {
  test('a restarted follower keeps term, vote and commit, re-applies committed entries, and rejoins', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    for (const data of ['a', 'b']) c.propose(1, data);
    c.stabilize();
    const before = c.status(2);
    expect(before).toMatchObject({ term: 1, vote: 1, commit: 3 });

    c.restart(2);
    expect(c.status(2)).toMatchObject({ term: 1, vote: 1, commit: 3, applied: 0, role: 'follower', leader: 0 });
    const rd = c.node(2).raw.ready();
    expect(rd.committedEntries.map((e) => `${e.term}/${e.index}`)).toEqual(['1/1', '1/2', '1/3']);
    expect(rd.entries).toEqual([]); // nothing new to persist
    expect(rd.hardState).toBeNull(); // unchanged from what was stored
    c.node(2).raw.advance();
    c.node(2).applied.push(...rd.committedEntries);
    expect(c.appliedData(2)).toEqual(['a', 'b']);

    c.propose(1, 'c');
    c.stabilize();
    expect(c.appliedData(2)).toEqual(['a', 'b', 'c']);
    expect(c.status(2)).toMatchObject({ term: 1, leader: 1, commit: 4 });
  });

  test('a restarted leader comes back as a follower of its term and the cluster carries on', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.propose(1, 'a');
    c.stabilize();
    c.restart(1);
    c.stabilize();
    expect(c.status(1)).toMatchObject({ role: 'follower', term: 1, vote: 1, commit: 2 });
    expect(c.appliedData(1)).toEqual(['a']);
    for (let i = 0; i < 60 && c.leader() === 0; i++) {
      c.tickAll();
      c.stabilize();
    }
    const leader = c.leader();
    expect(c.status(leader).term).toBe(2);
    c.propose(leader, 'b');
    c.stabilize();
    for (const id of c.ids) expect(c.appliedData(id)).toEqual(['a', 'b']);
  });

  test('the applied option skips entries the application already applied', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    for (const data of ['a', 'b', 'c']) c.propose(1, data);
    c.stabilize();
    const storage = c.node(3).storage;
    const raw = new RawNode({ id: 3, storage, random: createSeededRandom(3), applied: 2 });
    expect(raw.ready().committedEntries.map((e) => e.index)).toEqual([3, 4]);
  });

  test('a restarted node does not campaign before its election timeout', () => {
    const c = new Cluster([1, 2, 3]);
    c.campaign(1);
    c.restart(2);
    c.isolate(1);
    c.tick(2, 9);
    expect(c.status(2).role).toBe('follower');
  });
});
