/**
 * The MVCC compaction benchmark, compiled as `npm run bench:mvcc-compaction` runs it, in a
 * small variant: it completes, prints a line per mode, and writes a JSON result whose
 * figures are consistent (the cleanup freed what compaction forgot; writes ran during it).
 * No timing is asserted (machines differ).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CompactionBenchResult } from '../../bench/mvcc-compaction.js';
import { runBench } from './run-bench.js';

const RUN_TIMEOUT_MS = 120_000;

describe('bench/mvcc-compaction', () => {
  let resultsDir: string;
  beforeEach(() => {
    resultsDir = mkdtempSync(join(tmpdir(), 'balsa-bench-'));
  });
  afterEach(() => rmSync(resultsDir, { recursive: true, force: true }));

  it('compacts a filled store in both modes and writes a consistent JSON result', async () => {
    const run = await runBench('mvcc-compaction', ['--keys', '3000', '--versions', '3', '--value-bytes', '8', '--results-dir', resultsDir], RUN_TIMEOUT_MS);
    expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code: 0 });
    expect(run.stdout).toMatch(/^mvcc compaction: 3000 keys × 3 versions, 8-byte values$/m);
    expect(run.stdout).toMatch(/^blocking .*longest stall/m);
    expect(run.stdout).toMatch(/^background .*longest stall/m);
    const files = readdirSync(resultsDir);
    expect(files).toHaveLength(1);
    const result = JSON.parse(readFileSync(join(resultsDir, files[0]!), 'utf8')) as CompactionBenchResult;
    expect(result).toMatchObject({ benchmark: 'mvcc-compaction', keys: 3000, versions: 3, valueBytes: 8 });
    expect(result.modes.map((m) => m.mode)).toEqual(['blocking', 'background']);
    for (const mode of result.modes) {
      // The cleanup ran to its end: what is physically held is what the store accounts for.
      expect(mode.physicalSizeBytesAfter).toBe(mode.sizeBytesAfter);
      expect(mode.writeLatencyMs.count).toBeGreaterThan(0);
      expect(mode.cleanupMs).toBeGreaterThanOrEqual(mode.compactCallMs);
      expect(mode.longestStallMs).toBeGreaterThan(0);
      expect(mode.longestCleanupStepMs).toBeGreaterThan(0);
    }
  });
});
