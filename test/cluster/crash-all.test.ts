/**
 * Whole-cluster and majority crashes of three real processes under load.
 *
 * - kill -9 of every member at once, then all restart on their data: every write
 *   acknowledged before the crash was on a majority's disk (synced before it was
 *   acknowledged, Raft §5.3 and the durable storage contract), so none is lost.
 * - kill -9 of two members (the leader and a follower): the survivor alone is not a
 *   majority, so no new write is acknowledged (§5.4.2 commitment needs a quorum) until
 *   one of them returns; then writes go on and nothing is lost.
 */
import { sleep, withCluster } from '../support/process-cluster.js';

const WRITERS = 8;
const ACKS_PER_PHASE = 80;
const PHASE_TIMEOUT_MS = 25_000;
/** Writes committed before the crash may still be answered just after it. */
const SETTLE_MS = 1_000;
const MINORITY_MS = 3_000;

describe('3 processes: crashes of every member and of a majority', () => {
  it('kill -9 of every member at once under load: after restarting them all, no acknowledged write is lost', async () => {
    await withCluster({ size: 3 }, async (cluster) => {
      const load = cluster.load({ writers: WRITERS });
      load.start();
      await load.waitForMoreAcks(ACKS_PER_PHASE * 2, PHASE_TIMEOUT_MS);
      await Promise.all([1, 2, 3].map((id) => cluster.processes.kill(id)));
      cluster.note(`all killed after ${load.acknowledged.size} acknowledged writes`);

      await Promise.all([1, 2, 3].map((id) => cluster.processes.restart(id)));
      await cluster.leader();
      await load.waitForMoreAcks(ACKS_PER_PHASE, PHASE_TIMEOUT_MS);
      const summary = await load.stop();
      cluster.note(`load: ${JSON.stringify(summary)}`);
      // Every write acknowledged before the crash is among those checked on every member.
      await cluster.expectConsistent(load.acknowledged.keys());
    });
  });

  it('kill -9 of a majority: nothing is acknowledged until one returns, then writes go on and nothing is lost', async () => {
    await withCluster({ size: 3 }, async (cluster) => {
      const load = cluster.load({ writers: WRITERS, writeDeadlineMs: 60_000 });
      load.start();
      await load.waitForMoreAcks(ACKS_PER_PHASE, PHASE_TIMEOUT_MS);
      const leader = await cluster.leader();
      const follower = cluster.follower(leader);
      await Promise.all([cluster.processes.kill(leader), cluster.processes.kill(follower)]);
      await sleep(SETTLE_MS);
      const ackedAfterSettling = load.acknowledged.size;
      await sleep(MINORITY_MS);
      cluster.note(`acknowledged while a minority was up: ${load.acknowledged.size - ackedAfterSettling}`);
      expect(load.acknowledged.size).toBe(ackedAfterSettling);

      await cluster.processes.restart(follower);
      await load.waitForMoreAcks(ACKS_PER_PHASE, PHASE_TIMEOUT_MS);
      await cluster.processes.restart(leader);
      await load.waitForMoreAcks(ACKS_PER_PHASE, PHASE_TIMEOUT_MS);
      const summary = await load.stop();
      cluster.note(`load: ${JSON.stringify(summary)}`);
      await cluster.expectConsistent(load.acknowledged.keys());
    });
  });
});
