/**
 * `npm run bench:scheduler -- [--nodes 1000] [--pods 10000] [--kv-members 1|3] [--create-concurrency 64]
 * [--bind-concurrency 128] [--events] [--backlog] [--timeout-s 600] [--cpu-prof-dir DIR] [--quick] [--results-dir DIR]`
 *
 * The scheduler at scale, through the real API server and KV: N simulated nodes
 * (`support/simulated-nodes.ts`: registered through the API server, Ready, heartbeating a
 * Lease every 10 s, no processes) and P pods (100m CPU, 128 MiB each, owned by ten
 * ReplicaSets) created as fast as the API server takes them. Measured: pods bound per
 * second, from the first create sent to the last binding seen on a watch of the pods, and
 * the time from each pod's create being sent to its binding being seen (p50/p99/max).
 *
 * Processes, on 127.0.0.1 (a 2-core machine has to share its cores among them; each
 * process's CPU seconds over the run are reported, so the split shows):
 * - the KV: `--kv-members` `balsa kv serve` processes (default 1: see `DEFAULT_KV_MEMBERS`);
 * - the API server: `balsa apiserver`, its own process;
 * - the scheduler: its own process (`support/scheduler-process.ts`), as in a cluster;
 * - this process: the simulated nodes' heartbeats, the pod creator and the watch.
 *
 * `--backlog` creates every pod first and starts the scheduler after: its figure is then
 * the scheduler's own pace on a full queue (first binding to last), without the creates
 * competing for the API server. `--events` makes the scheduler write a `Scheduled` Event
 * per pod (off by default: 10,000 more writes would measure the event path).
 * `--cpu-prof-dir DIR`: the KV members, the API server and the scheduler write V8 CPU profiles
 * there when they stop (they run slower: take no figures from such a run).
 * `--quick` is 100 nodes and 1,000 pods. Writes `<results-dir>/scheduler-<time>.json`.
 * Exit status: 0 when every pod was bound and no node holds more than it offers, 1
 * otherwise, 2 on bad arguments.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { resourceByName } from '../control-plane/api/resources.js';
import { GrpcApiClient } from '../control-plane/client/grpc-api-client.js';
import { BIND_CONCURRENCY_DEFAULT, BIND_CONCURRENCY_MAX } from '../control-plane/scheduler/index.js';
import { startKvCluster, stopOpenKvClusters } from '../kv/testing/kv-process-cluster.js';
import type { KvCluster } from '../kv/testing/kv-process-cluster.js';
import { startApiServerProcess } from './support/api-server-process.js';
import type { ApiServerProcess } from './support/api-server-process.js';
import { UsageError, integerFlag, numberFlag, parseOrExplain } from './support/cli-args.js';
import { onInterrupt, unlessInterrupted } from './support/interrupts.js';
import { LatencyHistogram, roundedSummary } from './support/latency-histogram.js';
import type { LatencySummary } from './support/latency-histogram.js';
import { totalCpuSeconds } from './support/proc-stats.js';
import { commandLine, defaultResultsDir, describeMachine, machineLine, resultStem, round2, writeResultFile } from './support/results-file.js';
import type { MachineDescription } from './support/results-file.js';
import type { SchedulerProcessStats } from './support/scheduler-process.js';
import { SimulatedNodes } from './support/simulated-nodes.js';
import { SchedulerChild } from './support/scheduler-child.js';
import { BindingWatch, NAMESPACE, NODE_ALLOCATABLE, POD_REQUESTS, checkPlacement, createPods } from './support/scheduler-pods.js';
import type { PlacementCheck } from './support/scheduler-pods.js';
import type { HeartbeatStats } from './support/simulated-nodes.js';
import { formatFigure } from './support/text-table.js';

const USAGE =
  'usage: npm run bench:scheduler -- [--nodes 1000] [--pods 10000] [--kv-members 1|3] [--create-concurrency 64] [--bind-concurrency 128] ' +
  '[--events] [--backlog] [--timeout-s 600] [--cpu-prof-dir DIR] [--quick] [--results-dir DIR]';

/** The target. */
export const SCHEDULER_GOAL = { nodes: 1000, pods: 10_000, podsPerS: 1500 } as const;

/**
 * One KV member by default: on a 2-core machine, three members would triple the KV's CPU
 * per write (every member applies every write) on cores that the API server, the scheduler
 * and the load generator need; the scheduler's pace is the subject here, not replication's
 * (`bench:kv` measures that). `--kv-members 3` measures the replicated setup.
 */
const DEFAULT_KV_MEMBERS = 1;
/** How often to read the scheduler's counters during a run (a progress line and the queue's peaks). */
const PROGRESS_MS = 1_000;

const NAMESPACES = resourceByName('namespaces')!;
const PODS = resourceByName('pods')!;

interface SchedulerBenchOptions {
  readonly nodes: number;
  readonly pods: number;
  readonly kvMembers: number;
  readonly createConcurrency: number;
  readonly bindConcurrency: number;
  readonly events: boolean;
  readonly backlog: boolean;
  readonly timeoutMs: number;
  readonly resultsDir: string;
  /** Each process under test writes a V8 CPU profile here when it stops (slows them: no figures from such a run). */
  readonly cpuProfDir: string | null;
}

export interface SchedulerBenchResult {
  readonly benchmark: 'scheduler';
  readonly startedAt: string;
  readonly command: string;
  readonly machine: MachineDescription;
  readonly config: {
    readonly nodes: number;
    readonly pods: number;
    readonly kvMembers: number;
    readonly createConcurrency: number;
    readonly bindConcurrency: number;
    readonly scheduledEvents: boolean;
    readonly backlog: boolean;
    readonly podRequests: typeof POD_REQUESTS;
    readonly nodeAllocatable: typeof NODE_ALLOCATABLE;
    readonly processes: string;
  };
  /** Pods created (acknowledged) and at what pace; create latency (send to answer). */
  readonly creation: { readonly created: number; readonly errors: number; readonly seconds: number; readonly podsPerS: number; readonly latencyMs: LatencySummary };
  /**
   * Pods seen bound, over the measured span: from the first create sent to the last binding
   * seen (with `--backlog`: from the first binding seen to the last).
   */
  readonly binding: { readonly bound: number; readonly seconds: number; readonly podsPerS: number };
  /** From a pod's create being sent to its binding being seen on the watch (streaming runs only). */
  readonly createToBindMs: LatencySummary | null;
  /** Checked in the API at the end: pods with a node, and nodes holding more than they offer. */
  readonly check: PlacementCheck;
  readonly scheduler: SchedulerProcessStats | null;
  /** The largest active queue and number of bindings in flight seen (sampled every PROGRESS_MS). */
  readonly schedulerPeaks: { readonly active: number; readonly bindsInFlight: number };
  /**
   * CPU seconds (user + system) of each process from when pods start coming (streaming: the
   * first create; backlog: the scheduler ready) until the last binding was seen, `windowS` long.
   */
  readonly cpuSeconds: { readonly windowS: number; readonly kv: number | null; readonly apiServer: number | null; readonly scheduler: number | null; readonly loadGenerator: number };
  readonly heartbeats: HeartbeatStats;
  readonly goal: { readonly podsPerS: number; readonly met: boolean };
}

function parseCli(argv: readonly string[]): SchedulerBenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      nodes: { type: 'string' },
      pods: { type: 'string' },
      'kv-members': { type: 'string' },
      'create-concurrency': { type: 'string' },
      'bind-concurrency': { type: 'string' },
      events: { type: 'boolean' },
      backlog: { type: 'boolean' },
      'timeout-s': { type: 'string' },
      quick: { type: 'boolean' },
      'results-dir': { type: 'string' },
      'cpu-prof-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) throw new UsageError('');
  const quick = values.quick ?? false;
  if (values['bind-concurrency'] !== undefined && integerFlag('bind-concurrency', values['bind-concurrency'], 0, 1) > BIND_CONCURRENCY_MAX) {
    throw new UsageError(`--bind-concurrency must be at most ${BIND_CONCURRENCY_MAX}, got ${values['bind-concurrency']}`);
  }
  const kvMembers = integerFlag('kv-members', values['kv-members'], DEFAULT_KV_MEMBERS, 1);
  if (kvMembers !== 1 && kvMembers !== 3) throw new UsageError(`--kv-members must be 1 or 3, got ${kvMembers}`);
  return {
    nodes: integerFlag('nodes', values.nodes, quick ? 100 : SCHEDULER_GOAL.nodes, 1),
    pods: integerFlag('pods', values.pods, quick ? 1000 : SCHEDULER_GOAL.pods, 1),
    kvMembers,
    createConcurrency: integerFlag('create-concurrency', values['create-concurrency'], 64, 1),
    bindConcurrency: integerFlag('bind-concurrency', values['bind-concurrency'], BIND_CONCURRENCY_DEFAULT, 1),
    events: values.events ?? false,
    backlog: values.backlog ?? false,
    timeoutMs: numberFlag('timeout-s', values['timeout-s'], 600, 1) * 1000,
    resultsDir: values['results-dir'] ?? defaultResultsDir(),
    cpuProfDir: values['cpu-prof-dir'] === undefined ? null : resolve(values['cpu-prof-dir']),
  };
}

interface Running {
  /** Set when everything is being stopped: the load stops first. */
  stopping: boolean;
  scratch: string;
  cluster: KvCluster | null;
  apiServer: ApiServerProcess | null;
  client: GrpcApiClient | null;
  nodes: SimulatedNodes | null;
  watch: BindingWatch | null;
  scheduler: SchedulerChild | null;
}

/** Stops whatever is running, in reverse order of starting, and removes the scratch directory. */
async function stopAll(running: Running): Promise<SchedulerProcessStats | null> {
  running.stopping = true;
  const stats = await running.scheduler?.stop().catch(() => null) ?? null;
  running.scheduler = null;
  running.watch?.cancel();
  running.watch = null;
  await running.nodes?.stop();
  running.nodes = null;
  running.client?.close();
  running.client = null;
  await running.apiServer?.stop();
  running.apiServer = null;
  await running.cluster?.stop();
  running.cluster = null;
  await rm(running.scratch, { recursive: true, force: true });
  return stats;
}

async function run(options: SchedulerBenchOptions, command: string): Promise<SchedulerBenchResult> {
  const startedAt = new Date().toISOString();
  const machine = describeMachine();
  const say = (line: string): void => void process.stderr.write(`scheduler bench: ${line}\n`);
  const running: Running = { stopping: false, scratch: await mkdtemp(join(tmpdir(), 'balsa-bench-scheduler-')), cluster: null, apiServer: null, client: null, nodes: null, watch: null, scheduler: null };
  let sampler: NodeJS.Timeout | undefined;
  const unregister = onInterrupt(async () => {
    await stopAll(running).catch(() => stopOpenKvClusters());
  });
  try {
    say(`starting a ${options.kvMembers}-member KV and the API server`);
    const nodeArgs = options.cpuProfDir === null ? [] : ['--cpu-prof', '--cpu-prof-dir', options.cpuProfDir];
    running.cluster = await startKvCluster({ members: options.kvMembers, dir: running.scratch, nodeArgs });
    running.apiServer = await startApiServerProcess(running.cluster.clientEndpoints, nodeArgs);
    say(`processes: KV ${running.cluster.pids().join(', ')}, API server ${running.apiServer.pid}`);
    const client = (running.client = new GrpcApiClient(running.apiServer.grpcAddress));
    await client.create(NAMESPACES, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } });

    say(`registering ${options.nodes} nodes`);
    running.nodes = await SimulatedNodes.register({ client, count: options.nodes, namePrefix: 'bench-node', allocatable: NODE_ALLOCATABLE });
    running.nodes.startHeartbeats();

    const listed = await client.list(PODS, NAMESPACE, { limit: 1 });
    const watch = (running.watch = new BindingWatch(client, listed.metadata.resourceVersion!, options.pods));
    const sentAtMs = new Float64Array(options.pods).fill(NaN);
    const startScheduler = async (): Promise<void> => {
      const started = await SchedulerChild.start(running.apiServer!.grpcAddress, options);
      running.scheduler = started.child;
      say(`scheduler running (pid ${started.child.pid}; it sees ${started.ready.nodes} nodes, ${started.ready.pods} pods)`);
    };
    const pids = () => ({ kv: running.cluster!.pids(), apiServer: [running.apiServer!.pid], scheduler: running.scheduler === null ? [] : [running.scheduler.pid] });

    let cpuStart: { kv: number | null; apiServer: number | null; scheduler: number | null; main: NodeJS.CpuUsage; atMs: number } | null = null;
    const markCpu = (): void => {
      const now = pids();
      cpuStart = { kv: totalCpuSeconds(now.kv), apiServer: totalCpuSeconds(now.apiServer), scheduler: totalCpuSeconds(now.scheduler), main: process.cpuUsage(), atMs: performance.now() };
    };
    // The scheduler's counters every PROGRESS_MS: a progress line, and the peaks of its queue.
    const peaks = { active: 0, bindsInFlight: 0 };
    const sample = (): void => {
      void running.scheduler?.stats().then(
        (stats) => {
          peaks.active = Math.max(peaks.active, stats.queue.active);
          peaks.bindsInFlight = Math.max(peaks.bindsInFlight, stats.bindsInFlight);
          say(`${watch.bound}/${options.pods} bound; scheduler: ${stats.attempts} attempts, ${stats.bindsInFlight} binds in flight, queue ${JSON.stringify(stats.queue)}`);
        },
        () => {},
      );
    };
    sampler = setInterval(sample, PROGRESS_MS);
    if (!options.backlog) {
      await startScheduler();
      markCpu();
    }
    say(`creating ${options.pods} pods, ${options.createConcurrency} at a time`);
    const creation = await createPods(client, options.pods, options.createConcurrency, sentAtMs, () => running.stopping);
    const firstSentMs = sentAtMs.reduce((min, value) => (Number.isNaN(value) ? min : Math.min(min, value)), Infinity);
    if (options.backlog) {
      // From the scheduler's start on (its process's boot and first list are not counted).
      await startScheduler();
      markCpu();
    }
    await watch.until(creation.created, options.timeoutMs);
    clearInterval(sampler);
    const endCpu = pids();
    const start = cpuStart!;
    const cpu = {
      windowS: (performance.now() - start.atMs) / 1000,
      kv: start.kv === null ? null : (totalCpuSeconds(endCpu.kv) ?? NaN) - start.kv,
      apiServer: start.apiServer === null ? null : (totalCpuSeconds(endCpu.apiServer) ?? NaN) - start.apiServer,
      scheduler: start.scheduler === null ? null : (totalCpuSeconds(endCpu.scheduler) ?? NaN) - start.scheduler,
      loadGenerator: (() => {
        const used = process.cpuUsage(start.main);
        return (used.user + used.system) / 1e6;
      })(),
    };
    if (watch.error !== null) say(`the watch of the pods ended early: ${watch.error}`);

    const bindTimes = [...watch.boundAtMs].filter((value) => !Number.isNaN(value));
    const lastBindMs = Math.max(...bindTimes);
    const firstBindMs = Math.min(...bindTimes);
    const spanMs = options.backlog ? lastBindMs - firstBindMs : lastBindMs - firstSentMs;
    let createToBind: LatencySummary | null = null;
    if (!options.backlog) {
      const histogram = new LatencyHistogram();
      watch.boundAtMs.forEach((boundAt, i) => {
        if (!Number.isNaN(boundAt) && !Number.isNaN(sentAtMs[i]!)) histogram.record(Math.max(0, boundAt - sentAtMs[i]!));
      });
      createToBind = roundedSummary(histogram.summary());
    }
    const check = await checkPlacement(client);
    const heartbeats = running.nodes.heartbeats;
    const schedulerStats = await stopAll(running);
    const creationSeconds = (creation.lastAckMs - firstSentMs) / 1000;
    const podsPerS = bindTimes.length > 1 && spanMs > 0 ? (options.backlog ? bindTimes.length - 1 : bindTimes.length) / (spanMs / 1000) : 0;
    return {
      benchmark: 'scheduler',
      startedAt,
      command,
      machine,
      config: {
        nodes: options.nodes,
        pods: options.pods,
        kvMembers: options.kvMembers,
        createConcurrency: options.createConcurrency,
        bindConcurrency: options.bindConcurrency,
        scheduledEvents: options.events,
        backlog: options.backlog,
        podRequests: POD_REQUESTS,
        nodeAllocatable: NODE_ALLOCATABLE,
        processes: `${options.kvMembers} × balsa kv serve, balsa apiserver, the scheduler, the load generator (heartbeats, creates, watch)`,
      },
      creation: { created: creation.created, errors: creation.errors, seconds: round2(creationSeconds), podsPerS: round2(creation.created / creationSeconds), latencyMs: roundedSummary(creation.latency.summary()) },
      binding: { bound: bindTimes.length, seconds: round2(spanMs / 1000), podsPerS: round2(podsPerS) },
      createToBindMs: createToBind,
      check,
      scheduler: schedulerStats,
      schedulerPeaks: peaks,
      cpuSeconds: {
        windowS: round2(cpu.windowS),
        kv: cpu.kv === null ? null : round2(cpu.kv),
        apiServer: cpu.apiServer === null ? null : round2(cpu.apiServer),
        scheduler: cpu.scheduler === null ? null : round2(cpu.scheduler),
        loadGenerator: round2(cpu.loadGenerator),
      },
      heartbeats,
      goal: { podsPerS: SCHEDULER_GOAL.podsPerS, met: podsPerS >= SCHEDULER_GOAL.podsPerS },
    };
  } finally {
    clearInterval(sampler);
    unregister();
    await stopAll(running).catch(() => {});
  }
}

function report(result: SchedulerBenchResult, file: string): string {
  const { config, creation, binding, check, scheduler, cpuSeconds: cpu } = result;
  const latency = (summary: LatencySummary) => `p50 ${formatFigure(summary.p50)} ms, p99 ${formatFigure(summary.p99)} ms, max ${formatFigure(summary.max)} ms`;
  const seconds = (value: number | null) => (value === null ? '–' : `${formatFigure(value)} s`);
  const lines = [
    `scheduler: ${formatFigure(config.nodes)} nodes, ${formatFigure(config.pods)} pods (${config.podRequests.cpu} CPU, ${config.podRequests.memory} each), ` +
      `${config.kvMembers}-member Balsa KV, API server and scheduler in processes of their own, bind concurrency ${config.bindConcurrency}` +
      `${config.backlog ? ', backlog (pods created before the scheduler starts)' : ''}${config.scheduledEvents ? ', Scheduled events on' : ''}`,
    `created   ${formatFigure(creation.created)} pods in ${formatFigure(creation.seconds)} s: ${formatFigure(creation.podsPerS)} pods/s (create ${latency(creation.latencyMs)}; ${creation.errors} errors)`,
    `bound     ${formatFigure(binding.bound)} pods in ${formatFigure(binding.seconds)} s: ${formatFigure(binding.podsPerS)} pods/s ` +
      `(${config.backlog ? 'first binding to last' : 'first create sent to last binding seen'})`,
  ];
  if (result.createToBindMs !== null) lines.push(`create → bound seen: ${latency(result.createToBindMs)}`);
  lines.push(
    `check     ${formatFigure(check.boundInApi)} pods bound in the API on ${formatFigure(check.nodesUsed)} nodes (at most ${check.maxPodsOnANode} on one), ${check.overcommittedNodes} nodes overcommitted`,
  );
  if (scheduler !== null) {
    lines.push(
      `scheduler ${formatFigure(scheduler.attempts)} attempts, ${formatFigure(scheduler.bound)} bound, ${scheduler.bindConflicts} conflicts, ${scheduler.bindErrors} bind errors, ` +
        `${scheduler.unschedulable} unschedulable, event loop busy ${Math.round(scheduler.eventLoopUtilization * 100)}% of its life; ` +
        `at most ${formatFigure(result.schedulerPeaks.active)} pods waiting in its active queue and ${result.schedulerPeaks.bindsInFlight} bindings in flight`,
      `decisions ${formatFigure((scheduler.decisionMs * 1000) / Math.max(1, scheduler.attempts))} µs per pod on average (${formatFigure(scheduler.attempts / (scheduler.decisionMs / 1000))} pods/s on one core if deciding were all it did); ` +
        `the scheduler process used ${cpu.scheduler === null ? '–' : formatFigure((cpu.scheduler * 1000) / Math.max(1, binding.bound))} ms of CPU per pod`,
    );
  }
  lines.push(
    `CPU       KV ${seconds(cpu.kv)}, API server ${seconds(cpu.apiServer)}, scheduler ${seconds(cpu.scheduler)}, load generator ${seconds(cpu.loadGenerator)} (over ${formatFigure(cpu.windowS)} s on ${result.machine.cores} cores)`,
    `heartbeats ${formatFigure(result.heartbeats.renewed)} lease renewals, ${result.heartbeats.conflicts} conflicts, ${result.heartbeats.errors} errors`,
    `goal: ≥ ${formatFigure(result.goal.podsPerS)} pods/s: ${result.goal.met ? 'met' : 'not met'} (${formatFigure(binding.podsPerS)})`,
    `machine  ${machineLine(result.machine)}`,
    `command  ${result.command}`,
    `results  ${file}`,
  );
  return lines.join('\n');
}

async function main(argv: readonly string[]): Promise<number> {
  const options = parseOrExplain(argv, parseCli, USAGE);
  if (options === null) return 2;
  const result = await run(options, commandLine('bench:scheduler', 'dist/bench/scheduler.js', argv));
  const file = writeResultFile(options.resultsDir, resultStem('scheduler', result.startedAt), 'json', `${JSON.stringify(result, null, 2)}\n`);
  console.log(report(result, file));
  const allBound = result.binding.bound === result.creation.created && result.check.boundInApi === result.creation.created && result.creation.created === result.config.pods;
  return allBound && result.check.overcommittedNodes === 0 ? 0 : 1;
}

process.exitCode = await unlessInterrupted(() => main(process.argv.slice(2)));
