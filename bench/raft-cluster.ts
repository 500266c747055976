/**
 * `npm run bench:raft -- [--duration-s S] [--concurrency C] [--value-bytes B] [--size N]
 * [--warmup-s W] [--tick-ms MS] [--results-dir DIR]`
 *
 * Commit throughput and latency of a real Raft cluster: N `cluster-node.js` processes
 * (default 3) on loopback, each with synced LevelDB storage and gRPC, no proxies. C
 * concurrent HTTP writers (keep-alive) send `POST /write` to the leader for S seconds,
 * after W seconds of warm-up that are not measured. A write counts once the leader has
 * applied it, i.e. once a majority has it on disk. Prints writes/s, p50/p99/max latency,
 * the machine and the command, and writes the same as JSON to
 * `<results-dir>/raft-cluster-<timestamp>.json` (default `bench/results/`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ClusterClient } from '../raft/testing/cluster-client.js';
import { JsonHttpClient } from '../raft/testing/http-json.js';
import { ProcessCluster } from '../raft/testing/process-cluster.js';

const USAGE =
  'usage: npm run bench:raft -- [--duration-s S] [--concurrency C] [--value-bytes B] [--size N] [--warmup-s W] [--tick-ms MS] [--results-dir DIR]';
/** Deadline of one write; past it the write counts as an error. */
const WRITE_TIMEOUT_MS = 10_000;
const LEADER_TIMEOUT_MS = 30_000;

interface BenchOptions {
  readonly durationS: number;
  readonly concurrency: number;
  readonly valueBytes: number;
  readonly size: number;
  readonly warmupS: number;
  readonly tickMs: number | undefined;
  readonly resultsDir: string;
}

export interface BenchResult {
  readonly benchmark: 'raft-cluster';
  readonly startedAt: string;
  readonly command: string;
  readonly config: BenchOptions & { readonly storage: string; readonly transport: string };
  readonly machine: { readonly cpuModel: string; readonly cores: number; readonly memoryBytes: number; readonly node: string; readonly platform: string };
  readonly measuredS: number;
  readonly writes: number;
  readonly errors: number;
  readonly writesPerS: number;
  readonly latencyMs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number; readonly mean: number };
  readonly leader: number;
  readonly leaderChanges: number;
}

class UsageError extends Error {}

function number(name: string, text: string | undefined, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < min) throw new UsageError(`--${name} must be a number ≥ ${min}, got ${text}`);
  return value;
}

function integer(name: string, text: string | undefined, fallback: number, min: number): number {
  const value = number(name, text, fallback, min);
  if (!Number.isInteger(value)) throw new UsageError(`--${name} must be an integer, got ${text}`);
  return value;
}

function parseCli(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      'duration-s': { type: 'string' },
      concurrency: { type: 'string' },
      'value-bytes': { type: 'string' },
      size: { type: 'string' },
      'warmup-s': { type: 'string' },
      'tick-ms': { type: 'string' },
      'results-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) throw new UsageError('');
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  return {
    durationS: number('duration-s', values['duration-s'], 10, 0.5),
    concurrency: integer('concurrency', values.concurrency, 16, 1),
    valueBytes: integer('value-bytes', values['value-bytes'], 128, 0),
    size: integer('size', values.size, 3, 1),
    warmupS: number('warmup-s', values['warmup-s'], 1, 0),
    tickMs: values['tick-ms'] === undefined ? undefined : integer('tick-ms', values['tick-ms'], 100, 1),
    resultsDir: resolve(values['results-dir'] ?? join(root, 'bench', 'results')),
  };
}

/** The value at quantile `q` of ascending `sorted` (nearest rank). */
function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

const round = (value: number) => Math.round(value * 100) / 100;

interface WriterTally {
  readonly latenciesMs: number[];
  errors: number;
}

/** One writer: writes back to back to the leader until `stopAt`; only writes started after `measureFrom` count. */
async function writer(
  http: JsonHttpClient,
  target: () => string,
  writerIndex: number,
  value: string,
  measureFrom: number,
  stopAt: number,
  onNotLeader: () => void,
): Promise<WriterTally> {
  const tally: WriterTally = { latenciesMs: [], errors: 0 };
  for (let seq = 0; performance.now() < stopAt; seq++) {
    const writeId = `bench-${writerIndex}-${seq}`;
    const began = performance.now();
    let ok = false;
    try {
      const response = await http.request(target(), 'POST', '/write', { key: `k${writerIndex}-${seq % 64}`, value, writeId }, WRITE_TIMEOUT_MS);
      ok = response.status === 200;
      if (response.status === 421 || response.status === 503) onNotLeader();
    } catch {
      onNotLeader();
    }
    if (began < measureFrom) continue;
    if (ok) tally.latenciesMs.push(performance.now() - began);
    else tally.errors++;
  }
  return tally;
}

async function run(options: BenchOptions, command: string): Promise<BenchResult> {
  const startedAt = new Date().toISOString();
  const cluster = await ProcessCluster.start({ size: options.size, proxies: false, ...(options.tickMs === undefined ? {} : { tickMs: options.tickMs }) });
  const stopOnSignal = () => void cluster.dispose().then(() => process.exit(130));
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  const client = new ClusterClient({ endpoints: () => cluster.members(), requestTimeoutMs: WRITE_TIMEOUT_MS });
  const http = new JsonHttpClient({ maxSocketsPerHost: options.concurrency });
  try {
    let leader = (await client.leader(LEADER_TIMEOUT_MS)).id;
    let leaderChanges = 0;
    let finding = false;
    const leaderAddress = () => cluster.member(leader).httpAddress;
    const onNotLeader = () => {
      if (finding) return;
      finding = true;
      void client
        .leader(LEADER_TIMEOUT_MS)
        .then(({ id }) => {
          if (id !== leader) leaderChanges++;
          leader = id;
        })
        .catch(() => undefined)
        .finally(() => (finding = false));
    };
    const value = 'v'.repeat(options.valueBytes);
    const measureFrom = performance.now() + options.warmupS * 1000;
    const stopAt = measureFrom + options.durationS * 1000;
    const tallies = await Promise.all(
      Array.from({ length: options.concurrency }, (_, i) => writer(http, leaderAddress, i, value, measureFrom, stopAt, onNotLeader)),
    );
    const measuredS = (performance.now() - measureFrom) / 1000;
    const latencies = tallies.flatMap((t) => t.latenciesMs).sort((a, b) => a - b);
    const errors = tallies.reduce((sum, t) => sum + t.errors, 0);
    const mean = latencies.length === 0 ? 0 : latencies.reduce((sum, l) => sum + l, 0) / latencies.length;
    const cpu = cpus()[0];
    return {
      benchmark: 'raft-cluster',
      startedAt,
      command,
      config: { ...options, storage: 'LevelStorage (synced)', transport: 'GrpcTransport on 127.0.0.1' },
      machine: { cpuModel: cpu?.model ?? 'unknown', cores: cpus().length, memoryBytes: totalmem(), node: process.version, platform: `${process.platform}-${process.arch}` },
      measuredS: round(measuredS),
      writes: latencies.length,
      errors,
      writesPerS: round(latencies.length / measuredS),
      latencyMs: {
        p50: round(quantile(latencies, 0.5)),
        p90: round(quantile(latencies, 0.9)),
        p99: round(quantile(latencies, 0.99)),
        max: round(latencies[latencies.length - 1] ?? 0),
        mean: round(mean),
      },
      leader,
      leaderChanges,
    };
  } finally {
    http.close();
    client.close();
    process.off('SIGINT', stopOnSignal);
    process.off('SIGTERM', stopOnSignal);
    await cluster.dispose();
  }
}

function report(result: BenchResult, file: string): string {
  const { config, machine, latencyMs } = result;
  return [
    `raft-cluster: ${config.size} processes, ${config.storage}, ${config.transport}`,
    `  ${config.concurrency} writers, ${config.valueBytes}-byte values, ${result.measuredS} s measured after ${config.warmupS} s warm-up`,
    `  throughput  ${result.writesPerS} writes/s (${result.writes} writes, ${result.errors} errors, ${result.leaderChanges} leader changes)`,
    `  latency     p50 ${latencyMs.p50} ms  p90 ${latencyMs.p90} ms  p99 ${latencyMs.p99} ms  max ${latencyMs.max} ms`,
    `  machine     ${machine.cpuModel}, ${machine.cores} cores, node ${machine.node}, ${machine.platform}`,
    `  command     ${result.command}`,
    `  results     ${file}`,
  ].join('\n');
}

async function main(argv: readonly string[]): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseCli(argv);
  } catch (error) {
    if (!(error instanceof UsageError) && !(error instanceof TypeError)) throw error;
    if (error.message !== '') console.error(error.message);
    console.error(USAGE);
    return 2;
  }
  const command = ['node', 'dist/bench/raft-cluster.js', ...argv].join(' ');
  const result = await run(options, command);
  mkdirSync(options.resultsDir, { recursive: true });
  const file = join(options.resultsDir, `raft-cluster-${result.startedAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(report(result, file));
  return result.writes > 0 ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
