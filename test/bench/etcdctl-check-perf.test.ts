/**
 * Reading `etcdctl check perf`'s output (etcd 3.4's wording): figures and the verdict of
 * a pass, of a failure on each check, and of a run that ended in an error before any
 * verdict. The benchmark runs the real command (60 s a load); the smoke test skips it, so
 * the reading is proven here.
 */
import { parseCheckPerf } from '../../bench/etcdctl-check-perf.js';

const PROGRESS = ' 60 / 60 Booooooooooooooooooooooooooooooooooooooooooooooooooooo! 100.00% 1m0s';

describe('parseCheckPerf', () => {
  it('reads a pass: throughput, slowest request, stddev and the verdict', () => {
    const output = `${PROGRESS}\r\nPASS: Throughput is 150 writes/s\nPASS: Slowest request took 0.046386s\nPASS: Stddev is 0.002195s\nPASS\n`;
    expect(parseCheckPerf(output)).toEqual({
      passed: true,
      verdict: 'PASS',
      throughputWritesPerS: 150,
      slowestRequestS: 0.046386,
      stddevS: 0.002195,
      lines: ['PASS: Throughput is 150 writes/s', 'PASS: Slowest request took 0.046386s', 'PASS: Stddev is 0.002195s', 'PASS'],
    });
  });

  it('reads a failure on each check (3.4 prints the slowest-request and stddev failures without a FAIL: prefix)', () => {
    const output = `${PROGRESS}\nFAIL: Throughput too low: 6491 writes/s\nSlowest request took too long: 0.786915s\nStddev too high: 0.120003s\nFAIL\n`;
    expect(parseCheckPerf(output)).toMatchObject({
      passed: false,
      verdict: 'FAIL',
      throughputWritesPerS: 6491,
      slowestRequestS: 0.786915,
      stddevS: 0.120003,
    });
  });

  it('has no verdict, and so no pass, when etcdctl stopped on an error', () => {
    const output = 'Error: prefix /etcdctl-check-perf/ has keys\n';
    expect(parseCheckPerf(output)).toEqual({
      passed: false,
      verdict: null,
      throughputWritesPerS: null,
      slowestRequestS: null,
      stddevS: null,
      lines: ['Error: prefix /etcdctl-check-perf/ has keys'],
    });
  });

  it('takes the last verdict line, not a PASS inside another line', () => {
    expect(parseCheckPerf('PASS: Throughput is 1000 writes/s\nFAIL: Stddev too high: 0.2s\nFAIL').verdict).toBe('FAIL');
    expect(parseCheckPerf('PASS: Throughput is 1000 writes/s').verdict).toBeNull();
  });
});
