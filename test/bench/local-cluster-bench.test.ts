/**
 * The local-cluster benchmark, compiled as `npm run bench:local-cluster` runs it, small: a
 * real `balsa server`, two `balsa agent`s on 127.0.0.2 and 127.0.0.3 with the process
 * runtime, one run of a 2-replica Deployment applied with the CLI. It asserts that every pod
 * became Ready, that the figures are consistent (times positive and in the order things
 * happen), that nothing is left afterwards (no process, no scratch directory), also after
 * an interrupt while the pods run, and that bad arguments are refused; never the speed.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LocalClusterBenchResult } from '../../bench/local-cluster.js';
import { isRunning, runBench, useBenchDirs } from './run-bench.js';

const RUN_TIMEOUT_MS = 180_000;
const SCRATCH_PREFIX = 'balsa-bench-local-cluster-';



/** Processes whose command line names something in `dir` (the run's copy of the app, its agents' data). */
function processesUnder(dir: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', '-a', dir], { encoding: 'utf8' }).split('\n').filter((line) => line.trim() !== '');
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

/** The scratch directory and the server's and agents' pids, from what the benchmark said on stderr. */
function startedProcesses(stderr: string): { scratch: string; pids: number[] } {
  const scratch = /scratch directory (\S+)/.exec(stderr)?.[1];
  const processes = /processes: server (\d+), agents ([\d, ]+)/.exec(stderr);
  expect(scratch).toBeDefined();
  expect(processes).not.toBeNull();
  return { scratch: scratch!, pids: [Number(processes![1]), ...processes![2]!.split(', ').map(Number)] };
}

function readResult(dir: string): LocalClusterBenchResult {
  const files = readdirSync(dir);
  expect(files).toHaveLength(1);
  expect(files[0]).toMatch(/^local-cluster-\d{4}-\d\d-\d\dT[\d-]+Z\.json$/);
  return JSON.parse(readFileSync(join(dir, files[0]!), 'utf8')) as LocalClusterBenchResult;
}

describe('bench/local-cluster', () => {
  const dirs = useBenchDirs(SCRATCH_PREFIX);

  it('measures a small Deployment from apply to all Ready, reports consistent figures and leaves nothing behind', async () => {
    const args = ['--replicas', '2', '--runs', '1', '--results-dir', dirs.resultsDir()];
    const run = await runBench('local-cluster', args, RUN_TIMEOUT_MS);
    expect({ code: run.code, stdout: run.stdout, stderr: run.stderr.slice(-3000) }).toMatchObject({ code: 0 });
    const figure = String.raw`[\d.,]+ ms`;
    expect(run.stdout).toMatch(/^local-cluster: a 2-replica Deployment of examples\/web\/app\.mjs \(readiness probe every 1 s\), balsa server and 2 agents \(process runtime\), 1 run; /m);
    expect(run.stdout).toMatch(
      new RegExp(
        String.raw`^run 1 +all 2 pods Ready at ${figure} \(first pod created at ${figure}, apply exited at ${figure}, all bound at ${figure}\); ` +
          String.raw`per pod: Running p50 ${figure}, max ${figure}; Ready p50 ${figure}, max ${figure}; pods per node: node-a \d, node-b \d; deleted and gone in ${figure}$`,
        'm',
      ),
    );
    expect(run.stdout).toMatch(new RegExp(String.raw`^mean +all Ready at ${figure} over 1 run \(min ${figure}, max ${figure}\)$`, 'm'));
    expect(run.stdout).toMatch(/^agents +node-a RSS [\d.,]+ MiB \(peak [\d.,]+ MiB\), node-b RSS [\d.,]+ MiB \(peak [\d.,]+ MiB\); server RSS [\d.,]+ MiB \(peak [\d.,]+ MiB\)$/m);
    expect(run.stdout).toMatch(/^CPU +server [\d.,]+ s, node-a [\d.,]+ s, node-b [\d.,]+ s \(over [\d.,]+ s of runs, deletions included, on \d+ cores\)$/m);
    expect(run.stdout).toMatch(/^machine +.+ cores, .+ GiB, node v\d+/m);
    expect(run.stdout).toContain(`command   node dist/bench/local-cluster.js ${args.join(' ')}`);

    const result = readResult(dirs.resultsDir());
    expect(result.config).toMatchObject({ replicas: 2, runs: 1, agents: 2, readinessProbePeriodS: 1 });
    expect(result.runs).toHaveLength(1);
    const [only] = result.runs;
    expect(only).toMatchObject({ run: 1, replicas: 2, readyPods: 2, replacedPods: 0, apply: { code: 0 } });
    expect(only!.pods).toHaveLength(2);
    expect(Object.values(only!.podsPerNode).reduce((sum, count) => sum + count, 0)).toBe(2);
    for (const pod of only!.pods) {
      expect(['node-a', 'node-b']).toContain(pod.node);
      // Seen created, then bound, then Running and Ready (at once when one status update says both).
      expect(pod.createdMs).toBeGreaterThan(0);
      expect(pod.scheduledMs!).toBeGreaterThanOrEqual(pod.createdMs);
      expect(pod.runningMs!).toBeGreaterThanOrEqual(pod.scheduledMs!);
      expect(pod.readyMs!).toBeGreaterThanOrEqual(pod.runningMs!);
    }
    const readyTimes = only!.pods.map((pod) => pod.readyMs!);
    expect(only!.allReadyMs).toBe(Math.max(...readyTimes));
    expect(only!.podReadyMs!.max).toBe(only!.allReadyMs);
    expect(only!.podReadyMs!.p50).toBeLessThanOrEqual(only!.podReadyMs!.max);
    expect(only!.firstCreatedMs).toBe(Math.min(...only!.pods.map((pod) => pod.createdMs)));
    expect(only!.allScheduledMs!).toBeLessThanOrEqual(only!.allReadyMs!);
    expect(only!.apply.exitMs).toBeGreaterThan(0);
    expect(only!.deleteMs).toBeGreaterThan(0);
    expect(result.allReadyMs).toEqual({ mean: only!.allReadyMs, min: only!.allReadyMs, max: only!.allReadyMs });
    expect(result.agents.map((agent) => [agent.name, agent.nodeIp])).toEqual([['node-a', '127.0.0.2'], ['node-b', '127.0.0.3']]);
    for (const figures of [...result.agents, result.server]) {
      expect(figures.rssBytes).toBeGreaterThan(0);
      expect(figures.peakRssBytes!).toBeGreaterThanOrEqual(figures.rssBytes!);
      expect(figures.cpuSeconds).not.toBeNull();
    }
    expect(result.server.cpuSeconds).toBeGreaterThan(0);

    const { scratch, pids } = startedProcesses(run.stderr);
    expect(existsSync(scratch)).toBe(false);
    expect(processesUnder(scratch)).toEqual([]);
    expect(pids.filter(isRunning)).toEqual([]);
  }, RUN_TIMEOUT_MS + 10_000);

  it('on SIGINT while its pods run stops every process it started, the pods too, and removes its data, then exits 130', async () => {
    const child = spawn(process.execPath, ['dist/bench/local-cluster.js', '--replicas', '2', '--runs', '1', '--results-dir', dirs.resultsDir()], { cwd: process.cwd() });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    // Until the run has applied its Deployment and an app process runs.
    const deadline = Date.now() + RUN_TIMEOUT_MS;
    let started: { scratch: string; pids: number[] } | null = null;
    for (;;) {
      if (/run 1: applying/.test(stderr)) {
        started ??= startedProcesses(stderr);
        if (processesUnder(join(started.scratch, 'web-app.mjs')).length > 0) break;
      }
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no app process started:\n${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(started.pids.every(isRunning)).toBe(true);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toContain('SIGINT: stopping everything this benchmark started');
    expect(started.pids.filter(isRunning)).toEqual([]);
    expect(processesUnder(started.scratch)).toEqual([]);
    expect(existsSync(started.scratch)).toBe(false);
    expect(readdirSync(dirs.resultsDir())).toEqual([]);
  }, RUN_TIMEOUT_MS + 10_000);

  it('rejects bad arguments with usage and exit 2', async () => {
    for (const [args, message] of [
      [['--agents', '27'], '--agents must be at most 26, got 27'],
      [['--replicas', '0'], '--replicas must be a number ≥ 1, got 0'],
      [['--runs', 'many'], '--runs must be a number ≥ 1, got many'],
    ] as const) {
      const run = await runBench('local-cluster', args, RUN_TIMEOUT_MS);
      expect({ args, code: run.code }).toEqual({ args, code: 2 });
      expect(run.stderr).toContain(message);
      expect(run.stderr).toMatch(/usage: npm run bench:local-cluster/);
      expect(readdirSync(dirs.resultsDir())).toEqual([]);
    }
  });
});
