/**
 * The options of a Raft core instance, field by field, with their defaults and the rules
 * that relate them (checked once, at construction).
 */
import { InvalidConfigError } from './errors.js';
import type { RandomSource } from './random.js';
import type { LogStorage } from '../storage/log-storage.js';
import type { NodeId } from './types.js';
import { NONE } from './types.js';

/**
 * Deliberate bugs, for proving that the simulator's checkers detect what they claim to.
 * Never set outside tests.
 */
export interface TestingBugs {
  /** A leader commits by counting replicas of an entry from an earlier term (breaks §5.4.2). */
  readonly commitPriorTerm?: boolean;
  /** A restarted node forgets whom it voted for in its current term (breaks §5.2). */
  readonly forgetVote?: boolean;
  /** A leader answers ReadIndex without confirming leadership with a heartbeat round (breaks §6.4). */
  readonly staleRead?: boolean;
  /** A change of several voters is applied in one step, without a joint configuration (breaks thesis §4.3). */
  readonly skipJoint?: boolean;
  /** A snapshot records the node's current term instead of its last entry's term (breaks §7). */
  readonly snapshotWrongTerm?: boolean;
}

/** The options of a Raft core (`RawNode`); every optional field lists its meaning and default. */
export interface RaftConfig {
  /** This member's id (> 0). */
  readonly id: NodeId;
  /** Where the log, hard state and membership are read from. */
  readonly storage: LogStorage;
  /** Election jitter comes from here, and from nowhere else. */
  readonly random: RandomSource;
  /**
   * Ticks without hearing from a leader before a follower campaigns. The real timeout is
   * drawn afresh in [electionTicks, 2·electionTicks) at each term change. Also the period
   * of the leader's check-quorum and of a leadership transfer's deadline.
   */
  readonly electionTicks?: number;
  /** Ticks between a leader's heartbeats. Must be < electionTicks. */
  readonly heartbeatTicks?: number;
  /** The last index the application has already applied (on restart). */
  readonly applied?: number;
  /** Upper bound on the entries' bytes in one MsgApp (at least one entry is always sent). */
  readonly maxSizePerMessageBytes?: number;
  /** Upper bound on MsgApp messages in flight to one follower in replicate state. */
  readonly maxInflightMessages?: number;
  /** Upper bound on entry bytes in flight to one follower (0: no bound beyond the count). */
  readonly maxInflightBytes?: number;
  /** Upper bound on the bytes of committed entries handed out in one Ready. */
  readonly maxCommittedSizePerReadyBytes?: number;
  /** Upper bound on a leader's uncommitted entry bytes; past it proposals are dropped (0: none). */
  readonly maxUncommittedEntriesSizeBytes?: number;
  /** Run a pre-vote round before a real election (thesis §9.6). */
  readonly preVote?: boolean;
  /**
   * A leader steps down when it has not heard from a quorum within an election timeout,
   * and a follower that has heard from a leader within the timeout ignores vote requests.
   */
  readonly checkQuorum?: boolean;
  /** Followers refuse proposals (NotLeaderError) instead of forwarding them to the leader. */
  readonly disableProposalForwarding?: boolean;
  /**
   * Entries kept before a new snapshot's index when the log is compacted, so that a
   * follower a little behind catches up from the log instead of needing the snapshot.
   */
  readonly snapshotTrailingEntries?: number;
  /** Bytes of snapshot data per InstallSnapshot chunk. */
  readonly snapshotChunkBytes?: number;
  /** Snapshot chunks a leader sends to one follower ahead of its acknowledgements. */
  readonly maxInflightSnapshotChunks?: number;
  /**
   * Ticks without a snapshot acknowledgement from a follower before the leader resends
   * its chunks from the last acknowledged offset. Independent of the heartbeat.
   */
  readonly snapshotTimeoutTicks?: number;
  readonly testingBugs?: TestingBugs;
}

export type ResolvedRaftConfig = Required<Omit<RaftConfig, 'testingBugs'>> & { readonly testingBugs: TestingBugs };

/** Default `RaftConfig.electionTicks`: ticks of silence before a campaign. */
export const DEFAULT_ELECTION_TICKS = 10;
/** Default `RaftConfig.heartbeatTicks`: ticks between a leader's heartbeats. */
export const DEFAULT_HEARTBEAT_TICKS = 1;
/** Default `RaftConfig.maxSizePerMessageBytes`: 1 MiB of entries per append. */
export const DEFAULT_MAX_SIZE_PER_MESSAGE_BYTES = 1024 * 1024;
/** Default `RaftConfig.maxInflightMessages`: appends in flight to one follower. */
export const DEFAULT_MAX_INFLIGHT_MESSAGES = 256;
export const DEFAULT_MAX_COMMITTED_SIZE_PER_READY_BYTES = 16 * 1024 * 1024;
/** Default `RaftConfig.snapshotTrailingEntries`: entries kept behind a snapshot. */
export const DEFAULT_SNAPSHOT_TRAILING_ENTRIES = 5000;
/** Default `RaftConfig.snapshotChunkBytes`: 1 MiB per InstallSnapshot chunk. */
export const DEFAULT_SNAPSHOT_CHUNK_BYTES = 1024 * 1024;
/** Default `RaftConfig.maxInflightSnapshotChunks`: chunks sent ahead of acknowledgements. */
export const DEFAULT_MAX_INFLIGHT_SNAPSHOT_CHUNKS = 4;

export function resolveConfig(config: RaftConfig): ResolvedRaftConfig {
  const resolved: ResolvedRaftConfig = {
    id: config.id,
    storage: config.storage,
    random: config.random,
    electionTicks: config.electionTicks ?? DEFAULT_ELECTION_TICKS,
    heartbeatTicks: config.heartbeatTicks ?? DEFAULT_HEARTBEAT_TICKS,
    applied: config.applied ?? 0,
    maxSizePerMessageBytes: config.maxSizePerMessageBytes ?? DEFAULT_MAX_SIZE_PER_MESSAGE_BYTES,
    maxInflightMessages: config.maxInflightMessages ?? DEFAULT_MAX_INFLIGHT_MESSAGES,
    maxInflightBytes: config.maxInflightBytes ?? 0,
    maxCommittedSizePerReadyBytes: config.maxCommittedSizePerReadyBytes ?? DEFAULT_MAX_COMMITTED_SIZE_PER_READY_BYTES,
    maxUncommittedEntriesSizeBytes: config.maxUncommittedEntriesSizeBytes ?? 0,
    preVote: config.preVote ?? true,
    checkQuorum: config.checkQuorum ?? true,
    disableProposalForwarding: config.disableProposalForwarding ?? false,
    snapshotTrailingEntries: config.snapshotTrailingEntries ?? DEFAULT_SNAPSHOT_TRAILING_ENTRIES,
    snapshotChunkBytes: config.snapshotChunkBytes ?? DEFAULT_SNAPSHOT_CHUNK_BYTES,
    maxInflightSnapshotChunks: config.maxInflightSnapshotChunks ?? DEFAULT_MAX_INFLIGHT_SNAPSHOT_CHUNKS,
    snapshotTimeoutTicks: config.snapshotTimeoutTicks ?? 2 * (config.electionTicks ?? DEFAULT_ELECTION_TICKS),
    testingBugs: config.testingBugs ?? {},
  };
  validate(resolved);
  return resolved;
}

function validate(c: ResolvedRaftConfig): void {
  if (!Number.isSafeInteger(c.id) || c.id === NONE || c.id < 0) throw new InvalidConfigError('id', 'must be a positive integer');
  if (!Number.isInteger(c.heartbeatTicks) || c.heartbeatTicks < 1) throw new InvalidConfigError('heartbeatTicks', 'must be ≥ 1');
  if (!Number.isInteger(c.electionTicks) || c.electionTicks <= c.heartbeatTicks) {
    throw new InvalidConfigError('electionTicks', 'must be an integer greater than heartbeatTicks');
  }
  if (!Number.isInteger(c.maxInflightMessages) || c.maxInflightMessages < 1) {
    throw new InvalidConfigError('maxInflightMessages', 'must be ≥ 1');
  }
  if (c.maxInflightBytes !== 0 && c.maxInflightBytes < c.maxSizePerMessageBytes) {
    throw new InvalidConfigError('maxInflightBytes', 'must be 0 or ≥ maxSizePerMessageBytes');
  }
  if (c.maxSizePerMessageBytes < 1) throw new InvalidConfigError('maxSizePerMessageBytes', 'must be ≥ 1');
  if (c.maxCommittedSizePerReadyBytes < 1) throw new InvalidConfigError('maxCommittedSizePerReadyBytes', 'must be ≥ 1');
  if (!Number.isInteger(c.applied) || c.applied < 0) throw new InvalidConfigError('applied', 'must be a non-negative integer');
  if (!Number.isInteger(c.snapshotTrailingEntries) || c.snapshotTrailingEntries < 0) {
    throw new InvalidConfigError('snapshotTrailingEntries', 'must be a non-negative integer');
  }
  if (!Number.isInteger(c.snapshotChunkBytes) || c.snapshotChunkBytes < 1) throw new InvalidConfigError('snapshotChunkBytes', 'must be ≥ 1');
  if (!Number.isInteger(c.maxInflightSnapshotChunks) || c.maxInflightSnapshotChunks < 1) {
    throw new InvalidConfigError('maxInflightSnapshotChunks', 'must be ≥ 1');
  }
  if (!Number.isInteger(c.snapshotTimeoutTicks) || c.snapshotTimeoutTicks < 1) {
    throw new InvalidConfigError('snapshotTimeoutTicks', 'must be ≥ 1');
  }
}
