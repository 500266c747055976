/**
 * Growing and shrinking a Balsa KV cluster with etcdctl, the way an etcd operator does:
 * `member add` prints the environment to start the new member with, the member joins with
 * `--initial-cluster-state existing` and catches up, `member list` shows it unstarted then
 * started; learners are added, refused what etcd refuses them, and promoted once in sync;
 * `member update` moves a member's peer URL; `member remove` takes a member out (the
 * removed member stops). Changes sent to a follower are forwarded to the leader. Bad
 * requests get etcd's errors.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../../raft/testing/process-cluster.js';
import { describeWithTools, requireTool, etcdctlAt } from '../../support/etcd-tools.js';
import { eventually } from '../../support/eventually.js';
import { startKvCluster } from '../../support/kv-cluster.js';
import type { KvCluster, PlannedMember } from '../../support/kv-cluster.js';

interface ListedMember {
  readonly id: string;
  readonly status: string;
  readonly name: string;
  readonly peerUrls: string;
  readonly clientUrls: string;
  readonly isLearner: string;
}

describeWithTools(requireTool('etcdctl'), 'cluster membership through etcdctl', (etcdctl) => {
  let dir: string;
  let cluster: KvCluster;
  const { out, fails } = etcdctlAt(etcdctl);
  const list = async (endpoint: string): Promise<ListedMember[]> =>
    (await out(endpoint, 'member', 'list'))
      .trim()
      .split('\n')
      .map((line) => {
        const [id, status, name, peerUrls, clientUrls, isLearner] = line.split(', ');
        return { id: id!, status: status!, name: name!, peerUrls: peerUrls!, clientUrls: clientUrls!, isLearner: isLearner! };
      });
  const idOf = async (endpoint: string, member: PlannedMember) => {
    const found = (await list(endpoint)).find((m) => m.peerUrls === member.peerUrl);
    if (found === undefined) throw new Error(`${member.peerUrl} is not a member`);
    return found.id;
  };
  /** `member add`, checking etcdctl's output; returns the new id and the ETCD_INITIAL_CLUSTER it printed. */
  const add = async (endpoint: string, member: PlannedMember, ...flags: string[]) => {
    const printed = await out(endpoint, 'member', 'add', member.name, `--peer-urls=${member.peerUrl}`, ...flags);
    const match = new RegExp(
      `^Member +([0-9a-f]+) added to cluster +[0-9a-f]+\\n\\nETCD_NAME="${member.name}"\\nETCD_INITIAL_CLUSTER="([^"]+)"\\n` +
        `ETCD_INITIAL_ADVERTISE_PEER_URLS="${member.peerUrl}"\\nETCD_INITIAL_CLUSTER_STATE="existing"\\n$`,
    ).exec(printed);
    if (match === null) throw new Error(`unexpected member add output:\n${printed}`);
    return { id: match[1]!, initialCluster: match[2]! };
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'balsa-kv-members-'));
    cluster = await startKvCluster({ members: 1, dir });
  });
  afterAll(async () => {
    await cluster?.stop();
    if (process.env.BALSA_KEEP_ETCD_DIRS !== '1') await rm(dir, { recursive: true, force: true });
  });

  test('add a voter to a one-member cluster, start it with what member add printed, and it catches up', async () => {
    const m1 = cluster.clientEndpoints[0]!;
    expect(await out(m1, 'put', 'before', 'join')).toBe('OK\n');
    const m2 = await cluster.planMember('m2');
    const added = await add(m1, m2);
    expect(added.initialCluster.split(',').sort()).toEqual([`m1=${cluster.members[0]!.peerUrl}`, `m2=${m2.peerUrl}`]);
    // Added, not started: no name and no client URLs yet (etcd's "unstarted").
    expect(await list(m1)).toContainEqual({ id: added.id, status: 'unstarted', name: '', peerUrls: m2.peerUrl, clientUrls: '', isLearner: 'false' });
    // A member not yet started does not stop the cluster from taking writes.
    expect(await out(m1, 'put', 'while', 'joining')).toBe('OK\n');

    await fails(m1, ['member', 'add', 'again', `--peer-urls=${m2.peerUrl}`], 'etcdserver: Peer URLs already exists');
    await cluster.startJoining(m2, added.initialCluster);
    await eventually(async () =>
      expect(await list(m1)).toContainEqual({ id: added.id, status: 'started', name: 'm2', peerUrls: m2.peerUrl, clientUrls: m2.clientUrl, isLearner: 'false' }),
    );
    // Linearizable reads on the new member see what was written before it joined.
    expect(await out(m2.clientEndpoint, 'get', '--prefix', '')).toBe('before\njoin\nwhile\njoining\n');
    expect(await list(m2.clientEndpoint)).toEqual(await list(m1));
    // A voter indeed, once caught up: it can take the lead.
    const moved = await eventually(() => out(`${m1},${m2.clientEndpoint}`, 'move-leader', added.id));
    expect(moved).toMatch(new RegExp(`^Leadership transferred from [0-9a-f]+ to ${added.id}\\n$`));
    expect(await out(m1, 'put', 'after', 'move')).toBe('OK\n');
  });

  test('a learner added through a follower is refused what etcd refuses learners, and promoted once in sync', async () => {
    const [m1, m2] = cluster.clientEndpoints as [string, string];
    const m3 = await cluster.planMember('m3');
    const follower = (await out(m1, 'endpoint', 'status')).split(', ')[4] === 'true' ? m2 : m1;
    const added = await add(follower, m3, '--learner');
    expect((await list(m1)).find((m) => m.id === added.id)).toMatchObject({ status: 'unstarted', isLearner: 'true' });
    await fails(follower, ['member', 'promote', added.id], 'etcdserver: can only promote a learner member which is in sync with leader');
    await fails(follower, ['member', 'promote', await idOf(m1, cluster.members[0]!)], 'etcdserver: can only promote a learner member');

    await cluster.startJoining(m3, added.initialCluster);
    await eventually(async () => expect((await list(m1)).find((m) => m.id === added.id)).toMatchObject({ status: 'started', name: 'm3' }));
    // etcd 3.4 lets a learner serve serializable reads and status only.
    await fails(m3.clientEndpoint, ['put', 'from', 'learner'], 'etcdserver: rpc not supported for learner');
    await eventually(async () => expect(await out(m3.clientEndpoint, 'get', 'before', '--consistency=s')).toBe('before\njoin\n'));
    expect((await out(m3.clientEndpoint, 'endpoint', 'status')).split(', ')[5]).toBe('true');

    const promoted = await eventually(() => out(follower, 'member', 'promote', added.id));
    expect(promoted).toMatch(new RegExp(`^Member +${added.id} promoted in cluster +[0-9a-f]+\\n$`));
    expect((await list(m2)).find((m) => m.id === added.id)).toMatchObject({ isLearner: 'false' });
    expect(await out(m3.clientEndpoint, 'put', 'from', 'm3')).toBe('OK\n');
    expect(await out(m1, 'get', 'from')).toBe('from\nm3\n');
  });

  test('member update moves a member to a new peer URL, where the others then reach it', async () => {
    const m1 = cluster.clientEndpoints[0]!;
    const m3 = cluster.members[2]!;
    const id = await idOf(m1, m3);
    const moved = `http://127.0.0.1:${await freePort()}`;
    await fails(m1, ['member', 'update', '1234', `--peer-urls=${moved}`], 'etcdserver: member not found');
    await fails(m1, ['member', 'update', id, `--peer-urls=${cluster.members[0]!.peerUrl}`], 'etcdserver: Peer URLs already exists');
    expect(await out(cluster.clientEndpoints[1]!, 'member', 'update', id, `--peer-urls=${moved}`)).toMatch(
      new RegExp(`^Member +${id} updated in cluster +[0-9a-f]+\\n$`),
    );
    expect((await list(m1)).find((m) => m.id === id)).toMatchObject({ peerUrls: moved });
    await cluster.stopMember(2);
    await cluster.restartMember(2, { peerUrl: moved });
    expect(await out(m1, 'put', 'after', 'move')).toBe('OK\n');
    await eventually(async () => expect(await out(m3.clientEndpoint, 'get', 'after', '--consistency=s')).toBe('after\nmove\n'));
  });

  test('member remove takes the leader out: it stops, and the others go on without it', async () => {
    const running = [0, 1, 2];
    await fails(cluster.clientEndpoints[0]!, ['member', 'remove', '1234'], 'etcdserver: member not found');
    const isLeader = await Promise.all(running.map(async (i) => (await out(cluster.clientEndpoints[i]!, 'endpoint', 'status')).split(', ')[4] === 'true'));
    const leader = running[isLeader.indexOf(true)]!;
    const [asker, other] = running.filter((i) => i !== leader).map((i) => cluster.clientEndpoints[i]!) as [string, string];
    const removed = await idOf(asker, cluster.members[leader]!);
    expect(await out(asker, 'member', 'remove', removed)).toMatch(new RegExp(`^Member +${removed} removed from cluster +[0-9a-f]+\n$`));
    // As etcd's does, a removed member stops by itself.
    expect(await cluster.waitForExit(leader, 10_000)).toBe(true);
    expect(await eventually(() => out(other, 'put', 'after', 'removal'))).toBe('OK\n');
    expect(await out(asker, 'get', 'after')).toBe('after\nremoval\n');
    const members = await list(asker);
    expect(members.map((m) => m.id)).not.toContain(removed);
    expect(members).toHaveLength(2);
    // Ids follow from peer URLs and a removed id is never reused.
    await fails(asker, ['member', 'add', 'back', `--peer-urls=${cluster.members[leader]!.peerUrl}`], 'etcdserver: member ID already exist');
  });
});
