/**
 * One simulated node: a durable disk, and — while it is up — a `RawNode`, a state
 * machine and at most one Ready being written. The driver loop follows the core's Ready
 * contract to the letter: take a Ready, write it to disk (taking a random time), and only
 * when the write completes install its snapshot (storage, then state machine), persist
 * its entries and hard state, send its messages, apply its committed entries, hand out
 * its read states and `advance()`. While a write is pending the node keeps ticking and
 * stepping messages but takes no new Ready.
 *
 * Snapshots: after an `advance()`, once about `snapshotIntervalEntries` entries were
 * applied since the last snapshot (jittered each time), the node snapshots its state
 * machine through `RawNode.createSnapshot`, stores it and compacts as the plan says.
 *
 * Faults: `crash()` loses everything but the disk (the pending write included);
 * `start()` after it builds a new RawNode on the same disk, with the state machine
 * restored from the stored snapshot; `pause()` freezes the process (no ticks, no
 * deliveries, no disk completions) until `resume()`.
 */
import type { RaftConfig } from '../core/config.js';
import type { SeededRandom } from '../core/random.js';
import { RaftError } from '../core/errors.js';
import { RawNode } from '../core/raw-node.js';
import type { SnapshotPlan } from '../core/raw-node.js';
import type { Status } from '../core/status.js';
import { EntryType } from '../core/types.js';
import type {
  AppliedConfChange,
  Entry,
  HardState,
  Message,
  NodeId,
  ReadState,
  Ready,
  Role,
  Snapshot,
  SnapshotMetadata,
} from '../core/types.js';
import type { NodeStart } from './checkers/checker-suite.js';
import { INBOX_MAX } from './constants.js';
import type { SimDisk } from './sim-disk.js';
import { CoreThrewError, isRefusal } from './sim-errors.js';
import { SimStateMachine } from './sim-state-machine.js';
import type { ApplyResult, StateSummary } from './sim-state-machine.js';

/** What the node reports to the simulator; every call is synchronous. */
export interface SimNodeEnvironment {
  now(): number;
  /** The node (re)starts from what its disk holds; called before its core exists. */
  onStart(node: SimNode, start: NodeStart): void;
  /** Call `completeWrite(incarnation)` on the node at virtual time `time`. */
  scheduleWriteCompletion(node: SimNode, incarnation: number, time: number): void;
  /** A Ready was taken, before anything of it was persisted. */
  onReady(node: SimNode, ready: Ready): void;
  /** A Ready's snapshot is installed: durable, and the state machine restored from it. */
  onSnapshotInstalled(node: SimNode, metadata: SnapshotMetadata, state: StateSummary): void;
  /** A Ready's entries and hard state are durable. */
  onPersisted(node: SimNode, entries: readonly Entry[], hardState: HardState | null): void;
  send(message: Message): void;
  onApplied(node: SimNode, entry: Entry, result: ApplyResult): void;
  onReadStates(node: SimNode, readStates: readonly ReadState[]): void;
  /**
   * `advance()` returned: `confEntryIndexes` are the membership change entries the node
   * just applied, `applied` the configurations the core says they produced.
   */
  onConfChangesApplied(node: SimNode, confEntryIndexes: readonly number[], applied: readonly AppliedConfChange[]): void;
  /** The node took a snapshot of its state machine (`state`) and stored it. */
  onSnapshotTaken(node: SimNode, metadata: SnapshotMetadata, state: StateSummary): void;
  /** `message` is about to be stepped into the node's core. */
  onStep(node: SimNode, message: Message): void;
  /** A write job finished (everything above for it has been reported). */
  onWriteDone(node: SimNode): void;
}

/** Builds the core's config for one incarnation of a node. */
export type CoreConfigFactory = (id: NodeId, disk: SimDisk, random: SeededRandom) => RaftConfig;

interface WriteJob {
  readonly ready: Ready;
  /** Set when the write completed while the process was paused. */
  completedWhilePaused: boolean;
}

export class SimNode {
  private raw: RawNode | null = null;
  private job: WriteJob | null = null;
  private inbox: Message[] = [];
  private pausedFlag = false;
  /** Bumped at each crash, so that events of a previous life are ignored. */
  incarnation = 0;
  stateMachine = new SimStateMachine();
  /** Role and term as of the last Ready taken (what the rest of the world has seen). */
  readyRole: Role = 'follower';
  readyTerm = 0;
  /** Messages dropped because the inbox of the paused node was full. */
  inboxDropped = 0;
  /** The next snapshot is taken once the applied index reaches this. */
  private nextSnapshotIndex = Infinity;

  /** `snapshotIntervalEntries`: about how many applied entries between snapshots (0: never). */
  constructor(
    readonly id: NodeId,
    readonly disk: SimDisk,
    private readonly random: SeededRandom,
    private readonly configFactory: CoreConfigFactory,
    private readonly env: SimNodeEnvironment,
    private readonly snapshotIntervalEntries = 0,
  ) {}

  get isUp(): boolean {
    return this.raw !== null;
  }

  get isPaused(): boolean {
    return this.pausedFlag;
  }

  /** Up and not paused: it ticks, receives and serves clients. */
  get isRunning(): boolean {
    return this.raw !== null && !this.pausedFlag;
  }

  get hasPendingWrite(): boolean {
    return this.job !== null;
  }

  /**
   * Start (or restart after a crash) from whatever the disk holds: the state machine
   * restored from the stored snapshot (the core then applies from its index on).
   */
  start(): void {
    if (this.raw !== null) throw new Error(`n${this.id} is already up`);
    const snapshot = this.disk.durableSnapshot();
    const restored = snapshot.metadata.index > 0;
    this.stateMachine = restored
      ? this.core('restore the stored snapshot', () => SimStateMachine.restore(snapshot.data))
      : new SimStateMachine();
    this.scheduleNextSnapshot();
    this.env.onStart(this, {
      hardState: this.disk.durableHardState(),
      logBase: this.disk.logBase(),
      entries: this.disk.durableEntries(),
      snapshot: snapshot.metadata,
      restored: restored ? this.stateMachine.summary : null,
    });
    const config = this.configFactory(this.id, this.disk, this.random.fork());
    this.raw = this.core('start', () => new RawNode(config));
    this.readyRole = 'follower';
    this.readyTerm = this.disk.durableHardState().term;
    this.maybeTakeReady();
  }

  crash(): void {
    if (this.raw === null) return;
    this.raw = null;
    this.job = null;
    this.inbox = [];
    this.pausedFlag = false;
    this.incarnation++;
    this.stateMachine = new SimStateMachine();
    this.readyRole = 'follower';
  }

  pause(): void {
    if (this.raw !== null) this.pausedFlag = true;
  }

  /** Unfreeze; returns the messages that arrived meanwhile, for redelivery. */
  resume(): Message[] {
    if (!this.pausedFlag) return [];
    this.pausedFlag = false;
    const held = this.inbox;
    this.inbox = [];
    if (this.job?.completedWhilePaused) this.finishWrite();
    else this.maybeTakeReady();
    return held;
  }

  status(): Status | null {
    return this.raw === null ? null : this.raw.status();
  }

  tick(): void {
    if (!this.isRunning) return;
    const raw = this.raw!;
    this.core('tick', () => raw.tick());
    this.maybeTakeReady();
  }

  /** A message arrives from the network. */
  receive(message: Message): void {
    if (this.raw === null) return;
    if (this.pausedFlag) {
      if (this.inbox.length < INBOX_MAX) this.inbox.push(message);
      else this.inboxDropped++;
      return;
    }
    const raw = this.raw;
    this.env.onStep(this, message);
    this.core(() => `step ${message.type} from n${message.from}`, () => raw.step(message));
    this.maybeTakeReady();
  }

  /**
   * Run a client or operator `action` against the core of a running node, then look for
   * a Ready. The core's allowed refusals are rethrown as they are.
   */
  withCore(action: (raw: RawNode) => void): void {
    if (!this.isRunning) throw new Error(`n${this.id} is not running`);
    const raw = this.raw!;
    try {
      action(raw);
    } catch (error) {
      if (isRefusal(error)) throw error;
      throw new CoreThrewError(this.id, 'a client request', error);
    } finally {
      this.maybeTakeReady();
    }
  }

  /** The disk write of incarnation `incarnation` completed. */
  completeWrite(incarnation: number): void {
    if (incarnation !== this.incarnation || this.job === null) return;
    if (this.pausedFlag) {
      this.job.completedWhilePaused = true;
      return;
    }
    this.finishWrite();
  }

  private finishWrite(): void {
    const ready = this.job!.ready;
    // The Ready contract's order: install, persist, send, apply, reads, advance.
    if (ready.snapshot !== null) this.install(ready.snapshot);
    this.disk.write(ready.entries, ready.hardState);
    this.env.onPersisted(this, ready.entries, ready.hardState);
    for (const message of ready.messages) this.env.send(message);
    const confEntryIndexes: number[] = [];
    for (const entry of ready.committedEntries) {
      if (entry.type === EntryType.ConfChange) confEntryIndexes.push(entry.index);
      this.env.onApplied(this, entry, this.stateMachine.apply(entry));
    }
    if (ready.readStates.length > 0) this.env.onReadStates(this, ready.readStates);
    const raw = this.raw!;
    const applied = this.core('advance', () => raw.advance());
    if (confEntryIndexes.length > 0 || applied.length > 0) this.env.onConfChangesApplied(this, confEntryIndexes, applied);
    this.job = null;
    this.maybeSnapshot();
    this.env.onWriteDone(this);
    this.maybeTakeReady();
  }

  /** Install a snapshot from the leader: storage first, then the state machine from its data. */
  private install(snapshot: Snapshot): void {
    this.core('install a snapshot in storage', () => this.disk.installSnapshot(snapshot));
    this.stateMachine = this.core('restore a received snapshot', () => SimStateMachine.restore(snapshot.data));
    this.scheduleNextSnapshot();
    this.env.onSnapshotInstalled(this, snapshot.metadata, this.stateMachine.summary);
  }

  /** Snapshot the state machine when the policy says so; the snapshot is durable at once. */
  private maybeSnapshot(): void {
    const index = this.stateMachine.appliedIndex;
    if (index < this.nextSnapshotIndex) return;
    const raw = this.raw!;
    const data = this.stateMachine.encode();
    let plan: SnapshotPlan;
    try {
      plan = raw.createSnapshot(index, data);
    } catch (error) {
      // A snapshot received from the leader and not yet handed out in a Ready is newer
      // than this state: the core refuses, and the install will replace the state anyway.
      if (error instanceof RaftError && error.code === 'SNAPSHOT_OUT_OF_DATE') {
        this.scheduleNextSnapshot();
        return;
      }
      throw new CoreThrewError(this.id, 'createSnapshot', error);
    }
    this.core('store a snapshot', () => this.disk.saveSnapshot(plan));
    this.scheduleNextSnapshot();
    this.env.onSnapshotTaken(this, plan.snapshot.metadata, this.stateMachine.summary);
  }

  /** The next snapshot point: in [interval/2, 3·interval/2] entries past the stored snapshot. */
  private scheduleNextSnapshot(): void {
    const interval = this.snapshotIntervalEntries;
    if (interval === 0) {
      this.nextSnapshotIndex = Infinity;
      return;
    }
    const from = Math.max(this.stateMachine.appliedIndex, this.disk.storage.snapshotMetadata().index);
    this.nextSnapshotIndex = from + Math.max(1, Math.floor(interval / 2) + this.random.int(interval + 1));
  }

  private maybeTakeReady(): void {
    const raw = this.raw;
    if (raw === null || this.pausedFlag || this.job !== null) return;
    if (!this.core('hasReady', () => raw.hasReady())) return;
    const ready = this.core('ready', () => raw.ready());
    if (ready.softState !== null) this.readyRole = ready.softState.role;
    if (ready.hardState !== null) this.readyTerm = ready.hardState.term;
    this.job = { ready, completedWhilePaused: false };
    this.env.onReady(this, ready);
    this.env.scheduleWriteCompletion(this, this.incarnation, this.env.now() + this.disk.writeLatency());
  }

  /** Call into the core, turning anything it throws into a `CoreThrewError`. */
  private core<T>(during: string | (() => string), call: () => T): T {
    try {
      return call();
    } catch (error) {
      throw new CoreThrewError(this.id, typeof during === 'string' ? during : during(), error);
    }
  }
}
