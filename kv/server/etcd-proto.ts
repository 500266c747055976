/**
 * The etcd v3 wire API (`proto/etcd/**`, packages `etcdserverpb`, `mvccpb`, `authpb`) as
 * grpc-js service definitions, loaded at run time with protobufjs.
 *
 * The schema is found by walking up from this module to the folder that holds
 * `proto/etcd/etcdserverpb/rpc.proto` (stopping at the first `package.json`), so the same
 * code works from `kv/server/` (tests, ts-jest) and from `dist/kv/server/` (the build).
 *
 * What a handler sees (`DECODE_OPTIONS`), and why:
 * - Field names are protobufjs's camelCase of etcd's (`range_end` → `rangeEnd`,
 *   `prev_kv` → `prevKv`); names without `_x` stay as etcd spells them (`ID`, `TTL`,
 *   `peerURLs`, `remaining_TTL`).
 * - int64/uint64 fields are **decimal strings** (`'5'`, `'18446744073709551615'`): exact
 *   for all 64 bits, plain data (no `Long` class), and `int64ToNumber` / `int64ToBigInt`
 *   turn them into what the store wants. When encoding, a field may be given as a
 *   number, a decimal string, a bigint or a `Long`.
 * - bytes fields are Node `Buffer`s that may share memory with the received message:
 *   copy whatever is kept beyond the call (the MVCC store copies keys and values).
 * - Enums are their names (`'DESCEND'`); a number etcd's schema does not know stays a number.
 * - Every field is present with its default (proto3 has no presence), except the members of
 *   a oneof, of which only the one set is present; the oneof itself names it
 *   (`request: 'requestPut'`, `targetUnion: 'modRevision'`, `requestUnion: 'createRequest'`).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { status } from '@grpc/grpc-js';
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import protobuf from 'protobufjs';

/** The include root's name: imports inside the schema are relative to it (`protoc -I proto`). */
export const PROTO_DIRECTORY_NAME = 'proto';

/** The schema files, relative to the include root. `rpc.proto` imports the other two. */
export const ETCD_PROTO_FILES = {
  rpc: 'etcd/etcdserverpb/rpc.proto',
  kv: 'etcd/mvccpb/kv.proto',
  auth: 'etcd/authpb/auth.proto',
} as const;

/** The protobuf package of the services (method paths are `/etcdserverpb.<Service>/<Method>`). */
export const ETCD_SERVER_PACKAGE = 'etcdserverpb';

/** etcd's services, as named on the wire. */
export const ETCD_SERVICE_NAMES = ['KV', 'Watch', 'Lease', 'Cluster', 'Maintenance', 'Auth'] as const;
export type EtcdServiceName = (typeof ETCD_SERVICE_NAMES)[number];

/** How decoded messages are turned into plain objects (see the file comment). */
export const DECODE_OPTIONS: protobuf.IConversionOptions = {
  longs: String,
  enums: String,
  defaults: true,
  arrays: true,
  objects: true,
  oneofs: true,
};

/** A decoded message: plain data in the shape `DECODE_OPTIONS` describes. */
export type WireObject = Record<string, unknown>;

/** The loaded schema and a service definition per etcd service. */
export interface EtcdProto {
  /** The include root the schema was loaded from (the `proto/` folder). */
  readonly protoRoot: string;
  readonly root: protobuf.Root;
  /** For `server.addService(services.KV, implementation)`; keys are the proto method names. */
  readonly services: Readonly<Record<EtcdServiceName, ServiceDefinition>>;
  /** A message type by its full name (`'etcdserverpb.RangeRequest'`, `'mvccpb.KeyValue'`). */
  type(fullName: string): protobuf.Type;
  /** Encodes a plain object (any accepted int64 form, enum names or numbers) as `fullName`. */
  encode(fullName: string, message: WireObject): Buffer;
  /** Decodes bytes as `fullName` into the plain shape of `DECODE_OPTIONS`. */
  decode(fullName: string, bytes: Uint8Array): WireObject;
}

/**
 * The `proto/` folder that belongs with this module: the first `proto/` holding etcd's
 * `rpc.proto` found walking up from `startDirectory`, not looking above the first folder
 * that holds a `package.json` (the repository, or the installed package).
 */
export function findProtoRoot(
  startDirectory: string = path.dirname(fileURLToPath(import.meta.url)),
  marker: string = ETCD_PROTO_FILES.rpc,
): string {
  let directory = path.resolve(startDirectory);
  for (;;) {
    const candidate = path.join(directory, PROTO_DIRECTORY_NAME);
    if (existsSync(path.join(candidate, marker))) return candidate;
    const parent = path.dirname(directory);
    if (existsSync(path.join(directory, 'package.json')) || parent === directory) {
      throw new Error(`etcd proto: ${PROTO_DIRECTORY_NAME}/${marker} not found above ${startDirectory} (is proto/ shipped with the package?)`);
    }
    directory = parent;
  }
}

let defaultProto: EtcdProto | undefined;

/**
 * The schema from `protoRoot` (default: `findProtoRoot()`, loaded once and cached).
 * Synchronous: it is a few tens of kilobytes, read once at start-up.
 */
export function loadEtcdProto(protoRoot?: string): EtcdProto {
  if (protoRoot === undefined) {
    defaultProto ??= buildEtcdProto(findProtoRoot());
    return defaultProto;
  }
  return buildEtcdProto(path.resolve(protoRoot));
}

/** `file` (a path under `protoRoot`) with what it imports, loaded and resolved. */
export function loadProtoFile(protoRoot: string, file: string): protobuf.Root {
  const root = new protobuf.Root();
  // Imports name files relative to the include root, as protoc's -I does.
  root.resolvePath = (_origin, target) => (path.isAbsolute(target) ? target : path.join(protoRoot, target));
  root.loadSync(file);
  root.resolveAll();
  return root;
}

function buildEtcdProto(protoRoot: string): EtcdProto {
  const root = loadProtoFile(protoRoot, ETCD_PROTO_FILES.rpc);

  const type = (fullName: string): protobuf.Type => root.lookupType(fullName);
  const services = Object.fromEntries(
    ETCD_SERVICE_NAMES.map((name) => [name, serviceDefinition(root.lookupService(`${ETCD_SERVER_PACKAGE}.${name}`))]),
  ) as Record<EtcdServiceName, ServiceDefinition>;
  return {
    protoRoot,
    root,
    services,
    type,
    encode: (fullName, message) => encodeWith(type(fullName), message),
    decode: (fullName, bytes) => decodeWith(type(fullName), bytes),
  };
}

/** A grpc-js definition of `service`: one entry per method, keyed by its proto name. */
export function serviceDefinition(service: protobuf.Service): ServiceDefinition {
  const definition: Record<string, MethodDefinition<WireObject, WireObject>> = {};
  for (const method of service.methodsArray) {
    method.resolve();
    const requestType = method.resolvedRequestType;
    const responseType = method.resolvedResponseType;
    if (requestType === null || responseType === null) throw new Error(`etcd proto: ${service.fullName}.${method.name} did not resolve`);
    definition[method.name] = {
      // `fullName` is `.etcdserverpb.KV`: the path drops the leading dot.
      path: `/${service.fullName.slice(1)}/${method.name}`,
      requestStream: method.requestStream === true,
      responseStream: method.responseStream === true,
      requestSerialize: (message) => encodeWith(requestType, message),
      requestDeserialize: (bytes) => decodeWith(requestType, bytes),
      responseSerialize: (message) => encodeWith(responseType, message),
      responseDeserialize: (bytes) => decodeWith(responseType, bytes),
      // grpc-js also finds handlers under this name (`range` for `Range`), like proto-loader.
      originalName: method.name.charAt(0).toLowerCase() + method.name.slice(1),
    };
  }
  return definition;
}

function encodeWith(type: protobuf.Type, message: WireObject): Buffer {
  const bytes = type.encode(type.fromObject(message)).finish();
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function decodeWith(type: protobuf.Type, bytes: Uint8Array): WireObject {
  return type.toObject(type.decode(bytes), DECODE_OPTIONS);
}

// ---------------------------------------------------------------------------------------
// int64 helpers

/** What an int64/uint64 field may hold: decoded (string), or as accepted when encoding. */
export type Int64Value = string | number | bigint | { readonly low: number; readonly high: number; readonly unsigned?: boolean };

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/**
 * An int64 that does not fit where it is going (a revision above 2^53 − 1, a lease id
 * outside int64). Bad client input: the server answers INVALID_ARGUMENT.
 */
export class Int64RangeError extends Error {
  readonly code = 'INT64_OUT_OF_RANGE';
  readonly grpcCode = status.INVALID_ARGUMENT;
  readonly retryable = false;
  constructor(field: string, value: string, rule: string) {
    super(`${field} = ${value} ${rule}`);
    this.name = 'Int64RangeError';
  }
}

/**
 * An int64 as a number, for revisions, counts and limits: refused (`Int64RangeError`) when
 * its magnitude exceeds 2^53 − 1, where a number would silently round.
 */
export function int64ToNumber(value: Int64Value, field = 'int64'): number {
  const exact = int64ToBigInt(value, field);
  if (exact > BigInt(Number.MAX_SAFE_INTEGER) || exact < -BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new Int64RangeError(field, exact.toString(), 'is beyond ±(2^53 − 1)');
  }
  return Number(exact);
}

/**
 * An int64 or uint64 as a bigint, exactly (lease and member ids use all 64 bits). A
 * `Long` keeps its own signedness; a string must be a decimal integer.
 */
export function int64ToBigInt(value: Int64Value, field = 'int64'): bigint {
  switch (typeof value) {
    case 'bigint':
      return value;
    case 'number':
      if (!Number.isSafeInteger(value)) throw new Int64RangeError(field, String(value), 'is not a safe integer');
      return BigInt(value);
    case 'string':
      if (!/^-?\d+$/.test(value)) throw new Int64RangeError(field, JSON.stringify(value), 'is not a decimal integer');
      return BigInt(value);
    default: {
      const low = BigInt(value.low >>> 0);
      const high = BigInt(value.high >>> 0);
      const unsigned = (high << 32n) | low;
      return value.unsigned === true || unsigned <= INT64_MAX ? unsigned : unsigned - 2n ** 64n;
    }
  }
}

/** A number for an int64 field (a decimal string, exact). Refuses a non-integer or unsafe number. */
export function numberToInt64(value: number, field = 'int64'): string {
  if (!Number.isSafeInteger(value)) throw new Int64RangeError(field, String(value), 'is not a safe integer');
  return String(value);
}

/** A bigint for an int64 (signed) or uint64 field (a decimal string), range-checked. */
export function bigintToInt64(value: bigint, kind: 'int64' | 'uint64' = 'int64', field: string = kind): string {
  const [min, max] = kind === 'int64' ? [INT64_MIN, INT64_MAX] : [0n, UINT64_MAX];
  if (value < min || value > max) throw new Int64RangeError(field, value.toString(), `does not fit ${kind}`);
  return value.toString();
}
