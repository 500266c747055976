/**
 * The chaos run must catch a broken server: with the testing knob that lets followers
 * answer linearizable reads from their own state (no ReadIndex), a run of half the default
 * duration, with the default faults, finds a non-linearizable history and fails with the
 * anomaly and its sub-history, as `npm run chaos -- --unsafe-follower-reads` does (the
 * default 30 s catches it too; 15 s keeps `npm test` inside its budget).
 */
import { parseChaosOptions } from './harness/chaos-options.js';
import { ChaosRun } from './harness/chaos-run.js';

const SEED = 3;
const DURATION_S = 15;

test(`followers reading without ReadIndex are caught within ${DURATION_S} s`, async () => {
  const options = parseChaosOptions(['--seed', String(SEED), '--duration', String(DURATION_S), '--unsafe-follower-reads'], () => 0);
  if (options === 'help') throw new Error('unreachable');
  expect(options.durationMs).toBe(DURATION_S * 1000);
  const lines: string[] = [];
  const result = await new ChaosRun(options, (line) => lines.push(line)).run();
  process.stdout.write(`${lines.join('\n')}\n`);
  expect(result.exitCode).toBe(1);
  expect(result.linearizability?.verdict).toBe('not-linearizable');
  expect(result.verdict).toMatch(/^chaos: FAILED: not linearizable/);
  // The anomaly is printed with its failing sub-history.
  const output = lines.join('\n');
  expect(output).toMatch(/failing keys: /);
  expect(output).toMatch(/are not linearizable by themselves/);
}, 600_000);
