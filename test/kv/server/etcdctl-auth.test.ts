/**
 * KV authentication and roles with the real etcdctl 3.4, on one three-member Balsa cluster
 * (snapshots every 10 entries, so that a restarted member's auth store comes back from a
 * snapshot, not only from the log) beside one real etcd 3.4:
 *
 * - the same etcdctl session (root and `auth enable`, a user with a read-only prefix role
 *   and a read-write "from key" one, reads inside, writes and reads outside, watch,
 *   maintenance and member changes refused, etcd's errors for bad management) prints the
 *   same on both, and a few of its answers are checked outright;
 * - the users and roles made through one member hold on the others, and a token from one
 *   member is good on another (a made-up one: "invalid auth token");
 * - after a member restarts, auth is still on and its users still log in;
 * - Balsa's own etcd client authenticates, and again when its token is voided; the API
 *   server runs on a KV with auth on as a user that may only read and write the registry.
 *
 * Needs etcd and etcdctl: fails in CI when they are missing, skipped elsewhere.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { ApiServer } from '../../../control-plane/apiserver/api-server.js';
import { EtcdClient } from '../../../kv/client/index.js';
import { EtcdGrpcClient } from '../../support/etcd-grpc.js';
import { describeWithTools, etcdTools, runEtcdctl, startRealEtcd } from '../../support/etcd-tools.js';
import type { RealEtcd } from '../../support/etcd-tools.js';
import { eventually } from '../../support/eventually.js';
import { startKvCluster } from '../../support/kv-cluster.js';
import type { KvCluster } from '../../support/kv-cluster.js';

/**
 * etcdctl gives up on a request after 5 s by default; a busy machine (password hashing is
 * slow on purpose, and a login is a Raft round trip) may take longer: no timing is tested.
 */
const PATIENT = ['--command-timeout=60s'];
const ROOT = ['--user', 'root:pw'];
const READER = ['--user', 'ro:ro'];

/** The session both servers get, in order (auth stays on at its end). */
const SESSION: readonly (readonly string[])[] = [
  ['auth', 'enable'],
  ['user', 'add', 'root:pw'],
  // etcdctl grants root the root role itself, after the server's "root user does not have root role".
  ['auth', 'enable'],
  ['put', 'a', 'b'],
  ['--user', 'root:bad', 'get', 'a'],
  [...ROOT, 'user', 'add', 'ro:ro'],
  [...ROOT, 'role', 'add', 'reader'],
  [...ROOT, 'role', 'grant-permission', 'reader', '--prefix', 'read', '/ro/'],
  [...ROOT, 'role', 'grant-permission', 'reader', '--from-key', 'readwrite', '/z'],
  [...ROOT, 'user', 'grant-role', 'ro', 'reader'],
  [...ROOT, 'role', 'get', 'reader'],
  [...ROOT, 'user', 'get', 'ro'],
  [...ROOT, 'put', '/ro/a', '1'],
  [...READER, 'get', '/ro/a'],
  [...READER, 'put', '/ro/a', '2'],
  [...READER, 'get', '/other'],
  [...READER, 'get', '/', '--prefix'],
  [...READER, 'watch', '/other'],
  [...READER, 'put', '/zz', '1'],
  [...READER, 'user', 'list'],
  [...READER, 'defrag'],
  [...READER, 'member', 'add', 'x', '--peer-urls=http://127.0.0.1:1'],
  [...ROOT, 'user', 'add', 'ro:x'],
  [...ROOT, 'user', 'grant-role', 'ro', 'nope'],
  [...ROOT, 'user', 'delete', 'root'],
  [...ROOT, 'role', 'revoke-permission', 'reader', '/nope'],
];

/** What a session printed, without what differs between servers and runs (etcdctl's JSON log lines, the endpoint). */
async function runSession(etcdctl: string, endpoint: string): Promise<string[]> {
  const out: string[] = [];
  for (const args of SESSION) {
    const result = await runEtcdctl(etcdctl, [...PATIENT, ...args], { endpoints: [endpoint], timeoutMs: 90_000 });
    const lines = `${result.stdout}${result.stderr}`
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('{"level"'))
      .map((line) => line.split(endpoint).join('<endpoint>'));
    out.push(`$ etcdctl ${args.join(' ')}  (exit ${result.code})`, ...lines);
  }
  return out;
}

const B = (text: string) => Buffer.from(text);
const withToken = (token: string) => {
  const metadata = new grpc.Metadata();
  metadata.set('token', token);
  return metadata;
};

describeWithTools(etcdTools(), 'KV auth with etcdctl 3.4', (tools) => {
  let dir: string;
  let balsa: KvCluster;
  let etcd: RealEtcd;
  let etcdctl: (on: number, args: readonly string[]) => ReturnType<typeof runEtcdctl>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'balsa-kv-auth-'));
    [balsa, etcd] = await Promise.all([startKvCluster({ members: 3, dir, flags: ['--snapshot-count', '10'] }), startRealEtcd({ etcd: tools.etcd })]);
    etcdctl = (on, args) => runEtcdctl(tools.etcdctl, [...PATIENT, ...args], { endpoints: [balsa.clientEndpoints[on]!], timeoutMs: 90_000 });
  });
  afterAll(async () => {
    await Promise.all([balsa?.stop(), etcd?.stop()]);
    await rm(dir, { recursive: true, force: true });
  });

  test('etcdctl prints the same for the same auth session against Balsa as against etcd 3.4', async () => {
    const [fromEtcd, fromBalsa] = await Promise.all([runSession(tools.etcdctl, etcd.clientEndpoints[0]!), runSession(tools.etcdctl, balsa.clientEndpoints[0]!)]);
    expect(fromBalsa).toEqual(fromEtcd);
    // Whatever etcd prints, these are what users rely on.
    const after = (command: string): string => fromBalsa[fromBalsa.indexOf(`$ etcdctl ${command}`) + 1] ?? '';
    expect(after('put a b  (exit 1)')).toBe('Error: etcdserver: user name is empty');
    expect(after('--user root:bad get a  (exit 2)')).toBe('Error: etcdserver: authentication failed, invalid user ID or password');
    expect(after('--user ro:ro get /ro/a  (exit 0)')).toBe('/ro/a');
    expect(after('--user ro:ro put /ro/a 2  (exit 1)')).toBe('Error: etcdserver: permission denied');
    expect(after('--user ro:ro get /other  (exit 1)')).toBe('Error: etcdserver: permission denied');
    expect(after('--user ro:ro put /zz 1  (exit 0)')).toBe('OK');
    expect(after('--user ro:ro defrag  (exit 1)')).toContain('auth: permission denied');
    expect(after('--user root:pw user add ro:x  (exit 1)')).toBe('Error: etcdserver: user name already exists');
  }, 600_000);

  test('users, roles and the enabled state made through one member hold on the others', async () => {
    const onM2 = await etcdctl(1, [...READER, 'get', '/ro/a', '--print-value-only']);
    expect(onM2.stdout).toBe('1\n');
    const onM3 = await etcdctl(2, [...READER, 'put', '/ro/a', '3']);
    expect(onM3.stderr).toContain('Error: etcdserver: permission denied');
    const noUser = await etcdctl(2, ['get', '/ro/a']);
    expect(noUser.stderr).toContain('Error: etcdserver: user name is empty');
  }, 180_000);

  test('a token from one member is good on another; a made-up one is refused', async () => {
    const [m1, m2] = [new EtcdGrpcClient(balsa.clientEndpoints[0]!), new EtcdGrpcClient(balsa.clientEndpoints[1]!)];
    try {
      const { token } = await m1.call('Auth', 'Authenticate', { name: 'ro', password: 'ro' });
      // m2 applies the token's entry shortly after m1 answers.
      const read = await eventually(() => m2.call('KV', 'Range', { key: B('/ro/a') }, 10_000, withToken(String(token))));
      expect((read.kvs as { value: Buffer }[])[0]!.value.toString()).toBe('1');
      await expect(m2.call('KV', 'Range', { key: B('/ro/a') }, 10_000, withToken('madeup.1'))).rejects.toMatchObject({
        code: grpc.status.UNAUTHENTICATED,
        details: 'etcdserver: invalid auth token',
      });
    } finally {
      m1.close();
      m2.close();
    }
  }, 180_000);

  test('after a member restarts, auth is still on and its users still log in', async () => {
    // The session wrote dozens of entries after the users and roles: the member's latest
    // snapshot holds them, and it restarts from that snapshot (and the few entries after it).
    await balsa.stopMember(2);
    await balsa.restartMember(2);
    const read = await eventually(async () => {
      const result = await etcdctl(2, [...READER, 'get', '/ro/a', '--print-value-only']);
      if (result.code !== 0) throw new Error(result.stderr);
      return result;
    });
    expect(read.stdout).toBe('1\n');
    expect((await etcdctl(2, ['get', '/ro/a'])).stderr).toContain('Error: etcdserver: user name is empty');
    expect((await etcdctl(2, [...READER, 'put', '/ro/a', '4'])).stderr).toContain('Error: etcdserver: permission denied');
  }, 300_000);

  test("Balsa's etcd client authenticates, and again once its token is voided", async () => {
    const client = new EtcdClient(balsa.clientEndpoints, { credentials: { user: 'ro', password: 'ro' } });
    const anonymous = new EtcdClient(balsa.clientEndpoints);
    try {
      expect((await client.range(B('/ro/a'))).kvs[0]!.value.toString()).toBe('1');
      await expect(anonymous.range(B('/ro/a'))).rejects.toMatchObject({ code: 'REQUEST_REJECTED', message: 'etcdserver: user name is empty' });
      // Turning auth off and on again voids every token.
      expect((await etcdctl(0, [...ROOT, 'auth', 'disable'])).code).toBe(0);
      expect((await etcdctl(0, ['auth', 'enable'])).code).toBe(0);
      expect((await client.range(B('/ro/a'))).kvs[0]!.value.toString()).toBe('1');
    } finally {
      client.close();
      anonymous.close();
    }
  }, 180_000);

  test('the API server works on a KV with auth on, as a user with read-write on the registry only', async () => {
    for (const args of [
      ['user', 'add', 'apiserver:apipw'],
      ['role', 'add', 'registry'],
      ['role', 'grant-permission', 'registry', '--prefix', 'readwrite', '/registry/'],
      ['user', 'grant-role', 'apiserver', 'registry'],
    ]) {
      expect((await etcdctl(0, [...ROOT, ...args])).code).toBe(0);
    }
    const api = await ApiServer.start({ kvEndpoints: balsa.clientEndpoints, kvCredentials: { user: 'apiserver', password: 'apipw' }, httpPort: 0, grpcPort: 0 });
    try {
      // Ready: it created the system namespaces and reads them back, through auth.
      await eventually(() => api.ready());
      const keys = await etcdctl(1, [...ROOT, 'get', '/registry/namespaces/', '--prefix', '--keys-only']);
      expect(keys.stdout).toContain('/registry/namespaces/default');
    } finally {
      await api.stop();
    }
  }, 180_000);
});
