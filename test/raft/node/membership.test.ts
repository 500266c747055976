/**
 * RaftNode's membership calls and leadership: a member joining a running cluster learns
 * the cluster from the log, learners catch up and are promoted, removal, a member moved
 * to another address, handover, and what a caller sees when leadership is lost under it.
 */
import { InvalidArgumentError, LeadershipLostError, NotLeaderError, RequestTimeoutError } from '../../../raft/core/errors.js';
import type { RaftNode } from '../../../raft/node.js';
import { MemoryNetwork } from '../../../raft/transport/memory-transport.js';
import { NodeCluster, sleep, waitUntil, write } from './node-cluster.js';
import type { KvResult } from './node-cluster.js';

let cluster: NodeCluster;
afterEach(async () => {
  await cluster.stop();
  expect(cluster.errors).toEqual([]);
});

const joining = () => ({ join: true, members: [1, 2, 3].map((m) => ({ id: m, address: MemoryNetwork.addressOf(m) })) }) as const;

describe('RaftNode: membership', () => {
  test('addMember adds a joining node as a learner, lets it catch up, then promotes it to voter', async () => {
    cluster = await new NodeCluster([1, 2, 3]).start();
    const leader = await cluster.leader();
    let last = 0;
    for (let i = 0; i < 30; i++) last = (await leader.propose(write(`m${i}`, `${i}`))).index;
    const node4 = await cluster.startNode(4, joining());
    await leader.addMember(4, MemoryNetwork.addressOf(4));
    expect(leader.status().members.voters.map((m) => m.id)).toEqual([1, 2, 3, 4]);
    expect(leader.status().members.learners).toEqual([]);
    await cluster.appliedEverywhere(last);
    expect(cluster.machines.get(4)!.values).toEqual(cluster.machines.get(leader.id)!.values);
    // The new member knows every other member's address, learnt from the log.
    await waitUntil(() => node4.status().members.voters.length === 4, 2000);
    expect(node4.status().members.voters.map((m) => m.address)).toEqual([1, 2, 3, 4].map((id) => MemoryNetwork.addressOf(id)));
    // And it takes part: a write through it commits.
    await expect(node4.propose(write('via4', 'ok'))).resolves.toMatchObject({ previous: null });
  });

  test('a joining node catches up from a leader that the log it replays does not know yet', async () => {
    // Small appends and a small window: node 5 answers many times while it replays
    // configurations ({1,2,3}, then {1,2,3,4}) that lack its leader, node 4 or not the
    // members it was started with; it must keep reaching those.
    cluster = await new NodeCluster([1, 2, 3], { raft: { maxSizePerMessageBytes: 256, maxInflightMessages: 2 } }).start();
    const first = await cluster.leader();
    for (let i = 0; i < 30; i++) await first.propose(write(`a${i}`, `${i}`));
    await cluster.startNode(4, joining());
    await first.addMember(4, MemoryNetwork.addressOf(4));
    await first.transferLeadership(4);
    const leader = cluster.node(4);
    await waitUntil(() => leader.status().role === 'leader', 5000);
    await leader.removeMember(first.id);
    await cluster.stopNode(first.id);
    let last = 0;
    for (let i = 0; i < 30; i++) last = (await leader.propose(write(`b${i}`, `${i}`))).index;
    // Started, as a joining member is, knowing the members of now.
    const members = [1, 2, 3, 4].filter((id) => id !== first.id).map((id) => ({ id, address: MemoryNetwork.addressOf(id) }));
    await cluster.startNode(5, { join: true, members });
    await leader.addMember(5, MemoryNetwork.addressOf(5));
    await cluster.appliedEverywhere(last);
    expect(cluster.machines.get(5)!.values).toEqual(cluster.machines.get(4)!.values);
  });

  test('a node that installs a snapshot older than its leader keeps reaching that leader (seen in a 10-minute chaos run)', async () => {
    // Node 4 joins, takes a snapshot of a point before its own addition (its address book
    // then lacks node 4), leads, and sends that snapshot to node 5, whose log it compacted
    // away. Node 5 must not trade the addresses it knows for the snapshot's older ones.
    cluster = await new NodeCluster([1, 2, 3], { snapshotEveryEntries: 20, raft: { snapshotTrailingEntries: 0 } }).start();
    const first = await cluster.leader();
    for (let i = 0; i < 25; i++) await first.propose(write(`a${i}`, `${i}`));
    await cluster.startNode(4, joining());
    await first.addMember(4, MemoryNetwork.addressOf(4));
    await cluster.appliedEverywhere((await first.propose(write('caught-up', '4'))).index);
    await first.transferLeadership(4);
    const leader = cluster.node(4);
    await waitUntil(() => leader.status().role === 'leader', 5000);
    await leader.removeMember(first.id);
    await cluster.stopNode(first.id);
    const last = (await leader.propose(write('before5', 'x'))).index;
    const members = [1, 2, 3, 4].filter((id) => id !== first.id).map((id) => ({ id, address: MemoryNetwork.addressOf(id) }));
    await cluster.startNode(5, { join: true, members });
    await leader.addMember(5, MemoryNetwork.addressOf(5));
    await cluster.appliedEverywhere(last);
    expect(cluster.machines.get(5)!.values).toEqual(cluster.machines.get(4)!.values);
  });

  test('a learner receives the log but does not vote; promote makes it a voter', async () => {
    cluster = await new NodeCluster([1, 2, 3]).start();
    const leader = await cluster.leader();
    await cluster.startNode(4, joining());
    await leader.addLearner(4, MemoryNetwork.addressOf(4));
    expect(leader.status().members.learners.map((m) => m.id)).toEqual([4]);
    const { index } = await leader.propose(write('l', '1'));
    await cluster.appliedEverywhere(index);
    expect(cluster.machines.get(4)!.values.get('l')).toBe('1');
    await leader.promote(4);
    expect(leader.status().members.voters.map((m) => m.id)).toEqual([1, 2, 3, 4]);
  });

  test('removeMember takes a follower out of the configuration and the rest carry on without it', async () => {
    cluster = await new NodeCluster([1, 2, 3]).start();
    const leader = await cluster.leader();
    const removed = cluster.followers(leader)[0]!;
    await leader.removeMember(removed.id);
    expect(leader.status().members.voters.map((m) => m.id)).not.toContain(removed.id);
    expect(leader.status().progress!.map((p) => p.id)).not.toContain(removed.id);
    // Two voters remain; both are needed, and suffice, for a commit.
    await cluster.stopNode(removed.id);
    await expect(leader.propose(write('after-removal', 'ok'))).resolves.toMatchObject({ previous: null });
  });

  test('the leader reports how long ago it heard from each member, which goes on growing for a stopped one', async () => {
    cluster = await new NodeCluster([1, 2, 3]).start();
    const leader = await cluster.leader();
    const [live, stopped] = cluster.followers(leader) as [RaftNode, RaftNode];
    await leader.propose(write('k', 'v'));
    const since = (id: number) => leader.status().progress!.find((p) => p.id === id)!.sinceHeardMs;
    expect(since(leader.id)).toBeNull();
    expect(since(live.id)).not.toBeNull();
    await cluster.stopNode(stopped.id);
    const atStop = since(stopped.id)!;
    await sleep(300);
    expect(since(stopped.id)!).toBeGreaterThanOrEqual(atStop + 250);
    await waitUntil(() => since(live.id)! < 200, 2000);
  });

  test('removing the leader: it hears of its removal, hands leadership to another member, and the cluster goes on', async () => {
    cluster = await new NodeCluster([1, 2, 3]).start();
    const leader = await cluster.leader();
    const heard = new Promise<void>((resolve) => leader.once('removed', () => resolve()));
    await leader.removeMember(leader.id);
    await heard;
    const remaining = cluster.followers(leader);
    // The rest elect a leader among themselves and commit through it. On a loaded machine
    // another election may end the first new leader's term under a proposal (refused with
    // LeadershipLostError, as a client would see): the client asks the next one.
    let committed: KvResult | null = null;
    for (let attempt = 0; attempt < 5 && committed === null; attempt++) {
      await waitUntil(() => remaining.some((node) => node.status().role === 'leader'), 5000);
      const next = remaining.find((node) => node.status().role === 'leader')!;
      expect(next.status().members.voters.map((m) => m.id)).not.toContain(leader.id);
      try {
        // A key of its own per attempt: a refused proposal may still commit later.
        committed = (await next.propose(write(`new-leader-${attempt}`, 'ok'))) as KvResult;
      } catch (error) {
        if (!(error instanceof LeadershipLostError || error instanceof NotLeaderError)) throw error;
      }
    }
    expect(committed).toMatchObject({ previous: null });
    expect(leader.status().role).not.toBe('leader');
  });

  test('updateMemberAddress moves a member: every member and every snapshot has its new address, where it is reached once restarted', async () => {
    cluster = await new NodeCluster([1, 2, 3], { snapshotEveryEntries: 5, raft: { snapshotTrailingEntries: 0 } }).start();
    const leader = await cluster.leader();
    const [asker, moved] = cluster.followers(leader) as [RaftNode<KvResult>, RaftNode<KvResult>];
    const addressIn = (node: RaftNode<KvResult>, id: number) => node.status().members.voters.find((m) => m.id === id)?.address;
    // Asked on a follower: it goes through the log like any proposal.
    await asker.updateMemberAddress(moved.id, 'memory://moved');
    const updatedAt = asker.status().appliedIndex;
    // (The moved member itself may not hear of it: from now on it is looked for where nothing listens yet.)
    await waitUntil(() => leader.status().appliedIndex >= updatedAt, 5000);
    for (const node of [leader, asker]) expect(addressIn(node, moved.id)).toBe('memory://moved');

    // It restarts where it moved to, while the others write on (and snapshot, and compact).
    await cluster.stopNode(moved.id);
    cluster.listenAt.set(moved.id, 'memory://moved');
    let last = 0;
    for (let i = 0; i < 12; i++) last = (await leader.propose(write(`w${i}`, `${i}`))).index;
    expect(cluster.storages.get(asker.id)!.snapshotMetadata().index).toBeGreaterThan(updatedAt);
    await cluster.startNode(moved.id);
    // Caught up: the leader reaches it at its new address.
    await cluster.appliedEverywhere(last);
    expect(cluster.machines.get(moved.id)!.values).toEqual(cluster.machines.get(leader.id)!.values);

    // The asker restarts from a snapshot taken after the move (its log no longer holds the
    // update): its book still says where the member is.
    await cluster.stopNode(asker.id);
    await expect(leader.propose(write('leader and moved', 'suffice'))).resolves.toMatchObject({ previous: null });
    const restarted = await cluster.startNode(asker.id);
    expect(cluster.storages.get(asker.id)!.firstIndex()).toBeGreaterThan(updatedAt);
    expect(addressIn(restarted, moved.id)).toBe('memory://moved');
    await cluster.stopNode(leader.id);
    const next = await cluster.leader();
    await expect(next.propose(write('asker and moved', 'suffice'))).resolves.toMatchObject({ previous: null });
  });

  test('updateMemberAddress refuses an empty address and a node that is not a member, changing nothing', async () => {
    cluster = await new NodeCluster([1, 2, 3]).start();
    const leader = await cluster.leader();
    await expect(leader.updateMemberAddress(2, '')).rejects.toThrow(InvalidArgumentError);
    await expect(leader.updateMemberAddress(9, 'memory://nine')).rejects.toThrow('node 9 is not a member');
    expect(leader.status().members.voters.map((m) => m.address)).toEqual([1, 2, 3].map((id) => MemoryNetwork.addressOf(id)));
  });

  test('membership calls on a follower fail with NotLeaderError naming the leader', async () => {
    cluster = await new NodeCluster([1, 2, 3]).start();
    const leader = await cluster.leader();
    const follower = cluster.followers(leader)[0]!;
    await expect(follower.addLearner(9, 'memory://9')).rejects.toEqual(new NotLeaderError(leader.id));
    expect(leader.status().members.learners).toEqual([]);
  });

  test('a bad membership request is refused with a clear error and changes nothing', async () => {
    cluster = await new NodeCluster([1, 2, 3]).start();
    const leader = await cluster.leader();
    await expect(leader.addLearner(0, 'memory://0')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(leader.addLearner(5, '')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(leader.promote(7)).rejects.toMatchObject({ code: 'INVALID_CONF_CHANGE' });
    expect(leader.status().members.voters.map((m) => m.id)).toEqual([1, 2, 3]);
  });
});

describe('RaftNode: leadership', () => {
  test('transferLeadership hands over and resolves once the new leader leads; leader-change events tell everyone', async () => {
    cluster = await new NodeCluster([1, 2, 3]).start();
    const leader = await cluster.leader();
    const target = cluster.followers(leader)[0]!;
    const seen = new Promise<number>((resolve) => leader.on('leader-change', ({ leader: id }) => id === target.id && resolve(id)));
    await leader.transferLeadership(target.id);
    expect(target.status().role).toBe('leader');
    await expect(seen).resolves.toBe(target.id);
  });

  test('a leader cut off from the others rejects its pending proposals with LeadershipLostError once it steps down', async () => {
    cluster = await new NodeCluster([1, 2, 3]).start();
    const leader = await cluster.leader();
    await leader.propose(write('before', '1'));
    cluster.network.isolate(leader.id);
    const pending = leader.propose(write('cut-off', '1'));
    const error = await pending.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LeadershipLostError);
    expect(error).toMatchObject({ retryable: true });
    cluster.network.heal();
    const newLeader = await cluster.leader();
    // It never committed: the new leader's log does not have it.
    const { index } = await newLeader.propose(write('after', '1'));
    await cluster.appliedEverywhere(index);
    for (const machine of cluster.machines.values()) expect(machine.values.has('cut-off')).toBe(false);
  });

  test('a proposal with no leader reachable times out with RequestTimeoutError rather than hanging', async () => {
    cluster = await new NodeCluster([1, 2, 3], { requestTimeoutMs: 300 }).start();
    const leader = await cluster.leader();
    const follower = cluster.followers(leader)[0]!;
    cluster.network.drop(follower.id, leader.id, 1);
    const read = follower.read();
    await expect(read).rejects.toBeInstanceOf(RequestTimeoutError);
    await sleep(10);
  });
});

describe('RaftNode: one membership change at a time', () => {
  test('a change made while another is still being applied waits for it instead of failing', async () => {
    cluster = await new NodeCluster([1, 2, 3]).start();
    const leader = await cluster.leader();
    await cluster.startNode(4, joining());
    await cluster.startNode(5, joining());
    // Not awaited one by one: the second finds the first pending in the core.
    await Promise.all([leader.addLearner(4, MemoryNetwork.addressOf(4)), leader.addLearner(5, MemoryNetwork.addressOf(5))]);
    expect(leader.status().members.learners.map((m) => m.id)).toEqual([4, 5]);
  });
});
