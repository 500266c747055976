/**
 * What a KV member runs with (`KvServerOptions`), and how `balsa kv serve`'s etcd flags
 * (`KvServerConfig`) become it.
 */
import type { Registry } from 'prom-client';
import { DEFAULT_CHECKPOINT_INTERVAL_MS } from '../lease/index.js';
import type { TlsFiles } from '../security/tls-files.js';
import { isHttps } from './config.js';
import type { AutoCompaction, KvServerConfig } from './config.js';
import type { KvClientLimits } from './limits.js';
import { hostPort } from './members.js';
import { testingKnobsFromEnv } from './testing-knobs.js';
import type { TestingKnobs } from './testing-knobs.js';

export interface KvPeer {
  readonly name: string;
  /** host:port of its Raft (peer) listener. */
  readonly peerAddress: string;
  /** Its peer URLs as `--initial-cluster` lists them (default: http:// + `peerAddress`). */
  readonly peerUrls?: readonly string[];
}

export interface KvServerOptions {
  readonly name: string;
  readonly dataDir: string;
  /** host:port pairs to serve etcd's client API on, in plain text (http:// listen URLs). */
  readonly clientAddresses: readonly string[];
  /** host:port pairs to serve `/metrics` and `/health` on (`--listen-metrics-urls`): plain, and over TLS (needs `clientTls`). Default none. */
  readonly metricsAddresses?: readonly string[];
  readonly secureMetricsAddresses?: readonly string[];
  /** host:port pairs to serve etcd's client API on over TLS (https:// listen URLs); needs `clientTls`. Default none. */
  readonly secureClientAddresses?: readonly string[];
  /**
   * The client port's TLS: the certificate served on `secureClientAddresses`, and the one
   * this member presents (with the trusted CA to verify the leader's) when it forwards a
   * call to the leader's https:// client URL. Default none.
   */
  readonly clientTls?: TlsFiles;
  /**
   * The peer port's TLS: the Raft listener serves it, and this member dials every peer with
   * it (presenting its certificate, verifying theirs against the trusted CA), when its own
   * peer listen URL is https://. Default none: plain text.
   */
  readonly peerTls?: TlsFiles;
  /** The client URLs told to the cluster and to clients (default: http:// + the bound client addresses). */
  readonly advertiseClientUrls?: readonly string[];
  /** host:port this member's peers reach its Raft listener at (its advertised peer URL); names it in `initialCluster`. */
  readonly peerAddress: string;
  /** This member's advertised peer URLs (default: http:// + `peerAddress`). */
  readonly peerUrls?: readonly string[];
  /** host:port to bind the Raft listener to (default `peerAddress`). */
  readonly peerListenAddress?: string;
  /** The initial cluster; with `existing`, the members to join (this one may be among them). */
  readonly initialCluster: readonly KvPeer[];
  readonly initialClusterState: 'new' | 'existing';
  readonly initialClusterToken: string;
  readonly maxRequestBytes: number;
  /** Streams per client connection, watchers per watch stream (`limits.ts`). Default `DEFAULT_KV_CLIENT_LIMITS`. */
  readonly clientLimits?: KvClientLimits;
  /** The store size, in bytes, past which writes raise NOSPACE; Infinity: no quota. */
  readonly quotaBackendBytes: number;
  readonly snapshotCount: number;
  readonly tickMs: number;
  readonly electionTicks: number;
  /** Default off. */
  readonly autoCompaction?: AutoCompaction;
  /**
   * How often auto-compaction looks at the revision, in ms. Default etcd's: every 5 min in
   * revision mode, a tenth of the interval in periodic mode. For tests.
   */
  readonly autoCompactionCheckIntervalMs?: number;
  /**
   * How often the leader checkpoints leases' remaining TTLs through Raft, in ms; 0 (the
   * default) never. `--experimental-enable-lease-checkpoint` sets etcd's 5 minutes.
   */
  readonly leaseCheckpointIntervalMs?: number;
  /** `--auth-token-ttl`: an auth token unused this long, in seconds, is forgotten (default etcd's 300). */
  readonly authTokenTtlSeconds?: number;
  /**
   * Log entries kept behind a Raft snapshot for followers to catch up from (etcd keeps
   * 5000, Raft's default too); fewer make the log compact sooner. For tests.
   */
  readonly snapshotCatchUpEntries?: number;
  /**
   * Where the member registers its Prometheus series (served at `/metrics` on its client
   * URLs); a process serving several layers passes one registry to all. Default: a
   * registry of its own.
   */
  readonly metricsRegistry?: Registry;
  /** Misbehaviour on purpose, for fault-injection tests only (`testing-knobs.ts`). Default none. */
  readonly testing?: TestingKnobs;
}

/**
 * A test knob, not an etcd flag: the auto-compaction check interval in ms (revision mode
 * otherwise waits etcd's 5 minutes between checks).
 */
export const AUTO_COMPACTION_CHECK_INTERVAL_ENV = 'BALSA_KV_AUTO_COMPACTION_CHECK_INTERVAL_MS';

/**
 * A test knob, not an etcd flag: the lease checkpoint interval in ms when
 * `--experimental-enable-lease-checkpoint` is on (etcd's is 5 minutes, too long to wait for).
 */
export const LEASE_CHECKPOINT_INTERVAL_ENV = 'BALSA_KV_LEASE_CHECKPOINT_INTERVAL_MS';

/**
 * A test knob, not an etcd flag (3.4 has none): the log entries kept behind a snapshot, so
 * that a test's few hundred entries are compacted away (etcd keeps 5000).
 */
export const SNAPSHOT_CATCH_UP_ENTRIES_ENV = 'BALSA_KV_SNAPSHOT_CATCH_UP_ENTRIES';

/**
 * The options `balsa kv serve` runs a member with, from its parsed flags (and `env` for the
 * test knobs). Throws `KvConfigError` for a testing knob set to a value it refuses.
 */
export function serverOptionsFromConfig(config: KvServerConfig, env: Readonly<Record<string, string | undefined>> = {}): KvServerOptions {
  const testing = testingKnobsFromEnv(env);
  const ticks = Math.max(2, Math.round(config.electionTimeoutMs / config.heartbeatIntervalMs));
  const checkInterval = positiveNumber(env[AUTO_COMPACTION_CHECK_INTERVAL_ENV]);
  const checkpointInterval = positiveNumber(env[LEASE_CHECKPOINT_INTERVAL_ENV]) ?? DEFAULT_CHECKPOINT_INTERVAL_MS;
  const catchUpEntries = positiveNumber(env[SNAPSHOT_CATCH_UP_ENTRIES_ENV]);
  return {
    name: config.name,
    dataDir: config.dataDir,
    clientAddresses: config.listenClientUrls.filter((url) => !isHttps(url)).map(hostPort),
    ...(config.clientTls === undefined ? {} : { secureClientAddresses: config.listenClientUrls.filter(isHttps).map(hostPort), clientTls: config.clientTls }),
    metricsAddresses: config.listenMetricsUrls.filter((url) => !isHttps(url)).map(hostPort),
    secureMetricsAddresses: config.listenMetricsUrls.filter(isHttps).map(hostPort),
    ...(config.peerTls !== undefined && config.listenPeerUrls.some(isHttps) ? { peerTls: config.peerTls } : {}),
    advertiseClientUrls: config.advertiseClientUrls,
    peerAddress: hostPort(config.initialAdvertisePeerUrls[0]!),
    peerUrls: config.initialAdvertisePeerUrls,
    peerListenAddress: hostPort(config.listenPeerUrls[0]!),
    initialCluster: config.initialCluster.map((member) => ({ name: member.name, peerAddress: hostPort(member.peerUrls[0]!), peerUrls: member.peerUrls })),
    initialClusterState: config.initialClusterState,
    initialClusterToken: config.initialClusterToken,
    maxRequestBytes: config.maxRequestBytes,
    clientLimits: config.clientLimits,
    quotaBackendBytes: config.quotaBackendBytes,
    snapshotCount: config.snapshotCount,
    tickMs: config.heartbeatIntervalMs,
    electionTicks: ticks,
    autoCompaction: config.autoCompaction,
    ...(checkInterval === undefined ? {} : { autoCompactionCheckIntervalMs: checkInterval }),
    leaseCheckpointIntervalMs: config.experimentalEnableLeaseCheckpoint ? checkpointInterval : 0,
    authTokenTtlSeconds: config.authTokenTtlSeconds,
    ...(catchUpEntries === undefined ? {} : { snapshotCatchUpEntries: Math.floor(catchUpEntries) }),
    ...(testing === undefined ? {} : { testing }),
  };
}

/** A test knob's value: a finite number above 0, else undefined (unset or unusable). */
function positiveNumber(text: string | undefined): number | undefined {
  const value = Number(text ?? '');
  return Number.isFinite(value) && value > 0 ? value : undefined;
}
