/**
 * What a `RaftNode` tells a metrics system, if given one (`RaftNodeOptions.metrics`). The
 * library depends on no metrics package: the application maps these calls to its own
 * (Balsa's KV maps them to etcd's Prometheus series, `kv/server/metrics/raft-metrics.ts`).
 * Gauges (term, leader, commit and applied index) are not pushed: read `RaftNode.status()`
 * when scraping. Every call is made on the node's loop and must return quickly.
 */
import type { NodeId } from './core/types.js';

/** The timings and events a node reports as they happen (see the file comment); all optional to act on. */
export interface RaftMetrics {
  /** The durable write of one Ready's entries and hard state took `seconds` (the log's append and its sync). */
  storageWrite(seconds: number): void;
  /** Recording a snapshot of the state machine in the storage took `seconds`. */
  snapshotSaved(seconds: number): void;
  /** A snapshot went out to member `to` (a follower too far behind for the log). */
  snapshotSent(to: NodeId): void;
}

/** The default: nothing is measured. */
export const NO_RAFT_METRICS: RaftMetrics = {
  storageWrite: () => {},
  snapshotSaved: () => {},
  snapshotSent: () => {},
};
