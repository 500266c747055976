/**
 * The checker on histories from a seeded simulation of clients and a store (see
 * `simulated-kv-store.ts`): large histories of a correct store must be accepted (the time
 * is printed, never asserted), every seed of a correct store must pass, and a store whose
 * reads sometimes come from a lagging replica must be caught, with a small counterexample.
 */

import { checkLinearizable, renderResult } from '../support/linearizability/index.js';
import type { LinearizabilityResult, Operation } from '../support/linearizability/index.js';
import { simulateHistory } from './simulated-kv-store.js';
import type { SimulationOptions } from './simulated-kv-store.js';

/** Faults every simulated run below has: requests lost, answers lost, requests applied late. */
const FAULTS = { lostRequestChance: 0.01, lostAnswerChance: 0.02, delayedRequestChance: 0.01 } as const;

function timedCheck(label: string, history: Operation[]): LinearizabilityResult {
  const result = checkLinearizable(history);
  const unanswered = history.filter((op) => op.output === undefined).length;
  const searched = result.keys.reduce((sum, key) => sum + key.searched, 0);
  process.stdout.write(`${label}: ${renderResult(result).split('\n')[0]} (${unanswered} unanswered, ${searched} searched after pruning)\n`);
  return result;
}

function expectLinearizable(result: LinearizabilityResult): void {
  if (result.verdict !== 'linearizable') throw new Error(`expected linearizable:\n${renderResult(result)}`);
}

describe('large histories of a correct store are accepted', () => {
  test('12,000 operations over 40 keys by 64 concurrent clients, with timeouts', () => {
    const history = simulateHistory({ seed: 7, clients: 64, keys: 40, operations: 12_000, ...FAULTS });
    expect(history).toHaveLength(12_000);
    expectLinearizable(timedCheck('12,000 ops / 40 keys / 64 clients', history));
  });

  test('10,000 operations on 8 hot keys by 48 clients (about 6 in flight per key)', () => {
    const history = simulateHistory({ seed: 8, clients: 48, keys: 8, operations: 10_000, ...FAULTS });
    expectLinearizable(timedCheck('10,000 ops / 8 keys / 48 clients', history));
  });
});

describe('property: histories of a correct store pass, a lagging replica is caught', () => {
  const SEEDS = Array.from({ length: 12 }, (_, i) => i + 1);
  const small = (seed: number): SimulationOptions => ({
    seed,
    clients: 16,
    keys: 4,
    operations: 1_500,
    ...FAULTS,
    // Half the seeds: failed compare-and-sets do not say what they saw.
    casReportsCurrent: seed % 2 === 0,
  });

  test.each(SEEDS)('correct store, seed %i: linearizable', (seed) => {
    expectLinearizable(checkLinearizable(simulateHistory(small(seed))));
  });

  test('stale reads from a lagging replica: rejected for most seeds, with a small counterexample', () => {
    const sizes: number[] = [];
    for (const seed of SEEDS) {
      const history = simulateHistory({ ...small(seed), casReportsCurrent: true, staleReadChance: 0.02 });
      const result = checkLinearizable(history);
      if (result.verdict === 'linearizable') continue;
      if (result.verdict !== 'not-linearizable') throw new Error(`seed ${seed}: ${result.verdict}`);
      const { operations, minimal } = result.counterexample;
      sizes.push(operations.length);
      expect(minimal).toBe(true);
      // The counterexample is a failure by itself, and it is about a read.
      expect(checkLinearizable(operations).verdict).toBe('not-linearizable');
      expect(operations.some((op) => op.input.kind === 'get')).toBe(true);
    }
    process.stdout.write(`lagging replica: ${sizes.length} of ${SEEDS.length} seeds rejected; counterexample sizes ${sizes.join(', ')}\n`);
    expect(sizes.length).toBeGreaterThanOrEqual(10);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(10);
  });
});
