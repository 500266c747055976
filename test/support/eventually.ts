/**
 * Waiting for a cluster to get somewhere, without asserting on how long it takes: poll an
 * async check until it stops throwing (its last error is the failure), with a generous
 * timeout for a busy machine.
 */

/** How long `eventually` polls by default, in ms. */
export const EVENTUALLY_TIMEOUT_MS = 30_000;

/** Polls `check` until it stops throwing, or rethrows its last error after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = EVENTUALLY_TIMEOUT_MS, pollMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }
}
