/**
 * All the checkers, fed from one place. The simulator reports what happens (Readies
 * taken, writes made durable, entries applied, statuses polled, client acks and reads);
 * the suite turns each report into the checks it implies and keeps the first violation.
 * Each report costs time proportional to what is new in it.
 */
import type { Status } from '../../core/status.js';
import type { Entry, HardState, NodeId, Ready, Role } from '../../core/types.js';
import { payloadOf } from '../command-codec.js';
import { CommitMonotonicChecker } from './commit-monotonic.js';
import { ElectionSafetyChecker } from './election-safety.js';
import { LeaderCompletenessChecker } from './leader-completeness.js';
import { LivenessChecker } from './liveness.js';
import type { LivenessSnapshot } from './liveness.js';
import { LogMatchingChecker } from './log-matching.js';
import { ReadLinearizabilityChecker } from './read-linearizability.js';
import { ShadowLog } from './shadow-log.js';
import type { ShadowEntry } from './shadow-log.js';
import { StateMachineSafetyChecker } from './state-machine-safety.js';
import { VoteSafetyChecker } from './vote-safety.js';
import { violation } from './violation.js';
import type { Violation } from './violation.js';

interface NodeView {
  role: Role;
  term: number;
  readonly log: ShadowLog;
}

export class CheckerSuite {
  readonly electionSafety = new ElectionSafetyChecker();
  readonly voteSafety = new VoteSafetyChecker();
  readonly logMatching = new LogMatchingChecker();
  readonly leaderCompleteness = new LeaderCompletenessChecker();
  readonly stateMachineSafety = new StateMachineSafetyChecker();
  readonly commitMonotonic = new CommitMonotonicChecker();
  readonly readLinearizability = new ReadLinearizabilityChecker();
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

  /** `node` (re)starts from its disk. */
  onStart(node: NodeId, durableEntries: readonly Entry[], durableHardState: HardState): void {
    const log = new ShadowLog(node);
    log.reset(durableEntries.map(toShadow));
    this.views.set(node, { role: 'follower', term: durableHardState.term, log });
    this.stateMachineSafety.observeStart(node);
    this.leaderCompleteness.observeNotLeader(node);
  }

  onCrash(node: NodeId): void {
    this.leaderCompleteness.observeNotLeader(node);
    const view = this.views.get(node);
    if (view !== undefined) view.role = 'follower';
  }

  /** `node`, in life `incarnation`, took `ready`; `role`/`term` are its state at that moment. */
  onReady(node: NodeId, incarnation: number, ready: Ready, role: Role, term: number): void {
    const view = this.views.get(node)!;
    const log = view.log;
    if (ready.entries.length > 0) {
      const entries = ready.entries.map(toShadow);
      const first = entries[0]!.index;
      this.checksRun++;
      if (view.role === 'leader' && role === 'leader' && view.term === term && first <= log.lastIndex) {
        this.record(violation('leader-append-only', `n${node}, leader of term ${term}, overwrites its log from ${first} (last ${log.lastIndex})`));
        return;
      }
      const previousTerm = log.termAt(first - 1);
      if (previousTerm === undefined) {
        this.record(violation('log-matching', `n${node} appends from ${first} but its log ends at ${log.lastIndex}`));
        return;
      }
      if (this.record(this.logMatching.observeAppend(node, previousTerm, entries))) return;
      log.overwrite(entries);
    }
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
      if (this.record(this.commitMonotonic.observeCommit(node, incarnation, ready.hardState.commit))) return;
      this.record(this.leaderCompleteness.observeCommit(node, term, ready.hardState.commit, log));
    }
  }

  /** `node` made `hardState` (if any) durable. */
  onPersisted(node: NodeId, hardState: HardState | null): void {
    if (hardState === null) return;
    this.checksRun++;
    if (this.record(this.voteSafety.observeDurableHardState(node, hardState))) return;
    this.record(this.commitMonotonic.observeDurableCommit(node, hardState.commit));
  }

  /** `node` applied `entry`, whose payload identity is `payload`. */
  onApplied(node: NodeId, index: number, payload: number): void {
    this.checksRun++;
    if (this.record(this.stateMachineSafety.observeApply(node, index, payload))) return;
    if (payload !== 0 && !this.firstApplied.has(payload)) {
      this.firstApplied.set(payload, index);
      this.liveness.observeFirstApply(payload, index);
    }
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
