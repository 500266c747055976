/**
 * The KV benchmark, compiled as `npm run bench:kv` runs it, in short smoke variants: a
 * 2 × 2 matrix against a 3-member Balsa cluster and a 3-member etcd (etcdctl check perf
 * is left out: it takes a minute a load; `etcdctl-check-perf.test.ts` proves its reading),
 * a run where etcd and etcdctl are missing (Balsa alone, said clearly), an interrupt in
 * the middle of a run (every member stopped, nothing left on disk) and bad arguments. It
 * asserts that the runs complete and produce consistent results, never their speed.
 *
 * Needs etcd and etcdctl (Debian's etcd-server and etcd-client): in CI a missing one fails
 * the suite; elsewhere it is skipped with the reason.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KvBenchResult } from '../../bench/kv-report.js';
import { describeWithTools, etcdTools } from '../support/etcd-tools.js';
import { isRunning, runBench, useBenchDirs } from './run-bench.js';

const RUN_TIMEOUT_MS = 150_000;
const SCRATCH_PREFIX = 'balsa-bench-kv-';

/** The benchmark's scratch directories in the OS temp dir right now. */


function readResult(dir: string): { result: KvBenchResult; files: string[] } {
  const files = readdirSync(dir).sort();
  const json = files.find((file) => file.endsWith('.json'));
  expect(json).toMatch(/^kv-\d{4}-\d\d-\d\dT[\d-]+Z\.json$/);
  return { result: JSON.parse(readFileSync(join(dir, json!), 'utf8')) as KvBenchResult, files };
}

describeWithTools(etcdTools(), 'bench/kv', () => {
  const dirs = useBenchDirs(SCRATCH_PREFIX);

  it('runs put and linearizable get against Balsa and etcd and writes JSON, a Markdown table and an SVG chart', async () => {
    const args = [
      '--quick', '--concurrency', '1,16', '--connections', '4', '--keys', '200', '--duration-s', '0.5', '--warmup-s', '0.1',
      '--target-warmup-s', '0.2', '--memory-keys', '300', '--results-dir', dirs.resultsDir(),
    ];
    const run = await runBench('kv', args, RUN_TIMEOUT_MS);
    expect({ code: run.code, stdout: run.stdout }).toMatchObject({ code: 0 });
    expect(run.stdout).toMatch(/^kv: 3-member clusters on 127\.0\.0\.1: Balsa KV [\d.]+, etcd 3\.\d+\.\d+$/m);
    expect(run.stdout).toMatch(/^workload\s+concurrency\s+system\s+ops\/s\s+p50 ms\s+p99 ms\s+p999 ms\s+CPU s\/1k ops\s+peak RSS MiB\s+errors$/m);
    expect(run.stdout).toMatch(/^get\s+16\s+Balsa\/etcd\s+[\d.]+×/m);
    expect(run.stdout).not.toContain('check perf');
    expect(run.stdout).toMatch(/^Balsa\/etcd\s+[\d.]+×\s+[\d.]+×$/m);

    const { result, files } = readResult(dirs.resultsDir());
    // JSON, Markdown and SVG, with one stem.
    const stem = files[0]!.replace(/\.\w+$/, '');
    expect(files).toEqual([`${stem}.json`, `${stem}.md`, `${stem}.svg`]);
    expect(result.command).toBe(`node dist/bench/kv.js ${args.join(' ')}`);
    expect(result.config).toMatchObject({
      members: 3, workloads: ['put', 'get'], concurrency: [1, 16], connections: 4, keys: 200, valueBytes: 256, checkPerfLoads: [], targetWarmupS: 0.2,
    });
    expect(result.skipped).toEqual([]);
    expect(result.targets.map((target) => target.target)).toEqual(['balsa', 'etcd']);
    for (const target of result.targets) {
      expect(target.endpoints).toHaveLength(3);
      expect(target.checkPerf).toEqual([]);
      // 300 distinct keys in transactions of 128, then the largest member's RSS.
      expect(target.memory).toMatchObject({ keys: 300, keysPerTxn: 128 });
      expect(target.memory!.seconds).toBeGreaterThan(0);
      expect(target.memory!.rssBytes).toBeGreaterThan(1024 * 1024);
      expect(target.cells.map((cell) => [cell.workload, cell.concurrency])).toEqual([
        ['put', 1],
        ['put', 16],
        ['get', 1],
        ['get', 16],
      ]);
      for (const cell of target.cells) {
        // Every get found its key (a missing one is an error), every put was taken.
        expect({ errors: cell.errors, kinds: cell.errorKinds }).toEqual({ errors: 0, kinds: {} });
        expect(cell.ops).toBeGreaterThan(0);
        expect(cell.latencyMs.count).toBe(cell.ops);
        expect(cell.latencyMs.p50).toBeLessThanOrEqual(cell.latencyMs.p99);
        expect(cell.latencyMs.p99).toBeLessThanOrEqual(cell.latencyMs.p999);
        expect(cell.latencyMs.p999).toBeLessThanOrEqual(cell.latencyMs.max);
        expect(Math.abs(cell.opsPerS / (cell.ops / cell.measuredS) - 1)).toBeLessThan(0.02);
        expect(cell.serverCpuSeconds).toBeGreaterThanOrEqual(0);
        expect(cell.cpuSecondsPer1000Ops).toBeCloseTo((cell.serverCpuSeconds! / cell.ops) * 1000, 3);
        expect(cell.peakRssBytes).toBeGreaterThan(1024 * 1024);
      }
    }
    expect(result.ratios).toHaveLength(4);
    const [balsa, etcd] = result.targets;
    const ratio = result.ratios.find((r) => r.workload === 'put' && r.concurrency === 16)!;
    const put16 = (target: typeof balsa) => target!.cells.find((cell) => cell.workload === 'put' && cell.concurrency === 16)!;
    expect(ratio.opsPerS).toBeCloseTo(put16(balsa).opsPerS / put16(etcd).opsPerS, 2);
    expect(ratio.p99).toBeCloseTo(put16(balsa).latencyMs.p99 / put16(etcd).latencyMs.p99, 2);

    const svg = readFileSync(join(dirs.resultsDir(), `${stem}.svg`), 'utf8');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg.match(/<polyline /g)).toHaveLength(4);
    expect(svg).toContain('>linearizable get</text>');
    const markdown = readFileSync(join(dirs.resultsDir(), `${stem}.md`), 'utf8');
    expect(markdown).toContain(`Command: \`${result.command}\``);
    expect(markdown).toMatch(/^\| put \| 1 \| Balsa\/etcd \| [\d.]+× \|/m);
  });

  it('says clearly when etcd and etcdctl are missing and runs Balsa alone', async () => {
    const args = ['--quick', '--etcd', '/nonexistent/etcd', '--etcdctl', '/nonexistent/etcdctl', '--check-perf', 's', '--concurrency', '4', '--workloads', 'put', '--duration-s', '0.3', '--warmup-s', '0', '--results-dir', dirs.resultsDir()];
    const run = await runBench('kv', args, RUN_TIMEOUT_MS);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('kv: etcd is missing: --etcd /nonexistent/etcd is not an executable file; running Balsa alone');
    expect(run.stderr).toContain('kv: etcdctl is missing: --etcdctl /nonexistent/etcdctl is not an executable file; etcdctl check perf not run');
    expect(run.stdout).toContain('skipped: etcd is missing');
    const { result } = readResult(dirs.resultsDir());
    expect(result.targets.map((target) => target.target)).toEqual(['balsa']);
    expect(result.targets[0]!.cells).toHaveLength(1);
    expect(result.targets[0]!.cells[0]!.ops).toBeGreaterThan(0);
    expect(result.ratios).toEqual([]);
    expect(result.config.checkPerfLoads).toEqual([]);
    expect(result.skipped).toHaveLength(2);
  });

  it('on SIGINT stops every member it started and removes its data, then exits 130', async () => {
    const child = spawn(process.execPath, ['dist/bench/kv.js', '--targets', 'balsa', '--concurrency', '4', '--duration-s', '60', '--results-dir', dirs.resultsDir()], { cwd: process.cwd() });
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const pids = await new Promise<number[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the benchmark did not start its load:\n${stderr}`)), RUN_TIMEOUT_MS);
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const started = /\(pids ([\d, ]+)\)[\s\S]*put at concurrency 4/.exec(stderr);
        if (started !== null) {
          clearTimeout(timer);
          resolve(started[1]!.split(', ').map(Number));
        }
      });
    });
    expect(pids).toHaveLength(3);
    expect(pids.every(isRunning)).toBe(true);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toContain('SIGINT: stopping everything this benchmark started');
    expect(pids.filter(isRunning)).toEqual([]);
    // Nothing was measured to the end: no result file.
    expect(existsSync(dirs.resultsDir()) ? readdirSync(dirs.resultsDir()) : []).toEqual([]);
  });

  it('rejects bad arguments with usage and exit 2', async () => {
    const run = await runBench('kv', ['--workloads', 'put,delete'], RUN_TIMEOUT_MS);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--workloads takes put, get (comma-separated) or none, got delete');
    expect(run.stderr).toMatch(/usage: npm run bench:kv/);
  });
});
