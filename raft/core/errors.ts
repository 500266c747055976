/**
 * Every error the Raft core, its storage contract and the `RaftNode` driver raise. Each has a stable `code`
 * and says whether retrying the same call later can succeed.
 */
import type { NodeId } from './types.js';

/** The stable codes of `RaftError`s, one per error class. */
export type RaftErrorCode =
  | 'NOT_LEADER'
  | 'PROPOSAL_DROPPED'
  | 'INVALID_CONFIG'
  | 'COMPACTED'
  | 'UNAVAILABLE'
  | 'SNAPSHOT_OUT_OF_DATE'
  | 'INVALID_CONF_CHANGE'
  | 'INVALID_ARGUMENT'
  | 'LEADERSHIP_LOST'
  | 'TOO_MANY_REQUESTS'
  | 'REQUEST_TIMEOUT'
  | 'NODE_STOPPED'
  | 'STORAGE_CORRUPT';

/**
 * The base of every error the library raises on purpose: `code` is stable, `retryable`
 * says whether the same call may succeed later.
 */
export abstract class RaftError extends Error {
  abstract readonly code: RaftErrorCode;
  /** True when the same call may succeed later without any change by the caller. */
  abstract readonly retryable: boolean;
}

/**
 * This node is not the leader and cannot pass the request on (proposal forwarding is
 * disabled, or the request kind is never forwarded). `leaderHint` is the leader this node
 * believes in, or 0 when it knows none: retry there.
 */
export class NotLeaderError extends RaftError {
  readonly code = 'NOT_LEADER';
  readonly retryable = true;
  constructor(readonly leaderHint: NodeId) {
    super(leaderHint === 0 ? 'not the leader; no leader known' : `not the leader; leader is ${leaderHint}`);
    this.name = 'NotLeaderError';
  }
}

/** Why a proposal was dropped (`ProposalDroppedError.reason`). */
export type ProposalDropReason =
  | 'no-leader'
  | 'leadership-transfer'
  | 'uncommitted-size-limit'
  | 'not-a-member'
  | 'conf-change-pending';

/**
 * The proposal was not appended to any log and never will be. Nothing about it can have
 * been applied, so it is always safe to propose it again.
 */
export class ProposalDroppedError extends RaftError {
  readonly code = 'PROPOSAL_DROPPED';
  readonly retryable = true;
  constructor(readonly reason: ProposalDropReason) {
    super(`raft proposal dropped: ${reason}`);
    this.name = 'ProposalDroppedError';
  }
}

/** An option is out of range or contradicts another (the message names it). Fix the configuration. */
export class InvalidConfigError extends RaftError {
  readonly code = 'INVALID_CONFIG';
  readonly retryable = false;
  constructor(field: string, rule: string) {
    super(`raft config: ${field} ${rule}`);
    this.name = 'InvalidConfigError';
  }
}

/** The requested index is below the storage's first index: it has been compacted away. */
export class CompactedError extends RaftError {
  readonly code = 'COMPACTED';
  readonly retryable = false;
  constructor(index: number, firstIndex: number) {
    super(`raft storage: index ${index} compacted (first index ${firstIndex})`);
    this.name = 'CompactedError';
  }
}

/** The requested index is beyond the storage's last index. */
export class UnavailableError extends RaftError {
  readonly code = 'UNAVAILABLE';
  readonly retryable = false;
  constructor(index: number, lastIndex: number) {
    super(`raft storage: index ${index} unavailable (last index ${lastIndex})`);
    this.name = 'UnavailableError';
  }
}

/** A snapshot older than what the storage already holds was offered. */
export class SnapshotOutOfDateError extends RaftError {
  readonly code = 'SNAPSHOT_OUT_OF_DATE';
  readonly retryable = false;
  constructor(index: number, current: number) {
    super(`raft storage: snapshot at ${index} is older than the current one at ${current}`);
    this.name = 'SnapshotOutOfDateError';
  }
}

/**
 * A membership change that cannot be made from the current configuration (removing the
 * last voter, leaving a joint configuration that is not joint, a learner that is also a
 * voter, a malformed encoding, ...). Retrying the same change cannot help.
 */
export class InvalidConfChangeError extends RaftError {
  readonly code = 'INVALID_CONF_CHANGE';
  readonly retryable = false;
  constructor(readonly detail: string) {
    super(`raft conf change: ${detail}`);
    this.name = 'InvalidConfChangeError';
  }
}

/** A call whose arguments can never be valid in the node's state (e.g. a snapshot beyond the applied index). */
export class InvalidArgumentError extends RaftError {
  readonly code = 'INVALID_ARGUMENT';
  readonly retryable = false;
  constructor(detail: string) {
    super(`raft: ${detail}`);
    this.name = 'InvalidArgumentError';
  }
}

/**
 * The leader changed while the request was under way, before this node saw its entry
 * committed. The outcome is unknown: the entry may still be committed by the new leader
 * and applied. Retry only what is safe to apply twice (or make it idempotent).
 */
export class LeadershipLostError extends RaftError {
  readonly code = 'LEADERSHIP_LOST';
  readonly retryable = true;
  constructor(readonly leaderHint: NodeId) {
    super(leaderHint === 0 ? 'raft: leadership lost; no leader known' : `raft: leadership lost; leader is now ${leaderHint}`);
    this.name = 'LeadershipLostError';
  }
}

/** The node already has its limit of requests in flight: back off and retry. Nothing was proposed. */
export class TooManyRequestsError extends RaftError {
  readonly code = 'TOO_MANY_REQUESTS';
  readonly retryable = true;
  constructor(readonly limit: number) {
    super(`raft: too many requests in flight (limit ${limit})`);
    this.name = 'TooManyRequestsError';
  }
}

/** The request was not answered in time. Like `LeadershipLostError`, its outcome is unknown. */
export class RequestTimeoutError extends RaftError {
  readonly code = 'REQUEST_TIMEOUT';
  readonly retryable = true;
  constructor(readonly timeoutMs: number) {
    super(`raft: request timed out after ${timeoutMs} ms`);
    this.name = 'RequestTimeoutError';
  }
}

/** The node is stopped (or stopping, or failed): no request on it can succeed. */
export class NodeStoppedError extends RaftError {
  readonly code = 'NODE_STOPPED';
  readonly retryable = false;
  constructor(detail = 'the node is stopped') {
    super(`raft: ${detail}`);
    this.name = 'NodeStoppedError';
  }
}

/** The stored state cannot be read: a damaged, foreign or newer-format database. */
export class StorageCorruptError extends RaftError {
  readonly code = 'STORAGE_CORRUPT';
  readonly retryable = false;
  constructor(detail: string) {
    super(`raft storage corrupt: ${detail}`);
    this.name = 'StorageCorruptError';
  }
}

/**
 * A broken invariant: a bug, not an operating error. The core stops rather than carry
 * on in a state it cannot reason about.
 */
export class AssertionFailedError extends Error {
  constructor(message: string) {
    super(`raft invariant broken: ${message}`);
    this.name = 'AssertionFailedError';
  }
}

export function assert(condition: boolean, message: string | (() => string)): asserts condition {
  if (!condition) throw new AssertionFailedError(typeof message === 'string' ? message : message());
}
