/**
 * The per-seed choices that are not faults: which deliberate core bug (if any) is on,
 * and the core options a seed runs with (pre-vote, check-quorum, message size and
 * inflight limits, snapshot policy and transfer knobs), drawn from the seed so that every
 * combination gets exercised.
 */
import type { RaftConfig, TestingBugs } from '../core/config.js';
import type { SeededRandom } from '../core/random.js';
import type { NodeId } from '../core/types.js';
import { ENTRY_FRAMING_BYTES } from '../storage/log-storage.js';
import {
  ELECTION_TICKS,
  HEARTBEAT_TICKS,
  SNAPSHOT_CHUNK_BYTES_MAX,
  SNAPSHOT_CHUNK_BYTES_MIN,
  SNAPSHOT_INFLIGHT_CHUNKS_MAX,
  SNAPSHOT_INTERVAL_ENTRIES_MAX,
  SNAPSHOT_INTERVAL_ENTRIES_MIN,
  SNAPSHOT_PIPELINE_BYTES_MIN,
  SNAPSHOT_TIMEOUT_TICKS_MAX,
  SNAPSHOT_TIMEOUT_TICKS_MIN,
  SNAPSHOT_TRAILING_ENTRIES_MAX,
} from './constants.js';
import type { SimDisk } from './sim-disk.js';

/** The deliberate bugs the CLI can switch on (`--bug NAME`), mapped to the core's knobs. */
export const BUG_NAMES = ['commit-prior-term', 'forget-vote', 'stale-read', 'skip-joint', 'snapshot-wrong-term'] as const;
export type BugName = (typeof BUG_NAMES)[number];

export function isBugName(name: string): name is BugName {
  return (BUG_NAMES as readonly string[]).includes(name);
}

export function testingBugsFor(bug: BugName | undefined): TestingBugs {
  switch (bug) {
    case undefined:
      return {};
    case 'commit-prior-term':
      return { commitPriorTerm: true };
    case 'forget-vote':
      return { forgetVote: true };
    case 'stale-read':
      return { staleRead: true };
    case 'skip-joint':
      return { skipJoint: true };
    case 'snapshot-wrong-term':
      return { snapshotWrongTerm: true };
    default: {
      const unknown: never = bug;
      throw new Error(`unknown bug ${String(unknown)}`);
    }
  }
}

/** The core options of one seed. */
export interface CoreOptions {
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  readonly maxSizePerMessageBytes: number;
  readonly maxInflightMessages: number;
  /** A leader's bound on uncommitted entry bytes (0: none); proposals beyond it are dropped. */
  readonly maxUncommittedEntriesSizeBytes: number;
  /**
   * A node snapshots its state machine after about this many applied entries (jittered
   * per snapshot, see sim-node.ts); 0: never. Not a core option: the driver's policy.
   */
  readonly snapshotIntervalEntries: number;
  /** Entries kept before a snapshot's index when compacting (0..50, so followers do need snapshots). */
  readonly snapshotTrailingEntries: number;
  readonly snapshotChunkBytes: number;
  readonly maxInflightSnapshotChunks: number;
  readonly snapshotTimeoutTicks: number;
}

/** Bytes a typical client write takes in size limits (`w:` + a few digits + framing). */
const TYPICAL_ENTRY_BYTES = 6 + ENTRY_FRAMING_BYTES;
const INFLIGHT_CHOICES = [1, 1, 2, 4, 8, 32, 256];

/**
 * Entries a leader can have in flight to one follower (entries per message × window) must
 * be at least this: below it, replication runs slower than clients write, and a healed
 * cluster could never catch up (a capacity problem, not a Raft one).
 */
const PIPELINE_ENTRIES_MIN = 8;
/**
 * The same when the seed never snapshots: a node added late then has to stream the whole
 * log from index 1, up to a couple of thousand entries, within the liveness bound.
 */
const PIPELINE_ENTRIES_MIN_WITHOUT_SNAPSHOTS = 16;

export function drawCoreOptions(random: SeededRandom): CoreOptions {
  const snapshots = drawSnapshotOptions(random);
  const tinyMessages = random.chance(0.7);
  // Tiny limits split appends (1..3 entries per MsgApp), so that a new leader's no-op
  // travels apart from the older entries before it.
  const entriesPerMessage = 1 + random.int(3);
  const window = INFLIGHT_CHOICES[random.int(INFLIGHT_CHOICES.length)]!;
  const pipelineEntries = snapshots.snapshotIntervalEntries === 0 ? PIPELINE_ENTRIES_MIN_WITHOUT_SNAPSHOTS : PIPELINE_ENTRIES_MIN;
  return {
    preVote: random.chance(0.5),
    checkQuorum: random.chance(0.8),
    maxSizePerMessageBytes: tinyMessages ? TYPICAL_ENTRY_BYTES * entriesPerMessage : 1024 * 1024,
    maxInflightMessages: tinyMessages ? Math.max(window, Math.ceil(pipelineEntries / entriesPerMessage)) : window,
    // Bounds the tail an isolated leader piles up (which a healed cluster must then
    // replicate before the liveness deadline); sometimes unbounded.
    maxUncommittedEntriesSizeBytes: random.chance(0.3) ? 0 : TYPICAL_ENTRY_BYTES * (32 + random.int(225)),
    ...snapshots,
  };
}

type SnapshotOptions = Pick<
  CoreOptions,
  'snapshotIntervalEntries' | 'snapshotTrailingEntries' | 'snapshotChunkBytes' | 'maxInflightSnapshotChunks' | 'snapshotTimeoutTicks'
>;

/** Some seeds never snapshot; the others snapshot every few to few hundred entries. */
function drawSnapshotOptions(random: SeededRandom): SnapshotOptions {
  const never = random.chance(0.2);
  const interval = logUniform(random, SNAPSHOT_INTERVAL_ENTRIES_MIN, SNAPSHOT_INTERVAL_ENTRIES_MAX);
  const trailing = random.chance(0.3) ? 0 : 1 + random.int(SNAPSHOT_TRAILING_ENTRIES_MAX);
  const chunkBytes = logUniform(random, SNAPSHOT_CHUNK_BYTES_MIN, SNAPSHOT_CHUNK_BYTES_MAX);
  const inflight = 1 + random.int(SNAPSHOT_INFLIGHT_CHUNKS_MAX);
  return {
    snapshotIntervalEntries: never ? 0 : interval,
    snapshotTrailingEntries: trailing,
    snapshotChunkBytes: chunkBytes,
    maxInflightSnapshotChunks: Math.max(inflight, Math.ceil(SNAPSHOT_PIPELINE_BYTES_MIN / chunkBytes)),
    snapshotTimeoutTicks: SNAPSHOT_TIMEOUT_TICKS_MIN + random.int(SNAPSHOT_TIMEOUT_TICKS_MAX - SNAPSHOT_TIMEOUT_TICKS_MIN + 1),
  };
}

/** An integer in [min, max], uniform on a log scale (small values as likely as large ones). */
function logUniform(random: SeededRandom, min: number, max: number): number {
  return Math.min(max, Math.round(min * (max / min) ** random.float()));
}

export function coreConfig(id: NodeId, disk: SimDisk, random: SeededRandom, options: CoreOptions, bug: BugName | undefined): RaftConfig {
  return {
    id,
    storage: disk.storage,
    random,
    electionTicks: ELECTION_TICKS,
    heartbeatTicks: HEARTBEAT_TICKS,
    // A restarted node's state machine is restored from the stored snapshot (sim-node.ts).
    applied: disk.storage.snapshotMetadata().index,
    preVote: options.preVote,
    checkQuorum: options.checkQuorum,
    maxSizePerMessageBytes: options.maxSizePerMessageBytes,
    maxInflightMessages: options.maxInflightMessages,
    maxUncommittedEntriesSizeBytes: options.maxUncommittedEntriesSizeBytes,
    snapshotTrailingEntries: options.snapshotTrailingEntries,
    snapshotChunkBytes: options.snapshotChunkBytes,
    maxInflightSnapshotChunks: options.maxInflightSnapshotChunks,
    snapshotTimeoutTicks: options.snapshotTimeoutTicks,
    testingBugs: testingBugsFor(bug),
  };
}

/** Cluster size of a seed when the caller does not choose: 3 and 5 alternate. */
export function defaultNodesForSeed(seed: number): number {
  return seed % 2 === 0 ? 3 : 5;
}
