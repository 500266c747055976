/**
 * Balsa's Raft library: the public API. Named exports only; anything not listed here is
 * internal and may change.
 */
export { RawNode } from './core/raw-node.js';
export type { RaftConfig, TestingBugs } from './core/config.js';
export {
  DEFAULT_ELECTION_TICKS,
  DEFAULT_HEARTBEAT_TICKS,
  DEFAULT_MAX_INFLIGHT_MESSAGES,
  DEFAULT_MAX_SIZE_PER_MESSAGE_BYTES,
} from './core/config.js';
export {
  RaftError,
  NotLeaderError,
  ProposalDroppedError,
  InvalidConfigError,
  CompactedError,
  UnavailableError,
  SnapshotOutOfDateError,
  AssertionFailedError,
} from './core/errors.js';
export type { RaftErrorCode, ProposalDropReason } from './core/errors.js';
export { createSeededRandom } from './core/random.js';
export type { RandomSource, SeededRandom } from './core/random.js';
export type { Status, ProgressStatus, ProgressState } from './core/status.js';
export { EntryType, NONE, EMPTY_HARD_STATE } from './core/types.js';
export type {
  NodeId,
  Entry,
  EntryId,
  HardState,
  SoftState,
  Role,
  ConfState,
  Snapshot,
  SnapshotMetadata,
  ReadState,
  Ready,
  Message,
  MessageType,
  ProposeMessage,
  AppendMessage,
  AppendResponse,
  VoteMessage,
  VoteResponse,
  HeartbeatMessage,
  HeartbeatResponse,
  ReadIndexMessage,
  ReadIndexResponse,
  TransferLeaderMessage,
  TimeoutNowMessage,
} from './core/types.js';
export type { LogStorage, InitialState } from './storage/log-storage.js';
export { entrySizeBytes } from './storage/log-storage.js';
export { MemoryStorage } from './storage/memory-storage.js';
