/**
 * `--initial-cluster-state existing` on an empty data directory joins a cluster only as a
 * member added there first (`member add`): like etcd 3.4, a member the cluster does not
 * list, or listed at other peer URLs, or whose peers do not answer, refuses to start with
 * etcd's complaint and exit status 1 (instead of waiting forever for a leader that does
 * not know it), frees its ports and leaves no data directory; once added, the same
 * command joins. The same refusals are checked against a real etcd 3.4 when it is
 * installed. And the initial cluster flags do not matter on a data directory that holds a
 * member: started with `new`, another initial cluster and another token, it restarts as
 * itself, as etcd does.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../../raft/testing/process-cluster.js';
import { describeWithTools, etcdctlAt, requireTool, startRealEtcd } from '../../support/etcd-tools.js';
import { CLUSTER_TOKEN, defaultBalsaCli, startKvCluster } from '../../support/kv-cluster.js';
import type { KvCluster } from '../../support/kv-cluster.js';

/** A member that waits instead of refusing is killed after this long (and the test fails). */
const REFUSAL_TIMEOUT_MS = 30_000;

const NOT_ADDED = /error validating peerURLs \{ClusterID:[0-9a-f]+ Members:\[&\{ID:[0-9a-f]+ RaftAttributes:\{PeerURLs:\[http:\/\/127\.0\.0\.1:\d+\] IsLearner:false\} Attributes:\{Name:m1 ClientURLs:\[http:\/\/127\.0\.0\.1:\d+\]\}\}\](?: RemovedMemberIDs:\[\])?\}: member count is unequal/;
const UNREACHABLE = 'cannot fetch cluster info from peer urls: could not retrieve cluster information from the given URLs';

interface Exited {
  readonly code: number | null;
  readonly output: string;
}

/** Runs a process to its end; kills it (code null) if it has not ended after `REFUSAL_TIMEOUT_MS`. */
function runToExit(command: string, args: readonly string[]): Promise<Exited> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), REFUSAL_TIMEOUT_MS);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, output });
    });
  });
}

/** Whether `port` on 127.0.0.1 can be bound (nobody holds it). */
function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A member's flags for `existing`, on fresh ports: as `member add` would have it start. */
async function joiner(name: string, dataDir: string, initialCluster: (peerUrl: string) => string, token: string) {
  const clientPort = await freePort();
  const peerPort = await freePort();
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const clientUrl = `http://127.0.0.1:${clientPort}`;
  return {
    peerUrl,
    ports: [clientPort, peerPort],
    args: [
      '--name', name, '--data-dir', dataDir,
      '--listen-client-urls', clientUrl, '--advertise-client-urls', clientUrl,
      '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl,
      '--initial-cluster', initialCluster(peerUrl), '--initial-cluster-state', 'existing', '--initial-cluster-token', token,
    ],
  };
}

describeWithTools(requireTool('etcdctl'), 'joining an existing cluster', (etcdctl) => {
  let dir: string;
  let cluster: KvCluster;
  const { out } = etcdctlAt(etcdctl);
  const balsa = (args: readonly string[]) => runToExit(process.execPath, [defaultBalsaCli(), 'kv', 'serve', ...args]);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'balsa-kv-join-'));
    cluster = await startKvCluster({ members: 1, dir });
  });
  afterAll(async () => {
    await cluster?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('a member never added refuses to start as etcd does, frees its ports, writes nothing; added, it joins', async () => {
    const m1 = cluster.members[0]!;
    const dataDir = join(dir, 'm2.etcd');
    const m2 = await joiner('m2', dataDir, (peerUrl) => `m1=${m1.peerUrl},m2=${peerUrl}`, CLUSTER_TOKEN);
    const refused = await balsa(m2.args);
    expect(refused.code).toBe(1);
    expect(refused.output).toMatch(NOT_ADDED);
    expect(existsSync(dataDir)).toBe(false);
    for (const port of m2.ports) expect(await isFree(port)).toBe(true);
    // The cluster never heard of it.
    expect((await out(m1.clientEndpoint, 'member', 'list')).trim().split('\n')).toHaveLength(1);

    // Added, the same member starts with what `member add` printed and serves the cluster's data.
    await out(m1.clientEndpoint, 'put', 'seen', 'by m2');
    const planned = await cluster.planMember('m2');
    const added = /ETCD_INITIAL_CLUSTER="([^"]+)"/.exec(await out(m1.clientEndpoint, 'member', 'add', 'm2', `--peer-urls=${planned.peerUrl}`))![1]!;
    await cluster.startJoining(planned, added);
    expect(await out(planned.clientEndpoint, 'get', 'seen')).toBe('seen\nby m2\n');
    expect((await out(planned.clientEndpoint, 'member', 'list')).trim().split('\n')).toHaveLength(2);
  });

  test('a member added at other peer URLs, or whose peers do not answer, refuses to start', async () => {
    const [m1, m2] = cluster.members as [typeof cluster.members[0], typeof cluster.members[0]];
    const moved = await joiner('m3', join(dir, 'm3.etcd'), (peerUrl) => `m1=${m1.peerUrl},m2=${m2.peerUrl},m3=${peerUrl}`, CLUSTER_TOKEN);
    const addedAt = `http://127.0.0.1:${await freePort()}`;
    await out(m1.clientEndpoint, 'member', 'add', 'm3', `--peer-urls=${addedAt}`, '--learner');
    const mismatch = await balsa(moved.args);
    expect(mismatch.code).toBe(1);
    expect(mismatch.output).toMatch(
      new RegExp(`error validating peerURLs \\{ClusterID:[0-9a-f]+ Members:\\[.*\\]\\}: PeerURLs: no match found for existing member \\([0-9a-f]+, \\[${addedAt}\\]\\)`),
    );
    expect(existsSync(join(dir, 'm3.etcd'))).toBe(false);

    const nobody = `http://127.0.0.1:${await freePort()}`;
    const lonely = await joiner('m4', join(dir, 'm4.etcd'), (peerUrl) => `gone=${nobody},m4=${peerUrl}`, CLUSTER_TOKEN);
    const unreachable = await balsa(lonely.args);
    expect(unreachable.code).toBe(1);
    expect(unreachable.output).toContain(`could not get cluster response from ${nobody}`);
    expect(unreachable.output).toContain(UNREACHABLE);
    expect(existsSync(join(dir, 'm4.etcd'))).toBe(false);
    for (const port of [...moved.ports, ...lonely.ports]) expect(await isFree(port)).toBe(true);
  });

  test('started with `new`, another initial cluster and another token, a member restarts as itself', async () => {
    const m2 = cluster.members[1]!;
    const before = await out(m2.clientEndpoint, 'member', 'list', '-w', 'json');
    const status = (JSON.parse(await out(m2.clientEndpoint, 'endpoint', 'status', '-w', 'json')) as { Status: { header: { member_id: number } } }[])[0]!;
    await cluster.stopMember(1);
    await cluster.restartMember(1, {
      state: 'new',
      initialCluster: `m2=${m2.peerUrl},stranger=http://127.0.0.1:${await freePort()}`,
      flags: ['--initial-cluster-token', 'another-cluster'],
    });
    const listed = (text: string) => {
      const parsed = JSON.parse(text) as { header: { cluster_id: number }; members: unknown[] };
      return { cluster: parsed.header.cluster_id, members: parsed.members };
    };
    // The same member (id) of the same cluster, with the same members: the flags were ignored.
    const after = await out(m2.clientEndpoint, 'member', 'list', '-w', 'json');
    expect(listed(after)).toEqual(listed(before));
    const again = (JSON.parse(await out(m2.clientEndpoint, 'endpoint', 'status', '-w', 'json')) as typeof status[])[0]!;
    expect(again.Status.header.member_id).toBe(status.Status.header.member_id);
    expect(await out(m2.clientEndpoint, 'put', 'after', 'restart')).toBe('OK\n');
    expect(await out(cluster.members[0]!.clientEndpoint, 'get', 'after')).toBe('after\nrestart\n');
  });
}, ['etcdctl']);

describeWithTools(
  requireTool('etcd'),
  'joining an existing cluster: what etcd 3.4 does',
  (etcd) => {
    test('a member never added, or whose peers do not answer, exits 1 with the complaints Balsa prints', async () => {
      const workDir = await mkdtemp(join(tmpdir(), 'balsa-etcd-join-'));
      const real = await startRealEtcd({ etcd, members: 1, dir: workDir });
      try {
        const m1 = real.members[0]!;
        const notAdded = await joiner('m2', join(workDir, 'm2.etcd'), (peerUrl) => `m1=${m1.peerUrl},m2=${peerUrl}`, real.clusterToken);
        const refused = await runToExit(etcd, notAdded.args);
        expect(refused.code).toBe(1);
        expect(refused.output).toMatch(NOT_ADDED);
        const nobody = `http://127.0.0.1:${await freePort()}`;
        const lonely = await joiner('m4', join(workDir, 'm4.etcd'), (peerUrl) => `gone=${nobody},m4=${peerUrl}`, real.clusterToken);
        const unreachable = await runToExit(etcd, lonely.args);
        expect(unreachable.code).toBe(1);
        expect(unreachable.output).toContain(`could not get cluster response from ${nobody}`);
        expect(unreachable.output).toContain(UNREACHABLE);
      } finally {
        await real.stop();
        await rm(workDir, { recursive: true, force: true });
      }
    });
  },
  ['etcd'],
);
