/**
 * Copies one container's output from the daemon into the container's log file (the file
 * `balsa logs` reads and the rotator rotates), whatever happens to the agent in between.
 *
 * The daemon keeps its own copy of the output (json-file, capped), each entry stamped with
 * a nanosecond time. The copier follows it (`logs?follow&timestamps`, stdout and stderr
 * multiplexed), strips the stamps, appends the text to the file, and remembers the stamp
 * of the last entry written in `<stateDir>/<id>.log-position`. A copier of a later agent
 * run starts after that stamp: nothing is lost while no agent ran (the daemon kept it), and
 * at most the last `LOG_POSITION_SAVE_MS` of output is written twice after a crash.
 *
 * The stream ends once the container has exited and its output is all sent; a stream that
 * breaks (a daemon restart) is followed again from the position while the container runs.
 */
import { open, rename, readFile, rm, writeFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { LOG_POSITION_SAVE_MS, WAIT_RETRY_MS } from './constants.js';
import type { DockerApi } from './docker-api.js';
import { dockerTimeNanos, sinceParameter } from './docker-time.js';
import { FrameDecoder } from './frame-decoder.js';

export interface LogCopierOptions {
  readonly api: DockerApi;
  readonly containerId: string;
  readonly logPath: string;
  /** The file that holds the stamp of the last entry written (epoch ns, decimal). */
  readonly positionFile: string;
  /** Whether the container still runs (a broken stream is followed again only then); rejects when the daemon does not answer. */
  readonly isRunning: () => Promise<boolean>;
}

export class LogCopier {
  /** Settles once everything the container wrote is in the file (it exited) or the copier was stopped. */
  readonly done: Promise<void>;
  private readonly options: LogCopierOptions;
  private position = -1n;
  private savedPosition = -1n;
  private lastSaveMs = 0;
  private response: IncomingMessage | undefined;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private wakeRetry: (() => void) | undefined;

  constructor(options: LogCopierOptions) {
    this.options = options;
    this.done = this.run();
  }

  /** Stops following (the container keeps running; a later copier continues from the saved position). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.response?.destroy();
    clearTimeout(this.retryTimer);
    this.wakeRetry?.();
    await this.done;
  }

  /** Forgets the position (the container is removed). */
  static async forget(positionFile: string): Promise<void> {
    await rm(positionFile, { force: true });
  }

  private async run(): Promise<void> {
    this.position = await readPosition(this.options.positionFile);
    this.savedPosition = this.position;
    let log: FileHandle | undefined;
    try {
      for (let finalPass = false; !this.stopped; ) {
        log ??= await open(this.options.logPath, 'a').catch(() => undefined);
        let broken = false;
        try {
          await this.copyOnce(log);
        } catch {
          broken = true;
        }
        if (this.stopped || finalPass) break;
        if (!(await this.stillRunning())) {
          // It exited: the stream ended with its last output, or broke first and one more
          // pass reads what is left.
          if (!broken) break;
          finalPass = true;
        } else {
          await this.pause();
        }
      }
    } finally {
      await this.savePosition(true);
      await log?.close().catch(() => undefined);
    }
  }

  /** Follows the stream from the position to its end, appending to `log` (dropped when the file cannot be opened: its pod's directory is gone). */
  private async copyOnce(log: FileHandle | undefined): Promise<void> {
    const { api, containerId } = this.options;
    const response = await api.stream('GET', `/containers/${containerId}/logs`, {
      query: { follow: 1, stdout: 1, stderr: 1, timestamps: 1, since: this.position < 0n ? undefined : sinceParameter(this.position) },
      timeoutMs: 0,
    });
    this.response = response;
    if (this.stopped) response.destroy();
    const decoder = new FrameDecoder();
    for await (const chunk of response as AsyncIterable<Buffer>) {
      const text: Buffer[] = [];
      for (const frame of decoder.push(chunk)) {
        const space = frame.payload.indexOf(0x20);
        if (space < 0) continue;
        const stamp = dockerTimeNanos(frame.payload.subarray(0, space).toString('latin1'));
        // `since` is inclusive, and its entries were written before.
        if (stamp === undefined || stamp <= this.position) continue;
        this.position = stamp;
        text.push(frame.payload.subarray(space + 1));
      }
      if (text.length > 0 && log !== undefined) await log.appendFile(Buffer.concat(text)).catch(() => undefined);
      await this.savePosition(false);
    }
    if (!response.complete) throw new Error('the log stream broke');
  }

  private async stillRunning(): Promise<boolean> {
    // A daemon that does not answer may still run the container: keep trying.
    return this.options.isRunning().catch(() => true);
  }

  private pause(): Promise<void> {
    return new Promise((resolve) => {
      this.wakeRetry = resolve;
      this.retryTimer = setTimeout(resolve, WAIT_RETRY_MS);
    });
  }

  /** Saves the position when it moved and `LOG_POSITION_SAVE_MS` passed since the last save, or always when `now`. */
  private async savePosition(now: boolean): Promise<void> {
    if (this.position === this.savedPosition) return;
    if (!now && Date.now() - this.lastSaveMs < LOG_POSITION_SAVE_MS) return;
    const position = this.position;
    this.lastSaveMs = Date.now();
    const temporary = `${this.options.positionFile}.tmp`;
    try {
      await writeFile(temporary, String(position));
      await rename(temporary, this.options.positionFile);
      this.savedPosition = position;
    } catch {
      // The state directory refused: the next save tries again (a restart repeats some output).
    }
  }
}

async function readPosition(file: string): Promise<bigint> {
  try {
    const text = (await readFile(file, 'utf8')).trim();
    return /^\d+$/.test(text) ? BigInt(text) : -1n;
  } catch {
    return -1n;
  }
}
