/**
 * Runs a compiled benchmark (`dist/bench/<name>.js`) as `npm run bench:*` does, with a
 * deadline, and collects what it printed. Jest's global setup has built dist/.
 */
import { spawn } from 'node:child_process';
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
