/**
 * How Balsa's clients (the gRPC client of the components, the CLI's HTTP client, informers)
 * answer 429 TooManyRequests: by trying again later, so that a busy server slows its
 * clients down instead of failing them. A refused request did nothing on the server (the
 * limits refuse before anything is read), so any request, a write too, may be sent again.
 *
 * The wait is at least what the server asked for (`Retry-After`, or the Status's
 * `retryAfterSeconds`), at least an exponential back-off, and at most
 * `TOO_MANY_REQUESTS_WAIT_MS_MAX`, plus up to a fifth of it at random so that clients
 * refused together do not come back together. After `TOO_MANY_REQUESTS_ATTEMPTS_MAX`
 * attempts (client-go also stops after 10) the 429 is the answer.
 */

/** Attempts of one request refused with 429, the first included. */
export const TOO_MANY_REQUESTS_ATTEMPTS_MAX = 10;
/** The back-off after the first refusal, doubling with each one after it… */
export const TOO_MANY_REQUESTS_BACKOFF_MS_MIN = 250;
/** …up to this; a longer Retry-After is cut to it too. */
export const TOO_MANY_REQUESTS_WAIT_MS_MAX = 10_000;
/** The random share added to a wait. */
const JITTER_FRACTION = 0.2;

/**
 * How long to wait after the `refusals`-th refusal in a row (1 for the first), given the
 * server's Retry-After in seconds (undefined when it sent none).
 */
export function tooManyRequestsWaitMs(refusals: number, retryAfterSeconds: number | undefined, random: () => number = Math.random): number {
  const backoff = TOO_MANY_REQUESTS_BACKOFF_MS_MIN * 2 ** Math.max(0, refusals - 1);
  const asked = retryAfterSeconds !== undefined && Number.isFinite(retryAfterSeconds) && retryAfterSeconds > 0 ? retryAfterSeconds * 1000 : 0;
  const wait = Math.min(TOO_MANY_REQUESTS_WAIT_MS_MAX, Math.max(backoff, asked));
  return Math.round(wait * (1 + JITTER_FRACTION * random()));
}

/** The seconds of an HTTP `Retry-After` header (its delay form; a date or nonsense: undefined). */
export function retryAfterSecondsOf(header: string | null | undefined): number | undefined {
  if (header === null || header === undefined || !/^\s*\d+\s*$/.test(header)) return undefined;
  return Number(header);
}
