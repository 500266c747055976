/**
 * `npm run sim -- --seeds N [--start S] [--steps K] [--nodes 3|5] [--bug NAME] [--verbose]
 * [--workers W]`: runs N seeds of the deterministic simulator on all cores, prints one
 * line per failing seed with the command that replays it, and ends with
 * `sim: N seeds passed` (exit 0) or `sim: seed S failed: <property>` (exit 1). `--nodes`
 * is the number of initial voters; most seeds add one or two spare nodes for membership
 * changes (within NODES_MAX).
 */
import { parseArgs } from 'node:util';
import { DEFAULT_SEEDS, DEFAULT_START_SEED, DEFAULT_STEPS, NODES_MAX } from './constants.js';
import { BUG_NAMES, defaultNodesForSeed, isBugName } from './sim-config.js';
import type { BugName } from './sim-config.js';
import { defaultWorkerCount, runPool } from './sim-pool.js';
import { failureLine, statsLine } from './sim-report.js';
import type { RunSeedResult } from './simulator.js';
import { runSeed } from './simulator.js';
import type { WorkerJob } from './sim-worker.js';

const USAGE = [
  `usage: npm run sim -- [--seeds N] [--start S] [--steps K] [--nodes 3|5] [--bug ${BUG_NAMES.join('|')}] [--verbose] [--workers W]`,
  `  --nodes   initial voters (1..${NODES_MAX}); seeds with membership changes add spare nodes on top`,
  '  --bug     switch on a deliberate core bug the checkers must catch',
  '  --verbose run in this thread and print each seed\'s trace and statistics',
].join('\n');

interface CliOptions {
  readonly seeds: number;
  readonly start: number;
  readonly steps: number;
  readonly nodes: number | undefined;
  readonly bug: BugName | undefined;
  readonly verbose: boolean;
  readonly workers: number;
}

class UsageError extends Error {}

function integer(name: string, text: string | undefined, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got ${text}`);
  return value;
}

function parseCli(argv: readonly string[]): CliOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      seeds: { type: 'string' },
      start: { type: 'string' },
      steps: { type: 'string' },
      nodes: { type: 'string' },
      bug: { type: 'string' },
      verbose: { type: 'boolean', short: 'v' },
      workers: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) throw new UsageError('');
  const nodes = values.nodes === undefined ? undefined : integer('nodes', values.nodes, 3, 1);
  if (nodes !== undefined && nodes > NODES_MAX) throw new UsageError(`--nodes must be at most ${NODES_MAX}`);
  if (values.bug !== undefined && !isBugName(values.bug)) throw new UsageError(`--bug must be one of ${BUG_NAMES.join(', ')}`);
  return {
    seeds: integer('seeds', values.seeds, DEFAULT_SEEDS, 1),
    start: integer('start', values.start, DEFAULT_START_SEED, 0),
    steps: integer('steps', values.steps, DEFAULT_STEPS, 1),
    nodes,
    bug: values.bug as BugName | undefined,
    verbose: values.verbose ?? false,
    workers: integer('workers', values.workers, defaultWorkerCount(), 1),
  };
}

async function main(argv: readonly string[]): Promise<number> {
  let options: CliOptions;
  try {
    options = parseCli(argv);
  } catch (error) {
    if (!(error instanceof UsageError) && !(error instanceof TypeError)) throw error;
    if (error.message) console.error(`sim: ${error.message}`);
    console.error(USAGE);
    return 2;
  }
  const { seeds, start, steps, bug } = options;
  const last = start + seeds - 1;
  const workers = options.verbose ? 1 : Math.min(options.workers, seeds);
  console.log(
    `sim: seeds ${start}..${last} (${seeds}), steps ${steps}, voters ${options.nodes ?? '3|5 alternating'} (+ spares)` +
      `${bug ? `, bug ${bug}` : ''}, workers ${workers}`,
  );
  const jobs: WorkerJob[] = [];
  for (let seed = start; seed <= last; seed++) {
    jobs.push({ seed, nodes: options.nodes ?? defaultNodesForSeed(seed), steps, ...(bug ? { bug } : {}) });
  }
  const failures: RunSeedResult[] = [];
  const onResult = (result: RunSeedResult) => {
    if (options.verbose) console.log(statsLine(result));
    const line = failureLine(result);
    if (line === null) return;
    failures.push(result);
    console.log(line);
  };
  const began = performance.now();
  if (options.verbose) {
    for (const job of jobs) onResult(runSeed({ ...job, trace: (line) => console.log(`  ${line}`) }));
  } else {
    await runPool({ jobs, workers, onResult });
  }
  const seconds = (performance.now() - began) / 1000;
  console.log(`sim: ${seeds} seeds in ${seconds.toFixed(1)} s (${(seeds / seconds).toFixed(1)} seeds/s)`);
  if (failures.length === 0) {
    console.log(`sim: ${seeds} seeds passed`);
    return 0;
  }
  const first = failures[0]!;
  console.log(`sim: seed ${first.seed} failed: ${first.failure!.property}`);
  return 1;
}

process.exitCode = await main(process.argv.slice(2));
