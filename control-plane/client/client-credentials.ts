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

/** The flags that carry them, for `parseArgs`-style option tables (`balsa agent`, `balsa scheduler`, `balsa controller-manager`). */
export const CLIENT_CREDENTIAL_FLAGS = {
  'trusted-ca-file': { type: 'string' },
  'cert-file': { type: 'string' },
  'key-file': { type: 'string' },
  token: { type: 'string' },
} as const;

export const CLIENT_CREDENTIAL_USAGE = `  --trusted-ca-file  verify the API server's certificate with this CA (PEM); turns TLS on
  --cert-file, --key-file  a client certificate and key (PEM): the user is its CN, the groups its O
  --token      a bearer token (a line of the API server's --token-auth-file)`;

/** The credential files named by those flags' values. */
export function credentialFilesFromFlags(values: Readonly<Record<string, unknown>>): ClientCredentialFiles {
  const text = (name: string): string | undefined => {
    const value = values[name];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const trustedCaFile = text('trusted-ca-file');
  const certFile = text('cert-file');
  const keyFile = text('key-file');
  const token = text('token');
  return {
    ...(trustedCaFile !== undefined ? { trustedCaFile } : {}),
    ...(certFile !== undefined ? { certFile } : {}),
    ...(keyFile !== undefined ? { keyFile } : {}),
    ...(token !== undefined ? { token } : {}),
  };
}
