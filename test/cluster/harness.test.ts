/**
 * The multi-process harness's own guarantees, which every other test in this folder
 * relies on: its end-of-test checks fail when they should (a write acknowledged but
 * missing, a member process that died on its own, members that disagree), failures carry
 * the members' logs, and `dispose()` leaves no process and no directory behind.
 */
import { existsSync } from 'node:fs';
import { TestCluster, withCluster } from '../support/process-cluster.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(predicate: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('process cluster harness', () => {
  it('catches a lost acknowledged write and a member that dies on its own; dispose leaves nothing behind', async () => {
    const cluster = await TestCluster.start({ size: 3 });
    const pids = cluster.processes.members().map((m) => m.pid!);
    const rootDir = cluster.processes.rootDir;
    try {
      const ack = await cluster.client.write({ key: 'k', value: 'v', writeId: 'real' });
      expect(ack.index).toBeGreaterThan(0);
      await expect(cluster.expectConsistent(['real'])).resolves.toMatchObject({ writes: 1 });
      await expect(cluster.expectConsistent(['real', 'never-written'])).rejects.toThrow(/lost 1 of 2 acknowledged writes, e\.g\. never-written/);

      // A member killed behind the harness's back is a crash.
      const victim = cluster.processes.members()[0]!;
      process.kill(victim.pid!, 'SIGKILL');
      await waitUntil(() => cluster.processes.exitLog().length > 0, 5_000);
      expect(() => cluster.expectNoCrashes()).toThrow(/exited on their own.*"signal":"SIGKILL"/);
      expect(cluster.processes.member(victim.id).state).toBe('stopped');
      expect(cluster.describe()).toMatch(/node 1: started raft=/);

      // Members that disagree (the dead one stays behind) do not converge.
      await cluster.client.write({ key: 'k', value: 'v2', writeId: 'second' });
      await cluster.processes.restart(victim.id);
      cluster.processes.pause(victim.id);
      await expect(cluster.client.waitConverged([1, 2, 3], 1_000)).rejects.toThrow(/did not converge within 1000 ms/);
      cluster.processes.resume(victim.id);
      await cluster.client.waitConverged([1, 2, 3], 20_000);
    } finally {
      await cluster.dispose();
    }
    for (const pid of pids) expect(alive(pid)).toBe(false);
    expect(cluster.processes.members().every((m) => m.pid === null)).toBe(true);
    expect(existsSync(rootDir)).toBe(false);
  });

  it('withCluster disposes on failure and adds the narration and log tails to the error', async () => {
    let rootDir = '';
    let pids: number[] = [];
    const failing = withCluster({ size: 1 }, async (cluster) => {
      rootDir = cluster.processes.rootDir;
      pids = cluster.processes.members().map((m) => m.pid!);
      await cluster.leader();
      throw new Error('the test failed');
    });
    await expect(failing).rejects.toThrow(/the test failed\n\nharness \(.*\):\n.*member 1 ready[\s\S]*--- member 1 \(running[\s\S]*node 1: started/);
    expect(existsSync(rootDir)).toBe(false);
    for (const pid of pids) expect(alive(pid)).toBe(false);
  });
});
