/**
 * Five real processes, snapshotting every 200 applied entries and keeping only 50 behind
 * each snapshot, with 4 KiB snapshot chunks: kill -9 of the leader under load, twice. The
 * killed leader stays down while the others commit (and compact) far past its log, so on
 * restart it is brought up to date by a chunked snapshot transfer (Raft §7) as well as
 * by the log. No acknowledged write is lost and every member converges.
 */
import { withCluster } from '../support/process-cluster.js';

const WRITERS = 10;
const ROUNDS = 2;
const ACKS_PER_PHASE = 80;
/** Acknowledged while the killed leader is down: well past its log plus the trailing entries. */
const ACKS_WHILE_DOWN = 400;
const PHASE_TIMEOUT_MS = 25_000;

describe('5 processes: kill -9 of the leader under load, with snapshots and compaction', () => {
  it('keeps acknowledging writes through two leader crashes; restarted leaders catch up (by snapshot); nothing is lost', async () => {
    await withCluster({ size: 5, snapshotEveryEntries: 200, snapshotTrailingEntries: 50, snapshotChunkBytes: 4096 }, async (cluster) => {
      const load = cluster.load({ writers: WRITERS });
      load.start();
      await load.waitForMoreAcks(ACKS_PER_PHASE, PHASE_TIMEOUT_MS);

      const killed: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const leader = await cluster.leader();
        await cluster.processes.kill(leader);
        killed.push(leader);
        expect(await cluster.leader([leader])).not.toBe(leader);
        await load.waitForMoreAcks(ACKS_WHILE_DOWN, PHASE_TIMEOUT_MS);
        await cluster.processes.restart(leader);
        await load.waitForMoreAcks(ACKS_PER_PHASE, PHASE_TIMEOUT_MS);
      }
      const summary = await load.stop();
      cluster.note(`load: ${JSON.stringify(summary)}`);

      await cluster.expectConsistent(load.acknowledged.keys());
      for (const id of killed) {
        const digest = await cluster.client.digest(id);
        cluster.note(`member ${id} restored ${digest.restores} snapshot(s)`);
        // It restarted behind the leader's compaction point: it restored a snapshot, its
        // own at start or one sent by the leader.
        expect(digest.restores).toBeGreaterThanOrEqual(1);
      }
    });
  });
});
