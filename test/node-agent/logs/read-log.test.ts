/**
 * Reading container logs as `balsa logs` does: the last N lines across the rotated copy
 * and the current file, a byte limit, and following — through appends, a copy-truncate
 * rotation and a plain truncation — until aborted or told the container has exited.
 */
import { appendFile, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { LogError } from '../../../node-agent/logs/errors.js';
import { LogRotator } from '../../../node-agent/logs/log-rotator.js';
import { readLog } from '../../../node-agent/logs/read-log.js';
import type { ReadLogOptions } from '../../../node-agent/logs/read-log.js';
import { eventually } from '../../support/eventually.js';

let directory = '';
let logPath = '';
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'balsa-logs-'));
  logPath = join(directory, '0.log');
});
afterEach(() => rm(directory, { recursive: true, force: true }));

async function readAll(options: ReadLogOptions = {}): Promise<string> {
  let text = '';
  for await (const chunk of readLog(logPath, options)) text += chunk.toString('utf8');
  return text;
}

const lines = (from: number, to: number): string => Array.from({ length: to - from + 1 }, (_, i) => `line ${from + i}\n`).join('');

/** A follow running in the background, collecting what it yields. */
function follow(options: ReadLogOptions): { text: () => string; done: Promise<void>; seen: (expected: string) => Promise<void> } {
  let text = '';
  const done = (async () => {
    for await (const chunk of readLog(logPath, { ...options, follow: true, pollIntervalMs: 20 })) text += chunk.toString('utf8');
  })();
  return {
    text: () => text,
    done,
    seen: (expected) =>
      eventually(async () => {
        if (text !== expected) throw new Error(`followed ${JSON.stringify(text)}, expected ${JSON.stringify(expected)}`);
      }),
  };
}

describe('reading', () => {
  beforeEach(async () => {
    await writeFile(`${logPath}.1`, lines(1, 5));
    await writeFile(logPath, lines(6, 8));
  });

  it('reads the rotated copy then the current file', async () => {
    expect(await readAll()).toBe(lines(1, 8));
  });

  it('tails the last N lines across the rotated copy and the current file', async () => {
    expect(await readAll({ tailLines: 2 })).toBe(lines(7, 8));
    expect(await readAll({ tailLines: 3 })).toBe(lines(6, 8));
    expect(await readAll({ tailLines: 5 })).toBe(lines(4, 8));
    expect(await readAll({ tailLines: 100 })).toBe(lines(1, 8));
    expect(await readAll({ tailLines: 0 })).toBe('');
  });

  it('counts a last line without a newline, and stops at limitBytes', async () => {
    await appendFile(logPath, 'partial');
    expect(await readAll({ tailLines: 2 })).toBe('line 8\npartial');
    expect(await readAll({ limitBytes: 10 })).toBe('line 1\nlin');
    expect(await readAll({ tailLines: 2, limitBytes: 3 })).toBe('lin');
  });

  it('tails a long file read in several chunks', async () => {
    await rm(`${logPath}.1`);
    await writeFile(logPath, lines(1, 20_000));
    expect(await readAll({ tailLines: 15_000 })).toBe(lines(5_001, 20_000));
  });

  it('fails with LOG_NOT_FOUND when there is no log at all', async () => {
    await rm(logPath);
    await rm(`${logPath}.1`);
    const failure = await readAll().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(LogError);
    expect(failure).toMatchObject({ code: 'LOG_NOT_FOUND' });
  });
});

describe('following', () => {
  it('yields appended data, survives a copy-truncate rotation and a truncation, and ends when aborted', async () => {
    await writeFile(logPath, 'a\n');
    const abort = new AbortController();
    const follower = follow({ signal: abort.signal });
    await follower.seen('a\n');
    await appendFile(logPath, 'b\n');
    await follower.seen('a\nb\n');

    // Appended and rotated away before the follower looked: it is read from the copy.
    await appendFile(logPath, 'c\n');
    const rotator = new LogRotator({ maxBytes: 1, files: () => [logPath] });
    expect(await rotator.rotateIfNeeded(logPath)).toBe(true);
    await appendFile(logPath, 'd\n');
    await follower.seen('a\nb\nc\nd\n');

    // Truncated by someone else: the new content is read from its start. (Seen as the file
    // being shorter than what was read: new content that outgrows the old before the next
    // poll is indistinguishable from an append, so the new content here is shorter.)
    const long = 'a line longer than the next one\n';
    await appendFile(logPath, long);
    await follower.seen(`a\nb\nc\nd\n${long}`);
    await truncate(logPath, 0);
    await appendFile(logPath, 'e\n');
    await follower.seen(`a\nb\nc\nd\n${long}e\n`);

    abort.abort();
    await follower.done;
    await appendFile(logPath, 'after\n');
    expect(follower.text()).toBe(`a\nb\nc\nd\n${long}e\n`);
  });

  it('starts at the tail and ends once `until` settles and the file is drained', async () => {
    await writeFile(logPath, lines(1, 3));
    let exited!: () => void;
    const until = new Promise<void>((resolve) => {
      exited = resolve;
    });
    const follower = follow({ tailLines: 1, until });
    await follower.seen(lines(3, 3));
    await appendFile(logPath, lines(4, 4));
    exited();
    await follower.done;
    expect(follower.text()).toBe(lines(3, 4));
  });

  it('ends when the file is removed (its pod is gone)', async () => {
    await writeFile(logPath, 'x\n');
    const follower = follow({});
    await follower.seen('x\n');
    await rm(logPath);
    await follower.done;
  });
});
