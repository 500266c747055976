/**
 * What the servers under test cost, read from Linux's /proc: CPU time (user + system, in
 * seconds) from `/proc/<pid>/stat`, and peak resident memory (`VmHWM`, bytes) from
 * `/proc/<pid>/status`. The peak can be reset by writing 5 to `/proc/<pid>/clear_refs`
 * (Linux ≥ 4.0, for processes this user owns), so that each measured window reports its
 * own peak rather than the process's all-time one.
 *
 * Elsewhere than Linux, or for a process that is gone, the figures are null.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

/** USER_HZ: the unit of the times in /proc/<pid>/stat. 100 on every Linux we know of; asked of getconf once. */
let clockTicksPerSecond: number | undefined;

function ticksPerSecond(): number {
  if (clockTicksPerSecond === undefined) {
    try {
      const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
      clockTicksPerSecond = Number.isFinite(value) && value > 0 ? value : 100;
    } catch {
      clockTicksPerSecond = 100;
    }
  }
  return clockTicksPerSecond;
}

/** User + system CPU seconds `pid` has used so far, or null if it cannot be read. */
export function cpuSeconds(pid: number): number | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) is in parentheses and may hold spaces: count fields after its last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // Fields 14 (utime) and 15 (stime) of proc(5), numbered from 1; the slice starts at field 3.
  const utime = Number(fields[14 - 3]);
  const stime = Number(fields[15 - 3]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return null;
  return (utime + stime) / ticksPerSecond();
}

/** Peak resident set size of `pid` in bytes (since start or the last reset), or null. */
export function peakRssBytes(pid: number): number | null {
  return statusBytes(pid, 'VmHWM');
}

/** Resident set size of `pid` in bytes now, or null. */
export function rssBytes(pid: number): number | null {
  return statusBytes(pid, 'VmRSS');
}

function statusBytes(pid: number, field: string): number | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB$`, 'm').exec(text);
  return match === null ? null : Number(match[1]) * 1024;
}

/** Reset `pid`'s peak RSS to its current RSS; false if the kernel refused. */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** The sum of `cpuSeconds` over `pids`; null if any cannot be read. */
export function totalCpuSeconds(pids: readonly number[]): number | null {
  let total = 0;
  for (const pid of pids) {
    const seconds = cpuSeconds(pid);
    if (seconds === null) return null;
    total += seconds;
  }
  return total;
}

/** The largest `peakRssBytes` over `pids`; null if any cannot be read. */
export function maxPeakRssBytes(pids: readonly number[]): number | null {
  let max = 0;
  for (const pid of pids) {
    const bytes = peakRssBytes(pid);
    if (bytes === null) return null;
    max = Math.max(max, bytes);
  }
  return max;
}
