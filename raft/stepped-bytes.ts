/**
 * Joining large byte arrays without holding the event loop: a state machine's snapshot can
 * run to tens of megabytes, and one copy of that, on a machine where touching fresh memory
 * is slow, took long enough for a member to miss its heartbeats. The copy goes a slice at
 * a time, with `pause()` awaited between slices.
 */

/** Bytes copied between two pauses. */
export const BYTES_PER_STEP = 4 * 1024 * 1024;

/** `parts` joined into one array, `BYTES_PER_STEP` bytes at a time. */
export async function concatInSteps(parts: readonly Uint8Array[], pause: () => Promise<void>): Promise<Uint8Array> {
  let total = 0;
  for (const part of parts) total += part.byteLength;
  const out = new Uint8Array(total);
  let offset = 0;
  let sincePause = 0;
  for (const part of parts) {
    for (let from = 0; from < part.byteLength; ) {
      if (sincePause >= BYTES_PER_STEP) {
        await pause();
        sincePause = 0;
      }
      const length = Math.min(part.byteLength - from, BYTES_PER_STEP - sincePause);
      out.set(from === 0 && length === part.byteLength ? part : part.subarray(from, from + length), offset);
      offset += length;
      from += length;
      sincePause += length;
    }
  }
  return out;
}

/** A pause until the next turn of the event loop (after pending I/O callbacks). */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
