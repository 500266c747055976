/**
 * The Raft hot path in one process: `size` `RaftNode`s on `MemoryStorage` and a
 * `MemoryNetwork` with no fault configured (so every message is delivered, in order, on
 * the next turn of the event loop), running a state machine that only counts. Concurrent
 * proposers call `propose(payload)` on the leader back to back; a proposal counts once the
 * leader has applied it, i.e. once a majority has it. No disk, no sockets: what is left is
 * the core, the driver and the copying between them.
 */
import { randomBytes } from 'node:crypto';
import type { AppliedEntry, StateMachine } from '../raft/node.js';
import { RaftNode } from '../raft/node.js';
import { MemoryStorage } from '../raft/storage/memory-storage.js';
import { MemoryNetwork } from '../raft/transport/memory-transport.js';
import { cellResult } from './raft-cell.js';
import type { RaftCell, RaftCellResult, RaftRunSettings } from './raft-cell.js';
import { runClosedLoop } from './support/closed-loop.js';

/** A proposal not applied within this long fails (and counts as an error). */
const REQUEST_TIMEOUT_MS = 10_000;
const LEADER_TIMEOUT_MS = 10_000;
/** After the load, the members must have applied the same log within this long. */
const CONVERGE_TIMEOUT_MS = 30_000;

/** Counts what it applies; the result of a proposal is its log index. */
class CountingMachine implements StateMachine<number> {
  entries = 0;
  bytes = 0;

  apply(entries: readonly AppliedEntry[]): number[] {
    const results = new Array<number>(entries.length);
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      this.entries++;
      this.bytes += entry.data.byteLength;
      results[i] = entry.index;
    }
    return results;
  }

  snapshot(): Uint8Array {
    return new TextEncoder().encode(JSON.stringify([this.entries, this.bytes]));
  }

  restore(data: Uint8Array): void {
    [this.entries, this.bytes] = JSON.parse(new TextDecoder().decode(data)) as [number, number];
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function agreedLeader(nodes: readonly RaftNode<number>[]): Promise<RaftNode<number>> {
  const deadline = Date.now() + LEADER_TIMEOUT_MS;
  for (;;) {
    const leaders = nodes.filter((node) => node.currentRole() === 'leader');
    if (leaders.length === 1 && nodes.every((node) => node.currentLeader() === leaders[0]!.id)) return leaders[0]!;
    if (Date.now() > deadline) throw new Error(`no agreed leader within ${LEADER_TIMEOUT_MS} ms`);
    await sleep(10);
  }
}

/** Until every member has applied the same index, at least the highest commit index, with the same count. */
async function converged(nodes: readonly RaftNode<number>[], machines: readonly CountingMachine[]): Promise<number> {
  const deadline = Date.now() + CONVERGE_TIMEOUT_MS;
  for (;;) {
    const statuses = nodes.map((node) => node.status());
    const commit = Math.max(...statuses.map((s) => s.commitIndex));
    const applied = statuses.map((s) => s.appliedIndex);
    const counts = machines.map((m) => `${m.entries}/${m.bytes}`);
    if (applied.every((index) => index === applied[0] && index >= commit) && counts.every((c) => c === counts[0])) return applied[0]!;
    if (Date.now() > deadline) {
      throw new Error(`members did not converge within ${CONVERGE_TIMEOUT_MS} ms: applied ${applied.join(', ')}, commit ${commit}, counts ${counts.join(', ')}`);
    }
    await sleep(10);
  }
}

export async function runInProcessCell(cell: RaftCell, settings: RaftRunSettings): Promise<RaftCellResult> {
  const network = new MemoryNetwork();
  const ids = Array.from({ length: settings.size }, (_, i) => i + 1);
  const members = ids.map((id) => ({ id, address: MemoryNetwork.addressOf(id) }));
  const machines = ids.map(() => new CountingMachine());
  const failures: Error[] = [];
  const nodes = ids.map(
    (id, i) =>
      new RaftNode<number>({
        id,
        storage: new MemoryStorage(),
        transport: network.transport(id),
        stateMachine: machines[i]!,
        members,
        requestTimeoutMs: REQUEST_TIMEOUT_MS,
        ...(settings.tickMs === undefined ? {} : { tickMs: settings.tickMs }),
      }),
  );
  for (const node of nodes) node.on('error', (error) => failures.push(error));
  try {
    await Promise.all(nodes.map((node) => node.start()));
    let leader = await agreedLeader(nodes);
    let leaderChanges = 0;
    for (const node of nodes) {
      node.on('leader-change', ({ leader: id }) => {
        const next = nodes[id - 1];
        if (next !== undefined && next !== leader) {
          leader = next;
          leaderChanges++;
        }
      });
    }
    const payload = new Uint8Array(randomBytes(cell.payloadBytes));
    const load = await runClosedLoop({
      workers: cell.proposers,
      warmupMs: settings.warmupMs,
      durationMs: settings.durationMs,
      operation: async () => {
        await leader.propose(payload);
      },
    });
    const convergedAtIndex = await converged(nodes, machines);
    if (failures.length > 0) throw failures[0]!;
    return cellResult(cell, load, leaderChanges, convergedAtIndex);
  } finally {
    await Promise.all(nodes.map((node) => node.stop()));
  }
}
