/**
 * `npm run bench:mvcc-compaction -- [--keys N] [--versions V] [--value-bytes B]
 * [--modes blocking,background] [--quick] [--results-dir DIR]`
 *
 * What one compaction of a large MVCC store costs the writes applied around it, in one
 * process (no Raft, no network: the store as the state machine applies to it). The store
 * is filled with N distinct random keys × V versions each, then compacted at the current
 * revision (every version but the newest of each key goes), while a writer keeps putting
 * one key per event-loop turn, as applied entries arrive. Per mode:
 *
 * - `blocking`: the cleanup runs to its end inside the compaction's turn, as every
 *   compaction did before it became incremental (the same walk over every key).
 * - `background`: the compaction is logical at once; the cleanup runs in bounded batches
 *   (`COMPACTION_BATCH_KEYS`), one per event-loop turn, between the writes.
 *
 * Figures per mode: the fill's time and heap per key, the time inside `compact()`, how
 * long the cleanup took to finish, the longest event-loop stall (gap between two turns of
 * a 1 ms timer) and the writer's latency (from queueing a put to its completion) while the
 * cleanup ran, and the longest single cleanup step (the store's own share of a stall;
 * the rest is the garbage collector, whose pauses grow with the heap). Writes `<results-dir>/mvcc-compaction-<timestamp>.json`. Run with
 * `--expose-gc` (the npm script does) for heap figures; without it they are omitted.
 * `--quick`: 20,000 keys × 3 versions, for smoke tests. Exit status 0, 2 on bad arguments.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { MvccStore, nextTurnScheduler } from '../kv/mvcc/index.js';
import type { CleanupScheduler } from '../kv/mvcc/index.js';
import { COMMON_FLAGS, UsageError, choiceListFlag, commonSettings, integerFlag, parseOrExplain } from './support/cli-args.js';
import { LatencyHistogram, roundedSummary } from './support/latency-histogram.js';
import type { LatencySummary } from './support/latency-histogram.js';
import { commandLine, describeMachine, machineLine, resultStem, round2, writeResultFile } from './support/results-file.js';
import type { MachineDescription } from './support/results-file.js';

const USAGE = 'usage: npm run bench:mvcc-compaction -- [--keys N] [--versions V] [--value-bytes B] [--modes blocking,background] [--quick] [--results-dir DIR]';

export const COMPACTION_MODES = ['blocking', 'background'] as const;
export type CompactionMode = (typeof COMPACTION_MODES)[number];

/** The stall probe's period: a gap between its turns well above this is a stall. */
const PROBE_PERIOD_MS = 1;
/** After the cleanup ends, the writer and the probe go on this long (the tail is measured too). */
const TAIL_MS = 100;

export interface CompactionModeResult {
  readonly mode: CompactionMode;
  readonly fillMs: number;
  /** Heap growth over the fill divided by the keys (null without --expose-gc). */
  readonly heapBytesPerKey: number | null;
  readonly heapAfterFillMiB: number | null;
  readonly heapAfterCleanupMiB: number | null;
  /** Time spent inside `store.compact()` (in blocking mode, with the whole cleanup). */
  readonly compactCallMs: number;
  /** From the compaction to the end of its cleanup. */
  readonly cleanupMs: number;
  /** The longest gap between two turns of the 1 ms probe while the cleanup ran. */
  readonly longestStallMs: number;
  /** The longest single cleanup step (in blocking mode, the whole cleanup): the store's own share of the stall. */
  readonly longestCleanupStepMs: number;
  readonly writeLatencyMs: LatencySummary;
  readonly sizeBytesAfter: number;
  readonly physicalSizeBytesAfter: number;
}

export interface CompactionBenchResult {
  readonly benchmark: 'mvcc-compaction';
  readonly startedAt: string;
  readonly command: string;
  readonly machine: MachineDescription;
  readonly keys: number;
  readonly versions: number;
  readonly valueBytes: number;
  readonly modes: readonly CompactionModeResult[];
}

interface Settings {
  readonly keys: number;
  readonly versions: number;
  readonly valueBytes: number;
  readonly modes: readonly CompactionMode[];
  readonly resultsDir: string;
}

function parse(argv: readonly string[]): Settings {
  const { values } = parseArgs({
    args: [...argv],
    options: { ...COMMON_FLAGS, keys: { type: 'string' }, versions: { type: 'string' }, 'value-bytes': { type: 'string' }, modes: { type: 'string' } },
    strict: true,
  });
  const common = commonSettings(values);
  return {
    keys: integerFlag('keys', values.keys, common.quick ? 20_000 : 1_000_000, 1),
    versions: integerFlag('versions', values.versions, 3, 1),
    valueBytes: integerFlag('value-bytes', values['value-bytes'], 16, 0),
    modes: choiceListFlag('modes', values.modes, COMPACTION_MODES, COMPACTION_MODES),
    resultsDir: common.resultsDir,
  };
}

const collect = (globalThis as { gc?: () => void }).gc;

function heapBytes(): number | null {
  if (collect === undefined) return null;
  collect();
  return process.memoryUsage().heapUsed;
}

const mib = (bytes: number | null): number | null => (bytes === null ? null : round2(bytes / 2 ** 20));

/** A scheduler that holds steps until `drain` runs them all (blocking mode). */
function heldScheduler(): { schedule: CleanupScheduler; drain: () => void } {
  const queue: (() => void)[] = [];
  return {
    schedule: (step) => queue.push(step),
    drain: () => {
      while (queue.length > 0) queue.shift()!();
    },
  };
}

/** The store's default scheduler, timing each step. */
function timedScheduler(): { schedule: CleanupScheduler; longestStepMs: () => number } {
  let longest = 0;
  return {
    schedule: (step) =>
      nextTurnScheduler(() => {
        const start = performance.now();
        step();
        longest = Math.max(longest, performance.now() - start);
      }),
    longestStepMs: () => longest,
  };
}

async function runMode(mode: CompactionMode, settings: Settings): Promise<CompactionModeResult> {
  const held = heldScheduler();
  const timed = timedScheduler();
  const store = new MvccStore({ cleanupScheduler: mode === 'blocking' ? held.schedule : timed.schedule });
  const heapBefore = heapBytes();
  const keys = Array.from({ length: settings.keys }, () => randomBytes(12).toString('hex'));
  const encoder = new TextEncoder();
  const value = new Uint8Array(settings.valueBytes);
  const fillStart = performance.now();
  for (let version = 0; version < settings.versions; version++) {
    for (const key of keys) store.put({ key: encoder.encode(key), value });
  }
  const fillMs = performance.now() - fillStart;
  keys.length = 0;
  const heapAfterFill = heapBytes();

  // The probe and the writer run from just before the compaction to TAIL_MS after its cleanup.
  let longestStallMs = 0;
  let running = true;
  let lastProbe = performance.now();
  const probe = setInterval(() => {
    const now = performance.now();
    longestStallMs = Math.max(longestStallMs, now - lastProbe);
    lastProbe = now;
  }, PROBE_PERIOD_MS);
  const latency = new LatencyHistogram();
  let written = 0;
  const write = (): void => {
    if (!running) return;
    const queuedAt = performance.now();
    setImmediate(() => {
      store.put({ key: encoder.encode(`writer/${written++ % 1000}`), value });
      latency.record(performance.now() - queuedAt);
      write();
    });
  };
  write();
  await new Promise((resolve) => setTimeout(resolve, 20));
  lastProbe = performance.now();

  const compactStart = performance.now();
  store.compact(store.revision);
  if (mode === 'blocking') held.drain();
  const compactCallMs = performance.now() - compactStart;
  while (store.cleaningUp()) await new Promise((resolve) => setImmediate(resolve));
  const cleanupMs = performance.now() - compactStart;
  await new Promise((resolve) => setTimeout(resolve, TAIL_MS));
  running = false;
  clearInterval(probe);
  return {
    mode,
    fillMs: round2(fillMs),
    heapBytesPerKey: heapBefore === null || heapAfterFill === null ? null : Math.round((heapAfterFill - heapBefore) / settings.keys),
    heapAfterFillMiB: mib(heapAfterFill),
    heapAfterCleanupMiB: mib(heapBytes()),
    compactCallMs: round2(compactCallMs),
    cleanupMs: round2(cleanupMs),
    longestStallMs: round2(longestStallMs),
    longestCleanupStepMs: round2(mode === 'blocking' ? compactCallMs : timed.longestStepMs()),
    writeLatencyMs: roundedSummary(latency.summary()),
    sizeBytesAfter: store.sizeBytes(),
    physicalSizeBytesAfter: store.physicalSizeBytes(),
  };
}

function report(result: CompactionBenchResult): string {
  const lines = [
    `mvcc compaction: ${result.keys} keys × ${result.versions} versions, ${result.valueBytes}-byte values`,
    `machine: ${machineLine(result.machine)}`,
  ];
  for (const m of result.modes) {
    lines.push(
      `${m.mode.padEnd(10)} fill ${m.fillMs} ms (${m.heapBytesPerKey ?? '?'} heap B/key); compact() ${m.compactCallMs} ms; cleanup done in ${m.cleanupMs} ms; ` +
        `longest stall ${m.longestStallMs} ms (longest cleanup step ${m.longestCleanupStepMs} ms); writes during cleanup: ${m.writeLatencyMs.count}, p50 ${m.writeLatencyMs.p50} p99 ${m.writeLatencyMs.p99} max ${m.writeLatencyMs.max} ms`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const settings = parseOrExplain(argv, parse, USAGE);
  if (settings === null) return 2;
  const startedAt = new Date().toISOString();
  const machine = describeMachine();
  const modes: CompactionModeResult[] = [];
  for (const mode of settings.modes) modes.push(await runMode(mode, settings));
  const result: CompactionBenchResult = {
    benchmark: 'mvcc-compaction',
    startedAt,
    command: commandLine('bench:mvcc-compaction', 'dist/bench/mvcc-compaction.js', argv),
    machine,
    keys: settings.keys,
    versions: settings.versions,
    valueBytes: settings.valueBytes,
    modes,
  };
  console.log(report(result));
  const file = writeResultFile(settings.resultsDir, resultStem('mvcc-compaction', startedAt), 'json', `${JSON.stringify(result, null, 2)}\n`);
  console.log(`wrote ${file}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) {
      console.error(error.message || USAGE);
      process.exit(2);
    }
    console.error(error);
    process.exit(1);
  },
);
