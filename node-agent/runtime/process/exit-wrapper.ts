/**
 * The `sh` wrapper every `process` container runs under, so that its exit code survives
 * the agent.
 *
 * Why a wrapper: a container outlives the agent that started it (the agent may be
 * SIGKILLed or upgraded). Only a process's parent learns its exit status, and after the
 * agent dies the container is re-parented to init, so an agent that adopts it later could
 * only see it vanish (exit code unknown). A parent that stays with the container and writes
 * the status to a file closes that gap for ~1 MB of `dash` per container (a Node wrapper
 * would cost ~40 MB).
 *
 * How it stays out of the way, so the process sees its signals as if started directly:
 * - The runtime starts the wrapper as the leader of a new process group (and session) and
 *   signals the whole group, so SIGTERM and SIGKILL reach the real process directly; the
 *   wrapper forwards nothing.
 * - The wrapper catches the terminating signals with a no-op trap so that a signal to the
 *   group does not end it before it has recorded the status. A caught (not ignored)
 *   disposition is reset to the default across `exec`, so the real process starts with
 *   default dispositions — an ignored one (`trap ''`) would be inherited.
 * - The command runs in a subshell that `exec`s it: no extra process, and the real
 *   process's stderr is the log file while the wrapper's own stderr is /dev/null — dash
 *   reports a child killed by a signal (`Terminated`) on its stderr, which must not land
 *   in the container's log.
 * - The shell exports `PWD` to what it runs; the subshell unsets it (unless the spec's
 *   environment sets it), so the process gets exactly the environment it was given. The
 *   shell does not keep the environment's order (it rebuilds it from its variable table):
 *   names and values are as given, later duplicates already resolved by the runtime.
 * - Before that, the wrapper moves itself into the container's cgroup (when there is
 *   one), so the real process is born inside it: no window in which it runs unlimited.
 *
 * Positional parameters: `$1` the exit file, `$2` the cgroup's `cgroup.procs` (empty for
 * none), then the command and its arguments. The exit file holds the decimal status as
 * the shell reports it: the code, or 128 + n when signal n ended the process. SIGKILL to
 * the group kills the wrapper too, so no file is written then; the runtime that sent it
 * knows the code (137), an adopting one sees no file and reports the exit as unknown.
 */

/** The wrapper script (`sh -c SCRIPT NAME EXIT_FILE CGROUP_PROCS COMMAND ARGS...`); `keepPwd` when the container's environment sets `PWD` itself. */
export function exitWrapperScript(keepPwd: boolean): string {
  return [
    'f=$1; cg=$2; shift 2',
    'trap : HUP INT QUIT TERM USR1 USR2 ALRM',
    'exec 3>&2 2>/dev/null',
    '[ -z "$cg" ] || echo $$ >"$cg"',
    `(${keepPwd ? '' : 'unset PWD; '}exec "$@" 2>&3 3>&-)`,
    's=$?',
    'echo "$s" >"$f"',
    'exit "$s"',
  ].join('\n');
}

/** `$0` of the wrapper, as `ps` shows it. */
export const EXIT_WRAPPER_NAME = 'balsa-container';

/** The shell that runs the wrapper (POSIX `sh`, on Debian `dash`). */
export const WRAPPER_SHELL = '/bin/sh';

/** The wrapper's argv after the shell: `-c SCRIPT NAME EXIT_FILE CGROUP_PROCS ...argv`. */
export function wrapperArgs(exitFile: string, cgroupProcsFile: string | undefined, argv: readonly string[], keepPwd: boolean): string[] {
  return ['-c', exitWrapperScript(keepPwd), EXIT_WRAPPER_NAME, exitFile, cgroupProcsFile ?? '', ...argv];
}
