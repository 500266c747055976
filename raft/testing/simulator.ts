/**
 * One deterministic simulation run: N voters (and a spare node or two that membership
 * changes may add) on a virtual clock, a seeded network and disks, clients proposing and
 * reading throughout, snapshots and compaction, faults and membership changes for the
 * first part of the run, then a healed cluster that must make progress. Every source of
 * nondeterminism is drawn from the seed, so `runSeed` with the same options always does
 * the same thing.
 *
 * A step is one tick period: faults and clients act at its start, every running node
 * ticks once (each at its own phase inside the period, so they are not in lock-step),
 * every event due inside the period is handled in time order, and then the nodes are
 * polled. The checkers run on every event and every poll; the run stops at the first
 * violation.
 */
import { createSeededRandom } from '../core/random.js';
import type { SeededRandom } from '../core/random.js';
import type {
  AppliedConfChange,
  ConfChange,
  ConfState,
  Entry,
  HardState,
  Message,
  NodeId,
  ReadState,
  Ready,
  SnapshotMetadata,
} from '../core/types.js';
import { NONE } from '../core/types.js';
import { CheckerSuite } from './checkers/checker-suite.js';
import type { NodeStart } from './checkers/checker-suite.js';
import { formatConf } from './checkers/configuration-safety.js';
import type { Failure } from './checkers/violation.js';
import { DEFAULT_STEPS, FAULT_PHASE_FRACTION, LIVENESS_TICKS, NODES_MAX, SPARE_NODES_MAX, TICK_UNITS } from './constants.js';
import { EventQueue } from './event-queue.js';
import { SimClients } from './sim-clients.js';
import type { ClientStats } from './sim-clients.js';
import { coreConfig, drawCoreOptions } from './sim-config.js';
import type { BugName, CoreOptions } from './sim-config.js';
import { SimDisk } from './sim-disk.js';
import { CoreThrewError, isRefusal, refusalReason } from './sim-errors.js';
import { FaultInjector, drawFaultRates } from './sim-faults.js';
import type { FaultCounts, FaultTarget } from './sim-faults.js';
import { MembershipOperator, drawMembershipRates } from './sim-membership.js';
import type { MembershipCounts, MembershipTarget } from './sim-membership.js';
import { HEALED_NETWORK, SimNetwork } from './sim-network.js';
import type { NetworkStats } from './sim-network.js';
import { SimNode } from './sim-node.js';
import type { SimNodeEnvironment } from './sim-node.js';
import type { ApplyResult, StateSummary } from './sim-state-machine.js';

export interface RunSeedOptions {
  readonly seed: number;
  /** Initial voters (3 and 5 are the sizes the test suites use); spare nodes come on top. */
  readonly nodes: number;
  /** Steps (tick periods) to run; the run may go on past it until liveness is decided. */
  readonly steps?: number;
  /** A deliberate core bug to switch on. */
  readonly bug?: BugName;
  /** Receives one human-readable line per notable event (elections, faults, heal). */
  readonly trace?: (line: string) => void;
}

export interface SimStats {
  /** Steps actually simulated. */
  steps: number;
  /** Step at which faults stopped and the cluster was healed. */
  healStep: number;
  /** Ticks after the heal until a leader and every pending write were there (-1: never). */
  livenessTicks: number;
  /** Elections won (distinct terms that had a leader). */
  elections: number;
  maxTerm: number;
  /** Highest index known committed. */
  committedIndex: number;
  /** Entries applied, summed over nodes and incarnations. */
  entriesApplied: number;
  clients: ClientStats;
  faults: FaultCounts;
  network: NetworkStats;
  /** Spare nodes beyond the initial voters. */
  spares: number;
  membership: MembershipCounts;
  /** Membership changes applied (distinct log indexes). */
  confChangesApplied: number;
  snapshots: SnapshotStats;
  checksRun: number;
}

export interface SnapshotStats {
  /** Snapshots nodes took of their own state machines. */
  taken: number;
  /** Snapshots installed from a leader. */
  installed: number;
  /** Restarts that restored the state machine from a stored snapshot. */
  restoredOnRestart: number;
  /** Transfers started (chunk 0 sent) and restarted after acknowledgements. */
  transfersStarted: number;
  transferRestarts: number;
}

export interface RunSeedResult {
  readonly seed: number;
  readonly nodes: number;
  readonly steps: number;
  readonly bug: BugName | undefined;
  readonly coreOptions: CoreOptions;
  readonly ok: boolean;
  readonly failure: Failure | null;
  readonly stats: SimStats;
}

type SimEvent =
  | { readonly kind: 'tick'; readonly node: SimNode }
  | { readonly kind: 'deliver'; readonly message: Message }
  | { readonly kind: 'redeliver'; readonly message: Message }
  | { readonly kind: 'write-done'; readonly node: SimNode; readonly incarnation: number }
  | { readonly kind: 'action'; readonly run: () => void };

/** Run one seed to completion (or to its first violation). */
export function runSeed(options: RunSeedOptions): RunSeedResult {
  return new Simulation(options).run();
}

class Simulation implements SimNodeEnvironment, FaultTarget, MembershipTarget {
  readonly nodes: SimNode[] = [];
  readonly network: SimNetwork;
  private readonly queue = new EventQueue<SimEvent>();
  private readonly checkers = new CheckerSuite();
  private readonly clients: SimClients;
  private readonly faults: FaultInjector;
  private readonly membership: MembershipOperator;
  private readonly coreOptions: CoreOptions;
  private readonly initialVoters: readonly NodeId[];
  private readonly spares: number;
  private readonly steps: number;
  private readonly healStep: number;
  private readonly tickPhases: number[] = [];
  private readonly durableVotes = new Map<NodeId, { term: number; vote: NodeId }>();
  private readonly leaderTerms = new Set<number>();
  private time = 0;
  private currentStep = 0;
  private faultPhase = true;
  private failure: Failure | null = null;
  private maxTerm = 0;
  private entriesApplied = 0;
  private lastTracedConfIndex = 0;
  private membersOf: { readonly config: ConfState; readonly members: ReadonlySet<NodeId> } | null = null;
  private readonly snapshotStats = { taken: 0, installed: 0, restoredOnRestart: 0 };

  constructor(private readonly options: RunSeedOptions) {
    if (!Number.isInteger(options.nodes) || options.nodes < 1 || options.nodes > NODES_MAX) {
      throw new Error(`nodes must be an integer in [1, ${NODES_MAX}], got ${options.nodes}`);
    }
    this.steps = options.steps ?? DEFAULT_STEPS;
    if (!Number.isInteger(this.steps) || this.steps < 1) throw new Error(`steps must be a positive integer, got ${this.steps}`);
    this.healStep = Math.floor(this.steps * FAULT_PHASE_FRACTION);
    const root = createSeededRandom(options.seed);
    this.coreOptions = drawCoreOptions(root.fork());
    const membershipRates = drawMembershipRates(root.fork(), Math.min(SPARE_NODES_MAX, NODES_MAX - options.nodes));
    this.spares = membershipRates.spares;
    this.network = new SimNetwork(root.fork(), (time, message) => this.queue.push(time, { kind: 'deliver', message }));
    this.initialVoters = Array.from({ length: options.nodes }, (_, i) => i + 1);
    const factory = (nodeId: NodeId, nodeDisk: SimDisk, random: SeededRandom) =>
      coreConfig(nodeId, nodeDisk, random, this.coreOptions, options.bug);
    for (let id = 1; id <= options.nodes + this.spares; id++) {
      // Spares know the bootstrap configuration too; they are simply not in it.
      const disk = new SimDisk(this.initialVoters, root.fork());
      this.nodes.push(new SimNode(id, disk, root.fork(), factory, this, this.coreOptions.snapshotIntervalEntries));
      this.tickPhases.push(root.int(TICK_UNITS));
    }
    const clientRandom = root.fork();
    const load = { writeProbability: 0.3 + 0.5 * clientRandom.float(), readProbability: 0.2 + 0.4 * clientRandom.float() };
    this.clients = new SimClients(clientRandom, this.nodes, this.checkers, load, (node) => this.currentMembers().has(node.id));
    this.faults = new FaultInjector(root.fork(), this, drawFaultRates(root.fork()));
    const removals = this.coreOptions.preVote || this.coreOptions.checkQuorum;
    this.membership = new MembershipOperator(root.fork(), this, membershipRates, options.nodes, removals);
  }

  run(): RunSeedResult {
    const o = this.options;
    const options = this.coreOptions;
    this.trace(
      `seed ${o.seed}: ${o.nodes} nodes + ${this.spares} spares, ${this.steps} steps${o.bug ? `, bug ${o.bug}` : ''}; ` +
        `preVote ${options.preVote} checkQuorum ${options.checkQuorum} maxMsgBytes ${options.maxSizePerMessageBytes} ` +
        `maxInflight ${options.maxInflightMessages}; snapshot ` +
        (options.snapshotIntervalEntries === 0 ? 'never' : `every ~${options.snapshotIntervalEntries} entries`) +
        ` trailing ${options.snapshotTrailingEntries} chunks ${options.snapshotChunkBytes} B × ${options.maxInflightSnapshotChunks}` +
        ` timeout ${options.snapshotTimeoutTicks} ticks`,
    );
    this.guard(() => {
      for (const node of this.nodes) this.restart(node);
    });
    for (let step = 0; this.failure === null; step++) {
      if (step >= this.steps && (this.checkers.liveness.done || !this.checkers.liveness.started)) break;
      this.runStep(step);
    }
    if (this.failure !== null) this.trace(`FAILED ${this.failure.property}: ${this.failure.detail}`);
    return {
      seed: o.seed,
      nodes: o.nodes,
      steps: this.steps,
      bug: o.bug,
      coreOptions: this.coreOptions,
      ok: this.failure === null,
      failure: this.failure,
      stats: this.stats(),
    };
  }

  private runStep(step: number): void {
    this.currentStep = step;
    const start = step * TICK_UNITS;
    const end = start + TICK_UNITS;
    this.time = start;
    this.guard(() => {
      if (step === this.healStep) this.heal();
      if (this.faultPhase) {
        this.faults.step();
        this.membership.step();
      }
      this.clients.step(step);
      for (let i = 0; i < this.nodes.length; i++) {
        const node = this.nodes[i]!;
        if (node.isRunning) this.queue.push(start + this.tickPhases[i]!, { kind: 'tick', node });
      }
    });
    while (this.failure === null && this.queue.peekTime() < end) {
      this.time = this.queue.peekTime();
      const event = this.queue.pop();
      try {
        this.handle(event);
      } catch (error) {
        this.onThrow(error);
      }
      if (this.checkers.violation !== null) this.takeViolation();
    }
    if (this.failure !== null) return;
    this.time = end;
    this.guard(() => this.poll(step));
  }

  private handle(event: SimEvent): void {
    switch (event.kind) {
      case 'tick':
        event.node.tick();
        return;
      case 'deliver':
        if (this.network.arrive(event.message)) this.nodeById(event.message.to).receive(event.message);
        return;
      case 'redeliver':
        this.nodeById(event.message.to).receive(event.message);
        return;
      case 'write-done':
        event.node.completeWrite(event.incarnation);
        return;
      case 'action':
        event.run();
        return;
      default: {
        const unknown: never = event;
        throw new Error(`unknown event ${JSON.stringify(unknown)}`);
      }
    }
  }

  /**
   * End of a step: poll every node, and after the heal check liveness — over the members
   * of the newest configuration only (a removed node hears from no leader any more).
   */
  private poll(step: number): void {
    const members = this.currentMembers();
    let leaderTerm = -1;
    let maxTermUp = 0;
    for (const node of this.nodes) {
      const status = node.status();
      if (status === null) continue;
      this.checkers.onStatus(status, node.incarnation, node.stateMachine.appliedIndex);
      if (this.checkers.violation !== null) break;
      this.maxTerm = Math.max(this.maxTerm, status.term);
      if (status.role === 'leader') this.noteLeader(node, status.term);
      if (!members.has(node.id)) continue;
      maxTermUp = Math.max(maxTermUp, status.term);
      if (status.role === 'leader' && node.isRunning) leaderTerm = Math.max(leaderTerm, status.term);
    }
    const leaderExists = leaderTerm >= maxTermUp;
    if (this.checkers.liveness.started && !this.checkers.liveness.done) {
      this.checkers.checkLiveness({
        step,
        leaderExists,
        appliedIndexes: this.nodes.filter((node) => members.has(node.id)).map((node) => node.stateMachine.appliedIndex),
      });
      if (this.checkers.liveness.done) this.trace(`liveness: leader and every pending write applied ${step - this.healStep} ticks after heal`);
    }
    this.takeViolation();
  }

  /** The end of the fault phase: repair everything and start the liveness clock. */
  private heal(): void {
    this.faultPhase = false;
    this.faults.stop();
    this.membership.stop();
    this.network.healPartitions();
    this.network.setProfile(HEALED_NETWORK);
    for (const node of this.nodes) {
      node.disk.stallProbability = 0;
      if (!node.isUp) this.restart(node);
      if (node.isPaused) this.resume(node);
    }
    this.clients.retryAllWrites(this.currentStep);
    this.trace(
      `heal: all nodes up, network healed, ${this.clients.pendingWrites} writes pending; ` +
        `configuration ${formatConf(this.checkers.latestConfig() ?? this.bootstrapConfig())}`,
    );
    this.checkers.beginLiveness(this.clients.issuedWriteIds(), this.healStep + LIVENESS_TICKS);
  }

  // FaultTarget

  leader(): SimNode | null {
    let best: SimNode | null = null;
    let bestTerm = -1;
    for (const node of this.nodes) {
      if (!node.isRunning) continue;
      const status = node.status()!;
      if (status.role === 'leader' && status.term > bestTerm) {
        best = node;
        bestTerm = status.term;
      }
    }
    return best;
  }

  voters(): readonly SimNode[] {
    const config = this.checkers.latestConfig() ?? this.bootstrapConfig();
    const ids = new Set([...config.voters, ...config.votersOutgoing]);
    return this.nodes.filter((node) => ids.has(node.id));
  }

  proposeConfChange(node: SimNode, cc: ConfChange): string | null {
    try {
      node.withCore((raw) => raw.proposeConfChange(cc));
      return null;
    } catch (error) {
      if (!isRefusal(error)) throw error;
      return refusalReason(error);
    }
  }

  crash(node: SimNode): void {
    node.crash();
    this.checkers.onCrash(node.id);
    this.clients.onCrash(node);
  }

  restart(node: SimNode): void {
    node.start();
  }

  pause(node: SimNode): void {
    node.pause();
  }

  resume(node: SimNode): void {
    const held = node.resume();
    // A resumed process drains its socket buffers in no particular order.
    for (const message of held) this.queue.push(this.time + this.network.latency(), { kind: 'redeliver', message });
  }

  transferLeadership(node: SimNode, to: NodeId): void {
    if (node.isRunning) node.withCore((raw) => raw.transferLeadership(to));
  }

  campaign(node: SimNode): void {
    if (node.isRunning) node.withCore((raw) => raw.campaign());
  }

  defer(delayUnits: number, action: () => void): void {
    this.queue.push(this.time + Math.max(0, Math.floor(delayUnits)), { kind: 'action', run: action });
  }

  trace(line: string): void {
    this.options.trace?.(`t=${(this.time / TICK_UNITS).toFixed(2)} ${line}`);
  }

  // SimNodeEnvironment

  now(): number {
    return this.time;
  }

  onStart(node: SimNode, start: NodeStart): void {
    if (start.restored !== null) this.snapshotStats.restoredOnRestart++;
    this.checkers.onStart(node.id, start);
  }

  onSnapshotInstalled(node: SimNode, metadata: SnapshotMetadata, state: StateSummary): void {
    this.snapshotStats.installed++;
    this.trace(`n${node.id} installs snapshot ${metadata.index}/term ${metadata.term}`);
    this.checkers.onSnapshotInstalled(node.id, metadata, state);
    this.clients.onRestored(node);
  }

  onSnapshotTaken(node: SimNode, metadata: SnapshotMetadata, state: StateSummary): void {
    this.snapshotStats.taken++;
    this.checkers.onSnapshotTaken(node.id, metadata, state);
  }

  onConfChangesApplied(node: SimNode, confEntryIndexes: readonly number[], applied: readonly AppliedConfChange[]): void {
    this.checkers.onConfChangesApplied(node.id, confEntryIndexes, applied);
    for (const change of applied) {
      if (change.index <= this.lastTracedConfIndex) continue;
      this.lastTracedConfIndex = change.index;
      this.trace(`n${node.id} applies the membership change at ${change.index}: ${formatConf(change.confState)}`);
    }
  }

  onStep(_node: SimNode, message: Message): void {
    this.checkers.onMessageStepped(message);
  }

  scheduleWriteCompletion(node: SimNode, incarnation: number, time: number): void {
    this.queue.push(time, { kind: 'write-done', node, incarnation });
  }

  onReady(node: SimNode, ready: Ready): void {
    this.checkers.onReady(node.id, node.incarnation, ready, node.readyRole, node.readyTerm);
    if (node.readyRole === 'leader') this.noteLeader(node, node.readyTerm);
  }

  onPersisted(node: SimNode, _entries: readonly Entry[], hardState: HardState | null): void {
    this.checkers.onPersisted(node.id, hardState);
    if (hardState === null || hardState.vote === NONE || hardState.vote === node.id) return;
    const previous = this.durableVotes.get(node.id);
    if (previous !== undefined && previous.term === hardState.term && previous.vote === hardState.vote) return;
    this.durableVotes.set(node.id, { term: hardState.term, vote: hardState.vote });
    if (this.faultPhase) this.faults.onVoted(node);
  }

  send(message: Message): void {
    this.checkers.onMessageSent(message);
    this.network.send(message, this.time);
  }

  onApplied(node: SimNode, entry: Entry, result: ApplyResult): void {
    this.entriesApplied++;
    this.checkers.onApplied(node.id, entry.index, result.payload, result.digest);
    this.clients.onApplied(node, entry, result);
  }

  onReadStates(node: SimNode, readStates: readonly ReadState[]): void {
    this.clients.onReadStates(node, readStates);
  }

  onWriteDone(node: SimNode): void {
    this.clients.onWriteDone(node);
  }

  // Helpers

  /** Members of the newest configuration any node applied. */
  private currentMembers(): ReadonlySet<NodeId> {
    const config = this.checkers.latestConfig() ?? this.bootstrapConfig();
    if (this.membersOf?.config !== config) {
      const members = new Set([...config.voters, ...config.votersOutgoing, ...config.learners, ...config.learnersNext]);
      this.membersOf = { config, members };
    }
    return this.membersOf.members;
  }

  private bootstrapConfig(): ConfState {
    return { voters: this.initialVoters, learners: [], votersOutgoing: [], learnersNext: [] };
  }

  private noteLeader(node: SimNode, term: number): void {
    if (this.leaderTerms.has(term)) return;
    this.leaderTerms.add(term);
    this.trace(`n${node.id} becomes leader term ${term}`);
    if (this.faultPhase) this.faults.onNewLeader(node);
  }

  private nodeById(id: NodeId): SimNode {
    const node = this.nodes[id - 1];
    if (node === undefined) throw new Error(`message to unknown node ${id}`);
    return node;
  }

  /** Run `action`; a core that throws is a failure, anything else is a simulator bug. */
  private guard(action: () => void): void {
    try {
      action();
    } catch (error) {
      this.onThrow(error);
    }
    this.takeViolation();
  }

  private onThrow(error: unknown): void {
    if (!(error instanceof CoreThrewError)) throw error;
    this.checkers.report({ property: 'core-invariant', detail: error.message });
    this.takeViolation();
  }

  private takeViolation(): void {
    const found = this.checkers.violation;
    if (found !== null && this.failure === null) this.failure = { ...found, step: this.currentStep };
  }

  private stats(): SimStats {
    return {
      steps: this.currentStep + 1,
      healStep: this.healStep,
      livenessTicks: this.checkers.liveness.done ? this.checkers.liveness.satisfiedAt - this.healStep : -1,
      elections: this.checkers.electionSafety.elections,
      maxTerm: this.maxTerm,
      committedIndex: this.checkers.leaderCompleteness.committedIndex,
      entriesApplied: this.entriesApplied,
      clients: { ...this.clients.stats },
      faults: { ...this.faults.counts },
      network: { ...this.network.stats },
      spares: this.spares,
      membership: { proposed: { ...this.membership.counts.proposed }, refused: this.membership.counts.refused },
      confChangesApplied: this.checkers.configuration.changesRecorded,
      snapshots: {
        ...this.snapshotStats,
        transfersStarted: this.checkers.snapshotRestarts.transfersStarted,
        transferRestarts: this.checkers.snapshotRestarts.restarts,
      },
      checksRun: this.checkers.checksRun,
    };
  }
}
