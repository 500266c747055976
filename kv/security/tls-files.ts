/**
 * One side of a KV member's TLS — its client port or its peer port — as etcd's flags give
 * it (`--cert-file`, `--key-file`, `--trusted-ca-file`, `--client-cert-auth`, and the
 * `--peer-*` twins), and what each use of it needs: a Node `tls` server's options (the client
 * port, whose TLS sits under the HTTP/2 front), gRPC server credentials (the peer port),
 * gRPC channel credentials (a member dialling a peer, or the leader's client URL).
 *
 * etcd 3.4's rule for client certificates, kept here: a server requires and verifies one
 * when it has a trusted CA file **or** client-cert-auth is on (with client-cert-auth alone,
 * it verifies against the system's roots). A member presents its own certificate when it
 * dials another member, so a certificate used both ways needs both extKeyUsages
 * (`pki.ts`'s server certificates have them).
 */
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { TlsOptions } from 'node:tls';
import * as grpc from '@grpc/grpc-js';

/** The files of one side's TLS, as the flags name them. */
export interface TlsFiles {
  /** PEM certificate (chain) this member presents. */
  readonly certFile: string;
  /** PEM private key of `certFile`. */
  readonly keyFile: string;
  /** PEM CA bundle that clients' (peers') certificates must chain to; absent: none asked for unless `clientCertAuth`. */
  readonly trustedCaFile?: string;
  /** Require a client certificate signed by the trusted CA (`--client-cert-auth`). */
  readonly clientCertAuth: boolean;
}

/** `TlsFiles`, read. */
export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca: Buffer | undefined;
  /** Whether a connecting client must present a certificate that verifies (etcd's rule, above). */
  readonly requireClientCert: boolean;
}

/** A TLS file that cannot be read: the member does not start. */
export class TlsFilesError extends Error {
  readonly retryable = false;
  constructor(message: string) {
    super(message);
    this.name = 'TlsFilesError';
  }
}

/** Reads the files (synchronously: once, at start). Throws `TlsFilesError` naming the file. */
export function readTlsMaterial(files: TlsFiles): TlsMaterial {
  const read = (path: string, what: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (error) {
      throw new TlsFilesError(`cannot read the ${what} ${path}: ${(error as Error).message}`);
    }
  };
  const material = {
    cert: read(files.certFile, 'certificate'),
    key: read(files.keyFile, 'key'),
    ca: files.trustedCaFile === undefined ? undefined : read(files.trustedCaFile, 'trusted CA file'),
    requireClientCert: files.clientCertAuth || files.trustedCaFile !== undefined,
  };
  // Refused here, naming the files, rather than at the first connection.
  try {
    createSecureContext({ cert: material.cert, key: material.key, ...(material.ca === undefined ? {} : { ca: material.ca }) });
  } catch (error) {
    const named = [files.certFile, files.keyFile, ...(files.trustedCaFile === undefined ? [] : [files.trustedCaFile])].join(', ');
    throw new TlsFilesError(`unusable TLS files (${named}): ${(error as Error).message}`);
  }
  return material;
}

/**
 * Options of a `tls.Server` for a client port. ALPN offers only `h2`: every gRPC client asks
 * for it, and Node's HTTP/2 server refuses a TLS connection that negotiated none.
 */
export function tlsServerOptions(material: TlsMaterial): TlsOptions {
  return {
    cert: material.cert,
    key: material.key,
    ...(material.ca === undefined ? {} : { ca: material.ca }),
    requestCert: material.requireClientCert,
    rejectUnauthorized: material.requireClientCert,
    ALPNProtocols: ['h2'],
  };
}

/** gRPC server credentials for a listener (a member's peer port). */
export function grpcServerCredentials(material: TlsMaterial): grpc.ServerCredentials {
  return grpc.ServerCredentials.createSsl(material.ca ?? null, [{ cert_chain: material.cert, private_key: material.key }], material.requireClientCert);
}

/**
 * gRPC channel credentials for dialling a member that uses the same CA: the trusted CA
 * verifies its certificate (the system's roots when there is none), and this member's own
 * certificate is presented in case it asks for one.
 */
export function grpcChannelCredentials(material: TlsMaterial): grpc.ChannelCredentials {
  return grpc.credentials.createSsl(material.ca ?? null, material.key, material.cert);
}
