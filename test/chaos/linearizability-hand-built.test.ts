/**
 * The checker on hand-built histories, each a timeline small enough to reason about by
 * hand: the classic anomalies a broken key-value store shows must be rejected with the
 * operations that prove them, and correct behaviour under concurrency, timeouts and
 * compare-and-set races must be accepted.
 */

import { checkLinearizable, LinearizabilityError, renderHistory, renderResult } from '../support/linearizability/index.js';
import type { LinearizabilityResult, Operation } from '../support/linearizability/index.js';
import { cas, del, get, historyOf, put } from './history-builder.js';

/** The client ids of the counterexample, in invocation order; fails unless the verdict is not-linearizable. */
function counterexampleClients(result: LinearizabilityResult): string[] {
  if (result.verdict !== 'not-linearizable') throw new Error(`expected not-linearizable, got ${result.verdict}`);
  return result.counterexample.operations.map((op) => String(op.clientId));
}

function rejected(history: Operation[]): LinearizabilityResult {
  const result = checkLinearizable(history);
  expect(result.verdict).toBe('not-linearizable');
  return result;
}

function accepted(history: Operation[]): void {
  const result = checkLinearizable(history);
  if (result.verdict !== 'linearizable') throw new Error(`expected linearizable:\n${renderResult(result)}`);
}

describe('rejects non-linearizable histories, with the operations that prove it', () => {
  test('a stale read: a get returns a value overwritten by a write that had completed', () => {
    const result = rejected(historyOf(put('w1', 'x', 'a', 0, 10), put('w2', 'x', 'b', 20, 30), get('r', 'x', 'a', 40, 50), get('other', 'x', 'b', 60, 70)));
    expect(counterexampleClients(result)).toEqual(['w1', 'w2', 'r']);
  });

  test('two readers see two concurrent writes in opposite orders', () => {
    const result = rejected(
      historyOf(
        put('w1', 'x', 'a', 0, 100),
        put('w2', 'x', 'b', 0, 100),
        get('r1', 'x', 'a', 10, 20),
        get('r1', 'x', 'b', 30, 40),
        get('r2', 'x', 'b', 10, 20),
        get('r2', 'x', 'a', 30, 40),
      ),
    );
    expect(counterexampleClients(result)).toHaveLength(6);
  });

  test('a compare-and-set succeeds on a value a completed read had already seen replaced', () => {
    const result = rejected(historyOf(put('w', 'x', 'a', 0, 10), put('w', 'x', 'b', 20, 30), get('r', 'x', 'b', 40, 50), cas('c', 'x', 'a', 'c', true, 60, 70)));
    expect(counterexampleClients(result)).toEqual(['w', 'w', 'c']);
  });

  test('a compare-and-set expecting "absent" succeeds after a read saw the key exist', () => {
    const result = rejected(historyOf(put('w', 'x', 'a', 0, 10), get('r', 'x', 'a', 20, 30), cas('c', 'x', null, 'b', true, 40, 50)));
    expect(counterexampleClients(result)).toEqual(['w', 'c']);
  });

  test('two compare-and-sets from the same value both succeed (a lost update)', () => {
    const result = rejected(historyOf(put('w', 'x', 'a', 0, 10), cas('c1', 'x', 'a', 'b', true, 20, 40), cas('c2', 'x', 'a', 'c', true, 20, 40)));
    expect(counterexampleClients(result)).toEqual(['w', 'c1', 'c2']);
  });

  test('a lost acknowledged write: the key reads absent after the put was acknowledged', () => {
    const result = rejected(historyOf(put('w', 'x', 'a', 0, 10), get('r', 'x', null, 20, 30)));
    expect(counterexampleClients(result)).toEqual(['w', 'r']);
  });

  test('a value appears that nobody ever wrote', () => {
    const result = rejected(historyOf(put('w', 'x', 'a', 0, 10), get('r', 'x', 'ghost', 20, 30)));
    expect(counterexampleClients(result)).toEqual(['r']);
  });

  test('a deleted key comes back', () => {
    const result = rejected(historyOf(put('w', 'x', 'a', 0, 10), del('d', 'x', 20, 30), get('r', 'x', 'a', 40, 50)));
    expect(counterexampleClients(result)).toEqual(['w', 'd', 'r']);
  });

  test('a delete reports a key that cannot have existed', () => {
    const result = rejected(historyOf(put('w', 'x', 'a', 0, 10), del('d1', 'x', 20, 30, 1), del('d2', 'x', 40, 50, 1)));
    expect(counterexampleClients(result)).toEqual(['w', 'd1', 'd2']);
  });

  test('a failed compare-and-set reports a value the key cannot have had', () => {
    const result = rejected(historyOf(put('w', 'x', 'a', 0, 10), put('w', 'x', 'b', 20, 30), cas('c', 'x', 'z', 'c', false, 40, 50, 'a')));
    expect(counterexampleClients(result)).toEqual(['w', 'w', 'c']);
  });

  test('a write whose outcome is unknown cannot explain a read that ended before it began', () => {
    const result = rejected(historyOf(get('r', 'x', 'a', 0, 10), put('w', 'x', 'a', 20)));
    // The put stays in the counterexample: it shows where the value came from, too late.
    expect(counterexampleClients(result)).toEqual(['r', 'w']);
  });

  test('keys are checked apart: the failing key is named, the others pass', () => {
    const result = checkLinearizable(
      historyOf(put('w', 'good', 'a', 0, 10), get('r', 'good', 'a', 20, 30), put('w', 'bad', 'a', 0, 10), get('r', 'bad', null, 20, 30)),
    );
    if (result.verdict !== 'not-linearizable') throw new Error(result.verdict);
    expect(result.failingKeys).toEqual(['bad']);
    expect(result.counterexample.key).toBe('bad');
    expect(result.keys.map((k) => [k.key, k.verdict])).toEqual([
      ['bad', 'not-linearizable'],
      ['good', 'linearizable'],
    ]);
  });
});

describe('accepts linearizable histories', () => {
  test('two concurrent writes, read afterwards in either order', () => {
    const writes = [put('w1', 'x', 'a', 0, 100), put('w2', 'x', 'b', 0, 100)];
    accepted(historyOf(...writes, get('r', 'x', 'a', 110, 120)));
    accepted(historyOf(...writes, get('r', 'x', 'b', 110, 120)));
    accepted(historyOf(...writes, get('r1', 'x', 'a', 10, 20), get('r2', 'x', 'b', 30, 40), get('r1', 'x', 'b', 110, 120)));
  });

  test('a read concurrent with a write sees the old or the new value', () => {
    accepted(historyOf(put('w', 'x', 'a', 0, 10), put('w', 'x', 'b', 20, 60), get('r1', 'x', 'a', 30, 40), get('r2', 'x', 'b', 30, 40)));
  });

  test('a write that timed out and did take effect', () => {
    accepted(historyOf(put('w', 'x', 'a', 0), get('r', 'x', 'a', 50, 60)));
  });

  test('a write that timed out and never took effect', () => {
    accepted(historyOf(put('w', 'x', 'a', 0), get('r', 'x', null, 50, 60), get('r', 'x', null, 70, 80)));
  });

  test('a write that timed out and took effect late, after reads that missed it', () => {
    accepted(historyOf(put('w', 'x', 'a', 0), get('r', 'x', null, 50, 60), get('r', 'x', 'a', 100, 110)));
  });

  test('a delete that timed out and did take effect', () => {
    accepted(historyOf(put('w', 'x', 'a', 0, 10), del('d', 'x', 20), get('r', 'x', 'a', 30, 40), get('r', 'x', null, 50, 60)));
  });

  test('only an unanswered write explains a failed compare-and-set that did not report the value', () => {
    accepted(historyOf(put('w', 'x', 'a', 0, 10), put('u', 'x', 'b', 20), cas('c', 'x', 'a', 'c', false, 30, 40)));
    rejected(historyOf(put('w', 'x', 'a', 0, 10), cas('c', 'x', 'a', 'c', false, 30, 40)));
  });

  test('only an unanswered write explains a delete that deleted a key', () => {
    accepted(historyOf(put('u', 'x', 'b', 0), del('d', 'x', 30, 40, 1)));
    rejected(historyOf(del('d', 'x', 30, 40, 1)));
  });

  test('compare-and-set races: one of two concurrent creators wins and everyone agrees', () => {
    accepted(historyOf(cas('c1', 'x', null, 'a', true, 0, 20), cas('c2', 'x', null, 'b', false, 0, 20, 'a'), get('r', 'x', 'a', 30, 40)));
    accepted(historyOf(cas('c1', 'x', null, 'a', false, 0, 20), cas('c2', 'x', null, 'b', true, 0, 20), get('r', 'x', 'b', 30, 40)));
  });

  test('a compare-and-set whose outcome is unknown may have succeeded, or not', () => {
    const start = [put('w', 'x', 'a', 0, 10), cas('c', 'x', 'a', 'b', false, 20)];
    accepted(historyOf(...start, get('r', 'x', 'b', 30, 40)));
    accepted(historyOf(...start, get('r', 'x', 'a', 30, 40)));
  });

  test('operations that touch (one returns at the instant the other is invoked) count as concurrent', () => {
    accepted(historyOf(put('w', 'x', 'a', 0, 10), get('r', 'x', null, 10, 20)));
  });

  test('an empty history, and one of operations that never returned', () => {
    accepted([]);
    accepted(historyOf(del('d1', 'x', 0), del('d2', 'x', 5), put('w', 'x', 'a', 7), get('r', 'x', null, 9)));
  });
});

describe('effort is bounded: budget exhausted is "unknown", never a guess', () => {
  const failing = historyOf(
    ...Array.from({ length: 12 }, (_, i) => put(`w${i}`, 'x', `v${i}`, 0, 100)),
    get('r', 'x', 'v3', 110, 120),
    get('r', 'x', 'v4', 130, 140),
  );

  test('the same history is decided with the default budget', () => {
    expect(checkLinearizable(failing).verdict).toBe('not-linearizable');
  });

  test('a step budget too small gives unknown, naming the key and the reason', () => {
    const result = checkLinearizable(failing, { budget: { maxStepsPerKey: 50 } });
    if (result.verdict !== 'unknown') throw new Error(result.verdict);
    expect(result.reason).toBe('step-budget');
    expect(result.undecidedKeys).toEqual(['x']);
    expect(result.keys[0]).toMatchObject({ key: 'x', verdict: 'unknown', reason: 'step-budget', steps: 50 });
  });

  test('a time budget already spent gives unknown for every key not yet checked', () => {
    let nowMs = 0;
    const clock = (): number => (nowMs += 1000);
    const result = checkLinearizable(historyOf(put('w', 'x', 'a', 0, 10), put('w', 'y', 'a', 0, 10)), { budget: { maxMilliseconds: 500 }, nowMs: clock });
    if (result.verdict !== 'unknown') throw new Error(result.verdict);
    expect(result.reason).toBe('time-budget');
    expect(result.undecidedKeys).toEqual(['x', 'y']);
  });

  test('a failure is still reported when shrinking is off or out of budget, unshrunk', () => {
    const off = checkLinearizable(failing, { shrink: false });
    if (off.verdict !== 'not-linearizable') throw new Error(off.verdict);
    expect(off.counterexample).toMatchObject({ minimal: false, keyOperations: 14 });
    expect(off.counterexample.operations).toHaveLength(14);
    const starved = checkLinearizable(failing, { shrink: { maxChecks: 1 } });
    if (starved.verdict !== 'not-linearizable') throw new Error(starved.verdict);
    expect(starved.counterexample.minimal).toBe(false);
    const full = checkLinearizable(failing);
    if (full.verdict !== 'not-linearizable') throw new Error(full.verdict);
    expect(full.counterexample.minimal).toBe(true);
    expect(counterexampleClients(full)).toEqual(['w3', 'w4', 'r', 'r']);
  });

  test('budgets must be positive', () => {
    expect(() => checkLinearizable([], { budget: { maxStepsPerKey: 0 } })).toThrow(expect.objectContaining({ code: 'BAD_OPTION' }));
    expect(() => checkLinearizable([], { shrink: { maxChecks: -1 } })).toThrow(expect.objectContaining({ code: 'BAD_OPTION' }));
  });
});

describe('malformed histories are refused with a stable code', () => {
  const code = (history: Operation[]): string => {
    try {
      checkLinearizable(history);
    } catch (error) {
      if (error instanceof LinearizabilityError) return error.code;
      throw error;
    }
    return 'accepted';
  };

  test('each malformation has its code', () => {
    const [op] = historyOf(put('w', 'x', 'a', 10, 20));
    expect(code([op!, { ...op! }])).toBe('DUPLICATE_OPERATION_ID');
    expect(code([{ ...op!, returnedAtNs: 5 }])).toBe('BAD_OPERATION_TIME');
    expect(code([{ ...op!, invokedAtNs: NaN }])).toBe('BAD_OPERATION_TIME');
    expect(code([{ ...op!, returnedAtNs: Infinity }])).toBe('BAD_OPERATION_OUTPUT');
    expect(code([{ ...op!, output: undefined }])).toBe('BAD_OPERATION_OUTPUT');
    expect(code([{ ...op!, output: { kind: 'get', value: 'a' } }])).toBe('BAD_OPERATION_OUTPUT');
    expect(code([{ ...op!, input: { kind: 'cas', key: 'x', expected: null, value: 'a' }, output: { kind: 'cas', succeeded: true, current: 'a' } }])).toBe('BAD_OPERATION_OUTPUT');
    expect(code([op!])).toBe('accepted');
  });
});

describe('renderResult', () => {
  test('prints the verdict, the failing keys and the counterexample one operation per line', () => {
    const result = checkLinearizable(
      historyOf(put('w1', 'x', 'a', 0, 10), put('w2', 'x', 'b', 20, 30.5), get('r', 'x', 'a', 40, 50), cas('c', 'x', 'b', 'c', false, 45), get('r', 'y', null, 0, 1)),
      { nowMs: () => 0 },
    );
    expect(renderResult(result)).toBe(
      [
        'not-linearizable: 5 operations over 2 keys, 4 search steps, 0.0 ms',
        'failing keys: "x"',
        'key "x": 3 of its 4 operations are not linearizable by themselves (minimal):',
        'client w1  put("x", "a")                        -> ok                  [0.000, 10.000] ms',
        'client w2  put("x", "b")                        -> ok                  [20.000, 30.500] ms',
        'client r   get("x")                             -> "a"                 [40.000, 50.000] ms',
      ].join('\n'),
    );
  });

  test('renderHistory: answers of every kind, unanswered operations, times from an origin', () => {
    const history = historyOf(
      cas('c', 'x', null, 'b', false, 5, 6, 'z'),
      cas('c', 'x', 'b', 'c', true, 7, 8),
      cas('c', 'x', 'b', 'c', false, 9, 10),
      del('d', 'x', 11, 12, 0),
      del('d', 'x', 13, 14),
      get('r', 'x', null, 15, 16),
      put('w', 'x', 'a', 17),
    );
    expect(renderHistory(history, { originNs: 0 }).split('\n')).toEqual([
      'client c   cas("x", absent => "b")              -> failed, saw "z"     [5.000, 6.000] ms',
      'client c   cas("x", "b" => "c")                 -> succeeded           [7.000, 8.000] ms',
      'client c   cas("x", "b" => "c")                 -> failed              [9.000, 10.000] ms',
      'client d   delete("x")                          -> deleted 0           [11.000, 12.000] ms',
      'client d   delete("x")                          -> ok                  [13.000, 14.000] ms',
      'client r   get("x")                             -> absent              [15.000, 16.000] ms',
      'client w   put("x", "a")                        -> no answer           [17.000, ∞) ms',
    ]);
  });
});
