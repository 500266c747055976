/**
 * What `RaftNode` adds around the application's bytes, and how it is laid out:
 *
 * - A normal entry's data is a header (version, the proposing node instance's nonce, a
 *   sequence number) followed by the application's payload. The header lets the proposer
 *   find the promise to resolve when the entry is applied, on the leader or on a follower
 *   that forwarded it; the nonce is drawn afresh at each start, so that entries proposed
 *   before a restart never resolve promises made after it. Empty data is a leader's no-op.
 * - An address update (`RaftNode.updateMemberAddress`) is a normal entry of its own kind:
 *   the same header with another version byte, then the member's id and new address. It
 *   is the node's, never the application's: every member applies it to its address book
 *   at the same log index.
 * - A conf change's context carries the member's address (so every member learns where
 *   to reach it by applying the entry) and the same request identity.
 * - A snapshot's data is a header (the address book as of the snapshot) followed by the
 *   application's snapshot.
 */
import { randomBytes } from 'node:crypto';
import { pack, unpack } from 'msgpackr';
import { allocBytes } from './byte-slab.js';
import { concatInSteps } from './stepped-bytes.js';
import { assert } from './core/errors.js';
import type { NodeId } from './core/types.js';

const ENTRY_VERSION = 1;
/** The version byte of an address update entry. */
const ADDRESS_UPDATE_VERSION = 2;
/** Version byte, 8 nonce bytes, 8 sequence bytes. */
export const ENTRY_HEADER_BYTES = 17;

/**
 * Identifies one request made on one `RaftNode` instance (the nonce changes at each start).
 * The wire holds 8 bytes for each; a nonce is drawn below 2^53 (`drawNonce`), so it is an
 * exact number, and a 64-bit nonce written by an older version reads as a number that can
 * equal no nonce drawn now (or, below 2^53, only itself). Numbers, not bigints: this is
 * decoded for every entry on the commit path.
 */
export interface RequestId {
  readonly nonce: number;
  readonly seq: number;
}

const TWO_TO_32 = 0x1_0000_0000;

/** A fresh nonce: 53 random bits. */
export function drawNonce(): number {
  const bytes = randomBytes(8);
  return (bytes.readUInt32BE(0) & 0x1f_ffff) * TWO_TO_32 + bytes.readUInt32BE(4);
}

function readUint64(bytes: Uint8Array, offset: number): number {
  const high = ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>> 0;
  const low = ((bytes[offset + 4]! << 24) | (bytes[offset + 5]! << 16) | (bytes[offset + 6]! << 8) | bytes[offset + 7]!) >>> 0;
  return high * TWO_TO_32 + low;
}

export function encodeEntryData(id: RequestId, payload: Uint8Array): Uint8Array {
  return withHeader(ENTRY_VERSION, id, payload);
}

/** A member's new address, as `RaftNode.updateMemberAddress` replicates it. */
export interface AddressUpdate {
  readonly node: NodeId;
  readonly address: string;
}

export function encodeAddressUpdate(id: RequestId, update: AddressUpdate): Uint8Array {
  return withHeader(ADDRESS_UPDATE_VERSION, id, pack({ n: update.node, a: update.address }) as Uint8Array);
}

export type DecodedEntryData =
  /** `id` is null for data not written by a `RaftNode` (passed to the application as it is). */
  | { readonly kind: 'application'; readonly id: RequestId | null; readonly payload: Uint8Array }
  | { readonly kind: 'address'; readonly id: RequestId; readonly update: AddressUpdate };

export function decodeEntryData(data: Uint8Array): DecodedEntryData {
  const version = data[0];
  if (data.byteLength < ENTRY_HEADER_BYTES || (version !== ENTRY_VERSION && version !== ADDRESS_UPDATE_VERSION)) {
    return { kind: 'application', id: null, payload: data };
  }
  const id = { nonce: readUint64(data, 1), seq: readUint64(data, 9) };
  const payload = data.subarray(ENTRY_HEADER_BYTES);
  if (version === ENTRY_VERSION) return { kind: 'application', id, payload };
  const raw = unpack(payload) as { n?: unknown; a?: unknown };
  assert(typeof raw.n === 'number' && Number.isSafeInteger(raw.n) && raw.n > 0 && typeof raw.a === 'string' && raw.a !== '', 'a malformed address update entry');
  return { kind: 'address', id, update: { node: raw.n, address: raw.a } };
}

function withHeader(version: number, id: RequestId, payload: Uint8Array): Uint8Array {
  const out = allocBytes(ENTRY_HEADER_BYTES + payload.byteLength);
  out[0] = version;
  writeUint32(out, 1, Math.floor(id.nonce / TWO_TO_32));
  writeUint32(out, 5, id.nonce >>> 0);
  writeUint32(out, 9, Math.floor(id.seq / TWO_TO_32));
  writeUint32(out, 13, id.seq >>> 0);
  out.set(payload, ENTRY_HEADER_BYTES);
  return out;
}

function writeUint32(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value >>> 24;
  bytes[offset + 1] = value >>> 16;
  bytes[offset + 2] = value >>> 8;
  bytes[offset + 3] = value;
}

export interface ConfChangeContext {
  /** The address of the member being added; empty for other changes. */
  readonly address: string;
  readonly id: RequestId | null;
}

export function encodeConfContext(context: ConfChangeContext): Uint8Array {
  return pack({ a: context.address, n: context.id?.nonce.toString(16) ?? '', s: context.id?.seq ?? 0 });
}

export function decodeConfContext(data: Uint8Array | undefined): ConfChangeContext {
  if (data === undefined || data.byteLength === 0) return { address: '', id: null };
  try {
    const raw = unpack(data) as { a?: unknown; n?: unknown; s?: unknown };
    const address = typeof raw.a === 'string' ? raw.a : '';
    const id = typeof raw.n === 'string' && raw.n !== '' && typeof raw.s === 'number' ? { nonce: parseInt(raw.n, 16), seq: raw.s } : null;
    return { address, id };
  } catch {
    return { address: '', id: null };
  }
}

/** A member's id and the address its Raft transport listens on. */
export interface Member {
  readonly id: NodeId;
  readonly address: string;
}

const SNAPSHOT_VERSION = 1;

/**
 * Version byte, 4-byte header length, header (msgpack), then the application's data; the
 * application's bytes are copied a step at a time (see `concatInSteps`), as they may be
 * many.
 */
export function encodeSnapshotDataInSteps(addresses: ReadonlyMap<NodeId, string>, appData: Uint8Array, pause: () => Promise<void>): Promise<Uint8Array> {
  return concatInSteps([snapshotDataPrefix(addresses), appData], pause);
}

function snapshotDataPrefix(addresses: ReadonlyMap<NodeId, string>): Uint8Array {
  const header = pack({ members: [...addresses].map(([id, address]) => [id, address]) }) as Uint8Array;
  const prefix = new Uint8Array(5 + header.byteLength);
  prefix[0] = SNAPSHOT_VERSION;
  new DataView(prefix.buffer).setUint32(1, header.byteLength);
  prefix.set(header, 5);
  return prefix;
}

export function decodeSnapshotData(data: Uint8Array): { addresses: Map<NodeId, string>; appData: Uint8Array } {
  assert(data.byteLength >= 5 && data[0] === SNAPSHOT_VERSION, 'snapshot data without a RaftNode header');
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const headerBytes = view.getUint32(1);
  const header = unpack(data.subarray(5, 5 + headerBytes)) as { members: [NodeId, string][] };
  return { addresses: new Map(header.members), appData: data.subarray(5 + headerBytes) };
}
