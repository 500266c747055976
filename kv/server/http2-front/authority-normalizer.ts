/**
 * The client-to-server half of one connection through the front: bytes in, bytes out,
 * identical except for header blocks whose `:authority` or `host` carries a scheme or a
 * path (see `authority.ts`), which go out re-encoded with the authority alone.
 *
 * It follows the frames (RFC 9113 §4.1) without buffering any but HEADERS and CONTINUATION,
 * and decodes every header block with the client's HPACK state (RFC 7541), so as to know
 * the authority of each request. A block that needs no change goes out as it came, byte
 * for byte (padding included), until the first one that does. That one, and every block
 * after it on the connection, goes out re-encoded by `hpack-encoder.ts`, which never adds
 * to the server's dynamic table: the client's encoder assumes entries the server never
 * got, so from then on no block may go out as it came. Everything else (DATA, SETTINGS,
 * PING, ...) passes through untouched, and the server-to-client half is not seen here.
 *
 * Bytes it cannot follow (no preface, a broken frame, an undecodable header block, a
 * header block longer than `maxHeaderBlockBytes`) it hands on untouched, from then on, so
 * that the server answers them as it always did (nghttp2's GOAWAY), as long as it has
 * rewritten nothing yet. After a rewrite the server's HPACK state is no longer the
 * client's: `push` throws, and the connection must be closed.
 */
import { normalizedFields } from './authority.js';
import { Http2FrontError } from './errors.js';
import {
  CLIENT_PREFACE,
  FLAG_END_HEADERS,
  FLAG_END_STREAM,
  FRAME_CONTINUATION,
  FRAME_HEADER_BYTES,
  FRAME_HEADERS,
  FRAME_PUSH_PROMISE,
  frameHeaderBlock,
  parseHeadersPayload,
  readFrameHeader,
} from './frames.js';
import type { FrameHeader } from './frames.js';
import { encodeHeaderBlock } from './hpack-encoder.js';
import { HpackDecoder } from './hpack-decoder.js';

/**
 * - `passing`: every header block so far went out as it came.
 * - `rewriting`: a block has been rewritten; every block from now on is re-encoded.
 * - `transparent`: the front has stepped aside (bytes it could not follow); all bytes pass.
 */
export type NormalizerMode = 'passing' | 'rewriting' | 'transparent';

export interface AuthorityNormalizerOptions {
  /** The longest header block (its frames' payloads) held before it is complete, in octets. */
  readonly maxHeaderBlockBytes: number;
  /** The server's SETTINGS_HEADER_TABLE_SIZE, in octets (see `HpackDecoder`). */
  readonly headerTableBytes: number;
}

/** A header block being collected: its HEADERS frame, then CONTINUATION frames until END_HEADERS. */
interface OpenBlock {
  readonly streamId: number;
  readonly endStream: boolean;
  readonly priority: Buffer | null;
  readonly fragments: Buffer[];
  /** Payload octets of its frames so far (padding included). */
  payloadBytes: number;
}

export class AuthorityNormalizer {
  private state: NormalizerMode = 'passing';
  private readonly decoder: HpackDecoder;
  /** Preface octets checked so far. */
  private prefaceBytes = 0;
  /** The current frame header's octets (also in `pending`), and how many have come. */
  private readonly frameHeader = Buffer.alloc(FRAME_HEADER_BYTES);
  private frameHeaderBytes = 0;
  /** The frame whose payload is being read, once its header is complete. */
  private frame: FrameHeader | null = null;
  private payloadLeft = 0;
  /** Payload pieces of the current HEADERS or CONTINUATION frame. */
  private payload: Buffer[] = [];
  private block: OpenBlock | null = null;
  /** Octets read but not yet sent on (a frame header, a header block), in order: what a step aside would send. */
  private pending: Buffer[] = [];
  /** Header blocks rewritten so far. */
  private rewrites = 0;
  /** Where `push` is in its chunk. */
  private offset = 0;

  constructor(private readonly options: AuthorityNormalizerOptions) {
    this.decoder = new HpackDecoder(options.headerTableBytes);
  }

  get mode(): NormalizerMode {
    return this.state;
  }

  /** How many header blocks had their authority rewritten. */
  get rewrittenBlocks(): number {
    return this.rewrites;
  }

  /**
   * The octets to send on for `chunk` (null: none yet; the chunk itself when nothing in it
   * changed). Throws `Http2FrontError` when the connection cannot go on (see the file comment).
   */
  push(chunk: Buffer): Buffer | null {
    if (this.state === 'transparent') return chunk;
    const out = new Output();
    this.offset = 0;
    try {
      while (this.offset < chunk.length) this.step(chunk, out);
    } catch (error) {
      if (!(error instanceof Http2FrontError) || this.state !== 'passing') throw error;
      // Step aside: what was held, then the rest, exactly as the client sent them.
      this.state = 'transparent';
      for (const piece of this.pending) out.add(piece);
      out.add(chunk.subarray(this.offset));
      this.pending = [];
      this.payload = [];
      this.block = null;
    }
    return out.result(chunk);
  }

  /**
   * Consume octets of `chunk` from `offset` on. Octets move to `out` or `pending` and
   * `offset` past them before anything can throw, so that a step aside sends each once.
   */
  private step(chunk: Buffer, out: Output): void {
    if (this.prefaceBytes < CLIENT_PREFACE.length) return this.readPreface(chunk, out);
    if (this.frame === null) return this.readFrameHeader(chunk, out);
    const take = Math.min(this.payloadLeft, chunk.length - this.offset);
    const piece = chunk.subarray(this.offset, this.offset + take);
    this.offset += take;
    if (carriesHeaderBlock(this.frame)) {
      this.payload.push(piece);
      this.pending.push(piece);
    } else {
      out.add(piece);
    }
    this.payloadLeft -= take;
    if (this.payloadLeft === 0) this.endFrame(out);
  }

  private readPreface(chunk: Buffer, out: Output): void {
    const take = Math.min(CLIENT_PREFACE.length - this.prefaceBytes, chunk.length - this.offset);
    if (chunk.compare(CLIENT_PREFACE, this.prefaceBytes, this.prefaceBytes + take, this.offset, this.offset + take) !== 0) {
      throw new Http2FrontError('preface', 'the connection does not start with the HTTP/2 client preface');
    }
    out.add(chunk.subarray(this.offset, this.offset + take));
    this.offset += take;
    this.prefaceBytes += take;
  }

  private readFrameHeader(chunk: Buffer, out: Output): void {
    const take = Math.min(FRAME_HEADER_BYTES - this.frameHeaderBytes, chunk.length - this.offset);
    const piece = chunk.subarray(this.offset, this.offset + take);
    this.offset += take;
    this.pending.push(piece);
    this.frameHeader.set(piece, this.frameHeaderBytes);
    this.frameHeaderBytes += take;
    if (this.frameHeaderBytes < FRAME_HEADER_BYTES) return;
    const frame = readFrameHeader(this.frameHeader, 0);
    this.frameHeaderBytes = 0;
    this.frame = frame;
    this.payloadLeft = frame.length;
    this.startFrame(frame, out);
    if (frame.length === 0) this.endFrame(out);
  }

  /** A frame header is complete (its octets are the last of `pending`). */
  private startFrame(frame: FrameHeader, out: Output): void {
    const open = this.block;
    if (frame.type === FRAME_PUSH_PROMISE) throw new Http2FrontError('frame', 'a client sent PUSH_PROMISE');
    if (frame.type === FRAME_CONTINUATION) {
      if (open === null) throw new Http2FrontError('frame', 'CONTINUATION without a header block');
      if (frame.streamId !== open.streamId) throw new Http2FrontError('frame', 'CONTINUATION on another stream');
    } else if (open !== null) {
      throw new Http2FrontError('frame', 'a frame inside a header block');
    }
    if (carriesHeaderBlock(frame)) {
      if ((open?.payloadBytes ?? 0) + frame.length > this.options.maxHeaderBlockBytes) {
        throw new Http2FrontError('too-large', `a header block longer than ${this.options.maxHeaderBlockBytes} octets`);
      }
      return; // held in `pending` with the block
    }
    for (const piece of this.pending) out.add(piece);
    this.pending = [];
  }

  private endFrame(out: Output): void {
    const frame = this.frame!;
    this.frame = null;
    if (!carriesHeaderBlock(frame)) return;
    const payload = this.payload.length === 1 ? this.payload[0]! : Buffer.concat(this.payload);
    this.payload = [];
    if (frame.type === FRAME_HEADERS) {
      const { priority, fragment } = parseHeadersPayload(payload, frame.flags);
      this.block = {
        streamId: frame.streamId,
        endStream: (frame.flags & FLAG_END_STREAM) !== 0,
        priority,
        fragments: [fragment],
        payloadBytes: frame.length,
      };
    } else {
      this.block!.fragments.push(payload);
      this.block!.payloadBytes += frame.length;
    }
    if (frame.flags & FLAG_END_HEADERS) this.endBlock(out);
  }

  private endBlock(out: Output): void {
    const block = this.block!;
    const encoded = block.fragments.length === 1 ? block.fragments[0]! : Buffer.concat(block.fragments);
    const decoded = this.decoder.decode(encoded);
    const fields = normalizedFields(decoded.fields);
    if (fields === null && this.state === 'passing') {
      for (const piece of this.pending) out.add(piece);
    } else {
      if (fields !== null) this.rewrites++;
      this.state = 'rewriting';
      const reencoded = encodeHeaderBlock(fields ?? decoded.fields, decoded.sizeUpdates);
      out.add(frameHeaderBlock(block.streamId, reencoded, block.endStream, block.priority));
    }
    this.pending = [];
    this.block = null;
  }
}

/** HEADERS and CONTINUATION: the frames held until their header block is complete. */
function carriesHeaderBlock(frame: FrameHeader): boolean {
  return frame.type === FRAME_HEADERS || frame.type === FRAME_CONTINUATION;
}

/**
 * The octets to send on, in order. Adjacent views of one buffer merge back into one, so
 * that a chunk that passes whole comes out as itself, without a copy.
 */
class Output {
  private readonly pieces: Buffer[] = [];

  add(piece: Buffer): void {
    if (piece.length === 0) return;
    const last = this.pieces.at(-1);
    if (last !== undefined && last.buffer === piece.buffer && last.byteOffset + last.length === piece.byteOffset) {
      this.pieces[this.pieces.length - 1] = Buffer.from(last.buffer, last.byteOffset, last.length + piece.length);
    } else {
      this.pieces.push(piece);
    }
  }

  /** Everything added, as one buffer: `chunk` itself if that is what it is. */
  result(chunk: Buffer): Buffer | null {
    if (this.pieces.length === 0) return null;
    if (this.pieces.length > 1) return Buffer.concat(this.pieces);
    const only = this.pieces[0]!;
    return only.buffer === chunk.buffer && only.byteOffset === chunk.byteOffset && only.length === chunk.length ? chunk : only;
  }
}
