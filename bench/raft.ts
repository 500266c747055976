/**
 * `npm run bench:raft -- [--processes] [--proposers 1,16,256,1024] [--payload-bytes 128,1024]
 * [--duration-s S] [--warmup-s W] [--size N] [--tick-ms MS] [--quick] [--results-dir DIR]`
 *
 * Raft commit throughput and latency over a matrix of concurrent proposers × payload
 * sizes: committed proposals per second and p50/p99/p999 latency per cell.
 *
 * - Default: the consensus hot path in one process (`raft-in-process.ts`): 3 `RaftNode`s
 *   on memory storage and a fault-free memory transport. The goal is at least
 *   1,000,000 commits/s at 256 proposers; the report says whether a run met it.
 * - `--processes`: 3 processes on loopback with gRPC transport and synced LevelDB storage
 *   (`raft-processes.ts`), over the same matrix.
 *
 * Each cell starts a fresh cluster, warms up for W seconds (not measured), measures for S
 * seconds, then checks that every member applied the same log. Prints a table with the
 * machine and the command, and writes it all as JSON to
 * `<results-dir>/raft-<mode>-<timestamp>.json` (default `bench/results/`). `--quick` is a
 * short run (1 s per cell after 0.25 s of warm-up) for smoke tests; explicit flags win.
 * Exit status: 0 when every cell committed something, 1 otherwise, 2 on bad arguments.
 */
import { parseArgs } from 'node:util';
import type { RaftCell, RaftCellResult, RaftRunSettings } from './raft-cell.js';
import { runInProcessCell } from './raft-in-process.js';
import { runProcessesCell } from './raft-processes.js';
import { roundedSummary } from './support/latency-histogram.js';
import { COMMON_FLAGS, commonSettings, integerFlag, integerListFlag, parseOrExplain } from './support/cli-args.js';
import { commandLine, describeMachine, machineLine, resultStem, round2, writeResultFile } from './support/results-file.js';
import type { CommonSettings } from './support/cli-args.js';
import type { MachineDescription } from './support/results-file.js';
import { formatFigure, textTable } from './support/text-table.js';

const USAGE =
  'usage: npm run bench:raft -- [--processes] [--proposers 1,16,256,1024] [--payload-bytes 128,1024] [--duration-s S] [--warmup-s W] ' +
  '[--size N] [--tick-ms MS] [--quick] [--results-dir DIR]';

/** The target for the in-process hot path. */
export const RAFT_GOAL = { proposers: 256, commitsPerS: 1_000_000 } as const;

export type RaftMode = 'in-process' | 'processes';

interface RaftBenchOptions extends RaftRunSettings, CommonSettings {
  readonly mode: RaftMode;
  readonly proposers: readonly number[];
  readonly payloadBytes: readonly number[];
}

export interface RaftBenchResult {
  readonly benchmark: 'raft';
  readonly mode: RaftMode;
  readonly startedAt: string;
  readonly command: string;
  readonly machine: MachineDescription;
  readonly config: {
    readonly size: number;
    readonly warmupS: number;
    readonly durationS: number;
    readonly tickMs: number | null;
    readonly storage: string;
    readonly transport: string;
    readonly proposers: readonly number[];
    readonly payloadBytes: readonly number[];
  };
  readonly cells: readonly RaftCellResult[];
  /** In-process only: the cells at the goal's proposer count, and whether each met it. */
  readonly goal: { readonly proposers: number; readonly commitsPerS: number; readonly met: readonly { readonly payloadBytes: number; readonly met: boolean }[] } | null;
}

function parseCli(argv: readonly string[]): RaftBenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      ...COMMON_FLAGS,
      processes: { type: 'boolean' },
      proposers: { type: 'string' },
      'payload-bytes': { type: 'string' },
      size: { type: 'string' },
      'tick-ms': { type: 'string' },
    },
    strict: true,
  });
  const common = commonSettings(values);
  return {
    ...common,
    mode: values.processes ? 'processes' : 'in-process',
    proposers: integerListFlag('proposers', values.proposers, [1, 16, 256, 1024], 1),
    payloadBytes: integerListFlag('payload-bytes', values['payload-bytes'], [128, 1024], 0),
    size: integerFlag('size', values.size, 3, 1),
    tickMs: values['tick-ms'] === undefined ? undefined : integerFlag('tick-ms', values['tick-ms'], 100, 1),
  };
}

function report(result: RaftBenchResult, file: string): string {
  const { config } = result;
  const headers = ['proposers', 'payload B', 'commits/s', 'p50 ms', 'p99 ms', 'p999 ms', 'max ms', 'errors', 'leader changes'];
  const rows = result.cells.map((cell) => [
    String(cell.proposers),
    String(cell.payloadBytes),
    formatFigure(cell.commitsPerS),
    formatFigure(cell.latencyMs.p50),
    formatFigure(cell.latencyMs.p99),
    formatFigure(cell.latencyMs.p999),
    formatFigure(cell.latencyMs.max),
    String(cell.errors),
    String(cell.leaderChanges),
  ]);
  const lines = [
    `raft (${result.mode}): ${config.size} members, ${config.storage}, ${config.transport}`,
    `  each cell: a fresh cluster, ${config.warmupS} s warm-up, ${config.durationS} s measured`,
    '',
    textTable(headers, rows),
    '',
  ];
  if (result.goal !== null) {
    for (const { payloadBytes, met } of result.goal.met) {
      lines.push(`goal: ≥ ${formatFigure(result.goal.commitsPerS)} commits/s at ${result.goal.proposers} proposers, ${payloadBytes}-byte payloads: ${met ? 'met' : 'not met'}`);
    }
  }
  for (const cell of result.cells) {
    if (cell.errors > 0) lines.push(`errors at ${cell.proposers} proposers, ${cell.payloadBytes} B: ${JSON.stringify(cell.errorKinds)}`);
  }
  lines.push(`machine  ${machineLine(result.machine)}`, `command  ${result.command}`, `results  ${file}`);
  return lines.join('\n');
}

async function run(options: RaftBenchOptions, command: string): Promise<RaftBenchResult> {
  const startedAt = new Date().toISOString();
  const machine = describeMachine();
  const runCell = options.mode === 'in-process' ? runInProcessCell : runProcessesCell;
  const cells: RaftCellResult[] = [];
  for (const payloadBytes of options.payloadBytes) {
    for (const proposers of options.proposers) {
      const cell: RaftCell = { proposers, payloadBytes };
      process.stderr.write(`raft (${options.mode}): ${proposers} proposers, ${payloadBytes}-byte payloads...\n`);
      cells.push(await runCell(cell, options));
    }
  }
  const atGoal = cells.filter((cell) => cell.proposers === RAFT_GOAL.proposers);
  return {
    benchmark: 'raft',
    mode: options.mode,
    startedAt,
    command,
    machine,
    config: {
      size: options.size,
      warmupS: options.warmupMs / 1000,
      durationS: options.durationMs / 1000,
      tickMs: options.tickMs ?? null,
      storage: options.mode === 'in-process' ? 'MemoryStorage' : 'LevelStorage (synced)',
      transport: options.mode === 'in-process' ? 'MemoryTransport (no faults)' : 'GrpcTransport on 127.0.0.1',
      proposers: options.proposers,
      payloadBytes: options.payloadBytes,
    },
    cells: cells.map((cell) => ({
      ...cell,
      commitsPerS: round2(cell.commitsPerS),
      measuredS: round2(cell.measuredS),
      latencyMs: roundedSummary(cell.latencyMs),
    })),
    goal:
      options.mode === 'in-process' && atGoal.length > 0
        ? { ...RAFT_GOAL, met: atGoal.map((cell) => ({ payloadBytes: cell.payloadBytes, met: cell.commitsPerS >= RAFT_GOAL.commitsPerS })) }
        : null,
  };
}

async function main(argv: readonly string[]): Promise<number> {
  const options = parseOrExplain(argv, parseCli, USAGE);
  if (options === null) return 2;
  const result = await run(options, commandLine('bench:raft', 'dist/bench/raft.js', argv));
  const file = writeResultFile(options.resultsDir, resultStem(`raft-${result.mode}`, result.startedAt), 'json', `${JSON.stringify(result, null, 2)}\n`);
  console.log(report(result, file));
  return result.cells.every((cell) => cell.commits > 0) ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
