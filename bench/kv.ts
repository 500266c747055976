/**
 * `npm run bench:kv -- [--concurrency 1,16,64,256,1024] [--connections N] [--workloads put,get]
 * [--targets balsa,etcd] [--duration-s S] [--warmup-s W] [--keys K] [--value-bytes B]
 * [--check-perf s,m,l|none] [--etcd PATH] [--etcdctl PATH] [--target-warmup-s S] [--memory-keys N] [--cpu-prof-dir DIR] [--quick] [--results-dir DIR]`
 *
 * Balsa KV against etcd, both as 3-member clusters on 127.0.0.1 that the benchmark starts
 * and stops itself, one after the other in the same run (`kv-targets.ts`). For each, an
 * etcd v3 load client on grpc-js (`kv-load-client.ts`, over `--connections` channels)
 * (after `--target-warmup-s` seconds of unmeasured puts, default 5) runs the put workload,
 * fills the keyspace, then runs the linearizable-get workload, at
 * each concurrency: W seconds of warm-up, S seconds measured. Per cell: ops/s,
 * p50/p99/p999 latency, the members' CPU seconds per 1,000 ops and the largest member's
 * peak RSS in the window (from /proc), and the Balsa/etcd ratio of each figure. Then
 * `etcdctl check perf --load=s|m|l` against each (60 s apiece): pass/fail and the
 * throughput reached.
 *
 * Writes `<results-dir>/kv-<timestamp>.json`, a Markdown table (`.md`, for the README)
 * and a chart of throughput versus concurrency (`.svg`) next to it. If etcd is missing
 * the benchmark says so and runs Balsa alone; if etcdctl is missing it skips check perf.
 * `--cpu-prof-dir DIR` has each Balsa member write a V8 CPU profile there when it stops
 * (open it in Chrome's DevTools or speedscope for a flame graph).
 * `--quick` is a short run (1 s per cell after 0.25 s of warm-up, 1,000 keys, no check perf) for
 * smoke tests; explicit flags win. Exit status: 0 when every cell completed requests, 1
 * otherwise, 2 on bad arguments.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { isExecutable, locateTool, missingToolReason, stopTrackedChildren } from '../kv/testing/etcd-tools.js';
import type { ToolName } from '../kv/testing/etcd-tools.js';
import { stopOpenKvClusters } from '../kv/testing/kv-process-cluster.js';
import { stopOpenRealEtcds } from '../kv/testing/real-etcd.js';
import { CHECK_PERF_LOADS, runCheckPerf } from './etcdctl-check-perf.js';
import type { CheckPerfLoad, CheckPerfResult } from './etcdctl-check-perf.js';
import { EtcdLoadClient } from './kv-load-client.js';
import { WORKLOADS, kvChartSvg, kvMarkdownReport, kvTextReport, ratiosOf } from './kv-report.js';
import type { KvBenchResult, KvCellResult, KvTargetRun, MemoryResult, Workload } from './kv-report.js';
import { TARGET_LABELS, TARGET_NAMES, startBalsaTarget, startEtcdTarget } from './kv-targets.js';
import type { KvTarget, TargetName } from './kv-targets.js';
import { COMMON_FLAGS, UsageError, choiceListFlag, commonSettings, integerFlag, integerListFlag, numberFlag, parseOrExplain } from './support/cli-args.js';
import type { CommonSettings } from './support/cli-args.js';
import { runClosedLoop } from './support/closed-loop.js';
import { onInterrupt, unlessInterrupted, withCleanup } from './support/interrupts.js';
import { roundedSummary } from './support/latency-histogram.js';
import { maxPeakRssBytes, resetPeakRss, rssBytes, totalCpuSeconds } from './support/proc-stats.js';
import { commandLine, describeMachine, machineLine, repositoryRoot, resultStem, round2, writeResultFile } from './support/results-file.js';

const USAGE =
  'usage: npm run bench:kv -- [--concurrency 1,16,64,256,1024] [--connections N] [--workloads put,get] [--targets balsa,etcd] ' +
  '[--duration-s S] [--warmup-s W] [--keys K] [--value-bytes B] [--check-perf s,m,l|none] [--etcd PATH] [--etcdctl PATH] [--target-warmup-s S] [--memory-keys N] [--cpu-prof-dir DIR] [--quick] [--results-dir DIR]';

const MEMBERS = 3;
/** Workers that fill the keyspace before the get workload. */
const FILL_WORKERS = 64;
/**
 * Seconds of unmeasured puts (at concurrency TARGET_WARMUP_CONCURRENCY) against each
 * freshly started cluster before its first cell, so that no cell measures a cold start:
 * V8 compiles Balsa's hot paths during the first seconds of load, and a server runs for
 * days. etcd gets the same.
 */
const TARGET_WARMUP_S = 5;
const TARGET_WARMUP_CONCURRENCY = 16;
/** The memory figure's writes: puts per transaction (etcd's default --max-txn-ops), transactions in flight. */
const MEMORY_KEYS_PER_TXN = 128;
const MEMORY_WORKERS = 16;
const MEMORY_KEY_PREFIX = '/bench/memory-';
/** After the writes, the members get this long to settle before their RSS is read. */
const MEMORY_SETTLE_MS = 2_000;
/** Attempts at each put of the fill before the run gives up. */
const FILL_ATTEMPTS = 3;
/** After an interrupt, etcdctl and other children get this long after SIGTERM. */
const CHILD_STOP_GRACE_MS = 5_000;

interface KvBenchOptions extends CommonSettings {
  readonly concurrency: readonly number[];
  readonly connections: number;
  readonly workloads: readonly Workload[];
  readonly targets: readonly TargetName[];
  readonly keys: number;
  readonly valueBytes: number;
  readonly checkPerf: readonly CheckPerfLoad[];
  readonly etcd: string | undefined;
  readonly etcdctl: string | undefined;
  /** Where Balsa's members write V8 CPU profiles (`--cpu-prof`), if anywhere. */
  readonly cpuProfDir: string | undefined;
  /** Unmeasured puts against a freshly started target before its first cell. */
  readonly targetWarmupMs: number;
  /** Distinct keys written at the end to measure memory (0: not measured). */
  readonly memoryKeys: number;
}

function parseCli(argv: readonly string[]): KvBenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      ...COMMON_FLAGS,
      concurrency: { type: 'string' },
      connections: { type: 'string' },
      workloads: { type: 'string' },
      targets: { type: 'string' },
      keys: { type: 'string' },
      'value-bytes': { type: 'string' },
      'check-perf': { type: 'string' },
      etcd: { type: 'string' },
      etcdctl: { type: 'string' },
      'cpu-prof-dir': { type: 'string' },
      'target-warmup-s': { type: 'string' },
      'memory-keys': { type: 'string' },
    },
    strict: true,
  });
  const common = commonSettings(values);
  const workloads = choiceListFlag('workloads', values.workloads, WORKLOADS, WORKLOADS);
  const targets = choiceListFlag('targets', values.targets, TARGET_NAMES, TARGET_NAMES);
  if (workloads.length === 0) throw new UsageError('--workloads must name at least one workload');
  if (targets.length === 0) throw new UsageError('--targets must name at least one system');
  return {
    ...common,
    concurrency: integerListFlag('concurrency', values.concurrency, [1, 16, 64, 256, 1024], 1),
    connections: integerFlag('connections', values.connections, 16, 1),
    workloads,
    targets,
    keys: integerFlag('keys', values.keys, common.quick ? 1000 : 10_000, 1),
    valueBytes: integerFlag('value-bytes', values['value-bytes'], 256, 0),
    checkPerf: choiceListFlag('check-perf', values['check-perf'], common.quick ? [] : ['s', 'm', 'l'], CHECK_PERF_LOADS),
    etcd: values.etcd,
    etcdctl: values.etcdctl,
    cpuProfDir: values['cpu-prof-dir'] === undefined ? undefined : resolve(values['cpu-prof-dir']),
    targetWarmupMs: numberFlag('target-warmup-s', values['target-warmup-s'], common.quick ? 0 : TARGET_WARMUP_S, 0) * 1000,
    memoryKeys: integerFlag('memory-keys', values['memory-keys'], common.quick ? 0 : 1_000_000, 0),
  };
}

/** The tool's path, or why it cannot be used: a given path must be executable, else it is looked for. */
function findTool(name: ToolName, given: string | undefined): { path: string } | { missing: string } {
  if (given !== undefined) return isExecutable(given) ? { path: given } : { missing: `--${name} ${given} is not an executable file` };
  const path = locateTool(name);
  return path === undefined ? { missing: missingToolReason(name) } : { path };
}

function progress(line: string): void {
  process.stderr.write(`kv: ${line}\n`);
}

/** Put every key once (not measured), so that the get workload finds each one. */
async function fillKeyspace(client: EtcdLoadClient, keys: readonly Buffer[], value: Buffer): Promise<void> {
  let next = 0;
  const worker = async (index: number) => {
    for (let key = next++; key < keys.length; key = next++) {
      for (let attempt = 1; ; attempt++) {
        try {
          await client.put(index, keys[key]!, value);
          break;
        } catch (error) {
          if (attempt >= FILL_ATTEMPTS) throw new Error(`filling the keyspace: put ${keys[key]!.toString()} failed ${attempt} times: ${(error as Error).message}`);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(FILL_WORKERS, keys.length) }, (_, i) => worker(i)));
}

interface CellPlan {
  readonly workload: Workload;
  readonly concurrency: number;
}

async function measureCell(target: KvTarget, client: EtcdLoadClient, plan: CellPlan, keys: readonly Buffer[], value: Buffer, options: KvBenchOptions) {
  const pids = target.pids();
  if (pids.length !== MEMBERS) throw new Error(`${TARGET_LABELS[target.name]}: only ${pids.length} of ${MEMBERS} members are running`);
  let cpuAtOpen: number | null = null;
  let cpuAtClose: number | null = null;
  let peakRssBytes: number | null = null;
  let peakReset = true;
  const pickKey = () => keys[Math.floor(Math.random() * keys.length)]!;
  const load = await runClosedLoop({
    workers: plan.concurrency,
    warmupMs: options.warmupMs,
    durationMs: options.durationMs,
    operation: (worker) => (plan.workload === 'put' ? client.put(worker, pickKey(), value) : client.get(worker, pickKey())),
    onWindowOpen: () => {
      for (const pid of pids) peakReset = resetPeakRss(pid) && peakReset;
      cpuAtOpen = totalCpuSeconds(pids);
    },
    onWindowClose: () => {
      cpuAtClose = totalCpuSeconds(pids);
      peakRssBytes = maxPeakRssBytes(pids);
    },
  });
  const serverCpuSeconds = cpuAtOpen === null || cpuAtClose === null ? null : round2((cpuAtClose as number) - cpuAtOpen);
  const cell: KvCellResult = {
    target: target.name,
    workload: plan.workload,
    concurrency: plan.concurrency,
    connections: client.connections,
    ops: load.ops,
    opsPerS: round2(load.opsPerS),
    errors: load.errors,
    errorKinds: load.errorKinds,
    measuredS: round2(load.measuredS),
    latencyMs: roundedSummary(load.latencyMs),
    serverCpuSeconds,
    cpuSecondsPer1000Ops: serverCpuSeconds === null || load.ops === 0 ? null : Math.round((serverCpuSeconds / load.ops) * 1000 * 10_000) / 10_000,
    peakRssBytes,
  };
  return { cell, peakReset };
}

/** Every workload at every concurrency, then etcdctl check perf, against one running target. */
async function measureTarget(target: KvTarget, options: KvBenchOptions, etcdctl: string | null): Promise<KvTargetRun> {
  const client = new EtcdLoadClient(target.endpoints, options.connections);
  try {
    await client.connect();
    const keys = Array.from({ length: options.keys }, (_, i) => Buffer.from(`/bench/key-${String(i).padStart(8, '0')}`));
    const value = randomBytes(options.valueBytes);
    if (options.targetWarmupMs > 0) {
      progress(`${TARGET_LABELS[target.name]}: warming up (${options.targetWarmupMs / 1000} s of puts, not measured)`);
      await runClosedLoop({
        workers: TARGET_WARMUP_CONCURRENCY,
        warmupMs: 0,
        durationMs: options.targetWarmupMs,
        operation: (worker, seq) => client.put(worker, keys[(worker * 7919 + seq) % keys.length]!, value),
      });
    }
    const cells: KvCellResult[] = [];
    let peakRssPerWindow = true;
    for (const workload of options.workloads) {
      if (workload === 'get') {
        progress(`${TARGET_LABELS[target.name]}: filling ${keys.length} keys`);
        await fillKeyspace(client, keys, value);
      }
      for (const concurrency of options.concurrency) {
        progress(`${TARGET_LABELS[target.name]}: ${workload} at concurrency ${concurrency}`);
        const { cell, peakReset } = await measureCell(target, client, { workload, concurrency }, keys, value, options);
        cells.push(cell);
        peakRssPerWindow &&= peakReset;
      }
    }
    const checkPerf: CheckPerfResult[] = [];
    if (etcdctl !== null) {
      for (const load of options.checkPerf) {
        progress(`${TARGET_LABELS[target.name]}: etcdctl check perf --load=${load} (about a minute)`);
        checkPerf.push(await runCheckPerf(etcdctl, target.endpoints, load));
      }
    }
    let memory: MemoryResult | null = null;
    if (options.memoryKeys > 0) {
      progress(`${TARGET_LABELS[target.name]}: writing ${options.memoryKeys} distinct keys, then reading the members' RSS`);
      memory = await measureMemory(target, client, options.memoryKeys, value);
    }
    return { target: target.name, description: target.description, endpoints: target.endpoints, cells, checkPerf, peakRssPerWindow, memory };
  } finally {
    client.close();
  }
}

/**
 * Write `count` distinct keys in transactions of MEMORY_KEYS_PER_TXN puts (etcd's default
 * limit of operations per transaction), MEMORY_WORKERS at a time, then read each member's
 * resident set size: the "RSS after writing 1 million keys".
 */
async function measureMemory(target: KvTarget, client: EtcdLoadClient, count: number, value: Buffer): Promise<MemoryResult> {
  let next = 0;
  const started = process.hrtime.bigint();
  const worker = async (index: number) => {
    for (let from = next; from < count; from = next) {
      next = Math.min(count, from + MEMORY_KEYS_PER_TXN);
      const keys = Array.from({ length: next - from }, (_, i) => Buffer.from(`${MEMORY_KEY_PREFIX}${String(from + i).padStart(8, '0')}`));
      for (let attempt = 1; ; attempt++) {
        try {
          await client.putMany(index, keys, value);
          break;
        } catch (error) {
          if (attempt >= FILL_ATTEMPTS) throw new Error(`writing keys for the memory figure: a transaction failed ${attempt} times: ${(error as Error).message}`);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: MEMORY_WORKERS }, (_, i) => worker(i)));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const stored = await client.countPrefix(Buffer.from(MEMORY_KEY_PREFIX));
  if (stored !== count) throw new Error(`wrote ${count} keys for the memory figure, but the cluster holds ${stored}`);
  await new Promise((resolve) => setTimeout(resolve, MEMORY_SETTLE_MS));
  const sizes = target.pids().map(rssBytes);
  const rss = sizes.every((size) => size !== null) ? Math.max(...(sizes as number[])) : null;
  return { keys: count, seconds: round2(seconds), keysPerTxn: MEMORY_KEYS_PER_TXN, rssBytes: rss };
}

function balsaVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(repositoryRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '(unknown version)';
  }
}

async function run(options: KvBenchOptions, command: string): Promise<KvBenchResult> {
  const startedAt = new Date().toISOString();
  const machine = describeMachine();
  const skipped: string[] = [];
  const etcd = findTool('etcd', options.etcd);
  const etcdctl = findTool('etcdctl', options.etcdctl);
  let targets = options.targets;
  if (targets.includes('etcd') && 'missing' in etcd) {
    const line = `etcd is missing: ${etcd.missing}; running Balsa alone`;
    console.error(`kv: ${line}`);
    skipped.push(line);
    targets = targets.filter((name) => name !== 'etcd');
  }
  if (options.checkPerf.length > 0 && 'missing' in etcdctl) {
    const line = `etcdctl is missing: ${etcdctl.missing}; etcdctl check perf not run`;
    console.error(`kv: ${line}`);
    skipped.push(line);
  }
  const etcdctlPath = 'path' in etcdctl ? etcdctl.path : null;

  const scratch = await mkdtemp(join(tmpdir(), 'balsa-bench-kv-'));
  const unregister = onInterrupt(async () => {
    await Promise.all([stopOpenKvClusters(), stopOpenRealEtcds('SIGTERM')]);
    await stopTrackedChildren(CHILD_STOP_GRACE_MS);
    await rm(scratch, { recursive: true, force: true });
  });
  const runs: KvTargetRun[] = [];
  try {
    for (const name of targets) {
      progress(`starting ${MEMBERS} ${TARGET_LABELS[name]} members`);
      const target = name === 'balsa' ? await startBalsaTarget(scratch, balsaVersion(), options.cpuProfDir) : await startEtcdTarget((etcd as { path: string }).path, scratch);
      progress(`${TARGET_LABELS[name]} members serving on ${target.endpoints.join(', ')} (pids ${target.pids().join(', ')})`);
      runs.push(await withCleanup(() => target.stop(), () => measureTarget(target, options, etcdctlPath)));
    }
  } finally {
    unregister();
    await rm(scratch, { recursive: true, force: true });
  }
  return {
    benchmark: 'kv',
    startedAt,
    command,
    machine,
    config: {
      members: MEMBERS,
      workloads: options.workloads,
      concurrency: options.concurrency,
      connections: options.connections,
      warmupS: options.warmupMs / 1000,
      durationS: options.durationMs / 1000,
      targetWarmupS: options.targetWarmupMs / 1000,
      keys: options.keys,
      valueBytes: options.valueBytes,
      checkPerfLoads: etcdctlPath === null ? [] : options.checkPerf,
    },
    targets: runs,
    ratios: ratiosOf(runs),
    skipped,
  };
}

async function main(argv: readonly string[]): Promise<number> {
  const options = parseOrExplain(argv, parseCli, USAGE);
  if (options === null) return 2;
  const result = await run(options, commandLine('bench:kv', 'dist/bench/kv.js', argv));
  const stem = resultStem('kv', result.startedAt);
  const machine = machineLine(result.machine);
  const files = [
    writeResultFile(options.resultsDir, stem, 'json', `${JSON.stringify(result, null, 2)}\n`),
    writeResultFile(options.resultsDir, stem, 'md', kvMarkdownReport(result, machine)),
    writeResultFile(options.resultsDir, stem, 'svg', kvChartSvg(result)),
  ];
  console.log(kvTextReport(result, files, machine));
  return result.targets.every((run) => run.cells.every((cell) => cell.ops > 0)) ? 0 : 1;
}

process.exitCode = await unlessInterrupted(() => main(process.argv.slice(2)));
