/**
 * The scheduler benchmark, compiled as `npm run bench:scheduler` runs it, in small variants:
 * 20 simulated nodes and 200 pods through a real KV, API server and scheduler process; a
 * backlog run (pods first, then the scheduler); an interrupt in the middle (every process
 * stopped, nothing left on disk); bad arguments. It asserts that every pod got bound, that
 * no node holds more than it offers, and that the figures are consistent, never their speed.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SchedulerBenchResult } from '../../bench/scheduler.js';
import { isRunning, runBench, useBenchDirs } from './run-bench.js';

const RUN_TIMEOUT_MS = 120_000;
const SCRATCH_PREFIX = 'balsa-bench-scheduler-';



function readResult(dir: string): SchedulerBenchResult {
  const files = readdirSync(dir);
  expect(files).toHaveLength(1);
  expect(files[0]).toMatch(/^scheduler-\d{4}-\d\d-\d\dT[\d-]+Z\.json$/);
  return JSON.parse(readFileSync(join(dir, files[0]!), 'utf8')) as SchedulerBenchResult;
}

describe('bench/scheduler', () => {
  const dirs = useBenchDirs(SCRATCH_PREFIX);

  it('binds every pod of a small run and reports consistent figures', async () => {
    const args = ['--nodes', '20', '--pods', '200', '--results-dir', dirs.resultsDir()];
    const run = await runBench('scheduler', args, RUN_TIMEOUT_MS);
    expect({ code: run.code, stdout: run.stdout, stderr: run.stderr.slice(-2000) }).toMatchObject({ code: 0 });
    expect(run.stdout).toMatch(/^scheduler: 20 nodes, 200 pods \(100m CPU, 128Mi each\), 1-member Balsa KV/m);
    expect(run.stdout).toMatch(/^created +200 pods in [\d.,]+ s: [\d.,]+ pods\/s/m);
    expect(run.stdout).toMatch(/^bound +200 pods in [\d.,]+ s: [\d.,]+ pods\/s \(first create sent to last binding seen\)$/m);
    expect(run.stdout).toMatch(/^create → bound seen: p50 [\d.,]+ ms, p99 [\d.,]+ ms, max [\d.,]+ ms$/m);
    expect(run.stdout).toMatch(/^check +200 pods bound in the API on \d+ nodes \(at most \d+ on one\), 0 nodes overcommitted$/m);
    expect(run.stdout).toMatch(/^goal: ≥ 1,500 pods\/s: (met|not met) \([\d.,]+\)$/m);

    const result = readResult(dirs.resultsDir());
    expect(result.command).toBe(`node dist/bench/scheduler.js ${args.join(' ')}`);
    expect(result.config).toMatchObject({ nodes: 20, pods: 200, kvMembers: 1, backlog: false, scheduledEvents: false });
    expect(result.creation).toMatchObject({ created: 200, errors: 0 });
    expect(result.binding.bound).toBe(200);
    expect(result.binding.podsPerS).toBeGreaterThan(0);
    expect(result.check).toMatchObject({ boundInApi: 200, overcommittedNodes: 0 });
    expect(result.check.maxPodsOnANode).toBeLessThanOrEqual(110);
    expect(result.scheduler).toMatchObject({ bound: 200, bindConflicts: 0, bindErrors: 0, unschedulable: 0, errors: 0 });
    expect(result.scheduler!.attempts).toBe(200);
    const latency = result.createToBindMs!;
    expect(latency.count).toBe(200);
    expect(latency.p50).toBeLessThanOrEqual(latency.p99);
    expect(latency.p99).toBeLessThanOrEqual(latency.max);
    expect(result.goal).toEqual({ podsPerS: 1500, met: result.binding.podsPerS >= 1500 });
    expect(result.heartbeats.errors).toBe(0);
    for (const seconds of [result.cpuSeconds.kv, result.cpuSeconds.apiServer, result.cpuSeconds.scheduler]) expect(seconds).toBeGreaterThan(0);
  });

  it('with --backlog creates every pod first, then measures the scheduler on the full queue', async () => {
    const run = await runBench('scheduler', ['--nodes', '10', '--pods', '100', '--backlog', '--events', '--results-dir', dirs.resultsDir()], RUN_TIMEOUT_MS);
    expect({ code: run.code, stderr: run.stderr.slice(-2000) }).toMatchObject({ code: 0 });
    expect(run.stdout).toMatch(/^bound +100 pods in [\d.,]+ s: [\d.,]+ pods\/s \(first binding to last\)$/m);
    expect(run.stderr).toMatch(/scheduler running \(pid \d+; it sees 10 nodes, 100 pods\)/);
    const result = readResult(dirs.resultsDir());
    expect(result.config).toMatchObject({ backlog: true, scheduledEvents: true });
    expect(result.createToBindMs).toBeNull();
    expect(result.check).toMatchObject({ boundInApi: 100, overcommittedNodes: 0 });
    expect(result.scheduler).toMatchObject({ bound: 100, bindConflicts: 0 });
  });

  it('on SIGINT stops every process it started and removes its data, then exits 130', async () => {
    const child = spawn(process.execPath, ['dist/bench/scheduler.js', '--nodes', '10', '--pods', '100000', '--results-dir', dirs.resultsDir()], { cwd: process.cwd() });
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const pids = await new Promise<number[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the benchmark did not start creating pods:\n${stderr}`)), RUN_TIMEOUT_MS);
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const processes = /processes: KV ([\d, ]+), API server (\d+)/.exec(stderr);
        const scheduler = /scheduler running \(pid (\d+);[\s\S]*creating 100000 pods/.exec(stderr);
        if (processes !== null && scheduler !== null) {
          clearTimeout(timer);
          resolve([...processes[1]!.split(', ').map(Number), Number(processes[2]), Number(scheduler[1])]);
        }
      });
    });
    expect(pids).toHaveLength(3);
    expect(pids.every(isRunning)).toBe(true);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toContain('SIGINT: stopping everything this benchmark started');
    expect(pids.filter(isRunning)).toEqual([]);
    expect(readdirSync(dirs.resultsDir())).toEqual([]);
  });

  it('rejects bad arguments with usage and exit 2', async () => {
    const run = await runBench('scheduler', ['--kv-members', '2'], RUN_TIMEOUT_MS);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--kv-members must be 1 or 3, got 2');
    expect(run.stderr).toMatch(/usage: npm run bench:scheduler/);
  });
});
