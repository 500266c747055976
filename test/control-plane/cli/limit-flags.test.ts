/** The API server's limit flags (`limit-flags.ts`): defaults, values, and refusals that name the flag. */
import { parseLimitFlags } from '../../../control-plane/cli/limit-flags.js';

test("defaults: kube-apiserver's in-flight limits, 1000 watches per client, no rate limit, 4096 connections, 2400 streams", () => {
  expect(parseLimitFlags({})).toEqual({
    requestLimits: { maxRequestsInflight: 400, maxMutatingRequestsInflight: 200, maxWatchesPerClient: 1000, maxRequestsPerSecondPerClient: 0, maxRequestBurstPerClient: 0 },
    maxConnections: 4096,
    maxConcurrentStreams: 2400,
  });
});

test('values; a rate without a burst gets the rate rounded up as its burst', () => {
  const limits = parseLimitFlags({ 'max-requests-inflight': '0', 'max-watches-per-client': '5', 'max-requests-per-second-per-client': '2.5', 'api-max-connections': '10', 'api-max-concurrent-streams': '64' });
  expect(limits).toEqual({
    requestLimits: { maxRequestsInflight: 0, maxMutatingRequestsInflight: 200, maxWatchesPerClient: 5, maxRequestsPerSecondPerClient: 2.5, maxRequestBurstPerClient: 3 },
    maxConnections: 10,
    maxConcurrentStreams: 64,
  });
  expect(parseLimitFlags({ 'max-requests-per-second-per-client': '10', 'max-request-burst-per-client': '50' }).requestLimits.maxRequestBurstPerClient).toBe(50);
});

test('bad values name the flag', () => {
  expect(() => parseLimitFlags({ 'max-watches-per-client': '-1' })).toThrow('--max-watches-per-client must be a whole number, got "-1"');
  expect(() => parseLimitFlags({ 'max-requests-per-second-per-client': 'fast' })).toThrow('--max-requests-per-second-per-client must be a number >= 0 (0: off), got "fast"');
  expect(() => parseLimitFlags({ 'max-requests-per-second-per-client': '5', 'max-request-burst-per-client': '0' })).toThrow(
    '--max-request-burst-per-client must be at least 1 when --max-requests-per-second-per-client is set',
  );
  expect(() => parseLimitFlags({ 'api-max-concurrent-streams': '0' })).toThrow('--api-max-concurrent-streams must be from 1 to 4294967295, got 0');
});
