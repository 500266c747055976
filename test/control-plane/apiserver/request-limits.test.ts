/**
 * The API server's admission rules (`request-limits.ts`) without a server: in-flight
 * limits apart for reads and writes, long-running requests and probes not counted, watches
 * per client, a token bucket per client, and how requests and clients are told apart.
 */
import { ApiError } from '../../../control-plane/apiserver/errors.js';
import { peerAddress } from '../../../control-plane/apiserver/grpc-admission.js';
import {
  clientKey,
  grpcRequestKind,
  httpRequestKind,
  RequestLimits,
  TOO_MANY_REQUESTS_MESSAGE,
} from '../../../control-plane/apiserver/request-limits.js';
import type { RequestLimitsOptions } from '../../../control-plane/apiserver/request-limits.js';

const NONE: RequestLimitsOptions = { maxRequestsInflight: 0, maxMutatingRequestsInflight: 0, maxWatchesPerClient: 0, maxRequestsPerSecondPerClient: 0, maxRequestBurstPerClient: 0 };

function refusal(admit: () => unknown): ApiError {
  try {
    admit();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('admitted');
}

test('a privileged client (system:masters) always gets an answer: past the in-flight limit uncounted, never rate-limited', () => {
  const limits = new RequestLimits({ ...NONE, maxMutatingRequestsInflight: 1, maxRequestsPerSecondPerClient: 0.001, maxRequestBurstPerClient: 1 });
  const held = limits.admit('user:admin', 'mutating', true);
  expect(limits.inflight.mutating).toBe(1);
  expect(refusal(() => limits.admit('user:bob', 'mutating')).reason).toBe('TooManyRequests');
  const past = [limits.admit('user:admin', 'mutating', true), limits.admit('user:admin', 'mutating', true)];
  expect(limits.inflight.mutating).toBe(1);
  for (const release of past) release();
  held();
  expect(limits.inflight.mutating).toBe(0);
  // bob spent his one token above; the administrator has no bucket to empty.
  expect(refusal(() => limits.admit('user:bob', 'mutating')).reason).toBe('TooManyRequests');
  for (let i = 0; i < 5; i++) limits.admit('user:admin', 'readonly', true)();
});

test('in flight: reads and writes each up to their limit, refused with Kubernetes\' 429 past it, admitted again once one ends', () => {
  const limits = new RequestLimits({ ...NONE, maxRequestsInflight: 2, maxMutatingRequestsInflight: 1 });
  const reads = [limits.admit('a', 'readonly'), limits.admit('b', 'readonly')];
  const write = limits.admit('a', 'mutating');
  const refused = refusal(() => limits.admit('c', 'readonly'));
  expect(refused.toStatus()).toEqual({
    apiVersion: 'v1', kind: 'Status', metadata: {}, status: 'Failure',
    message: TOO_MANY_REQUESTS_MESSAGE, reason: 'TooManyRequests', code: 429, details: { retryAfterSeconds: 1 },
  });
  expect(TOO_MANY_REQUESTS_MESSAGE).toBe('Too many requests, please try again later.');
  expect(refusal(() => limits.admit('c', 'mutating')).reason).toBe('TooManyRequests');
  // Long-running requests and probes take no slot.
  limits.admit('a', 'long-running');
  limits.admit('a', 'exempt');
  reads[0]!();
  reads[0]!(); // a second release frees nothing more
  limits.admit('c', 'readonly');
  expect(refusal(() => limits.admit('d', 'readonly')).reason).toBe('TooManyRequests');
  write();
  limits.admit('c', 'mutating');
  expect(limits.refused).toBe(3);
});

test('watches: each client up to its own limit, its other requests unaffected', () => {
  const limits = new RequestLimits({ ...NONE, maxWatchesPerClient: 2, maxRequestsInflight: 10 });
  const first = limits.admit('address:127.0.0.1', 'watch');
  limits.admit('address:127.0.0.1', 'watch');
  const refused = refusal(() => limits.admit('address:127.0.0.1', 'watch'));
  expect(refused.message).toBe('too many watches: this client has 2 open, the most the server allows per client (--max-watches-per-client); end some before starting more');
  expect(refused.httpCode).toBe(429);
  limits.admit('address:127.0.0.1', 'readonly');
  limits.admit('address:127.0.0.2', 'watch');
  first();
  limits.admit('address:127.0.0.1', 'watch');
});

test('rate: a bucket of burst tokens per client, refilled at the rate; the refusal says when one is back', () => {
  let now = 1_000_000;
  const limits = new RequestLimits({ ...NONE, maxRequestsPerSecondPerClient: 0.5, maxRequestBurstPerClient: 2 }, () => now);
  limits.admit('a', 'readonly');
  limits.admit('a', 'watch');
  const refused = refusal(() => limits.admit('a', 'mutating'));
  expect(refused.message).toBe(TOO_MANY_REQUESTS_MESSAGE);
  expect(refused.details?.retryAfterSeconds).toBe(2);
  limits.admit('b', 'readonly'); // another client's bucket
  limits.admit('a', 'exempt');
  now += 1000; // half a token back
  expect(refusal(() => limits.admit('a', 'readonly')).details?.retryAfterSeconds).toBe(1);
  now += 1000;
  limits.admit('a', 'readonly');
});

test('bad limits are refused with the flag\'s name', () => {
  expect(() => new RequestLimits({ ...NONE, maxWatchesPerClient: -1 })).toThrow('--max-watches-per-client must be a whole number (0: no limit), got -1');
  expect(() => new RequestLimits({ ...NONE, maxRequestsPerSecondPerClient: 5 })).toThrow('--max-request-burst-per-client must be at least 1 when --max-requests-per-second-per-client is set');
});

test('how requests count, and who sent them', () => {
  const q = (text: string) => new URLSearchParams(text);
  expect(httpRequestKind('GET', '/readyz', q(''))).toBe('exempt');
  expect(httpRequestKind('GET', '/api/v1/pods', q('watch=1'))).toBe('watch');
  expect(httpRequestKind('GET', '/api/v1/pods', q('watch=true'))).toBe('watch');
  expect(httpRequestKind('GET', '/api/v1/pods', q('watch=0'))).toBe('readonly');
  expect(httpRequestKind('GET', '/api/v1/namespaces/d/pods/p/log', q('follow=true'))).toBe('long-running');
  expect(httpRequestKind('POST', '/api/v1/namespaces/d/pods', q('watch=1'))).toBe('mutating');
  expect(httpRequestKind('DELETE', '/api/v1/namespaces/d/pods/p', q(''))).toBe('mutating');
  expect(['Get', 'List', 'Watch', 'Create', 'Bind'].map(grpcRequestKind)).toEqual(['readonly', 'readonly', 'watch', 'mutating', 'mutating']);
  expect(clientKey({ remoteAddress: '::ffff:127.0.0.1' })).toBe('address:127.0.0.1');
  expect(clientKey({ remoteAddress: '::1' })).toBe('address:::1');
  expect(clientKey({ user: 'system:node:n1', remoteAddress: '127.0.0.1' })).toBe('user:system:node:n1');
  expect([peerAddress('127.0.0.1:5000'), peerAddress('[::1]:5000'), peerAddress('::1:5000')]).toEqual(['127.0.0.1', '::1', '::1']);
});
