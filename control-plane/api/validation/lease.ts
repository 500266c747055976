/**
 * Lease rules. A lease is how a component holds a role (leader of the controller manager,
 * liveness of a node): the holder renews it before `leaseDurationSeconds` pass since
 * `renewTime`, and anyone may take it after. The times are RFC 3339 with microseconds.
 */
import { checkIntegerAtLeast, invalid, readInteger, readRecord, readString } from './checks.js';
import type { Errors } from './checks.js';

/** RFC 3339 date-time with an optional fraction of up to nine digits (`2026-12-02T01:47:50.123456Z`). */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-](\d{2}):(\d{2}))$/;

/** Whether the text is an RFC 3339 date-time of a real calendar instant (no 30 February, no hour 24). */
export function isRfc3339(text: string): boolean {
  const match = RFC3339.exec(text);
  if (match === null) return false;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const offsetHours = match[9] === undefined ? 0 : Number(match[9]);
  const offsetMinutes = match[10] === undefined ? 0 : Number(match[10]);
  // Date.UTC rolls 30 February over into March; a real date survives the round trip.
  const date = new Date(Date.UTC(year, month - 1, day));
  return (
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 60 &&
    offsetHours <= 23 &&
    offsetMinutes <= 59
  );
}

export function validateLeaseSpec(specValue: unknown, errors: Errors): void {
  const spec = readRecord(errors, specValue, 'spec');
  if (spec === undefined) return;
  readString(errors, spec.holderIdentity, 'spec.holderIdentity');
  const duration = readInteger(errors, spec.leaseDurationSeconds, 'spec.leaseDurationSeconds');
  if (duration !== undefined && duration <= 0) {
    invalid(errors, 'spec.leaseDurationSeconds', duration, 'must be greater than 0');
  }
  checkIntegerAtLeast(errors, spec.leaseTransitions, 'spec.leaseTransitions', 0);
  for (const field of ['acquireTime', 'renewTime']) {
    const time = readString(errors, spec[field], `spec.${field}`);
    if (time !== undefined && !isRfc3339(time)) {
      invalid(errors, `spec.${field}`, time, 'must be an RFC 3339 time with microseconds (e.g. 2026-12-02T01:47:50.123456Z)');
    }
  }
}
