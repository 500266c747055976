/**
 * The API server's limit flags (`balsa server`, `balsa apiserver`), kube-apiserver's names
 * where it has the limit (see `apiserver/request-limits.ts` for what each one does):
 *
 *   --max-requests-inflight N               read-only requests at once (400; 0: no limit)
 *   --max-mutating-requests-inflight N      mutating requests at once (200; 0: no limit)
 *   --max-watches-per-client N              open watches per client (1000; 0: no limit)
 *   --max-requests-per-second-per-client R  average request rate per client (0: off)
 *   --max-request-burst-per-client N        requests at once after a quiet spell (default: R rounded up)
 *   --api-max-connections N                 open HTTP connections (4096; 0: no limit)
 *   --api-max-concurrent-streams N          HTTP/2 streams per gRPC connection (2400)
 */
import {
  DEFAULT_API_MAX_CONCURRENT_STREAMS,
  DEFAULT_API_MAX_CONNECTIONS,
  DEFAULT_REQUEST_LIMITS,
  requestLimitsProblem,
} from '../apiserver/request-limits.js';
import type { RequestLimitsOptions } from '../apiserver/request-limits.js';
import { UsageError } from './durations.js';

/** `parseArgs` options for the limit flags (no defaults: an absent flag keeps the limit's). */
export const LIMIT_FLAGS = {
  'max-requests-inflight': { type: 'string' },
  'max-mutating-requests-inflight': { type: 'string' },
  'max-watches-per-client': { type: 'string' },
  'max-requests-per-second-per-client': { type: 'string' },
  'max-request-burst-per-client': { type: 'string' },
  'api-max-connections': { type: 'string' },
  'api-max-concurrent-streams': { type: 'string' },
} as const;

export type LimitFlagName = keyof typeof LIMIT_FLAGS;

export const LIMIT_FLAG_NAMES = Object.keys(LIMIT_FLAGS) as LimitFlagName[];

/** For the usage lines. */
export const LIMIT_USAGE =
  `[--max-requests-inflight ${DEFAULT_REQUEST_LIMITS.maxRequestsInflight}] [--max-mutating-requests-inflight ${DEFAULT_REQUEST_LIMITS.maxMutatingRequestsInflight}] ` +
  `[--max-watches-per-client ${DEFAULT_REQUEST_LIMITS.maxWatchesPerClient}] [--max-requests-per-second-per-client 0] [--max-request-burst-per-client N] ` +
  `[--api-max-connections ${DEFAULT_API_MAX_CONNECTIONS}] [--api-max-concurrent-streams ${DEFAULT_API_MAX_CONCURRENT_STREAMS}]`;

export interface ApiLimits {
  readonly requestLimits: RequestLimitsOptions;
  readonly maxConnections: number;
  readonly maxConcurrentStreams: number;
}

/** The limits the flags in `values` set; `UsageError` for a bad value. */
export function parseLimitFlags(values: Partial<Record<LimitFlagName, string>>): ApiLimits {
  const whole = (flag: LimitFlagName, fallback: number): number => {
    const text = values[flag];
    if (text === undefined) return fallback;
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) throw new UsageError(`--${flag} must be a whole number, got "${text}"`);
    return Number(text);
  };
  const rateText = values['max-requests-per-second-per-client'] ?? '0';
  const rate = Number(rateText);
  if (rateText.trim() === '' || !Number.isFinite(rate) || rate < 0) throw new UsageError(`--max-requests-per-second-per-client must be a number >= 0 (0: off), got "${rateText}"`);
  const requestLimits: RequestLimitsOptions = {
    maxRequestsInflight: whole('max-requests-inflight', DEFAULT_REQUEST_LIMITS.maxRequestsInflight),
    maxMutatingRequestsInflight: whole('max-mutating-requests-inflight', DEFAULT_REQUEST_LIMITS.maxMutatingRequestsInflight),
    maxWatchesPerClient: whole('max-watches-per-client', DEFAULT_REQUEST_LIMITS.maxWatchesPerClient),
    maxRequestsPerSecondPerClient: rate,
    maxRequestBurstPerClient: whole('max-request-burst-per-client', rate === 0 ? 0 : Math.max(1, Math.ceil(rate))),
  };
  const problem = requestLimitsProblem(requestLimits);
  if (problem !== undefined) throw new UsageError(problem);
  const maxConcurrentStreams = whole('api-max-concurrent-streams', DEFAULT_API_MAX_CONCURRENT_STREAMS);
  if (maxConcurrentStreams < 1 || maxConcurrentStreams > 2 ** 32 - 1) throw new UsageError(`--api-max-concurrent-streams must be from 1 to ${2 ** 32 - 1}, got ${maxConcurrentStreams}`);
  return { requestLimits, maxConnections: whole('api-max-connections', DEFAULT_API_MAX_CONNECTIONS), maxConcurrentStreams };
}
