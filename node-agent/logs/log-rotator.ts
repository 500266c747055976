/**
 * Size-based rotation of the log files of running containers, by copy-and-truncate: the
 * container writes straight into its file (opened `O_APPEND`, so that the file and the
 * writer survive the agent), and a writer's descriptor cannot be swapped from outside. So
 * the file is copied to `<logPath>.1` (replacing the previous copy: one generation is
 * kept) and truncated; the writer's next append lands at the new end, offset 0.
 *
 * The known cost of copy-and-truncate: what the container writes between the copy and the
 * truncation is lost. The window is one file copy long, every `maxBytes` of output.
 */
import { copyFile, stat, truncate } from 'node:fs/promises';
import { LOG_CHECK_INTERVAL_MS_DEFAULT, LOG_MAX_BYTES_DEFAULT, ROTATED_SUFFIX } from './constants.js';

export interface LogRotatorOptions {
  /** A file larger than this is rotated, in bytes; default 10 MiB. */
  readonly maxBytes?: number;
  /** How often the files are checked, in ms; default 10 s. */
  readonly intervalMs?: number;
  /** The files to check now (the logs of the running containers); asked at every check. */
  readonly files: () => Iterable<string>;
}

/** The path of a log file's rotated copy. */
export function rotatedPath(logPath: string): string {
  return logPath + ROTATED_SUFFIX;
}

export class LogRotator {
  readonly maxBytes: number;
  readonly intervalMs: number;
  private readonly files: () => Iterable<string>;
  private timer: NodeJS.Timeout | undefined;
  /** The check in progress: checks never overlap (a slow copy outlasting the interval). */
  private checking: Promise<void> | undefined;

  constructor(options: LogRotatorOptions) {
    this.maxBytes = options.maxBytes ?? LOG_MAX_BYTES_DEFAULT;
    this.intervalMs = options.intervalMs ?? LOG_CHECK_INTERVAL_MS_DEFAULT;
    if (!(this.maxBytes > 0) || !(this.intervalMs > 0)) throw new RangeError('log rotation needs a positive maxBytes and intervalMs');
    this.files = options.files;
  }

  /** Starts checking on the timer (idempotent); the timer does not keep the process alive. */
  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => void this.checkAll(), this.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a check in progress. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.checking;
  }

  /**
   * Checks every file once, rotating those over the size. A file that cannot be rotated
   * (its directory removed with its pod, a full disk) is skipped: the next check tries again.
   */
  checkAll(): Promise<void> {
    this.checking ??= (async () => {
      try {
        for (const file of [...this.files()]) await this.rotateIfNeeded(file).catch(() => false);
      } finally {
        this.checking = undefined;
      }
    })();
    return this.checking;
  }

  /** Rotates `logPath` if it is larger than `maxBytes`; says whether it did. A missing file is not an error. */
  async rotateIfNeeded(logPath: string): Promise<boolean> {
    try {
      const info = await stat(logPath);
      if (info.size <= this.maxBytes) return false;
      await copyFile(logPath, rotatedPath(logPath));
      await truncate(logPath, 0);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }
}
