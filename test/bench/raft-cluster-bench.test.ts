/**
 * The Raft cluster benchmark, compiled as `npm run bench:raft` runs it, for 3 s with 8
 * writers: it completes, prints its summary, and writes a JSON result whose fields are
 * consistent with each other. No timing is asserted (machines differ).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchResult } from '../../bench/raft-cluster.js';

const ROOT = process.cwd();
// Jest's global setup has built dist/.
const BENCH = join(ROOT, 'dist/bench/raft-cluster.js');
const RUN_TIMEOUT_MS = 90_000;

function runBench(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BENCH, ...args], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // SIGTERM lets the benchmark dispose of its cluster; its members also exit when its pipes close.
    const timer = setTimeout(() => child.kill('SIGTERM'), RUN_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('bench/raft-cluster', () => {
  let resultsDir: string;
  beforeEach(() => {
    resultsDir = mkdtempSync(join(tmpdir(), 'balsa-bench-'));
  });
  afterEach(() => rmSync(resultsDir, { recursive: true, force: true }));

  it('runs a 3-process cluster for 3 s with 8 writers and writes a consistent JSON result', async () => {
    const args = ['--duration-s', '3', '--concurrency', '8', '--warmup-s', '0.5', '--results-dir', resultsDir];
    const run = await runBench(args);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/throughput\s+[\d.]+ writes\/s/);
    expect(run.stdout).toMatch(/latency\s+p50 [\d.]+ ms {2}p90 [\d.]+ ms {2}p99 [\d.]+ ms {2}max [\d.]+ ms/);

    const files = readdirSync(resultsDir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^raft-cluster-\d{4}-\d\d-\d\dT[\d-]+Z\.json$/);
    const result = JSON.parse(readFileSync(join(resultsDir, files[0]!), 'utf8')) as BenchResult;
    expect(result.benchmark).toBe('raft-cluster');
    expect(result.command).toBe(`node dist/bench/raft-cluster.js ${args.join(' ')}`);
    expect(result.config).toMatchObject({ size: 3, concurrency: 8, durationS: 3, warmupS: 0.5, valueBytes: 128 });
    expect(result.machine.node).toBe(process.version);
    expect(result.machine.cores).toBeGreaterThanOrEqual(1);
    expect(result.machine.cpuModel).not.toBe('');
    expect(result.measuredS).toBeGreaterThanOrEqual(3);
    expect(result.writes).toBeGreaterThan(0);
    expect(Math.abs(result.writesPerS / (result.writes / result.measuredS) - 1)).toBeLessThan(0.01);
    const { p50, p90, p99, max, mean } = result.latencyMs;
    expect(p50).toBeGreaterThan(0);
    expect(p50).toBeLessThanOrEqual(p90);
    expect(p90).toBeLessThanOrEqual(p99);
    expect(p99).toBeLessThanOrEqual(max);
    expect(mean).toBeLessThanOrEqual(max);
    expect([1, 2, 3]).toContain(result.leader);
  });

  it('rejects bad arguments with usage and exit 2', async () => {
    const run = await runBench(['--concurrency', '0']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--concurrency must be/);
    expect(run.stderr).toMatch(/usage: npm run bench:raft/);
  });
});
