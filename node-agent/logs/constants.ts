/** Limits and periods of the container log files. */

/** A container's log file is rotated once it is larger than this, in bytes (the kubelet's `containerLogMaxSize` default). */
export const LOG_MAX_BYTES_DEFAULT = 10 * 1024 * 1024;

/** How often the rotator looks at the log files of running containers, in ms (the kubelet's monitor period). */
export const LOG_CHECK_INTERVAL_MS_DEFAULT = 10_000;

/** A follower looks for new data this often, in ms. */
export const LOG_FOLLOW_POLL_MS_DEFAULT = 250;

/** The reader reads and yields at most this much at a time, in bytes. */
export const LOG_READ_CHUNK_BYTES = 64 * 1024;

/** The suffix of the rotated copy (`0.log.1`); one generation is kept. */
export const ROTATED_SUFFIX = '.1';

if (LOG_READ_CHUNK_BYTES > LOG_MAX_BYTES_DEFAULT) throw new Error('log constants are inconsistent');
