/**
 * Docker's timestamps (RFC 3339 with up to nine fraction digits, trailing zeros dropped:
 * `2026-12-02T04:48:32.5156235Z`) as numbers: epoch ms for the container status, epoch ns
 * for comparing log entries exactly (two entries a microsecond apart differ). The text form
 * does not sort (fractions have different lengths), the numbers do.
 */

/** Go's zero `time.Time`, which Docker reports for a time that has not happened (`FinishedAt` of a running container). */
const ZERO_YEAR = '0001-';

const RFC3339 = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/;

/** Epoch nanoseconds of a Docker timestamp; undefined for the zero time or text that is not one. */
export function dockerTimeNanos(text: string): bigint | undefined {
  if (text.startsWith(ZERO_YEAR)) return undefined;
  const match = RFC3339.exec(text);
  if (match === null) return undefined;
  const wholeMs = Date.parse(`${match[1]!}${match[3]!}`);
  if (Number.isNaN(wholeMs)) return undefined;
  const fraction = (match[2] ?? '').padEnd(9, '0');
  return BigInt(wholeMs) * 1_000_000n + BigInt(fraction);
}

/** Epoch ms (rounded down) of a Docker timestamp; undefined for the zero time. */
export function dockerTimeMs(text: string): number | undefined {
  const nanos = dockerTimeNanos(text);
  return nanos === undefined ? undefined : Number(nanos / 1_000_000n);
}

/** The `since` parameter of the logs endpoint for epoch ns: `<seconds>.<nanoseconds>`. */
export function sinceParameter(nanos: bigint): string {
  return `${nanos / 1_000_000_000n}.${String(nanos % 1_000_000_000n).padStart(9, '0')}`;
}
