/**
 * All the checkers, fed from one place. The simulator reports what happens (nodes
 * starting, Readies taken, snapshots installed and taken, writes made durable, entries
 * and membership changes applied, messages sent and stepped, statuses polled, client
 * acks and reads); the suite turns each report into the checks it implies and keeps the
 * first violation. Each report costs time proportional to what is new in it.
 */
import type { Status } from '../../core/status.js';
import type {
  AppliedConfChange,
  ConfState,
  Entry,
  EntryId,
  HardState,
  Message,
  NodeId,
  Ready,
  Role,
  SnapshotMetadata,
} from '../../core/types.js';
import { payloadOf } from '../command-codec.js';
import type { StateSummary } from '../sim-state-machine.js';
import { CommitMonotonicChecker } from './commit-monotonic.js';
import { ConfigurationChecker } from './configuration-safety.js';
import { ElectionSafetyChecker } from './election-safety.js';
import { LeaderCompletenessChecker } from './leader-completeness.js';
import { LivenessChecker } from './liveness.js';
import type { LivenessSnapshot } from './liveness.js';
import { LogMatchingChecker } from './log-matching.js';
import { ReadLinearizabilityChecker } from './read-linearizability.js';
import { RestoredStateChecker } from './restored-state.js';
import { ShadowLog } from './shadow-log.js';
import type { ShadowEntry } from './shadow-log.js';
import { SnapshotMatchingChecker } from './snapshot-matching.js';
import type { SnapshotEvent } from './snapshot-matching.js';
import { SnapshotRestartChecker } from './snapshot-restarts.js';
import { StateMachineSafetyChecker } from './state-machine-safety.js';
import { VoteSafetyChecker } from './vote-safety.js';
import { violation } from './violation.js';
import type { Violation } from './violation.js';

/** What a node (re)starts from: its disk's contents. */
export interface NodeStart {
  readonly hardState: HardState;
  /** The entry the durable log starts after: index 0, or a snapshot / compaction point. */
  readonly logBase: EntryId;
  /** The durable entries after `logBase`. */
  readonly entries: readonly Entry[];
  /** The durable snapshot (index 0 and the bootstrap configuration before any). */
  readonly snapshot: SnapshotMetadata;
  /** The state machine restored from that snapshot; null when there is none (empty state). */
  readonly restored: StateSummary | null;
}

interface NodeView {
  role: Role;
  term: number;
  readonly log: ShadowLog;
  /** The entries of the Ready being written, for Log Matching once they are durable. */
  pendingAppend: PendingAppend | null;
}

interface PendingAppend {
  readonly previousTerm: number;
  readonly entries: readonly ShadowEntry[];
}

export class CheckerSuite {
  readonly electionSafety = new ElectionSafetyChecker();
  readonly voteSafety = new VoteSafetyChecker();
  readonly logMatching = new LogMatchingChecker();
  readonly leaderCompleteness = new LeaderCompletenessChecker();
  readonly stateMachineSafety = new StateMachineSafetyChecker();
  readonly commitMonotonic = new CommitMonotonicChecker();
  readonly readLinearizability = new ReadLinearizabilityChecker();
  readonly configuration = new ConfigurationChecker();
  readonly snapshotMatching = new SnapshotMatchingChecker();
  readonly restoredState = new RestoredStateChecker();
  readonly snapshotRestarts = new SnapshotRestartChecker();
  readonly liveness = new LivenessChecker();
  private readonly views = new Map<NodeId, NodeView>();
  /** Index at which each write id was first applied, anywhere. */
  private readonly firstApplied = new Map<number, number>();
  private firstViolation: Violation | null = null;
  /** Number of individual property checks performed. */
  checksRun = 0;

  get violation(): Violation | null {
    return this.firstViolation;
  }

  /** Record a violation found outside the checkers (the core threw). */
  report(found: Violation): void {
    this.record(found);
  }

  /** Where write `id` was first applied, if it was. */
  firstAppliedIndex(id: number): number | undefined {
    return this.firstApplied.get(id);
  }

  /** The newest configuration any node applied (or the bootstrap one); undefined before any start. */
  latestConfig(): ConfState | undefined {
    return this.configuration.latest();
  }

  /** `node` (re)starts from its disk. */
  onStart(node: NodeId, start: NodeStart): void {
    const log = new ShadowLog(node);
    log.reset(start.entries.map(toShadow), start.logBase);
    this.views.set(node, { role: 'follower', term: start.hardState.term, log, pendingAppend: null });
    this.stateMachineSafety.observeStart(node, start.restored?.index ?? 0);
    this.leaderCompleteness.observeNotLeader(node);
    this.checksRun++;
    if (this.record(this.configuration.observeStart(node, start.snapshot.index, start.snapshot.confState))) return;
    if (start.restored === null) return;
    if (this.record(this.restoredState.observeRestore(node, start.snapshot.index, start.restored))) return;
    this.checkSnapshot(node, 'restarted from', start.snapshot, undefined);
  }

  onCrash(node: NodeId): void {
    this.leaderCompleteness.observeNotLeader(node);
    this.snapshotRestarts.observeCrash(node);
    const view = this.views.get(node);
    if (view === undefined) return;
    view.role = 'follower';
    view.pendingAppend = null;
  }

  /** `node`, in life `incarnation`, took `ready`; `role`/`term` are its state at that moment. */
  onReady(node: NodeId, incarnation: number, ready: Ready, role: Role, term: number): void {
    const view = this.views.get(node)!;
    const log = view.log;
    // The snapshot replaces the whole log, before the entries that follow it (Ready's order).
    if (ready.snapshot !== null) log.reset([], ready.snapshot.metadata);
    if (ready.entries.length > 0 && this.record(this.observeEntries(node, view, ready.entries, role, term))) return;
    view.role = role;
    view.term = term;
    this.checksRun++;
    if (role === 'leader') {
      if (this.record(this.electionSafety.observeLeader(node, term))) return;
      if (this.record(this.leaderCompleteness.observeLeader(node, term, log))) return;
    } else {
      this.leaderCompleteness.observeNotLeader(node);
    }
    if (ready.hardState !== null) {
      this.checksRun++;
      this.record(this.commitMonotonic.observeCommit(node, incarnation, ready.hardState.commit));
    }
  }

  /** `node` installed a snapshot from the leader; `state` is its state machine restored from it. */
  onSnapshotInstalled(node: NodeId, metadata: SnapshotMetadata, state: StateSummary): void {
    this.checksRun++;
    if (this.record(this.stateMachineSafety.observeRestore(node, metadata.index))) return;
    if (this.record(this.restoredState.observeRestore(node, metadata.index, state))) return;
    if (this.checkSnapshot(node, 'installed', metadata, undefined)) return;
    this.record(this.configuration.observeRestore(node, metadata.index, metadata.confState));
  }

  /** `node` snapshotted its state machine (`state`) as `metadata`. */
  onSnapshotTaken(node: NodeId, metadata: SnapshotMetadata, state: StateSummary): void {
    this.checksRun++;
    if (state.index !== metadata.index) {
      this.record(violation('snapshot-matching', `n${node} took a snapshot at ${metadata.index} of a state applied up to ${state.index}`));
      return;
    }
    this.checkSnapshot(node, 'took', metadata, this.views.get(node)?.log.termAt(metadata.index));
  }

  /**
   * `node` made `hardState` (if any) durable, with the entries of the Ready it last took.
   * Entries and commits count from here on: what a Ready lost to a crash held was never
   * seen by anyone. (A sole voter elects itself and commits its own entries before they
   * are durable, as etcd's does; after a crash it may reuse the term for other entries.)
   */
  onPersisted(node: NodeId, hardState: HardState | null): void {
    const view = this.views.get(node)!;
    const append = view.pendingAppend;
    view.pendingAppend = null;
    if (append !== null) {
      this.checksRun++;
      if (this.record(this.logMatching.observeAppend(node, append.previousTerm, append.entries))) return;
    }
    if (hardState === null) return;
    this.checksRun++;
    if (this.record(this.voteSafety.observeDurableHardState(node, hardState))) return;
    if (this.record(this.commitMonotonic.observeDurableCommit(node, hardState.commit))) return;
    this.record(this.leaderCompleteness.observeCommit(node, view.term, hardState.commit, view.log));
  }

  /** `node` applied the entry at `index`, whose payload identity is `payload`, reaching state `digest`. */
  onApplied(node: NodeId, index: number, payload: number, digest: number): void {
    this.checksRun++;
    if (this.record(this.stateMachineSafety.observeApply(node, index, payload))) return;
    if (this.record(this.restoredState.observeApply(node, index, digest))) return;
    if (payload > 0 && !this.firstApplied.has(payload)) {
      this.firstApplied.set(payload, index);
      this.liveness.observeFirstApply(payload, index);
    }
  }

  /**
   * `node`'s `advance()` returned `applied` for the membership change entries at
   * `confEntryIndexes` it just applied. A change the core reports nothing for left the
   * configuration as it was.
   */
  onConfChangesApplied(node: NodeId, confEntryIndexes: readonly number[], applied: readonly AppliedConfChange[]): void {
    let next = 0;
    for (const index of confEntryIndexes) {
      this.checksRun++;
      const change = applied[next];
      const conf = change !== undefined && change.index === index ? change.confState : null;
      if (conf !== null) next++;
      if (this.record(this.configuration.observeApplied(node, index, conf))) return;
    }
    if (next < applied.length) {
      this.record(
        violation(
          'configuration-safety',
          `n${node}'s core reports a configuration from index ${applied[next]!.index}, not a membership change it just applied`,
        ),
      );
    }
  }

  /** `message` leaves its sender. */
  onMessageSent(message: Message): void {
    if (message.type === 'MsgSnap') this.checksRun++;
    this.record(this.snapshotRestarts.observeSent(message));
  }

  /** `message` is about to be stepped into its receiver's core. */
  onMessageStepped(message: Message): void {
    this.snapshotRestarts.observeStepped(message);
  }

  /** A status poll of a running node, with its state machine's applied index. */
  onStatus(status: Status, incarnation: number, stateMachineApplied: number): void {
    this.checksRun++;
    if (status.role === 'leader' && this.record(this.electionSafety.observeLeader(status.id, status.term))) return;
    if (this.record(this.commitMonotonic.observeCommit(status.id, incarnation, status.commit))) return;
    if (this.record(this.commitMonotonic.observeApplied(status.id, status.applied, status.commit))) return;
    this.record(this.commitMonotonic.observeApplied(status.id, stateMachineApplied, status.commit));
  }

  onWriteAck(writeId: number, index: number): void {
    this.readLinearizability.observeWriteAck(writeId, index);
  }

  onReadStart(readId: string): void {
    this.readLinearizability.observeReadStart(readId);
  }

  onReadAbandoned(readId: string): void {
    this.readLinearizability.observeReadAbandoned(readId);
  }

  onReadServed(readId: string, readIndex: number, result: number): void {
    this.checksRun++;
    this.record(this.readLinearizability.observeReadServed(readId, readIndex, result));
  }

  beginLiveness(writeIds: Iterable<number>, deadlineStep: number): void {
    this.liveness.begin(writeIds, (id) => this.firstApplied.get(id), deadlineStep);
  }

  checkLiveness(snapshot: LivenessSnapshot): void {
    this.checksRun++;
    this.record(this.liveness.check(snapshot));
  }

  /**
   * New entries in `node`'s Ready: a leader never rewrites its own log; entries follow on
   * from the node's log (those at or below its snapshot must be the snapshot's); and,
   * once durable, they agree with every other log (Log Matching, in `onPersisted`).
   */
  private observeEntries(node: NodeId, view: NodeView, readyEntries: readonly Entry[], role: Role, term: number): Violation | null {
    const log = view.log;
    let entries = readyEntries.map(toShadow);
    const first = entries[0]!.index;
    this.checksRun++;
    if (view.role === 'leader' && role === 'leader' && view.term === term && first <= log.lastIndex) {
      return violation('leader-append-only', `n${node}, leader of term ${term}, overwrites its log from ${first} (last ${log.lastIndex})`);
    }
    if (first <= log.baseIndex) {
      const atBase = entries.find((entry) => entry.index === log.baseIndex);
      if (atBase !== undefined && atBase.term !== log.termAt(log.baseIndex)) {
        const baseTerm = log.termAt(log.baseIndex);
        return violation('log-matching', `n${node} appends ${atBase.index}/term ${atBase.term} over its snapshot's term ${baseTerm}`);
      }
      entries = entries.filter((entry) => entry.index > log.baseIndex);
      if (entries.length === 0) return null;
    }
    const previousTerm = log.termAt(entries[0]!.index - 1);
    if (previousTerm === undefined) {
      return violation('log-matching', `n${node} appends from ${entries[0]!.index} but its log ends at ${log.lastIndex}`);
    }
    view.pendingAppend = { previousTerm, entries };
    log.overwrite(entries);
    return null;
  }

  /** Snapshot matching: the committed entry's term and the configuration in force at its index. */
  private checkSnapshot(node: NodeId, event: SnapshotEvent, metadata: SnapshotMetadata, ownTerm: number | undefined): boolean {
    const committedTerm = this.leaderCompleteness.committedTermAt(metadata.index) ?? ownTerm;
    const configInForce = this.configuration.configAt(metadata.index);
    return this.record(this.snapshotMatching.observe(node, event, metadata, committedTerm, configInForce));
  }

  /** Keep the first violation; true when `found` is one. */
  private record(found: Violation | null): boolean {
    if (found === null) return false;
    if (this.firstViolation === null) this.firstViolation = found;
    return true;
  }
}

function toShadow(entry: Entry): ShadowEntry {
  return { index: entry.index, term: entry.term, payload: payloadOf(entry) };
}
