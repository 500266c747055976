/** The node agent's container log files: rotation by size and reading (tail, follow). */
export { LOG_CHECK_INTERVAL_MS_DEFAULT, LOG_MAX_BYTES_DEFAULT } from './constants.js';
export { LogError } from './errors.js';
export type { LogErrorCode } from './errors.js';
export { LogRotator, rotatedPath } from './log-rotator.js';
export type { LogRotatorOptions } from './log-rotator.js';
export { readLog } from './read-log.js';
export type { ReadLogOptions } from './read-log.js';
