/**
 * `RaftNode`: the driver that makes the pure core real. It feeds the core time (a timer),
 * messages (the transport) and requests (the caller), and handles each `Ready` in the
 * order the core requires: install a received snapshot, persist entries and hard state
 * (synced), only then send, apply committed entries to the application's state machine,
 * answer reads, advance.
 *
 * Proposals made while a write is on disk pile up in the core and go out in the next
 * write together (group commit); the core pipelines appends to each follower within its
 * inflight window. Requests are bounded (`maxPendingRequests`) and time out.
 */
import { randomInt } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { RaftConfig } from './core/config.js';
import { decodeConfChange, encodeConfChange, membersOf } from './core/conf-change.js';
import {
  AssertionFailedError,
  InvalidArgumentError,
  InvalidConfChangeError,
  LeadershipLostError,
  NodeStoppedError,
  NotLeaderError,
  ProposalDroppedError,
  RaftError,
  RequestTimeoutError,
  TooManyRequestsError,
} from './core/errors.js';
import { createSeededRandom } from './core/random.js';
import { RawNode } from './core/raw-node.js';
import type { ProgressState } from './core/status.js';
import { EntryType, NONE } from './core/types.js';
import type { ConfChangeSingle, ConfState, Entry, EntryId, Message, NodeId, Ready, Role, Snapshot } from './core/types.js';
import {
  decodeConfContext,
  decodeEntryData,
  decodeSnapshotData,
  drawNonce,
  encodeAddressUpdate,
  encodeConfContext,
  encodeEntryData,
  encodeSnapshotDataInSteps,
} from './node-envelope.js';
import { nextTurn } from './stepped-bytes.js';
import type { Member, RequestId } from './node-envelope.js';
import type { WritableLogStorage } from './storage/log-storage.js';
import type { Transport } from './transport/transport.js';
import { NO_RAFT_METRICS } from './metrics.js';
import type { RaftMetrics } from './metrics.js';

export type { Member } from './node-envelope.js';

/** A committed entry as the application sees it: its position and the proposed bytes. */
export interface AppliedEntry {
  readonly index: number;
  readonly term: number;
  readonly data: Uint8Array;
}

/**
 * The application's replicated state. `RaftNode` calls it from one place at a time, in
 * log order, never concurrently.
 */
export interface StateMachine<Result = unknown> {
  /**
   * Apply committed entries, in order. Returns one result per entry; the `propose` call
   * that made an entry (on this node) resolves with its result. Must be deterministic:
   * every member applies the same entries to the same state. An entry the application
   * refuses is a result (say, an error value), not a throw: throwing stops the node,
   * since a member that cannot apply the log cannot stay in step with the others.
   */
  apply(entries: readonly AppliedEntry[]): readonly Result[] | Promise<readonly Result[]>;
  /** The whole state as of the last applied entry, as bytes. */
  snapshot(): Uint8Array | Promise<Uint8Array>;
  /** Replace the whole state with a snapshot's (taken at `index`, of `term`). */
  restore(data: Uint8Array, metadata: { readonly index: number; readonly term: number }): void | Promise<void>;
}

/** Core options a `RaftNode` passes through (see `RaftConfig` for each one's meaning and default). */
export type RaftNodeCoreOptions = Pick<
  RaftConfig,
  | 'preVote'
  | 'checkQuorum'
  | 'snapshotTrailingEntries'
  | 'snapshotChunkBytes'
  | 'maxInflightSnapshotChunks'
  | 'maxSizePerMessageBytes'
  | 'maxInflightMessages'
  | 'maxUncommittedEntriesSizeBytes'
>;

/** What a `RaftNode` runs on and how; every optional field lists its default. */
export interface RaftNodeOptions<Result = unknown> {
  /** This member's id: a positive integer, unique in the cluster, never reused. */
  readonly id: NodeId;
  /** Where the log, hard state and snapshots live. The node closes it on `stop()`. */
  readonly storage: WritableLogStorage;
  /** How peers are reached. The node starts it in `start()` and stops it in `stop()`. */
  readonly transport: Transport;
  readonly stateMachine: StateMachine<Result>;
  /**
   * For a new cluster: every initial member, this one included, identical on every member
   * (the cluster's first entries are made from it). With `join`: the members to reach
   * until the log says who they are. When the storage already holds state, only where to
   * reach members its snapshot has no address for, until the log says (and never a node
   * outside its configuration).
   */
  readonly members?: readonly Member[];
  /** This node joins an existing cluster (added there with `addLearner` or `addMember`). Default false. */
  readonly join?: boolean;
  /** Milliseconds per core tick. Default 100. */
  readonly tickMs?: number;
  /** Ticks without a leader before a campaign (randomized up to twice this). Default 10. */
  readonly electionTicks?: number;
  /** Ticks between a leader's heartbeats. Default 1. */
  readonly heartbeatTicks?: number;
  /** Proposals, membership changes and reads in flight on this node; past it requests fail fast with `TooManyRequestsError`. Default 4096. */
  readonly maxPendingRequests?: number;
  /** Applied entries between automatic snapshots (then the log is compacted). Default 10000. */
  readonly snapshotEveryEntries?: number;
  /** Milliseconds before a request is rejected with `RequestTimeoutError`. Default 10000. */
  readonly requestTimeoutMs?: number;
  /** Milliseconds `addMember` waits for the new member to catch up before promoting it. Default 60000. */
  readonly catchUpTimeoutMs?: number;
  /** Options handed to the Raft core. */
  readonly raft?: RaftNodeCoreOptions;
  /** Told storage write and snapshot timings, and snapshot sends (default: nothing measured). */
  readonly metrics?: RaftMetrics;
}

/** How far the leader has replicated its log to one member (indexes are log positions). */
export interface FollowerProgress {
  readonly id: NodeId;
  /** Highest index known replicated on the follower. */
  readonly match: number;
  /** Next index the leader sends it. */
  readonly next: number;
  readonly state: ProgressState;
  /** Heard from within the last election timeout. */
  readonly recentActive: boolean;
  /** Milliseconds since this node last received a message from the member (null: never). */
  readonly sinceHeardMs: number | null;
}

/**
 * A picture of one node, from `RaftNode.status()`: its role and term, how far its log is
 * committed and applied, the membership in force, and on a leader each member's replication.
 */
export interface NodeStatus {
  readonly id: NodeId;
  readonly role: Role;
  readonly term: number;
  /** The leader this node knows of, or 0. */
  readonly leader: NodeId;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly lastIndex: number;
  /** The configuration in force; `votersOutgoing` is non-empty only during a joint change. */
  readonly members: { readonly voters: Member[]; readonly learners: Member[]; readonly votersOutgoing: Member[] };
  /** Replication progress of every member; only on the leader. */
  readonly progress: FollowerProgress[] | null;
}

/** The argument of the `leader-change` event: the leader now known (0: none) and the term. */
export interface LeaderChange {
  readonly leader: NodeId;
  readonly term: number;
}

/** The events a `RaftNode` emits, with their arguments. */
export interface RaftNodeEvents {
  /** The leader this node knows of changed (0: none known). */
  'leader-change': [LeaderChange];
  /** A membership change removed this node from the cluster. */
  removed: [];
  /** A fatal failure (storage); the node has stopped. */
  error: [Error];
}

interface PendingRequest {
  readonly kind: 'proposal' | 'conf-change';
  readonly resolve: (result: unknown) => void;
  readonly reject: (error: Error) => void;
  /** When it times out (`performance.now()` milliseconds). */
  readonly deadline: number;
  /** Where its entry sits in this node's log, once seen there (0: not yet). */
  index: number;
  term: number;
}

interface PendingRead {
  readonly resolve: (index: number) => void;
  readonly reject: (error: Error) => void;
  readonly deadline: number;
}

const DEFAULT_TICK_MS = 100;
/** A ReadIndex round unanswered for this many ticks is sent again (etcd retries after 500 ms). */
const READ_ROUND_RETRY_TICKS = 5;
const DEFAULT_MAX_PENDING_REQUESTS = 4096;
const DEFAULT_SNAPSHOT_EVERY_ENTRIES = 10_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
const DEFAULT_CATCH_UP_TIMEOUT_MS = 60_000;
/** `addMember` promotes a learner once it is at most this many entries behind the leader's commit. */
const CATCH_UP_LAG_ENTRIES = 100;

type NodeState = 'new' | 'running' | 'stopping' | 'stopped';

/**
 * One member of a Raft cluster running the application's `StateMachine`: create it with
 * `RaftNodeOptions`, `start()` it, `propose()` and `read()`, change the membership from the
 * leader, `stop()` it. Emits `RaftNodeEvents`.
 */
export class RaftNode<Result = unknown> extends EventEmitter<RaftNodeEvents> {
  readonly id: NodeId;
  private readonly storage: WritableLogStorage;
  private readonly transport: Transport;
  private readonly stateMachine: StateMachine<Result>;
  private readonly options: RaftNodeOptions<Result>;
  private readonly tickMs: number;
  private readonly maxPendingRequests: number;
  private readonly snapshotEveryEntries: number;
  private readonly requestTimeoutMs: number;
  private readonly metrics: RaftMetrics;
  /** Drawn at each start: entries proposed by an earlier run never match this run's requests. */
  private readonly nonce: number = drawNonce();
  private nextSeq = 1;

  private raw: RawNode | null = null;
  private state: NodeState = 'new';
  private ticker: NodeJS.Timeout | null = null;
  /** The Ready loop: one at a time; `pumpAgain` asks it to look again after the current pass. */
  private pumping: Promise<void> | null = null;
  private pumpAgain = false;

  /**
   * Requests in flight, by sequence number. Insertion order is deadline order (one timeout
   * for all), so the tick's sweep for expired ones stops at the first that is not: no
   * timer per request, which cost as much as the rest of a proposal's path.
   */
  private readonly pending = new Map<number, PendingRequest>();
  /** Reads in flight, wherever they wait, in deadline order (as `pending`). */
  private readonly liveReads = new Set<PendingRead>();
  private readsWaiting: PendingRead[] = [];
  private readRound: { readonly context: string; readonly reads: PendingRead[]; readonly startedAt: number } | null = null;
  private readsAwaitingApply: { readonly index: number; readonly reads: PendingRead[] }[] = [];

  /** Every member's transport address, as of the applied log. */
  private addresses = new Map<NodeId, string>();
  /** What the transport was last told, to tell it only about changes. */
  private readonly peers = new Map<NodeId, string>();
  /** Where each pending request's entry sits in the log (index → request seq). */
  private readonly requestAtIndex = new Map<number, number>();
  /** Requests in `pending` whose entry's place in the log is not yet known (forwarded ones). */
  private unplaced = 0;
  /** A snapshot is being taken (`maybeSnapshot`), and once taken, waits here to be recorded. */
  private snapshotTaking = false;
  private snapshotTaken: { readonly index: number; readonly data: Uint8Array } | null = null;
  /** When a message from each peer last arrived (ms since the epoch), for health checks that span elections. */
  private readonly lastHeard = new Map<NodeId, number>();
  private confState: ConfState | null = null;
  private leader: NodeId = NONE;
  private role: Role = 'follower';
  private term = 0;
  private appliedIndex = 0;
  private snapshotIndex = 0;
  private removed = false;

  constructor(options: RaftNodeOptions<Result>) {
    super();
    if (!Number.isSafeInteger(options.id) || options.id <= 0) throw new InvalidArgumentError(`node id ${options.id} must be a positive integer`);
    this.id = options.id;
    this.storage = options.storage;
    this.transport = options.transport;
    this.stateMachine = options.stateMachine;
    this.options = options;
    this.tickMs = positive('tickMs', options.tickMs ?? DEFAULT_TICK_MS);
    this.maxPendingRequests = positive('maxPendingRequests', options.maxPendingRequests ?? DEFAULT_MAX_PENDING_REQUESTS);
    this.snapshotEveryEntries = positive('snapshotEveryEntries', options.snapshotEveryEntries ?? DEFAULT_SNAPSHOT_EVERY_ENTRIES);
    this.metrics = options.metrics ?? NO_RAFT_METRICS;
    this.requestTimeoutMs = positive('requestTimeoutMs', options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS);
  }

  // ---- Life cycle ----

  /**
   * Open for business: bootstrap a new cluster's first entries (or nothing, when the storage
   * has state or `join` is set), restore the state machine from the latest snapshot, start
   * the transport and the clock. The log after the snapshot is re-applied in the background.
   */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new InvalidArgumentError('start() may be called once');
    this.state = 'running';
    try {
      await this.bootstrapIfNew();
      await this.restoreLatestSnapshot();
      for (const member of this.options.members ?? []) if (!this.addresses.has(member.id)) this.addresses.set(member.id, member.address);
      this.raw = new RawNode({
        ...this.options.raft,
        id: this.id,
        storage: this.storage,
        random: createSeededRandom(randomInt(2 ** 31)),
        electionTicks: this.options.electionTicks,
        heartbeatTicks: this.options.heartbeatTicks,
        applied: this.snapshotIndex,
      });
      const initial = this.raw.status();
      this.confState = initial.config;
      this.term = initial.term;
      // A restarted member reaches the members of its configuration only: `members` may
      // name others (say, an initial cluster changed since), which are not its peers.
      const configured = membersOf(initial.config);
      if (configured.length > 0) for (const id of [...this.addresses.keys()]) if (!configured.includes(id)) this.addresses.delete(id);
      await this.transport.start({
        onMessages: (messages) => this.receive(messages),
        onUnreachable: (peer) => this.raw?.reportUnreachable(peer),
      });
      this.syncPeers();
      this.ticker = setInterval(() => this.tick(), this.tickMs);
      this.schedule();
    } catch (error) {
      this.state = 'stopped';
      await this.closeQuietly();
      throw error;
    }
  }

  /**
   * Stop the clock, finish the write under way, reject every request still pending with
   * `NodeStoppedError`, stop the transport and close the storage. Idempotent.
   */
  async stop(): Promise<void> {
    if (this.state === 'stopped' || this.state === 'stopping') return;
    const wasRunning = this.state === 'running';
    this.state = 'stopping';
    if (this.ticker !== null) clearInterval(this.ticker);
    this.ticker = null;
    if (this.pumping !== null) await this.pumping.catch(() => undefined);
    // A snapshot taken and not yet recorded is recorded (one still being taken is dropped:
    // the log behind it is kept, so a restart only replays more).
    if (this.raw !== null) await this.recordSnapshot(this.raw).catch(() => undefined);
    this.rejectEverything(new NodeStoppedError());
    if (wasRunning) await this.closeQuietly();
    this.state = 'stopped';
  }

  // ---- Requests ----

  /**
   * Replicate `data` and apply it. Resolves with the state machine's result for it once
   * this node has applied it. Followers forward the proposal to the leader. Rejects with
   * `ProposalDroppedError` (nothing was appended: safe to retry), `LeadershipLostError` or
   * `RequestTimeoutError` (outcome unknown), `TooManyRequestsError`, `NodeStoppedError`.
   */
  propose(data: Uint8Array): Promise<Result> {
    return this.request('proposal', (id) => this.core().propose(encodeEntryData(id, data))) as Promise<Result>;
  }

  /**
   * A linearizable read barrier (ReadIndex, Raft thesis §6.4): resolves with the read
   * index once this node's state machine has applied at least every write acknowledged
   * anywhere before the call. Read the state machine after it resolves. Concurrent calls
   * share one leadership confirmation round.
   */
  read(): Promise<number> {
    const error = this.refuseRequest();
    if (error !== null) return Promise.reject(error);
    return new Promise<number>((resolve, reject) => {
      const read: PendingRead = { resolve, reject, deadline: performance.now() + this.requestTimeoutMs };
      this.liveReads.add(read);
      this.readsWaiting.push(read);
      this.maybeStartReadRound();
    });
  }

  /**
   * Add a non-voting member that receives the log (call on the leader). Membership calls
   * wait for an earlier change to be applied (one at a time), up to the request timeout.
   */
  addLearner(id: NodeId, address: string): Promise<void> {
    return this.changeMembership({ type: 'add-learner', node: id }, address);
  }

  /** Make a learner a voter (call on the leader). */
  promote(id: NodeId): Promise<void> {
    if (this.confState !== null && !this.confState.learners.includes(id)) {
      return Promise.reject(new InvalidConfChangeError(`node ${id} is not a learner`));
    }
    return this.changeMembership({ type: 'add-voter', node: id }, '');
  }

  /**
   * Add a voter safely (Raft thesis §4.2.1): as a learner first, promoted once it has
   * caught up with the leader's log, so that it never holds up commitment while it copies
   * the log. Call on the leader.
   */
  async addMember(id: NodeId, address: string): Promise<void> {
    const members = this.confState === null ? [] : membersOf(this.confState);
    if (!members.includes(id)) await this.addLearner(id, address);
    await this.waitForCatchUp(id);
    await this.promote(id);
  }

  /**
   * Reach member `id` at `address` from now on (it moved: another host or port). The
   * change travels through the log, as a member's address does when it is added: every
   * member applies it at the same index, so their address books agree at every index,
   * snapshots carry it and a restarted member replays it. Call on any member (a follower
   * forwards it, as a proposal); resolves once this node has applied it. Refuses, with
   * `InvalidArgumentError`, an empty address or a node that is not a member of this node's
   * configuration; otherwise fails as `propose` does.
   */
  updateMemberAddress(id: NodeId, address: string): Promise<void> {
    if (address === '') return Promise.reject(new InvalidArgumentError('a member address must not be empty'));
    if (this.confState !== null && !membersOf(this.confState).includes(id)) {
      return Promise.reject(new InvalidArgumentError(`node ${id} is not a member`));
    }
    return this.request('proposal', (requestId) => this.core().propose(encodeAddressUpdate(requestId, { node: id, address }))) as Promise<void>;
  }

  /** Remove a voter or learner (call on the leader). A removed leader hands over, then steps down. */
  removeMember(id: NodeId): Promise<void> {
    return this.changeMembership({ type: 'remove', node: id }, '');
  }

  /** Hand leadership to `to`; resolves once this node sees `to` lead. */
  async transferLeadership(to: NodeId): Promise<void> {
    const error = this.refuseRequest();
    if (error !== null) throw error;
    if (this.leader === to) return;
    this.core().transferLeadership(to);
    this.schedule();
    await this.waitFor(() => this.leader === to, this.requestTimeoutMs);
  }

  /**
   * The leader this node knows of (0: none), as of the last Ready handled. Cheap, for
   * per-request checks; `status()` builds the whole picture.
   */
  currentLeader(): NodeId {
    return this.leader;
  }

  /** This node's role, as of the last Ready handled (cheap; see `currentLeader`). */
  currentRole(): Role {
    return this.role;
  }

  /** The current term, as of the last Ready handled (cheap; see `currentLeader`). */
  currentTerm(): number {
    return this.term;
  }

  /** Whether the configuration in force has this node as a learner (cheap; see `currentLeader`). */
  isLearner(): boolean {
    return this.confState?.learners.includes(this.id) ?? false;
  }

  status(): NodeStatus {
    const raw = this.core();
    const status = raw.status();
    const now = Date.now();
    const member = (id: NodeId): Member => ({ id, address: id === this.id ? this.transport.address : (this.addresses.get(id) ?? '') });
    return {
      id: this.id,
      role: status.role,
      term: status.term,
      leader: status.leader,
      commitIndex: status.commit,
      appliedIndex: this.appliedIndex,
      lastIndex: status.lastIndex,
      members: {
        voters: status.config.voters.map(member),
        learners: status.config.learners.map(member),
        votersOutgoing: status.config.votersOutgoing.map(member),
      },
      progress:
        status.progress === null
          ? null
          : [...status.progress].map(([id, p]) => {
              const heard = this.lastHeard.get(id);
              return { id, match: p.match, next: p.next, state: p.state, recentActive: p.recentActive, sinceHeardMs: heard === undefined ? null : now - heard };
            }),
    };
  }

  // ---- Request plumbing ----

  private refuseRequest(): RaftError | null {
    if (this.state !== 'running') return new NodeStoppedError(this.state === 'new' ? 'the node is not started' : 'the node is stopped');
    if (this.pending.size + this.readsWaiting.length >= this.maxPendingRequests) return new TooManyRequestsError(this.maxPendingRequests);
    return null;
  }

  /**
   * Submit a request to the core and wait for it. `submit` returns where the entry went
   * when this node leads (so its own entries need no decoding to find their requests), or
   * nothing when that is known only once the entry comes back from the leader.
   */
  private request(kind: PendingRequest['kind'], submit: (id: RequestId) => EntryId | null | void): Promise<unknown> {
    const error = this.refuseRequest();
    if (error !== null) return Promise.reject(error);
    const seq = this.nextSeq++;
    return new Promise((resolve, reject) => {
      let placed: EntryId | null | void;
      try {
        placed = submit({ nonce: this.nonce, seq });
      } catch (submitError) {
        reject(submitError as Error);
        return;
      }
      const deadline = performance.now() + this.requestTimeoutMs;
      if (placed) {
        this.pending.set(seq, { kind, resolve, reject, deadline, index: placed.index, term: placed.term });
        this.requestAtIndex.set(placed.index, seq);
      } else {
        this.pending.set(seq, { kind, resolve, reject, deadline, index: 0, term: 0 });
        this.unplaced++;
      }
      this.schedule();
    });
  }

  private changeMembership(change: ConfChangeSingle, address: string): Promise<void> {
    if (!Number.isSafeInteger(change.node) || change.node <= 0) {
      return Promise.reject(new InvalidArgumentError(`member id ${change.node} must be a positive integer`));
    }
    if (change.type === 'add-learner' && address === '') return Promise.reject(new InvalidArgumentError('a new member needs an address'));
    return this.proposeConfChangeWhenFree(change, address, Date.now() + this.requestTimeoutMs);
  }

  /**
   * One membership change at a time (thesis §4.1), and none before a new leader has
   * applied an entry of its term: while the core refuses for that reason, wait a tick and
   * try again, until the request timeout. Any other refusal is the caller's.
   */
  private async proposeConfChangeWhenFree(change: ConfChangeSingle, address: string, deadline: number): Promise<void> {
    for (;;) {
      if (this.raw !== null && this.role !== 'leader') throw new NotLeaderError(this.leader);
      try {
        await this.request('conf-change', (id) =>
          this.core().proposeConfChange({ changes: [change], context: encodeConfContext({ address, id }) }),
        );
        return;
      } catch (error) {
        const pending = error instanceof ProposalDroppedError && error.reason === 'conf-change-pending';
        if (!pending) throw error;
        if (Date.now() >= deadline) throw new RequestTimeoutError(this.requestTimeoutMs);
        await new Promise((resolve) => setTimeout(resolve, this.tickMs));
      }
    }
  }

  /** Settle a pending request: with a result, or an error. */
  private settle(seq: number, outcome: Error | { readonly result: unknown }): void {
    const request = this.pending.get(seq);
    if (request === undefined) return;
    this.pending.delete(seq);
    if (request.index === 0) this.unplaced--;
    else if (this.requestAtIndex.get(request.index) === seq) this.requestAtIndex.delete(request.index);
    if (outcome instanceof Error) request.reject(outcome);
    else request.resolve(outcome.result);
  }

  private async waitForCatchUp(id: NodeId): Promise<void> {
    await this.waitFor(() => {
      if (this.role !== 'leader') throw new LeadershipLostError(this.leader);
      const progress = this.core().status().progress?.get(id);
      return progress !== undefined && progress.match + CATCH_UP_LAG_ENTRIES >= this.core().status().commit;
    }, this.options.catchUpTimeoutMs ?? DEFAULT_CATCH_UP_TIMEOUT_MS);
  }

  /** Poll `condition` every tick until it holds, throws, or `timeoutMs` passes. */
  private waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    return new Promise((resolve, reject) => {
      const check = (): void => {
        try {
          if (this.state !== 'running') return reject(new NodeStoppedError());
          if (condition()) return resolve();
          if (Date.now() >= deadline) return reject(new RequestTimeoutError(timeoutMs));
          setTimeout(check, this.tickMs);
        } catch (error) {
          reject(error as Error);
        }
      };
      check();
    });
  }

  // ---- Reads (ReadIndex) ----

  /** Start a confirmation round for the reads waiting, unless one is under way. */
  private maybeStartReadRound(): void {
    if (this.readRound !== null || this.readsWaiting.length === 0 || this.raw === null) return;
    if (this.leader === NONE) return; // waits for a leader, or for its timeout
    const reads = this.readsWaiting;
    this.readsWaiting = [];
    const context = `${this.nonce.toString(16)}:${this.nextSeq++}`;
    try {
      this.raw.readIndex(context);
    } catch (error) {
      for (const read of reads) this.finishRead(read, error as Error);
      return;
    }
    this.readRound = { context, reads, startedAt: performance.now() };
    this.schedule();
  }

  /**
   * A round unanswered after READ_ROUND_RETRY_TICKS ticks is asked again under a new
   * context (a late answer to the old one is ignored): a follower's request to the leader,
   * or the leader's answer, may be lost on the way, and a leader that stays the leader
   * never answers a request it did not get. Without this, one lost message left every
   * later read on the member waiting until its timeout, round after round.
   */
  private retryStaleReadRound(now: number): void {
    const round = this.readRound;
    if (round === null || now - round.startedAt < READ_ROUND_RETRY_TICKS * this.tickMs) return;
    this.readRound = null;
    this.readsWaiting = [...round.reads, ...this.readsWaiting];
    this.maybeStartReadRound();
  }

  private expireReads(expired: ReadonlySet<PendingRead>): void {
    const live = (read: PendingRead) => !expired.has(read);
    this.readsWaiting = this.readsWaiting.filter(live);
    if (this.readRound !== null) this.readRound = { ...this.readRound, reads: this.readRound.reads.filter(live) };
    this.readsAwaitingApply = this.readsAwaitingApply.map((batch) => ({ index: batch.index, reads: batch.reads.filter(live) }));
    for (const read of expired) this.finishRead(read, new RequestTimeoutError(this.requestTimeoutMs));
  }

  private finishRead(read: PendingRead, outcome: Error | number): void {
    this.liveReads.delete(read);
    if (typeof outcome === 'number') read.resolve(outcome);
    else read.reject(outcome);
  }

  private serveReads(): void {
    const ready = this.readsAwaitingApply.filter((batch) => batch.index <= this.appliedIndex);
    if (ready.length === 0) return;
    this.readsAwaitingApply = this.readsAwaitingApply.filter((batch) => batch.index > this.appliedIndex);
    for (const batch of ready) for (const read of batch.reads) this.finishRead(read, batch.index);
  }

  // ---- The loop ----

  private core(): RawNode {
    if (this.raw === null) throw new NodeStoppedError('the node is not started');
    return this.raw;
  }

  private tick(): void {
    if (this.state !== 'running' || this.raw === null) return;
    this.raw.tick();
    this.expireRequests();
    this.schedule();
  }

  /** Time out the requests and reads past their deadline (at tick granularity). */
  private expireRequests(): void {
    const now = performance.now();
    for (const [seq, request] of this.pending) {
      if (request.deadline > now) break;
      this.settle(seq, new RequestTimeoutError(this.requestTimeoutMs));
    }
    const expired = new Set<PendingRead>();
    for (const read of this.liveReads) {
      if (read.deadline > now) break;
      expired.add(read);
    }
    if (expired.size > 0) this.expireReads(expired);
    this.retryStaleReadRound(now);
  }

  private receive(messages: readonly Message[]): void {
    if (this.state !== 'running' || this.raw === null) return;
    const now = Date.now();
    for (const message of messages) {
      if (message.to !== this.id) continue;
      this.lastHeard.set(message.from, now);
      try {
        this.raw.step(message);
      } catch (error) {
        if (!(error instanceof RaftError)) return this.fail(error as Error);
      }
    }
    this.schedule();
  }

  /** Run the Ready loop soon (coalescing everything that happens in this turn of the event loop). */
  private schedule(): void {
    if (this.pumping !== null) {
      this.pumpAgain = true;
      return;
    }
    if (this.state !== 'running') return;
    this.pumping = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.pump())
      .catch((error: Error) => this.fail(error))
      .finally(() => {
        this.pumping = null;
        if (this.pumpAgain && this.state === 'running') {
          this.pumpAgain = false;
          this.schedule();
        }
      });
  }

  private async pump(): Promise<void> {
    const raw = this.core();
    this.pumpAgain = false;
    while (this.state === 'running' && raw.hasReady()) {
      await this.handleReady(raw, raw.ready());
    }
    if (this.state === 'running') await this.recordSnapshot(raw);
  }

  private async handleReady(raw: RawNode, ready: Ready): Promise<void> {
    // 0. A snapshot from the leader replaces the log and the state machine.
    if (ready.snapshot !== null) await this.installSnapshot(ready.snapshot);
    // 1. Durable before anything that depends on it is sent, except a settled leader's
    // appends: it writes its log while its followers write theirs (thesis §10.2.1), one
    // disk write per commit on the critical path instead of two. Safe because nothing it
    // sends first calls an entry committed that is not yet on its disk, and whatever it
    // applies or answers comes after that write (in this pass or a later one).
    const sendFirst = this.role === 'leader' && ready.softState === null && ready.snapshot === null && (ready.hardState === null || ready.hardState.term === this.term) && commitsOnlyDurable(ready);
    if (sendFirst && ready.messages.length > 0) this.send(ready.messages);
    // (A write that only raises the commit index costs nothing here: a storage need not
    // sync it, see `WritableLogStorage.save`, and LevelStorage defers it.)
    if (ready.entries.length > 0 || ready.hardState !== null) {
      const writeStart = performance.now();
      await this.storage.save(ready.entries, ready.hardState);
      this.metrics.storageWrite((performance.now() - writeStart) / 1000);
    }
    if (ready.hardState !== null) this.term = ready.hardState.term;
    this.noteOwnEntries(ready.entries);
    // 2. Send.
    if (!sendFirst && ready.messages.length > 0) this.send(ready.messages);
    if (ready.softState !== null) this.onSoftState(ready.softState.leader, ready.softState.role, this.term);
    // 3. Apply.
    const confEntries = await this.applyEntries(ready.committedEntries);
    // 4. Reads.
    for (const readState of ready.readStates) {
      if (this.readRound === null || this.readRound.context !== readState.context) continue;
      this.readsAwaitingApply.push({ index: readState.index, reads: this.readRound.reads });
      this.readRound = null;
    }
    // 5. Advance, then act on the membership the applied changes produced.
    const applied = raw.advance();
    this.onConfChangesApplied(confEntries, applied.map((change) => change.index));
    if (applied.length > 0) this.onConfiguration(applied[applied.length - 1]!.confState);
    this.serveReads();
    this.maybeStartReadRound();
    this.maybeSnapshot();
  }

  private send(messages: readonly Message[]): void {
    this.transport.send(messages);
    for (const message of messages) if (message.type === 'MsgSnap') this.metrics.snapshotSent(message.to);
  }

  private async installSnapshot(snapshot: Snapshot): Promise<void> {
    await this.storage.applySnapshot(snapshot);
    const { addresses, appData } = decodeSnapshotData(snapshot.data);
    await this.stateMachine.restore(appData, { index: snapshot.metadata.index, term: snapshot.metadata.term });
    // Merge, not replace: the snapshot may stand for a point before members added since,
    // the leader sending it perhaps among them; their addresses come from the log after it
    // (or from `members`), and dropping them would leave us unable to answer that leader.
    // `onConfiguration` then forgets only the members the snapshot's configuration removed.
    for (const [id, address] of addresses) this.addresses.set(id, address);
    this.appliedIndex = snapshot.metadata.index;
    this.snapshotIndex = snapshot.metadata.index;
    this.onConfiguration(snapshot.metadata.confState);
    // Whatever this node proposed may or may not be in the snapshot: the outcome is unknown.
    for (const seq of [...this.pending.keys()]) this.settle(seq, new LeadershipLostError(this.leader));
  }

  /** Record where this node's own requests landed in its log. */
  private noteOwnEntries(entries: readonly Entry[]): void {
    if (this.unplaced === 0) return;
    for (const entry of entries) {
      const id = this.requestIdOf(entry);
      if (id === null || id.nonce !== this.nonce) continue;
      const request = this.pending.get(id.seq);
      if (request === undefined) continue;
      if (request.index === 0) this.unplaced--;
      request.index = entry.index;
      request.term = entry.term;
      this.requestAtIndex.set(entry.index, id.seq);
    }
  }

  private requestIdOf(entry: Entry): RequestId | null {
    if (entry.type === EntryType.Normal) return entry.data.byteLength === 0 ? null : decodeEntryData(entry.data).id;
    return decodeConfContext(decodeConfChange(entry.data).context).id;
  }

  /**
   * Apply committed entries: normal ones go to the state machine in one batch; conf
   * changes are the core's (it applies them at `advance`), but their addresses are
   * recorded here, as are address updates. Every member's address book (this node's own
   * address included) is thus a function of the log. Returns the conf change entries,
   * whose requests settle after `advance`.
   */
  private async applyEntries(entries: readonly Entry[]): Promise<Entry[]> {
    if (entries.length === 0) return [];
    const forApplication: AppliedEntry[] = [];
    const requests: (RequestId | null)[] = [];
    const confEntries: Entry[] = [];
    let moved = false;
    for (const entry of entries) {
      if (entry.index <= this.appliedIndex) continue;
      this.settleOverwritten(entry);
      if (entry.type === EntryType.ConfChange) {
        confEntries.push(entry);
        const change = decodeConfChange(entry.data);
        const { address } = decodeConfContext(change.context);
        for (const single of change.changes) {
          if (single.type !== 'remove' && address !== '') this.addresses.set(single.node, address);
        }
      } else if (entry.data.byteLength > 0) {
        const decoded = decodeEntryData(entry.data);
        if (decoded.kind === 'address') {
          this.addresses.set(decoded.update.node, decoded.update.address);
          moved = true;
          if (decoded.id.nonce === this.nonce) this.settle(decoded.id.seq, { result: undefined });
          continue;
        }
        forApplication.push({ index: entry.index, term: entry.term, data: decoded.payload });
        requests.push(decoded.id);
      }
    }
    if (moved) this.syncPeers();
    if (forApplication.length > 0) {
      const results = await this.stateMachine.apply(forApplication);
      if (results.length !== forApplication.length) {
        throw new AssertionFailedError(`state machine returned ${results.length} results for ${forApplication.length} entries`);
      }
      for (const [i, id] of requests.entries()) {
        if (id !== null && id.nonce === this.nonce) this.settle(id.seq, { result: results[i] });
      }
    }
    this.appliedIndex = Math.max(this.appliedIndex, entries[entries.length - 1]!.index);
    return confEntries;
  }

  /** A request of ours once sat at this index, but another entry committed there: it never will. */
  private settleOverwritten(entry: Entry): void {
    const seq = this.requestAtIndex.get(entry.index);
    if (seq === undefined) return;
    // The same index and term: the same entry (the Log Matching Property), no need to decode it.
    if (this.pending.get(seq)?.term === entry.term) return;
    this.settle(seq, new LeadershipLostError(this.leader));
  }

  private onConfChangesApplied(confEntries: readonly Entry[], appliedIndexes: readonly number[]): void {
    for (const entry of confEntries) {
      const id = this.requestIdOf(entry);
      if (id === null || id.nonce !== this.nonce) continue;
      if (appliedIndexes.includes(entry.index)) this.settle(id.seq, { result: undefined });
      else this.settle(id.seq, new InvalidConfChangeError(`the change at index ${entry.index} was refused when applied`));
    }
  }

  /**
   * The configuration changed: stop reaching the members it removed, and notice our own
   * removal. Only those: a node replaying old changes (one that joined, or restarted far
   * behind) applies configurations that lack members added since, among them perhaps the
   * leader it is catching up from; dropping every address outside the configuration
   * would drop its answers to that leader, and it would never catch up.
   */
  private onConfiguration(confState: ConfState): void {
    const previous = this.confState === null ? [] : membersOf(this.confState);
    const wasMember = previous.includes(this.id);
    this.confState = confState;
    const members = membersOf(confState);
    for (const id of previous) if (!members.includes(id) && id !== this.id) this.addresses.delete(id);
    this.syncPeers();
    if (wasMember && !members.includes(this.id) && !this.removed) {
      this.removed = true;
      this.emit('removed');
    }
  }

  private syncPeers(): void {
    if (this.state !== 'running') return;
    for (const [id, address] of this.addresses) {
      if (id === this.id || this.peers.get(id) === address) continue;
      this.transport.setPeer(id, address);
      this.peers.set(id, address);
    }
    for (const id of [...this.peers.keys()]) {
      if (this.addresses.has(id)) continue;
      this.transport.removePeer(id);
      this.peers.delete(id);
    }
  }

  private onSoftState(leader: NodeId, role: Role, term: number): void {
    const leaderChanged = leader !== this.leader;
    this.role = role;
    if (!leaderChanged) return;
    this.leader = leader;
    this.failUncommittedRequests();
    // A round sent to the old leader may never be answered: ask the new one.
    if (this.readRound !== null) {
      this.readsWaiting = [...this.readRound.reads, ...this.readsWaiting];
      this.readRound = null;
    }
    this.emit('leader-change', { leader, term });
  }

  /** The leader changed: requests whose entries this node has not seen committed have an unknown fate. */
  private failUncommittedRequests(): void {
    if (this.pending.size === 0) return;
    const commit = this.core().status().commit;
    for (const [seq, request] of [...this.pending]) {
      if (request.index > 0 && request.index <= commit && this.termAt(request.index) === request.term) continue;
      this.settle(seq, new LeadershipLostError(this.leader));
    }
  }

  private termAt(index: number): number {
    try {
      return this.storage.term(index);
    } catch {
      return 0;
    }
  }

  /**
   * Start a snapshot once `snapshotEveryEntries` entries were applied since the last one.
   * The state machine's data may take a while (a large one is encoded a step at a time):
   * the Ready loop does not wait for it, or this node would stop answering its peers
   * meanwhile and, leading, lose its leadership. Its state is the one at `index` (taken
   * when `snapshot()` is called, before anything else is applied); `recordSnapshot` makes
   * it the storage's snapshot on a later pass of the loop.
   */
  private maybeSnapshot(): void {
    if (this.snapshotTaking || this.appliedIndex - this.snapshotIndex < this.snapshotEveryEntries) return;
    const index = this.appliedIndex;
    // The book of the configuration in force at `index`: the same on every member.
    const members = this.confState === null ? [] : membersOf(this.confState);
    const addresses = new Map([...this.addresses].filter(([id]) => members.includes(id)));
    this.snapshotTaking = true;
    let appData: Uint8Array | Promise<Uint8Array>;
    try {
      appData = this.stateMachine.snapshot();
    } catch (error) {
      this.snapshotTaking = false;
      throw error;
    }
    Promise.resolve(appData)
      .then((data) => encodeSnapshotDataInSteps(addresses, data, nextTurn))
      .then(
        (data) => {
          this.snapshotTaken = { index, data };
          this.schedule();
        },
        (error: unknown) => this.fail(error instanceof Error ? error : new Error(String(error))),
      );
  }

  /** Make a snapshot `maybeSnapshot` took the storage's, and compact the log behind it. */
  private async recordSnapshot(raw: RawNode): Promise<void> {
    const taken = this.snapshotTaken;
    if (taken === null) return;
    this.snapshotTaken = null;
    this.snapshotTaking = false;
    // A snapshot received from the leader meanwhile supersedes ours.
    if (taken.index <= this.snapshotIndex) return;
    let plan;
    try {
      plan = raw.createSnapshot(taken.index, taken.data);
    } catch (error) {
      if (error instanceof RaftError) return;
      throw error;
    }
    const saveStart = performance.now();
    await this.storage.saveSnapshot(plan.snapshot);
    this.metrics.snapshotSaved((performance.now() - saveStart) / 1000);
    this.snapshotIndex = taken.index;
    if (plan.compactIndex >= this.storage.firstIndex()) await this.storage.compact(plan.compactIndex);
  }

  // ---- Start-up ----

  private async bootstrapIfNew(): Promise<void> {
    const { hardState } = this.storage.initialState();
    const fresh = this.storage.lastIndex() === 0 && hardState.term === 0 && this.storage.snapshotMetadata().index === 0;
    if (!fresh || this.options.join === true) return;
    const members = [...(this.options.members ?? [])].sort((a, b) => a.id - b.id);
    if (!members.some((member) => member.id === this.id)) {
      throw new InvalidArgumentError(`a new cluster's members must include this node (${this.id})`);
    }
    if (new Set(members.map((m) => m.id)).size !== members.length) throw new InvalidArgumentError('member ids must be unique');
    // Every initial member writes the same first entries: one addition per member, each
    // committed at term 1, so that a member added later learns them from the log.
    const entries: Entry[] = members.map((member, i) => ({
      term: 1,
      index: i + 1,
      type: EntryType.ConfChange,
      data: encodeConfChange({
        changes: [{ type: 'add-voter', node: member.id }],
        context: encodeConfContext({ address: member.address, id: null }),
      }),
    }));
    await this.storage.save(entries, { term: 1, vote: NONE, commit: entries.length });
  }

  private async restoreLatestSnapshot(): Promise<void> {
    const metadata = this.storage.snapshotMetadata();
    if (metadata.index === 0) return;
    const reader = this.storage.openSnapshot();
    try {
      const parts: Uint8Array[] = [];
      let offset = 0;
      for (;;) {
        const chunk = reader.read(offset, 4 * 1024 * 1024);
        parts.push(chunk.data);
        offset += chunk.data.byteLength;
        if (chunk.done) break;
      }
      const { addresses, appData } = decodeSnapshotData(Buffer.concat(parts));
      await this.stateMachine.restore(appData, { index: metadata.index, term: metadata.term });
      this.addresses = addresses;
      this.appliedIndex = metadata.index;
      this.snapshotIndex = metadata.index;
    } finally {
      reader.close();
    }
  }

  // ---- Failure ----

  private fail(error: Error): void {
    if (this.state !== 'running') return;
    this.rejectEverything(new NodeStoppedError(`the node failed: ${error.message}`));
    void this.stop();
    this.emit('error', error);
  }

  private rejectEverything(error: RaftError): void {
    for (const seq of [...this.pending.keys()]) this.settle(seq, error);
    const reads = [...this.readsWaiting, ...(this.readRound?.reads ?? []), ...this.readsAwaitingApply.flatMap((b) => b.reads)];
    this.readsWaiting = [];
    this.readRound = null;
    this.readsAwaitingApply = [];
    for (const read of reads) this.finishRead(read, error);
  }

  private async closeQuietly(): Promise<void> {
    await this.transport.stop().catch(() => undefined);
    await Promise.resolve(this.storage.close()).catch(() => undefined);
  }
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new InvalidArgumentError(`${name} must be a positive number, not ${value}`);
  return value;
}

/** Whether no message of `ready` carries a commit index past the entries already stored before it. */
function commitsOnlyDurable(ready: Ready): boolean {
  if (ready.entries.length === 0) return true;
  const durable = ready.entries[0]!.index - 1;
  for (const message of ready.messages) {
    if ((message.type === 'MsgApp' || message.type === 'MsgHeartbeat') && message.commit > durable) return false;
  }
  return true;
}
