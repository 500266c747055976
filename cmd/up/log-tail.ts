/**
 * Follows a file that another process appends to and hands each complete line to a
 * callback: how `balsa up` reads its children's output. The children write their log files
 * themselves (not through a pipe to `up`), so that a child never depends on `up` to print:
 * with `up` gone, a pipe would break and the child's next line would fail.
 */
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';

/** How often the file is read for new lines. */
const TAIL_INTERVAL_MS = 200;
/** The most read at once: a child that prints a lot is followed in steps, with bounded memory. */
const TAIL_CHUNK_BYTES = 64 * 1024;

export class LogTail {
  private position: number;
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';
  private readonly timer: NodeJS.Timeout;
  private reading: Promise<void> = Promise.resolve();
  private handle: Promise<FileHandle>;

  /** Follows `path` from byte `from` on (what was there before is not this run's). */
  constructor(path: string, from: number, private readonly onLine: (line: string) => void) {
    this.position = from;
    this.handle = open(path, 'r');
    this.handle.catch(() => {}); // reported by the reads that use it
    this.timer = setInterval(() => this.poll(), TAIL_INTERVAL_MS);
  }

  /** Reads what is left (the child has exited), hands over a last unterminated line, and stops. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.reading;
    await this.readAll();
    if (this.partial !== '') this.onLine(this.partial);
    this.partial = '';
    await (await this.handle.catch(() => undefined))?.close();
  }

  private poll(): void {
    this.reading = this.reading.then(() => this.readAll()).catch(() => {});
  }

  private async readAll(): Promise<void> {
    const handle = await this.handle;
    const buffer = Buffer.alloc(TAIL_CHUNK_BYTES);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, this.position);
      if (bytesRead === 0) return;
      this.position += bytesRead;
      const lines = (this.partial + this.decoder.write(buffer.subarray(0, bytesRead))).split('\n');
      this.partial = lines.pop()!;
      for (const line of lines) this.onLine(line);
    }
  }
}
