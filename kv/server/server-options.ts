/**
 * What a KV member runs with (`KvServerOptions`), and how `balsa kv serve`'s etcd flags
 * (`KvServerConfig`) become it.
 */
import type { AutoCompaction, KvServerConfig } from './config.js';
import { hostPort } from './members.js';
import { testingKnobsFromEnv } from './testing-knobs.js';
import type { TestingKnobs } from './testing-knobs.js';

export interface KvPeer {
  readonly name: string;
  /** host:port of its Raft (peer) listener. */
  readonly peerAddress: string;
}

export interface KvServerOptions {
  readonly name: string;
  readonly dataDir: string;
  /** host:port pairs to serve etcd's client API on. */
  readonly clientAddresses: readonly string[];
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
  /** Misbehaviour on purpose, for fault-injection tests only (`testing-knobs.ts`). Default none. */
  readonly testing?: TestingKnobs;
}

/**
 * A test knob, not an etcd flag: the auto-compaction check interval in ms (revision mode
 * otherwise waits etcd's 5 minutes between checks).
 */
export const AUTO_COMPACTION_CHECK_INTERVAL_ENV = 'BALSA_KV_AUTO_COMPACTION_CHECK_INTERVAL_MS';

/**
 * The options `balsa kv serve` runs a member with, from its parsed flags (and `env` for the
 * test knobs). Throws `KvConfigError` for a testing knob set to a value it refuses.
 */
export function serverOptionsFromConfig(config: KvServerConfig, env: Readonly<Record<string, string | undefined>> = {}): KvServerOptions {
  const testing = testingKnobsFromEnv(env);
  const ticks = Math.max(2, Math.round(config.electionTimeoutMs / config.heartbeatIntervalMs));
  const checkInterval = Number(env[AUTO_COMPACTION_CHECK_INTERVAL_ENV] ?? '');
  return {
    name: config.name,
    dataDir: config.dataDir,
    clientAddresses: config.listenClientUrls.map(hostPort),
    advertiseClientUrls: config.advertiseClientUrls,
    peerAddress: hostPort(config.initialAdvertisePeerUrls[0]!),
    peerUrls: config.initialAdvertisePeerUrls,
    peerListenAddress: hostPort(config.listenPeerUrls[0]!),
    initialCluster: config.initialCluster.map((member) => ({ name: member.name, peerAddress: hostPort(member.peerUrls[0]!) })),
    initialClusterState: config.initialClusterState,
    initialClusterToken: config.initialClusterToken,
    maxRequestBytes: config.maxRequestBytes,
    quotaBackendBytes: config.quotaBackendBytes,
    snapshotCount: config.snapshotCount,
    tickMs: config.heartbeatIntervalMs,
    electionTicks: ticks,
    autoCompaction: config.autoCompaction,
    ...(Number.isFinite(checkInterval) && checkInterval > 0 ? { autoCompactionCheckIntervalMs: checkInterval } : {}),
    ...(testing === undefined ? {} : { testing }),
  };
}
