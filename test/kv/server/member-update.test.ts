/**
 * `member update` moves a member's peer URL for good: the address travels through Raft's
 * log (RaftNode.updateMemberAddress), so every member reaches the moved member at its new
 * URL — after it restarts there, after snapshots and log compaction, and after the others
 * restart from those snapshots. Real `balsa kv serve` processes, driven by etcdctl.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SNAPSHOT_CATCH_UP_ENTRIES_ENV } from '../../../kv/server/server-options.js';
import { freePort } from '../../../raft/testing/process-cluster.js';
import { describeWithTools, etcdctlAt, requireTool } from '../../support/etcd-tools.js';
import { eventually } from '../../support/eventually.js';
import { startKvCluster } from '../../support/kv-cluster.js';
import type { KvCluster } from '../../support/kv-cluster.js';

describeWithTools(
  requireTool('etcdctl'),
  'member update, then restarts',
  (etcdctl) => {
    let dir: string;
    let cluster: KvCluster;
    const { out } = etcdctlAt(etcdctl);

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'balsa-kv-member-update-'));
      // A snapshot every 10 entries, and the log compacted right behind it.
      cluster = await startKvCluster({ members: 3, dir, flags: ['--snapshot-count=10'], env: { [SNAPSHOT_CATCH_UP_ENTRIES_ENV]: '2' } });
    });
    afterAll(async () => {
      await cluster?.stop();
      if (process.env.BALSA_KEEP_ETCD_DIRS !== '1') await rm(dir, { recursive: true, force: true });
    });

    test('a member moved with member update is reached at its new peer URL after snapshots and restarts', async () => {
      const [m1, m2, m3] = cluster.members as [(typeof cluster.members)[0], (typeof cluster.members)[0], (typeof cluster.members)[0]];
      const id = (await out(m1.clientEndpoint, 'member', 'list')).split('\n').find((line) => line.includes(m3.peerUrl))!.split(', ')[0]!;
      const moved = `http://127.0.0.1:${await freePort()}`;
      expect(await out(m2.clientEndpoint, 'member', 'update', id, `--peer-urls=${moved}`)).toMatch(new RegExp(`^Member +${id} updated in cluster +[0-9a-f]+\\n$`));
      await cluster.stopMember(2);

      // Written while it is away: several snapshots, the log compacted behind them.
      for (let i = 0; i < 30; i++) await out(m1.clientEndpoint, 'put', `moved/${i}`, `${i}`);
      await cluster.restartMember(2, { peerUrl: moved });
      await eventually(async () => expect(await out(m3.clientEndpoint, 'get', 'moved/29', '--consistency=s')).toBe('moved/29\n29\n'));

      // m1 restarts from its snapshot (the update itself compacted away), and must reach m3
      // there: with m2 down, m1 and m3 are the quorum.
      await cluster.stopMember(0);
      await cluster.restartMember(0);
      await cluster.stopMember(1);
      expect(await eventually(() => out(m1.clientEndpoint, 'put', 'quorum', 'of m1 and m3'))).toBe('OK\n');
      await eventually(async () => expect(await out(m3.clientEndpoint, 'get', 'quorum', '--consistency=s')).toBe('quorum\nof m1 and m3\n'));
      const listed = (await out(m3.clientEndpoint, 'member', 'list')).split('\n').find((line) => line.startsWith(`${id},`));
      expect(listed).toBe(`${id}, started, m3, ${moved}, ${m3.clientUrl}, false`);

      await cluster.restartMember(1);
      await eventually(async () => expect(await out(m2.clientEndpoint, 'get', 'quorum', '--consistency=s')).toBe('quorum\nof m1 and m3\n'));
    });
  },
  ['etcdctl'],
);
