/**
 * Membership changes between real processes while writers keep writing: a new process
 * started with `--join` is added (as a learner that catches up from the log or a
 * snapshot, then promoted: Raft thesis §4.2.1), and an existing member is removed, a
 * follower in one test and the leader in the other (a removed leader hands over and steps
 * down, thesis §4.2.2). Afterwards the remaining members agree on the configuration, the
 * removed member is no longer counted (not a voter, not tracked by the leader), no
 * acknowledged write is lost and every remaining member converges.
 */
import { withCluster } from '../support/process-cluster.js';
import type { TestCluster } from '../support/process-cluster.js';

const WRITERS = 8;
const ACKS_PER_PHASE = 80;
const PHASE_TIMEOUT_MS = 25_000;

async function expectConfiguration(cluster: TestCluster, removed: number): Promise<void> {
  const expected = [...cluster.members].sort((a, b) => a - b);
  const leader = await cluster.leader();
  for (const id of expected) {
    const status = await cluster.client.status(id);
    expect(status.members.voters.map((m) => m.id).sort((a, b) => a - b)).toEqual(expected);
    expect(status.members.learners).toEqual([]);
    expect(status.members.votersOutgoing).toEqual([]);
    if (id === leader) expect(status.progress!.map((p) => p.id).sort((a, b) => a - b)).toEqual(expected);
    else expect(status.progress).toBeNull();
  }
  expect(expected).not.toContain(removed);
}

describe('membership changes under load, between processes', () => {
  it('adds a joining process as a voter and removes a follower; the rest converge without it', async () => {
    await withCluster({ size: 3, snapshotEveryEntries: 300, snapshotTrailingEntries: 50 }, async (cluster) => {
      const load = cluster.load({ writers: WRITERS });
      load.start();
      await load.waitForMoreAcks(ACKS_PER_PHASE * 3, PHASE_TIMEOUT_MS);

      await cluster.addMember(4);
      await load.waitForMoreAcks(ACKS_PER_PHASE, PHASE_TIMEOUT_MS);
      const leader = await cluster.leader();
      const removed = [...cluster.members].find((id) => id !== leader && id !== 4)!;
      await cluster.removeMember(removed);
      await load.waitForMoreAcks(ACKS_PER_PHASE, PHASE_TIMEOUT_MS);

      const summary = await load.stop();
      cluster.note(`load: ${JSON.stringify(summary)}`);
      await cluster.expectConsistent(load.acknowledged.keys());
      await expectConfiguration(cluster, removed);
    });
  });

  it('removes the leader (it hands over) and adds a replacement; the rest converge without it', async () => {
    await withCluster({ size: 3 }, async (cluster) => {
      const load = cluster.load({ writers: WRITERS });
      load.start();
      await load.waitForMoreAcks(ACKS_PER_PHASE, PHASE_TIMEOUT_MS);

      const leader = await cluster.leader();
      await cluster.removeMember(leader);
      expect(await cluster.leader([leader])).not.toBe(leader);
      await load.waitForMoreAcks(ACKS_PER_PHASE, PHASE_TIMEOUT_MS);
      await cluster.addMember(4);
      await load.waitForMoreAcks(ACKS_PER_PHASE, PHASE_TIMEOUT_MS);

      const summary = await load.stop();
      cluster.note(`load: ${JSON.stringify(summary)}`);
      await cluster.expectConsistent(load.acknowledged.keys());
      await expectConfiguration(cluster, leader);
    });
  });
});
