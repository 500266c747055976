/**
 * An in-process cluster of `RaftNode`s over a `MemoryNetwork`, each with its own storage
 * that outlives restarts, and a small key-value state machine whose results the tests
 * check. Ticks are short (10 ms: elections within 100–200 ms) but not so short that a
 * busy test machine makes leaders come and go.
 */
import { RaftNode } from '../../../raft/node.js';
import type { AppliedEntry, Member, RaftNodeOptions, StateMachine } from '../../../raft/node.js';
import { MemoryStorage } from '../../../raft/storage/memory-storage.js';
import type { WritableLogStorage } from '../../../raft/storage/log-storage.js';
import { MemoryNetwork } from '../../../raft/transport/memory-transport.js';
import type { MemoryTransport } from '../../../raft/transport/memory-transport.js';
import type { NodeId } from '../../../raft/core/types.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface KvResult {
  readonly index: number;
  /** The value the key held before this write. */
  readonly previous: string | null;
}

/** `key=value` writes; the result says where the write landed and what it replaced. */
export class KvStateMachine implements StateMachine<KvResult> {
  readonly values = new Map<string, string>();
  appliedIndex = 0;
  restores = 0;

  apply(entries: readonly AppliedEntry[]): KvResult[] {
    return entries.map((entry) => {
      const [key, value] = decoder.decode(entry.data).split('=') as [string, string];
      const previous = this.values.get(key) ?? null;
      this.values.set(key, value);
      this.appliedIndex = entry.index;
      return { index: entry.index, previous };
    });
  }

  /** When set, a snapshot's data is ready only once this settles (a slow state machine). */
  snapshotGate: Promise<void> | null = null;
  snapshotsStarted = 0;
  /** The index applied when the last snapshot was started. */
  snapshotStartedAt = 0;

  snapshot(): Uint8Array | Promise<Uint8Array> {
    this.snapshotsStarted++;
    this.snapshotStartedAt = this.appliedIndex;
    const data = encoder.encode(JSON.stringify([...this.values]));
    return this.snapshotGate === null ? data : this.snapshotGate.then(() => data);
  }

  restore(data: Uint8Array, metadata: { index: number }): void {
    this.values.clear();
    for (const [key, value] of JSON.parse(decoder.decode(data)) as [string, string][]) this.values.set(key, value);
    this.appliedIndex = metadata.index;
    this.restores++;
  }
}

export function write(key: string, value: string): Uint8Array {
  return encoder.encode(`${key}=${value}`);
}

export type NodeOverrides = Partial<Omit<RaftNodeOptions<KvResult>, 'id' | 'transport' | 'stateMachine'>>;

export class NodeCluster {
  readonly network = new MemoryNetwork({ seed: 7 });
  readonly nodes = new Map<NodeId, RaftNode<KvResult>>();
  readonly machines = new Map<NodeId, KvStateMachine>();
  readonly storages = new Map<NodeId, WritableLogStorage>();
  readonly errors: Error[] = [];
  /** Opens a node's storage at each start (default: one MemoryStorage per node, kept across restarts). */
  openStorage: ((id: NodeId) => Promise<WritableLogStorage>) | null = null;
  /** Where a node listens from its next start, if not at `MemoryNetwork.addressOf(id)` (it moved). */
  readonly listenAt = new Map<NodeId, string>();
  /** Lets a test stand between a node and its transport. */
  wrapTransport: (id: NodeId, transport: MemoryTransport) => MemoryTransport = (_id, transport) => transport;
  private readonly members: Member[];

  constructor(
    readonly ids: readonly NodeId[],
    private readonly overrides: NodeOverrides = {},
  ) {
    this.members = ids.map((id) => ({ id, address: MemoryNetwork.addressOf(id) }));
  }

  async start(): Promise<this> {
    for (const id of this.ids) await this.startNode(id);
    return this;
  }

  /** Start (or restart, on the storage it had) node `id`. */
  async startNode(id: NodeId, overrides: NodeOverrides = {}): Promise<RaftNode<KvResult>> {
    const storage =
      this.openStorage !== null ? await this.openStorage(id) : (this.storages.get(id) ?? overrides.storage ?? new MemoryStorage());
    this.storages.set(id, storage);
    const machine = new KvStateMachine();
    const node = new RaftNode<KvResult>({
      members: this.members,
      tickMs: 10,
      requestTimeoutMs: 5000,
      ...this.overrides,
      ...overrides,
      id,
      storage, // MemoryStorage's close() keeps its contents, so a restart finds them
      transport: this.wrapTransport(id, this.network.transport(id, this.listenAt.get(id))),
      stateMachine: machine,
    });
    node.on('error', (error) => this.errors.push(error));
    this.nodes.set(id, node);
    this.machines.set(id, machine);
    await node.start();
    return node;
  }

  node(id: NodeId): RaftNode<KvResult> {
    const node = this.nodes.get(id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  async stopNode(id: NodeId): Promise<void> {
    await this.nodes.get(id)?.stop();
    this.nodes.delete(id);
  }

  /** The leader every running node agrees on, once there is one. */
  async leader(timeoutMs = 5000): Promise<RaftNode<KvResult>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const leaders = [...this.nodes.values()].filter((node) => node.status().role === 'leader');
      const agreed = leaders.length === 1 && [...this.nodes.values()].every((node) => node.status().leader === leaders[0]!.id);
      if (agreed) return leaders[0]!;
      if (Date.now() > deadline) throw new Error(`no agreed leader within ${timeoutMs} ms`);
      await sleep(10);
    }
  }

  followers(leader: RaftNode<KvResult>): RaftNode<KvResult>[] {
    return [...this.nodes.values()].filter((node) => node !== leader);
  }

  /** Wait until every running node has applied at least `index`. */
  async appliedEverywhere(index: number, timeoutMs = 5000): Promise<void> {
    await waitUntil(() => [...this.nodes.values()].every((node) => node.status().appliedIndex >= index), timeoutMs);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.nodes.values()].map((node) => node.stop()));
    this.nodes.clear();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(5);
  }
}
