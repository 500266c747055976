/**
 * Balsa's Raft library: the public API. Named exports only; anything not listed here is
 * internal and may change.
 *
 * Most programs need `RaftNode` with a `LevelStorage` and a `GrpcTransport` (or, in one
 * process, `MemoryStorage` and `MemoryTransport`). `RawNode` is the pure core underneath,
 * for those who drive it themselves.
 */
export { RaftNode } from './node.js';
export type {
  RaftNodeOptions,
  RaftNodeCoreOptions,
  RaftNodeEvents,
  StateMachine,
  AppliedEntry,
  Member,
  NodeStatus,
  FollowerProgress,
  LeaderChange,
} from './node.js';
export { NO_RAFT_METRICS } from './metrics.js';
export type { RaftMetrics } from './metrics.js';
export { LevelStorage } from './storage/level-storage.js';
export type { LevelStorageOptions } from './storage/level-storage.js';
export { GrpcTransport } from './transport/grpc-transport.js';
export type { GrpcPeerService, GrpcTransportCredentials, GrpcTransportOptions } from './transport/grpc-transport.js';
export { MemoryNetwork, MemoryTransport } from './transport/memory-transport.js';
export type { MemoryNetworkOptions } from './transport/memory-transport.js';
export type { Transport, TransportHandler } from './transport/transport.js';
export { RawNode } from './core/raw-node.js';
export type { SnapshotPlan } from './core/raw-node.js';
export { encodeConfChange, decodeConfChange, changeConf, isJoint, membersOf, isConfStateEqual } from './core/conf-change.js';
export type { RaftConfig, TestingBugs } from './core/config.js';
export {
  DEFAULT_ELECTION_TICKS,
  DEFAULT_HEARTBEAT_TICKS,
  DEFAULT_MAX_INFLIGHT_MESSAGES,
  DEFAULT_MAX_SIZE_PER_MESSAGE_BYTES,
  DEFAULT_SNAPSHOT_TRAILING_ENTRIES,
  DEFAULT_SNAPSHOT_CHUNK_BYTES,
  DEFAULT_MAX_INFLIGHT_SNAPSHOT_CHUNKS,
} from './core/config.js';
export {
  RaftError,
  NotLeaderError,
  ProposalDroppedError,
  InvalidConfigError,
  CompactedError,
  UnavailableError,
  SnapshotOutOfDateError,
  InvalidConfChangeError,
  InvalidArgumentError,
  LeadershipLostError,
  TooManyRequestsError,
  RequestTimeoutError,
  NodeStoppedError,
  StorageCorruptError,
  AssertionFailedError,
} from './core/errors.js';
export type { RaftErrorCode, ProposalDropReason } from './core/errors.js';
export { createSeededRandom } from './core/random.js';
export type { RandomSource, SeededRandom } from './core/random.js';
export type { Status, ProgressStatus, ProgressState } from './core/status.js';
export { EntryType, NONE, EMPTY_HARD_STATE, EMPTY_CONF_STATE } from './core/types.js';
export type {
  NodeId,
  Entry,
  EntryId,
  HardState,
  SoftState,
  Role,
  ConfState,
  ConfChange,
  ConfChangeSingle,
  AppliedConfChange,
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
  SnapshotMessage,
  SnapshotResponse,
} from './core/types.js';
export type { LogStorage, WritableLogStorage, InitialState, SnapshotReader, SnapshotChunk } from './storage/log-storage.js';
export { entrySizeBytes } from './storage/log-storage.js';
export { MemoryStorage } from './storage/memory-storage.js';
export { concatInSteps, nextTurn } from './stepped-bytes.js';
