/**
 * The Raft benchmark, compiled as `npm run bench:raft` runs it, in short smoke variants:
 * in one process over a 2 × 2 matrix, and as 3 processes for one cell. Each completes,
 * prints its table, and writes a JSON result whose fields are consistent with each other
 * and with the replicated log. No timing is asserted (machines differ).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RaftBenchResult } from '../../bench/raft.js';
import { runBench } from './run-bench.js';

const RUN_TIMEOUT_MS = 120_000;

function readResult(dir: string, prefix: string): RaftBenchResult {
  const files = readdirSync(dir);
  expect(files).toHaveLength(1);
  expect(files[0]).toMatch(new RegExp(`^${prefix}-\\d{4}-\\d\\d-\\d\\dT[\\d-]+Z\\.json$`));
  return JSON.parse(readFileSync(join(dir, files[0]!), 'utf8')) as RaftBenchResult;
}

function expectConsistentCell(cell: RaftBenchResult['cells'][number]): void {
  expect(cell.commits).toBeGreaterThan(0);
  expect(cell.measuredS).toBeGreaterThan(0);
  expect(Math.abs(cell.commitsPerS / (cell.commits / cell.measuredS) - 1)).toBeLessThan(0.01);
  expect(cell.latencyMs.count).toBe(cell.commits);
  const { p50, p99, p999, min, max, mean } = cell.latencyMs;
  expect(min).toBeGreaterThan(0);
  expect(min).toBeLessThanOrEqual(p50);
  expect(p50).toBeLessThanOrEqual(p99);
  expect(p99).toBeLessThanOrEqual(p999);
  expect(p999).toBeLessThanOrEqual(max);
  expect(mean).toBeGreaterThanOrEqual(min);
  expect(mean).toBeLessThanOrEqual(max);
  // Every commit counted is in the log every member applied (plus the cluster's own entries and the warm-up's).
  expect(cell.convergedAtIndex).toBeGreaterThan(cell.commits);
}

describe('bench/raft', () => {
  let resultsDir: string;
  beforeEach(() => {
    resultsDir = mkdtempSync(join(tmpdir(), 'balsa-bench-'));
  });
  afterEach(() => rmSync(resultsDir, { recursive: true, force: true }));

  it('in one process: sweeps proposers × payload sizes and writes a consistent JSON result', async () => {
    const args = ['--proposers', '1,16', '--payload-bytes', '128,1024', '--duration-s', '0.5', '--warmup-s', '0.1', '--results-dir', resultsDir];
    const run = await runBench('raft', args, RUN_TIMEOUT_MS);
    expect({ code: run.code, stdout: run.stdout }).toMatchObject({ code: 0 });
    expect(run.stdout).toMatch(/^raft \(in-process\): 3 members, MemoryStorage, MemoryTransport/m);
    expect(run.stdout).toMatch(/^proposers\s+payload B\s+commits\/s\s+p50 ms\s+p99 ms\s+p999 ms/m);
    expect(run.stdout).toMatch(/^\s+16\s+1024\s+[\d,]+\s+[\d.]+/m);

    const result = readResult(resultsDir, 'raft-in-process');
    expect(result.benchmark).toBe('raft');
    expect(result.mode).toBe('in-process');
    expect(result.command).toBe(`node dist/bench/raft.js ${args.join(' ')}`);
    expect(result.config).toMatchObject({ size: 3, durationS: 0.5, warmupS: 0.1, proposers: [1, 16], payloadBytes: [128, 1024] });
    expect(result.machine.node).toBe(process.version);
    expect(result.machine.cores).toBeGreaterThanOrEqual(1);
    expect(result.cells.map((cell) => [cell.proposers, cell.payloadBytes])).toEqual([
      [1, 128],
      [16, 128],
      [1, 1024],
      [16, 1024],
    ]);
    for (const cell of result.cells) expectConsistentCell(cell);
    // The goal is judged at 256 proposers only.
    expect(result.goal).toBeNull();
  });

  it('says whether the in-process run met the goal at 256 proposers', async () => {
    const args = ['--proposers', '256', '--payload-bytes', '128', '--duration-s', '0.5', '--warmup-s', '0.1', '--results-dir', resultsDir];
    const run = await runBench('raft', args, RUN_TIMEOUT_MS);
    expect(run.code).toBe(0);
    const result = readResult(resultsDir, 'raft-in-process');
    const met = result.cells[0]!.commitsPerS >= 1_000_000;
    expect(result.goal).toEqual({ proposers: 256, commitsPerS: 1_000_000, met: [{ payloadBytes: 128, met }] });
    expect(run.stdout).toContain(`goal: ≥ 1,000,000 commits/s at 256 proposers, 128-byte payloads: ${met ? 'met' : 'not met'}`);
  });

  it('with --processes: runs 3 processes over gRPC and synced LevelDB for one cell', async () => {
    const args = ['--processes', '--proposers', '8', '--payload-bytes', '128', '--duration-s', '2', '--warmup-s', '0.5', '--results-dir', resultsDir];
    const run = await runBench('raft', args, RUN_TIMEOUT_MS);
    expect({ code: run.code, stdout: run.stdout }).toMatchObject({ code: 0 });
    expect(run.stdout).toMatch(/^raft \(processes\): 3 members, LevelStorage \(synced\), GrpcTransport/m);
    const result = readResult(resultsDir, 'raft-processes');
    expect(result.mode).toBe('processes');
    expect(result.config).toMatchObject({ size: 3, durationS: 2, proposers: [8], payloadBytes: [128] });
    expect(result.cells).toHaveLength(1);
    expectConsistentCell(result.cells[0]!);
    expect(result.goal).toBeNull();
  });

  it('rejects bad arguments with usage and exit 2', async () => {
    const run = await runBench('raft', ['--proposers', '16,0'], RUN_TIMEOUT_MS);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--proposers must be a number ≥ 1, got 0/);
    expect(run.stderr).toMatch(/usage: npm run bench:raft/);
  });
});
