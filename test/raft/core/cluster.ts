/**
 * A tiny in-process cluster for scenario tests: each node is a RawNode over a
 * MemoryStorage; `stabilize()` handles every Ready (persist, send, apply) and delivers
 * messages until nothing moves. Delivered messages are rendered as stable one-liners
 * (`1->2 MsgApp Term:1 Log:1/11 Commit:10 Entries:[1/12]`) for transcripts.
 */
import { RawNode } from '../../../raft/core/raw-node.js';
import type { RaftConfig } from '../../../raft/core/config.js';
import { createSeededRandom } from '../../../raft/core/random.js';
import { MemoryStorage } from '../../../raft/storage/memory-storage.js';
import type { Entry, Message, NodeId, ReadState } from '../../../raft/core/types.js';

export type ClusterOptions = Partial<Omit<RaftConfig, 'id' | 'storage' | 'random'>> & { seed?: number };

export interface ClusterNode {
  readonly id: NodeId;
  raw: RawNode;
  readonly storage: MemoryStorage;
  /** Data of every applied entry, in order (empty entries are leaders' no-ops). */
  readonly applied: Entry[];
  readonly readStates: ReadState[];
}

export class Cluster {
  readonly nodes = new Map<NodeId, ClusterNode>();
  /** Every message delivered (or dropped), rendered, since the last `takeTranscript`. */
  private transcript: string[] = [];
  private readonly blocked = new Set<string>();
  private readonly inFlight: Message[] = [];
  /** Message filter: return false to drop. */
  dropIf: ((m: Message) => boolean) | null = null;

  constructor(
    readonly ids: readonly NodeId[],
    private readonly options: ClusterOptions = {},
  ) {
    for (const id of ids) this.addNode(id, new MemoryStorage(ids));
  }

  private addNode(id: NodeId, storage: MemoryStorage): void {
    const { seed = 1, ...config } = this.options;
    const raw = new RawNode({
      electionTicks: 10,
      heartbeatTicks: 1,
      ...config,
      id,
      storage,
      random: createSeededRandom(seed * 1000 + id),
    });
    this.nodes.set(id, { id, raw, storage, applied: [], readStates: [] });
  }

  node(id: NodeId): ClusterNode {
    const node = this.nodes.get(id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  /** Restart `id` from its storage: everything in memory is lost. */
  restart(id: NodeId, extra: ClusterOptions = {}): void {
    const old = this.node(id);
    const { seed = 1, ...config } = { ...this.options, ...extra };
    old.raw = new RawNode({
      electionTicks: 10,
      heartbeatTicks: 1,
      ...config,
      id,
      storage: old.storage,
      random: createSeededRandom(seed * 1000 + id + 7),
    });
    old.applied.length = 0;
  }

  /** Stop delivering messages between `a` and `b`, both ways. */
  cut(a: NodeId, b: NodeId): void {
    this.blocked.add(`${a}->${b}`);
    this.blocked.add(`${b}->${a}`);
  }

  /** Stop delivering messages from `from` to `to` only. */
  cutOneWay(from: NodeId, to: NodeId): void {
    this.blocked.add(`${from}->${to}`);
  }

  isolate(id: NodeId): void {
    for (const other of this.ids) if (other !== id) this.cut(id, other);
  }

  heal(): void {
    this.blocked.clear();
    this.dropIf = null;
  }

  /** Handle each node's Ready once; queue the messages. Returns whether anything happened. */
  private drainReadies(): boolean {
    let progressed = false;
    for (const node of this.nodes.values()) {
      while (node.raw.hasReady()) {
        progressed = true;
        const rd = node.raw.ready();
        node.storage.append(rd.entries);
        if (rd.hardState !== null) node.storage.setHardState(rd.hardState);
        this.inFlight.push(...rd.messages);
        node.applied.push(...rd.committedEntries);
        node.readStates.push(...rd.readStates);
        node.raw.advance();
      }
    }
    return progressed;
  }

  /** Deliver queued messages (one round). Returns whether any were queued. */
  deliverAll(): boolean {
    this.drainReadies();
    if (this.inFlight.length === 0) return false;
    const batch = this.inFlight.splice(0);
    for (const m of batch) {
      const dropped = this.blocked.has(`${m.from}->${m.to}`) || (this.dropIf !== null && this.dropIf(m));
      this.transcript.push(`${dropped ? 'DROP ' : ''}${renderMessage(m)}`);
      if (dropped) continue;
      const target = this.nodes.get(m.to);
      target?.raw.step(m);
    }
    return true;
  }

  /** Deliver until no node has anything to do. */
  stabilize(maxRounds = 1000): void {
    for (let round = 0; round < maxRounds; round++) {
      const readies = this.drainReadies();
      const delivered = this.deliverAll();
      if (!readies && !delivered) return;
    }
    throw new Error(`cluster did not stabilize; last messages:\n${this.transcript.slice(-12).join('\n')}`);
  }

  /** Messages queued by the nodes and not yet delivered (taking them out of the queue). */
  takeOutgoing(): Message[] {
    this.drainReadies();
    return this.inFlight.splice(0);
  }

  /** Deliver one specific message now (bypassing the queue). */
  deliver(m: Message): void {
    this.transcript.push(renderMessage(m));
    this.nodes.get(m.to)?.raw.step(m);
  }

  tick(id: NodeId, times = 1): void {
    for (let i = 0; i < times; i++) this.node(id).raw.tick();
  }

  tickAll(times = 1): void {
    for (let i = 0; i < times; i++) for (const node of this.nodes.values()) node.raw.tick();
  }

  campaign(id: NodeId): void {
    this.node(id).raw.campaign();
    this.stabilize();
  }

  propose(id: NodeId, text: string): void {
    this.node(id).raw.propose(new TextEncoder().encode(text));
  }

  takeTranscript(): string[] {
    const t = this.transcript;
    this.transcript = [];
    return t;
  }

  status(id: NodeId): ReturnType<RawNode['status']> {
    return this.node(id).raw.status();
  }

  leader(): NodeId {
    for (const node of this.nodes.values()) if (node.raw.status().role === 'leader') return node.id;
    return 0;
  }

  /** The application data applied on `id`, as strings, no-ops left out. */
  appliedData(id: NodeId): string[] {
    return this.node(id)
      .applied.filter((e) => e.data.byteLength > 0)
      .map((e) => new TextDecoder().decode(e.data));
  }

  /** `term/index` of each entry of `id`'s stored log. */
  storedLog(id: NodeId): string[] {
    const storage = this.node(id).storage;
    const out: string[] = [];
    for (let i = storage.firstIndex(); i <= storage.lastIndex(); i++) out.push(`${storage.term(i)}/${i}`);
    return out;
  }
}

/** A stable one-line rendering of a message, in the style of etcd's raft tests. */
export function renderMessage(m: Message): string {
  const head = `${m.from}->${m.to} ${m.type} Term:${m.term}`;
  switch (m.type) {
    case 'MsgApp':
      return `${head} Log:${m.logTerm}/${m.index} Commit:${m.commit}${renderEntries(m.entries)}`;
    case 'MsgAppResp':
      return m.reject
        ? `${head} Log:0/${m.index} Rejected (Hint: ${m.rejectHint}/${m.logTerm})`
        : `${head} Log:0/${m.index}`;
    case 'MsgVote':
    case 'MsgPreVote':
      return `${head} Log:${m.logTerm}/${m.index}${m.transfer ? ' Transfer' : ''}`;
    case 'MsgVoteResp':
    case 'MsgPreVoteResp':
      return `${head}${m.reject ? ' Rejected' : ''}`;
    case 'MsgHeartbeat':
      return `${head} Commit:${m.commit}${m.context ? ` Context:${m.context}` : ''}`;
    case 'MsgHeartbeatResp':
      return `${head}${m.context ? ` Context:${m.context}` : ''}`;
    case 'MsgProp':
      return `${head}${renderEntries(m.entries)}`;
    case 'MsgReadIndex':
      return `${head} Context:${m.context}`;
    case 'MsgReadIndexResp':
      return `${head} Index:${m.index} Context:${m.context}`;
    case 'MsgTransferLeader':
    case 'MsgTimeoutNow':
      return head;
    default: {
      const unreachable: never = m;
      return String(unreachable);
    }
  }
}

function renderEntries(entries: readonly Entry[]): string {
  if (entries.length === 0) return '';
  return ` Entries:[${entries.map((e) => `${e.term}/${e.index}${e.data.byteLength > 0 ? ` ${new TextDecoder().decode(e.data)}` : ''}`).join(', ')}]`;
}
