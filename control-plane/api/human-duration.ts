/**
 * Durations and times as kubectl shows them: AGE columns (`45s`, `3m20s`, `5h`, `2d3h`,
 * `12d`, `3y50d`) and describe's timestamps (`Wed, 02 Dec 2026 01:47:50 +0000`).
 */

const SECOND_MS = 1000;
const MINUTE_S = 60;
const HOUR_S = 60 * MINUTE_S;
const DAY_S = 24 * HOUR_S;
const YEAR_DAYS = 365;

/**
 * kubectl's human duration: the precision drops as the duration grows, two units while the
 * second one still matters (`3m20s` under 10 minutes, `5h30m` under 8 hours, `2d3h` under
 * 8 days, `2y10d` under 8 years), one unit otherwise. Up to a second in the future reads as
 * `0s` (clock skew between machines); further in the future is `<invalid>`.
 */
export function humanDuration(durationMs: number): string {
  const seconds = Math.trunc(durationMs / SECOND_MS);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 2 * MINUTE_S) return `${seconds}s`;
  const minutes = Math.trunc(seconds / MINUTE_S);
  if (minutes < 10) return twoUnits(minutes, 'm', seconds % MINUTE_S, 's');
  if (minutes < 3 * 60) return `${minutes}m`;
  const hours = Math.trunc(seconds / HOUR_S);
  if (hours < 8) return twoUnits(hours, 'h', minutes % 60, 'm');
  if (hours < 48) return `${hours}h`;
  const days = Math.trunc(seconds / DAY_S);
  if (hours < 8 * 24) return twoUnits(days, 'd', hours % 24, 'h');
  if (days < 2 * YEAR_DAYS) return `${days}d`;
  const years = Math.trunc(days / YEAR_DAYS);
  if (years < 8) return twoUnits(years, 'y', days % YEAR_DAYS, 'd');
  return `${years}y`;
}

function twoUnits(major: number, majorUnit: string, minor: number, minorUnit: string): string {
  return minor === 0 ? `${major}${majorUnit}` : `${major}${majorUnit}${minor}${minorUnit}`;
}

/** The age of an RFC 3339 timestamp at `now`: `humanDuration`, or `<unknown>` when absent or unreadable. */
export function age(timestamp: unknown, now: Date): string {
  if (typeof timestamp !== 'string' || timestamp === '') return '<unknown>';
  const at = Date.parse(timestamp);
  if (Number.isNaN(at)) return '<unknown>';
  return humanDuration(now.getTime() - at);
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function twoDigits(value: number): string {
  return String(value).padStart(2, '0');
}

/**
 * RFC 1123 with a numeric zone, as `kubectl describe` prints times (`Wed, 02 Dec 2026
 * 01:47:50 +0000`). Always in UTC, so that output does not depend on the machine's zone.
 * `<unset>` when absent, the text itself when unreadable.
 */
export function describeTimestamp(timestamp: unknown): string {
  if (typeof timestamp !== 'string' || timestamp === '') return '<unset>';
  const at = new Date(timestamp);
  if (Number.isNaN(at.getTime())) return timestamp;
  return (
    `${WEEKDAYS[at.getUTCDay()]}, ${twoDigits(at.getUTCDate())} ${MONTHS[at.getUTCMonth()]} ${at.getUTCFullYear()} ` +
    `${twoDigits(at.getUTCHours())}:${twoDigits(at.getUTCMinutes())}:${twoDigits(at.getUTCSeconds())} +0000`
  );
}
