/**
 * Reading a container's log file as `balsa logs` shows it: the whole log or its last N
 * lines — across the rotated copy (`<logPath>.1`) and the current file, as if they were
 * one — and, when following, what is appended after, until the reader is told to stop.
 *
 * Following survives rotation. The rotator copies the file to `.1` and truncates it
 * (`log-rotator.ts`), so the follower watches both: a changed `.1` means a rotation, and
 * what the follower had not read yet of the old content is at the same offsets in the new
 * `.1` — it reads that, then the current file from offset 0. A truncation by anyone else
 * is seen as the file being shorter than what was read, and restarts at offset 0 of the
 * new content; new content that outgrows the old before the next poll cannot be told from
 * an append (its first bytes are skipped). Two rotations within one poll lose the older
 * copy's unread part: one generation is kept.
 */
import { open, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { LOG_FOLLOW_POLL_MS_DEFAULT, LOG_READ_CHUNK_BYTES } from './constants.js';
import { LogError } from './errors.js';
import { rotatedPath } from './log-rotator.js';

export interface ReadLogOptions {
  /** Only the last this many lines (of `.1` and the current file together); default all. A last line without `\n` counts. */
  readonly tailLines?: number;
  /** Keep yielding what is appended, until `signal` aborts, `until` settles or the file is removed. */
  readonly follow?: boolean;
  /** Ends the reading (a follow at its next poll, at the latest); the iteration then simply ends. */
  readonly signal?: AbortSignal;
  /** Stop after this many bytes in all. */
  readonly limitBytes?: number;
  /**
   * For a follow: settles when the container has exited; the reader then reads to the end
   * of the file once more and ends (nothing more will be written).
   */
  readonly until?: Promise<void>;
  /** How often a follow looks for new data, in ms; default 250. */
  readonly pollIntervalMs?: number;
}

/**
 * The log of `logPath` as chunks of at most `LOG_READ_CHUNK_BYTES`. Throws a
 * `LOG_NOT_FOUND` LogError when neither the file nor its rotated copy exists.
 */
export async function* readLog(logPath: string, options: ReadLogOptions = {}): AsyncGenerator<Buffer> {
  const rotated = rotatedPath(logPath);
  const [current, old] = await Promise.all([statOrUndefined(logPath), statOrUndefined(rotated)]);
  if (current === undefined && old === undefined) throw new LogError('LOG_NOT_FOUND', `no log file ${logPath}`);
  const budget = { remaining: options.limitBytes ?? Number.POSITIVE_INFINITY };
  const currentSize = current?.size ?? 0;
  const oldSize = old?.size ?? 0;

  let currentStart = 0;
  let oldStart = 0;
  if (options.tailLines !== undefined) {
    const wanted = Math.max(0, Math.floor(options.tailLines));
    const inCurrent = await lastLinesStart(logPath, currentSize, wanted);
    currentStart = inCurrent.offset;
    oldStart = inCurrent.found < wanted ? (await lastLinesStart(rotated, oldSize, wanted - inCurrent.found)).offset : oldSize;
  }
  for await (const chunk of readRange(rotated, oldStart, oldSize, budget)) yield chunk;
  for await (const chunk of readRange(logPath, currentStart, currentSize, budget)) yield chunk;
  if (options.follow !== true) return;

  let offset = currentSize;
  let rotatedSignature = signature(old);
  let untilSettled = false;
  void options.until?.then(
    () => (untilSettled = true),
    () => (untilSettled = true),
  );
  for (;;) {
    if (options.signal?.aborted === true || budget.remaining <= 0) return;
    // Seen before this pass's reads: when set, this pass reads everything there will be.
    const lastPass = untilSettled;
    const now = await statOrUndefined(logPath);
    if (now === undefined) return;
    const rotatedNow = await statOrUndefined(rotated);
    if (signature(rotatedNow) !== rotatedSignature) {
      rotatedSignature = signature(rotatedNow);
      if (rotatedNow !== undefined && rotatedNow.size > offset) {
        for await (const chunk of readRange(rotated, offset, rotatedNow.size, budget)) yield chunk;
      }
      offset = 0;
    } else if (now.size < offset) {
      offset = 0;
    }
    if (now.size > offset) {
      for await (const chunk of readRange(logPath, offset, now.size, budget)) yield chunk;
      offset = now.size;
    }
    if (lastPass) return;
    await pause(options.pollIntervalMs ?? LOG_FOLLOW_POLL_MS_DEFAULT, options.signal, options.until);
  }
}

/**
 * Where the last `lines` lines of the first `size` bytes of `path` start, and how many
 * lines there are from there (fewer than asked when the file holds fewer). A final `\n`
 * ends the last line, it does not start another.
 */
export async function lastLinesStart(path: string, size: number, lines: number): Promise<{ offset: number; found: number }> {
  if (lines <= 0 || size === 0) return { offset: size, found: 0 };
  const file = await open(path, 'r').catch(() => undefined);
  if (file === undefined) return { offset: size, found: 0 };
  try {
    const buffer = Buffer.alloc(Math.min(LOG_READ_CHUNK_BYTES, size));
    let newlines = 0;
    let end = size;
    let skipFinal = true;
    while (end > 0) {
      const start = Math.max(0, end - buffer.length);
      const { bytesRead } = await file.read(buffer, 0, end - start, start);
      for (let i = bytesRead - 1; i >= 0; i--) {
        if (buffer[i] !== 0x0a) continue;
        if (skipFinal && start + i === size - 1) continue;
        newlines += 1;
        if (newlines === lines) return { offset: start + i + 1, found: lines };
      }
      skipFinal = false;
      end = start;
    }
    return { offset: 0, found: newlines + 1 };
  } finally {
    await file.close();
  }
}

/** Bytes `[start, end)` of `path` in chunks, within `budget` (decremented); a file gone or shorter yields what there is. */
async function* readRange(path: string, start: number, end: number, budget: { remaining: number }): AsyncGenerator<Buffer> {
  if (start >= end || budget.remaining <= 0) return;
  const file = await open(path, 'r').catch(() => undefined);
  if (file === undefined) return;
  try {
    let position = start;
    while (position < end && budget.remaining > 0) {
      const length = Math.min(LOG_READ_CHUNK_BYTES, end - position, budget.remaining);
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await file.read(buffer, 0, length, position);
      if (bytesRead === 0) return;
      position += bytesRead;
      budget.remaining -= bytesRead;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await file.close();
  }
}

async function statOrUndefined(path: string): Promise<Stats | undefined> {
  return stat(path).catch(() => undefined);
}

/** What identifies one content of the rotated copy: a new copy changes its mtime (and usually its size). */
function signature(info: Stats | undefined): string {
  return info === undefined ? 'none' : `${info.ino}:${info.size}:${info.mtimeMs}`;
}

/** Waits `ms`, or less when `signal` aborts or `until` settles. */
function pause(ms: number, signal: AbortSignal | undefined, until: Promise<void> | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    until?.then(done, done);
  });
}
