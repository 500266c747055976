/**
 * `/openapi/v2`: the API's OpenAPI (Swagger 2.0) document, which kubectl fetches before it
 * validates a manifest (`--validate=true`, its default) and for `explain`. kubectl 1.20
 * reads only its protobuf form (`application/com.github.proto-openapi.spec.v2@v1.0+protobuf`,
 * schema in `proto/openapi/v2/openapi.proto`) and gives up on the command when the server
 * has none; other clients get the same document as JSON.
 *
 * The document is minimal: it names no kinds (no definition carries an
 * `x-kubernetes-group-version-kind`), so kubectl's validation checks what it checks without
 * a schema (a manifest names its apiVersion and kind) and leaves the rest to the API
 * server's own validation, which answers Kubernetes' 422 Invalid with each bad field; and
 * `kubectl apply` computes its patches from its built-in types, as it does for any kind
 * the document does not describe.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findProtoRoot, loadProtoFile } from '../../kv/server/etcd-proto.js';

export const OPENAPI_V2_PATH = '/openapi/v2';
/** The media type of the protobuf form, as kubectl asks for it. */
export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

const OPENAPI_PROTO = 'openapi/v2/openapi.proto';

export interface OpenApiDocument {
  readonly body: Buffer;
  readonly contentType: string;
}

let encodedDocument: Buffer | undefined;

function documentFields(version: string): { swagger: string; info: { title: string; version: string } } {
  return { swagger: '2.0', info: { title: 'Kubernetes', version } };
}

/** The document in the form `accept` asks for: protobuf when it names the protobuf type, JSON otherwise. */
export function openApiDocument(accept: string | undefined, version: string): OpenApiDocument {
  // Answered as octet-stream, as Kubernetes does: the Go client parses a response's type with Go's mime package, which rejects the `@` in the type asked for.
  if ((accept ?? '').includes(OPENAPI_V2_PROTOBUF)) return { body: protobufDocument(version), contentType: 'application/octet-stream' };
  const json = { ...documentFields(version), paths: {}, definitions: {} };
  return { body: Buffer.from(JSON.stringify(json)), contentType: 'application/json' };
}

function protobufDocument(version: string): Buffer {
  if (encodedDocument !== undefined) return encodedDocument;
  const root = loadProtoFile(findProtoRoot(path.dirname(fileURLToPath(import.meta.url)), OPENAPI_PROTO), OPENAPI_PROTO);
  const type = root.lookupType('openapi.v2.Document');
  const message = type.fromObject({ ...documentFields(version), paths: {}, definitions: {} });
  encodedDocument = Buffer.from(type.encode(message).finish());
  return encodedDocument;
}
