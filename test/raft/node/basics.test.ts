/**
 * RaftNode end to end in one process: proposals resolve with the state machine's result
 * on the leader and through a follower, reads are linearizable, requests are bounded,
 * and writes are durable before anything depending on them is sent.
 */
import { NodeStoppedError, TooManyRequestsError } from '../../../raft/core/errors.js';
import { NodeCluster, sleep, write } from './node-cluster.js';

let cluster: NodeCluster;
afterEach(async () => {
  await cluster.stop();
  expect(cluster.errors).toEqual([]);
});

describe('RaftNode: proposals', () => {
  test('a proposal on the leader resolves with the state machine’s result once applied, and every member applies it', async () => {
    cluster = await new NodeCluster([1, 2, 3]).start();
    const leader = await cluster.leader();
    const first = await leader.propose(write('x', '1'));
    const second = await leader.propose(write('x', '2'));
    expect(first.previous).toBeNull();
    expect(second).toEqual({ index: first.index + 1, previous: '1' });
    await cluster.appliedEverywhere(second.index);
    for (const machine of cluster.machines.values()) expect(machine.values.get('x')).toBe('2');
    // The cheap accessors agree with the full status.
    for (const node of cluster.nodes.values()) {
      const status = node.status();
      expect([node.currentLeader(), node.currentRole(), node.currentTerm(), node.isLearner()]).toEqual([status.leader, status.role, status.term, false]);
    }
  });

  test('a proposal on a follower is forwarded to the leader and resolves on the follower with its own result', async () => {
    cluster = await new NodeCluster([1, 2, 3]).start();
    const leader = await cluster.leader();
    const follower = cluster.followers(leader)[0]!;
    const result = await follower.propose(write('y', 'from-follower'));
    expect(result.previous).toBeNull();
    expect(cluster.machines.get(follower.id)!.values.get('y')).toBe('from-follower');
    expect(follower.status().appliedIndex).toBeGreaterThanOrEqual(result.index);
  });

  test('concurrent proposals all resolve, each with its own entry, in one order on every member', async () => {
    cluster = await new NodeCluster([1, 2, 3]).start();
    const leader = await cluster.leader();
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => leader.propose(write(`k${i}`, `${i}`))));
    const indexes = results.map((r) => r.index);
    expect(new Set(indexes).size).toBe(200);
    await cluster.appliedEverywhere(Math.max(...indexes));
    for (const machine of cluster.machines.values()) {
      for (let i = 0; i < 200; i++) expect(machine.values.get(`k${i}`)).toBe(`${i}`);
    }
  });

  test('past maxPendingRequests, propose fails fast with a retryable TooManyRequestsError and proposes nothing', async () => {
    cluster = await new NodeCluster([1, 2, 3], { maxPendingRequests: 3 }).start();
    const leader = await cluster.leader();
    const accepted = [1, 2, 3].map((i) => leader.propose(write(`a${i}`, 'v')));
    const refused = leader.propose(write('refused', 'v'));
    await expect(refused).rejects.toBeInstanceOf(TooManyRequestsError);
    await expect(refused).rejects.toMatchObject({ code: 'TOO_MANY_REQUESTS', retryable: true });
    const results = await Promise.all(accepted);
    await cluster.appliedEverywhere(Math.max(...results.map((r) => r.index)));
    for (const machine of cluster.machines.values()) expect(machine.values.has('refused')).toBe(false);
    // Once they are done, there is room again.
    await expect(leader.propose(write('later', 'v'))).resolves.toMatchObject({ previous: null });
  });

  test('stop() rejects what is pending with NodeStoppedError, and later calls too', async () => {
    cluster = await new NodeCluster([1, 2, 3]).start();
    const leader = await cluster.leader();
    for (const follower of cluster.followers(leader)) cluster.network.isolate(follower.id);
    const pending = leader.propose(write('never', 'v'));
    await cluster.stopNode(leader.id);
    await expect(pending).rejects.toBeInstanceOf(NodeStoppedError);
    await expect(leader.propose(write('after', 'v'))).rejects.toBeInstanceOf(NodeStoppedError);
    await expect(leader.read()).rejects.toBeInstanceOf(NodeStoppedError);
  });
});

describe('RaftNode: a state machine that throws', () => {
  test('stops the node: an error event, and what was pending rejects with NodeStoppedError', async () => {
    cluster = await new NodeCluster([1, 2, 3]).start();
    const leader = await cluster.leader();
    const machine = cluster.machines.get(leader.id)!;
    const failure = new Error('disk full in the application');
    machine.apply = () => {
      throw failure;
    };
    const errors: Error[] = [];
    leader.on('error', (error) => errors.push(error));
    const pending = leader.propose(write('boom', '1'));
    await expect(pending).rejects.toBeInstanceOf(NodeStoppedError);
    expect(errors).toEqual([failure]);
    await expect(leader.propose(write('after', '1'))).rejects.toBeInstanceOf(NodeStoppedError);
    // The cluster's error list is for unexpected failures; this one was the point.
    cluster.errors.length = 0;
  });
});

describe('RaftNode: linearizable reads', () => {
  test('read() on a follower returns only once the follower has applied every write acknowledged before it', async () => {
    cluster = await new NodeCluster([1, 2, 3]).start();
    const leader = await cluster.leader();
    const follower = cluster.followers(leader)[0]!;
    // Slow the follower's incoming link so that it lags behind the acknowledged write.
    cluster.network.delay(leader.id, follower.id, 30, 30);
    for (let i = 0; i < 20; i++) {
      const { index } = await leader.propose(write('r', `${i}`));
      const readIndex = await follower.read();
      expect(readIndex).toBeGreaterThanOrEqual(index);
      expect(cluster.machines.get(follower.id)!.values.get('r')).toBe(`${i}`);
    }
  });

  test('a read whose request to the leader was lost is asked again, not left waiting for its timeout', async () => {
    // A timeout far beyond the test's: only a retry can answer the read in time.
    cluster = await new NodeCluster([1, 2, 3], { requestTimeoutMs: 600_000 }).start();
    const leader = await cluster.leader();
    const follower = cluster.followers(leader)[0]!;
    const { index } = await leader.propose(write('lost', 'read'));
    // Everything the follower sends the leader is lost for a moment: its ReadIndex request too.
    cluster.network.drop(follower.id, leader.id, 1);
    const read = follower.read();
    await sleep(60);
    cluster.network.drop(follower.id, leader.id, 0);
    await expect(read).resolves.toBeGreaterThanOrEqual(index);
  }, 10_000);

  test('concurrent reads share confirmation rounds and all resolve', async () => {
    cluster = await new NodeCluster([1, 2, 3]).start();
    const leader = await cluster.leader();
    await leader.propose(write('z', '1'));
    const indexes = await Promise.all(Array.from({ length: 100 }, () => leader.read()));
    expect(indexes.every((index) => index >= 1)).toBe(true);
    expect(new Set(indexes).size).toBeLessThan(100);
  });
});
