/**
 * One probe attempt's result, and the deadline every attempt runs under.
 *
 * Three outcomes, as in the kubelet: `success` and `failure` are the container's answer
 * and count towards the thresholds; `error` means the prober could not ask (a port name
 * the container does not have, a runtime that could not exec): it is reported but never
 * counted, so that a misconfiguration does not get a healthy container restarted.
 */
import { PROBE_MESSAGE_CHARS_MAX } from './constants.js';
import type { ProbeClock } from './probe-clock.js';

export type ProbeOutcome = 'success' | 'failure' | 'error';

export interface ProbeResult {
  readonly outcome: ProbeOutcome;
  /** Why it failed or errored (for the `Unhealthy` Event), at most `PROBE_MESSAGE_CHARS_MAX` characters; `''` on success. */
  readonly message: string;
}

/** What an attempt runs with. */
export interface AttemptContext {
  readonly clock: ProbeClock;
  /** The probe's `timeoutSeconds` in ms: the attempt fails when it has not finished by then. */
  readonly timeoutMs: number;
  /** Aborted when the prober stops: the attempt drops its sockets and processes at once. */
  readonly signal: AbortSignal;
}

export const SUCCESS: ProbeResult = { outcome: 'success', message: '' };

export function failure(message: string): ProbeResult {
  return { outcome: 'failure', message: boundMessage(message) };
}

export function probeError(message: string): ProbeResult {
  return { outcome: 'error', message: boundMessage(message) };
}

function boundMessage(message: string): string {
  return message.length <= PROBE_MESSAGE_CHARS_MAX ? message : `${message.slice(0, PROBE_MESSAGE_CHARS_MAX - 1)}…`;
}

/** An error's message; duck-typed, since an error may come from another realm (`instanceof Error` would miss it). */
export function errorMessage(error: unknown): string {
  const message = (error as { message?: unknown } | null | undefined)?.message;
  return typeof message === 'string' ? message : String(error);
}

/** `1s`, `1.5s`: a timeout as Go prints a duration in the kubelet's messages. */
export function formatSeconds(ms: number): string {
  return `${ms / 1000}s`;
}

/**
 * Runs `work` under the attempt's deadline: resolves with its result, or with
 * `timedOut()` once `timeoutMs` has passed, or with an error result when the prober stops
 * first. Whichever comes first wins; the signal handed to `work` is aborted once the race
 * is decided, and `work` must then release what it still holds (a later result is ignored).
 */
export function runWithDeadline(
  context: AttemptContext,
  work: (signal: AbortSignal) => Promise<ProbeResult>,
  timedOut: () => ProbeResult,
): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const abort = new AbortController();
    let settled = false;
    const settle = (result: ProbeResult): void => {
      if (settled) return;
      settled = true;
      cancelDeadline();
      context.signal.removeEventListener('abort', onStop);
      // Whatever `work` still holds (a socket, a process) is released, whoever won.
      abort.abort();
      resolve(result);
    };
    const onStop = (): void => settle(probeError('probe stopped'));
    const cancelDeadline = context.clock.schedule(context.timeoutMs, () => settle(timedOut()));
    if (context.signal.aborted) {
      onStop();
      return;
    }
    context.signal.addEventListener('abort', onStop, { once: true });
    work(abort.signal).then(settle, (error: unknown) => settle(probeError(errorMessage(error))));
  });
}
