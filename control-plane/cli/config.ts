/**
 * Where the client commands find the API server: `--server`, else `BALSA_SERVER`, else the
 * config file (`$BALSA_CONFIG`, else `~/.balsa/config.json`, JSON `{"server": "http://…"}`),
 * which `balsa up` writes.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { CliError } from './errors.js';

/**
 * The config file's content: one cluster and one user, like one kubeconfig context. Unknown
 * fields are kept by `writeCliConfig` callers that read first. Relative file paths are
 * relative to the config file's folder.
 */
export interface CliConfig {
  /** The API server's base URL (`http://127.0.0.1:6443`, `https://...`). */
  server?: string;
  /** PEM file of the CA that verifies an https server (kubectl's `certificate-authority`). */
  certificateAuthority?: string;
  /** PEM files of a client certificate and its key (kubectl's `client-certificate`, `client-key`). */
  clientCertificate?: string;
  clientKey?: string;
  /** A bearer token (kubectl's `token`). */
  token?: string;
}

/** How the CLI authenticates: the config file's credentials, read, or none. */
export interface ResolvedCredentials {
  readonly token?: string;
  readonly tls?: { readonly ca?: Buffer; readonly cert?: Buffer; readonly key?: Buffer };
}

/** Where an address came from, for messages. */
export type ServerSource = 'flag' | 'env' | 'config';

export interface ResolvedServer {
  /** The base URL without a trailing slash. */
  readonly server: string;
  readonly source: ServerSource;
}

/** The environment variable naming the API server. */
export const SERVER_ENV = 'BALSA_SERVER';
/** The environment variable naming the config file. */
export const CONFIG_ENV = 'BALSA_CONFIG';

/** The config file: `$BALSA_CONFIG` if set, else `<home>/.balsa/config.json`. */
export function cliConfigPath(env: Readonly<Record<string, string | undefined>> = process.env, homeDirectory?: string): string {
  const fromEnv = env[CONFIG_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return path.join(homeDirectory ?? (env.HOME || '/'), '.balsa', 'config.json');
}

/**
 * Reads the config file at `configPath` (default: `cliConfigPath()`). A missing file is an
 * empty config; a file that is not a JSON object, or whose `server` is not a string, is a
 * `CliError` naming the file.
 */
export async function readCliConfig(configPath: string = cliConfigPath()): Promise<CliConfig> {
  let text: string;
  try {
    text = await readFile(configPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new CliError(`cannot read the config file ${configPath}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CliError(`the config file ${configPath} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CliError(`the config file ${configPath} must hold a JSON object like {"server": "http://127.0.0.1:6443"}`);
  }
  for (const field of ['server', 'certificateAuthority', 'clientCertificate', 'clientKey', 'token']) {
    const value = (parsed as Record<string, unknown>)[field];
    if (value !== undefined && typeof value !== 'string') {
      throw new CliError(`the config file ${configPath}: "${field}" must be a string, not ${JSON.stringify(value)}`);
    }
  }
  return { ...(parsed as CliConfig) };
}

/**
 * Writes `config` to `configPath` (default: `cliConfigPath()`), creating its folder (mode
 * 0700). The write is atomic (a temporary file renamed over the old one), so a reader never
 * sees half a file.
 */
export async function writeCliConfig(config: CliConfig, configPath: string = cliConfigPath()): Promise<void> {
  await mkdir(path.dirname(configPath), { recursive: true, mode: 0o700 });
  const temporary = `${configPath}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, configPath);
}

/** Checks that `server` is an http(s) URL and drops a trailing slash. */
export function normalizeServer(server: string, source: ServerSource): string {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new CliError(`invalid API server address ${JSON.stringify(server)} (from ${describeSource(source)}): expected a URL like http://127.0.0.1:6443`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliError(`invalid API server address ${JSON.stringify(server)} (from ${describeSource(source)}): the scheme must be http or https`);
  }
  return server.replace(/\/+$/, '');
}

function describeSource(source: ServerSource): string {
  switch (source) {
    case 'flag':
      return '--server';
    case 'env':
      return SERVER_ENV;
    case 'config':
      return 'the config file';
    default: {
      const unexpected: never = source;
      throw new Error(`unexpected server source ${String(unexpected)}`);
    }
  }
}

export interface ResolveServerOptions {
  /** The `--server`/`-s` flag, when given. */
  readonly flag?: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly homeDirectory?: string;
}

/** The API server to talk to: the flag, else the environment, else the config file; a `CliError` saying the three ways when none is set. */
export async function resolveServer(options: ResolveServerOptions): Promise<ResolvedServer> {
  if (options.flag !== undefined && options.flag !== '') return { server: normalizeServer(options.flag, 'flag'), source: 'flag' };
  const fromEnv = options.env[SERVER_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return { server: normalizeServer(fromEnv, 'env'), source: 'env' };
  const configPath = cliConfigPath(options.env, options.homeDirectory);
  const config = await readCliConfig(configPath);
  if (config.server !== undefined && config.server !== '') return { server: normalizeServer(config.server, 'config'), source: 'config' };
  throw new CliError(
    `no API server address: pass --server URL, set ${SERVER_ENV}=URL, or write {"server": "http://127.0.0.1:6443"} to ${configPath}` +
      (options.env[CONFIG_ENV] ? '' : ` (or to the file ${CONFIG_ENV} names)`),
  );
}

/**
 * The credentials of the config file at `configPath` (default: `cliConfigPath()`), files
 * read; a `CliError` naming the file that cannot be read, or a certificate without its key.
 */
export async function resolveCredentials(configPath: string): Promise<ResolvedCredentials> {
  const config = await readCliConfig(configPath);
  if ((config.clientCertificate === undefined) !== (config.clientKey === undefined)) {
    throw new CliError(`the config file ${configPath}: "clientCertificate" and "clientKey" go together`);
  }
  const load = async (file: string | undefined, field: string): Promise<Buffer | undefined> => {
    if (file === undefined || file === '') return undefined;
    const resolved = path.resolve(path.dirname(configPath), file);
    try {
      return await readFile(resolved);
    } catch (error) {
      throw new CliError(`the config file ${configPath}: cannot read its ${field} ${resolved}: ${(error as Error).message}`);
    }
  };
  const ca = await load(config.certificateAuthority, 'certificateAuthority');
  const cert = await load(config.clientCertificate, 'clientCertificate');
  const key = await load(config.clientKey, 'clientKey');
  const tls = { ...(ca !== undefined ? { ca } : {}), ...(cert !== undefined ? { cert } : {}), ...(key !== undefined ? { key } : {}) };
  return {
    ...(config.token !== undefined && config.token !== '' ? { token: config.token } : {}),
    ...(Object.keys(tls).length > 0 ? { tls } : {}),
  };
}
