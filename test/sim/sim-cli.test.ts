/**
 * The compiled CLI, as `npm run sim` runs it: exit codes, the last line, the FAIL line's
 * replay command, and that the replay command reproduces the failure.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = process.cwd();
// Jest's global setup has built dist/, which is what `npm run sim` runs.
const CLI = join(ROOT, 'dist/raft/testing/sim-cli.js');

function runCli(args: readonly string[]) {
  const run = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 600_000 });
  const lines = run.stdout.trim().split('\n');
  return { status: run.status, stdout: run.stdout, stderr: run.stderr, lines, last: lines[lines.length - 1] };
}

describe('sim CLI', () => {
  it('passes 5 seeds: exit 0 and `sim: 5 seeds passed`', () => {
    const run = runCli(['--seeds', '5', '--steps', '1000']);
    expect(run.lines[0]).toMatch(/^sim: seeds 1\.\.5 /);
    expect(run.last).toBe('sim: 5 seeds passed');
    expect(run.status).toBe(0);
  });

  it('finds --bug forget-vote, prints a replayable FAIL line, and the replay reproduces it', () => {
    const run = runCli(['--seeds', '60', '--bug', 'forget-vote']);
    expect(run.status).toBe(1);
    const fails = run.lines.filter((line) => line.startsWith('FAIL seed='));
    expect(fails.length).toBeGreaterThan(0);
    const first = fails[0]!;
    const match = /^FAIL seed=(\d+) nodes=(\d) property=(\S+) step=(\d+) .* {2}replay: npm run sim -- (.*)$/.exec(first);
    expect(match).not.toBeNull();
    const [, seed, , property] = match!;
    expect(['vote-safety', 'election-safety']).toContain(property);
    expect(run.last).toBe(`sim: seed ${seed} failed: ${property}`);

    const replay = runCli(match![5]!.split(' '));
    expect(replay.status).toBe(1);
    expect(replay.lines.filter((line) => line.startsWith('FAIL seed='))).toEqual([first]);
    expect(replay.last).toBe(`sim: seed ${seed} failed: ${property}`);
  });

  it('rejects bad arguments with usage and exit 2', () => {
    const run = runCli(['--bug', 'no-such-bug']);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/--bug must be one of/);
  });
});
