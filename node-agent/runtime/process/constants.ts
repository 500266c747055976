/** Limits and periods of the `process` runtime. */

/** How often an adopted container's process is checked for liveness, in ms (it is no child of ours: no exit event). */
export const LIVENESS_POLL_MS = 1_000;

/** At most this much of an exec's output is kept (Kubernetes keeps 10 KiB of a probe's output). */
export const EXEC_OUTPUT_MAX_BYTES = 10 * 1024;

/** The exit code of an exec that timed out and was killed (as `timeout(1)` reports it). */
export const EXEC_TIMEOUT_EXIT_CODE = 124;

/** How long an exec's pipes may stay open after its process exited (a grandchild holding them), in ms. */
export const EXEC_DRAIN_MS = 1_000;

/** The cgroup v2 CPU period written to `cpu.max`, in µs (the kernel's and Kubernetes' default). */
export const CPU_PERIOD_US = 100_000;

/** The smallest CPU quota the kernel accepts in `cpu.max`, in µs. */
export const CPU_QUOTA_MIN_US = 1_000;

/** The exit code a shell reports for a command it could not find / could not execute. */
export const EXIT_NOT_FOUND = 127;
export const EXIT_NOT_EXECUTABLE = 126;

/** The version of the state file's layout; a file of another version is not adopted. */
export const STATE_FILE_VERSION = 1;

if (EXEC_TIMEOUT_EXIT_CODE >= 126 || CPU_QUOTA_MIN_US > CPU_PERIOD_US) throw new Error('process runtime constants are inconsistent');
