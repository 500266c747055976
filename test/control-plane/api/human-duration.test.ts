/**
 * AGE columns read like kubectl's: precision drops as durations grow (two units while the
 * second still matters), clock skew of a second reads as `0s`, and describe's timestamps are
 * RFC 1123 with a numeric zone.
 */
import { age, describeTimestamp, humanDuration } from '../../../control-plane/api/human-duration.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

test.each([
  [0, '0s'],
  [45 * S, '45s'],
  [119 * S, '119s'],
  [2 * M, '2m'],
  [3 * M + 20 * S, '3m20s'],
  [9 * M + 59 * S, '9m59s'],
  [10 * M + 30 * S, '10m'],
  [179 * M, '179m'],
  [3 * H, '3h'],
  [5 * H + 30 * M, '5h30m'],
  [7 * H + 59 * M, '7h59m'],
  [8 * H + 30 * M, '8h'],
  [47 * H, '47h'],
  [2 * D, '2d'],
  [2 * D + 3 * H, '2d3h'],
  [7 * D + 23 * H, '7d23h'],
  [8 * D + 5 * H, '8d'],
  [12 * D, '12d'],
  [729 * D, '729d'],
  [730 * D, '2y'],
  [3 * 365 * D + 50 * D, '3y50d'],
  [9 * 365 * D + 50 * D, '9y'],
  [-500, '0s'],
  [-1500, '0s'],
  [-2500, '<invalid>'],
])('%d ms is %s', (durationMs, expected) => {
  expect(humanDuration(durationMs)).toBe(expected);
});

test('age is measured from a timestamp to now, <unknown> without one', () => {
  const now = new Date('2026-12-02T02:47:50Z');
  expect(age('2026-12-02T02:44:30Z', now)).toBe('3m20s');
  expect(age('2026-11-30T23:47:50Z', now)).toBe('27h');
  expect(age(undefined, now)).toBe('<unknown>');
  expect(age('', now)).toBe('<unknown>');
  expect(age('yesterday', now)).toBe('<unknown>');
});

test('describe timestamps are RFC 1123 in UTC', () => {
  expect(describeTimestamp('2026-12-02T01:47:50Z')).toBe('Wed, 02 Dec 2026 01:47:50 +0000');
  expect(describeTimestamp('2027-01-09T23:05:07+02:00')).toBe('Sat, 09 Jan 2027 21:05:07 +0000');
  expect(describeTimestamp(undefined)).toBe('<unset>');
});
