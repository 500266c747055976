/**
 * A three-member Balsa KV cluster with TLS and mutual authentication on both ports
 * (`--cert-file`, `--key-file`, `--trusted-ca-file`, `--client-cert-auth` and the
 * `--peer-*` twins, https:// URLs), certificates from `balsa up`'s PKI: it elects a leader
 * and replicates over peer TLS; the real etcdctl with `--cacert --cert --key` puts, gets
 * from every member and watches, and a follower forwards to the leader over TLS; a client
 * without a certificate, with one from another CA, or in plain text is refused (etcdctl says
 * what it says against etcd 3.4: "context deadline exceeded"), and the member logs the
 * refusal as etcd does; a would-be peer without a certificate is refused on the peer port;
 * and Balsa's own `EtcdClient` (the API server's) works over TLS. The members are `balsa
 * server`s: each one's API server reaches its own member over TLS with the member's own
 * certificate (no `--kv-*` flags given).
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { EtcdClient, readEtcdClientTls } from '../../../kv/client/index.js';
import { createCertificateAuthority, issueClientCertificate } from '../../../kv/security/pki.js';
import { loadEtcdProto } from '../../../kv/server/etcd-proto.js';
import type { WireObject } from '../../../kv/server/etcd-proto.js';
import { ensureUpPki, upPkiPaths } from '../../../cmd/up/up-pki.js';
import type { UpPki } from '../../../cmd/up/up-pki.js';
import { describeWithTools, requireTool, runEtcdctl, spawnEtcdctl } from '../../support/etcd-tools.js';
import { eventually } from '../../support/eventually.js';
import { startKvCluster } from '../../support/kv-cluster.js';
import type { KvCluster } from '../../support/kv-cluster.js';

const MEMBERS = ['m1', 'm2', 'm3'];

describeWithTools(requireTool('etcdctl'), 'KV with client and peer TLS, mutual authentication', (etcdctl) => {
  let dir: string;
  let pki: UpPki;
  let cluster: KvCluster;
  let urls: string[];
  /** A client certificate signed by a CA the cluster does not trust. */
  let stranger: { certFile: string; keyFile: string };

  const tlsEnv = (cert?: { certFile: string; keyFile: string }): Record<string, string> => ({
    ETCDCTL_CACERT: pki.ca.certFile,
    ...(cert === undefined ? {} : { ETCDCTL_CERT: cert.certFile, ETCDCTL_KEY: cert.keyFile }),
  });
  const ctl = (endpoints: readonly string[], args: string[], env: Record<string, string> = tlsEnv(pki.kvRootClient)) =>
    runEtcdctl(etcdctl, args, { endpoints, env });
  const out = async (endpoints: readonly string[], ...args: string[]): Promise<string> => {
    const result = await ctl(endpoints, args);
    if (result.code !== 0) throw new Error(`etcdctl ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
    return result.stdout;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'balsa-kv-tls-'));
    pki = upPkiPaths(dir, MEMBERS);
    await ensureUpPki(pki);
    const otherCa = await createCertificateAuthority({ commonName: 'another-ca' });
    const strangerPair = await issueClientCertificate(otherCa, { user: 'root' });
    stranger = { certFile: join(dir, 'stranger.crt'), keyFile: join(dir, 'stranger.key') };
    await writeFile(stranger.certFile, strangerPair.certPem);
    await writeFile(stranger.keyFile, strangerPair.keyPem);
    cluster = await startKvCluster({
      members: MEMBERS.length,
      dir,
      apiServer: true,
      tls: { caFile: pki.ca.certFile, memberCert: (name) => pki.kvMembers.get(name)!, client: pki.kvRootClient },
    });
    urls = cluster.members.map((member) => member.clientUrl);
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('members list each other at https:// URLs; a put is read back from every member; a watch sees it; a follower forwards over TLS', async () => {
    const members = await out(urls, 'member', 'list');
    for (const member of cluster.members) expect(members).toContain(`, started, ${member.name}, ${member.peerUrl}, ${member.clientUrl}, false`);

    const watch = spawnEtcdctl(etcdctl, ['watch', 'greeting'], { endpoints: [urls[2]!], env: tlsEnv(pki.kvRootClient) });
    try {
      await eventually(async () => {
        expect(await out([urls[0]!], 'put', 'greeting', 'hello over tls')).toBe('OK\n');
        expect(await watch.waitFor((stdout) => stdout.includes('hello over tls'), 2_000)).toBe(true);
      });
      expect(watch.stdout).toContain('PUT\ngreeting\nhello over tls\n');
    } finally {
      await watch.stop();
    }
    // Serializable: each member's own state, so each got the entry over peer TLS.
    for (const url of urls) {
      await eventually(async () => expect(await out([url], 'get', 'greeting', '--consistency=s', '--print-value-only')).toBe('hello over tls\n'));
    }
    const lease = /^lease ([0-9a-f]+) granted/.exec(await out([urls[0]!], 'lease', 'grant', '60'))![1]!;
    // A lease's time to live is the leader's to say: every follower asks it at its https:// client URL.
    for (const url of urls) expect(await out([url], 'lease', 'timetolive', lease)).toMatch(new RegExp(`^lease ${lease} granted with TTL\\(60s\\)`));
  }, 120_000);

  test('a client without a certificate, with one from another CA, or in plain text is refused at the handshake', async () => {
    const refusedWith = async (endpoint: string, env: Record<string, string>) => {
      const result = await ctl([endpoint], ['--dial-timeout=1s', '--command-timeout=2s', 'get', 'greeting'], env);
      // What etcdctl 3.4 prints against etcd 3.4 for each of these.
      expect(result).toMatchObject({ code: 1, stdout: '' });
      expect(result.stderr).toContain('Error: context deadline exceeded');
    };
    await Promise.all([refusedWith(urls[0]!, tlsEnv()), refusedWith(urls[0]!, tlsEnv(stranger)), refusedWith(urls[0]!.replace('https://', 'http://'), {})]);
    const log = await readFile(cluster.logs[0]!, 'utf8');
    expect(log).toMatch(/balsa kv m1: rejected connection from "127\.0\.0\.1:\d+" \(error "[^"]*(certificate|CERTIFICATE)[^"]*"\)/);
  }, 60_000);

  test('a would-be peer without a certificate from the CA is refused on the peer port; a member certificate is served there', async () => {
    const peerAddress = new URL(cluster.members[0]!.peerUrl).host;
    const memberList = (credentials: grpc.ChannelCredentials) => {
      const Cluster = grpc.makeGenericClientConstructor(loadEtcdProto().services.Cluster, 'Cluster');
      const client = new Cluster(peerAddress, credentials) as unknown as grpc.Client & {
        MemberList: (request: WireObject, options: grpc.CallOptions, callback: (error: grpc.ServiceError | null, response?: WireObject) => void) => void;
      };
      return new Promise<{ error: grpc.ServiceError | null; response?: WireObject }>((resolve) =>
        client.MemberList({}, { deadline: Date.now() + 3_000 }, (error, response) => {
          client.close();
          resolve({ error, ...(response === undefined ? {} : { response }) });
        }),
      );
    };
    const ca = readFileSync(pki.ca.certFile);
    const noCertificate = await memberList(grpc.credentials.createSsl(ca));
    expect(noCertificate.error?.code).toBe(grpc.status.UNAVAILABLE);
    const member = pki.kvMembers.get('m2')!;
    const asMember = await memberList(grpc.credentials.createSsl(ca, readFileSync(member.keyFile), readFileSync(member.certFile)));
    expect(asMember.error).toBeNull();
    expect((asMember.response!.members as WireObject[]).map((m) => m.name).sort()).toEqual(MEMBERS);
  }, 60_000);

  test("each member's API server stores through its own member over TLS, with the member's certificate", async () => {
    for (const member of cluster.members) await eventually(async () => expect((await fetch(`${member.apiUrl}/readyz`)).status).toBe(200));
    // The namespaces each API server's bootstrap makes, in the KV.
    expect(await out(urls, 'get', '/registry/namespaces/kube-system', '--keys-only')).toBe('/registry/namespaces/kube-system\n\n');
  }, 120_000);

  test("Balsa's EtcdClient reads and writes over TLS with a client certificate", async () => {
    const tls = readEtcdClientTls({ caFile: pki.ca.certFile, certFile: pki.kvRootClient.certFile, keyFile: pki.kvRootClient.keyFile })!;
    const client = new EtcdClient(urls, { tls });
    try {
      const written = await client.txn([], [{ put: { key: Buffer.from('from-etcd-client'), value: Buffer.from('v1') } }]);
      expect(written.succeeded).toBe(true);
      const read = await client.range(Buffer.from('from-etcd-client'));
      expect(read.kvs.map((kv) => kv.value.toString())).toEqual(['v1']);
    } finally {
      client.close();
    }
  }, 60_000);
});
