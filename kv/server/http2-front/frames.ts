/**
 * The few facts of HTTP/2 framing (RFC 9113 §3.4, §4, §6) the front and its router need:
 * the client preface, the 9-octet frame header, the layout of a HEADERS payload, and how to
 * send a header block as HEADERS and CONTINUATION frames.
 */
import { Http2FrontError } from './errors.js';

/** What a client sends first (§3.4), before its SETTINGS frame. */
export const CLIENT_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** Length (24 bits), type, flags, reserved bit and stream id (31 bits) (§4.1). */
export const FRAME_HEADER_BYTES = 9;

/**
 * SETTINGS_MAX_FRAME_SIZE's initial value and floor (§6.5.2): every peer accepts frames
 * this large, whatever it advertises, so frames the front writes never exceed it.
 */
export const MIN_MAX_FRAME_BYTES = 16_384;

/** Frame types (§6). */
export const FRAME_HEADERS = 0x1;
export const FRAME_PRIORITY = 0x2;
export const FRAME_SETTINGS = 0x4;
export const FRAME_PUSH_PROMISE = 0x5;
export const FRAME_PING = 0x6;
export const FRAME_WINDOW_UPDATE = 0x8;
export const FRAME_CONTINUATION = 0x9;

/** Flags (§6): ACK on SETTINGS and PING; the others on HEADERS. */
export const FLAG_ACK = 0x1;
export const FLAG_END_STREAM = 0x1;
export const FLAG_END_HEADERS = 0x4;
export const FLAG_PADDED = 0x8;
export const FLAG_PRIORITY = 0x20;

/** A HEADERS frame's stream dependency and weight (§6.2): 5 octets. */
const PRIORITY_BYTES = 5;

export interface FrameHeader {
  /** Payload length in octets. */
  readonly length: number;
  readonly type: number;
  readonly flags: number;
  readonly streamId: number;
}

/** The frame header at `offset` (FRAME_HEADER_BYTES octets must be there). */
export function readFrameHeader(bytes: Uint8Array, offset: number): FrameHeader {
  return {
    length: (bytes[offset]! << 16) | (bytes[offset + 1]! << 8) | bytes[offset + 2]!,
    type: bytes[offset + 3]!,
    flags: bytes[offset + 4]!,
    streamId: ((bytes[offset + 5]! & 0x7f) * 2 ** 24) + ((bytes[offset + 6]! << 16) | (bytes[offset + 7]! << 8) | bytes[offset + 8]!),
  };
}

function writeFrameHeader(target: Buffer, offset: number, header: FrameHeader): void {
  target[offset] = header.length >>> 16;
  target[offset + 1] = (header.length >>> 8) & 0xff;
  target[offset + 2] = header.length & 0xff;
  target[offset + 3] = header.type;
  target[offset + 4] = header.flags;
  target.writeUInt32BE(header.streamId, offset + 5);
}

export interface HeadersPayload {
  /** Stream dependency and weight, when the PRIORITY flag is set. */
  readonly priority: Buffer | null;
  /** The field block fragment, without padding. */
  readonly fragment: Buffer;
}

/** A HEADERS frame's payload taken apart (§6.2). Padding as long as the frame is a PROTOCOL_ERROR. */
export function parseHeadersPayload(payload: Buffer, flags: number): HeadersPayload {
  let start = 0;
  let end = payload.length;
  if (flags & FLAG_PADDED) {
    if (payload.length < 1) throw new Http2FrontError('frame', 'a PADDED HEADERS frame without its pad length');
    const padding = payload[0]!;
    start = 1;
    end -= padding;
  }
  let priority: Buffer | null = null;
  if (flags & FLAG_PRIORITY) {
    priority = payload.subarray(start, start + PRIORITY_BYTES);
    start += PRIORITY_BYTES;
  }
  if (end < start) throw new Http2FrontError('frame', 'HEADERS padding longer than the frame');
  return { priority, fragment: payload.subarray(start, end) };
}

/**
 * `block` as a HEADERS frame on `streamId` followed by as many CONTINUATION frames as it
 * takes (§6.10), none longer than `maxFrameBytes`, without padding. `endStream` and
 * `priority` are the original HEADERS frame's.
 */
export function frameHeaderBlock(streamId: number, block: Uint8Array, endStream: boolean, priority: Uint8Array | null, maxFrameBytes = MIN_MAX_FRAME_BYTES): Buffer {
  const priorityBytes = priority === null ? 0 : PRIORITY_BYTES;
  const firstFragment = Math.min(block.length, maxFrameBytes - priorityBytes);
  const continuations = Math.ceil((block.length - firstFragment) / maxFrameBytes);
  const out = Buffer.allocUnsafe((1 + continuations) * FRAME_HEADER_BYTES + priorityBytes + block.length);
  let offset = 0;
  let consumed = 0;
  for (let frame = 0; frame <= continuations; frame++) {
    const first = frame === 0;
    const fragment = first ? firstFragment : Math.min(block.length - consumed, maxFrameBytes);
    let flags = frame === continuations ? FLAG_END_HEADERS : 0;
    if (first && endStream) flags |= FLAG_END_STREAM;
    if (first && priority !== null) flags |= FLAG_PRIORITY;
    writeFrameHeader(out, offset, {
      length: fragment + (first ? priorityBytes : 0),
      type: first ? FRAME_HEADERS : FRAME_CONTINUATION,
      flags,
      streamId,
    });
    offset += FRAME_HEADER_BYTES;
    if (first && priority !== null) {
      out.set(priority.subarray(0, PRIORITY_BYTES), offset);
      offset += PRIORITY_BYTES;
    }
    out.set(block.subarray(consumed, consumed + fragment), offset);
    offset += fragment;
    consumed += fragment;
  }
  return out;
}
