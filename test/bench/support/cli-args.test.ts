/** The benchmarks' flag parsing: numbers, integers and lists against a minimum, named in the error. */
import { UsageError, choiceListFlag, integerFlag, integerListFlag, numberFlag } from '../../../bench/support/cli-args.js';

describe('benchmark flags', () => {
  it('takes numbers and integers at or above the minimum, or the fallback when absent', () => {
    expect(numberFlag('duration-s', '0.5', 5, 0.1)).toBe(0.5);
    expect(numberFlag('duration-s', undefined, 5, 0.1)).toBe(5);
    expect(integerFlag('keys', '1000', 1, 1)).toBe(1000);
    expect(() => numberFlag('duration-s', '0.05', 5, 0.1)).toThrow(new UsageError('--duration-s must be a number ≥ 0.1, got 0.05'));
    expect(() => numberFlag('duration-s', '', 5, 0.1)).toThrow(UsageError);
    expect(() => integerFlag('keys', '1.5', 1, 1)).toThrow(new UsageError('--keys must be an integer, got 1.5'));
  });

  it('takes comma-separated integers in order, without repeats', () => {
    expect(integerListFlag('concurrency', '16, 1,16,1024', [1], 1)).toEqual([16, 1, 1024]);
    expect(integerListFlag('concurrency', undefined, [1, 16], 1)).toEqual([1, 16]);
    expect(() => integerListFlag('concurrency', '1,0', [1], 1)).toThrow(new UsageError('--concurrency must be a number ≥ 1, got 0'));
    expect(() => integerListFlag('concurrency', '1,,2', [1], 1)).toThrow(UsageError);
  });

  it('takes words from a fixed set, or none', () => {
    const loads = ['s', 'm', 'l', 'xl'] as const;
    expect(choiceListFlag('check-perf', 'l,s', ['s'], loads)).toEqual(['l', 's']);
    expect(choiceListFlag('check-perf', 'none', ['s'], loads)).toEqual([]);
    expect(choiceListFlag('check-perf', undefined, ['s'], loads)).toEqual(['s']);
    expect(() => choiceListFlag('check-perf', 'small', ['s'], loads)).toThrow(new UsageError('--check-perf takes s, m, l, xl (comma-separated) or none, got small'));
  });
});
