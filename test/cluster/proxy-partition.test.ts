/**
 * Network faults between real processes, made by the `TcpProxy` in front of each member's
 * Raft port (every member reaches a peer through that peer's proxy, so a proxy cuts off
 * everything sent to its member): `blackhole` (bytes vanish in silence, the connections
 * stay up) and `reset` (connections are reset and refused), each held for several
 * election timeouts under load, then healed.
 *
 * Cutting a follower off leaves a majority that keeps committing. Cutting the leader off
 * means it hears no acknowledgement, so check-quorum makes it step down (Raft thesis
 * §6.2) and the others elect a new leader; its pre-votes are ignored (§9.6). After each
 * heal the member catches up; no acknowledged write is lost and every member converges.
 */
import type { ProxyMode } from '../../raft/testing/tcp-proxy.js';
import { sleep, withCluster } from '../support/process-cluster.js';
import type { TestCluster } from '../support/process-cluster.js';

const WRITERS = 8;
const CUT_MS = 3_000;
const ACKS_PER_PHASE = 60;
const PHASE_TIMEOUT_MS = 25_000;

/** Cut member `victim(leader)` off in `mode` under load, heal, and check. Returns the member cut off. */
async function cutOff(cluster: TestCluster, mode: ProxyMode, victim: (leader: number) => number): Promise<void> {
  const load = cluster.load({ writers: WRITERS });
  load.start();
  await load.waitForMoreAcks(ACKS_PER_PHASE, PHASE_TIMEOUT_MS);
  await cluster.client.write({ key: 'probe', value: `before the ${mode}`, writeId: `probe-before-${mode}` });
  const leader = await cluster.leader();
  const cut = victim(leader);
  const proxy = cluster.processes.proxy(cut);
  const cutAt = Date.now();
  cluster.note(`proxy of member ${cut} → ${mode}`);
  proxy.setMode(mode);

  const leaderWhileCut = await cluster.leader([cut]);
  if (cut === leader) expect(leaderWhileCut).not.toBe(cut);
  await cluster.client.write({ key: 'probe', value: `during the ${mode}`, writeId: `probe-during-${mode}` });
  // Cut off, it cannot confirm a read (ReadIndex, §6.4): it fails or waits, never answers stale.
  await cluster.expectNoStaleRead(cut, 'probe', `before the ${mode}`);
  await load.waitForMoreAcks(ACKS_PER_PHASE, PHASE_TIMEOUT_MS);
  await sleep(Math.max(0, CUT_MS - (Date.now() - cutAt)));
  const stats = proxy.stats();
  cluster.note(`proxy of member ${cut} → pass; it saw ${JSON.stringify(stats)}`);
  if (mode === 'blackhole') expect(stats.bytesDropped).toBeGreaterThan(0);
  if (mode === 'reset') expect(stats.refused + stats.resets).toBeGreaterThan(0);
  proxy.setMode('pass');

  await load.waitForMoreAcks(ACKS_PER_PHASE, PHASE_TIMEOUT_MS);
  const summary = await load.stop();
  cluster.note(`load: ${JSON.stringify(summary)}`);
  await cluster.expectConsistent(load.acknowledged.keys());
}

describe('3 processes: a member cut off by its TCP proxy, then healed', () => {
  it('a follower, blackholed then reset: the majority commits on, it catches up, nothing is lost', async () => {
    await withCluster({ size: 3 }, async (cluster) => {
      const follower = cluster.follower(await cluster.leader());
      await cutOff(cluster, 'blackhole', () => follower);
      await cutOff(cluster, 'reset', () => follower);
    });
  });

  it('the leader, blackholed then (the next leader) reset: a new leader is elected each time, writes go on, nothing is lost', async () => {
    await withCluster({ size: 3 }, async (cluster) => {
      await cutOff(cluster, 'blackhole', (leader) => leader);
      await cutOff(cluster, 'reset', (leader) => leader);
    });
  });
});
