/**
 * Five real processes: SIGSTOP of a member for several election timeouts (0.5–1 s here),
 * under load, then SIGCONT. A paused follower is simply behind when it resumes, and pre-
 * vote keeps it from disturbing the leader (Raft thesis §9.6). A paused leader is replaced
 * while it sleeps; when it resumes it learns of the higher term and steps down (§5.1), and
 * whatever it appended but never committed is overwritten. Either way the load goes on,
 * no acknowledged write is lost and every member converges.
 */
import { sleep, withCluster } from '../support/process-cluster.js';
import type { TestCluster } from '../support/process-cluster.js';

const WRITERS = 8;
const PAUSE_MS = 4_000;
const ACKS_PER_PHASE = 60;
const PHASE_TIMEOUT_MS = 20_000;

async function pauseUnderLoad(cluster: TestCluster, pick: (leader: number) => number): Promise<void> {
  const load = cluster.load({ writers: WRITERS });
  load.start();
  await load.waitForMoreAcks(ACKS_PER_PHASE, PHASE_TIMEOUT_MS);
  await cluster.client.write({ key: 'probe', value: 'before the pause', writeId: 'probe-1' });
  const leader = await cluster.leader();
  const paused = pick(leader);
  const pausedAt = Date.now();
  cluster.processes.pause(paused);
  // The others go on without it (after electing a new leader if it led).
  const leaderWhilePaused = await cluster.leader([paused]);
  await cluster.client.write({ key: 'probe', value: 'during the pause', writeId: 'probe-2' });
  await load.waitForMoreAcks(ACKS_PER_PHASE, PHASE_TIMEOUT_MS);
  await sleep(Math.max(0, PAUSE_MS - (Date.now() - pausedAt)));
  // A read sent while it sleeps is served after it wakes (a leader that does not know it
  // was deposed, §6.4): it must not answer from its old state.
  await cluster.expectNoStaleRead(paused, 'probe', 'before the pause', async () => {
    await sleep(200);
    cluster.processes.resume(paused);
  });
  await load.waitForMoreAcks(ACKS_PER_PHASE, PHASE_TIMEOUT_MS);
  const summary = await load.stop();
  cluster.note(`paused ${paused} (leader was ${leader}, then ${leaderWhilePaused}); load: ${JSON.stringify(summary)}`);
  await cluster.expectConsistent(load.acknowledged.keys());
  if (paused === leader) {
    expect(leaderWhilePaused).not.toBe(paused);
    expect((await cluster.client.status(paused)).role).not.toBe('leader');
  }
}

describe('5 processes: SIGSTOP longer than the election timeout, then SIGCONT', () => {
  it('a paused follower: writes go on, it catches up, nothing is lost', async () => {
    await withCluster({ size: 5 }, (cluster) => pauseUnderLoad(cluster, (leader) => cluster.follower(leader)));
  });

  it('a paused leader: another is elected, writes go on, the old one steps down and catches up, nothing is lost', async () => {
    await withCluster({ size: 5 }, (cluster) => pauseUnderLoad(cluster, (leader) => leader));
  });
});
