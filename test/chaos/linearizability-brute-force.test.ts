/**
 * The checker against an independent brute-force decision on thousands of tiny random
 * histories of one key: the verdicts must agree exactly (this covers the memoized search,
 * its dominance rule for unanswered operations and the pruning before it), and every
 * counterexample must be a witness: no superset of it within the history is linearizable.
 */

import { createSeededRandom } from '../../raft/core/random.js';
import type { SeededRandom } from '../../raft/core/random.js';
import { checkLinearizable, renderHistory } from '../support/linearizability/index.js';
import type { KvInput, KvOutput, KvValue, Operation } from '../support/linearizability/index.js';
import { bruteForceLinearizable } from './brute-force-linearizability.js';

const HISTORIES = 4000;
const VALUES: readonly KvValue[] = [null, 'a', 'b', 'c'];

describe('checkLinearizable agrees with brute force on tiny random histories', () => {
  test(`${HISTORIES} histories of up to 7 operations, some unanswered, some corrupted`, () => {
    const random = createSeededRandom(20240611);
    const verdicts = { linearizable: 0, 'not-linearizable': 0 };
    for (let i = 0; i < HISTORIES; i++) {
      const history = randomHistory(random);
      const expected = bruteForceLinearizable(history);
      const result = checkLinearizable(history);
      if (result.verdict === 'unknown') throw new Error('a tiny history exhausted the budget');
      if ((result.verdict === 'linearizable') !== expected) {
        throw new Error(`history ${i}: checker says ${result.verdict}, brute force says ${expected ? 'linearizable' : 'not'}:\n${renderHistory(history)}`);
      }
      verdicts[result.verdict] += 1;
      if (result.verdict === 'not-linearizable') expectWitness(history, result.counterexample.operations);
    }
    // Both verdicts well represented, or the comparison proves little.
    expect(verdicts.linearizable).toBeGreaterThan(HISTORIES / 8);
    expect(verdicts['not-linearizable']).toBeGreaterThan(HISTORIES / 8);
  });
});

/** Every history between the counterexample and the whole history is not linearizable. */
function expectWitness(history: readonly Operation[], counterexample: readonly Operation[]): void {
  const inside = new Set(counterexample.map((op) => op.id));
  expect(history.filter((op) => inside.has(op.id))).toHaveLength(counterexample.length);
  const outside = history.filter((op) => !inside.has(op.id));
  for (let mask = 0; mask < 1 << outside.length; mask++) {
    const superset = [...counterexample, ...outside.filter((_, bit) => (mask >> bit) & 1)];
    if (bruteForceLinearizable(superset)) {
      throw new Error(`counterexample is no witness: adding back ops makes it linearizable\n${renderHistory(counterexample)}\nin\n${renderHistory(history)}`);
    }
  }
}

/**
 * Up to 7 operations on one key with overlapping intervals. The answers come from running
 * them in the order of a random point inside each interval (so the history is
 * linearizable), then one answer in two histories of three is corrupted; a quarter of the
 * operations lose their answer.
 */
function randomHistory(random: SeededRandom): Operation[] {
  const count = 1 + random.int(7);
  const drafts = Array.from({ length: count }, (_, id) => {
    const invokedAtNs = random.int(20);
    const returnedAtNs = invokedAtNs + random.int(8);
    const pointNs = invokedAtNs + random.float() * (returnedAtNs - invokedAtNs);
    return { id, input: randomInput(random), invokedAtNs, returnedAtNs, pointNs, answered: !random.chance(0.25) };
  });
  let value: KvValue = null;
  const outputs = new Map<number, KvOutput>();
  for (const draft of [...drafts].sort((a, b) => a.pointNs - b.pointNs)) {
    const { output, after } = execute(draft.input, value);
    outputs.set(draft.id, output);
    // An unanswered write may also never have happened.
    if (draft.answered || random.chance(0.5)) value = after;
  }
  const corrupt = random.chance(2 / 3) ? random.int(count) : -1;
  return drafts.map((draft) => ({
    id: draft.id,
    clientId: `c${draft.id}`,
    input: draft.input,
    output: draft.answered ? (draft.id === corrupt ? corrupted(random, draft.input) : outputs.get(draft.id)) : undefined,
    invokedAtNs: draft.invokedAtNs,
    returnedAtNs: draft.answered ? draft.returnedAtNs : Infinity,
  }));
}

function randomInput(random: SeededRandom): KvInput {
  const pick = (): KvValue => VALUES[random.int(VALUES.length)]!;
  const written = (): string => VALUES[1 + random.int(VALUES.length - 1)]!;
  switch (random.int(4)) {
    case 0:
      return { kind: 'get', key: 'k' };
    case 1:
      return { kind: 'put', key: 'k', value: written() };
    case 2:
      return { kind: 'delete', key: 'k' };
    default:
      return { kind: 'cas', key: 'k', expected: pick(), value: written() };
  }
}

function execute(input: KvInput, value: KvValue): { output: KvOutput; after: KvValue } {
  switch (input.kind) {
    case 'get':
      return { output: { kind: 'get', value }, after: value };
    case 'put':
      return { output: { kind: 'put' }, after: input.value };
    case 'delete':
      return { output: { kind: 'delete', deleted: value === null ? 0 : 1 }, after: null };
    case 'cas':
      return value === input.expected
        ? { output: { kind: 'cas', succeeded: true }, after: input.value }
        : { output: { kind: 'cas', succeeded: false, current: value }, after: value };
  }
}

/** Some answer for `input`, right or wrong, with optional fields sometimes left out. */
function corrupted(random: SeededRandom, input: KvInput): KvOutput {
  const pick = (): KvValue => VALUES[random.int(VALUES.length)]!;
  switch (input.kind) {
    case 'get':
      return { kind: 'get', value: pick() };
    case 'put':
      return { kind: 'put' };
    case 'delete':
      return random.chance(0.3) ? { kind: 'delete' } : { kind: 'delete', deleted: random.chance(0.5) ? 1 : 0 };
    case 'cas':
      if (random.chance(0.5)) return { kind: 'cas', succeeded: true };
      return random.chance(0.3) ? { kind: 'cas', succeeded: false } : { kind: 'cas', succeeded: false, current: pick() };
  }
}
