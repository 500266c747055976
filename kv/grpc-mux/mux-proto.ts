/**
 * The wire of `proto/balsa/mux/v1/mux.proto`: unary calls carried as messages of one
 * bidirectional stream (see the proto for why). Frames are encoded and decoded straight
 * from and to plain objects (no conversion pass): they are on the hot path of every call.
 */
import * as grpc from '@grpc/grpc-js';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { findProtoRoot, loadProtoFile } from '../server/etcd-proto.js';

export const MUX_PROTO = 'balsa/mux/v1/mux.proto';
/** The gRPC path of the stream. */
export const MUX_EXCHANGE_PATH = '/balsa.mux.v1.Mux/Exchange';

export interface MuxMetadataEntry {
  readonly key: string;
  readonly value: Uint8Array;
}

export interface MuxRequest {
  readonly id: number;
  readonly method: string;
  readonly message: Uint8Array;
  readonly timeoutMs?: number;
  readonly metadata?: readonly MuxMetadataEntry[];
}

export interface MuxResponse {
  readonly id: number;
  readonly code?: number;
  readonly details?: string;
  readonly message?: Uint8Array;
  readonly metadata?: readonly MuxMetadataEntry[];
}

export interface MuxFrame {
  readonly requests?: readonly MuxRequest[];
  readonly responses?: readonly MuxResponse[];
}

/** What a frame that did not decode becomes on the server: the reason, for the stream's status. */
export interface UndecodableFrame {
  readonly undecodable: string;
}

let frameType: protobuf.Type | undefined;

function frame(): protobuf.Type {
  if (frameType !== undefined) return frameType;
  const root = loadProtoFile(findProtoRoot(path.dirname(fileURLToPath(import.meta.url)), MUX_PROTO), MUX_PROTO);
  frameType = root.lookupType('balsa.mux.v1.Frame');
  return frameType;
}

export function encodeFrame(value: MuxFrame): Buffer {
  return bytesOf(frame().encode(value as protobuf.Message).finish());
}

/** Throws on bytes that are not a Frame. */
export function decodeFrame(bytes: Uint8Array): MuxFrame {
  return frame().decode(bytes) as unknown as MuxFrame;
}

/** The Mux service for a grpc-js server: a frame that does not decode reaches the handler as an `UndecodableFrame`. */
export function muxServiceDefinition(): grpc.ServiceDefinition {
  const exchange: grpc.MethodDefinition<MuxFrame | UndecodableFrame, MuxFrame> = {
    path: MUX_EXCHANGE_PATH,
    requestStream: true,
    responseStream: true,
    requestSerialize: (value) => encodeFrame(value as MuxFrame),
    requestDeserialize: (bytes) => {
      try {
        return decodeFrame(bytes);
      } catch (error) {
        return { undecodable: `not a balsa.mux.v1.Frame: ${(error as Error).message}` };
      }
    },
    responseSerialize: encodeFrame,
    responseDeserialize: decodeFrame,
    originalName: 'exchange',
  };
  return { Exchange: exchange } as grpc.ServiceDefinition;
}

/**
 * A decoded `bytes` field as a Buffer (sharing its memory). A field left empty decodes to
 * protobufjs's default, which is not always a Buffer.
 */
export function bytesOf(value: Uint8Array | undefined): Buffer {
  if (value === undefined || value.length === 0) return Buffer.alloc(0);
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/** `metadata` as entries (text values as UTF-8). */
export function metadataEntries(metadata: grpc.Metadata | undefined): MuxMetadataEntry[] | undefined {
  if (metadata === undefined) return undefined;
  const map = metadata.getMap();
  const keys = Object.keys(map);
  if (keys.length === 0) return undefined;
  const entries: MuxMetadataEntry[] = [];
  for (const key of keys) {
    for (const value of metadata.get(key)) entries.push({ key, value: typeof value === 'string' ? Buffer.from(value, 'utf8') : value });
  }
  return entries;
}

/** Adds `entries` to `metadata` (a `-bin` key keeps its bytes; any other is text). */
export function addMetadataEntries(metadata: grpc.Metadata, entries: readonly MuxMetadataEntry[] | undefined): grpc.Metadata {
  for (const entry of entries ?? []) {
    const bytes = bytesOf(entry.value);
    metadata.add(entry.key, entry.key.endsWith('-bin') ? Buffer.from(bytes) : bytes.toString('utf8'));
  }
  return metadata;
}
