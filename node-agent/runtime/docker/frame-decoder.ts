/**
 * The multiplexed stream Docker sends for a container without a TTY (`logs`, an exec's
 * output): frames of an 8-byte header — the stream (0 stdin, 1 stdout, 2 stderr), three
 * zero bytes, the payload's size as a big-endian uint32 — followed by the payload. TCP
 * chunks cut frames anywhere, so the decoder keeps what it has of an incomplete one.
 */
import { FRAME_HEADER_BYTES } from './constants.js';

export interface Frame {
  /** 1 stdout, 2 stderr (0 stdin, never sent by the daemon here). */
  readonly stream: number;
  readonly payload: Buffer;
}

export class FrameDecoder {
  private pending: Buffer = Buffer.alloc(0);

  /** The frames completed by `chunk`, in order. */
  push(chunk: Buffer): Frame[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: Frame[] = [];
    let offset = 0;
    while (this.pending.length - offset >= FRAME_HEADER_BYTES) {
      const size = this.pending.readUInt32BE(offset + 4);
      const end = offset + FRAME_HEADER_BYTES + size;
      if (end > this.pending.length) break;
      frames.push({ stream: this.pending[offset]!, payload: this.pending.subarray(offset + FRAME_HEADER_BYTES, end) });
      offset = end;
    }
    this.pending = this.pending.subarray(offset);
    return frames;
  }

  /** Bytes of an incomplete frame held back (a stream that ends with some is cut short). */
  get pendingBytes(): number {
    return this.pending.length;
  }
}
