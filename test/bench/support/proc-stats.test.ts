/**
 * Reading a process's CPU time and peak memory from /proc (Linux, where the benchmarks
 * measure their servers): this test process's own figures, a busy loop that must show up
 * in its CPU time, and nulls for a process that does not exist.
 */
import { cpuSeconds, maxPeakRssBytes, peakRssBytes, resetPeakRss, totalCpuSeconds } from '../../../bench/support/proc-stats.js';

describe('proc-stats (Linux)', () => {
  it('reads this process’s CPU seconds, which grow with work done', () => {
    const before = cpuSeconds(process.pid);
    expect(before).not.toBeNull();
    const usage = process.cpuUsage();
    // Spin until Node itself says 50 ms more of CPU were used: /proc must see (about) the same.
    while (process.cpuUsage(usage).user < 50_000) Math.sqrt(Math.random());
    const after = cpuSeconds(process.pid)!;
    expect(after - before!).toBeGreaterThanOrEqual(0.03);
    expect(totalCpuSeconds([process.pid, process.pid])).toBeGreaterThanOrEqual(2 * after);
  });

  it('reads this process’s peak RSS, at least its current RSS, and can reset it', () => {
    const peak = peakRssBytes(process.pid)!;
    expect(peak).toBeGreaterThanOrEqual(process.memoryUsage().rss * 0.9);
    expect(typeof resetPeakRss(process.pid)).toBe('boolean');
    expect(maxPeakRssBytes([process.pid])).toBeGreaterThan(0);
  });

  it('gives null for a process that does not exist', () => {
    const gone = 2 ** 22 + 12345; // above Linux's pid_max limit (2^22)
    expect(cpuSeconds(gone)).toBeNull();
    expect(peakRssBytes(gone)).toBeNull();
    expect(resetPeakRss(gone)).toBe(false);
    expect(totalCpuSeconds([process.pid, gone])).toBeNull();
    expect(maxPeakRssBytes([gone])).toBeNull();
  });
});
