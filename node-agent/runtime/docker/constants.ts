/** Limits, periods and names of the `docker` runtime. */

/**
 * The Docker Engine API version every request is pinned to: 1.41 is what Debian 12's
 * `docker.io` (Engine 20.10) speaks, and newer engines still serve it. Pinned, not
 * negotiated, so that the request and response shapes this runtime relies on stay fixed.
 */
export const DOCKER_API_VERSION = '1.41';

/** Where the Docker daemon listens by default. */
export const DOCKER_SOCKET_PATH_DEFAULT = '/var/run/docker.sock';

/** The prefix of every label this runtime puts on its containers (reverse DNS, as Docker asks). */
export const LABEL_PREFIX = 'io.balsa.';

/**
 * The label that says which runtime owns a container: its state directory. Several agents
 * share one daemon on one machine (one per loopback address), and each adopts only its own.
 */
export const LABEL_STATE_DIR = `${LABEL_PREFIX}state-dir`;

/** After a container exited, its log stream is drained for at most this long before its exit is reported, in ms. */
export const LOG_DRAIN_MS = 5_000;

/** After a lost `wait` connection (a daemon restart), the container is looked at again after this long, in ms. */
export const WAIT_RETRY_MS = 1_000;

/** The positions of the log copies are saved at most this often per container, in ms (a crash repeats at most this much). */
export const LOG_POSITION_SAVE_MS = 1_000;

/** Docker's own copy of a container's output (json-file) is capped at this size per file, two files kept. */
export const DOCKER_LOG_MAX_SIZE = '10m';

/** An exec whose output ended is asked for its exit code this often, in ms, while the daemon still says it runs… */
export const EXEC_EXIT_POLL_MS = 20;

/** …at most this many times. */
export const EXEC_EXIT_POLLS = 100;

/** How long a request that is not a stream may take before it is abandoned, in ms. */
export const REQUEST_TIMEOUT_MS = 60_000;

/** The most of an error response body kept for its message, in bytes. */
export const ERROR_BODY_MAX_BYTES = 64 * 1024;

/** The header of each frame of a multiplexed (non-TTY) stream: stream type, 3 zero bytes, payload size (uint32 big-endian). */
export const FRAME_HEADER_BYTES = 8;

/** A 137 exit is inspected again this many times, this far apart, for the daemon's late OOM record. */
export const OOM_SETTLE_ATTEMPTS = 10;
export const OOM_SETTLE_MS = 100;

if (LOG_POSITION_SAVE_MS > LOG_DRAIN_MS || WAIT_RETRY_MS <= 0) throw new Error('docker runtime constants are inconsistent');
