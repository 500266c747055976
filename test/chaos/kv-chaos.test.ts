/**
 * A short chaos run of the real KV server, all faults on (what `npm run chaos` does, in
 * process): three `balsa kv serve` processes behind fault-injecting peer proxies, clients
 * on conflicting registers, unique writes, leases and watches while members are killed,
 * paused, partitioned, slowed, replaced, and leadership moves and the store is compacted.
 * A correct server passes: the register history is linearizable, no acknowledged write is
 * lost, every watcher saw every event once and in order, leases took their keys in one
 * revision. The run's output is printed (the machine's load makes its numbers vary).
 */
import { parseChaosOptions } from './harness/chaos-options.js';
import { ChaosRun } from './harness/chaos-run.js';

const SEED = 20_251_108;
const DURATION_S = 45;

test(`a ${DURATION_S} s run with every fault: linearizable, nothing lost`, async () => {
  const options = parseChaosOptions(['--duration', String(DURATION_S), '--seed', String(SEED)], () => 0);
  if (options === 'help') throw new Error('unreachable');
  const lines: string[] = [];
  const result = await new ChaosRun(options, (line) => lines.push(line)).run();
  process.stdout.write(`${lines.join('\n')}\n`);
  expect(result.verdict).toMatch(/^chaos: linearizable, \d+ ops, 0 lost acknowledged writes$/);
  expect(result.exitCode).toBe(0);
  expect(result.faults).toBeGreaterThan(0);
  expect(result.operations).toBeGreaterThan(100);
}, 600_000);
