/**
 * `balsa kv serve` configuration: etcd's own flag names, defaults and meanings (etcd 3.4,
 * `etcd --help`), so that a command line or an environment written for etcd starts Balsa.
 * Pure: it reads the arguments and the environment it is given, nothing else.
 *
 * - Flags as etcd (Go's flag package) takes them: `--flag value`, `--flag=value`, and the
 *   one-dash forms `-flag value`, `-flag=value`; a repeated flag keeps its last value.
 * - The environment variables etcd reads: `ETCD_` + the flag's name in capitals with `_`
 *   for `-` (`ETCD_NAME`, `ETCD_DATA_DIR`, `ETCD_INITIAL_CLUSTER`, ...); empty ones are
 *   ignored, as etcd does. A flag given both ways takes the command line's value and
 *   warns (etcd 3.4 refuses to start instead); an `ETCD_*` variable that names no flag
 *   warns, as etcd does.
 * - Bad input is a `KvConfigError` naming the flag (or variable) and what is wrong with it.
 *
 * Member and cluster ids are etcd's (`memberIdFor`, `clusterIdFor`), so a Balsa member of a
 * new cluster has the id etcd would give it for the same peer URLs and cluster token.
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { DEFAULT_KV_CLIENT_LIMITS, DEFAULT_MAX_CONCURRENT_STREAMS, DEFAULT_MAX_WATCHERS_PER_STREAM, limitProblem } from './limits.js';
import type { KvClientLimits } from './limits.js';
import type { TlsFiles } from '../security/tls-files.js';
import { LOG_LEVELS } from '../logging/logger.js';
import type { LogLevel } from '../logging/logger.js';

// ---------------------------------------------------------------------------------------
// The configuration

/** How old revisions are compacted automatically (`--auto-compaction-mode` / `-retention`). */
export type AutoCompaction =
  | { readonly mode: 'off' }
  /** Keep the history of the last `retentionMs` (etcd compacts every retention period, or hourly once it is over an hour). */
  | { readonly mode: 'periodic'; readonly retentionMs: number }
  /** Keep the last `retainRevisions` revisions. */
  | { readonly mode: 'revision'; readonly retainRevisions: number };

/** A member of `--initial-cluster`. */
export interface InitialClusterMember {
  readonly name: string;
  /** Its peer URLs, in the order given. */
  readonly peerUrls: readonly string[];
  /** Its id as etcd computes it for a member of a new cluster (`memberIdFor(peerUrls, token)`). */
  readonly id: bigint;
}

export interface KvServerConfig {
  /** `--name`: this member's human-readable name. */
  readonly name: string;
  /** `--data-dir`: default `<name>.etcd` (relative to the working directory). */
  readonly dataDir: string;
  /** `--listen-client-urls`: where to serve clients (http, or https with `clientTls`; host an IP address or `localhost`). */
  readonly listenClientUrls: readonly string[];
  /** `--advertise-client-urls`: the client URLs told to the rest of the cluster and to clients. */
  readonly advertiseClientUrls: readonly string[];
  /** `--listen-metrics-urls`: where else to serve `/metrics` and `/health` (http, or https with `clientTls`); default none. */
  readonly listenMetricsUrls: readonly string[];
  /** `--listen-peer-urls`: where to serve the other members (http, or https with `peerTls`; host an IP address or `localhost`). */
  readonly listenPeerUrls: readonly string[];
  /** `--initial-advertise-peer-urls`: this member's peer URLs as the other members reach them. */
  readonly initialAdvertisePeerUrls: readonly string[];
  /** `--initial-cluster`: the members to bootstrap with; this member is among them. */
  readonly initialCluster: readonly InitialClusterMember[];
  /** `--initial-cluster-state`: `new` bootstraps a cluster, `existing` joins one. */
  readonly initialClusterState: 'new' | 'existing';
  /** `--initial-cluster-token`: salts the ids, so that two clusters with the same URLs never mix. */
  readonly initialClusterToken: string;
  /** `--snapshot-count`: applied entries between two snapshots (0 means the default). */
  readonly snapshotCount: number;
  /** `--quota-backend-bytes`: the store size that raises the NOSPACE alarm; Infinity when disabled (a negative value). */
  readonly quotaBackendBytes: number;
  /** `--max-request-bytes`: the largest client request accepted. */
  readonly maxRequestBytes: number;
  /** `--max-concurrent-streams` and `--max-watchers-per-stream` (see `limits.ts`). */
  readonly clientLimits: KvClientLimits;
  /** `--auto-compaction-mode` and `--auto-compaction-retention`. */
  readonly autoCompaction: AutoCompaction;
  /** `--heartbeat-interval`, in milliseconds. */
  readonly heartbeatIntervalMs: number;
  /** `--election-timeout`, in milliseconds: at least 5 heartbeat intervals, at most 50 s. */
  readonly electionTimeoutMs: number;
  /**
   * `--experimental-enable-lease-checkpoint`: the leader records leases' remaining TTLs
   * through Raft now and then, so that a new leader (or a restarted cluster) does not give
   * them their full TTL again. Off by default, as in etcd 3.4.
   */
  readonly experimentalEnableLeaseCheckpoint: boolean;
  /** The client port's TLS (`--cert-file`, `--key-file`, `--trusted-ca-file`, `--client-cert-auth`); undefined without a certificate. */
  readonly clientTls: TlsFiles | undefined;
  /** The peer port's TLS (the `--peer-*` twins); undefined without a certificate. */
  readonly peerTls: TlsFiles | undefined;
  /** `--auth-token-ttl`: seconds an unused simple auth token lives (etcd's default 300). */
  readonly authTokenTtlSeconds: number;
  /** `--log-level`: the least severe level logged (debug, info, warn, error). */
  readonly logLevel: LogLevel;
  /** This member's id in `initialCluster` (etcd's computation; a member joining an existing cluster learns its id from it). */
  readonly memberId: bigint;
  /** The cluster id etcd computes from the initial members' ids; only for `new` (a joining member learns it from the cluster). */
  readonly clusterId: bigint | undefined;
}

export interface ParsedKvServerConfig {
  readonly config: KvServerConfig;
  /** Things worth telling the operator that do not stop the server (shadowed or unknown variables, a disabled quota). */
  readonly warnings: readonly string[];
}

/** etcd's defaults, where the flag table's text defaults need a number. */
export const DEFAULT_SNAPSHOT_COUNT = 100_000;
/** 2 GiB: the backend quota when `--quota-backend-bytes` is 0. */
export const DEFAULT_QUOTA_BACKEND_BYTES = 2 * 1024 * 1024 * 1024;
/** 8 GiB: etcd warns above it. */
export const MAX_RECOMMENDED_QUOTA_BACKEND_BYTES = 8 * 1024 * 1024 * 1024;
/** 1.5 MiB. */
export const DEFAULT_MAX_REQUEST_BYTES = 1_572_864;
/** etcd refuses election timeouts above this. */
export const MAX_ELECTION_TIMEOUT_MS = 50_000;
/** The election timeout must be at least this many heartbeat intervals. */
export const MIN_ELECTION_TIMEOUT_HEARTBEATS = 5;

// ---------------------------------------------------------------------------------------
// Errors

export type KvConfigErrorCode =
  | 'UNKNOWN_FLAG'
  | 'UNSUPPORTED_FLAG'
  | 'MISSING_VALUE'
  | 'UNEXPECTED_ARGUMENT'
  | 'INVALID_VALUE'
  | 'INVALID_URL'
  | 'INCONSISTENT';

/** Bad `balsa kv serve` flags or `ETCD_*` variables: nothing starts. */
export class KvConfigError extends Error {
  /** Never: the same input fails the same way. */
  readonly retryable = false;
  constructor(
    readonly code: KvConfigErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'KvConfigError';
  }
}

// ---------------------------------------------------------------------------------------
// The flags

type FlagName =
  | 'name'
  | 'data-dir'
  | 'listen-client-urls'
  | 'advertise-client-urls'
  | 'listen-peer-urls'
  | 'listen-metrics-urls'
  | 'initial-advertise-peer-urls'
  | 'initial-cluster'
  | 'initial-cluster-state'
  | 'initial-cluster-token'
  | 'snapshot-count'
  | 'quota-backend-bytes'
  | 'max-request-bytes'
  | 'max-concurrent-streams'
  | 'max-watchers-per-stream'
  | 'auto-compaction-retention'
  | 'auto-compaction-mode'
  | 'heartbeat-interval'
  | 'election-timeout'
  | 'experimental-enable-lease-checkpoint'
  | 'cert-file'
  | 'key-file'
  | 'trusted-ca-file'
  | 'client-cert-auth'
  | 'peer-cert-file'
  | 'peer-key-file'
  | 'peer-trusted-ca-file'
  | 'peer-client-cert-auth'
  | 'auth-token-ttl'
  | 'log-level';

export interface KvServerFlag {
  readonly name: FlagName;
  /** The environment variable etcd reads for it. */
  readonly env: string;
  /** The default as `etcd --help` prints it. */
  readonly defaultText: string;
  readonly description: string;
  /** A Go bool flag: `--flag` alone means true, and a value is given only as `--flag=value`. */
  readonly boolean: boolean;
}

const flag = (name: FlagName, defaultText: string, description: string, boolean = false): KvServerFlag => ({
  name,
  env: envNameOf(name),
  defaultText,
  description,
  boolean,
});

/** Every flag `balsa kv serve` takes, with etcd's defaults and descriptions (for `--help`). */
export const KV_SERVER_FLAGS: readonly KvServerFlag[] = [
  flag('name', 'default', 'Human-readable name for this member.'),
  flag('data-dir', '${name}.etcd', 'Path to the data directory.'),
  flag('listen-client-urls', 'http://localhost:2379', 'List of URLs to listen on for client traffic.'),
  flag('listen-metrics-urls', '', 'List of URLs to listen on for the metrics and health endpoints.'),
  flag('advertise-client-urls', 'http://localhost:2379', "List of this member's client URLs to advertise to the public."),
  flag('listen-peer-urls', 'http://localhost:2380', 'List of URLs to listen on for peer traffic.'),
  flag('initial-advertise-peer-urls', 'http://localhost:2380', "List of this member's peer URLs to advertise to the rest of the cluster."),
  flag('initial-cluster', 'default=http://localhost:2380', 'Initial cluster configuration for bootstrapping (default: ${name}=<initial-advertise-peer-urls>).'),
  flag('initial-cluster-state', 'new', "Initial cluster state ('new' or 'existing')."),
  flag('initial-cluster-token', 'etcd-cluster', 'Initial cluster token for the etcd cluster during bootstrap.'),
  flag('snapshot-count', '100000', 'Number of committed transactions to trigger a snapshot to disk.'),
  flag('quota-backend-bytes', '0', 'Raise alarms when backend size exceeds the given quota (0 defaults to 2 GiB; negative disables it).'),
  flag('max-request-bytes', '1572864', 'Maximum client request size in bytes the server will accept.'),
  flag('max-concurrent-streams', 'math.MaxUint32', 'Maximum concurrent streams that each client can open at a time.'),
  // Balsa's own (etcd has no limit): see limits.ts.
  flag('max-watchers-per-stream', String(DEFAULT_MAX_WATCHERS_PER_STREAM), 'Maximum watchers one watch stream can hold (Balsa; etcd has no limit).'),
  flag('auto-compaction-retention', '0', 'Auto compaction retention length. 0 means disable auto compaction.'),
  flag('auto-compaction-mode', 'periodic', "Interpret 'auto-compaction-retention' one of: periodic|revision: a duration (hours if no unit, e.g. '5m') or a number of revisions."),
  flag('heartbeat-interval', '100', 'Time (in milliseconds) of a heartbeat interval.'),
  flag('election-timeout', '1000', 'Time (in milliseconds) for an election to timeout.'),
  flag(
    'experimental-enable-lease-checkpoint',
    'false',
    'ExperimentalEnableLeaseCheckpoint enables primary lessor to persist lease remainingTTL to prevent indefinite auto-renewal of long lived leases.',
    true,
  ),
  flag('cert-file', '', 'Path to the client server TLS cert file.'),
  flag('key-file', '', 'Path to the client server TLS key file.'),
  flag('client-cert-auth', 'false', 'Enable client cert authentication.', true),
  flag('trusted-ca-file', '', 'Path to the client server TLS trusted CA cert file.'),
  flag('peer-cert-file', '', 'Path to the peer server TLS cert file.'),
  flag('peer-key-file', '', 'Path to the peer server TLS key file.'),
  flag('peer-client-cert-auth', 'false', 'Enable peer client cert authentication.', true),
  flag('peer-trusted-ca-file', '', 'Path to the peer server TLS trusted CA file.'),
  flag('auth-token-ttl', '300', 'The lifetime in seconds of the auth token.'),
  flag('log-level', 'info', 'Configures log level. Only supports debug, info, warn, error.'),
];

const FLAGS_BY_NAME: ReadonlyMap<string, KvServerFlag> = new Map(KV_SERVER_FLAGS.map((f) => [f.name, f]));

/** etcd flags Balsa does not implement: named as such rather than as unknown. */
const UNSUPPORTED_ETCD_FLAGS: ReadonlySet<string> = new Set([
  'wal-dir', 'max-snapshots', 'max-wals', 'enable-v2', 'enable-pprof', 'metrics',
  'logger', 'log-outputs', 'debug', 'discovery', 'discovery-srv', 'discovery-srv-name',
  'discovery-fallback', 'discovery-proxy', 'strict-reconfig-check', 'pre-vote', 'initial-election-tick-advance',
  'force-new-cluster', 'auth-token', 'cors', 'host-whitelist',
  'client-crl-file', 'auto-tls', 'peer-auto-tls', 'peer-crl-file', 'cipher-suites', 'proxy', 'backend-batch-interval',
  'backend-batch-limit', 'max-txn-ops', 'grpc-keepalive-min-time', 'grpc-keepalive-interval',
  'grpc-keepalive-timeout', 'socket-reuse-port', 'socket-reuse-address', 'unsafe-no-fsync',
]);

function envNameOf(flagName: string): string {
  return `ETCD_${flagName.toUpperCase().replace(/-/g, '_')}`;
}

// ---------------------------------------------------------------------------------------
// Parsing

/**
 * The configuration from command-line arguments (after `balsa kv serve`) and an environment
 * (pass `process.env` to read etcd's `ETCD_*` variables). Throws `KvConfigError`.
 */
export function parseKvServerConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = {}): ParsedKvServerConfig {
  const warnings: string[] = [];
  const given = readFlags(argv);
  const fromEnv = readEnvironment(env, given, warnings);
  // Where each value came from, for the messages: "--name" or "ETCD_NAME".
  const values = new Map<FlagName, { value: string; source: string }>();
  for (const [name, value] of fromEnv) values.set(name, { value, source: envNameOf(name) });
  for (const [name, value] of given) values.set(name, { value, source: `--${name}` });
  const raw = (name: FlagName): string | undefined => values.get(name)?.value;
  const sourceOf = (name: FlagName): string => values.get(name)?.source ?? `--${name}`;

  const name = raw('name') ?? 'default';
  if (name === '') throw new KvConfigError('INVALID_VALUE', `${sourceOf('name')}: the name must not be empty`);
  const dataDir = raw('data-dir') ?? `${name}.etcd`;
  if (dataDir === '') throw new KvConfigError('INVALID_VALUE', `${sourceOf('data-dir')}: the data directory must not be empty`);

  const listenClientUrls = parseUrls(raw('listen-client-urls') ?? 'http://localhost:2379', sourceOf('listen-client-urls'), 'listen');
  if (values.has('listen-client-urls') && !values.has('advertise-client-urls')) {
    throw new KvConfigError('INCONSISTENT', '--advertise-client-urls is required when --listen-client-urls is set explicitly');
  }
  const advertiseClientUrls = parseUrls(raw('advertise-client-urls') ?? 'http://localhost:2379', sourceOf('advertise-client-urls'), 'advertise');
  const listenPeerUrls = parseUrls(raw('listen-peer-urls') ?? 'http://localhost:2380', sourceOf('listen-peer-urls'), 'listen');
  const listenMetricsText = raw('listen-metrics-urls') ?? '';
  const listenMetricsUrls = listenMetricsText === '' ? [] : parseUrls(listenMetricsText, sourceOf('listen-metrics-urls'), 'listen');
  const initialAdvertisePeerUrls = parseUrls(raw('initial-advertise-peer-urls') ?? 'http://localhost:2380', sourceOf('initial-advertise-peer-urls'), 'advertise');

  const initialClusterState = parseChoice(raw('initial-cluster-state') ?? 'new', sourceOf('initial-cluster-state'), ['new', 'existing'] as const);
  const initialClusterToken = raw('initial-cluster-token') ?? 'etcd-cluster';
  if (initialClusterToken === '') throw new KvConfigError('INVALID_VALUE', `${sourceOf('initial-cluster-token')}: the token must not be empty`);

  // Not given: this member alone, at its advertised peer URLs (what etcd does when --name changes).
  const initialClusterText = raw('initial-cluster') ?? initialAdvertisePeerUrls.map((url) => `${name}=${url}`).join(',');
  const initialCluster = parseInitialCluster(initialClusterText, sourceOf('initial-cluster'), initialClusterToken);
  const self = initialCluster.find((member) => member.name === name);
  if (self === undefined) {
    throw new KvConfigError('INCONSISTENT', `couldn't find local name "${name}" in the initial cluster configuration (${sourceOf('initial-cluster')}=${initialClusterText})`);
  }
  if (!sameUrls(self.peerUrls, initialAdvertisePeerUrls)) {
    throw new KvConfigError(
      'INCONSISTENT',
      `${sourceOf('initial-cluster')} has ${name}=${self.peerUrls.join(',')} but ${sourceOf('initial-advertise-peer-urls')} is ${initialAdvertisePeerUrls.join(',')}: they must list the same URLs`,
    );
  }

  const snapshotCount = parseUnsigned(raw('snapshot-count') ?? '100000', sourceOf('snapshot-count')) || DEFAULT_SNAPSHOT_COUNT;
  const quotaBackendBytes = parseQuota(raw('quota-backend-bytes') ?? '0', sourceOf('quota-backend-bytes'), warnings);
  const maxRequestBytes = parseUnsigned(raw('max-request-bytes') ?? String(DEFAULT_MAX_REQUEST_BYTES), sourceOf('max-request-bytes'));
  if (maxRequestBytes === 0) throw new KvConfigError('INVALID_VALUE', `${sourceOf('max-request-bytes')}: must be greater than 0`);
  const limit = (flagName: 'max-concurrent-streams' | 'max-watchers-per-stream', fallback: number, max: number): number => {
    const text = raw(flagName);
    // etcd prints its default as a name (`--help`); taken back as the same number.
    const value = text === undefined ? fallback : text === 'math.MaxUint32' ? DEFAULT_MAX_CONCURRENT_STREAMS : parseUnsigned(text, sourceOf(flagName));
    const problem = limitProblem(value, max);
    if (problem !== undefined) throw new KvConfigError('INVALID_VALUE', `${sourceOf(flagName)}: ${problem}`);
    return value;
  };
  const clientLimits: KvClientLimits = {
    maxConcurrentStreams: limit('max-concurrent-streams', DEFAULT_KV_CLIENT_LIMITS.maxConcurrentStreams, DEFAULT_MAX_CONCURRENT_STREAMS),
    maxWatchersPerStream: limit('max-watchers-per-stream', DEFAULT_KV_CLIENT_LIMITS.maxWatchersPerStream, Number.MAX_SAFE_INTEGER),
  };

  const mode = parseChoice(raw('auto-compaction-mode') ?? 'periodic', sourceOf('auto-compaction-mode'), ['periodic', 'revision'] as const);
  const autoCompaction = parseAutoCompaction(mode, raw('auto-compaction-retention') ?? '0', sourceOf('auto-compaction-retention'));

  const heartbeatIntervalMs = parseUnsigned(raw('heartbeat-interval') ?? '100', sourceOf('heartbeat-interval'));
  const electionTimeoutMs = parseUnsigned(raw('election-timeout') ?? '1000', sourceOf('election-timeout'));
  if (heartbeatIntervalMs === 0) throw new KvConfigError('INVALID_VALUE', `--heartbeat-interval must be >0 (set to 0ms)`);
  if (electionTimeoutMs < MIN_ELECTION_TIMEOUT_HEARTBEATS * heartbeatIntervalMs) {
    throw new KvConfigError(
      'INCONSISTENT',
      `--election-timeout[${electionTimeoutMs}ms] should be at least as ${MIN_ELECTION_TIMEOUT_HEARTBEATS} times as --heartbeat-interval[${heartbeatIntervalMs}ms]`,
    );
  }
  if (electionTimeoutMs > MAX_ELECTION_TIMEOUT_MS) {
    throw new KvConfigError('INVALID_VALUE', `--election-timeout[${electionTimeoutMs}ms] is too long, and should be set less than ${MAX_ELECTION_TIMEOUT_MS}ms`);
  }

  const experimentalEnableLeaseCheckpoint = parseBool(raw('experimental-enable-lease-checkpoint') ?? 'false', sourceOf('experimental-enable-lease-checkpoint'));

  const tlsOf = (prefix: '' | 'peer-'): TlsFiles | undefined => {
    const certFile = raw(`${prefix}cert-file` as const);
    const keyFile = raw(`${prefix}key-file` as const);
    const trustedCaFile = raw(`${prefix}trusted-ca-file` as const);
    const clientCertAuth = parseBool(raw(`${prefix}client-cert-auth` as const) ?? 'false', sourceOf(`${prefix}client-cert-auth` as const));
    if (certFile === undefined || keyFile === undefined) return undefined;
    return { certFile, keyFile, clientCertAuth, ...(trustedCaFile === undefined ? {} : { trustedCaFile }) };
  };
  const clientTls = tlsOf('');
  const peerTls = tlsOf('peer-');
  // etcd's refusals, word for word (etcdmain, 3.4).
  for (const url of listenClientUrls) {
    if (isHttps(url) && clientTls === undefined) throw new KvConfigError('INCONSISTENT', `TLS key/cert (--cert-file, --key-file) must be provided for client url ${url} with HTTPS scheme`);
  }
  for (const url of listenMetricsUrls) {
    if (isHttps(url) && clientTls === undefined) throw new KvConfigError('INCONSISTENT', `TLS key/cert (--cert-file, --key-file) must be provided for metrics url ${url} with HTTPS scheme`);
  }
  for (const url of listenPeerUrls) {
    if (isHttps(url) && peerTls === undefined) throw new KvConfigError('INCONSISTENT', `cannot listen on TLS for ${hostPortOf(url)}: KeyFile and CertFile are not presented`);
  }
  if (clientTls !== undefined && !listenClientUrls.some(isHttps)) warnings.push('scheme is HTTP while key and cert files are present; ignoring key and cert files');
  if (peerTls !== undefined && !listenPeerUrls.some(isHttps)) warnings.push('scheme is HTTP while peer key and cert files are present; ignoring peer key and cert files');
  const authTokenTtlSeconds = parseUnsigned(raw('auth-token-ttl') ?? '300', sourceOf('auth-token-ttl'));
  if (authTokenTtlSeconds === 0) throw new KvConfigError('INVALID_VALUE', `${sourceOf('auth-token-ttl')}: must be greater than 0`);
  const logLevel = parseChoice(raw('log-level') ?? 'info', sourceOf('log-level'), LOG_LEVELS);

  const config: KvServerConfig = {
    name,
    dataDir,
    listenClientUrls,
    listenMetricsUrls,
    advertiseClientUrls,
    listenPeerUrls,
    initialAdvertisePeerUrls,
    initialCluster,
    initialClusterState,
    initialClusterToken,
    snapshotCount,
    quotaBackendBytes,
    maxRequestBytes,
    clientLimits,
    autoCompaction,
    heartbeatIntervalMs,
    electionTimeoutMs,
    experimentalEnableLeaseCheckpoint,
    clientTls,
    peerTls,
    authTokenTtlSeconds,
    logLevel,
    memberId: self.id,
    clusterId: initialClusterState === 'new' ? clusterIdFor(initialCluster.map((m) => m.id)) : undefined,
  };
  return { config, warnings };
}

/** The flags on the command line, last value winning. */
function readFlags(argv: readonly string[]): Map<FlagName, string> {
  const given = new Map<FlagName, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const match = /^--?([^=]+)(?:=([\s\S]*))?$/.exec(arg);
    if (match === null || arg === '-' || arg === '--') {
      throw new KvConfigError('UNEXPECTED_ARGUMENT', `'${arg}' is not a valid flag (balsa kv serve takes only --flags)`);
    }
    const flagName = match[1]!;
    const known = FLAGS_BY_NAME.get(flagName);
    if (known === undefined) {
      if (UNSUPPORTED_ETCD_FLAGS.has(flagName)) throw new KvConfigError('UNSUPPORTED_FLAG', `etcd flag --${flagName} is not supported by balsa kv serve`);
      throw new KvConfigError('UNKNOWN_FLAG', `flag provided but not defined: --${flagName}`);
    }
    let value = match[2];
    // Go's bool flags never take the next argument: `--flag` alone is true.
    if (value === undefined && known.boolean) value = 'true';
    if (value === undefined) {
      const next = argv[i + 1];
      if (next === undefined) throw new KvConfigError('MISSING_VALUE', `flag needs an argument: --${flagName}`);
      const nextFlag = /^--?([^=]+)/.exec(next)?.[1];
      if (nextFlag !== undefined && (FLAGS_BY_NAME.has(nextFlag) || UNSUPPORTED_ETCD_FLAGS.has(nextFlag))) {
        throw new KvConfigError('MISSING_VALUE', `flag needs an argument: --${flagName} (the next argument, ${next}, is a flag)`);
      }
      value = next;
      i++;
    }
    given.set(known.name, value);
  }
  return given;
}

/** The `ETCD_*` variables of flags not on the command line; warnings for the others. */
function readEnvironment(env: Readonly<Record<string, string | undefined>>, given: ReadonlyMap<FlagName, string>, warnings: string[]): Map<FlagName, string> {
  const fromEnv = new Map<FlagName, string>();
  const byEnvName = new Map(KV_SERVER_FLAGS.map((f) => [f.env, f]));
  const unsupportedByEnvName = new Set([...UNSUPPORTED_ETCD_FLAGS].map(envNameOf));
  for (const key of Object.keys(env).sort()) {
    const value = env[key];
    if (!key.startsWith('ETCD_') || value === undefined || value === '') continue;
    const known = byEnvName.get(key);
    if (known === undefined) {
      warnings.push(unsupportedByEnvName.has(key) ? `ignored environment variable ${key}=${value}: not supported by balsa kv serve` : `unrecognized environment variable ${key}=${value}`);
      continue;
    }
    if (given.has(known.name)) {
      warnings.push(`environment variable ${key} is shadowed by the command-line flag --${known.name}`);
      continue;
    }
    fromEnv.set(known.name, value);
  }
  return fromEnv;
}

function parseChoice<T extends string>(value: string, source: string, choices: readonly T[]): T {
  const choice = choices.find((c) => c === value);
  if (choice === undefined) throw new KvConfigError('INVALID_VALUE', `invalid value "${value}" for ${source}: one of ${choices.join(', ')}`);
  return choice;
}

/** Go's `strconv.ParseBool`: what a bool flag accepts. */
function parseBool(value: string, source: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  throw new KvConfigError('INVALID_VALUE', `invalid boolean value "${value}" for ${source}: parse error`);
}

/** A decimal unsigned integer that fits a double exactly. */
function parseUnsigned(value: string, source: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new KvConfigError('INVALID_VALUE', `invalid value "${value}" for ${source}: a whole number >= 0`);
  }
  return Number(value);
}

function parseQuota(value: string, source: string, warnings: string[]): number {
  if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new KvConfigError('INVALID_VALUE', `invalid value "${value}" for ${source}: a whole number of bytes`);
  }
  const bytes = Number(value);
  if (bytes < 0) {
    warnings.push(`${source} is negative: the backend quota is disabled`);
    return Number.POSITIVE_INFINITY;
  }
  if (bytes > MAX_RECOMMENDED_QUOTA_BACKEND_BYTES) warnings.push(`${source}=${bytes} exceeds the recommended maximum of ${MAX_RECOMMENDED_QUOTA_BACKEND_BYTES} bytes (8 GiB)`);
  return bytes === 0 ? DEFAULT_QUOTA_BACKEND_BYTES : bytes;
}

const MS_PER_UNIT: Readonly<Record<string, number>> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** A Go duration (`1h30m`, `90s`, `1.5h`, `300ms`) in milliseconds; undefined if `text` is not one. */
export function parseGoDurationMs(text: string): number | undefined {
  if (text === '0') return 0;
  const part = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/gy;
  let total = 0;
  let end = 0;
  for (let match = part.exec(text); match !== null; match = part.exec(text)) {
    total += Number(match[1]) * MS_PER_UNIT[match[2]!]!;
    end = part.lastIndex;
  }
  return end === text.length && end > 0 ? total : undefined;
}

/**
 * etcd's reading of `--auto-compaction-retention`: in periodic mode a whole number is hours
 * and anything else a Go duration; in revision mode a whole number of revisions. 0 is off.
 */
function parseAutoCompaction(mode: 'periodic' | 'revision', retention: string, source: string): AutoCompaction {
  if (mode === 'revision') {
    const revisions = parseUnsigned(retention, source);
    return revisions === 0 ? { mode: 'off' } : { mode: 'revision', retainRevisions: revisions };
  }
  const retentionMs = /^\d+$/.test(retention) ? Number(retention) * MS_PER_UNIT.h! : parseGoDurationMs(retention);
  if (retentionMs === undefined || !Number.isFinite(retentionMs)) {
    throw new KvConfigError('INVALID_VALUE', `invalid value "${retention}" for ${source}: hours (e.g. 1) or a duration (e.g. 30m, 1h30m) in periodic mode`);
  }
  return retentionMs === 0 ? { mode: 'off' } : { mode: 'periodic', retentionMs };
}

/**
 * A comma-separated list of URLs, each `http://host:port` or `https://host:port` with nothing after the port.
 * Listen URLs bind, so their host must be an IP address or `localhost` (as in etcd).
 */
function parseUrls(text: string, source: string, use: 'listen' | 'advertise'): string[] {
  const urls = text.split(',').map((url) => url.trim());
  if (urls.length === 0 || urls.some((url) => url === '')) throw new KvConfigError('INVALID_URL', `${source}: an empty URL in "${text}"`);
  for (const url of urls) checkUrl(url, source, use);
  return urls;
}

function checkUrl(url: string, source: string, use: 'listen' | 'advertise'): void {
  const fail = (why: string) => new KvConfigError('INVALID_URL', `invalid URL "${url}" for ${source}: ${why}`);
  const match = /^([a-z][a-z0-9+.-]*):\/\/(\[[^\]]*\]|[^/:?#@[\]]*)(?::(\d*))?([\s\S]*)$/i.exec(url);
  if (match === null) throw fail('expected http://host:port');
  const [, scheme, host, port, rest] = match;
  if (scheme!.toLowerCase() !== 'http' && scheme!.toLowerCase() !== 'https') throw fail(`the scheme must be http or https, not ${scheme}`);
  if (rest!.startsWith('/') && port !== undefined && port !== '') throw fail('URL must not contain a path');
  if (host === '' || port === undefined || port === '' || rest !== '') throw fail('URL address does not have the form "host:port"');
  if (Number(port) < 1 || Number(port) > 65535) throw fail(`port ${port} is out of range 1-65535`);
  const bareHost = host!.startsWith('[') ? host!.slice(1, -1) : host!;
  if (host!.startsWith('[') && isIP(bareHost) !== 6) throw fail(`${host} is not an IPv6 address`);
  if (use === 'listen' && bareHost !== 'localhost' && isIP(bareHost) === 0) throw fail(`expected IP in URL for binding (a listen URL's host is an IP address or localhost)`);
}

/** `name=url,name=url,...` (a name repeated for each of its URLs), with each member's etcd id. */
function parseInitialCluster(text: string, source: string, token: string): InitialClusterMember[] {
  const byName = new Map<string, string[]>();
  const seenUrls = new Set<string>();
  for (const entry of text.split(',')) {
    const equals = entry.indexOf('=');
    if (equals <= 0) throw new KvConfigError('INVALID_VALUE', `${source}: "${entry}" is not name=url (in "${text}")`);
    const name = entry.slice(0, equals).trim();
    const url = entry.slice(equals + 1).trim();
    checkUrl(url, source, 'advertise');
    if (seenUrls.has(url)) throw new KvConfigError('INVALID_VALUE', `${source}: URL ${url} appears twice`);
    seenUrls.add(url);
    byName.set(name, [...(byName.get(name) ?? []), url]);
  }
  return [...byName].map(([name, peerUrls]) => ({ name, peerUrls, id: memberIdFor(peerUrls, token) }));
}

/** Whether a (checked) URL asks for TLS. */
export function isHttps(url: string): boolean {
  return /^https:/i.test(url);
}

/** host:port of a checked URL. */
function hostPortOf(url: string): string {
  return url.replace(/^[a-z]+:\/\//i, '');
}

function sameUrls(a: readonly string[], b: readonly string[]): boolean {
  const sortedA = [...a].sort();
  const sortedB = [...b].sort();
  return sortedA.length === sortedB.length && sortedA.every((url, i) => url === sortedB[i]);
}

// ---------------------------------------------------------------------------------------
// Ids, as etcd computes them

/**
 * etcd's id for a member bootstrapping a new cluster: the first 8 bytes, big-endian, of the
 * SHA-1 of its peer URLs (sorted, joined with nothing) followed by the cluster token. A
 * member added later with `member add` gets a time-salted id instead (etcd appends the Unix
 * time in seconds before hashing). `memberIdFor(['http://localhost:2380'], 'etcd-cluster')`
 * is 0x8e9e05c52164694d, etcd's well-known default member id.
 */
export function memberIdFor(peerUrls: readonly string[], clusterToken: string, addedAtUnixSeconds?: number): bigint {
  const hash = createHash('sha1');
  hash.update([...peerUrls].sort().join(''));
  hash.update(clusterToken);
  if (addedAtUnixSeconds !== undefined) hash.update(String(Math.floor(addedAtUnixSeconds)));
  return hash.digest().readBigUInt64BE(0);
}

/**
 * etcd's cluster id: the first 8 bytes, big-endian, of the SHA-1 of the members' ids sorted
 * ascending, each as 8 big-endian bytes. For etcd's default single member it is 0xcdf818194e3a8c32.
 */
export function clusterIdFor(memberIds: readonly bigint[]): bigint {
  const sorted = [...memberIds].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const bytes = Buffer.alloc(8 * sorted.length);
  sorted.forEach((id, i) => bytes.writeBigUInt64BE(id, 8 * i));
  return createHash('sha1').update(bytes).digest().readBigUInt64BE(0);
}

/** An id as etcd prints it: lowercase hex without leading zeros (`8e9e05c52164694d`). */
export function formatId(id: bigint): string {
  return id.toString(16);
}
