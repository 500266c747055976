/**
 * The Raft state machine (Ongaro & Ousterhout, "In Search of an Understandable Consensus
 * Algorithm", and Ongaro's thesis). Pure: its inputs are ticks, messages and requests;
 * its outputs are messages, log changes and read states collected by `RawNode`.
 *
 * Section references: "§5.x" is the paper, "thesis §x" is the dissertation.
 */
import { MAX_PENDING_READ_INDEX_REQUESTS } from './constants.js';
import { changeConf, decodeConfChange, encodeConfChange } from './conf-change.js';
import { resolveConfig } from './config.js';
import type { RaftConfig, ResolvedRaftConfig, TestingBugs } from './config.js';
import {
  InvalidArgumentError,
  InvalidConfChangeError,
  NotLeaderError,
  ProposalDroppedError,
  SnapshotOutOfDateError,
  assert,
} from './errors.js';
import type { ProposalDropReason, RaftError } from './errors.js';
import { RaftLog, entriesSizeBytes } from './log.js';
import type { Progress } from './progress.js';
import { ReadOnly } from './read-only.js';
import { SnapshotTransfer } from './snapshot-transfer.js';
import type { ProgressStatus, Status } from './status.js';
import { ProgressTracker } from './tracker.js';
import { EntryType, NONE } from './types.js';
import type { LogStorage } from '../storage/log-storage.js';
import type {
  AppendMessage,
  AppendResponse,
  AppliedConfChange,
  ConfChange,
  ConfState,
  Entry,
  EntryId,
  HardState,
  HeartbeatMessage,
  HeartbeatResponse,
  Message,
  NodeId,
  ProposeMessage,
  ReadIndexMessage,
  ReadState,
  Ready,
  Role,
  Snapshot,
  SnapshotMessage,
  SnapshotResponse,
  SoftState,
  VoteMessage,
  VoteResponse,
} from './types.js';
import type { RandomSource } from './random.js';

type CampaignKind = 'pre-election' | 'election' | 'transfer';

/**
 * Why a request was not taken. A plain value, not an Error: requests forwarded by peers
 * are refused often and silently, and only a local caller gets an Error built for it.
 */
type Refusal = ProposalDropReason | 'not-leader' | 'invalid-conf-change';

/** A snapshot being received from a leader, chunk by chunk. */
interface IncomingSnapshot {
  readonly from: NodeId;
  readonly index: number;
  readonly term: number;
  readonly chunks: Uint8Array[];
  bytes: number;
}

/** What the driver stores after `createSnapshot`: the snapshot, then the compaction. */
export interface SnapshotPlan {
  readonly snapshot: Snapshot;
  /**
   * Discard stored entries up to and including this index (`LogStorage.compact`), once
   * the snapshot is durable. 0 when there is nothing to discard.
   */
  readonly compactIndex: number;
}

export class Raft {
  readonly id: NodeId;
  readonly log: RaftLog;
  readonly maxCommittedSizePerReadyBytes: number;

  private term = 0;
  private vote: NodeId = NONE;
  private lead: NodeId = NONE;
  private role: Role = 'follower';
  private readonly tracker: ProgressTracker;
  private readOnly = new ReadOnly(MAX_PENDING_READ_INDEX_REQUESTS);
  /** Read requests that arrived before this leader committed an entry of its term. */
  private pendingReadIndexMessages: ReadIndexMessage[] = [];
  readStates: ReadState[] = [];
  private messages: Message[] = [];

  /** Ticks since the last election timeout reset (followers) or check-quorum (leaders). */
  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  /** Drawn in [electionTicks, 2·electionTicks) at each reset (§5.2). */
  private randomizedElectionTimeout = 0;
  /** The member leadership is being handed to, or NONE. */
  private leadTransferee: NodeId = NONE;
  /** Bytes of entries appended by this leader and not yet applied. */
  private uncommittedSizeBytes = 0;
  /** A proposal was appended and not yet broadcast: `flushPendingAppends` sends them together. */
  private appendsPending = false;
  /**
   * Index of the last conf change entry this leader appended (or, on election, of its
   * no-op). No other conf change is accepted until the applied index reaches it: one
   * change at a time, and none before the leader has committed an entry of its term.
   */
  private pendingConfIndex = 0;
  /**
   * The configuration after each conf change applied since the stored snapshot, starting
   * with the snapshot's own: what a snapshot taken at an index must record.
   */
  private confHistory: AppliedConfChange[] = [];
  /** A leader that applied its own removal hands over to this voter, then steps down. */
  private removedLeaderHandover = false;
  private incomingSnapshot: IncomingSnapshot | null = null;
  /** A TimeoutNow arrived while committed conf changes were unapplied: campaign once they are. */
  private campaignAfterApply = false;

  private readonly electionTicks: number;
  private readonly heartbeatTicks: number;
  private readonly maxSizePerMessageBytes: number;
  private readonly maxUncommittedEntriesSizeBytes: number;
  private readonly preVote: boolean;
  private readonly checkQuorum: boolean;
  private readonly disableProposalForwarding: boolean;
  private readonly snapshotTrailingEntries: number;
  private readonly snapshotChunkBytes: number;
  private readonly maxInflightSnapshotChunks: number;
  private readonly snapshotTimeoutTicks: number;
  private readonly storage: LogStorage;
  private readonly random: RandomSource;
  private readonly bugs: TestingBugs;

  constructor(input: RaftConfig) {
    const config: ResolvedRaftConfig = resolveConfig(input);
    this.id = config.id;
    this.electionTicks = config.electionTicks;
    this.heartbeatTicks = config.heartbeatTicks;
    this.maxSizePerMessageBytes = config.maxSizePerMessageBytes;
    this.maxCommittedSizePerReadyBytes = config.maxCommittedSizePerReadyBytes;
    this.maxUncommittedEntriesSizeBytes = config.maxUncommittedEntriesSizeBytes;
    this.preVote = config.preVote;
    this.checkQuorum = config.checkQuorum;
    this.disableProposalForwarding = config.disableProposalForwarding;
    this.snapshotTrailingEntries = config.snapshotTrailingEntries;
    this.snapshotChunkBytes = config.snapshotChunkBytes;
    this.maxInflightSnapshotChunks = config.maxInflightSnapshotChunks;
    this.snapshotTimeoutTicks = config.snapshotTimeoutTicks;
    this.storage = config.storage;
    this.random = config.random;
    this.bugs = config.testingBugs;

    this.log = new RaftLog(config.storage);
    const { hardState, confState } = config.storage.initialState();
    this.tracker = new ProgressTracker(confState, config.maxInflightMessages, config.maxInflightBytes);
    this.confHistory = [{ index: this.log.applied, confState }];
    if (hardState.term !== 0 || hardState.vote !== NONE || hardState.commit !== 0) this.loadState(hardState);
    if (config.applied > this.log.applied) {
      // The application already applied past its snapshot: so did the membership.
      const from = this.log.applied + 1;
      this.log.appliedTo(config.applied);
      for (const entry of this.log.slice(from, config.applied + 1, Number.MAX_SAFE_INTEGER)) {
        if (entry.type === EntryType.ConfChange) this.applyConfChangeEntry(entry);
      }
    }
    this.becomeFollower(this.term, NONE);
  }

  private loadState(state: HardState): void {
    assert(
      state.commit >= this.log.committed && state.commit <= this.log.lastIndex(),
      () => `stored commit ${state.commit} is out of range [${this.log.committed}, ${this.log.lastIndex()}]`,
    );
    this.log.commitTo(state.commit);
    this.term = state.term;
    // The forget-vote testing bug loses votedFor across a restart, which §5.2 forbids.
    this.vote = this.bugs.forgetVote ? NONE : state.vote;
  }

  // ---- Read-only views ----

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  softState(): SoftState {
    return { leader: this.lead, role: this.role };
  }

  hasMessages(): boolean {
    return this.messages.length > 0;
  }

  takeMessages(): Message[] {
    const messages = this.messages;
    this.messages = [];
    return messages;
  }

  takeReadStates(): ReadState[] {
    const readStates = this.readStates;
    this.readStates = [];
    return readStates;
  }

  status(): Status {
    let progress: Map<NodeId, ProgressStatus> | null = null;
    if (this.role === 'leader') {
      progress = new Map();
      for (const [id, pr] of this.tracker.progress) progress.set(id, pr.status());
    }
    return {
      id: this.id,
      term: this.term,
      vote: this.vote,
      commit: this.log.committed,
      applied: this.log.applied,
      lastIndex: this.log.lastIndex(),
      leader: this.lead,
      role: this.role,
      voters: this.tracker.voterIds(),
      config: this.tracker.confState(),
      leadTransferee: this.leadTransferee,
      progress,
    };
  }

  // ---- Inputs ----

  tick(): void {
    if (this.role === 'leader') this.tickHeartbeat();
    else this.tickElection();
  }

  campaign(): void {
    this.hup('election');
  }

  /** Where the entry went in this node's log when this node leads; null when forwarded. */
  propose(data: Uint8Array): EntryId | null {
    this.proposeEntry(EntryType.Normal, data);
    return this.role === 'leader' ? { index: this.log.lastIndex(), term: this.term } : null;
  }

  proposeConfChange(cc: ConfChange): void {
    const data = encodeConfChange(cc);
    if (this.role === 'leader') {
      // Checked here as well as in handleProposal, to give the caller the reason.
      if (this.pendingConfIndex > this.log.applied) throw new ProposalDroppedError('conf-change-pending');
      changeConf(this.tracker.confState(), cc, { skipJoint: this.bugs.skipJoint === true });
    }
    this.proposeEntry(EntryType.ConfChange, data);
  }

  /** Step a local proposal of one entry; throw the refusal, if any, as an Error. */
  private proposeEntry(type: EntryType, data: Uint8Array): void {
    const message: ProposeMessage = { type: 'MsgProp', from: this.id, to: this.id, term: 0, entries: [{ term: 0, index: 0, type, data }] };
    this.throwIfRefused(this.stepMessage(message));
  }

  readIndex(context: string): void {
    this.throwIfRefused(this.stepMessage({ type: 'MsgReadIndex', from: this.id, to: this.id, term: 0, context }));
  }

  private throwIfRefused(refusal: Refusal | null): void {
    if (refusal === null) return;
    let error: RaftError;
    if (refusal === 'not-leader') error = new NotLeaderError(this.lead);
    else if (refusal === 'invalid-conf-change') error = new InvalidConfChangeError('refused by the leader');
    else error = new ProposalDroppedError(refusal);
    throw error;
  }

  transferLeadership(transferee: NodeId): void {
    this.stepMessage({ type: 'MsgTransferLeader', from: transferee, to: this.id, term: 0 });
  }

  reportUnreachable(peer: NodeId): void {
    if (this.role !== 'leader') return;
    const pr = this.tracker.progress.get(peer);
    // An unreachable follower in replicate state has probably lost messages: re-probe.
    if (pr !== undefined && pr.state === 'replicate') pr.becomeProbe();
  }

  /** A message from a peer. Errors about forwarded requests are the requester's to see, not ours. */
  step(message: Message): void {
    this.stepMessage(message);
  }

  /** Broadcast appends for proposals made since the last flush (one MsgApp per follower). */
  flushPendingAppends(): void {
    if (!this.appendsPending) return;
    this.appendsPending = false;
    if (this.role === 'leader') this.bcastAppend();
  }

  /** The driver applied these entries: they no longer count against the uncommitted limit. */
  private reduceUncommittedSize(applied: readonly Entry[]): void {
    if (this.uncommittedSizeBytes === 0) return;
    this.uncommittedSizeBytes = Math.max(0, this.uncommittedSizeBytes - entriesSizeBytes(applied));
  }

  /**
   * The driver handled `ready`: mark its snapshot installed and its entries stable, and
   * apply its committed entries' membership changes. Returns the configurations applied.
   */
  advance(ready: Ready): AppliedConfChange[] {
    if (ready.snapshot !== null) this.snapshotInstalled(ready.snapshot);
    if (ready.entries.length > 0) {
      const last = ready.entries[ready.entries.length - 1]!;
      this.log.stableTo(last.index, last.term);
    }
    const applied: AppliedConfChange[] = [];
    const committed = ready.committedEntries;
    if (committed.length > 0) {
      for (const entry of committed) {
        if (entry.type !== EntryType.ConfChange || entry.index <= this.log.applied) continue;
        const change = this.applyConfChangeEntry(entry);
        if (change !== null) applied.push(change);
      }
      const last = committed[committed.length - 1]!.index;
      if (last > this.log.applied) this.log.appliedTo(last);
      this.reduceUncommittedSize(committed);
    }
    if (this.role === 'leader') this.afterApplyAsLeader();
    else if (this.campaignAfterApply && !this.hasUnappliedConfChanges()) {
      this.campaignAfterApply = false;
      this.hup('transfer');
    }
    return applied;
  }

  /**
   * Snapshot metadata for the application's state at `index`, and how far the log can
   * be compacted behind it (keeping `snapshotTrailingEntries`).
   */
  createSnapshot(index: number, data: Uint8Array): SnapshotPlan {
    if (!Number.isInteger(index) || index > this.log.applied) {
      throw new InvalidArgumentError(`snapshot index ${index} is beyond the applied index ${this.log.applied}`);
    }
    const current = this.log.snapshotIndex();
    if (index <= current) throw new SnapshotOutOfDateError(index, current);
    const term = this.log.term(index);
    assert(term !== undefined, () => `no term for snapshot index ${index}`);
    const confState = this.confStateAt(index);
    // The snapshot-wrong-term testing bug: record the current term, which §7 forbids.
    const snapshot: Snapshot = { metadata: { index, term: this.bugs.snapshotWrongTerm ? this.term : term, confState }, data };
    this.confHistory = [{ index, confState }, ...this.confHistory.filter((c) => c.index > index)];
    const compactIndex = index - this.snapshotTrailingEntries;
    return { snapshot, compactIndex: compactIndex >= this.log.firstIndex() ? compactIndex : 0 };
  }

  /** The configuration in force once the entry at `index` is applied. */
  private confStateAt(index: number): ConfState {
    let conf = this.confHistory[0]!.confState;
    for (const change of this.confHistory) {
      if (change.index > index) break;
      conf = change.confState;
    }
    return conf;
  }

  // ---- Role changes ----

  private becomeFollower(term: number, lead: NodeId): void {
    this.reset(term);
    this.lead = lead;
    this.role = 'follower';
  }

  /** Thesis §9.6: ask for votes for term+1 without incrementing our own term. */
  private becomePreCandidate(): void {
    assert(this.role !== 'leader', 'a leader cannot become a pre-candidate');
    this.tracker.resetVotes();
    this.lead = NONE;
    this.role = 'pre-candidate';
  }

  /** §5.2: increment the term and vote for ourselves. */
  private becomeCandidate(): void {
    assert(this.role !== 'leader', 'a leader cannot become a candidate');
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = 'candidate';
  }

  private becomeLeader(): void {
    assert(this.role === 'candidate', () => `only a candidate can become leader, not a ${this.role}`);
    this.reset(this.term);
    this.lead = this.id;
    this.role = 'leader';
    this.self().becomeReplicate();
    // §5.4.2 / thesis §3.6.2: a leader commits entries of earlier terms only by committing
    // one of its own, so it appends an empty entry at once.
    const appended = this.appendEntries([{ term: 0, index: 0, type: EntryType.Normal, data: new Uint8Array(0) }]);
    assert(appended, 'the empty entry of a new leader must be accepted');
    // The no-op is not an application proposal: it does not count against the limit.
    this.uncommittedSizeBytes = 0;
    // A new leader takes no conf change before its no-op is applied (thesis §4.1, the
    // fix for the single-server change bug): every earlier change is applied by then.
    this.pendingConfIndex = this.log.lastIndex();
  }

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = NONE;
    }
    this.lead = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout = this.electionTicks + this.random.int(this.electionTicks);
    this.leadTransferee = NONE;
    this.tracker.resetVotes();
    const lastIndex = this.log.lastIndex();
    for (const [id, pr] of this.tracker.progress) {
      pr.becomeProbe();
      pr.match = id === this.id ? lastIndex : 0;
      pr.next = lastIndex + 1;
      pr.recentActive = id === this.id;
    }
    this.uncommittedSizeBytes = 0;
    this.appendsPending = false;
    this.pendingConfIndex = 0;
    this.removedLeaderHandover = false;
    this.campaignAfterApply = false;
    this.readOnly = new ReadOnly(MAX_PENDING_READ_INDEX_REQUESTS);
    this.pendingReadIndexMessages = [];
  }

  private self(): Progress {
    const pr = this.tracker.progress.get(this.id);
    assert(pr !== undefined, 'the leader has no progress for itself');
    return pr;
  }

  /** Only a voter with itself in the configuration may campaign. */
  private promotable(): boolean {
    return this.tracker.isVoter(this.id);
  }

  // ---- Ticks ----

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.hup('election');
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.electionTicks) {
      this.electionElapsed = 0;
      if (this.removedLeaderHandover) {
        // The handover did not finish within an election timeout: step down regardless.
        this.becomeFollower(this.term, NONE);
        return;
      }
      if (this.checkQuorum) this.checkQuorumActive();
      // A transfer that has not finished within an election timeout is abandoned.
      if (this.role === 'leader' && this.leadTransferee !== NONE) this.leadTransferee = NONE;
    }
    if (this.role !== 'leader') return;
    this.tickSnapshotTransfers();
    if (this.heartbeatElapsed >= this.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.bcastHeartbeat(this.readOnly.lastPendingContext());
    }
  }

  /** Check-quorum: a leader that has not heard from a quorum in a whole period steps down. */
  private checkQuorumActive(): void {
    if (!this.tracker.quorumActive()) {
      this.becomeFollower(this.term, NONE);
      return;
    }
    for (const [id, pr] of this.tracker.progress) pr.recentActive = id === this.id;
  }

  // ---- Elections ----

  private hup(kind: 'election' | 'transfer'): void {
    if (this.role === 'leader' || !this.promotable()) return;
    // Until its committed membership changes are applied, a node may count votes in an
    // outdated configuration: it waits. A transfer (the leader asked for this election) is
    // only postponed until they are applied.
    if (this.hasUnappliedConfChanges()) {
      if (kind === 'transfer') this.campaignAfterApply = true;
      return;
    }
    // Leadership transfers never use pre-vote: the leader asked for this election.
    this.startCampaign(this.preVote && kind === 'election' ? 'pre-election' : kind);
  }

  private startCampaign(kind: CampaignKind): void {
    let term: number;
    let type: 'MsgVote' | 'MsgPreVote';
    if (kind === 'pre-election') {
      this.becomePreCandidate();
      type = 'MsgPreVote';
      term = this.term + 1;
    } else {
      this.becomeCandidate();
      type = 'MsgVote';
      term = this.term;
    }
    if (this.poll(this.id, true) === 'won') {
      // A single-voter cluster wins at once.
      if (kind === 'pre-election') this.startCampaign('election');
      else this.becomeLeader();
      return;
    }
    const { index, term: logTerm } = this.log.lastEntryId();
    const { commit, commitTerm } = this.commitId();
    for (const id of this.tracker.voterIds()) {
      if (id === this.id) continue;
      this.send({ type, from: this.id, to: id, term, index, logTerm, transfer: kind === 'transfer', commit, commitTerm });
    }
  }

  private poll(id: NodeId, granted: boolean): 'won' | 'lost' | 'pending' {
    this.tracker.recordVote(id, granted);
    return this.tracker.tallyVotes().result;
  }

  /** Our commit index and the term of that entry, as vote messages carry them. */
  private commitId(): { commit: number; commitTerm: number } {
    const commit = this.log.committed;
    return { commit, commitTerm: this.log.term(commit) ?? 0 };
  }

  /**
   * Vote messages carry their sender's commit index with that entry's term. If we hold
   * that very entry, our log matches the sender's up to it (§5.3, Log Matching), so all
   * of it is committed. Membership changes take effect when applied, so without this a
   * removed leader that stepped down could leave the remaining voters each needing a vote
   * the other will not give: one holding the longer log but not knowing the change that
   * dropped the old leader committed, the other knowing it but with a shorter log.
   */
  private learnCommit(m: VoteMessage | VoteResponse): void {
    const commit = m.commit ?? 0;
    if (commit > this.log.committed && m.commitTerm !== undefined && this.log.matchTerm(commit, m.commitTerm)) {
      this.log.commitTo(commit);
    }
  }

  /** §5.2, §5.4.1, thesis §9.6: decide whether to grant a vote or pre-vote. */
  private handleVoteRequest(m: VoteMessage): void {
    const responseType = m.type === 'MsgVote' ? 'MsgVoteResp' : 'MsgPreVoteResp';
    const canVote =
      this.vote === m.from ||
      (this.vote === NONE && this.lead === NONE) ||
      // A pre-vote for a future term binds nothing, so it may be granted freely.
      (m.type === 'MsgPreVote' && m.term > this.term);
    if (canVote && this.log.isUpToDate(m.index, m.logTerm)) {
      // A granted vote answers at the candidate's term: it counts in that election.
      this.send({ type: responseType, from: this.id, to: m.from, term: m.term, reject: false, ...this.commitId() });
      if (m.type === 'MsgVote') {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send({ type: responseType, from: this.id, to: m.from, term: this.term, reject: true, ...this.commitId() });
      this.deferToBetterCandidate(m);
    }
  }

  /**
   * A candidate we cannot vote for (we voted already in its term, or it is behind ours)
   * whose log is at least as up to date as ours: let it try again before we campaign.
   * Otherwise a voter whose own campaigns cannot succeed (its configuration is out of
   * date, say) can outpace the only candidate that could win, term after term, when
   * pre-vote is off. Only timing changes, so safety does not depend on it.
   */
  private deferToBetterCandidate(m: VoteMessage): void {
    if (m.type === 'MsgVote' && this.role !== 'leader' && this.log.isUpToDate(m.index, m.logTerm)) this.electionElapsed = 0;
  }

  // ---- Step ----

  private stepMessage(m: Message): Refusal | null {
    // Term 0 marks a request made on a node (or forwarded by one); nothing else may lack a term.
    if (m.term === 0 && m.type !== 'MsgProp' && m.type !== 'MsgReadIndex' && m.type !== 'MsgTransferLeader') return null;
    // A commit fact holds whatever the message's term, even if it is otherwise ignored.
    if (m.type === 'MsgVote' || m.type === 'MsgPreVote' || m.type === 'MsgVoteResp' || m.type === 'MsgPreVoteResp') this.learnCommit(m);
    if (m.term > this.term) {
      if (!this.stepHigherTerm(m)) return null;
    } else if (m.term !== 0 && m.term < this.term) {
      this.stepLowerTerm(m);
      return null;
    }
    if (m.type === 'MsgVote' || m.type === 'MsgPreVote') {
      this.handleVoteRequest(m);
      return null;
    }
    switch (this.role) {
      case 'leader':
        return this.stepLeader(m);
      case 'candidate':
      case 'pre-candidate':
        return this.stepCandidate(m);
      case 'follower':
        return this.stepFollower(m);
      default: {
        const unreachable: never = this.role;
        throw new Error(`unknown role ${String(unreachable)}`);
      }
    }
  }

  /** A message from a higher term. Returns false when it must be ignored. */
  private stepHigherTerm(m: Message): boolean {
    if (m.type === 'MsgVote' || m.type === 'MsgPreVote') {
      // Leader stickiness: while we hear from a leader, we disregard campaigns (thesis
      // §4.2.3), unless the leader itself asked for this one (a transfer). For pre-votes
      // this is part of pre-vote's definition (thesis §9.6); for real votes it goes with
      // check-quorum, which guarantees a leader cut off from a quorum steps down.
      const inLease = this.lead !== NONE && this.electionElapsed < this.electionTicks;
      if (!m.transfer && inLease && (this.checkQuorum || m.type === 'MsgPreVote')) return false;
    }
    if (m.type === 'MsgPreVote') return true; // never changes our term
    if (m.type === 'MsgPreVoteResp' && !m.reject) return true; // a grant at our proposed term
    const leader = m.type === 'MsgApp' || m.type === 'MsgHeartbeat' || m.type === 'MsgSnap' ? m.from : NONE;
    const keepTimer = m.type === 'MsgVote' && this.role !== 'leader' && !this.log.isUpToDate(m.index, m.logTerm);
    const elapsed = this.electionElapsed;
    const timeout = this.randomizedElectionTimeout;
    this.becomeFollower(m.term, leader);
    if (keepTimer) {
      // §5.2: only a leader's message or a granted vote restarts the election timer. A
      // candidate whose log is behind ours cannot win our vote, so its term moves us but
      // its campaign must not delay ours: otherwise, without pre-vote, voters that cannot
      // win can keep outpacing the one that can, term after term.
      this.electionElapsed = elapsed;
      this.randomizedElectionTimeout = timeout;
    }
    return true;
  }

  private stepLowerTerm(m: Message): void {
    if ((this.checkQuorum || this.preVote) && (m.type === 'MsgHeartbeat' || m.type === 'MsgApp' || m.type === 'MsgSnap')) {
      // A stale leader (e.g. healed from a partition) might never hear our higher term
      // otherwise, since with pre-vote and check-quorum we will not campaign against it.
      this.send({ type: 'MsgAppResp', from: this.id, to: m.from, term: this.term, index: 0, reject: false, rejectHint: 0, logTerm: 0 });
    } else if (m.type === 'MsgPreVote' || m.type === 'MsgVote') {
      // Tell the candidate about our term so that it can catch up (§5.1). It may be a
      // voter we do not know of yet, which would otherwise never hear from us.
      const type = m.type === 'MsgVote' ? 'MsgVoteResp' : 'MsgPreVoteResp';
      this.send({ type, from: this.id, to: m.from, term: this.term, reject: true, ...this.commitId() });
      this.deferToBetterCandidate(m);
    }
    // Everything else from an old term is ignored.
  }

  private stepLeader(m: Message): Refusal | null {
    switch (m.type) {
      case 'MsgProp':
        return this.handleProposal(m);
      case 'MsgReadIndex':
        this.handleReadIndexAsLeader(m);
        return null;
      case 'MsgTransferLeader':
        this.handleTransferLeader(m.from);
        return null;
      default:
        break;
    }
    const pr = this.tracker.progress.get(m.from);
    if (pr === undefined) return null; // not a member (any longer)
    switch (m.type) {
      case 'MsgAppResp':
        this.handleAppendResponse(m, pr);
        break;
      case 'MsgHeartbeatResp':
        this.handleHeartbeatResponse(m, pr);
        break;
      case 'MsgSnapResp':
        this.handleSnapshotResponse(m, pr);
        break;
      default:
        break; // votes and their answers, appends from a stale leader's peers, ...
    }
    return null;
  }

  private stepCandidate(m: Message): Refusal | null {
    switch (m.type) {
      case 'MsgProp':
        return 'no-leader';
      case 'MsgReadIndex':
        return 'no-leader';
      case 'MsgApp':
        // A leader of our term exists (§5.2): recognise it.
        this.becomeFollower(m.term, m.from);
        this.handleAppendEntries(m);
        break;
      case 'MsgHeartbeat':
        this.becomeFollower(m.term, m.from);
        this.handleHeartbeat(m);
        break;
      case 'MsgSnap':
        this.becomeFollower(m.term, m.from);
        this.handleSnapshotChunk(m);
        break;
      case 'MsgVoteResp':
      case 'MsgPreVoteResp':
        this.handleVoteResponse(m);
        break;
      default:
        break;
    }
    return null;
  }

  private handleVoteResponse(m: VoteResponse): void {
    const expected = this.role === 'pre-candidate' ? 'MsgPreVoteResp' : 'MsgVoteResp';
    if (m.type !== expected) return;
    const result = this.poll(m.from, !m.reject);
    if (result === 'won' && !this.promotable()) {
      // A membership change applied during the campaign took our vote away.
      this.becomeFollower(this.term, NONE);
    } else if (result === 'won') {
      if (this.role === 'pre-candidate') {
        this.startCampaign('election');
      } else {
        this.becomeLeader();
        this.bcastAppend();
      }
    } else if (result === 'lost') {
      // A rejection with our own term: stay in this term, as a follower.
      this.becomeFollower(this.term, NONE);
    }
  }

  private stepFollower(m: Message): Refusal | null {
    switch (m.type) {
      case 'MsgProp':
        if (this.lead === NONE) return 'no-leader';
        if (this.disableProposalForwarding) return 'not-leader';
        this.send({ ...m, to: this.lead });
        return null;
      case 'MsgApp':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleAppendEntries(m);
        return null;
      case 'MsgHeartbeat':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleHeartbeat(m);
        return null;
      case 'MsgSnap':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleSnapshotChunk(m);
        return null;
      case 'MsgTransferLeader':
        if (this.lead === NONE) return 'no-leader';
        this.send({ ...m, to: this.lead, term: this.term });
        return null;
      case 'MsgTimeoutNow':
        // Thesis §3.10: the leader asked us to start an election at once.
        this.hup('transfer');
        return null;
      case 'MsgReadIndex':
        if (this.lead === NONE) return 'no-leader';
        this.send({ ...m, to: this.lead });
        return null;
      case 'MsgReadIndexResp':
        this.readStates.push({ index: m.index, context: m.context });
        return null;
      default:
        return null;
    }
  }

  // ---- Replication: leader side ----

  private handleProposal(m: ProposeMessage): Refusal | null {
    assert(m.entries.length > 0, 'a proposal with no entries');
    // A removed leader handing over is no member either; the transfer is the better answer.
    if (this.leadTransferee !== NONE) return 'leadership-transfer';
    if (!this.tracker.progress.has(this.id)) return 'not-a-member';
    let confAt = -1;
    for (let i = 0; i < m.entries.length; i++) {
      const entry = m.entries[i]!;
      if (entry.type !== EntryType.ConfChange) continue;
      if (confAt >= 0 || this.pendingConfIndex > this.log.applied) return 'conf-change-pending';
      if (!this.isValidConfChange(entry.data)) return 'invalid-conf-change';
      confAt = i;
    }
    if (!this.appendEntries(m.entries)) return 'uncommitted-size-limit';
    if (confAt >= 0) this.pendingConfIndex = this.log.lastIndex() - (m.entries.length - 1 - confAt);
    this.appendsPending = true;
    return null;
  }

  private isValidConfChange(data: Uint8Array): boolean {
    try {
      changeConf(this.tracker.confState(), decodeConfChange(data), { skipJoint: this.bugs.skipJoint === true });
      return true;
    } catch (error) {
      if (error instanceof InvalidConfChangeError) return false;
      throw error;
    }
  }

  /**
   * Append entries to the leader's log (assigning term and index) and count the leader's
   * own copy. Returns false, appending nothing, when the uncommitted size limit would be
   * passed.
   */
  private appendEntries(proposed: readonly Entry[]): boolean {
    const bytes = entriesSizeBytes(proposed);
    const limit = this.maxUncommittedEntriesSizeBytes;
    if (limit > 0 && this.uncommittedSizeBytes > 0 && this.uncommittedSizeBytes + bytes > limit) return false;
    this.uncommittedSizeBytes += bytes;
    let index = this.log.lastIndex();
    const entries = proposed.map((e) => ({ term: this.term, index: ++index, type: e.type, data: e.data }));
    const last = this.log.append(entries);
    this.self().maybeUpdate(last);
    // The leader's match was already the highest; raising it moves the quorum index only
    // when the leader is the sole voter. Elsewhere commit moves on followers' acks alone.
    if (this.tracker.isSingleton()) this.maybeCommit();
    return true;
  }

  /**
   * §5.3, §5.4.2: advance the commit index to the highest index a quorum holds, but only
   * if that entry is from the current term. Returns whether it advanced.
   */
  private maybeCommit(): boolean {
    const index = this.tracker.committed();
    if (this.bugs.commitPriorTerm) {
      // The testing bug: count replicas of any term's entry (the Figure 8 hazard).
      if (index <= this.log.committed) return false;
      this.log.commitTo(index);
      return true;
    }
    return this.log.maybeCommit(index, this.term);
  }

  private bcastAppend(): void {
    for (const id of this.tracker.progress.keys()) {
      if (id !== this.id) this.maybeSendAppend(id, true);
    }
  }

  /**
   * Send `to` the entries from its next index, if its flow control allows. With
   * `sendIfEmpty` false, nothing is sent when there is nothing new. Returns whether a
   * message was sent.
   */
  private maybeSendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.tracker.progress.get(to);
    if (pr === undefined || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    const prevTerm = this.log.term(prevIndex);
    // The entries it needs are compacted away: it needs a snapshot (§7).
    if (prevTerm === undefined || pr.next < this.log.firstIndex()) return this.startSnapshotTransfer(to, pr);
    // A full window in replicate state sends only an empty append: if every message in
    // the window was lost, its answer (accept or reject) is what clears the window.
    const throttled = pr.state === 'replicate' && pr.inflights.full();
    const entries = throttled ? [] : this.log.entriesFrom(pr.next, this.maxSizePerMessageBytes);
    if (entries.length === 0 && !sendIfEmpty) return false;
    const message: AppendMessage = {
      type: 'MsgApp',
      from: this.id,
      to,
      term: this.term,
      index: prevIndex,
      logTerm: prevTerm,
      entries,
      commit: this.log.committed,
    };
    this.send(message);
    pr.sentEntries(entries.length, entriesSizeBytes(entries));
    return true;
  }

  private handleAppendResponse(m: AppendResponse, pr: Progress): void {
    pr.recentActive = true;
    if (pr.state === 'snapshot') {
      // The follower installed the snapshot (or already held what it covers): resume
      // replication after it. Rejections are answers to appends sent before the transfer.
      if (m.reject || m.index < pr.pendingSnapshot) return;
      pr.maybeUpdate(m.index);
      pr.becomeProbe();
      pr.becomeReplicate();
      if (this.maybeCommit()) {
        this.releasePendingReadIndexMessages();
        this.bcastAppend();
      }
      while (this.maybeSendAppend(m.from, false));
      this.afterProgress(m.from, pr);
      return;
    }
    if (m.reject) {
      // Fast back-off: jump over the follower's entries of terms the leader cannot match.
      const hint = m.logTerm > 0 ? this.log.findConflictByTerm(m.rejectHint, m.logTerm).index : m.rejectHint;
      if (pr.maybeDecrTo(m.index, hint)) {
        if (pr.state === 'replicate') pr.becomeProbe();
        this.maybeSendAppend(m.from, true);
      }
      return;
    }
    const wasPaused = pr.isPaused();
    if (!pr.maybeUpdate(m.index) && !(pr.match === m.index && pr.state === 'probe')) return;
    if (pr.state === 'probe') pr.becomeReplicate();
    else if (pr.state === 'replicate') pr.inflights.freeLE(m.index);
    if (this.maybeCommit()) {
      this.releasePendingReadIndexMessages();
      this.bcastAppend();
    } else if (wasPaused) {
      this.maybeSendAppend(m.from, true);
    }
    // Pipeline: keep the follower's window full while there is more to send.
    while (this.maybeSendAppend(m.from, false));
    this.afterProgress(m.from, pr);
  }

  /** A follower's match moved: finish a leadership transfer to it if it caught up. */
  private afterProgress(id: NodeId, pr: Progress): void {
    if (this.role !== 'leader' || id !== this.leadTransferee || pr.match !== this.log.lastIndex()) return;
    this.sendTimeoutNow(id);
    if (this.removedLeaderHandover) this.becomeFollower(this.term, NONE);
  }

  // ---- Snapshots: leader side (§7) ----

  /** Begin sending the latest snapshot to `to`. Returns whether a chunk was sent. */
  private startSnapshotTransfer(to: NodeId, pr: Progress): boolean {
    // Only to a follower heard from lately: a snapshot to a dead node is wasted work.
    if (!pr.recentActive) return false;
    // A leader that has not yet installed a snapshot it received cannot read it.
    if (this.log.unstableSnapshot !== null) return false;
    const transfer = new SnapshotTransfer(this.storage.openSnapshot(), this.snapshotChunkBytes, this.maxInflightSnapshotChunks);
    assert(
      transfer.metadata.index >= pr.next - 1,
      () => `snapshot ${transfer.metadata.index} does not cover index ${pr.next - 1} needed by ${to}`,
    );
    pr.becomeSnapshot(transfer);
    return this.sendSnapshotChunks(to, transfer);
  }

  private sendSnapshotChunks(to: NodeId, transfer: SnapshotTransfer): boolean {
    const chunks = transfer.takeChunks();
    for (const chunk of chunks) {
      const message: SnapshotMessage = {
        type: 'MsgSnap',
        from: this.id,
        to,
        term: this.term,
        snapshot: transfer.metadata,
        offset: chunk.offset,
        data: chunk.data,
        done: chunk.done,
      };
      this.send(message);
    }
    return chunks.length > 0;
  }

  private handleSnapshotResponse(m: SnapshotResponse, pr: Progress): void {
    pr.recentActive = true;
    const transfer = pr.snapshotTransfer;
    if (pr.state !== 'snapshot' || transfer === null || m.index !== pr.pendingSnapshot) return;
    const moved = m.reject ? transfer.onGap(m.offset) : transfer.onAck(m.offset);
    if (moved) this.sendSnapshotChunks(m.from, transfer);
  }

  /** The snapshot transfers' own timeout: resend from the last acknowledged offset. */
  private tickSnapshotTransfers(): void {
    for (const [id, pr] of this.tracker.progress) {
      const transfer = pr.snapshotTransfer;
      if (transfer !== null && transfer.tick(this.snapshotTimeoutTicks)) this.sendSnapshotChunks(id, transfer);
    }
  }

  private bcastHeartbeat(context: string): void {
    for (const [id, pr] of this.tracker.progress) {
      if (id === this.id) continue;
      // Never tell a follower to commit beyond what it is known to hold.
      const commit = Math.min(pr.match, this.log.committed);
      this.send({ type: 'MsgHeartbeat', from: this.id, to: id, term: this.term, commit, context });
    }
  }

  private handleHeartbeatResponse(m: HeartbeatResponse, pr: Progress): void {
    pr.recentActive = true;
    pr.msgAppFlowPaused = false;
    // Resend if the follower lags (this also recovers from lost appends filling the window).
    if (pr.match < this.log.lastIndex() || pr.state === 'probe') this.maybeSendAppend(m.from, true);
    if (m.context === '') return;
    const acks = this.readOnly.recvAck(m.from, m.context);
    if (acks === null || this.tracker.voteResultOf(acks) !== 'won') return;
    for (const request of this.readOnly.advance(m.context)) this.answerRead(request.from, request.index, request.context);
  }

  private handleTransferLeader(transferee: NodeId): void {
    if (!this.tracker.isVoter(transferee)) return; // learners and strangers cannot lead
    if (this.leadTransferee === transferee) return; // already under way
    this.leadTransferee = NONE;
    if (transferee === this.id) return; // already the leader
    // The transfer must finish within one election timeout or be abandoned.
    this.electionElapsed = 0;
    this.leadTransferee = transferee;
    const pr = this.tracker.progress.get(transferee)!;
    if (pr.match === this.log.lastIndex()) this.sendTimeoutNow(transferee);
    else this.maybeSendAppend(transferee, true);
  }

  private sendTimeoutNow(to: NodeId): void {
    this.send({ type: 'MsgTimeoutNow', from: this.id, to, term: this.term });
  }

  // ---- Replication: follower side ----

  private handleAppendEntries(m: AppendMessage): void {
    if (m.index < this.log.committed) {
      // Everything up to our commit index matches any leader's log (§5.4): say so.
      this.sendAppendResponse(m.from, { index: this.log.committed, reject: false, rejectHint: 0, logTerm: 0 });
      return;
    }
    const lastNew = this.log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (lastNew !== undefined) {
      this.sendAppendResponse(m.from, { index: lastNew, reject: false, rejectHint: 0, logTerm: 0 });
      return;
    }
    // §5.3 consistency check failed. Hint where our log might match: the last entry at
    // or before the probe whose term is ≤ the probe's term.
    const hint = this.log.findConflictByTerm(Math.min(m.index, this.log.lastIndex()), m.logTerm);
    this.sendAppendResponse(m.from, { index: m.index, reject: true, rejectHint: hint.index, logTerm: hint.term });
  }

  private sendAppendResponse(to: NodeId, fields: Pick<AppendResponse, 'index' | 'reject' | 'rejectHint' | 'logTerm'>): void {
    this.send({ type: 'MsgAppResp', from: this.id, to, term: this.term, ...fields });
  }

  // ---- Snapshots: follower side (§7) ----

  /**
   * One chunk of a snapshot. Chunks are taken in order; the follower answers each with
   * the bytes it holds, and installs the snapshot when the last one is in. A transfer
   * resumes only from the same leader for the same snapshot.
   */
  private handleSnapshotChunk(m: SnapshotMessage): void {
    const { index, term } = m.snapshot;
    if (index <= this.log.committed || this.log.matchTerm(index, term)) {
      // We hold everything it covers already (§7: "if existing log entry has same index
      // and term as snapshot's last included entry, retain log entries following it").
      this.incomingSnapshot = null;
      this.log.commitTo(Math.min(index, this.log.lastIndex()));
      this.sendAppendResponse(m.from, { index: this.log.committed, reject: false, rejectHint: 0, logTerm: 0 });
      return;
    }
    let incoming = this.incomingSnapshot;
    if (incoming === null || incoming.from !== m.from || incoming.index !== index || incoming.term !== term) {
      if (m.offset !== 0) {
        this.sendSnapshotResponse(m.from, index, 0, true);
        return;
      }
      incoming = { from: m.from, index, term, chunks: [], bytes: 0 };
      this.incomingSnapshot = incoming;
    }
    if (m.offset !== incoming.bytes) {
      this.sendSnapshotResponse(m.from, index, incoming.bytes, true);
      return;
    }
    if (m.data.byteLength > 0) incoming.chunks.push(m.data);
    incoming.bytes += m.data.byteLength;
    if (!m.done) {
      this.sendSnapshotResponse(m.from, index, incoming.bytes, false);
      return;
    }
    this.incomingSnapshot = null;
    this.restore({ metadata: m.snapshot, data: concatChunks(incoming.chunks, incoming.bytes) });
    // Sent after the Ready that installs the snapshot is handled.
    this.sendAppendResponse(m.from, { index, reject: false, rejectHint: 0, logTerm: 0 });
  }

  private sendSnapshotResponse(to: NodeId, index: number, offset: number, reject: boolean): void {
    this.send({ type: 'MsgSnapResp', from: this.id, to, term: this.term, index, offset, reject });
  }

  /**
   * Replace our log with a snapshot's. Its configuration takes effect when the driver has
   * installed it (like any applied change), after the entries handed out before it.
   */
  private restore(snapshot: Snapshot): void {
    this.log.restore(snapshot);
  }

  private snapshotInstalled(snapshot: Snapshot): void {
    const { index, confState } = snapshot.metadata;
    if (this.log.unstableSnapshot?.metadata.index !== index) return;
    this.log.snapshotInstalled(index);
    this.tracker.applyConf(confState, this.log.lastIndex());
    this.confHistory = [{ index, confState }];
  }

  // ---- Membership ----

  /** Apply the conf change entry `entry` (being applied). Returns the new configuration, or null when it changes nothing. */
  private applyConfChangeEntry(entry: Entry): AppliedConfChange | null {
    let confState: ConfState;
    try {
      confState = changeConf(this.tracker.confState(), decodeConfChange(entry.data), { skipJoint: this.bugs.skipJoint === true });
    } catch (error) {
      // Validated when proposed, so this cannot happen; if it did, every node would skip
      // the same entry, which keeps them in agreement.
      if (error instanceof InvalidConfChangeError) return null;
      throw error;
    }
    this.tracker.applyConf(confState, this.log.lastIndex());
    const change = { index: entry.index, confState };
    this.confHistory.push(change);
    if (this.role === 'leader') this.afterConfChangeAsLeader();
    return change;
  }

  private afterConfChangeAsLeader(): void {
    if (this.leadTransferee !== NONE && !this.tracker.isVoter(this.leadTransferee)) {
      this.leadTransferee = NONE;
      this.removedLeaderHandover = false;
    }
    // A smaller or different quorum may already hold more.
    if (this.maybeCommit()) {
      this.releasePendingReadIndexMessages();
      this.bcastAppend();
    }
  }

  /** After entries were applied on the leader: hand over if removed, leave a joint configuration. */
  private afterApplyAsLeader(): void {
    if (!this.tracker.isVoter(this.id)) {
      this.handOverLeadership();
      return;
    }
    if (!this.tracker.isJoint() || this.pendingConfIndex > this.log.applied) return;
    // Thesis §4.3: once the joint configuration is in force, move on to the new one.
    const leave = { term: 0, index: 0, type: EntryType.ConfChange, data: encodeConfChange({ changes: [] }) };
    if (!this.appendEntries([leave])) return; // over the uncommitted limit: retried at the next advance
    this.pendingConfIndex = this.log.lastIndex();
    this.appendsPending = true;
  }

  /**
   * This leader applied a configuration in which it does not vote. It hands leadership to
   * the most caught-up voter (TimeoutNow, thesis §3.10) and steps down, so the cluster
   * need not wait an election timeout.
   */
  private handOverLeadership(): void {
    if (this.removedLeaderHandover) return;
    let best: NodeId = NONE;
    let bestMatch = -1;
    for (const id of this.tracker.voterIds()) {
      const match = this.tracker.progress.get(id)?.match ?? 0;
      if (match > bestMatch) {
        best = id;
        bestMatch = match;
      }
    }
    if (best === NONE) {
      this.becomeFollower(this.term, NONE);
      return;
    }
    this.removedLeaderHandover = true;
    this.leadTransferee = best;
    this.electionElapsed = 0;
    // Followers learn the new commit index (and so the change) with these appends.
    this.bcastAppend();
    this.afterProgress(best, this.tracker.progress.get(best)!);
  }

  /** Committed conf change entries not yet applied (a node holding one must not campaign). */
  private hasUnappliedConfChanges(): boolean {
    // A snapshot not yet installed may bring a configuration of its own.
    if (this.log.unstableSnapshot !== null) return true;
    if (!this.log.hasEntriesToApply()) return false;
    for (const entry of this.log.slice(this.log.applied + 1, this.log.committed + 1, Number.MAX_SAFE_INTEGER)) {
      if (entry.type === EntryType.ConfChange) return true;
    }
    return false;
  }

  private handleHeartbeat(m: HeartbeatMessage): void {
    this.log.commitTo(m.commit);
    this.send({ type: 'MsgHeartbeatResp', from: this.id, to: m.from, term: this.term, context: m.context });
  }

  // ---- Linearizable reads (thesis §6.4) ----

  private handleReadIndexAsLeader(m: ReadIndexMessage): void {
    if (this.tracker.isSingleton()) {
      this.answerRead(m.from, this.log.committed, m.context);
      return;
    }
    // Until an entry of this term commits, the leader's commit index may be behind
    // entries committed by its predecessors (§6.4 step 1): defer.
    if (!this.committedEntryInCurrentTerm()) {
      if (this.pendingReadIndexMessages.length < MAX_PENDING_READ_INDEX_REQUESTS) this.pendingReadIndexMessages.push(m);
      return;
    }
    this.confirmRead(m);
  }

  private confirmRead(m: ReadIndexMessage): void {
    if (this.bugs.staleRead) {
      // The testing bug: answer without proving we are still the leader.
      this.answerRead(m.from, this.log.committed, m.context);
      return;
    }
    if (!this.readOnly.addRequest(this.log.committed, m.from, m.context)) return;
    this.readOnly.recvAck(this.id, m.context);
    this.bcastHeartbeat(m.context);
  }

  private answerRead(requester: NodeId, index: number, context: string): void {
    if (requester === this.id || requester === NONE) {
      this.readStates.push({ index, context });
    } else {
      this.send({ type: 'MsgReadIndexResp', from: this.id, to: requester, term: this.term, index, context });
    }
  }

  private committedEntryInCurrentTerm(): boolean {
    return this.log.term(this.log.committed) === this.term;
  }

  private releasePendingReadIndexMessages(): void {
    if (this.pendingReadIndexMessages.length === 0 || !this.committedEntryInCurrentTerm()) return;
    const pending = this.pendingReadIndexMessages;
    this.pendingReadIndexMessages = [];
    for (const m of pending) this.confirmRead(m);
  }

  // ---- Output ----

  private send(m: Message): void {
    assert(m.to !== this.id, () => `${m.type} addressed to self`);
    this.messages.push(m);
  }
}

function concatChunks(chunks: readonly Uint8Array[], bytes: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const data = new Uint8Array(bytes);
  let at = 0;
  for (const chunk of chunks) {
    data.set(chunk, at);
    at += chunk.byteLength;
  }
  return data;
}
