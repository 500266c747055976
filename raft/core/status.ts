/** A read-only picture of a core instance, for operators, tests and the simulator. */
import type { ConfState, NodeId, Role } from './types.js';

/** How the leader replicates to a follower: probing for the match point, streaming appends, or sending a snapshot. */
export type ProgressState = 'probe' | 'replicate' | 'snapshot';

/** The leader's view of one follower's replication. */
export interface ProgressStatus {
  /** Highest index known to be replicated on the follower. */
  readonly match: number;
  /** Next index to send. */
  readonly next: number;
  readonly state: ProgressState;
  /** Heard from within the current check-quorum period. */
  readonly recentActive: boolean;
  /** MsgApp messages sent and not yet acknowledged. */
  readonly inflight: number;
  /** In snapshot state: the index of the snapshot being sent (0 otherwise). */
  readonly pendingSnapshot: number;
  /** In snapshot state: bytes of it the follower has acknowledged. */
  readonly snapshotAckedBytes: number;
}

/** A read-only picture of a core instance (`RawNode.status()`). */
export interface Status {
  readonly id: NodeId;
  readonly term: number;
  readonly vote: NodeId;
  readonly commit: number;
  /** Highest index handed out for applying (acknowledged by `advance`). */
  readonly applied: number;
  readonly lastIndex: number;
  readonly leader: NodeId;
  readonly role: Role;
  /** Voters of either half of the configuration, ascending. */
  readonly voters: readonly NodeId[];
  /** The configuration in force (as of the last applied conf change). */
  readonly config: ConfState;
  /** Non-zero while a leadership transfer to that node is under way. */
  readonly leadTransferee: NodeId;
  /** Per-member replication progress; only on a leader. */
  readonly progress: ReadonlyMap<NodeId, ProgressStatus> | null;
}
