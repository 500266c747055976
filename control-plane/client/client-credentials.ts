/**
 * How a component authenticates to the API server, and how it trusts it: a CA to verify
 * the server's certificate with (TLS is on when there is one), optionally a client
 * certificate and key (the user is its CN, the groups its O), optionally a bearer token.
 * Components take them as `--trusted-ca-file`, `--cert-file`, `--key-file`, `--token`.
 */
import { readFile } from 'node:fs/promises';

/** PEM bytes and a token; every field optional. */
export interface ClientCredentials {
  /** Verify the server against this CA; its presence turns TLS on. */
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly token?: string;
}

export interface ClientCredentialFiles {
  readonly trustedCaFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
  readonly token?: string;
}

export class CredentialsError extends Error {
  override readonly name = 'CredentialsError';
}

async function read(path: string, flag: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new CredentialsError(`${flag}: cannot read ${path}: ${(error as Error).message}`);
  }
}

/** Reads the files; a certificate without its key (or the reverse) is a `CredentialsError`. */
export async function loadClientCredentials(files: ClientCredentialFiles): Promise<ClientCredentials> {
  if ((files.certFile === undefined) !== (files.keyFile === undefined)) throw new CredentialsError('--cert-file and --key-file go together: a client certificate needs its key');
  if (files.certFile !== undefined && files.trustedCaFile === undefined) throw new CredentialsError('--cert-file needs --trusted-ca-file: a client certificate is presented over TLS only');
  return {
    ...(files.trustedCaFile !== undefined ? { ca: await read(files.trustedCaFile, '--trusted-ca-file') } : {}),
    ...(files.certFile !== undefined ? { cert: await read(files.certFile, '--cert-file') } : {}),
    ...(files.keyFile !== undefined ? { key: await read(files.keyFile, '--key-file') } : {}),
    ...(files.token !== undefined && files.token !== '' ? { token: files.token } : {}),
  };
}
