/**
 * A tiny in-process cluster for scenario tests: each node is a RawNode over a
 * MemoryStorage; `stabilize()` handles every Ready (install, persist, send, apply,
 * advance) and delivers messages until nothing moves. Delivered messages are rendered as
 * stable one-liners (`1->2 MsgApp Term:1 Log:1/11 Commit:10 Entries:[1/12]`) for
 * transcripts.
 *
 * The application on each node is a list of strings (the data of its applied normal
 * entries). Its snapshot is those strings joined by newlines, so a snapshot's size is
 * predictable in tests: 'aaaa' and 'bbbb' make the 9 bytes `aaaa\nbbbb`.
 */
import { RawNode } from '../../../raft/core/raw-node.js';
import type { SnapshotPlan } from '../../../raft/core/raw-node.js';
import type { RaftConfig } from '../../../raft/core/config.js';
import { decodeConfChange } from '../../../raft/core/conf-change.js';
import { createSeededRandom } from '../../../raft/core/random.js';
import { MemoryStorage } from '../../../raft/storage/memory-storage.js';
import { EntryType } from '../../../raft/core/types.js';
import type {
  AppliedConfChange,
  ConfChange,
  ConfState,
  Entry,
  Message,
  NodeId,
  ReadState,
  Snapshot,
  SnapshotMetadata,
} from '../../../raft/core/types.js';

export type ClusterOptions = Partial<Omit<RaftConfig, 'id' | 'storage' | 'random'>> & { seed?: number };

export interface ClusterNode {
  readonly id: NodeId;
  raw: RawNode;
  readonly storage: MemoryStorage;
  /**
   * Every entry applied since the application state was last restored (at start, at a
   * restart, or when a snapshot from the leader was installed), in order. Empty entries
   * are leaders' no-ops.
   */
  readonly applied: Entry[];
  /** The application state the node last restored, and the log index it stands for. */
  restored: { index: number; data: string[] };
  readonly readStates: ReadState[];
  /** What each `advance()` returned: the configurations the applied conf changes produced. */
  readonly confChanges: AppliedConfChange[];
  /** Metadata of every snapshot received from the leader and installed, in order. */
  readonly installedSnapshots: SnapshotMetadata[];
}

/** The application state as snapshot data: the applied strings, joined by newlines. */
export function encodeState(data: readonly string[]): Uint8Array {
  return new TextEncoder().encode(data.join('\n'));
}

export function decodeState(bytes: Uint8Array): string[] {
  const text = new TextDecoder().decode(bytes);
  return text === '' ? [] : text.split('\n');
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
    /** The members the cluster starts with: every storage's initial voters. */
    readonly initialIds: readonly NodeId[],
    private readonly options: ClusterOptions = {},
  ) {
    for (const id of initialIds) this.addNode(id, new MemoryStorage(initialIds), {});
  }

  /** Every node running in the cluster (initial members and those added later), ascending. */
  get ids(): NodeId[] {
    return [...this.nodes.keys()].sort((a, b) => a - b);
  }

  /**
   * Start a brand-new node `id` (to be added with a conf change). Like any new member its
   * storage holds only the cluster's initial voters; it learns the rest from the leader.
   */
  addMember(id: NodeId, extra: ClusterOptions = {}): ClusterNode {
    if (this.nodes.has(id)) throw new Error(`node ${id} already exists`);
    this.addNode(id, new MemoryStorage(this.initialIds), extra);
    return this.node(id);
  }

  private addNode(id: NodeId, storage: MemoryStorage, extra: ClusterOptions): void {
    const { seed = 1, ...config } = { ...this.options, ...extra };
    const raw = new RawNode({
      electionTicks: 10,
      heartbeatTicks: 1,
      ...config,
      id,
      storage,
      random: createSeededRandom(seed * 1000 + id),
    });
    this.nodes.set(id, {
      id,
      raw,
      storage,
      applied: [],
      restored: { index: 0, data: [] },
      readStates: [],
      confChanges: [],
      installedSnapshots: [],
    });
  }

  node(id: NodeId): ClusterNode {
    const node = this.nodes.get(id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  /**
   * Restart `id` from its storage: everything in memory is lost. The application restores
   * its state from the stored snapshot and tells the core it has applied up to there.
   */
  restart(id: NodeId, extra: ClusterOptions = {}): void {
    const old = this.node(id);
    const snapshot = old.storage.snapshot();
    const { seed = 1, ...config } = { ...this.options, ...extra };
    old.raw = new RawNode({
      electionTicks: 10,
      heartbeatTicks: 1,
      applied: snapshot.metadata.index,
      ...config,
      id,
      storage: old.storage,
      random: createSeededRandom(seed * 1000 + id + 7),
    });
    old.applied.length = 0;
    old.confChanges.length = 0;
    old.restored = { index: snapshot.metadata.index, data: decodeState(snapshot.data) };
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

  /** Restore the links of `id` to every node (other cuts and the drop filter stay). */
  reconnect(id: NodeId): void {
    for (const key of [...this.blocked]) {
      const [from, to] = key.split('->').map(Number);
      if (from === id || to === id) this.blocked.delete(key);
    }
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
        if (rd.snapshot !== null) this.install(node, rd.snapshot);
        node.storage.append(rd.entries);
        if (rd.hardState !== null) node.storage.setHardState(rd.hardState);
        this.inFlight.push(...rd.messages);
        node.applied.push(...rd.committedEntries);
        node.readStates.push(...rd.readStates);
        node.confChanges.push(...node.raw.advance());
      }
    }
    return progressed;
  }

  /** Install a snapshot from the leader: it replaces the stored log and the application state. */
  private install(node: ClusterNode, snapshot: Snapshot): void {
    node.storage.applySnapshot(snapshot);
    node.applied.length = 0;
    node.restored = { index: snapshot.metadata.index, data: decodeState(snapshot.data) };
    node.installedSnapshots.push(snapshot.metadata);
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

  proposeConfChange(id: NodeId, cc: ConfChange): void {
    this.node(id).raw.proposeConfChange(cc);
  }

  /** The configuration in force on `id`. */
  config(id: NodeId): ConfState {
    return this.status(id).config;
  }

  /**
   * The application on `id` snapshots its state at `index` (default: everything applied)
   * and the driver stores it and compacts the log as the core says. Returns the plan.
   */
  takeSnapshot(id: NodeId, index = this.status(id).applied): SnapshotPlan {
    const node = this.node(id);
    const plan = node.raw.createSnapshot(index, encodeState(this.stateAt(id, index)));
    node.storage.saveSnapshot(plan.snapshot);
    if (plan.compactIndex > 0) node.storage.compact(plan.compactIndex);
    return plan;
  }

  /** The application state of `id` as of `index` (between its restore point and its applied index). */
  stateAt(id: NodeId, index: number): string[] {
    const node = this.node(id);
    if (index < node.restored.index) throw new Error(`node ${id} restored at ${node.restored.index}, after ${index}`);
    return [...node.restored.data, ...dataOf(node.applied.filter((e) => e.index <= index))];
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

  /**
   * The application state of `id`: the data applied on it, as strings, no-ops and conf
   * changes left out, including what it restored from a snapshot.
   */
  appliedData(id: NodeId): string[] {
    const node = this.node(id);
    return [...node.restored.data, ...dataOf(node.applied)];
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
    case 'MsgSnap':
      return `${head} Snapshot:${m.snapshot.term}/${m.snapshot.index} Offset:${m.offset} Bytes:${m.data.byteLength}${m.done ? ' Done' : ''}`;
    case 'MsgSnapResp':
      return `${head} Snapshot:${m.index} Offset:${m.offset}${m.reject ? ' Rejected' : ''}`;
    default: {
      const unreachable: never = m;
      return String(unreachable);
    }
  }
}

function renderEntries(entries: readonly Entry[]): string {
  if (entries.length === 0) return '';
  return ` Entries:[${entries.map(renderEntry).join(', ')}]`;
}

function renderEntry(e: Entry): string {
  if (e.type === EntryType.ConfChange) return `${e.term}/${e.index} ${renderConfChangeData(e.data)}`;
  return `${e.term}/${e.index}${e.data.byteLength > 0 ? ` ${new TextDecoder().decode(e.data)}` : ''}`;
}

/** A conf change entry as `conf(v4 l5 r3)` (add voter, add learner, remove), `conf(leave)` for leaving joint. */
function renderConfChangeData(data: Uint8Array): string {
  let cc: ConfChange;
  try {
    cc = decodeConfChange(data);
  } catch {
    return 'conf(?)';
  }
  if (cc.changes.length === 0) return 'conf(leave)';
  const letter = { 'add-voter': 'v', 'add-learner': 'l', remove: 'r' } as const;
  return `conf(${cc.changes.map((c) => `${letter[c.type]}${c.node}`).join(' ')})`;
}

/** A configuration as `voters:(1 2 4)&&(1 2 3) learners:(5) learnersNext:(3)`, empty parts left out. */
export function renderConfState(cs: ConfState): string {
  const ids = (list: readonly NodeId[]): string => `(${list.join(' ')})`;
  let out = `voters:${ids(cs.voters)}`;
  if (cs.votersOutgoing.length > 0) out += `&&${ids(cs.votersOutgoing)}`;
  if (cs.learners.length > 0) out += ` learners:${ids(cs.learners)}`;
  if (cs.learnersNext.length > 0) out += ` learnersNext:${ids(cs.learnersNext)}`;
  return out;
}

/** The data of the normal, non-empty entries among `entries`, as strings. */
function dataOf(entries: readonly Entry[]): string[] {
  return entries.filter((e) => e.type === EntryType.Normal && e.data.byteLength > 0).map((e) => new TextDecoder().decode(e.data));
}
