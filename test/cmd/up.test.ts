/**
 * `balsa up` as people run it (the built CLI, `npm start`'s command): a cluster of three
 * `balsa server`s and two agents on 127.0.0.2 and 127.0.0.3 comes up in a temporary data
 * folder, says where everything listens, writes the CLI's config so that `balsa get nodes`
 * works at once, has one scheduler and one controller manager among its servers, and on
 * SIGINT stops everything (exit 0, no process left, ports free); on the same folder it
 * starts the same cluster again, and stops the rest when one of its processes dies (exit
 * 1). With `--demo`, the example app answers through a node's proxy, and its pods'
 * processes go with the cluster. Bad flags: exit 2 and a message, nothing started.
 */
import { existsSync } from 'node:fs';
import https from 'node:https';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadEtcdProto } from '../../kv/server/etcd-proto.js';
import { runBalsa } from '../support/balsa-process.js';
import { Kubectl, kubectlTool, tableRows } from '../support/kubectl.js';
import { freePort } from '../../raft/testing/process-cluster.js';
import { alive, freePortRange, portFree, UpProcess } from './up-process.js';

const SERVERS = ['m1', 'm2', 'm3'];
const NODES = [
  { name: 'node-1', ip: '127.0.0.2' },
  { name: 'node-2', ip: '127.0.0.3' },
];

interface Folder {
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
}

async function folder(prefix: string): Promise<Folder> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  // BALSA_SERVER would win over the config `up` writes.
  return { dir, env: { BALSA_CONFIG: join(dir, 'config.json'), BALSA_SERVER: '' } };
}

/** The pid `up` printed for each of its processes, by label (`server m1`, `agent node-1`). */
function startedPids(output: string): Map<string, number> {
  return new Map([...output.matchAll(/^(server \S+|agent \S+): started \(pid (\d+)\)/gm)].map((match) => [match[1]!, Number(match[2])]));
}

async function getNodes(env: NodeJS.ProcessEnv): Promise<string[][]> {
  const run = await runBalsa(['get', 'nodes'], { env });
  expect(run).toMatchObject({ code: 0, stderr: '' });
  return run.stdout.trim().split('\n').slice(1).map((line) => line.trim().split(/\s+/));
}

/** Whatever is left of `up`, killed; its folder removed. */
async function cleanUp(up: UpProcess | undefined, home: Folder | undefined): Promise<void> {
  await up?.kill();
  if (home !== undefined) await rm(home.dir, { recursive: true, force: true });
}

/** The status of a GET over https verified against `ca`, without credentials. */
function httpsStatus(url: string, ca: Buffer, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca, headers, timeout: 10_000 }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      })
      .on('error', reject);
  });
}

async function expectPortsFree(ports: readonly { host: string; port: number }[]): Promise<void> {
  const busy: string[] = [];
  for (const { host, port } of ports) if (!(await portFree(host, port))) busy.push(`${host}:${port}`);
  expect(busy).toEqual([]);
}

describe('balsa up: three servers and two agents', () => {
  let home: Folder;
  let dataDir: string;
  let kvPort: number;
  let apiPort: number;
  let up: UpProcess | undefined;
  let demoPort: number;

  const upArgs = (): string[] => ['--data-dir', dataDir, '--kv-port', String(kvPort), '--api-port', String(apiPort), '--agent-port', '0'];
  const serverPorts = (): { host: string; port: number }[] => [
    ...Array.from({ length: 6 }, (_, i) => ({ host: '127.0.0.1', port: kvPort + i })),
    ...Array.from({ length: 6 }, (_, i) => ({ host: '127.0.0.1', port: apiPort + i })),
  ];

  beforeAll(async () => {
    home = await folder('balsa-up-');
    dataDir = join(home.dir, 'cluster');
    kvPort = await freePortRange(6);
    apiPort = await freePortRange(6, Array.from({ length: 6 }, (_, i) => kvPort + i));
    up = new UpProcess(upArgs(), home.env);
    await up.waitForOutput(/^cluster ready/m);
  }, 300_000);

  afterAll(() => cleanUp(up, home), 120_000);

  test('it says where every server and node listens, and writes the CLI config that `balsa get nodes` uses', async () => {
    const output = up!.output();
    SERVERS.forEach((name, i) => {
      expect(output).toContain(
        `server ${name}: KV https://127.0.0.1:${kvPort + 2 * i} (peers https://127.0.0.1:${kvPort + 2 * i + 1}), API https://127.0.0.1:${apiPort + 2 * i} (gRPC 127.0.0.1:${apiPort + 2 * i + 1})`,
      );
      expect(output).toContain(`server ${name}: started (pid `);
    });
    for (const node of NODES) expect(output).toMatch(new RegExp(`^agent ${node.name}: node registered, address ${node.ip.replace(/\./g, '\\.')}, logs https://${node.ip.replace(/\./g, '\\.')}:\\d+$`, 'm'));
    expect(output).toContain(`each process's output in ${join(dataDir, 'logs')}`);
    // Secure by default: the CLI config names the cluster's CA and the admin's certificate.
    const pki = join(dataDir, 'pki');
    expect(JSON.parse(await readFile(home.env.BALSA_CONFIG!, 'utf8'))).toEqual({
      server: `https://127.0.0.1:${apiPort}`,
      certificateAuthority: join(pki, 'ca.crt'),
      clientCertificate: join(pki, 'admin.crt'),
      clientKey: join(pki, 'admin.key'),
    });

    const nodes = await getNodes(home.env);
    expect(nodes.map(([name, status]) => [name, status])).toEqual(NODES.map((node) => [node.name, 'Ready']));
  });

  test('it writes a kubeconfig beside its data (the CA and the admin certificate in it), with which kubectl 1.20 reaches the secure cluster', async () => {
    const kubeconfig = join(dataDir, 'kubeconfig');
    expect(up!.output()).toContain(`kubeconfig ${kubeconfig}: KUBECONFIG=${kubeconfig} kubectl get nodes`);
    expect((await stat(kubeconfig)).mode & 0o777).toBe(0o600);
    const text = await readFile(kubeconfig, 'utf8');
    expect(text).toContain(`server: "https://127.0.0.1:${apiPort}"`);
    // The admin identity (system:masters) and the cluster's CA, inlined: kubectl needs nothing else.
    expect(text).toContain(`certificate-authority-data: "${(await readFile(join(dataDir, 'pki', 'ca.crt'))).toString('base64')}"`);
    expect(text).toContain(`client-certificate-data: "${(await readFile(join(dataDir, 'pki', 'admin.crt'))).toString('base64')}"`);
    const path = kubectlTool();
    if (path === null) return; // outside CI without kubectl: kubectlTool said why
    const kubectl = await Kubectl.withConfig(path, kubeconfig, join(home.dir, 'kubectl-home'));
    const rows = tableRows(await kubectl.out(['get', 'nodes']));
    expect(rows[0]).toEqual(['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION']);
    expect(rows.slice(1).map((row) => row.slice(0, 2))).toEqual(NODES.map((node) => [node.name, 'Ready']));
  });

  test('it prints the dashboard\'s URL with the admin token (tokens.csv): the page is public, its data needs the token', async () => {
    const [, url, token] = /^ {2}dashboard: (https:\/\/\S+\/ui\/)\?token=(\S+)/m.exec(up!.output()) ?? [];
    expect(url).toBe(`https://127.0.0.1:${apiPort}/ui/`);
    expect((await readFile(join(dataDir, 'pki', 'tokens.csv'), 'utf8')).trim()).toBe(`${token},balsa-admin,balsa-admin,"system:masters"`);
    const ca = await readFile(join(dataDir, 'pki', 'ca.crt'));
    expect(await httpsStatus(url!, ca)).toBe(200);
    expect(await httpsStatus(`${url}api/members`, ca)).toBe(403);
    expect(await httpsStatus(`${url}api/members`, ca, { authorization: `Bearer ${token}` })).toBe(200);
    expect(await httpsStatus(`${url}api/members`, ca, { authorization: 'Bearer not-the-token' })).toBe(401);
  });

  test('every server serves the API, and one of them runs the scheduler and one the controller manager', async () => {
    const ca = await readFile(join(dataDir, 'pki', 'ca.crt'));
    for (let i = 0; i < SERVERS.length; i++) {
      // Anyone may ask whether it is ready; nobody without credentials may read objects.
      expect(await httpsStatus(`https://127.0.0.1:${apiPort + 2 * i}/readyz`, ca)).toBe(200);
      expect(await httpsStatus(`https://127.0.0.1:${apiPort + 2 * i}/api/v1/nodes`, ca)).toBe(403);
    }
    const pids = startedPids(up!.output());
    const identities = SERVERS.map((name) => `${name}_${pids.get(`server ${name}`)}`);
    for (const [loop, lease] of [['scheduler', 'balsa-scheduler'], ['controller manager', 'balsa-controller-manager']]) {
      const run = await runBalsa(['get', 'lease', lease!, '-n', 'kube-system', '-o', 'json'], { env: home.env });
      expect(run.code).toBe(0);
      const holder = JSON.parse(run.stdout).spec.holderIdentity as string;
      expect(identities).toContain(holder);
      expect(up!.output()).toMatch(new RegExp(`^${loop}: active on server m[123]$`, 'm'));
    }
  });

  test("the KV speaks TLS only, to clients with a certificate from the cluster's CA (pki/)", async () => {
    const pki = join(dataDir, 'pki');
    const ca = await readFile(join(pki, 'ca.crt'));
    const status = (credentials: grpc.ChannelCredentials) => {
      const Maintenance = grpc.makeGenericClientConstructor(loadEtcdProto().services.Maintenance, 'Maintenance');
      const client = new Maintenance(`127.0.0.1:${kvPort}`, credentials) as unknown as grpc.Client & {
        Status: (request: object, options: grpc.CallOptions, callback: (error: grpc.ServiceError | null) => void) => void;
      };
      return new Promise<grpc.status>((resolve) =>
        client.Status({}, { deadline: Date.now() + 3_000 }, (error) => {
          client.close();
          resolve(error === null ? grpc.status.OK : error.code);
        }),
      );
    };
    const [key, cert] = await Promise.all([readFile(join(pki, 'kv', 'root-client.key')), readFile(join(pki, 'kv', 'root-client.crt'))]);
    expect(await status(grpc.credentials.createSsl(ca, key, cert))).toBe(grpc.status.OK);
    expect(await status(grpc.credentials.createSsl(ca))).toBe(grpc.status.UNAVAILABLE);
    expect(await status(grpc.credentials.createInsecure())).toBe(grpc.status.UNAVAILABLE);
    expect(up!.output()).toContain(`--cacert ${join(pki, 'ca.crt')} --cert ${join(pki, 'kv', 'root-client.crt')} --key ${join(pki, 'kv', 'root-client.key')} member list`);
  });

  test('SIGINT stops the agents, then the servers: exit 0, no process left, ports free', async () => {
    const tree = up!.processTree();
    expect(tree.length).toBeGreaterThanOrEqual(SERVERS.length + NODES.length);
    const exit = await up!.stop('SIGINT');
    expect(exit).toEqual({ code: 0, signal: null });
    const output = up!.output();
    // The agents stopped before any server.
    const lastAgentStop = Math.max(...NODES.map((node) => output.indexOf(`agent ${node.name}: stopped (exit code 0)`)));
    const firstServerStop = Math.min(...SERVERS.map((name) => output.indexOf(`server ${name}: stopped (exit code 0)`)));
    expect(NODES.map((node) => output.includes(`agent ${node.name}: stopped (exit code 0)`))).toEqual([true, true]);
    expect(SERVERS.map((name) => output.includes(`server ${name}: stopped (exit code 0)`))).toEqual([true, true, true]);
    expect(lastAgentStop).toBeLessThan(firstServerStop);
    expect(alive(tree)).toEqual([]);
    await expectPortsFree(serverPorts());
  }, 180_000);

  test('on the same folder it starts the same cluster again, with the same certificates; flags that would make another are refused with exit 2', async () => {
    const caBefore = await readFile(join(dataDir, 'pki', 'ca.crt'), 'utf8');
    const refused = await runBalsa(['up', ...upArgs(), '--servers', '1'], { env: home.env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`balsa up: ${dataDir} holds a cluster of 3 server(s) on KV ports from ${kvPort}`);

    // Started again with --demo (not a flag of the cluster's shape): the next test runs the example app on it.
    demoPort = await freePort();
    up = new UpProcess([...upArgs(), '--demo', '--demo-port', String(demoPort)], home.env);
    await up.waitForOutput(/^cluster ready/m);
    expect(up.output()).toContain('(the cluster it holds, started again)');
    expect(await readFile(join(dataDir, 'pki', 'ca.crt'), 'utf8')).toBe(caBefore);
    const nodes = await getNodes(home.env);
    expect(nodes.map(([name, status]) => [name, status])).toEqual(NODES.map((node) => [node.name, 'Ready']));
  }, 300_000);

  test('--demo: the example app answers through every node\'s proxy at the URL it prints', async () => {
    const [, url] = await up!.waitForOutput(/^demo ready: (\S+) answers "hello from web:demo \(demo-[^)]+\)"/m);
    expect(url).toBe(`http://127.0.0.2:${demoPort}/`);
    for (const node of NODES) expect(await (await fetch(`http://${node.ip}:${demoPort}/`)).text()).toMatch(/^hello from web:demo \(demo-\S+\)\n$/);
    const pods = await runBalsa(['get', 'pods', '-l', 'app=demo'], { env: home.env });
    expect(pods.stdout.trim().split('\n').slice(1).map((line) => line.trim().split(/\s+/)[1])).toEqual(['1/1', '1/1']);
  }, 300_000);

  test('when one of its processes dies, it says which, stops the others (the demo pods\' processes too) and exits 1', async () => {
    const tree = up!.processTree();
    // Servers, agents, and the demo pods' processes.
    expect(tree.length).toBeGreaterThan(SERVERS.length + NODES.length);
    const agent = startedPids(up!.output()).get('agent node-2')!;
    process.kill(agent, 'SIGKILL');
    const exit = await up!.exited;
    expect(exit).toEqual({ code: 1, signal: null });
    expect(up!.output()).toMatch(/^balsa up: agent node-2 exited unexpectedly \(killed by SIGKILL\); see \S+node-2\.log/m);
    expect(up!.output()).toContain('server m1: stopped (exit code 0)');
    expect(alive(tree)).toEqual([]);
    await expectPortsFree(serverPorts());
    for (const node of NODES) expect(await portFree(node.ip, demoPort)).toBe(true);
  }, 180_000);
});

describe('balsa up: bad flags', () => {
  test.each([
    [['--bogus'], 'balsa up: unknown flag: --bogus'],
    [['--servers', '0'], 'balsa up: --servers must be a whole number from 1 to 7, got "0"'],
    [['--api-port', '70000'], 'balsa up: --api-port must be a port number (1-65535), got "70000"'],
    [['--kv-port', '6443', '--api-port', '6445'], 'balsa up: --kv-port and --api-port overlap'],
    [['--demo', '--agents', '0'], 'balsa up: --demo needs at least one agent'],
    [['--demo-port', '80'], 'balsa up: --demo-port must be a port number (1024-65535), got "80"'],
    [['extra'], 'balsa up: unexpected argument "extra"'],
  ])('%j: exit 2, says why, starts nothing', async (args, message) => {
    const home = await folder('balsa-up-flags-');
    try {
      const run = await runBalsa(['up', '--data-dir', join(home.dir, 'cluster'), ...args], { env: home.env });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(message);
      expect(run.stderr).toContain('usage: balsa up');
      expect(run.stdout).toBe('');
      expect(existsSync(join(home.dir, 'cluster'))).toBe(false);
    } finally {
      await rm(home.dir, { recursive: true, force: true });
    }
  });
});
