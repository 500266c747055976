/**
 * A node's simulated disk: a durable `MemoryStorage` that survives crashes, and the
 * latency of writing one Ready batch to it (sometimes a stall). What was not written
 * before a crash is lost, because it only ever lived in the node's pending write job.
 * Snapshots the application takes itself are durable at once (they are written beside
 * the log, off the Ready path); a snapshot received from the leader becomes durable with
 * the Ready that carries it.
 */
import type { SnapshotPlan } from '../core/raw-node.js';
import type { SeededRandom } from '../core/random.js';
import type { Entry, EntryId, HardState, Snapshot } from '../core/types.js';
import { MemoryStorage } from '../storage/memory-storage.js';
import { DISK_LATENCY_UNITS_MAX, DISK_LATENCY_UNITS_MIN, DISK_STALL_UNITS_MAX } from './constants.js';

export class SimDisk {
  readonly storage: MemoryStorage;
  /** Probability that one write takes up to `DISK_STALL_UNITS_MAX` instead of the usual. */
  stallProbability = 0;

  /** `voters`: the cluster's bootstrap configuration (a spare node knows it too). */
  constructor(
    voters: readonly number[],
    private readonly random: SeededRandom,
  ) {
    this.storage = new MemoryStorage(voters);
  }

  /** How long the next write takes, in virtual time units. */
  writeLatency(): number {
    const stalled = this.stallProbability > 0 && this.random.chance(this.stallProbability);
    const max = stalled ? DISK_STALL_UNITS_MAX : DISK_LATENCY_UNITS_MAX;
    return DISK_LATENCY_UNITS_MIN + this.random.int(max - DISK_LATENCY_UNITS_MIN + 1);
  }

  /** Install a snapshot from the leader: it replaces the whole stored log. */
  installSnapshot(snapshot: Snapshot): void {
    this.storage.applySnapshot(snapshot);
  }

  /** Make a Ready's entries and hard state durable, in one atomic, synced write. */
  write(entries: readonly Entry[], hardState: HardState | null): void {
    this.storage.append(entries);
    if (hardState !== null) this.storage.setHardState(hardState);
  }

  /**
   * Store a snapshot the node took, then compact as planned. A compaction point at or
   * below what is already compacted is nothing left to do.
   */
  saveSnapshot(plan: SnapshotPlan): void {
    this.storage.saveSnapshot(plan.snapshot);
    if (plan.compactIndex >= this.storage.firstIndex()) this.storage.compact(plan.compactIndex);
  }

  durableHardState(): HardState {
    return this.storage.initialState().hardState;
  }

  /** The durable snapshot (index 0, the bootstrap configuration and no data before any). */
  durableSnapshot(): Snapshot {
    return this.storage.snapshot();
  }

  /** The entry the durable log starts after: the snapshot's, or a compaction point before it. */
  logBase(): EntryId {
    const index = this.storage.firstIndex() - 1;
    return { index, term: this.storage.term(index) };
  }

  /** Every durable entry after the log's base, for rebuilding a view of the log after a restart. */
  durableEntries(): Entry[] {
    const first = this.storage.firstIndex();
    const last = this.storage.lastIndex();
    return last < first ? [] : this.storage.entries(first, last + 1, Number.MAX_SAFE_INTEGER);
  }
}
