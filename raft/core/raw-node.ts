/**
 * `RawNode`: the core's public face. The caller feeds it time (`tick`), messages
 * (`step`) and requests (`propose`, `proposeConfChange`, `readIndex`,
 * `transferLeadership`), then collects a `Ready`, handles it in the order its fields
 * document, and calls `advance()`.
 *
 * It does no I/O, reads no clock and draws randomness only from the injected source:
 * given the same inputs it produces the same outputs.
 */
import { assert } from './errors.js';
import type { RaftConfig } from './config.js';
import { Raft } from './raft.js';
import type { SnapshotPlan } from './raft.js';
import type { Status } from './status.js';
import { isHardStateEqual } from './types.js';
import type { AppliedConfChange, ConfChange, EntryId, HardState, Message, NodeId, Ready, SoftState } from './types.js';

export type { SnapshotPlan } from './raft.js';

/**
 * The pure Raft core, driven by hand: `tick`, `step`, requests, then `ready()` /
 * `advance()` (see the file comment). `RaftNode` drives one for you.
 */
export class RawNode {
  private readonly raft: Raft;
  private previousSoftState: SoftState;
  private previousHardState: HardState;
  /** The Ready handed out and not yet advanced, if any. */
  private pending: Ready | null = null;

  constructor(config: RaftConfig) {
    this.raft = new Raft(config);
    this.previousSoftState = this.raft.softState();
    this.previousHardState = this.raft.hardState();
  }

  /** Advance logical time by one tick (drives elections, heartbeats and snapshot resends). */
  tick(): void {
    this.raft.tick();
  }

  /** Start an election now (pre-vote first when enabled). A leader ignores it. */
  campaign(): void {
    this.raft.campaign();
  }

  /**
   * Propose `data` for the log. On a follower the proposal is forwarded to the leader.
   * Throws `ProposalDroppedError` (no leader, leadership transfer under way, size limit)
   * or `NotLeaderError` (forwarding disabled). Acceptance is not commitment: the entry
   * may still be lost if leadership changes before it commits. Returns the entry's place
   * in this node's log when this node leads (it commits there or nowhere), and null when
   * the proposal was forwarded.
   */
  propose(data: Uint8Array): EntryId | null {
    return this.raft.propose(data);
  }

  /**
   * Propose a membership change (see `ConfChange`). It takes effect on each node when
   * its entry is applied, that is at the `advance()` after the Ready that hands it out.
   * Throws `InvalidConfChangeError` when the change cannot apply to the configuration in
   * force, and `ProposalDroppedError('conf-change-pending')` while an earlier change is
   * not yet applied, or this leader has not yet applied an entry of its own term.
   */
  proposeConfChange(cc: ConfChange): void {
    this.raft.proposeConfChange(cc);
  }

  /** Feed a message received from a peer. Messages from unknown peers are ignored. */
  step(message: Message): void {
    this.raft.step(message);
  }

  /**
   * Request a linearizable read point. When confirmed, a `ReadState` with the same
   * `context` appears in a later `Ready`; the read may be served once applied ≥ its index.
   * Throws `ProposalDroppedError` when no leader is known.
   */
  readIndex(context: string): void {
    this.raft.readIndex(context);
  }

  /** Ask the leader (this node, or forwarded) to hand leadership to `transferee`. */
  transferLeadership(transferee: NodeId): void {
    this.raft.transferLeadership(transferee);
  }

  /** Tell the core that the last message to `peer` could not be delivered. */
  reportUnreachable(peer: NodeId): void {
    this.raft.reportUnreachable(peer);
  }

  /**
   * The application snapshotted its state machine at `index` (≤ the applied index, else
   * `InvalidArgumentError`; above the latest snapshot's, stored or received and not yet
   * installed, else `SnapshotOutOfDateError`). Returns the snapshot to store, with its metadata
   * (index, term, configuration as of `index`), and how far the log may then be
   * compacted, keeping `snapshotTrailingEntries` entries before `index`.
   */
  createSnapshot(index: number, data: Uint8Array): SnapshotPlan {
    return this.raft.createSnapshot(index, data);
  }

  hasReady(): boolean {
    if (this.pending !== null) return false;
    this.raft.flushPendingAppends();
    const r = this.raft;
    return (
      r.hasMessages() ||
      r.log.hasUnstableEntries() ||
      r.log.unstableSnapshot !== null ||
      r.log.hasEntriesToApply() ||
      r.readStates.length > 0 ||
      !isHardStateEqual(r.hardState(), this.previousHardState) ||
      !isSoftStateEqual(r.softState(), this.previousSoftState)
    );
  }

  /**
   * The next batch of work. Must be followed by `advance()` before the next call.
   * Handle its fields in the order `Ready` documents: install, persist, send, apply.
   */
  ready(): Ready {
    assert(this.pending === null, 'ready() called again before advance()');
    const r = this.raft;
    r.flushPendingAppends();
    const softState = r.softState();
    const hardState = r.hardState();
    const ready: Ready = {
      snapshot: r.log.unstableSnapshot,
      softState: isSoftStateEqual(softState, this.previousSoftState) ? null : softState,
      hardState: isHardStateEqual(hardState, this.previousHardState) ? null : hardState,
      entries: r.log.unstableEntries(),
      committedEntries: r.log.nextEntriesToApply(r.maxCommittedSizePerReadyBytes),
      messages: r.takeMessages(),
      readStates: r.takeReadStates(),
    };
    this.pending = ready;
    return ready;
  }

  /**
   * Acknowledge that the last `Ready` has been installed, persisted, sent and applied.
   * Applies the membership changes among its committed entries and returns the
   * configuration each one produced, in log order.
   */
  advance(): readonly AppliedConfChange[] {
    const ready = this.pending;
    assert(ready !== null, 'advance() called without a pending ready()');
    this.pending = null;
    if (ready.softState !== null) this.previousSoftState = ready.softState;
    if (ready.hardState !== null) this.previousHardState = ready.hardState;
    return this.raft.advance(ready);
  }

  status(): Status {
    return this.raft.status();
  }
}

function isSoftStateEqual(a: SoftState, b: SoftState): boolean {
  return a.leader === b.leader && a.role === b.role;
}
