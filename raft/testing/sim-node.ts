/**
 * One simulated member: a durable disk, and — while it is up — a `RawNode`, a state
 * machine and at most one Ready being written. The driver loop follows the core's Ready
 * contract to the letter: take a Ready, write it to disk (taking a random time), and only
 * when the write completes send its messages, apply its committed entries, hand out its
 * read states and `advance()`. While a write is pending the node keeps ticking and
 * stepping messages but takes no new Ready.
 *
 * Faults: `crash()` loses everything but the disk (the pending write included);
 * `restart()` builds a new RawNode on the same disk; `pause()` freezes the process
 * (no ticks, no deliveries, no disk completions) until `resume()`.
 */
import type { RaftConfig } from '../core/config.js';
import type { SeededRandom } from '../core/random.js';
import { RawNode } from '../core/raw-node.js';
import type { Status } from '../core/status.js';
import type { Entry, HardState, Message, NodeId, ReadState, Ready, Role } from '../core/types.js';
import { INBOX_MAX } from './constants.js';
import type { SimDisk } from './sim-disk.js';
import { CoreThrewError, isRefusal } from './sim-errors.js';
import { SimStateMachine } from './sim-state-machine.js';
import type { ApplyResult } from './sim-state-machine.js';

/** What the node reports to the simulator; every call is synchronous. */
export interface SimNodeEnvironment {
  now(): number;
  /** Call `completeWrite(incarnation)` on the node at virtual time `time`. */
  scheduleWriteCompletion(node: SimNode, incarnation: number, time: number): void;
  /** A Ready was taken, before anything of it was persisted. */
  onReady(node: SimNode, ready: Ready): void;
  /** A Ready's entries and hard state are durable. */
  onPersisted(node: SimNode, entries: readonly Entry[], hardState: HardState | null): void;
  send(message: Message): void;
  onApplied(node: SimNode, entry: Entry, result: ApplyResult): void;
  onReadStates(node: SimNode, readStates: readonly ReadState[]): void;
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

  constructor(
    readonly id: NodeId,
    readonly disk: SimDisk,
    private readonly random: SeededRandom,
    private readonly configFactory: CoreConfigFactory,
    private readonly env: SimNodeEnvironment,
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

  /** Start (or restart after a crash) from whatever the disk holds. */
  start(): void {
    if (this.raw !== null) throw new Error(`n${this.id} is already up`);
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
    // The Ready contract's order: persist, then send, then apply, then reads, then advance.
    this.disk.write(ready.entries, ready.hardState);
    this.env.onPersisted(this, ready.entries, ready.hardState);
    for (const message of ready.messages) this.env.send(message);
    for (const entry of ready.committedEntries) this.env.onApplied(this, entry, this.stateMachine.apply(entry));
    if (ready.readStates.length > 0) this.env.onReadStates(this, ready.readStates);
    const raw = this.raw!;
    this.core('advance', () => raw.advance());
    this.job = null;
    this.env.onWriteDone(this);
    this.maybeTakeReady();
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
