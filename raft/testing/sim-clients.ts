/**
 * Simulated clients. Throughout a run they propose writes (each with a unique id) and
 * issue linearizable reads (ReadIndex) to random running nodes — members of the newest
 * configuration mostly, and only them once the cluster is healed (a removed node has no
 * leader to serve them).
 *
 * - A write is acknowledged when the node it was last sent to applies an entry carrying
 *   its id (a re-proposal included), or restores a snapshot that contains it. Until then
 *   it stays pending and is proposed again (same id) every `WRITE_RETRY_TICKS`, or sooner
 *   when the node refused it; re-proposals are deduplicated by the state machine (the
 *   first apply counts).
 * - A read starts when `readIndex` is called; once a ReadState with its context reaches
 *   that node and the node has applied up to the read index, it is served and returns the
 *   node's applied index. A read whose node crashes, or that takes longer than
 *   `READ_TIMEOUT_TICKS`, is forgotten (its request or answer was lost).
 */
import type { SeededRandom } from '../core/random.js';
import type { Entry, ReadState } from '../core/types.js';
import type { CheckerSuite } from './checkers/checker-suite.js';
import { encodeWrite } from './command-codec.js';
import { PENDING_READS_MAX, PENDING_WRITES_MAX, READ_TIMEOUT_TICKS, WRITE_RETRY_TICKS } from './constants.js';
import { isRefusal } from './sim-errors.js';
import type { SimNode } from './sim-node.js';
import type { ApplyResult } from './sim-state-machine.js';

/** How busy the clients are: chance per step of issuing one new write / read. */
export interface ClientLoad {
  readonly writeProbability: number;
  readonly readProbability: number;
}

export interface ClientStats {
  writesIssued: number;
  writesAcked: number;
  proposalsRefused: number;
  readsStarted: number;
  readsRefused: number;
  readsServed: number;
  readsAbandoned: number;
}

interface PendingWrite {
  readonly id: number;
  /** The node the latest attempt went to. */
  node: SimNode;
  /** Step of the next attempt. */
  retryStep: number;
  /** Attempts that reached a core (not refused), for exponential back-off. */
  attempts: number;
}

interface PendingRead {
  readonly id: string;
  readonly node: SimNode;
  readonly incarnation: number;
  readonly startStep: number;
  /** Set once the ReadState arrived. */
  readIndex: number;
}

/** Retry soon after a refusal (no leader yet, transfer under way), with jitter. */
const REFUSED_RETRY_TICKS_MIN = 2;
const REFUSED_RETRY_TICKS_JITTER = 6;
/** Back-off of unanswered writes doubles up to this many times `WRITE_RETRY_TICKS`. */
const WRITE_BACKOFF_FACTOR_MAX = 8;
/** At most this many write attempts (new or retried) per step, like a client's connection pool. */
const WRITE_ATTEMPTS_PER_STEP_MAX = 6;
/** During the fault phase, share of requests sent to a member (the rest to any running node). */
const MEMBER_PREFERENCE = 0.9;

export class SimClients {
  private nextWriteId = 1;
  private nextReadId = 1;
  private readonly writes = new Map<number, PendingWrite>();
  private readonly reads = new Map<string, PendingRead>();
  readonly stats: ClientStats = {
    writesIssued: 0,
    writesAcked: 0,
    proposalsRefused: 0,
    readsStarted: 0,
    readsRefused: 0,
    readsServed: 0,
    readsAbandoned: 0,
  };

  /** Set at the heal: requests go to members only. */
  private membersOnly = false;

  /** `isMember`: whether a node belongs to the newest configuration. */
  constructor(
    private readonly random: SeededRandom,
    private readonly nodes: readonly SimNode[],
    private readonly checkers: CheckerSuite,
    public load: ClientLoad,
    private readonly isMember: (node: SimNode) => boolean = () => true,
  ) {}

  /** Ids of every write issued so far (acknowledged or not). */
  issuedWriteIds(): number[] {
    return Array.from({ length: this.nextWriteId - 1 }, (_, i) => i + 1);
  }

  get pendingWrites(): number {
    return this.writes.size;
  }

  /** Once per step: new requests, retries and timeouts. */
  step(step: number): void {
    let attempts = 0;
    for (const write of this.writes.values()) {
      if (attempts >= WRITE_ATTEMPTS_PER_STEP_MAX) break;
      if (write.retryStep > step) continue;
      attempts++;
      this.attemptWrite(write, step);
    }
    for (const read of this.reads.values()) {
      if (step - read.startStep >= READ_TIMEOUT_TICKS) this.abandonRead(read);
    }
    if (this.writes.size < PENDING_WRITES_MAX && this.random.chance(this.load.writeProbability)) {
      const write: PendingWrite = { id: this.nextWriteId++, node: this.nodes[0]!, retryStep: step, attempts: 0 };
      this.writes.set(write.id, write);
      this.stats.writesIssued++;
      this.attemptWrite(write, step);
    }
    if (this.reads.size < PENDING_READS_MAX && this.random.chance(this.load.readProbability)) this.startRead(step);
  }

  /** `node` applied `entry`. */
  onApplied(node: SimNode, entry: Entry, result: ApplyResult): void {
    if (result.payload <= 0) return;
    const write = this.writes.get(result.payload);
    if (write === undefined || write.node !== node) return;
    this.acknowledge(write, entry.index);
  }

  /** `node` restored a snapshot: the writes sent to it that the snapshot holds are done. */
  onRestored(node: SimNode): void {
    for (const write of this.writes.values()) {
      if (write.node !== node || !node.stateMachine.hasApplied(write.id)) continue;
      this.acknowledge(write, this.checkers.firstAppliedIndex(write.id) ?? node.stateMachine.appliedIndex);
    }
  }

  onReadStates(node: SimNode, readStates: readonly ReadState[]): void {
    for (const state of readStates) {
      const read = this.reads.get(state.context);
      if (read === undefined || read.node !== node || read.incarnation !== node.incarnation || read.readIndex > 0) continue;
      read.readIndex = state.index;
    }
  }

  /** `node` finished a write job: serve the reads it can now serve. */
  onWriteDone(node: SimNode): void {
    const applied = node.stateMachine.appliedIndex;
    for (const read of this.reads.values()) {
      if (read.node !== node || read.readIndex === 0 || read.incarnation !== node.incarnation) continue;
      if (applied < read.readIndex) continue;
      this.reads.delete(read.id);
      this.stats.readsServed++;
      this.checkers.onReadServed(read.id, read.readIndex, applied);
    }
  }

  /** `node` crashed: its clients' connections broke, so their reads are lost. */
  onCrash(node: SimNode): void {
    for (const read of this.reads.values()) if (read.node === node) this.abandonRead(read);
  }

  /**
   * The cluster was repaired: clients reconnect and retry every pending write within one
   * retry period (spread out, so as not to bury the new leader in copies at once).
   */
  retryAllWrites(step: number): void {
    this.membersOnly = true;
    for (const write of this.writes.values()) {
      write.retryStep = step + this.random.int(WRITE_RETRY_TICKS);
      write.attempts = Math.min(write.attempts, 1);
    }
  }

  private attemptWrite(write: PendingWrite, step: number): void {
    const node = this.pickRunningNode();
    // Unanswered writes back off exponentially (a stuck leader must not be buried in
    // copies of the same write).
    const backoff = Math.min(2 ** write.attempts, WRITE_BACKOFF_FACTOR_MAX);
    write.retryStep = step + WRITE_RETRY_TICKS * backoff + this.random.int(WRITE_RETRY_TICKS);
    if (node === null) return;
    write.node = node;
    try {
      node.withCore((raw) => raw.propose(encodeWrite(write.id)));
      write.attempts++;
    } catch (error) {
      if (!isRefusal(error)) throw error;
      this.stats.proposalsRefused++;
      write.retryStep = step + REFUSED_RETRY_TICKS_MIN + this.random.int(REFUSED_RETRY_TICKS_JITTER);
    }
  }

  private startRead(step: number): void {
    const node = this.pickRunningNode();
    if (node === null) return;
    const read: PendingRead = { id: `r${this.nextReadId++}`, node, incarnation: node.incarnation, startStep: step, readIndex: 0 };
    this.reads.set(read.id, read);
    this.checkers.onReadStart(read.id);
    this.stats.readsStarted++;
    try {
      node.withCore((raw) => raw.readIndex(read.id));
    } catch (error) {
      if (!isRefusal(error)) throw error;
      this.stats.readsRefused++;
      this.reads.delete(read.id);
      this.checkers.onReadAbandoned(read.id);
    }
  }

  private acknowledge(write: PendingWrite, index: number): void {
    this.writes.delete(write.id);
    this.stats.writesAcked++;
    this.checkers.onWriteAck(write.id, index);
  }

  private abandonRead(read: PendingRead): void {
    this.reads.delete(read.id);
    this.stats.readsAbandoned++;
    this.checkers.onReadAbandoned(read.id);
  }

  private pickRunningNode(): SimNode | null {
    const membersOnly = this.membersOnly || this.random.chance(MEMBER_PREFERENCE);
    const start = this.random.int(this.nodes.length);
    for (let i = 0; i < this.nodes.length; i++) {
      const node = this.nodes[(start + i) % this.nodes.length]!;
      if (node.isRunning && (!membersOnly || this.isMember(node))) return node;
    }
    return null;
  }
}
