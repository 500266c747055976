/** A read-only picture of a core instance, for operators, tests and the simulator. */
import type { NodeId, Role } from './types.js';

export type ProgressState = 'probe' | 'replicate' | 'snapshot';

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
}

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
  readonly voters: readonly NodeId[];
  /** Non-zero while a leadership transfer to that node is under way. */
  readonly leadTransferee: NodeId;
  /** Per-member replication progress; only on a leader. */
  readonly progress: ReadonlyMap<NodeId, ProgressStatus> | null;
}
