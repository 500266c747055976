/**
 * TLS for the API server's two front-ends (`--api-cert-file`, `--api-key-file`,
 * `--api-trusted-ca-file`): both serve with the same certificate; with a trusted CA, both
 * ask each client for a certificate and verify it against that CA, but do not require one
 * (a client may authenticate with a bearer token instead, or come anonymous). A certificate
 * that does not verify is refused with 401 on HTTP; on gRPC it counts as none (grpc-js does
 * not say a presented certificate failed).
 */
import { readFile } from 'node:fs/promises';
import type { TLSSocket } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import type { Credentials } from './auth/authenticator.js';

/** PEM bytes. */
export interface ServingTls {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** Client certificates are verified against it; absent: none are asked for. */
  readonly clientCa?: Buffer;
}

export class TlsFileError extends Error {
  override readonly name = 'TlsFileError';
}

async function readPem(path: string, flag: string, marker: string): Promise<Buffer> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new TlsFileError(`${flag}: cannot read ${path}: ${(error as Error).message}`);
  }
  if (!bytes.toString('latin1').includes(`-----BEGIN ${marker}`)) throw new TlsFileError(`${flag}: ${path} holds no PEM ${marker.toLowerCase()}`);
  return bytes;
}

/** Reads the PEM files (a missing or non-PEM file is a `TlsFileError` naming the flag). */
export async function loadServingTls(files: { certFile: string; keyFile: string; trustedCaFile?: string }, flagPrefix = '--api-'): Promise<ServingTls> {
  const cert = await readPem(files.certFile, `${flagPrefix}cert-file`, 'CERTIFICATE');
  const key = await readPem(files.keyFile, `${flagPrefix}key-file`, '');
  const clientCa = files.trustedCaFile === undefined ? undefined : await readPem(files.trustedCaFile, `${flagPrefix}trusted-ca-file`, 'CERTIFICATE');
  return { cert, key, ...(clientCa !== undefined ? { clientCa } : {}) };
}

/** Node's TLS server options for `tls`: a client certificate asked for (with a CA) but not required. */
export function tlsServerOptions(tls: ServingTls): { cert: Buffer; key: Buffer; ca?: Buffer; requestCert: boolean; rejectUnauthorized: false } {
  return { cert: tls.cert, key: tls.key, ...(tls.clientCa !== undefined ? { ca: tls.clientCa } : {}), requestCert: tls.clientCa !== undefined, rejectUnauthorized: false };
}

/** grpc-js's `createSsl` either requires a client certificate or never asks for one; this asks without requiring. */
class OptionalClientCertCredentials extends grpc.ServerCredentials {
  constructor(tls: ServingTls) {
    const options = tlsServerOptions(tls);
    super({ requestCert: options.requestCert, rejectUnauthorized: false }, { cert: options.cert, key: options.key, ...(options.ca !== undefined ? { ca: options.ca } : {}) });
  }

  _equals(other: grpc.ServerCredentials): boolean {
    return other === this;
  }
}

export function grpcServerCredentials(tls: ServingTls | undefined): grpc.ServerCredentials {
  return tls === undefined ? grpc.ServerCredentials.createInsecure() : new OptionalClientCertCredentials(tls);
}

/** What the TLS connection says of the client's certificate. */
export function tlsSocketCredentials(socket: TLSSocket): Pick<Credentials, 'certificateSubject' | 'certificateRejected'> {
  if (socket.encrypted !== true) return {};
  const certificate = socket.getPeerCertificate();
  if (certificate === null || certificate === undefined || Object.keys(certificate).length === 0) return {};
  if (!socket.authorized) return { certificateRejected: true };
  return { certificateSubject: certificate.subject };
}
