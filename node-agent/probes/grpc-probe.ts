/**
 * A `grpc` attempt: the gRPC health checking protocol's `grpc.health.v1.Health/Check`
 * over plaintext HTTP/2 (the kubelet offers no TLS either), asking about `service` (empty:
 * the server as a whole). `SERVING` is a success; any other answer, or any error, is a
 * failure with the kubelet's wording (a status as Go's gRPC prints it).
 *
 * The call is made on `node:http2` directly rather than through a gRPC client library:
 * one unary call on a connection of its own, which the attempt closes whatever happens
 * (grpc-js keeps its connection to a server that never completes the HTTP/2 handshake
 * open for seconds after the call is cancelled and the channel closed: a probe every few
 * seconds of a stuck server would pile them up). The two messages are tiny (`HealthCheckRequest { string service =
 * 1; }`, `HealthCheckResponse { ServingStatus status = 1; }`) and are written and read
 * with protobufjs's wire writer and reader.
 */
import http2 from 'node:http2';
import protobuf from 'protobufjs';
import { GRPC_HEALTH_CHECK_METHOD, GRPC_PROBE_RESPONSE_BYTES_MAX, PROBE_USER_AGENT } from './constants.js';
import { joinHostPort } from './probe-port.js';
import { errorMessage, failure, formatSeconds, runWithDeadline, SUCCESS } from './probe-result.js';
import type { AttemptContext, ProbeResult } from './probe-result.js';

/** `HealthCheckResponse.ServingStatus`, by number. */
const SERVING_STATUS_NAMES = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'] as const;
const SERVING = 1;

/** gRPC status codes as Go names them (`rpc error: code = NotFound desc = ...`), by number. */
const STATUS_CODE_NAMES = [
  'OK', 'Canceled', 'Unknown', 'InvalidArgument', 'DeadlineExceeded', 'NotFound', 'AlreadyExists', 'PermissionDenied',
  'ResourceExhausted', 'FailedPrecondition', 'Aborted', 'OutOfRange', 'Unimplemented', 'Internal', 'Unavailable',
  'DataLoss', 'Unauthenticated',
] as const;
const DEADLINE_EXCEEDED = 4;
const UNIMPLEMENTED = 12;
/** The 5-byte prefix of each gRPC message: a compressed flag and a 32-bit big-endian length. */
const MESSAGE_PREFIX_BYTES = 5;

export function probeGrpc(host: string, port: number, service: string, context: AttemptContext): Promise<ProbeResult> {
  const address = joinHostPort(host, port);
  const timedOut = (): ProbeResult => failure(`timeout: health rpc did not complete within ${formatSeconds(context.timeoutMs)}`);
  return runWithDeadline(context, (signal) => check(address, service, context.timeoutMs, signal), timedOut);
}

function check(address: string, service: string, timeoutMs: number, signal: AbortSignal): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const session = http2.connect(`http://${address}`);
    // The deadline aborts the signal once the attempt is decided, whoever decided it.
    signal.addEventListener('abort', () => session.destroy(), { once: true });
    let connected = false;
    session.once('connect', () => {
      connected = true;
    });
    // Before the connection is up, the call fails first, with the connection's error as its cause.
    const failed = (error: Error): void => {
      const reason = error.cause === undefined ? error.message : errorMessage(error.cause);
      resolve(failure(connected ? `error: health rpc probe failed: ${error.message}` : `error: failed to connect service at ${JSON.stringify(address)}: ${reason}`));
    };
    session.on('error', failed);

    const call = session.request({
      ':method': 'POST',
      ':path': GRPC_HEALTH_CHECK_METHOD,
      'content-type': 'application/grpc',
      te: 'trailers',
      'grpc-timeout': `${Math.max(1, Math.ceil(timeoutMs))}m`,
      'grpc-accept-encoding': 'identity',
      'user-agent': PROBE_USER_AGENT,
    });
    let httpStatus = 0;
    let grpcStatus: string | undefined;
    let grpcMessage = '';
    const chunks: Buffer[] = [];
    let bytes = 0;
    const readStatus = (headers: http2.IncomingHttpHeaders): void => {
      if (typeof headers['grpc-status'] === 'string') grpcStatus = headers['grpc-status'];
      if (typeof headers['grpc-message'] === 'string') grpcMessage = decodeGrpcMessage(headers['grpc-message']);
    };
    call.on('response', (headers) => {
      httpStatus = Number(headers[':status'] ?? 0);
      readStatus(headers);
    });
    call.on('trailers', readStatus);
    call.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > GRPC_PROBE_RESPONSE_BYTES_MAX) resolve(failure(`error: health rpc probe failed: response larger than ${GRPC_PROBE_RESPONSE_BYTES_MAX} bytes`));
      else chunks.push(chunk);
    });
    call.on('error', failed);
    call.on('end', () => resolve(judge(httpStatus, grpcStatus, grpcMessage, Buffer.concat(chunks), timeoutMs)));
    call.end(frame(encodeRequest(service)));
  });
}

function judge(httpStatus: number, grpcStatus: string | undefined, grpcMessage: string, body: Buffer, timeoutMs: number): ProbeResult {
  if (grpcStatus === undefined) {
    return failure(`error: health rpc probe failed: ${httpStatus === 200 ? 'no grpc-status in the response' : `HTTP status ${httpStatus}`}`);
  }
  const code = Number(grpcStatus);
  if (code === UNIMPLEMENTED) return failure(`error: this server does not implement the grpc health protocol (grpc.health.v1.Health): ${grpcMessage}`);
  if (code === DEADLINE_EXCEEDED) return failure(`timeout: health rpc did not complete within ${formatSeconds(timeoutMs)}`);
  if (code !== 0) {
    const name = STATUS_CODE_NAMES[code] ?? `Code(${grpcStatus})`;
    return failure(`error: health rpc probe failed: rpc error: code = ${name} desc = ${grpcMessage}`);
  }
  const message = unframe(body);
  if (message === undefined) return failure('error: health rpc probe failed: the response holds no uncompressed message');
  const status = decodeStatus(message);
  if (status === SERVING) return SUCCESS;
  return failure(`service unhealthy (responded with ${JSON.stringify(SERVING_STATUS_NAMES[status] ?? String(status))})`);
}

function frame(message: Uint8Array): Buffer {
  const prefix = Buffer.alloc(MESSAGE_PREFIX_BYTES);
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}

/** The first message of a response body; undefined when absent, truncated or compressed (none was accepted). */
function unframe(body: Buffer): Buffer | undefined {
  if (body.length < MESSAGE_PREFIX_BYTES || body[0] !== 0) return undefined;
  const length = body.readUInt32BE(1);
  if (body.length < MESSAGE_PREFIX_BYTES + length) return undefined;
  return body.subarray(MESSAGE_PREFIX_BYTES, MESSAGE_PREFIX_BYTES + length);
}

function encodeRequest(service: string): Uint8Array {
  const writer = protobuf.Writer.create();
  // Field 1, wire type 2 (length-delimited); proto3 leaves an empty string out.
  if (service !== '') writer.uint32((1 << 3) | 2).string(service);
  return writer.finish();
}

/** The response's `status` (field 1, a varint); 0 (`UNKNOWN`) when absent, as proto3 reads it. */
function decodeStatus(bytes: Buffer): number {
  const reader = protobuf.Reader.create(bytes);
  let status = 0;
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === 0) status = reader.int32();
    else reader.skipType(tag & 7);
  }
  return status;
}

/** `grpc-message` is percent-encoded; a malformed one is shown as sent. */
function decodeGrpcMessage(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
