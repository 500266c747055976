/**
 * Kubernetes resource quantities (`100m`, `1.5`, `2Gi`, `500M`, `1e3`) as plain numbers:
 * CPU in cores, memory and storage in bytes.
 *
 * Kubernetes keeps quantities as exact decimals; a JavaScript number is exact for every
 * quantity a cluster of this size meets (integers up to 2^53, and decimal fractions are
 * rounded once, the same way for the same value). The value is computed by handing the
 * decimal mantissa and exponent to `Number()` in one piece, so `1100m` and `1.1` yield the
 * same double and compare equal, which a multiplication (`1100 * 0.001`) would not.
 */

/** Kubernetes' wording for a quantity that is not one. */
export const QUANTITY_FORMAT_MESSAGE =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

export class QuantityError extends Error {
  constructor(
    /** The text that failed to parse. */
    readonly text: string,
  ) {
    super(`invalid quantity ${JSON.stringify(text)}: ${QUANTITY_FORMAT_MESSAGE}`);
    this.name = 'QuantityError';
  }
}

/** Decimal SI suffixes, as powers of ten. `k` is lower case: `K` alone is not a suffix. */
const DECIMAL_EXPONENTS: ReadonlyMap<string, number> = new Map([
  ['n', -9],
  ['u', -6],
  ['m', -3],
  ['', 0],
  ['k', 3],
  ['M', 6],
  ['G', 9],
  ['T', 12],
  ['P', 15],
  ['E', 18],
]);

/** Binary suffixes, as powers of two. */
const BINARY_EXPONENTS: ReadonlyMap<string, number> = new Map([
  ['Ki', 10],
  ['Mi', 20],
  ['Gi', 30],
  ['Ti', 40],
  ['Pi', 50],
  ['Ei', 60],
]);

/** A signed decimal number, then a suffix or a decimal exponent. */
const QUANTITY = /^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(.*)$/;
const DECIMAL_EXPONENT = /^[eE]([+-]?[0-9]+)$/;

/**
 * The value of a quantity: `100m` → 0.1, `2Gi` → 2147483648, `1e3` → 1000, `512` → 512.
 * A number is taken as it is (JSON manifests may write `cpu: 2`). Negative quantities parse;
 * whether they are allowed is the caller's rule.
 *
 * @throws QuantityError when the text is not a quantity (empty, unknown suffix, not finite).
 */
export function parseQuantity(text: string | number): number {
  if (typeof text === 'number') {
    if (!Number.isFinite(text)) throw new QuantityError(String(text));
    return text;
  }
  if (typeof text !== 'string') throw new QuantityError(String(text));
  const match = QUANTITY.exec(text);
  if (match === null) throw new QuantityError(text);
  const mantissa = match[1]!;
  const suffix = match[2]!;
  let value: number;
  const binary = BINARY_EXPONENTS.get(suffix);
  const decimal = DECIMAL_EXPONENTS.get(suffix);
  const exponent = DECIMAL_EXPONENT.exec(suffix);
  if (binary !== undefined) value = Number(mantissa) * 2 ** binary;
  else if (decimal !== undefined) value = Number(`${mantissa}e${decimal}`);
  else if (exponent !== null) value = Number(`${mantissa}e${exponent[1]!}`);
  else throw new QuantityError(text);
  if (!Number.isFinite(value)) throw new QuantityError(text);
  // `-0` would print oddly and compare surprisingly with Object.is; a quantity has no sign of zero.
  return value === 0 ? 0 : value;
}

/** Whether the text is a quantity; never throws. */
export function isQuantity(text: unknown): boolean {
  if (typeof text !== 'string' && typeof text !== 'number') return false;
  try {
    parseQuantity(text);
    return true;
  } catch {
    return false;
  }
}
