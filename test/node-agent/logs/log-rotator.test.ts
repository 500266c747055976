/**
 * Rotation by size with copy-and-truncate: the file is copied to `.1` (one generation)
 * and truncated, and a writer with `O_APPEND` keeps writing at the new start — shown with
 * a real container whose log the process runtime rotates on its timer.
 */
import { mkdtemp, open, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { LogRotator, rotatedPath } from '../../../node-agent/logs/log-rotator.js';
import { readLog } from '../../../node-agent/logs/read-log.js';
import { eventually } from '../../support/eventually.js';
import { RuntimeHarness } from '../runtime/process-runtime-harness.js';

describe('LogRotator', () => {
  let directory = '';
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'balsa-rotate-'));
  });
  afterEach(() => rm(directory, { recursive: true, force: true }));

  it('copies a file over maxBytes to .1, replacing the older copy, and truncates it; an appending writer continues at its start', async () => {
    const logPath = join(directory, '0.log');
    const writer = await open(logPath, 'a');
    try {
      const rotator = new LogRotator({ maxBytes: 10, files: () => [logPath, join(directory, 'missing.log')] });
      await writer.write('0123456789');
      await rotator.checkAll();
      expect(await readFile(logPath, 'utf8')).toBe('0123456789');
      await writer.write('first\n');
      await rotator.checkAll();
      expect(await readFile(rotatedPath(logPath), 'utf8')).toBe('0123456789first\n');
      expect((await stat(logPath)).size).toBe(0);
      await writer.write('next\n');
      expect(await readFile(logPath, 'utf8')).toBe('next\n');
      await writer.write('more than ten bytes\n');
      expect(await rotator.rotateIfNeeded(logPath)).toBe(true);
      expect(await readFile(rotatedPath(logPath), 'utf8')).toBe('next\nmore than ten bytes\n');
    } finally {
      await writer.close();
    }
  });

  it('refuses a size or interval that is not positive', () => {
    expect(() => new LogRotator({ maxBytes: 0, files: () => [] })).toThrow(RangeError);
    expect(() => new LogRotator({ intervalMs: -1, files: () => [] })).toThrow(RangeError);
  });
});

describe('rotation of a running container\'s log by the process runtime', () => {
  const harness = new RuntimeHarness();
  beforeEach(() => harness.setUp());
  afterEach(() => harness.tearDown());

  it('keeps the log small while the container writes, with whole lines readable across .1 and the current file', async () => {
    const runtime = harness.runtime({ logMaxBytes: 2_000, logCheckIntervalMs: 50 });
    const spec = harness.spec({ command: ['sh', '-c', 'i=0; while :; do i=$((i+1)); echo "line $i"; sleep 0.002; done'] });
    const info = await runtime.start(spec);
    await eventually(async () => {
      if ((await stat(rotatedPath(spec.logPath)).catch(() => undefined)) === undefined) throw new Error('not rotated yet');
    });
    await runtime.stop(info.id, 600);
    const current = await readFile(spec.logPath);
    // Truncated to 0 and appended to from there: no hole of NULs where the old end was.
    expect(current.includes(0)).toBe(false);
    let text = '';
    for await (const chunk of readLog(spec.logPath, { tailLines: 10 })) text += chunk.toString('utf8');
    const numbers = text.trimEnd().split('\n').map((line) => Number(/^line (\d+)$/.exec(line)?.[1]));
    expect(numbers).toHaveLength(10);
    expect(numbers.every((n) => Number.isInteger(n))).toBe(true);
    // In order: copy-and-truncate may lose lines written between the copy and the truncation, never reorder them.
    expect([...numbers].sort((a, b) => a - b)).toEqual(numbers);
  });
});
