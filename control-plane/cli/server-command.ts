/**
 * `balsa server` — one process that is a KV member (etcd's flags, as `balsa kv serve`), an
 * API server over it (the API server reaches the KV through its own member's client
 * endpoint, so every write goes through Raft), and the scheduler and the controller manager,
 * each leader-elected so that one member's are active at a time (`--scheduler=false`,
 * `--controllers none` turn them off); and `balsa apiserver --kv-endpoints URLS` —
 * the API server alone, over any etcd v3 endpoints (Balsa's KV or a real etcd).
 *
 * The API server's KV client takes etcdctl's TLS flags with a `kv-` prefix: `--kv-cacert`
 * (the CA the KV's certificate must chain to), `--kv-cert` and `--kv-key` (the client
 * certificate a KV with `--client-cert-auth` asks for). `balsa server` reaches its own
 * member at the URLs it serves (https:// ones over TLS); without `--kv-*` flags it presents
 * the member's own certificate (`--cert-file`, `--key-file`, which then needs the clientAuth
 * extKeyUsage) and trusts `--trusted-ca-file`, as etcd's gateway dials its own member.
 * Against a KV with auth on (etcd's Auth API), both authenticate as `--kv-user
 * name:password` (etcdctl's `--user` form; `BALSA_KV_USER` in the environment instead keeps
 * the password out of the process list); `balsa server`'s API server reaches its own
 * member as a client like any other, so that user needs the role `root` or read-write on
 * the registry prefix.
 *
 * Both run until SIGINT or SIGTERM, then stop the API server (watches end, ports freed)
 * and the KV member, and exit 0.
 */
import { parseArgs } from 'node:util';
import { EtcdClientError, readEtcdClientTls } from '../../kv/client/index.js';
import type { EtcdClientTls } from '../../kv/client/index.js';
import type { Registry } from 'prom-client';
import { createLogger, DEFAULT_LOG_LEVEL, LOG_LEVELS, lineLogger, parseLogLevel } from '../../kv/logging/logger.js';
import type { Logger, LogLevel } from '../../kv/logging/logger.js';
import { KvConfigError, parseKvServerConfig } from '../../kv/server/config.js';
import { KvStartError } from '../../kv/server/etcd-errors.js';
import { KvServer } from '../../kv/server/kv-server.js';
import { processRegistry } from '../../kv/server/metrics/process-registry.js';
import { serverOptionsFromConfig } from '../../kv/server/server-options.js';
import { ApiServer, DEFAULT_API_GRPC_PORT, DEFAULT_API_HTTP_PORT } from '../apiserver/api-server.js';
import { EncryptionConfigError, SecretEncryption } from '../apiserver/secret-encryption.js';
import type { EtcdCredentials } from '../../kv/client/etcd-client.js';
import { DEFAULT_REGISTRY_PREFIX } from '../apiserver/storage-keys.js';
import { WATCH_CACHE_CAPACITY } from '../apiserver/watch-cache.js';
import { AUTHORIZATION_MODES } from '../apiserver/auth/request-guard.js';
import type { AuthorizationMode } from '../apiserver/auth/request-guard.js';
import { TokenFileError, readTokenFile } from '../apiserver/auth/token-file.js';
import type { UserInfo } from '../apiserver/auth/user-info.js';
import { TlsFileError, loadServingTls } from '../apiserver/serving-tls.js';
import type { ServingTls } from '../apiserver/serving-tls.js';
import { controllerSettings } from './control-loops-command.js';
import { UsageError, parseDurationSeconds } from './durations.js';
import { startControlLoops } from './control-loops.js';
import { LIMIT_FLAG_NAMES, LIMIT_FLAGS, LIMIT_USAGE, parseLimitFlags } from './limit-flags.js';
import type { ApiLimits, LimitFlagName } from './limit-flags.js';
import type { ControllerSettings } from './control-loops.js';

/** The API server's own flags; `balsa server` takes them beside etcd's. */
const API_FLAGS = {
  'api-host': { type: 'string', default: '127.0.0.1' },
  'api-port': { type: 'string', default: String(DEFAULT_API_HTTP_PORT) },
  'api-grpc-port': { type: 'string', default: String(DEFAULT_API_GRPC_PORT) },
  'kv-prefix': { type: 'string', default: DEFAULT_REGISTRY_PREFIX },
  'event-ttl': { type: 'string', default: '1h' },
  'default-watch-cache-size': { type: 'string', default: String(WATCH_CACHE_CAPACITY) },
  'encryption-key-file': { type: 'string' },
  'rewrite-secrets': { type: 'boolean' },
  ...LIMIT_FLAGS,
  'kv-cacert': { type: 'string' },
  'kv-cert': { type: 'string' },
  'kv-key': { type: 'string' },
  'kv-user': { type: 'string' },
  'log-level': { type: 'string', default: DEFAULT_LOG_LEVEL },
  'api-cert-file': { type: 'string' },
  'api-key-file': { type: 'string' },
  'api-trusted-ca-file': { type: 'string' },
  'token-auth-file': { type: 'string' },
  'authorization-mode': { type: 'string', default: 'AlwaysAllow' },
} as const;

/** The security flags' usage, shared by both commands. */
const SECURITY_USAGE = `[--api-cert-file PEM --api-key-file PEM [--api-trusted-ca-file PEM]] [--token-auth-file CSV] [--authorization-mode AlwaysAllow|RBAC]`;

const SERVER_USAGE = `usage: balsa server [etcd flags: --name, --data-dir, --listen-client-urls, --initial-cluster, ...]
                    [--api-host 127.0.0.1] [--api-port ${DEFAULT_API_HTTP_PORT}] [--api-grpc-port ${DEFAULT_API_GRPC_PORT}] [--kv-prefix /registry] [--event-ttl 1h] [--default-watch-cache-size ${WATCH_CACHE_CAPACITY}]
                    [--encryption-key-file PATH] [--rewrite-secrets] [--kv-cacert PATH --kv-cert PATH --kv-key PATH] [--kv-user NAME:PASSWORD] ${SECURITY_USAGE}
                    [--log-level ${LOG_LEVELS.join('|')}] ${LIMIT_USAGE}
                    [--scheduler=true] [--controllers all|none|LIST] [--node-monitor-grace-period 40s] [--pod-eviction-timeout 5m]`;
const APISERVER_USAGE = `usage: balsa apiserver --kv-endpoints URL[,URL...] [--api-host 127.0.0.1] [--api-port ${DEFAULT_API_HTTP_PORT}] [--api-grpc-port ${DEFAULT_API_GRPC_PORT}] [--kv-prefix /registry] [--event-ttl 1h] [--default-watch-cache-size ${WATCH_CACHE_CAPACITY}]
                       [--encryption-key-file PATH] [--rewrite-secrets] [--kv-cacert PATH] [--kv-cert PATH --kv-key PATH] [--kv-user NAME:PASSWORD] ${SECURITY_USAGE}
                       [--log-level ${LOG_LEVELS.join('|')}] ${LIMIT_USAGE}`;

interface ApiFlags {
  readonly host: string;
  readonly httpPort: number;
  readonly grpcPort: number;
  readonly prefix: string;
  readonly eventTtlSeconds: number;
  /** Changes each resource's watch cache keeps (0: no cache, every watch is a KV watch of its own). */
  readonly watchCacheSize: number;
  /** Secrets are encrypted at rest with its keys (see secret-encryption.ts); absent: stored as plaintext. */
  readonly encryptionKeyFile?: string;
  /** Rewrite every Secret not under the first key once started (a key rotation's second step). */
  readonly rewriteSecrets: boolean;
  /** Requests in flight, watches and rate per client, connections and streams (`limit-flags.ts`). */
  readonly limits: ApiLimits;
  /** `--kv-cacert`, `--kv-cert`, `--kv-key`: the KV client's TLS files (each absent when not given). */
  readonly kvTlsFiles: { readonly caFile?: string; readonly certFile?: string; readonly keyFile?: string };
  /** The KV user to authenticate as (`--kv-user name:password`, else `BALSA_KV_USER`). */
  readonly kvCredentials?: EtcdCredentials;
  /** Serve TLS with this certificate and key; verify client certificates against the trusted CA. */
  readonly tlsFiles?: { certFile: string; keyFile: string; trustedCaFile?: string };
  /** kube-apiserver's static token file. */
  readonly tokenAuthFile?: string;
  readonly authorizationMode: AuthorizationMode;
}


function port(value: string, flag: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65535) throw new UsageError(`--${flag} must be a port number (0-65535), got "${value}"`);
  return Number(value);
}

function apiFlags(values: Partial<Record<LimitFlagName, string>> & {
  'api-host'?: string;
  'api-port'?: string;
  'api-grpc-port'?: string;
  'kv-prefix'?: string;
  'event-ttl'?: string;
  'default-watch-cache-size'?: string;
  'encryption-key-file'?: string;
  'rewrite-secrets'?: string | boolean;
  'kv-cacert'?: string;
  'kv-cert'?: string;
  'kv-key'?: string;
  'kv-user'?: string;
  'api-cert-file'?: string;
  'api-key-file'?: string;
  'api-trusted-ca-file'?: string;
  'token-auth-file'?: string;
  'authorization-mode'?: string;
}): ApiFlags {
  const watchCacheSize = values['default-watch-cache-size'] ?? String(WATCH_CACHE_CAPACITY);
  if (!/^\d+$/.test(watchCacheSize)) throw new UsageError(`--default-watch-cache-size must be a whole number of changes (0 turns the cache off), got "${watchCacheSize}"`);
  const prefix = values['kv-prefix'] ?? DEFAULT_REGISTRY_PREFIX;
  if (!prefix.startsWith('/') || prefix.endsWith('/')) throw new UsageError(`--kv-prefix must start with '/' and not end with one, got "${prefix}"`);
  const rewrite = values['rewrite-secrets'] ?? false;
  if (rewrite !== true && rewrite !== false && rewrite !== 'true' && rewrite !== 'false') throw new UsageError(`--rewrite-secrets must be true or false, got "${rewrite}"`);
  const rewriteSecrets = rewrite === true || rewrite === 'true';
  const keyFile = values['encryption-key-file'];
  if (rewriteSecrets && keyFile === undefined) throw new UsageError('--rewrite-secrets needs --encryption-key-file (the key to rewrite the secrets with)');
  const kvUser = values['kv-user'] ?? process.env.BALSA_KV_USER;
  const kvCredentials = kvUser === undefined ? undefined : credentialsOf(kvUser);
  const certFile = values['api-cert-file'];
  const tlsKeyFile = values['api-key-file'];
  const trustedCaFile = values['api-trusted-ca-file'];
  if ((certFile === undefined) !== (tlsKeyFile === undefined)) throw new UsageError('--api-cert-file and --api-key-file go together: the certificate the API server serves and its key');
  if (trustedCaFile !== undefined && certFile === undefined) throw new UsageError('--api-trusted-ca-file needs --api-cert-file: client certificates are verified over TLS only');
  const mode = values['authorization-mode'] ?? 'AlwaysAllow';
  if (!(AUTHORIZATION_MODES as readonly string[]).includes(mode)) throw new UsageError(`--authorization-mode must be one of ${AUTHORIZATION_MODES.join(', ')}, got "${mode}"`);
  return {
    host: values['api-host'] ?? '127.0.0.1',
    httpPort: port(values['api-port'] ?? String(DEFAULT_API_HTTP_PORT), 'api-port'),
    grpcPort: port(values['api-grpc-port'] ?? String(DEFAULT_API_GRPC_PORT), 'api-grpc-port'),
    prefix,
    eventTtlSeconds: parseDurationSeconds(values['event-ttl'] ?? '1h', 'event-ttl'),
    watchCacheSize: Number(watchCacheSize),
    ...(keyFile !== undefined ? { encryptionKeyFile: keyFile } : {}),
    rewriteSecrets,
    limits: parseLimitFlags(values),
    kvTlsFiles: {
      ...(values['kv-cacert'] !== undefined ? { caFile: values['kv-cacert'] } : {}),
      ...(values['kv-cert'] !== undefined ? { certFile: values['kv-cert'] } : {}),
      ...(values['kv-key'] !== undefined ? { keyFile: values['kv-key'] } : {}),
    },
    ...(kvCredentials !== undefined ? { kvCredentials } : {}),
    ...(certFile !== undefined && tlsKeyFile !== undefined ? { tlsFiles: { certFile, keyFile: tlsKeyFile, ...(trustedCaFile !== undefined ? { trustedCaFile } : {}) } } : {}),
    ...(values['token-auth-file'] !== undefined ? { tokenAuthFile: values['token-auth-file'] } : {}),
    authorizationMode: mode as AuthorizationMode,
  };
}

/** The TLS files and token file, read before anything starts (a bad file is a usage error: exit 2). */
async function loadSecurity(flags: ApiFlags): Promise<ApiSecurity> {
  try {
    return {
      ...(flags.tlsFiles !== undefined ? { tls: await loadServingTls(flags.tlsFiles) } : {}),
      ...(flags.tokenAuthFile !== undefined ? { tokens: await readTokenFile(flags.tokenAuthFile) } : {}),
    };
  } catch (error) {
    if (error instanceof TokenFileError) throw new UsageError(`--token-auth-file: ${error.message}`);
    throw error instanceof TlsFileError ? new UsageError(error.message) : error;
  }
}

interface ApiSecurity {
  readonly tls?: ServingTls;
  readonly tokens?: ReadonlyMap<string, UserInfo>;
}

/** `name:password` (etcdctl's `--user`); the password may hold colons. */
function credentialsOf(value: string): EtcdCredentials {
  const colon = value.indexOf(':');
  if (colon <= 0) throw new UsageError(`--kv-user must be NAME:PASSWORD, got "${value.replace(/:.*/, ':…')}"`);
  return { user: value.slice(0, colon), password: value.slice(colon + 1) };
}

/** The key file's keys, read before anything starts (a bad file is a usage error: exit 2). */
async function loadEncryption(flags: ApiFlags): Promise<SecretEncryption | undefined> {
  if (flags.encryptionKeyFile === undefined) return undefined;
  try {
    return await SecretEncryption.fromFile(flags.encryptionKeyFile);
  } catch (error) {
    throw error instanceof EncryptionConfigError ? new UsageError(`--encryption-key-file: ${error.message}`) : error;
  }
}

const API_FLAG_PATTERN = new RegExp(
  `^--?(api-host|api-port|api-grpc-port|kv-prefix|event-ttl|default-watch-cache-size|encryption-key-file|rewrite-secrets|kv-cacert|kv-cert|kv-key|kv-user|api-cert-file|api-key-file|api-trusted-ca-file|token-auth-file|authorization-mode|scheduler|controllers|node-monitor-grace-period|pod-eviction-timeout|${LIMIT_FLAG_NAMES.join('|')})(?:=(.*))?$`,
);

/** Splits argv into the API server's flags and the rest (etcd's). */
function splitApiFlags(argv: readonly string[]): { api: Record<string, string>; rest: string[] } {
  const api: Record<string, string> = {};
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const match = API_FLAG_PATTERN.exec(arg);
    if (match === null) {
      rest.push(arg);
      continue;
    }
    // `--scheduler` and `--rewrite-secrets` alone mean true; every other flag takes a value.
    const boolean = match[1] === 'scheduler' || match[1] === 'rewrite-secrets';
    const value = match[2] ?? (boolean && (argv[i + 1] === undefined || argv[i + 1]!.startsWith('-')) ? 'true' : argv[++i]);
    if (value === undefined) throw new UsageError(`--${match[1]} needs a value`);
    api[match[1]!] = value;
  }
  return { api, rest };
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve());
  });
}

/** The KV client's TLS from `files` (a file that cannot be read is a usage error: exit 2). */
function loadKvTls(files: ApiFlags['kvTlsFiles']): EtcdClientTls | undefined {
  try {
    return readEtcdClientTls(files);
  } catch (error) {
    throw error instanceof EtcdClientError ? new UsageError(`--kv-cacert/--kv-cert/--kv-key: ${error.message}`) : error;
  }
}

interface Observability {
  readonly logger: Logger;
  /** The process's registry: the API server serves it at /metrics. */
  readonly registry: Registry;
}

async function startApi(
  flags: ApiFlags,
  encryption: SecretEncryption | undefined,
  security: ApiSecurity,
  kvEndpoints: readonly string[],
  kvTls: EtcdClientTls | undefined,
  who: string,
  observability: Observability,
): Promise<ApiServer> {
  const api = await ApiServer.start({
    ...security,
    authorizationMode: flags.authorizationMode,
    kvEndpoints,
    ...(kvTls !== undefined ? { kvTls } : {}),
    host: flags.host,
    httpPort: flags.httpPort,
    grpcPort: flags.grpcPort,
    prefix: flags.prefix,
    eventTtlSeconds: flags.eventTtlSeconds,
    watchCacheSize: flags.watchCacheSize,
    ...(encryption !== undefined ? { encryption } : {}),
    rewriteSecrets: flags.rewriteSecrets,
    requestLimits: flags.limits.requestLimits,
    maxConnections: flags.limits.maxConnections,
    maxConcurrentStreams: flags.limits.maxConcurrentStreams,
    ...(flags.kvCredentials !== undefined ? { kvCredentials: flags.kvCredentials } : {}),
    log: lineLogger(observability.logger, 'apiserver'),
    logger: observability.logger.child({ component: 'apiserver' }),
    metricsRegistry: observability.registry,
  });
  console.log(`${who}: API server on ${api.http.url} (gRPC ${api.grpc.address}${security.tls !== undefined ? ', TLS' : ''}, authorization ${flags.authorizationMode}), storing under ${flags.prefix} in ${kvEndpoints.join(',')}`);
  return api;
}

export async function serverCommand(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(SERVER_USAGE);
    return 0;
  }
  let flags: ApiFlags;
  let kvOptions;
  let loops: { scheduler: boolean; settings: ControllerSettings };
  let encryption: SecretEncryption | undefined;
  let kvTls: EtcdClientTls | undefined;
  let logLevel: LogLevel;
  let security: ApiSecurity;
  try {
    const { api, rest } = splitApiFlags(argv);
    flags = apiFlags(api);
    // The in-process scheduler and controllers verify the server's certificate with the trusted CA.
    if (flags.tlsFiles !== undefined && flags.tlsFiles.trustedCaFile === undefined) {
      throw new UsageError('--api-cert-file needs --api-trusted-ca-file in balsa server: its scheduler and controllers verify the API server\'s certificate with it');
    }
    const scheduler = api.scheduler ?? 'true';
    if (scheduler !== 'true' && scheduler !== 'false') throw new UsageError(`--scheduler must be true or false, got "${scheduler}"`);
    try {
      loops = { scheduler: scheduler === 'true', settings: controllerSettings(api) };
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    const parsed = parseKvServerConfig(rest, process.env);
    for (const warning of parsed.warnings) console.error(`balsa server: warning: ${warning}`);
    kvOptions = { ...serverOptionsFromConfig(parsed.config, process.env), metricsRegistry: processRegistry() };
    logLevel = parsed.config.logLevel;
    encryption = await loadEncryption(flags);
    // Without --kv-* flags, the member's own certificate and CA (see the file comment).
    const ownTls = kvOptions.clientTls;
    const given = Object.keys(flags.kvTlsFiles).length > 0;
    kvTls = loadKvTls(
      given || ownTls === undefined ? flags.kvTlsFiles : { certFile: ownTls.certFile, keyFile: ownTls.keyFile, ...(ownTls.trustedCaFile === undefined ? {} : { caFile: ownTls.trustedCaFile }) },
    );
    security = await loadSecurity(flags);
  } catch (error) {
    if (error instanceof KvConfigError || error instanceof UsageError) {
      console.error(`balsa server: ${error.message}\n${SERVER_USAGE}`);
      return 2;
    }
    throw error;
  }
  const logger = createLogger({ level: logLevel, base: { member: kvOptions.name } });
  const observability = { logger, registry: kvOptions.metricsRegistry };
  let kv: KvServer;
  try {
    kv = await KvServer.start(kvOptions, { warn: lineLogger(logger, 'etcdserver', 'warn'), error: lineLogger(logger, 'etcdserver', 'error') });
  } catch (error) {
    if (error instanceof KvStartError) {
      console.error(`balsa server: ${error.message}`);
      return 1;
    }
    throw error;
  }
  console.log(`balsa server ${kvOptions.name}: KV serving clients on ${kv.clientAddresses.join(', ')} (member ${kv.memberId.toString(16)})`);
  let api: ApiServer;
  try {
    api = await startApi(flags, encryption, security, kv.clientUrls, kvTls, `balsa server ${kvOptions.name}`, observability);
  } catch (error) {
    console.error(`balsa server: cannot start the API server: ${(error as Error).message}`);
    await kv.stop();
    return 1;
  }
  const controlLoops = startControlLoops({
    apiGrpcAddress: api.grpc.address,
    credentials: { token: api.loopback.token, ...(api.loopback.ca !== undefined ? { ca: api.loopback.ca } : {}) },
    scheduler: loops.scheduler,
    controllerManager: (loops.settings.controllers ?? []).length > 0,
    controllerSettings: loops.settings,
    identity: `${kvOptions.name}_${process.pid}`,
    log: (line, fields) => logger.info({ component: 'control-loops', ...fields }, line),
    metricsRegistry: observability.registry,
  });
  await Promise.race([kv.stopped, untilSignal()]);
  // Release the leases first so that another member's loops take over at once.
  await controlLoops.stop();
  await api.stop();
  await kv.stop();
  return 0;
}

export async function apiServerCommand(argv: readonly string[]): Promise<number> {
  let flags: ApiFlags;
  let endpoints: string[];
  let encryption: SecretEncryption | undefined;
  let kvTls: EtcdClientTls | undefined;
  let logLevel: LogLevel;
  let security: ApiSecurity;
  try {
    const { values } = parseArgs({ args: [...argv], options: { ...API_FLAGS, 'kv-endpoints': { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true });
    if (values.help === true) {
      console.log(APISERVER_USAGE);
      return 0;
    }
    flags = apiFlags(values);
    const level = parseLogLevel(values['log-level'] ?? DEFAULT_LOG_LEVEL);
    if (level === null) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got "${values['log-level']}"`);
    logLevel = level;
    endpoints = (values['kv-endpoints'] ?? '').split(',').map((endpoint) => endpoint.trim()).filter((endpoint) => endpoint !== '');
    if (endpoints.length === 0) throw new UsageError('--kv-endpoints is required: the etcd v3 endpoints to store objects in (http://127.0.0.1:2379,...)');
    encryption = await loadEncryption(flags);
    kvTls = loadKvTls(flags.kvTlsFiles);
    security = await loadSecurity(flags);
  } catch (error) {
    console.error(`balsa apiserver: ${(error as Error).message}\n${APISERVER_USAGE}`);
    return 2;
  }
  let api: ApiServer;
  try {
    api = await startApi(flags, encryption, security, endpoints, kvTls, 'balsa apiserver', { logger: createLogger({ level: logLevel }), registry: processRegistry() });
  } catch (error) {
    console.error(`balsa apiserver: ${(error as Error).message}`);
    return 1;
  }
  await untilSignal();
  await api.stop();
  return 0;
}
