/**
 * `etcdctl check perf --load=<s|m|l>`: etcdctl's own 60-second write test of a cluster
 * (a fixed rate of puts from many clients under `/etcdctl-check-perf/`), run by
 * `bench/kv.ts` against each system. What etcdctl 3.4 prints at the end, one check a line:
 *
 *     PASS: Throughput is 974 writes/s          FAIL: Throughput too low: 6491 writes/s
 *     PASS: Slowest request took 0.468174s      Slowest request took too long: 0.786915s
 *     PASS: Stddev is 0.028241s                 FAIL: Stddev too high: 0.120000s
 *     PASS                                      FAIL
 *
 * `parseCheckPerf` reads those into figures and the verdict; anything else (an error such
 * as a prefix that is not empty) leaves the verdict missing, which counts as a failure.
 */
import { runEtcdctl } from '../kv/testing/etcd-tools.js';

export type CheckPerfLoad = 's' | 'm' | 'l' | 'xl';

export const CHECK_PERF_LOADS: readonly CheckPerfLoad[] = ['s', 'm', 'l', 'xl'];

/** The check runs for 60 s; this leaves room for its set-up and clean-up on a slow machine. */
const CHECK_PERF_TIMEOUT_MS = 240_000;

export interface CheckPerfOutcome {
  /** The final verdict line was PASS. */
  readonly passed: boolean;
  /** `PASS`, `FAIL`, or null when etcdctl did not get as far as a verdict. */
  readonly verdict: 'PASS' | 'FAIL' | null;
  readonly throughputWritesPerS: number | null;
  readonly slowestRequestS: number | null;
  readonly stddevS: number | null;
  /** The check lines (`PASS: …`, `FAIL: …`, …) and error lines, progress bar left out. */
  readonly lines: readonly string[];
}

export interface CheckPerfResult extends CheckPerfOutcome {
  readonly load: CheckPerfLoad;
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  readonly seconds: number;
}

function figure(pattern: RegExp, text: string): number | null {
  const match = pattern.exec(text);
  return match === null ? null : Number(match[1]);
}

/** The figures and verdict in etcdctl check perf's output (stdout and stderr together). */
export function parseCheckPerf(output: string): CheckPerfOutcome {
  const lines = output
    .split(/\r\n|\r|\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !/\d+ \/ \d+ /.test(line));
  const verdictLine = [...lines].reverse().find((line) => line === 'PASS' || line === 'FAIL');
  const verdict = verdictLine === 'PASS' || verdictLine === 'FAIL' ? verdictLine : null;
  return {
    passed: verdict === 'PASS',
    verdict,
    throughputWritesPerS: figure(/Throughput (?:is|too low:) ([\d.]+) writes\/s/, output),
    slowestRequestS: figure(/Slowest request took(?: too long:)? ([\d.]+)s/, output),
    stddevS: figure(/Stddev (?:is|too high:) ([\d.]+)s/, output),
    lines,
  };
}

/** Run the check against `endpoints` (`host:port`) and read its outcome. */
export async function runCheckPerf(etcdctl: string, endpoints: readonly string[], load: CheckPerfLoad): Promise<CheckPerfResult> {
  const started = Date.now();
  const result = await runEtcdctl(etcdctl, ['check', 'perf', `--load=${load}`], { endpoints, timeoutMs: CHECK_PERF_TIMEOUT_MS });
  const outcome = parseCheckPerf(`${result.stdout}\n${result.stderr}`);
  return {
    load,
    ...outcome,
    passed: outcome.passed && result.code === 0,
    exitCode: result.code,
    timedOut: result.timedOut,
    seconds: Math.round((Date.now() - started) / 100) / 10,
  };
}
