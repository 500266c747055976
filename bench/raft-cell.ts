/**
 * One cell of the Raft benchmark's matrix (so many concurrent proposers, payloads of so
 * many bytes) and what was measured in it; shared by the in-process and the multi-process
 * runners and by `raft.ts`, which sweeps the matrix.
 */
import type { ClosedLoopResult } from './support/closed-loop.js';
import type { LatencySummary } from './support/latency-histogram.js';

export interface RaftCell {
  readonly proposers: number;
  readonly payloadBytes: number;
}

/** How every cell of a run is measured. */
export interface RaftRunSettings {
  /** Voters (ids 1..size). */
  readonly size: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** Milliseconds per Raft tick (undefined: the node's default). */
  readonly tickMs: number | undefined;
}

export interface RaftCellResult extends RaftCell {
  /** Proposals committed and applied on the proposing member inside the measured window. */
  readonly commits: number;
  readonly commitsPerS: number;
  readonly errors: number;
  readonly errorKinds: Readonly<Record<string, number>>;
  readonly measuredS: number;
  readonly latencyMs: LatencySummary;
  /** Leader changes seen after the first leader was agreed (0 on a quiet run). */
  readonly leaderChanges: number;
  /**
   * After the load stopped, every member applied the same log up to this index (a check
   * of the harness: the commits counted were replicated, not merely acknowledged).
   */
  readonly convergedAtIndex: number;
}

/** A cell's result from its load and what the runner observed around it. */
export function cellResult(cell: RaftCell, load: ClosedLoopResult, leaderChanges: number, convergedAtIndex: number): RaftCellResult {
  return {
    ...cell,
    commits: load.ops,
    commitsPerS: load.opsPerS,
    errors: load.errors,
    errorKinds: load.errorKinds,
    measuredS: load.measuredS,
    latencyMs: load.latencyMs,
    leaderChanges,
    convergedAtIndex,
  };
}
