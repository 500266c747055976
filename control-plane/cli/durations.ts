/** Durations in flags, as Kubernetes' components take them. */

/** A flag's value that cannot be used: the command prints it with its usage and exits 2. */
export class UsageError extends Error {}

/** A Go-style duration as Kubernetes flags take them (`1h`, `30m`, `1h0m0s`, `90s`), or plain seconds; whole seconds ≥ 1. */
export function parseDurationSeconds(value: string, flag: string): number {
  const text = value.trim();
  let seconds: number;
  if (/^\d+$/.test(text)) {
    seconds = Number(text);
  } else {
    const match = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
    if (match === null || text === '') throw new UsageError(`--${flag} must be a duration like 1h, 30m, 1h30m0s or 90s, got "${value}"`);
    seconds = Number(match[1] ?? 0) * 3600 + Number(match[2] ?? 0) * 60 + Number(match[3] ?? 0);
  }
  if (seconds < 1) throw new UsageError(`--${flag} must be at least 1s, got "${value}"`);
  return seconds;
}
