/**
 * What `bench/kv.ts` measured, and how it is shown: the result's shape (written as JSON),
 * the Balsa/etcd ratio of every figure, the tables (terminal and Markdown, for the
 * README), and the throughput-versus-concurrency chart (SVG).
 */
import type { CheckPerfResult } from './etcdctl-check-perf.js';
import type { TargetName } from './kv-targets.js';
import { TARGET_LABELS } from './kv-targets.js';
import type { LatencySummary } from './support/latency-histogram.js';
import type { MachineDescription } from './support/results-file.js';
import { lineChartSvg } from './support/svg-chart.js';
import { formatFigure, markdownTable, textTable } from './support/text-table.js';

export type Workload = 'put' | 'get';

export const WORKLOADS: readonly Workload[] = ['put', 'get'];

export interface KvCellResult {
  readonly target: TargetName;
  readonly workload: Workload;
  readonly concurrency: number;
  /** Channels the requests were spread over (at most `concurrency` of them carried any). */
  readonly connections: number;
  readonly ops: number;
  readonly opsPerS: number;
  readonly errors: number;
  readonly errorKinds: Readonly<Record<string, number>>;
  readonly measuredS: number;
  readonly latencyMs: LatencySummary;
  /** CPU seconds (user + system) all members used in the window; null off Linux. */
  readonly serverCpuSeconds: number | null;
  readonly cpuSecondsPer1000Ops: number | null;
  /** The largest member's peak RSS in the window (since start if the peak could not be reset). */
  readonly peakRssBytes: number | null;
}

export interface KvTargetRun {
  readonly target: TargetName;
  readonly description: string;
  readonly endpoints: readonly string[];
  readonly cells: readonly KvCellResult[];
  readonly checkPerf: readonly CheckPerfResult[];
  /** Whether each window's peak RSS was its own (the kernel let the peak be reset). */
  readonly peakRssPerWindow: boolean;
  /** Memory after writing `--memory-keys` distinct keys (null when not measured). */
  readonly memory: MemoryResult | null;
}

/** What writing many distinct keys left in the members' memory. */
export interface MemoryResult {
  /** Distinct keys written (on top of the cells' keyspace), each with a `valueBytes` value. */
  readonly keys: number;
  /** How long the writing took (transactions of `keysPerTxn` puts, 16 at a time). */
  readonly seconds: number;
  readonly keysPerTxn: number;
  /** The largest member's resident set size once written (VmRSS), null off Linux. */
  readonly rssBytes: number | null;
}

/** Balsa's figure over etcd's, per cell both measured (null where either is missing or 0). */
export interface KvRatio {
  readonly workload: Workload;
  readonly concurrency: number;
  readonly opsPerS: number | null;
  readonly p50: number | null;
  readonly p99: number | null;
  readonly p999: number | null;
  readonly cpuSecondsPer1000Ops: number | null;
  readonly peakRssBytes: number | null;
}

export interface KvBenchResult {
  readonly benchmark: 'kv';
  readonly startedAt: string;
  readonly command: string;
  readonly machine: MachineDescription;
  readonly config: {
    readonly members: number;
    readonly workloads: readonly Workload[];
    readonly concurrency: readonly number[];
    readonly connections: number;
    readonly warmupS: number;
    readonly durationS: number;
    /** Unmeasured puts against each cluster before its first cell. */
    readonly targetWarmupS: number;
    readonly keys: number;
    readonly valueBytes: number;
    readonly checkPerfLoads: readonly string[];
  };
  readonly targets: readonly KvTargetRun[];
  readonly ratios: readonly KvRatio[];
  /** What was left out and why (a tool missing). */
  readonly skipped: readonly string[];
}

function ratio(balsa: number | null, etcd: number | null): number | null {
  if (balsa === null || etcd === null || etcd === 0) return null;
  return Math.round((balsa / etcd) * 1000) / 1000;
}

/** The Balsa/etcd ratio of every figure of every cell both targets measured. */
export function ratiosOf(targets: readonly KvTargetRun[]): KvRatio[] {
  const balsa = targets.find((t) => t.target === 'balsa');
  const etcd = targets.find((t) => t.target === 'etcd');
  if (balsa === undefined || etcd === undefined) return [];
  return balsa.cells.flatMap((b) => {
    const e = etcd.cells.find((cell) => cell.workload === b.workload && cell.concurrency === b.concurrency);
    if (e === undefined) return [];
    return [
      {
        workload: b.workload,
        concurrency: b.concurrency,
        opsPerS: ratio(b.opsPerS, e.opsPerS),
        p50: ratio(b.latencyMs.p50, e.latencyMs.p50),
        p99: ratio(b.latencyMs.p99, e.latencyMs.p99),
        p999: ratio(b.latencyMs.p999, e.latencyMs.p999),
        cpuSecondsPer1000Ops: ratio(b.cpuSecondsPer1000Ops, e.cpuSecondsPer1000Ops),
        peakRssBytes: ratio(b.peakRssBytes, e.peakRssBytes),
      },
    ];
  });
}

const CELL_HEADERS = ['workload', 'concurrency', 'system', 'ops/s', 'p50 ms', 'p99 ms', 'p999 ms', 'CPU s/1k ops', 'peak RSS MiB', 'errors'];

const times = (value: number | null) => (value === null ? '–' : `${formatFigure(value)}×`);
const mib = (bytes: number | null) => (bytes === null ? null : bytes / 2 ** 20);

/** One row per target per cell, then a `Balsa/etcd` row of ratios where both ran it. */
function cellRows(result: KvBenchResult): string[][] {
  const rows: string[][] = [];
  for (const workload of result.config.workloads) {
    for (const concurrency of result.config.concurrency) {
      for (const run of result.targets) {
        const cell = run.cells.find((c) => c.workload === workload && c.concurrency === concurrency);
        if (cell === undefined) continue;
        rows.push([
          workload,
          String(concurrency),
          TARGET_LABELS[run.target],
          formatFigure(cell.opsPerS),
          formatFigure(cell.latencyMs.p50),
          formatFigure(cell.latencyMs.p99),
          formatFigure(cell.latencyMs.p999),
          formatFigure(cell.cpuSecondsPer1000Ops),
          formatFigure(mib(cell.peakRssBytes)),
          String(cell.errors),
        ]);
      }
      const r = result.ratios.find((x) => x.workload === workload && x.concurrency === concurrency);
      if (r !== undefined) {
        rows.push([workload, String(concurrency), 'Balsa/etcd', times(r.opsPerS), times(r.p50), times(r.p99), times(r.p999), times(r.cpuSecondsPer1000Ops), times(r.peakRssBytes), '']);
      }
    }
  }
  return rows;
}

const CHECK_HEADERS = ['load', 'system', 'result', 'writes/s', 'slowest s', 'stddev s'];

function checkRows(result: KvBenchResult): string[][] {
  return result.targets.flatMap((run) =>
    run.checkPerf.map((check) => [
      check.load,
      TARGET_LABELS[run.target],
      check.passed ? 'PASS' : check.timedOut ? 'FAIL (timed out)' : check.verdict === null ? 'FAIL (no verdict)' : 'FAIL',
      formatFigure(check.throughputWritesPerS),
      formatFigure(check.slowestRequestS),
      formatFigure(check.stddevS),
    ]),
  );
}

const MEMORY_HEADERS = ['system', 'keys', 'keys/s', 'largest member RSS MiB'];

function memoryRows(result: KvBenchResult): string[][] {
  const rows = result.targets.flatMap((run) =>
    run.memory === null
      ? []
      : [[TARGET_LABELS[run.target], formatFigure(run.memory.keys), formatFigure(run.memory.keys / run.memory.seconds), formatFigure(mib(run.memory.rssBytes))]],
  );
  const [balsa, etcd] = (['balsa', 'etcd'] as const).map((name) => result.targets.find((run) => run.target === name)?.memory ?? null);
  if (balsa?.rssBytes && etcd?.rssBytes) rows.push(['Balsa/etcd', '', times(balsa.keys / balsa.seconds / (etcd.keys / etcd.seconds)), times(balsa.rssBytes / etcd.rssBytes)]);
  return rows;
}

function setupLines(result: KvBenchResult): string[] {
  const { config } = result;
  return [
    `${config.members}-member clusters on 127.0.0.1: ${result.targets.map((t) => t.description).join(', ')}`,
    `${config.connections} connections, ${config.valueBytes}-byte values over ${config.keys} keys, ${config.warmupS} s warm-up + ${config.durationS} s measured per cell after ${config.targetWarmupS} s of puts per cluster; get = linearizable range of one key`,
    ...result.skipped.map((line) => `skipped: ${line}`),
  ];
}

/** The terminal report. */
export function kvTextReport(result: KvBenchResult, files: readonly string[], machineLine: string): string {
  const lines = [`kv: ${setupLines(result).join('\n    ')}`, '', textTable(CELL_HEADERS, cellRows(result)), ''];
  const checks = checkRows(result);
  if (checks.length > 0) lines.push('etcdctl check perf', textTable(CHECK_HEADERS, checks), '');
  const memory = memoryRows(result);
  if (memory.length > 0) lines.push('memory after writing distinct keys', textTable(MEMORY_HEADERS, memory), '');
  for (const run of result.targets) {
    for (const cell of run.cells) {
      if (cell.errors > 0) lines.push(`errors, ${TARGET_LABELS[run.target]} ${cell.workload} at ${cell.concurrency}: ${JSON.stringify(cell.errorKinds)}`);
    }
    for (const check of run.checkPerf) {
      if (!check.passed) lines.push(`check perf --load=${check.load} on ${TARGET_LABELS[run.target]}: ${check.lines.slice(-6).join(' | ')}`);
    }
  }
  lines.push(`machine  ${machineLine}`, `command  ${result.command}`, ...files.map((file) => `written  ${file}`));
  return lines.join('\n');
}

/** The same as Markdown, for bench/README.md. */
export function kvMarkdownReport(result: KvBenchResult, machineLine: string): string {
  const lines = [
    `Run ${result.startedAt} on ${machineLine}.`,
    '',
    `Command: \`${result.command}\``,
    '',
    ...setupLines(result).map((line) => `- ${line}`),
    '',
    markdownTable(CELL_HEADERS, cellRows(result)),
    '',
  ];
  const checks = checkRows(result);
  if (checks.length > 0) lines.push('`etcdctl check perf`:', '', markdownTable(CHECK_HEADERS, checks), '');
  const memory = memoryRows(result);
  if (memory.length > 0) lines.push('Memory after writing distinct keys:', '', markdownTable(MEMORY_HEADERS, memory), '');
  return lines.join('\n');
}

/** Throughput versus concurrency, one panel per workload, one series per system. */
export function kvChartSvg(result: KvBenchResult): string {
  const panels = result.config.workloads.map((workload) => ({
    title: workload === 'put' ? 'put' : 'linearizable get',
    series: result.targets.map((run) => ({
      name: TARGET_LABELS[run.target],
      points: run.cells.filter((cell) => cell.workload === workload).map((cell) => ({ x: cell.concurrency, y: cell.opsPerS })),
    })),
  }));
  return lineChartSvg(panels, {
    title: `KV throughput, ${result.config.members} members, ${result.config.valueBytes}-byte values (${result.startedAt.slice(0, 10)})`,
    xLabel: 'concurrent requests (log scale)',
    yLabel: 'ops/s',
  });
}
