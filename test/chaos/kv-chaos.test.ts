/**
 * A short chaos run of the real KV server, all faults on, as a user runs it: the
 * `npm run chaos` CLI compiled (`test/chaos/tsconfig.json`, into dist/chaos/) and started
 * as its own process. Three `balsa kv serve` processes behind fault-injecting peer
 * proxies, clients on conflicting registers, unique writes, leases and watches while
 * members are killed, paused, partitioned, slowed, replaced, and leadership moves and the
 * store is compacted. A correct server passes: the register history is linearizable, no
 * acknowledged write is lost, every watcher saw every event once and in order, leases took
 * their keys in one revision; the CLI says so on its last line and exits 0. The run's
 * output is printed (the machine's load makes its numbers vary).
 */
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';

const SEED = 20_251_108;
const DURATION_S = 45;
const CLI = join(process.cwd(), 'dist/chaos/test/chaos/harness/chaos-cli.js');

beforeAll(() => {
  execFileSync(process.execPath, [join(process.cwd(), 'node_modules/typescript/bin/tsc'), '-p', 'test/chaos/tsconfig.json'], { stdio: 'inherit' });
}, 180_000);

test(`npm run chaos -- --duration ${DURATION_S} --seed ${SEED}: every fault, linearizable, nothing lost, exit 0`, async () => {
  const child = spawn(process.execPath, [CLI, '--duration', String(DURATION_S), '--seed', String(SEED)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  process.stdout.write(`${stdout}\n${stderr}`);
  const lines = stdout.trim().split('\n');
  expect({ code, last: lines[lines.length - 1] }).toMatchObject({ code: 0, last: expect.stringMatching(/^chaos: linearizable, \d+ ops, 0 lost acknowledged writes$/) });
  const ops = Number(/^chaos: linearizable, (\d+) ops/.exec(lines[lines.length - 1]!)![1]);
  expect(ops).toBeGreaterThan(100);
  // It printed the faults it injected, and injected some.
  const faults = lines.find((line) => /\] faults: /.test(line))!;
  const injected = [...faults.split('; ')[0]!.matchAll(/ (\d+)/g)].reduce((total, match) => total + Number(match[1]), 0);
  expect(injected).toBeGreaterThan(0);
}, 600_000);
