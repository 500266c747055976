/**
 * A node's simulated disk: a durable `MemoryStorage` that survives crashes, and the
 * latency of writing one Ready batch to it (sometimes a stall). What was not written
 * before a crash is lost, because it only ever lived in the node's pending write job.
 */
import type { SeededRandom } from '../core/random.js';
import type { Entry, HardState } from '../core/types.js';
import { MemoryStorage } from '../storage/memory-storage.js';
import { DISK_LATENCY_UNITS_MAX, DISK_LATENCY_UNITS_MIN, DISK_STALL_UNITS_MAX } from './constants.js';

export class SimDisk {
  readonly storage: MemoryStorage;
  /** Probability that one write takes up to `DISK_STALL_UNITS_MAX` instead of the usual. */
  stallProbability = 0;

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

  /** Make a Ready's entries and hard state durable, in one atomic, synced write. */
  write(entries: readonly Entry[], hardState: HardState | null): void {
    this.storage.append(entries);
    if (hardState !== null) this.storage.setHardState(hardState);
  }

  durableHardState(): HardState {
    return this.storage.initialState().hardState;
  }

  /** Every durable entry, for rebuilding a view of the log after a restart. */
  durableEntries(): Entry[] {
    const first = this.storage.firstIndex();
    const last = this.storage.lastIndex();
    return last < first ? [] : this.storage.entries(first, last + 1, Number.MAX_SAFE_INTEGER);
  }
}
