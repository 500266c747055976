/**
 * Runs a compiled benchmark (`dist/bench/<name>.js`) as `npm run bench:*` does, with a
 * deadline, and collects what it printed. Jest's global setup has built dist/.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface BenchRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function runBench(name: string, args: readonly string[], timeoutMs: number, env: NodeJS.ProcessEnv = process.env): Promise<BenchRun> {
  const root = process.cwd();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'dist', 'bench', `${name}.js`), ...args], { cwd: root, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // SIGTERM lets the benchmark stop what it started.
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Whether a process with this pid is alive. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The names in the temp dir that start with `prefix` (a benchmark's scratch directories). */
export function scratchDirs(prefix: string): Set<string> {
  return new Set(readdirSync(tmpdir()).filter((name) => name.startsWith(prefix)));
}

/**
 * For each test of the calling suite: a fresh results directory (removed after), and the
 * check that the run left no scratch directory named `scratchPrefix…` in the temp dir.
 */
export function useBenchDirs(scratchPrefix: string): { resultsDir(): string } {
  let resultsDir = '';
  let before = new Set<string>();
  beforeEach(() => {
    resultsDir = mkdtempSync(join(tmpdir(), 'balsa-bench-results-'));
    before = scratchDirs(scratchPrefix);
  });
  afterEach(() => {
    rmSync(resultsDir, { recursive: true, force: true });
    // Whatever the run created in the temp dir, it removed.
    expect([...scratchDirs(scratchPrefix)].filter((name) => !before.has(name))).toEqual([]);
  });
  return { resultsDir: () => resultsDir };
}
