/**
 * A `grpc` attempt: the gRPC health checking protocol's `grpc.health.v1.Health/Check`
 * over plaintext HTTP/2 (the kubelet offers no TLS either), asking about `service` (empty:
 * the server as a whole). `SERVING` is a success; any other answer, or any error, is a
 * failure with the kubelet's wording.
 *
 * The two messages are tiny (`HealthCheckRequest { string service = 1; }` and
 * `HealthCheckResponse { ServingStatus status = 1; }`), so they are written and read with
 * protobufjs's wire writer and reader rather than loaded from a .proto file.
 */
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { GRPC_HEALTH_CHECK_METHOD, PROBE_USER_AGENT } from './constants.js';
import { joinHostPort } from './probe-port.js';
import { failure, formatSeconds, runWithDeadline, SUCCESS } from './probe-result.js';
import type { AttemptContext, ProbeResult } from './probe-result.js';

/** `HealthCheckResponse.ServingStatus`, by number. */
const SERVING_STATUS_NAMES = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'] as const;
const SERVING = 1;

export function probeGrpc(host: string, port: number, service: string, context: AttemptContext): Promise<ProbeResult> {
  const address = joinHostPort(host, port);
  const timedOut = (): ProbeResult => failure(`timeout: health rpc did not complete within ${formatSeconds(context.timeoutMs)}`);
  return runWithDeadline(context, (signal) => check(address, service, signal), timedOut);
}

function check(address: string, service: string, signal: AbortSignal): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const client = new grpc.Client(address, grpc.credentials.createInsecure(), {
      'grpc.primary_user_agent': PROBE_USER_AGENT,
      // One attempt per probe: the prober's schedule does the retrying.
      'grpc.enable_retries': 0,
    });
    const call = client.makeUnaryRequest(
      GRPC_HEALTH_CHECK_METHOD,
      encodeRequest,
      decodeStatus,
      service,
      (error, status) => {
        signal.removeEventListener('abort', onAbort);
        client.close();
        if (error !== null) resolve(failure(errorMessage(address, error)));
        else if (status === SERVING) resolve(SUCCESS);
        else resolve(failure(`service unhealthy (responded with ${JSON.stringify(SERVING_STATUS_NAMES[status ?? 0] ?? String(status))})`));
      },
    );
    const onAbort = (): void => {
      call.cancel();
      client.close();
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function errorMessage(address: string, error: grpc.ServiceError): string {
  switch (error.code) {
    case grpc.status.UNIMPLEMENTED:
      return `error: this server does not implement the grpc health protocol (grpc.health.v1.Health): ${error.details}`;
    case grpc.status.UNAVAILABLE:
      return `error: failed to connect service at ${JSON.stringify(address)}: ${error.details}`;
    default:
      return `error: health rpc probe failed: ${error.message}`;
  }
}

function encodeRequest(service: string): Buffer {
  const writer = protobuf.Writer.create();
  // Field 1, wire type 2 (length-delimited); proto3 leaves an empty string out.
  if (service !== '') writer.uint32((1 << 3) | 2).string(service);
  return Buffer.from(writer.finish());
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
