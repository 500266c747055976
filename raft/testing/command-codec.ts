/**
 * How simulated clients' writes travel in log entries: the text `w:<id>` with a positive
 * integer id, unique per run. An empty payload is a leader's no-op (§5.4.2 / §8).
 * Membership changes travel as the core encodes them; the simulator identifies each one
 * by a negative hash of its bytes, so that the checkers compare them like any payload.
 */
import { EntryType } from '../core/types.js';
import type { Entry } from '../core/types.js';

/** The payload identity of a no-op entry. */
export const NOOP_PAYLOAD = 0;

const encoder = new TextEncoder();
const PREFIX_W = 0x77; // 'w'
const COLON = 0x3a; // ':'
const DIGIT_0 = 0x30;
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

export function encodeWrite(id: number): Uint8Array {
  if (!Number.isSafeInteger(id) || id <= 0) throw new Error(`write id must be a positive integer, got ${id}`);
  return encoder.encode(`w:${id}`);
}

/**
 * The payload identity of an entry: the write id (> 0), `NOOP_PAYLOAD` for an empty
 * normal entry, or a negative hash of a membership change's bytes. Anything else is not
 * something the simulator proposes, so it throws.
 */
export function payloadOf(entry: Entry): number {
  if (entry.type === EntryType.ConfChange) return confChangePayload(entry.data);
  if (entry.type !== EntryType.Normal) throw new Error(`unexpected entry type ${entry.type} at index ${entry.index}`);
  const data = entry.data;
  if (data.byteLength === 0) return NOOP_PAYLOAD;
  if (data.byteLength < 3 || data[0] !== PREFIX_W || data[1] !== COLON) throw new Error(`unexpected payload at index ${entry.index}`);
  let id = 0;
  for (let i = 2; i < data.byteLength; i++) {
    const digit = data[i]! - DIGIT_0;
    if (digit < 0 || digit > 9) throw new Error(`unexpected payload at index ${entry.index}`);
    id = id * 10 + digit;
  }
  return id;
}

/** A membership change's payload identity: −1 − (31-bit FNV-1a of its bytes), always < 0. */
export function confChangePayload(data: Uint8Array): number {
  let hash = FNV_OFFSET;
  for (let i = 0; i < data.byteLength; i++) hash = Math.imul(hash ^ data[i]!, FNV_PRIME);
  return -1 - ((hash >>> 0) & 0x7fffffff);
}

/** True for the payload identity of a membership change. */
export function isConfChangePayload(payload: number): boolean {
  return payload < 0;
}
