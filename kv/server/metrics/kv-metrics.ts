/**
 * A KV member's Prometheus series, under etcd's names so that etcd's dashboards and alerts
 * read a Balsa member unchanged (etcd 3.4, `Documentation/metrics.md`): Raft's (leader,
 * proposals, disk latencies, snapshot sends), MVCC's (db size, revisions, watchers) and
 * the gRPC server's per-method counters (`grpc-metrics.ts`, go-grpc-prometheus's names).
 *
 * Registered on the registry the member is given (a process serving several layers shares
 * one), never on prom-client's global one. Gauges are read from the member when scraped.
 * Where Balsa's design differs from etcd's, the series keeps etcd's meaning as far as it
 * goes: `etcd_disk_wal_fsync_duration_seconds` times the durable write of the Raft log (the
 * append and its sync), `etcd_disk_backend_commit_duration_seconds` the recording of a
 * snapshot of the store (Balsa's backend lives in memory between snapshots).
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import type { NodeStatus, RaftMetrics } from '../../../raft/index.js';

/** etcd's disk latency buckets: 1 ms doubling to about 8 s. */
const DISK_BUCKETS_SECONDS = Array.from({ length: 14 }, (_, i) => 0.001 * 2 ** i);

/** What the gauges read from the member at each scrape. */
export interface KvMetricsSource {
  raftStatus(): NodeStatus;
  /** Proposals in flight on this member (etcd's `proposals_pending`). */
  pendingProposals(): number;
  watchStreams(): number;
  watchers(): number;
  dbSizeBytes(): number;
  currentRevision(): number;
  compactRevision(): number;
}

export class KvMetrics {
  /** Hand to `RaftNodeOptions.metrics`. */
  readonly raft: RaftMetrics;
  private readonly leaderChanges: Counter;
  private readonly proposalsFailed: Counter;
  private source: KvMetricsSource | null = null;

  constructor(readonly registry: Registry) {
    const registers = [registry];
    const read = (pick: (source: KvMetricsSource) => number) =>
      function (this: Gauge) {
        // Registered before the member exists: nothing to report until `observe`.
        if (metrics.source !== null) this.set(pick(metrics.source));
      };
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the gauges' collect callbacks are called with the gauge as `this`
    const metrics = this;
    const gauge = (name: string, help: string, pick: (source: KvMetricsSource) => number) => new Gauge({ name, help, registers, collect: read(pick) });
    gauge('etcd_server_has_leader', 'Whether or not a leader exists. 1 is existence, 0 is not.', (s) => (s.raftStatus().leader !== 0 ? 1 : 0));
    gauge('etcd_server_is_leader', 'Whether or not this member is a leader. 1 if is, 0 otherwise.', (s) => (s.raftStatus().role === 'leader' ? 1 : 0));
    gauge('balsa_raft_term', "The member's current Raft term.", (s) => s.raftStatus().term);
    gauge('etcd_server_proposals_committed_total', 'The total number of consensus proposals committed (the commit index).', (s) => s.raftStatus().commitIndex);
    gauge('etcd_server_proposals_applied_total', 'The total number of consensus proposals applied (the applied index).', (s) => s.raftStatus().appliedIndex);
    gauge('etcd_server_proposals_pending', 'The current number of pending proposals to commit.', (s) => s.pendingProposals());
    gauge('etcd_mvcc_db_total_size_in_bytes', 'Total size of the underlying database in bytes.', (s) => s.dbSizeBytes());
    gauge('etcd_debugging_mvcc_current_revision', 'The current revision of store.', (s) => s.currentRevision());
    gauge('etcd_debugging_mvcc_compact_revision', 'The revision of the last compaction in store.', (s) => Math.max(0, s.compactRevision()));
    gauge('etcd_debugging_mvcc_watcher_total', 'Total number of watchers.', (s) => s.watchers());
    gauge('etcd_debugging_mvcc_watch_stream_total', 'Total number of watch streams.', (s) => s.watchStreams());
    this.leaderChanges = new Counter({ name: 'etcd_server_leader_changes_seen_total', help: 'The number of leader changes seen.', registers });
    this.proposalsFailed = new Counter({ name: 'etcd_server_proposals_failed_total', help: 'The total number of failed proposals seen.', registers });
    const walFsync = new Histogram({
      name: 'etcd_disk_wal_fsync_duration_seconds',
      help: 'The latency distributions of the durable write of the Raft log (append and sync).',
      buckets: DISK_BUCKETS_SECONDS,
      registers,
    });
    const backendCommit = new Histogram({
      name: 'etcd_disk_backend_commit_duration_seconds',
      help: 'The latency distributions of recording a snapshot of the store.',
      buckets: DISK_BUCKETS_SECONDS,
      registers,
    });
    const snapshotSends = new Counter({ name: 'etcd_network_snapshot_send_success', help: 'Total number of snapshots sent.', labelNames: ['To'], registers });
    this.raft = {
      storageWrite: (seconds) => walFsync.observe(seconds),
      snapshotSaved: (seconds) => backendCommit.observe(seconds),
      snapshotSent: (to) => snapshotSends.inc({ To: to.toString(16) }),
    };
  }

  /** Start reading the gauges from `source` (the member, once constructed). */
  observe(source: KvMetricsSource): void {
    this.source = source;
  }

  /** The member saw a new leader (not "no leader"). */
  leaderChanged(): void {
    this.leaderChanges.inc();
  }

  proposalFailed(): void {
    this.proposalsFailed.inc();
  }
}
