/**
 * Quantities parse to the numbers the scheduler sums: CPU in cores, memory in bytes, with
 * every suffix Kubernetes accepts, and equal quantities written differently compare equal.
 */
import { isQuantity, parseQuantity, QuantityError } from '../../../control-plane/api/quantity.js';

describe('parseQuantity', () => {
  it.each([
    ['100m', 0.1],
    ['0.5', 0.5],
    ['2', 2],
    ['1.5', 1.5],
    ['.5', 0.5],
    ['250u', 0.00025],
    ['5n', 5e-9],
    ['+3', 3],
    ['-1', -1],
    ['0', 0],
    ['0m', 0],
  ])('reads CPU %s as %d cores', (text, cores) => {
    expect(parseQuantity(text)).toBe(cores);
  });

  it.each([
    ['128Mi', 128 * 2 ** 20],
    ['1Ki', 1024],
    ['2Gi', 2 * 2 ** 30],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['1Ti', 2 ** 40],
    ['1Pi', 2 ** 50],
    ['1Ei', 2 ** 60],
    ['512', 512],
    ['1k', 1000],
    ['500M', 500e6],
    ['1G', 1e9],
    ['2T', 2e12],
    ['1P', 1e15],
    ['1E', 1e18],
    ['1e3', 1000],
    ['1E3', 1000],
    ['12e-3', 0.012],
    ['1e+2', 100],
  ])('reads memory %s as %d bytes', (text, bytes) => {
    expect(parseQuantity(text)).toBe(bytes);
  });

  it('gives the same number for the same amount written two ways', () => {
    expect(parseQuantity('1100m')).toBe(parseQuantity('1.1'));
    expect(parseQuantity('1000m')).toBe(parseQuantity('1'));
    expect(parseQuantity('1Gi')).toBe(parseQuantity('1024Mi'));
    expect(parseQuantity('1.5k')).toBe(parseQuantity('1500'));
  });

  it('takes JSON numbers as they are', () => {
    expect(parseQuantity(2)).toBe(2);
    expect(parseQuantity(0.25)).toBe(0.25);
    expect(() => parseQuantity(Number.NaN)).toThrow(QuantityError);
    expect(() => parseQuantity(Number.POSITIVE_INFINITY)).toThrow(QuantityError);
  });

  it.each(['', ' 1', '1 ', 'abc', '1K', '1mi', '1KiB', '1.2.3', '.', 'm', '1e', '1e3.5', '--1', '1ki', 'Infinity', '0x10'])(
    'refuses %j with the regular expression Kubernetes states',
    (text) => {
      expect(() => parseQuantity(text)).toThrow(QuantityError);
      expect(() => parseQuantity(text)).toThrow(/quantities must match the regular expression/);
    },
  );

  it('refuses values too large to be finite', () => {
    expect(() => parseQuantity('1e400')).toThrow(QuantityError);
  });
});

describe('isQuantity', () => {
  it('answers without throwing, whatever the input', () => {
    expect(isQuantity('100m')).toBe(true);
    expect(isQuantity(3)).toBe(true);
    expect(isQuantity('lots')).toBe(false);
    expect(isQuantity(null)).toBe(false);
    expect(isQuantity({})).toBe(false);
  });
});
