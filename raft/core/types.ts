/**
 * The data the Raft core consumes and produces: log entries, messages, hard and soft
 * state, and the `Ready` batch. Everything here is plain data (no classes), so that a
 * transport can encode it and a simulator can copy it.
 */

/** A member's identity. Positive safe integer; `NONE` (0) means "nobody". */
export type NodeId = number;
/** No node: an unknown leader, or no vote. */
export const NONE: NodeId = 0;

/** What an entry carries: application data, or a membership change for the core. */
export enum EntryType {
  /** Application data (or empty: the no-op a new leader appends, §5.4.2). */
  Normal = 0,
  /** A membership change; its payload is interpreted by the core, not the application. */
  ConfChange = 1,
}

/** One log entry (§5.3). */
export interface Entry {
  /** Term of the leader that created the entry. */
  readonly term: number;
  /** Position in the log, starting at 1. */
  readonly index: number;
  readonly type: EntryType;
  /** Opaque to the core for `Normal` entries. Empty for a leader's no-op. */
  readonly data: Uint8Array;
}

/** The position of an entry: enough to run the log consistency check (§5.3). */
export interface EntryId {
  readonly term: number;
  readonly index: number;
}

/**
 * State that must be on stable storage before any message produced alongside it is sent
 * (Figure 2 of the Raft paper: currentTerm, votedFor; plus the commit index, which is
 * kept so that a restarted node need not wait for a leader to re-apply its state).
 */
export interface HardState {
  readonly term: number;
  readonly vote: NodeId;
  readonly commit: number;
}

/** The hard state of a node that has never voted nor seen a term. */
export const EMPTY_HARD_STATE: HardState = Object.freeze({ term: 0, vote: NONE, commit: 0 });

export function isHardStateEqual(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

/** A node's role in its current term; `pre-candidate` is a pre-vote round (thesis §9.6). */
export type Role = 'follower' | 'pre-candidate' | 'candidate' | 'leader';

/** Volatile state, useful for logging and for the application; never persisted. */
export interface SoftState {
  readonly leader: NodeId;
  readonly role: Role;
}

/**
 * A membership configuration: who votes, who only learns. Outside a membership change
 * only `voters` and `learners` are filled. In a joint configuration (thesis §4.3)
 * `voters` is the incoming set, `votersOutgoing` the outgoing one (both must agree on
 * every decision), and `learnersNext` are outgoing voters that become learners when the
 * joint configuration is left. Ids are sorted ascending in every list.
 */
export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
  readonly votersOutgoing: readonly NodeId[];
  readonly learnersNext: readonly NodeId[];
}

/** A configuration with no members at all. */
export const EMPTY_CONF_STATE: ConfState = Object.freeze({
  voters: Object.freeze([]),
  learners: Object.freeze([]),
  votersOutgoing: Object.freeze([]),
  learnersNext: Object.freeze([]),
});

/** One step of a membership change. Adding a voter that is a learner promotes it. */
export interface ConfChangeSingle {
  readonly type: 'add-voter' | 'add-learner' | 'remove';
  readonly node: NodeId;
}

/**
 * A membership change, proposed with `RawNode.proposeConfChange`. A change that alters
 * the voters by at most one member (adding or removing one voter, any learner changes)
 * takes effect in one step. Anything larger enters a joint configuration, which the
 * leader leaves automatically once it is applied (thesis §4.3). An empty `changes` list
 * leaves a joint configuration explicitly. `context` is opaque to the core (a driver can
 * carry a new member's address in it).
 */
export interface ConfChange {
  readonly changes: readonly ConfChangeSingle[];
  readonly context?: Uint8Array;
}

/** The configuration that took effect when the conf change entry at `index` was applied. */
export interface AppliedConfChange {
  readonly index: number;
  readonly confState: ConfState;
}

/** What a snapshot stands for: the last entry it covers (index and term) and the configuration then. */
export interface SnapshotMetadata {
  readonly index: number;
  readonly term: number;
  readonly confState: ConfState;
}

/** A snapshot with its data, as one piece (received snapshots are assembled before installing). */
export interface Snapshot {
  readonly metadata: SnapshotMetadata;
  readonly data: Uint8Array;
}

/**
 * The answer to a `readIndex(context)` call: once the application has applied the log
 * up to `index`, a read of its state is linearizable with respect to every write
 * acknowledged before the call was made.
 */
export interface ReadState {
  readonly index: number;
  readonly context: string;
}

interface MessageBase {
  readonly from: NodeId;
  readonly to: NodeId;
  /**
   * The sender's term. `0` marks a local message (a proposal or read request made on
   * this node, or one forwarded to the leader): those are not term-checked.
   */
  readonly term: number;
}

/** A proposal; made locally or forwarded by a follower to its leader. */
export interface ProposeMessage extends MessageBase {
  readonly type: 'MsgProp';
  readonly entries: readonly Entry[];
}

/** AppendEntries (§5.3). `logTerm`/`index` identify the entry preceding `entries`. */
export interface AppendMessage extends MessageBase {
  readonly type: 'MsgApp';
  readonly logTerm: number;
  readonly index: number;
  readonly entries: readonly Entry[];
  readonly commit: number;
}

/**
 * The reply to `MsgApp`. On success `index` is the last index the follower now holds
 * that matches the leader. On rejection `index` is the rejected `MsgApp.index` and
 * (`rejectHint`, `logTerm`) is the follower's guess of where the logs may match: the
 * largest index ≤ the probe whose term is ≤ the probe's term (fast back-off).
 */
export interface AppendResponse extends MessageBase {
  readonly type: 'MsgAppResp';
  readonly index: number;
  readonly reject: boolean;
  readonly rejectHint: number;
  readonly logTerm: number;
}

/** RequestVote (§5.2) and its pre-vote twin (thesis §9.6). `term` is the proposed term. */
export interface VoteMessage extends MessageBase {
  readonly type: 'MsgVote' | 'MsgPreVote';
  /** The candidate's last log entry (§5.4.1's up-to-date check). */
  readonly index: number;
  readonly logTerm: number;
  /** Set by a leadership transfer: the vote overrides leader stickiness. */
  readonly transfer: boolean;
  /** The sender's commit index and that entry's term: see `learnCommit`. */
  readonly commit?: number;
  readonly commitTerm?: number;
}

/** The answer to a vote or pre-vote request; `reject: false` grants it. */
export interface VoteResponse extends MessageBase {
  readonly type: 'MsgVoteResp' | 'MsgPreVoteResp';
  readonly reject: boolean;
  /** The sender's commit index and that entry's term: see `VoteMessage.commit`. */
  readonly commit?: number;
  readonly commitTerm?: number;
}

/** A heartbeat; `context` carries a ReadIndex round's id when one is pending. */
export interface HeartbeatMessage extends MessageBase {
  readonly type: 'MsgHeartbeat';
  readonly commit: number;
  readonly context: string;
}

/** A follower's answer to a heartbeat, echoing its ReadIndex `context`. */
export interface HeartbeatResponse extends MessageBase {
  readonly type: 'MsgHeartbeatResp';
  readonly context: string;
}

/** A read request, made locally or forwarded by a follower to the leader. */
export interface ReadIndexMessage extends MessageBase {
  readonly type: 'MsgReadIndex';
  readonly context: string;
}

/** The leader's answer to a forwarded read request. */
export interface ReadIndexResponse extends MessageBase {
  readonly type: 'MsgReadIndexResp';
  readonly index: number;
  readonly context: string;
}

/** Ask the leader to hand leadership to `from` (the transferee). */
export interface TransferLeaderMessage extends MessageBase {
  readonly type: 'MsgTransferLeader';
}

/** Sent by a leader to its transferee: start an election now (thesis §3.10). */
export interface TimeoutNowMessage extends MessageBase {
  readonly type: 'MsgTimeoutNow';
}

/**
 * One chunk of an InstallSnapshot transfer (§7). Chunks are sent in order from offset 0;
 * the last one has `done` set, so the sender never needs the total size in advance. Every
 * chunk carries the snapshot's metadata, so any chunk identifies the transfer.
 */
export interface SnapshotMessage extends MessageBase {
  readonly type: 'MsgSnap';
  readonly snapshot: SnapshotMetadata;
  /** Byte offset of `data` within the snapshot's data. */
  readonly offset: number;
  readonly data: Uint8Array;
  readonly done: boolean;
}

/**
 * A follower's acknowledgement of snapshot chunks: it holds every byte before `offset`
 * of the snapshot at `index`. With `reject`, the chunk it got did not start at `offset`
 * (one was lost, or the follower restarted): the leader resumes from `offset`. Once the
 * last chunk is in, the follower installs the snapshot and answers with a `MsgAppResp`.
 */
export interface SnapshotResponse extends MessageBase {
  readonly type: 'MsgSnapResp';
  readonly index: number;
  readonly offset: number;
  readonly reject: boolean;
}

/** Every message the core exchanges with peers, one type per Raft RPC and reply. */
export type Message =
  | ProposeMessage
  | AppendMessage
  | AppendResponse
  | VoteMessage
  | VoteResponse
  | HeartbeatMessage
  | HeartbeatResponse
  | ReadIndexMessage
  | ReadIndexResponse
  | TransferLeaderMessage
  | TimeoutNowMessage
  | SnapshotMessage
  | SnapshotResponse;

/** The `type` tag of a `Message`. */
export type MessageType = Message['type'];

/**
 * One batch of work for the driver. Its fields must be handled in this order:
 *
 * 0. If `snapshot` is set, install it: make it durable (it replaces the whole stored
 *    log) and restore the state machine from it.
 * 1. Write `entries` and `hardState` to stable storage (atomically, synced). Entries
 *    replace any stored entries at the same or later indexes.
 * 2. Only then send `messages`: votes and acknowledgements in them promise that step 1
 *    is durable.
 * 3. Apply `committedEntries` to the state machine, in order. (They are committed, so
 *    this may overlap step 2, but not precede step 1.)
 * 4. Serve `readStates` once the applied index reaches each state's index.
 * 5. Call `advance()`. No new `Ready` is produced until then. It applies the membership
 *    changes among `committedEntries` and returns the configurations they produced.
 */
export interface Ready {
  /** A snapshot received from the leader, to install before anything else. */
  readonly snapshot: Snapshot | null;
  /** Present only when it changed since the last `Ready`. */
  readonly softState: SoftState | null;
  /** Present only when it changed since the last `Ready`; must be persisted with `entries`. */
  readonly hardState: HardState | null;
  /** Entries to append to stable storage. */
  readonly entries: readonly Entry[];
  /** Entries known committed and not yet handed out for applying. */
  readonly committedEntries: readonly Entry[];
  /** Messages to send after the writes above are durable. */
  readonly messages: readonly Message[];
  /** Answers to `readIndex` calls made on this node. */
  readonly readStates: readonly ReadState[];
}
