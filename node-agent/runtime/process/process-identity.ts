/**
 * Telling whether a process we recorded is still the one we started. A PID alone is not
 * enough: once the process exits and is reaped, the kernel may hand its PID to another
 * process (soon, with `pid_max` 32768). `/proc/<pid>/stat` field 22 — the start time in
 * clock ticks since boot — is fixed for a process's life, so PID + start time names one
 * process for as long as the machine runs.
 */
import { readFile } from 'node:fs/promises';

/** A process by PID and start time (clock ticks since boot, `/proc/<pid>/stat` field 22). */
export interface ProcessIdentity {
  readonly pid: number;
  readonly startTicks: number;
}

interface ProcStat {
  /** One letter: `R`, `S`, `Z` (exited, not yet reaped), … */
  readonly state: string;
  readonly startTicks: number;
}

/** `/proc/<pid>/stat`, or undefined when there is no such process. */
export async function readProcStat(pid: number): Promise<ProcStat | undefined> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may itself hold spaces or ')': the
  // fields after it are counted from its last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so field 22 (starttime) is fields[19].
  const startTicks = Number(fields[19]);
  if (fields[0] === undefined || !Number.isFinite(startTicks)) return undefined;
  return { state: fields[0], startTicks };
}

/** Whether the process still runs and is the one recorded (a zombie has exited: it only waits to be reaped). */
export async function isAlive(identity: ProcessIdentity): Promise<boolean> {
  const stat = await readProcStat(identity.pid);
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X' && stat.startTicks === identity.startTicks;
}

/**
 * Signals the process group `identity` leads, if the leader is still the recorded
 * process. Says whether the signal was sent.
 */
export async function signalGroup(identity: ProcessIdentity, signal: NodeJS.Signals): Promise<boolean> {
  if (!(await isAlive(identity))) return false;
  try {
    process.kill(-identity.pid, signal);
    return true;
  } catch {
    return false;
  }
}
