/**
 * Splitting one watch response's events into fragments, for watchers that asked for
 * `fragment` (etcd's rule): a response smaller than the limit, or with a single event,
 * goes whole; otherwise each fragment takes events while it stays under the limit, and
 * always at least one. Every fragment but the last carries `fragment: true`.
 */
import type { KvEvent } from '../mvcc/types.js';
import { assert } from './errors.js';
import { eventFieldBytes, RESPONSE_OVERHEAD_BYTES, responseBytes } from './wire-size.js';

export function splitIntoFragments(events: readonly KvEvent[], maxResponseBytes: number): (readonly KvEvent[])[] {
  assert(maxResponseBytes > RESPONSE_OVERHEAD_BYTES, 'fragment: limit below the response overhead');
  if (events.length < 2 || responseBytes(events) < maxResponseBytes) return [events];
  const fragments: KvEvent[][] = [];
  let current: KvEvent[] = [];
  let bytes = RESPONSE_OVERHEAD_BYTES;
  for (const event of events) {
    const eventBytes = eventFieldBytes(event);
    if (current.length > 0 && bytes + eventBytes >= maxResponseBytes) {
      fragments.push(current);
      current = [];
      bytes = RESPONSE_OVERHEAD_BYTES;
    }
    current.push(event);
    bytes += eventBytes;
  }
  fragments.push(current);
  return fragments;
}
