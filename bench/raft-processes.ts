/**
 * The Raft cluster as it runs for real: `size` `cluster-node.js` processes on loopback
 * (`raft/testing/process-cluster.ts`), each a `RaftNode` on synced `LevelStorage` and
 * `GrpcTransport`, no proxies. Concurrent HTTP writers (keep-alive) send
 * `POST /write {key, value, writeId}` to the leader back to back, the value being the
 * payload; a write counts once the leader has applied it, i.e. once a majority has it on
 * disk. A fresh cluster per cell, so that cells do not inherit each other's logs.
 */
import { ClusterClient } from '../raft/testing/cluster-client.js';
import { JsonHttpClient } from '../raft/testing/http-json.js';
import { ProcessCluster } from '../raft/testing/process-cluster.js';
import { cellResult } from './raft-cell.js';
import type { RaftCell, RaftCellResult, RaftRunSettings } from './raft-cell.js';
import { runClosedLoop } from './support/closed-loop.js';
import { withCleanup } from './support/interrupts.js';

/** Deadline of one write; past it the write counts as an error. */
const WRITE_TIMEOUT_MS = 10_000;
const LEADER_TIMEOUT_MS = 30_000;
/** After the load, the members must hold the same state within this long. */
const CONVERGE_TIMEOUT_MS = 60_000;

/** A write the leader did not take: an error of the load, counted by its status and code. */
class WriteRefused extends Error {
  override readonly name = 'WriteRefused';
}

export async function runProcessesCell(cell: RaftCell, settings: RaftRunSettings): Promise<RaftCellResult> {
  const cluster = await ProcessCluster.start({ size: settings.size, proxies: false, ...(settings.tickMs === undefined ? {} : { tickMs: settings.tickMs }) });
  const client = new ClusterClient({ endpoints: () => cluster.members(), requestTimeoutMs: WRITE_TIMEOUT_MS });
  const http = new JsonHttpClient({ maxSocketsPerHost: cell.proposers });
  const cleanup = async () => {
    http.close();
    client.close();
    await cluster.dispose();
  };
  return withCleanup(cleanup, async () => {
    let leader = (await client.leader(LEADER_TIMEOUT_MS)).id;
    let leaderChanges = 0;
    let finding = false;
    // A refused or failed write asks who leads now (once at a time); writers keep going meanwhile.
    const findLeader = () => {
      if (finding) return;
      finding = true;
      void client
        .leader(LEADER_TIMEOUT_MS)
        .then(({ id }) => {
          if (id !== leader) leaderChanges++;
          leader = id;
        })
        .catch(() => undefined)
        .finally(() => (finding = false));
    };
    const value = 'v'.repeat(cell.payloadBytes);
    const load = await runClosedLoop({
      workers: cell.proposers,
      warmupMs: settings.warmupMs,
      durationMs: settings.durationMs,
      operation: async (worker, seq) => {
        const write = { key: `k${worker}-${seq % 64}`, value, writeId: `bench-${worker}-${seq}` };
        let response;
        try {
          response = await http.request<{ code?: string }>(cluster.member(leader).httpAddress, 'POST', '/write', write, WRITE_TIMEOUT_MS);
        } catch (error) {
          findLeader();
          throw error;
        }
        if (response.status === 200) return;
        if (response.status === 421 || response.status === 503) findLeader();
        throw new WriteRefused(`${response.status} ${response.body?.code ?? ''}`.trim());
      },
    });
    const convergence = await client.waitConverged(cluster.runningIds(), CONVERGE_TIMEOUT_MS);
    return cellResult(cell, load, leaderChanges, convergence.appliedIndex);
  });
}
