/**
 * `balsa up`: a whole cluster on this machine, in the foreground, its data under one
 * folder — N `balsa server`s (KV members with the API server, the scheduler and the
 * controller manager, one of each active by leader election) and M `balsa agent`s, each
 * node on its own loopback address (127.0.0.2, 127.0.0.3, ...), each a process of its own
 * whose output goes to `<data-dir>/logs/<name>.log`. It writes the CLI's config (so that
 * `balsa get nodes` works at once), prints where everything listens and one line per
 * notable event, and says "cluster ready" once the API answers and every node is Ready.
 * The KV serves clients and peers over TLS with mutual authentication only, with
 * certificates it makes under `<data-dir>/pki/` on the first run (`up-pki.ts`).
 *
 * SIGINT (Ctrl-C), SIGTERM or SIGHUP stop the agents first (they stop their pods), then the
 * servers, and `up` exits 0; a second signal kills what is left at once. A process that
 * exits by itself is named, and the others are stopped: exit 1.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONTROLLER_MANAGER_LEASE, SCHEDULER_LEASE } from '../../control-plane/cli/control-loops.js';
import { cliConfigPath, readCliConfig, writeCliConfig } from '../../control-plane/cli/config.js';
import type { ClusterLayout } from './cluster-layout.js';
import { agentArgs, planLayout, serverArgs } from './cluster-layout.js';
import { AGENT_STOP_GRACE_MS, AGENTS_START_TIMEOUT_MS, DEMO_TIMEOUT_MS, SERVER_STOP_GRACE_MS, SERVERS_START_TIMEOUT_MS } from './constants.js';
import { checkMembersData, DataDirError, lockDataDir, resolveCluster, storeCluster, unlockDataDir } from './data-dir.js';
import { applyManifest, DEMO_MANIFEST, demoManifest } from './demo.js';
import { KUBECONFIG_FILE, writeKubeconfig } from './kubeconfig.js';
import type { PortUse } from './ports-free.js';
import { unavailablePorts } from './ports-free.js';
import { apiReady, getText, leaseHolder, nodesNotReady, waitFor, WaitError } from './readiness.js';
import { ensureClusterPki } from './cluster-pki.js';
import type { TlsMaterial } from '../../control-plane/cli/https-fetch.js';
import { readFile } from 'node:fs/promises';
import type { ChildExit } from './up-child.js';
import { UpChild } from './up-child.js';
import type { UpFlags } from './up-flags.js';
import { parseUpFlags, UP_USAGE, UpUsageError } from './up-flags.js';
import { ensureUpPki } from './up-pki.js';
import { ProcessRuntime } from '../../node-agent/runtime/process/process-runtime.js';

/** The last lines of a child's output kept to show when it dies. */
const LAST_LINES_KEPT = 8;

export interface UpDependencies {
  readonly out?: (line: string) => void;
  readonly err?: (line: string) => void;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export async function upCommand(argv: readonly string[], dependencies: UpDependencies = {}): Promise<number> {
  const out = dependencies.out ?? ((line: string) => console.log(line));
  const err = dependencies.err ?? ((line: string) => console.error(line));
  let flags: UpFlags;
  let layout: ClusterLayout;
  let existing: boolean;
  try {
    const parsed = parseUpFlags(argv);
    if (parsed === 'help') {
      out(UP_USAGE);
      return 0;
    }
    flags = parsed;
    const cluster = await resolveCluster(flags.dataDir, flags);
    existing = cluster.existing;
    layout = planLayout({ dataDir: flags.dataDir, servers: cluster.servers, agents: flags.agents, kvPort: cluster.kvPort, apiPort: flags.apiPort, agentPort: flags.agentPort, secure: !flags.insecure });
  } catch (error) {
    if (error instanceof UpUsageError) {
      err(`balsa up: ${error.message}\n${UP_USAGE}`);
      return 2;
    }
    if (error instanceof DataDirError) {
      err(`balsa up: ${error.message}`);
      return 1;
    }
    throw error;
  }
  try {
    await lockDataDir(flags.dataDir);
  } catch (error) {
    if (error instanceof DataDirError) {
      err(`balsa up: ${error.message}`);
      return 1;
    }
    throw error;
  }
  try {
    checkMembersData(layout.servers.map((server) => server.dataDir));
    const busy = await unavailablePorts(portUses(layout, flags));
    if (busy.length > 0) {
      err(`balsa up: cannot listen on ${busy.map(({ use, why }) => `${use.host}:${use.port} (${use.owner}: ${why})`).join(', ')}; stop what uses them, or choose other ports (--kv-port, --api-port, --agent-port, --demo-port)`);
      return 1;
    }
    await storeCluster(flags.dataDir, { servers: layout.servers.length, kvPort: Number(new URL(layout.servers[0]!.clientUrl).port) });
    await ensureUpPki(layout.pki);
    if (!flags.insecure) layout = { ...layout, apiPki: await ensureClusterPki(flags.dataDir, layout.agents) };
    return await new UpRun(layout, flags, existing, out, dependencies.env ?? process.env).run();
  } catch (error) {
    if (error instanceof DataDirError) {
      err(`balsa up: ${error.message}`);
      return 1;
    }
    throw error;
  } finally {
    await unlockDataDir(flags.dataDir);
  }
}

function portUses(layout: ClusterLayout, flags: UpFlags): PortUse[] {
  const uses: PortUse[] = [];
  for (const server of layout.servers) {
    uses.push({ host: '127.0.0.1', port: Number(new URL(server.clientUrl).port), owner: `server ${server.name}'s KV clients` });
    uses.push({ host: '127.0.0.1', port: Number(new URL(server.peerUrl).port), owner: `server ${server.name}'s KV peers` });
    uses.push({ host: '127.0.0.1', port: Number(new URL(server.apiUrl).port), owner: `server ${server.name}'s API` });
    uses.push({ host: '127.0.0.1', port: Number(server.apiGrpcAddress.split(':')[1]), owner: `server ${server.name}'s API gRPC` });
  }
  for (const agent of layout.agents) {
    if (layout.agentPort !== 0) uses.push({ host: agent.nodeIp, port: layout.agentPort, owner: `agent ${agent.name}'s logs` });
    if (flags.demo) uses.push({ host: agent.nodeIp, port: flags.demoPort, owner: `the demo Service on ${agent.name}` });
  }
  return uses;
}

/** The repository (or installed package) root: the first folder above this module with a package.json. */
function packageRoot(): string {
  let folder = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(folder, 'package.json'))) {
    const parent = dirname(folder);
    if (parent === folder) return process.cwd();
    folder = parent;
  }
  return folder;
}

function describeExit(exit: ChildExit): string {
  return exit.signal !== null ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
}

/** One run of `balsa up`: starts the cluster, waits for a signal or a failure, stops it. */
class UpRun {
  private readonly servers: UpChild[] = [];
  private readonly agents: UpChild[] = [];
  private readonly lastLines = new Map<UpChild, string[]>();
  private readonly balsaCli = fileURLToPath(new URL('../balsa.js', import.meta.url));
  private readonly root = packageRoot();
  /** Set once `up` is to stop: every wait gives up. */
  private readonly cancellation = { cancelled: false };
  /** Why `up` fails (exit 1); undefined while nothing failed. */
  private failure: string | undefined;
  private signals = 0;
  private wake: () => void = () => {};
  private readonly stopped = new Promise<void>((resolve) => (this.wake = resolve));
  /** The agents that said they registered their node. */
  private readonly registered = new Set<string>();
  /** Who holds each control loop's lease, as last announced. */
  private readonly activeLoops = new Map<string, string>();
  /** The CA and the admin's certificate `up`'s own API requests use (secure clusters). */
  private tls: TlsMaterial | undefined;

  constructor(
    private readonly layout: ClusterLayout,
    private readonly flags: UpFlags,
    private readonly existing: boolean,
    private readonly out: (line: string) => void,
    private readonly env: Readonly<Record<string, string | undefined>>,
  ) {}

  async run(): Promise<number> {
    const onSignal = (signal: NodeJS.Signals): void => this.handleSignal(signal);
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
    try {
      await this.start();
      await this.stopped;
    } catch (error) {
      if (!(error instanceof WaitError)) throw error;
      // A wait that gave up because `up` is stopping is no failure of its own.
      if (!this.cancellation.cancelled) this.fail(error.message);
    } finally {
      await this.stopAll();
      for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(signal, onSignal);
    }
    if (this.failure !== undefined) {
      this.out(`balsa up: stopped after a failure: ${this.failure}`);
      return 1;
    }
    this.out('balsa up: stopped; every process it started has exited');
    return 0;
  }

  private async start(): Promise<void> {
    const { layout } = this;
    if (layout.apiPki !== undefined) {
      const [ca, cert, key] = await Promise.all([layout.apiPki.caFile, layout.apiPki.admin.certFile, layout.apiPki.admin.keyFile].map((file) => readFile(file)));
      this.tls = { ca: ca!, cert: cert!, key: key! };
    }
    this.out(
      `balsa up: ${layout.servers.length} server(s) and ${layout.agents.length} agent(s), data in ${layout.dataDir}` +
        ` (${this.existing ? 'the cluster it holds, started again' : 'a new cluster'}); each process's output in ${join(layout.dataDir, 'logs')}`,
    );
    for (const server of layout.servers) {
      const child = this.startChild(`server ${server.name}`, [...serverArgs(layout, server), '--log-level', this.flags.logLevel], server.logFile, (line) => this.serverLine(line));
      this.servers.push(child);
    }
    await waitFor(
      "every server's API",
      async () => (await Promise.all(layout.servers.map((server) => apiReady(server.apiUrl, this.tls)))).every(Boolean),
      SERVERS_START_TIMEOUT_MS,
      this.cancellation,
    );
    for (const server of layout.servers) {
      this.out(`server ${server.name}: KV ${server.clientUrl} (peers ${server.peerUrl}), API ${server.apiUrl} (gRPC ${server.apiGrpcAddress})`);
    }
    await this.writeCliConfig();

    layout.agents.forEach((agent, index) => {
      this.agents.push(this.startChild(`agent ${agent.name}`, [...agentArgs(layout, agent, index), '--log-level', this.flags.logLevel], agent.logFile, (line) => this.agentLine(agent.name, agent.nodeIp, line)));
    });
    const apiUrl = layout.servers[0]!.apiUrl;
    let waitingFor: string[] = [];
    await waitFor(
      'every node registered and Ready',
      async () => {
        // A node of the run before may still be Ready by its last heartbeat: its agent must also have said it registered.
        const notReady = await nodesNotReady(apiUrl, layout.agents.map((agent) => agent.name), this.tls);
        waitingFor = layout.agents.map((agent) => agent.name).filter((name) => notReady.includes(name) || !this.registered.has(name));
        return waitingFor.length === 0;
      },
      AGENTS_START_TIMEOUT_MS,
      this.cancellation,
    ).catch((error: unknown) => {
      throw error instanceof WaitError && !this.cancellation.cancelled ? new WaitError(`${error.message} (not yet: ${waitingFor.join(', ')})`) : error;
    });
    await waitFor('the scheduler and the controller manager elected', () => this.announceLoops(apiUrl), SERVERS_START_TIMEOUT_MS, this.cancellation);
    this.printReady();
    if (this.flags.demo) await this.startDemo();
  }

  private startChild(label: string, args: string[], logFile: string, onLine: (line: string) => void): UpChild {
    const lines: string[] = [];
    const child = UpChild.start({
      label,
      balsaCli: this.balsaCli,
      args,
      logFile,
      // The agents run containers without `workingDir` here: the demo's `node examples/web/app.mjs` finds its app.
      cwd: this.root,
      onLine: (line) => {
        lines.push(line);
        if (lines.length > LAST_LINES_KEPT) lines.shift();
        onLine(line);
      },
    });
    this.lastLines.set(child, lines);
    this.out(`${label}: started (pid ${child.pid ?? '?'}), output in ${logFile}`);
    void child.exited.then((exit) => {
      if (child.stopping) return;
      const said = lines.length === 0 ? '' : `; its last lines:\n${lines.map((line) => `    ${line}`).join('\n')}`;
      this.fail(`${label} exited unexpectedly (${describeExit(exit)}); see ${logFile}${said}`);
    });
    return child;
  }

  /** The notable lines of a server's output: which member runs the scheduler and the controllers. */
  private serverLine(line: string): void {
    const loop = /(scheduler|controller manager): (\S+?)_\d+ is (?:scheduling|running the controllers)/.exec(line);
    if (loop !== null) this.announceLoop(loop[1]!, loop[2]!);
    if (/stopping after a fatal error/.test(line)) this.out(line);
  }

  private agentLine(name: string, nodeIp: string, line: string): void {
    const registered = /node \S+ registered, logs on (\S+)/.exec(line);
    if (registered === null) return;
    this.registered.add(name);
    this.out(`agent ${name}: node registered, address ${nodeIp}, logs ${registered[1]}`);
  }

  private announceLoop(loop: string, member: string): void {
    if (this.activeLoops.get(loop) === member) return;
    this.activeLoops.set(loop, member);
    this.out(`${loop}: active on server ${member}`);
  }

  /**
   * Says who runs the control loops, from their leases (a leader elected before `up` could
   * see its line); whether both are held by one of this run's servers (a lease of the run
   * before may not have expired yet).
   */
  private async announceLoops(apiUrl: string): Promise<boolean> {
    const identities = new Map(this.layout.servers.map((server, index) => [`${server.name}_${this.servers[index]?.pid}`, server.name]));
    let elected = 0;
    for (const [loop, lease] of [['scheduler', SCHEDULER_LEASE], ['controller manager', CONTROLLER_MANAGER_LEASE]] as const) {
      const member = identities.get((await leaseHolder(apiUrl, lease, this.tls)) ?? '');
      if (member === undefined) continue;
      this.announceLoop(loop, member);
      elected++;
    }
    return elected === 2;
  }

  private async writeCliConfig(): Promise<void> {
    const configPath = cliConfigPath(this.env);
    const apiUrl = this.layout.servers[0]!.apiUrl;
    const current = await readCliConfig(configPath).catch(() => ({}));
    const pki = this.layout.apiPki;
    // A secure cluster's CA and admin certificate; an insecure one's config carries no credentials (stale ones from an earlier run go).
    const { certificateAuthority: _ca, clientCertificate: _cert, clientKey: _key, ...rest } = current as Record<string, unknown>;
    const credentials = pki === undefined ? {} : { certificateAuthority: pki.caFile, clientCertificate: pki.admin.certFile, clientKey: pki.admin.keyFile };
    await writeCliConfig({ ...rest, server: apiUrl, ...credentials }, configPath);
    this.out(`CLI config ${configPath}: server ${apiUrl}`);
    const kubeconfig = join(this.layout.dataDir, KUBECONFIG_FILE);
    // kubectl gets the same admin identity, its files inlined (the kubeconfig then works from anywhere); one method only, as kubectl wants (the admin's token is in tokens.csv).
    const inline = async (file: string): Promise<string> => (await readFile(file)).toString('base64');
    await writeKubeconfig(
      kubeconfig,
      apiUrl,
      pki === undefined
        ? {}
        : {
            certificateAuthorityData: await inline(pki.caFile),
            clientCertificateData: await inline(pki.admin.certFile),
            clientKeyData: await inline(pki.admin.keyFile),
          },
    );
    this.out(`kubeconfig ${kubeconfig}: KUBECONFIG=${kubeconfig} kubectl get nodes`);
  }

  private printReady(): void {
    const { layout } = this;
    const endpoints = layout.servers.map((server) => server.clientUrl).join(',');
    const { pki } = layout;
    this.out(
      [
        `cluster ready: ${layout.servers.length} server(s), ${layout.agents.length} node(s) Ready`,
        `  dashboard: ${layout.servers[0]!.apiUrl}/ui/${layout.apiPki === undefined ? '' : `?token=${layout.apiPki.adminToken}   (the cluster's CA: ${layout.apiPki.caFile})`}`,
        '  balsa get nodes                      # from this repository: npx balsa ...',
        `  balsa apply -f ${DEMO_MANIFEST}`,
        `  etcdctl --endpoints ${endpoints} --cacert ${pki.ca.certFile} --cert ${pki.kvRootClient.certFile} --key ${pki.kvRootClient.keyFile} member list`,
        `Ctrl-C stops the cluster; \`balsa up${this.flags.dataDirGiven ? ` --data-dir ${layout.dataDir}` : ''}\` starts it again with its data.`,
      ].join('\n'),
    );
  }

  private async startDemo(): Promise<void> {
    const manifest = await demoManifest(this.root, this.flags.demoPort);
    const applied = await applyManifest(this.balsaCli, this.layout.servers[0]!.apiUrl, manifest, cliConfigPath(this.env));
    if (applied.code !== 0) {
      this.out(`demo: balsa apply failed (${applied.code ?? 'not started'}), the cluster goes on without it:\n${applied.output}`);
      return;
    }
    this.out(`demo: applied ${DEMO_MANIFEST} (${applied.output.split('\n').join(', ')})`);
    const url = `http://${this.layout.agents[0]!.nodeIp}:${this.flags.demoPort}/`;
    let body: string | undefined;
    try {
      await waitFor(
        `the demo at ${url}`,
        async () => {
          body = await getText(url);
          return body !== undefined && body.startsWith('hello from');
        },
        DEMO_TIMEOUT_MS,
        this.cancellation,
      );
    } catch (error) {
      if (!(error instanceof WaitError) || this.cancellation.cancelled) throw error;
      this.out(`demo: ${error.message}; the cluster goes on (balsa get pods, balsa describe deployment demo)`);
      return;
    }
    const others = this.layout.agents.slice(1).map((agent) => `http://${agent.nodeIp}:${this.flags.demoPort}/`);
    this.out(`demo ready: ${url} answers "${body!.trim()}"${others.length > 0 ? ` (so does every node: ${others.join(', ')})` : ''}`);
  }

  private fail(why: string): void {
    if (this.failure === undefined && !this.cancellation.cancelled) {
      this.failure = why;
      this.out(`balsa up: ${why}; stopping the others`);
    }
    this.stop();
  }

  private handleSignal(signal: NodeJS.Signals): void {
    this.signals++;
    if (this.signals === 1) {
      this.out(`balsa up: ${signal}: stopping the agents (and their pods), then the servers`);
      this.stop();
      return;
    }
    this.out(`balsa up: ${signal} again: killing every process at once`);
    for (const child of [...this.agents, ...this.servers]) child.kill();
  }

  private stop(): void {
    this.cancellation.cancelled = true;
    this.wake();
  }

  /** Agents first (they stop their pods while the API still answers), then the servers. */
  private async stopAll(): Promise<void> {
    this.stop();
    await Promise.all(this.agents.map((child) => this.stopChild(child, AGENT_STOP_GRACE_MS)));
    await Promise.all(this.layout.agents.map((agent) => this.stopOrphanedPods(agent.name, agent.dataDir)));
    await Promise.all(this.servers.map((child) => this.stopChild(child, SERVER_STOP_GRACE_MS)));
  }

  /**
   * An agent that died (killed, crashed) left its pods running, as a kubelet does, for its
   * next run to adopt; `up` is going away with the whole cluster, so it stops them itself,
   * through the agent's own runtime state (`<agent data>/runtime`, the process runtime's).
   */
  private async stopOrphanedPods(name: string, agentDataDir: string): Promise<void> {
    const stateDir = join(agentDataDir, 'runtime');
    if (!existsSync(stateDir)) return;
    const runtime = new ProcessRuntime({ stateDir });
    try {
      const running = (await runtime.list()).filter((container) => container.state === 'running');
      await Promise.all(running.map((container) => runtime.stop(container.id, 1)));
      if (running.length > 0) this.out(`agent ${name}: stopped ${running.length} container(s) it left running`);
    } catch (error) {
      this.out(`agent ${name}: could not stop the containers it left running: ${(error as Error).message}`);
    } finally {
      await runtime.close();
    }
  }

  private async stopChild(child: UpChild, graceMs: number): Promise<void> {
    const wasRunning = child.running;
    const exit = await child.stop(graceMs);
    if (wasRunning) this.out(`${child.label}: stopped (${describeExit(exit)})`);
  }
}
