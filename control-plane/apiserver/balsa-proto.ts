/**
 * The Balsa API's gRPC schema (`proto/balsa/v1/api.proto`, package `balsa.v1`), loaded at
 * run time with protobufjs like etcd's (decoded messages have the shape `etcd-proto.ts`
 * describes: camelCase fields, int64 as decimal strings, bytes as Buffers).
 */
import type { ServiceDefinition } from '@grpc/grpc-js';
import { findProtoRoot, loadProtoFile, serviceDefinition } from '../../kv/server/etcd-proto.js';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BALSA_API_PROTO = 'balsa/v1/api.proto';

let objects: ServiceDefinition | undefined;

/** The grpc-js definition of `balsa.v1.Objects` (loaded once). */
export function objectsService(): ServiceDefinition {
  if (objects !== undefined) return objects;
  const root = loadProtoFile(findProtoRoot(path.dirname(fileURLToPath(import.meta.url)), BALSA_API_PROTO), BALSA_API_PROTO);
  objects = serviceDefinition(root.lookupService('balsa.v1.Objects'));
  return objects;
}
