/**
 * Three real processes (synced LevelDB storage, gRPC on loopback): kill -9 of the leader
 * under load from concurrent writers, three times over. Each time a new leader is elected
 * and writes go on; the old leader restarts on its data directory and catches up. No
 * acknowledged write is lost, every member converges to the same state (Raft §5.4:
 * committed entries survive a leader crash; §5.3: the leader repairs a restarted
 * follower's log), and a write acknowledged at the end is read back on every member.
 */
import { withCluster } from '../support/process-cluster.js';

const WRITERS = 8;
const ROUNDS = 3;
const ACKS_PER_PHASE = 80;
const PHASE_TIMEOUT_MS = 20_000;

describe('3 processes: kill -9 of the leader under load', () => {
  it('elects another leader, keeps acknowledging writes, and the restarted member catches up without losing any', async () => {
    await withCluster({ size: 3 }, async (cluster) => {
      const load = cluster.load({ writers: WRITERS });
      load.start();
      await load.waitForMoreAcks(ACKS_PER_PHASE, PHASE_TIMEOUT_MS);

      for (let round = 0; round < ROUNDS; round++) {
        const leader = await cluster.leader();
        await cluster.processes.kill(leader);
        const successor = await cluster.leader([leader]);
        expect(successor).not.toBe(leader);
        await load.waitForMoreAcks(ACKS_PER_PHASE, PHASE_TIMEOUT_MS);
        await cluster.processes.restart(leader);
        await load.waitForMoreAcks(ACKS_PER_PHASE, PHASE_TIMEOUT_MS);
      }
      const summary = await load.stop();
      cluster.note(`load: ${JSON.stringify(summary)}`);

      await cluster.expectConsistent(load.acknowledged.keys());
      expect(summary.acknowledged).toBeGreaterThanOrEqual((1 + 2 * ROUNDS) * ACKS_PER_PHASE);

      const last = await cluster.client.write({ key: 'last', value: 'written after the faults', writeId: 'last' });
      for (const id of cluster.members) {
        expect(await cluster.client.readFrom(id, 'last')).toMatchObject({ value: 'written after the faults' });
        expect((await cluster.client.readFrom(id, 'last')).index).toBeGreaterThanOrEqual(last.index);
      }
    });
  });
});
