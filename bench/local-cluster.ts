/**
 * `npm run bench:local-cluster -- [--replicas 10] [--runs 3] [--agents 2] [--timeout-s 120] [--quick] [--results-dir DIR]`
 *
 * A whole local cluster of real processes, as people run it: a 1-member `balsa server` (KV,
 * API server, scheduler, controllers) on 127.0.0.1 and N `balsa agent`s with the process
 * runtime, each its own process on its own loopback address (127.0.0.2, 127.0.0.3, ...).
 * Each run applies a Deployment of the web app (`examples/web/app.mjs`) with the real CLI,
 * `balsa apply -f FILE` (the server from `BALSA_SERVER`), and measures from spawning that
 * command to every pod of the Deployment Ready, as seen on a watch of its pods; it also
 * records when each pod was first seen bound, Running and Ready. The Deployment is then
 * deleted and the run waits until its pods and their processes are gone. After the runs:
 * each agent's RSS (now and its peak, from /proc) and the CPU seconds of the server and the
 * agents over the runs.
 *
 * The pods' readiness probe (`httpGet /healthz`) runs every second (`periodSeconds: 1`), and
 * a pod is Ready at its first passing probe: the figure includes up to a period per pod on
 * top of the app's start. Kubernetes' default period is 10 s.
 *
 * The app runs from a copy in the run's scratch directory, so that its processes are told
 * apart from any other run's (`pgrep -f`). Everything (data, logs, manifests) is in that
 * directory, removed at the end; on SIGINT or SIGTERM every process is stopped first.
 * `--quick` is one run of 4 replicas. Writes `<results-dir>/local-cluster-<time>.json`.
 * Exit status: 0 when every run's pods all became Ready within `--timeout-s`, 1 otherwise,
 * 2 on bad arguments.
 */
import { spawn } from 'node:child_process';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { resourceByName } from '../control-plane/api/resources.js';
import { SERVER_ENV } from '../control-plane/cli/config.js';
import { GrpcApiClient } from '../control-plane/client/grpc-api-client.js';
import { trackChild } from '../kv/testing/etcd-tools.js';
import { defaultBalsaCli, startKvCluster, stopOpenKvClusters } from '../kv/testing/kv-process-cluster.js';
import type { KvCluster } from '../kv/testing/kv-process-cluster.js';
import { UsageError, integerFlag, numberFlag, parseOrExplain } from './support/cli-args.js';
import { onInterrupt, unlessInterrupted } from './support/interrupts.js';
import { appProcessIds, startAgentProcess } from './support/local-cluster-agent.js';
import type { AgentProcess } from './support/local-cluster-agent.js';
import { PodTimeline } from './support/local-cluster-pods.js';
import type { PodSightings } from './support/local-cluster-pods.js';
import { cpuSeconds, peakRssBytes, rssBytes } from './support/proc-stats.js';
import { commandLine, defaultResultsDir, describeMachine, machineLine, repositoryRoot, resultStem, round2, writeResultFile } from './support/results-file.js';
import type { MachineDescription } from './support/results-file.js';
import { formatFigure } from './support/text-table.js';

const USAGE = 'usage: npm run bench:local-cluster -- [--replicas 10] [--runs 3] [--agents 2] [--timeout-s 120] [--quick] [--results-dir DIR]';

/** The issue's setup: a 10-replica Deployment on a 2-node cluster. */
const DEFAULT_REPLICAS = 10;
const DEFAULT_AGENTS = 2;
const DEFAULT_RUNS = 3;
const DEFAULT_TIMEOUT_S = 120;
/** Agents are named node-a ... node-z and listen on 127.0.0.2 ... 127.0.0.27. */
const MAX_AGENTS = 26;
/** The readiness probe's period: the figure includes up to one per pod. */
const PROBE_PERIOD_S = 1;
/** How long a pod's app gets to stop on SIGTERM (it stops at once; the default 30 s would only matter if it hung). */
const TERMINATION_GRACE_S = 5;
/** How long the server, its API and the agents' Nodes may take to come up. */
const STARTUP_TIMEOUT_MS = 60_000;
/** How often to look while waiting for the API, the Nodes and a deletion. */
const POLL_MS = 100;

const NAMESPACE = 'default';
const DEPLOYMENTS = resourceByName('deployments')!;
const NODES = resourceByName('nodes')!;
const PODS = resourceByName('pods')!;
const MIB = 2 ** 20;

interface LocalClusterOptions {
  readonly replicas: number;
  readonly runs: number;
  readonly agents: number;
  readonly timeoutMs: number;
  readonly resultsDir: string;
}

/** The middle and the largest of some times, in ms. */
export interface Spread {
  readonly p50: number;
  readonly max: number;
}

export interface RunResult {
  readonly run: number;
  readonly deployment: string;
  /** When `balsa apply` exited, and how. */
  readonly apply: { readonly exitMs: number; readonly code: number | null };
  /** From spawning `balsa apply` to the last of the Deployment's pods seen Ready; null if not all were within the timeout. */
  readonly allReadyMs: number | null;
  /** To the first of its pods seen created (the CLI's start and the Deployment and ReplicaSet controllers come before). */
  readonly firstCreatedMs: number | null;
  /** To the last pod seen bound to a node. */
  readonly allScheduledMs: number | null;
  readonly replicas: number;
  /** Pods Ready at the end of the wait (all `replicas` unless the run timed out). */
  readonly readyPods: number;
  /** Pods created and deleted again during the run (a container that failed, say): 0 normally. */
  readonly replacedPods: number;
  readonly podsPerNode: Record<string, number>;
  /** Per pod, from spawning `apply` to its first sighting Running and Ready. */
  readonly podRunningMs: Spread | null;
  readonly podReadyMs: Spread | null;
  readonly pods: readonly { readonly name: string; readonly node: string | null; readonly createdMs: number; readonly scheduledMs: number | null; readonly runningMs: number | null; readonly readyMs: number | null }[];
  /** From the Deployment's deletion to no pod of it left, in the API and as a process. */
  readonly deleteMs: number | null;
}

interface ProcessFigures {
  readonly pid: number;
  readonly rssBytes: number | null;
  readonly peakRssBytes: number | null;
  /** CPU seconds used over the runs (`cpuWindowS`). */
  readonly cpuSeconds: number | null;
}

export interface LocalClusterBenchResult {
  readonly benchmark: 'local-cluster';
  readonly startedAt: string;
  readonly command: string;
  readonly machine: MachineDescription;
  readonly config: {
    readonly replicas: number;
    readonly runs: number;
    readonly agents: number;
    readonly timeoutS: number;
    readonly readinessProbePeriodS: number;
    readonly app: string;
    readonly processes: string;
  };
  readonly runs: readonly RunResult[];
  /** Over the runs that reached all Ready. */
  readonly allReadyMs: { readonly mean: number; readonly min: number; readonly max: number } | null;
  /** Read after the last run (its pods deleted): RSS now, its peak over the process's life. */
  readonly agents: readonly (ProcessFigures & { readonly name: string; readonly nodeIp: string })[];
  readonly server: ProcessFigures;
  /** From before the first run's `apply` to the last run's pods gone. */
  readonly cpuWindowS: number;
}

function parseCli(argv: readonly string[]): LocalClusterOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      replicas: { type: 'string' },
      runs: { type: 'string' },
      agents: { type: 'string' },
      'timeout-s': { type: 'string' },
      quick: { type: 'boolean' },
      'results-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) throw new UsageError('');
  const quick = values.quick ?? false;
  const agents = integerFlag('agents', values.agents, DEFAULT_AGENTS, 1);
  if (agents > MAX_AGENTS) throw new UsageError(`--agents must be at most ${MAX_AGENTS}, got ${agents}`);
  return {
    replicas: integerFlag('replicas', values.replicas, quick ? 4 : DEFAULT_REPLICAS, 1),
    runs: integerFlag('runs', values.runs, quick ? 1 : DEFAULT_RUNS, 1),
    agents,
    timeoutMs: numberFlag('timeout-s', values['timeout-s'], DEFAULT_TIMEOUT_S, 1) * 1000,
    resultsDir: values['results-dir'] ?? defaultResultsDir(),
  };
}

/** The Deployment each run applies. */
function deploymentManifest(name: string, replicas: number, app: string): object {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NAMESPACE, labels: { app: name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          terminationGracePeriodSeconds: TERMINATION_GRACE_S,
          containers: [
            {
              name: 'web',
              image: 'web:1',
              command: [process.execPath, app],
              ports: [{ name: 'http', containerPort: 8080 }],
              readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: PROBE_PERIOD_S },
            },
          ],
        },
      },
    },
  };
}

interface Running {
  readonly scratch: string;
  /** This run's copy of the app: its processes are the ones whose command line names it. */
  readonly app: string;
  cluster: KvCluster | null;
  agents: AgentProcess[];
  client: GrpcApiClient | null;
  timeline: PodTimeline | null;
}

/**
 * Stops everything, agents first (on SIGTERM each stops its pods, which needs the API
 * server), kills any app process still there, then the server, and removes the scratch
 * directory.
 */
async function stopAll(running: Running, say: (line: string) => void): Promise<void> {
  running.timeline?.cancel();
  running.timeline = null;
  const agents = running.agents;
  running.agents = [];
  await Promise.all(agents.map((agent) => agent.stop()));
  const left = appProcessIds(running.app);
  if (left.length > 0) {
    say(`killing ${left.length} app processes the agents left (${left.join(', ')})`);
    for (const pid of left) killQuietly(pid);
  }
  running.client?.close();
  running.client = null;
  await running.cluster?.stop();
  running.cluster = null;
  await rm(running.scratch, { recursive: true, force: true });
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone meanwhile
  }
}

async function poll(what: string, timeoutMs: number, done: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

function nodeIsReady(node: { status?: Record<string, unknown> }): boolean {
  const conditions = (node.status?.conditions ?? []) as { type?: string; status?: string }[];
  return conditions.some((condition) => condition.type === 'Ready' && condition.status === 'True');
}

/** `balsa apply -f file` against `apiUrl`, as a user runs it; resolves with its exit once it ends. */
function spawnApply(file: string, apiUrl: string, exitedAt: () => number): Promise<{ code: number | null; exitMs: number; output: string }> {
  const child = spawn(process.execPath, [defaultBalsaCli(), 'apply', '-f', file], { env: { ...process.env, [SERVER_ENV]: apiUrl }, stdio: ['ignore', 'pipe', 'pipe'] });
  trackChild(child);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => {
    child.once('error', (error) => resolve({ code: null, exitMs: exitedAt(), output: `${output}${error.message}` }));
    child.once('exit', (code) => resolve({ code, exitMs: exitedAt(), output }));
  });
}

/** Nearest rank: the ⌈q·n⌉-th smallest. */
function spreadOf(values: readonly number[]): Spread | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: round2(sorted[Math.ceil(0.5 * sorted.length) - 1]!), max: round2(sorted[sorted.length - 1]!) };
}

function maxOrNull(values: readonly (number | null)[]): number | null {
  if (values.length === 0 || values.some((value) => value === null)) return null;
  return round2(Math.max(...(values as number[])));
}

/** One run: apply, wait for every pod Ready, delete, wait for every pod gone. */
async function measureRun(run: number, options: LocalClusterOptions, running: Running, apiUrl: string): Promise<RunResult> {
  const client = running.client!;
  const name = `web-${run}`;
  const file = join(running.scratch, `${name}.json`);
  await writeFile(file, `${JSON.stringify(deploymentManifest(name, options.replicas, running.app), null, 2)}\n`);
  const timeline = (running.timeline = await PodTimeline.open(client, NAMESPACE, `app=${name}`));
  timeline.markStart();
  const applied = spawnApply(file, apiUrl, () => timeline.elapsedMs());
  const applyFailed = applied.then(async (apply) => {
    if (apply.code !== 0) throw new Error(`balsa apply -f ${file} exited ${apply.code}:\n${apply.output}`);
    return new Promise<never>(() => {});
  });
  const allReady = await Promise.race([timeline.untilReady(options.replicas, options.timeoutMs), applyFailed]);
  const apply = await applied;
  timeline.cancel();
  running.timeline = null;

  const seen = timeline.sightings();
  const live = seen.filter((pod) => !pod.gone);
  const podsPerNode: Record<string, number> = {};
  for (const pod of live) if (pod.node !== null) podsPerNode[pod.node] = (podsPerNode[pod.node] ?? 0) + 1;
  const timesOf = (field: 'runningMs' | 'readyMs') => live.map((pod) => pod[field]).filter((value): value is number => value !== null);
  const podFigures = (pod: PodSightings) => ({
    name: pod.name,
    node: pod.node,
    createdMs: round2(pod.createdMs),
    scheduledMs: pod.scheduledMs === null ? null : round2(pod.scheduledMs),
    runningMs: pod.runningMs === null ? null : round2(pod.runningMs),
    readyMs: pod.readyMs === null ? null : round2(pod.readyMs),
  });

  let deleteMs: number | null = null;
  if (allReady) {
    const deleteStart = performance.now();
    await client.delete(DEPLOYMENTS, NAMESPACE, name, { propagationPolicy: 'Background' });
    await poll(`the pods of ${name} were not all gone`, options.timeoutMs, async () => {
      const pods = await client.list(PODS, NAMESPACE, { labelSelector: `app=${name}` });
      return pods.items.length === 0 && appProcessIds(running.app).length === 0;
    });
    deleteMs = round2(performance.now() - deleteStart);
  }
  return {
    run,
    deployment: name,
    apply: { exitMs: round2(apply.exitMs), code: apply.code },
    allReadyMs: allReady ? maxOrNull(live.map((pod) => pod.readyMs)) : null,
    firstCreatedMs: seen.length === 0 ? null : round2(Math.min(...seen.map((pod) => pod.createdMs))),
    allScheduledMs: allReady ? maxOrNull(live.map((pod) => pod.scheduledMs)) : null,
    replicas: options.replicas,
    readyPods: timeline.readyCount(),
    replacedPods: seen.length - live.length,
    podsPerNode,
    podRunningMs: spreadOf(timesOf('runningMs')),
    podReadyMs: spreadOf(timesOf('readyMs')),
    pods: live.map(podFigures),
    deleteMs,
  };
}

function processFigures(pid: number, cpuAtStart: number | null): ProcessFigures {
  const cpuNow = cpuSeconds(pid);
  return {
    pid,
    rssBytes: rssBytes(pid),
    peakRssBytes: peakRssBytes(pid),
    cpuSeconds: cpuNow === null || cpuAtStart === null ? null : round2(cpuNow - cpuAtStart),
  };
}

async function runBench(options: LocalClusterOptions, command: string): Promise<LocalClusterBenchResult> {
  const startedAt = new Date().toISOString();
  const machine = describeMachine();
  const say = (line: string): void => void process.stderr.write(`local-cluster bench: ${line}\n`);
  const scratch = await mkdtemp(join(tmpdir(), 'balsa-bench-local-cluster-'));
  const running: Running = { scratch, app: join(scratch, 'web-app.mjs'), cluster: null, agents: [], client: null, timeline: null };
  const unregister = onInterrupt(async () => {
    await stopAll(running, say).catch(() => stopOpenKvClusters());
  });
  try {
    say(`scratch directory ${scratch}`);
    await copyFile(join(repositoryRoot(), 'examples', 'web', 'app.mjs'), running.app);
    say('starting balsa server (1 member)');
    running.cluster = await startKvCluster({ members: 1, dir: scratch, apiServer: true });
    const member = running.cluster.members[0]!;
    const apiUrl = member.apiUrl!;
    await poll('the API server was not ready', STARTUP_TIMEOUT_MS, async () => (await fetch(`${apiUrl}/readyz`)).ok);
    const client = (running.client = new GrpcApiClient(member.apiGrpcAddress!));

    const specs = Array.from({ length: options.agents }, (_, i) => ({
      name: `node-${String.fromCharCode('a'.charCodeAt(0) + i)}`,
      nodeIp: `127.0.0.${2 + i}`,
      dataDir: join(scratch, `agent-${i}`),
      server: member.apiGrpcAddress!,
    }));
    say(`starting ${options.agents} agents`);
    for (const spec of specs) running.agents.push(await startAgentProcess(spec));
    await poll(`the ${options.agents} nodes were not all Ready`, STARTUP_TIMEOUT_MS, async () => {
      const nodes = await client.list(NODES, undefined);
      return nodes.items.filter(nodeIsReady).length === options.agents;
    });
    const serverPid = running.cluster.pids()[0]!;
    say(`processes: server ${serverPid}, agents ${running.agents.map((agent) => agent.pid).join(', ')}`);

    const cpuAtStart = new Map([serverPid, ...running.agents.map((agent) => agent.pid)].map((pid) => [pid, cpuSeconds(pid)]));
    const windowStart = performance.now();
    const runs: RunResult[] = [];
    for (let run = 1; run <= options.runs; run++) {
      say(`run ${run}: applying a ${options.replicas}-replica Deployment`);
      const result = await measureRun(run, options, running, apiUrl);
      runs.push(result);
      say(`run ${run}: ${result.allReadyMs === null ? `only ${result.readyPods} Ready after ${options.timeoutMs / 1000} s` : `all Ready at ${formatFigure(result.allReadyMs)} ms`}`);
      if (result.allReadyMs === null) break;
    }
    const cpuWindowS = round2((performance.now() - windowStart) / 1000);
    const agents = running.agents.map((agent) => ({ name: agent.name, nodeIp: agent.nodeIp, ...processFigures(agent.pid, cpuAtStart.get(agent.pid) ?? null) }));
    const server = processFigures(serverPid, cpuAtStart.get(serverPid) ?? null);
    const readyTimes = runs.map((run) => run.allReadyMs).filter((value): value is number => value !== null);
    return {
      benchmark: 'local-cluster',
      startedAt,
      command,
      machine,
      config: {
        replicas: options.replicas,
        runs: options.runs,
        agents: options.agents,
        timeoutS: options.timeoutMs / 1000,
        readinessProbePeriodS: PROBE_PERIOD_S,
        app: 'examples/web/app.mjs',
        processes: `balsa server (1 member) on 127.0.0.1, ${options.agents} × balsa agent (process runtime) on ${specs.map((spec) => spec.nodeIp).join(', ')}, balsa apply per run, this process watching`,
      },
      runs,
      allReadyMs:
        readyTimes.length === 0
          ? null
          : { mean: round2(readyTimes.reduce((sum, value) => sum + value, 0) / readyTimes.length), min: Math.min(...readyTimes), max: Math.max(...readyTimes) },
      agents,
      server,
      cpuWindowS,
    };
  } finally {
    unregister();
    await stopAll(running, say).catch(() => stopOpenKvClusters());
  }
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function report(result: LocalClusterBenchResult, file: string): string {
  const { config } = result;
  const ms = (value: number | null) => (value === null ? '–' : `${formatFigure(value)} ms`);
  const mib = (bytes: number | null) => (bytes === null ? '–' : `${formatFigure(round2(bytes / MIB))} MiB`);
  const seconds = (value: number | null) => (value === null ? '–' : `${formatFigure(value)} s`);
  const spread = (name: string, value: Spread | null) => `${name} p50 ${ms(value?.p50 ?? null)}, max ${ms(value?.max ?? null)}`;
  const lines = [
    `local-cluster: a ${config.replicas}-replica Deployment of ${config.app} (readiness probe every ${config.readinessProbePeriodS} s), ` +
      `balsa server and ${config.agents} agents (process runtime), ${plural(config.runs, 'run')}; times from spawning balsa apply`,
  ];
  for (const run of result.runs) {
    const nodes = Object.entries(run.podsPerNode)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([node, count]) => `${node} ${count}`)
      .join(', ');
    lines.push(
      run.allReadyMs === null
        ? `run ${run.run}     NOT READY: ${run.readyPods} of ${run.replicas} pods Ready after ${formatFigure(config.timeoutS)} s (apply exited ${run.apply.code} at ${ms(run.apply.exitMs)})`
        : `run ${run.run}     all ${run.readyPods} pods Ready at ${ms(run.allReadyMs)} (first pod created at ${ms(run.firstCreatedMs)}, apply exited at ${ms(run.apply.exitMs)}, all bound at ${ms(run.allScheduledMs)}); ` +
            `per pod: ${spread('Running', run.podRunningMs)}; ${spread('Ready', run.podReadyMs)}; pods per node: ${nodes}; deleted and gone in ${ms(run.deleteMs)}`,
    );
  }
  const all = result.allReadyMs;
  lines.push(
    all === null
      ? 'mean      no run reached all Ready'
      : `mean      all Ready at ${ms(all.mean)} over ${plural(result.runs.filter((run) => run.allReadyMs !== null).length, 'run')} (min ${ms(all.min)}, max ${ms(all.max)})`,
    `agents    ${result.agents.map((agent) => `${agent.name} RSS ${mib(agent.rssBytes)} (peak ${mib(agent.peakRssBytes)})`).join(', ')}; server RSS ${mib(result.server.rssBytes)} (peak ${mib(result.server.peakRssBytes)})`,
    `CPU       server ${seconds(result.server.cpuSeconds)}, ${result.agents.map((agent) => `${agent.name} ${seconds(agent.cpuSeconds)}`).join(', ')} ` +
      `(over ${formatFigure(result.cpuWindowS)} s of runs, deletions included, on ${result.machine.cores} cores)`,
    `machine   ${machineLine(result.machine)}`,
    `command   ${result.command}`,
    `results   ${file}`,
  );
  return lines.join('\n');
}

async function main(argv: readonly string[]): Promise<number> {
  const options = parseOrExplain(argv, parseCli, USAGE);
  if (options === null) return 2;
  const result = await runBench(options, commandLine('bench:local-cluster', 'dist/bench/local-cluster.js', argv));
  const file = writeResultFile(options.resultsDir, resultStem('local-cluster', result.startedAt), 'json', `${JSON.stringify(result, null, 2)}\n`);
  console.log(report(result, file));
  const allReady = result.runs.length === options.runs && result.runs.every((run) => run.allReadyMs !== null && run.readyPods === run.replicas);
  return allReady ? 0 : 1;
}

process.exitCode = await unlessInterrupted(() => main(process.argv.slice(2)));
