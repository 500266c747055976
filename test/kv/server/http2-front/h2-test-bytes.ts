/**
 * HTTP/2 bytes for the front's tests, written here: frames, a client-side HPACK encoder that
 * indexes every field (as clients do, so that later blocks refer to the dynamic table), and
 * a splitter that takes the front's output apart again.
 */
import { CLIENT_PREFACE } from '../../../../kv/server/http2-front/frames.js';

export const HEADERS = 0x1;
export const DATA = 0x0;
export const SETTINGS = 0x4;
export const PING = 0x6;
export const WINDOW_UPDATE = 0x8;
export const CONTINUATION = 0x9;
export const END_STREAM = 0x1;
export const END_HEADERS = 0x4;
export const PADDED = 0x8;
export const PRIORITY = 0x20;

export { CLIENT_PREFACE };

export const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');

export function frame(type: number, flags: number, streamId: number, payload: Uint8Array = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(9);
  header.writeUIntBE(payload.length, 0, 3);
  header[3] = type;
  header[4] = flags;
  header.writeUInt32BE(streamId, 5);
  return Buffer.concat([header, payload]);
}

/** What a client sends before its first request: the preface, an empty SETTINGS, a connection WINDOW_UPDATE. */
export function connectionStart(): Buffer {
  return Buffer.concat([CLIENT_PREFACE, frame(SETTINGS, 0, 0), frame(WINDOW_UPDATE, 0, 0, hex('0000ffff'))]);
}

export interface SplitFrame {
  readonly type: number;
  readonly flags: number;
  readonly streamId: number;
  readonly payload: Buffer;
}

/** The preface (which must be there) and the frames of `bytes`, which must end on a frame boundary. */
export function splitFrames(bytes: Buffer): SplitFrame[] {
  if (!bytes.subarray(0, CLIENT_PREFACE.length).equals(CLIENT_PREFACE)) throw new Error('no preface');
  const frames: SplitFrame[] = [];
  let offset = CLIENT_PREFACE.length;
  while (offset < bytes.length) {
    const length = bytes.readUIntBE(offset, 3);
    if (offset + 9 + length > bytes.length) throw new Error('a frame runs past the end');
    frames.push({ type: bytes[offset + 3]!, flags: bytes[offset + 4]!, streamId: bytes.readUInt32BE(offset + 5), payload: bytes.subarray(offset + 9, offset + 9 + length) });
    offset += 9 + length;
  }
  return frames;
}

/**
 * A client's HPACK encoder (RFC 7541): every field goes into the dynamic table (literal with
 * incremental indexing, new name, raw strings) unless it is there already (indexed), with
 * eviction by §4.4, and size updates on request.
 */
export class IndexingEncoder {
  /** Newest first. */
  private table: [string, string][] = [];
  private maxBytes = 4096;

  encode(fields: readonly (readonly [string, string])[], sizeUpdate?: number): Buffer {
    const out: number[] = [];
    if (sizeUpdate !== undefined) {
      this.maxBytes = sizeUpdate;
      this.evict(0);
      integer(out, 0x20, 5, sizeUpdate);
    }
    for (const [name, value] of fields) {
      const found = this.table.findIndex(([n, v]) => n === name && v === value);
      if (found !== -1) {
        integer(out, 0x80, 7, 62 + found);
        continue;
      }
      out.push(0x40);
      for (const text of [name, value]) {
        integer(out, 0x00, 7, text.length);
        out.push(...Buffer.from(text, 'latin1'));
      }
      const size = name.length + value.length + 32;
      if (size > this.maxBytes) {
        this.table = [];
      } else {
        this.evict(size);
        this.table.unshift([name, value]);
      }
    }
    return Buffer.from(out);
  }

  private evict(room: number): void {
    const size = () => this.table.reduce((sum, [n, v]) => sum + n.length + v.length + 32, 0);
    while (this.table.length > 0 && size() + room > this.maxBytes) this.table.pop();
  }
}

function integer(out: number[], pattern: number, prefixBits: number, value: number): void {
  const limit = (1 << prefixBits) - 1;
  if (value < limit) {
    out.push(pattern | value);
    return;
  }
  out.push(pattern | limit);
  let rest = value - limit;
  while (rest >= 128) {
    out.push((rest % 128) | 0x80);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
}

/** A gRPC request's fields, as a client sends them. */
export function grpcRequest(authority: string, path = '/etcdserverpb.KV/Put'): [string, string][] {
  return [
    [':method', 'POST'],
    [':scheme', 'http'],
    [':path', path],
    [':authority', authority],
    ['content-type', 'application/grpc'],
    ['user-agent', 'grpc-go/1.33.3'],
    ['te', 'trailers'],
  ];
}
