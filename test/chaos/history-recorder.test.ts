/**
 * HistoryRecorder: what concurrent async clients did, on one clock, with unanswered
 * operations kept as "outcome unknown" and refused ones dropped; and a history recorded
 * from a real (in-process, asynchronous) store checks as linearizable.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { createSeededRandom } from '../../raft/core/random.js';
import { checkLinearizable, HistoryRecorder, LinearizabilityError } from '../support/linearizability/index.js';
import type { KvOutput } from '../support/linearizability/index.js';

/** A clock that moves 10 ns each time it is read. */
function steppingClock(): () => number {
  let now = 0;
  return () => (now += 10);
}

describe('HistoryRecorder', () => {
  test('records invocation and completion times and the answer', () => {
    const recorder = new HistoryRecorder({ clockNs: steppingClock() });
    const put = recorder.invoke('c1', { kind: 'put', key: 'x', value: 'a' });
    const get = recorder.invoke('c2', { kind: 'get', key: 'x' });
    recorder.complete(get, { kind: 'get', value: 'a' });
    recorder.complete(put, { kind: 'put' });
    expect(recorder.history()).toEqual([
      { id: 0, clientId: 'c1', input: { kind: 'put', key: 'x', value: 'a' }, output: { kind: 'put' }, invokedAtNs: 10, returnedAtNs: 40 },
      { id: 1, clientId: 'c2', input: { kind: 'get', key: 'x' }, output: { kind: 'get', value: 'a' }, invokedAtNs: 20, returnedAtNs: 30 },
    ]);
  });

  test('an operation never settled is reported with an unknown outcome; a failed one is dropped', () => {
    const recorder = new HistoryRecorder({ clockNs: steppingClock() });
    recorder.invoke('c1', { kind: 'put', key: 'x', value: 'a' });
    const refused = recorder.invoke('c2', { kind: 'delete', key: 'x' });
    recorder.fail(refused);
    expect(recorder.pendingCount).toBe(1);
    expect(recorder.history()).toEqual([
      { id: 0, clientId: 'c1', input: { kind: 'put', key: 'x', value: 'a' }, output: undefined, invokedAtNs: 10, returnedAtNs: Infinity },
    ]);
  });

  test('settling twice, settling an unknown id, or answering with the wrong kind is refused', () => {
    const recorder = new HistoryRecorder({ clockNs: steppingClock() });
    const id = recorder.invoke('c1', { kind: 'get', key: 'x' });
    expect(() => recorder.complete(id, { kind: 'put' })).toThrow(expect.objectContaining({ code: 'BAD_OPERATION_OUTPUT' }));
    recorder.complete(id, { kind: 'get', value: null });
    expect(() => recorder.complete(id, { kind: 'get', value: null })).toThrow(LinearizabilityError);
    expect(() => recorder.fail(42)).toThrow(expect.objectContaining({ code: 'OPERATION_NOT_PENDING' }));
    expect(recorder.history()).toHaveLength(1);
  });

  test('record(): resolves → completed; rejects → unknown by default, dropped when classified as no effect', async () => {
    const recorder = new HistoryRecorder({ clockNs: steppingClock() });
    await expect(recorder.record('c1', { kind: 'put', key: 'x', value: 'a' }, async () => ({ kind: 'put' }))).resolves.toEqual({ kind: 'put' });
    await expect(recorder.record('c1', { kind: 'put', key: 'x', value: 'b' }, async () => Promise.reject(new Error('deadline exceeded')))).rejects.toThrow('deadline exceeded');
    const refused = recorder.record('c1', { kind: 'put', key: 'x', value: 'c' }, async () => Promise.reject(new Error('invalid argument')), () => 'no-effect');
    await expect(refused).rejects.toThrow('invalid argument');
    const history = recorder.history();
    expect(history.map((op) => [op.input.kind === 'put' && op.input.value, op.output === undefined])).toEqual([
      ['a', false],
      ['b', true],
    ]);
  });

  test('the default clock is monotonic nanoseconds since the recorder was made', async () => {
    const recorder = new HistoryRecorder();
    const id = recorder.invoke('c', { kind: 'get', key: 'x' });
    await sleep(5);
    recorder.complete(id, { kind: 'get', value: null });
    const [op] = recorder.history();
    expect(op!.invokedAtNs).toBeGreaterThanOrEqual(0);
    expect(op!.returnedAtNs - op!.invokedAtNs).toBeGreaterThanOrEqual(4_000_000);
  });

  test('concurrent async clients against an in-process store give a linearizable history', async () => {
    const recorder = new HistoryRecorder();
    const store = new Map<string, string>();
    const random = createSeededRandom(99);
    // Each request waits a little, is applied atomically, and its answer waits a little.
    const call = async <T extends KvOutput>(apply: () => T): Promise<T> => {
      await sleep(random.int(3));
      const output = apply();
      await sleep(random.int(3));
      return output;
    };
    const client = async (name: string): Promise<void> => {
      for (let i = 0; i < 15; i++) {
        const key = `k${random.int(2)}`;
        if (random.chance(0.5)) {
          const value = `${name}-${i}`;
          await recorder.record(name, { kind: 'put', key, value }, () => call(() => (store.set(key, value), { kind: 'put' as const })));
        } else {
          await recorder.record(name, { kind: 'get', key }, () => call(() => ({ kind: 'get' as const, value: store.get(key) ?? null })));
        }
      }
    };
    await Promise.all(['a', 'b', 'c', 'd'].map(client));
    const history = recorder.history();
    expect(history).toHaveLength(60);
    expect(checkLinearizable(history).verdict).toBe('linearizable');
  });

  test('a store that acknowledges a put before applying it is caught through the recorded times', async () => {
    const recorder = new HistoryRecorder();
    const store = new Map<string, string>();
    await recorder.record('writer', { kind: 'put', key: 'x', value: 'a' }, async () => {
      setTimeout(() => store.set('x', 'a'), 20); // applied after the acknowledgement: the bug
      return { kind: 'put' as const };
    });
    await recorder.record('reader', { kind: 'get', key: 'x' }, async () => ({ kind: 'get' as const, value: store.get('x') ?? null }));
    await sleep(30);
    const result = checkLinearizable(recorder.history());
    expect(result.verdict).toBe('not-linearizable');
  });
});
