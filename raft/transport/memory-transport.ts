/**
 * `MemoryTransport`: transports in one process, joined by a `MemoryNetwork` hub, for tests
 * and examples that want real asynchrony without sockets. The network injects faults —
 * random loss, random delay (which reorders), partitions, isolation — drawn from one seeded
 * generator, so a run with the same seed and the same sends meets the same faults.
 *
 * It behaves like `GrpcTransport` where a test can tell: delivery is always asynchronous
 * (never inside `send()`); each link delivers in order unless delays reorder it;
 * messages sent in one turn of the event loop arrive as one batch; snapshot chunks travel
 * on their own lane, one chunk per turn (a bandwidth-limited stream), so heartbeats
 * overtake a long transfer; each message is copied at send time, so sender and receiver
 * never share an object; and a peer that is unknown, stopped, partitioned away or whose
 * lane is full is reported through `onUnreachable` (on the next turn, once per peer),
 * while random loss is silent, as on a real network.
 *
 * Addresses are `memory://<id>` by default (any string will do: a node that moved has
 * another); a transport started on an address that another running transport holds is
 * refused (like a port in use), and one started after the previous holder stopped takes
 * the address over (a restart).
 */
import { copyBytes } from '../byte-slab.js';
import { assert, InvalidArgumentError, InvalidConfigError } from '../core/errors.js';
import { createSeededRandom } from '../core/random.js';
import type { SeededRandom } from '../core/random.js';
import type { Message, NodeId } from '../core/types.js';
import type { Transport, TransportHandler } from './transport.js';
import { UnreachableReports } from './unreachable-reports.js';

export const MEMORY_TRANSPORT_DEFAULTS = Object.freeze({
  seed: 1,
  maxQueuedMessages: 4096,
});

const ADDRESS_PREFIX = 'memory://';

/** How a `MemoryNetwork` draws its faults and bounds its queues. */
export interface MemoryNetworkOptions {
  /** Seeds the generator behind every random fault (drops, delays). Default 1. */
  readonly seed?: number;
  /**
   * Messages waiting on one link's lane (ordinary or snapshot) for delivery; beyond it,
   * sends are dropped and reported unreachable. Default 4096.
   */
  readonly maxQueuedMessages?: number;
}

/** A link's latency: each message waits a uniformly drawn [minMs, maxMs] milliseconds. */
interface LinkDelay {
  readonly minMs: number;
  readonly maxMs: number;
}

/** What the network decided for one message about to be sent. */
type Fate =
  | { readonly kind: 'blocked' }
  | { readonly kind: 'lost' }
  | { readonly kind: 'in-order' }
  | { readonly kind: 'delayed'; readonly delayMs: number };

/** The hub: who is listening where, and the faults between them. */
export class MemoryNetwork {
  readonly seed: number;
  readonly maxQueuedMessages: number;
  private readonly random: SeededRandom;
  private readonly listeners = new Map<string, MemoryTransport>();
  private readonly dropProbabilities = new Map<string, number>();
  private readonly delays = new Map<string, LinkDelay>();
  /** Blocked directed links, as `from->to`. */
  private readonly blocked = new Set<string>();
  /** Nodes cut off from everyone, in both directions. */
  private readonly isolated = new Set<NodeId>();

  constructor(options: MemoryNetworkOptions = {}) {
    this.seed = options.seed ?? MEMORY_TRANSPORT_DEFAULTS.seed;
    this.maxQueuedMessages = options.maxQueuedMessages ?? MEMORY_TRANSPORT_DEFAULTS.maxQueuedMessages;
    if (!Number.isSafeInteger(this.maxQueuedMessages) || this.maxQueuedMessages <= 0) {
      throw new InvalidConfigError('MemoryNetworkOptions.maxQueuedMessages', 'must be a positive integer');
    }
    this.random = createSeededRandom(this.seed);
  }

  /** The address a node's transport listens on. */
  static addressOf(id: NodeId): string {
    return `${ADDRESS_PREFIX}${id}`;
  }

  /** A new, unstarted transport for node `id` on this network, at `address` (default `addressOf(id)`: a node that moved has another). */
  transport(id: NodeId, address: string = MemoryNetwork.addressOf(id)): MemoryTransport {
    return new MemoryTransport(this, id, address);
  }

  /** Lose each message `from → to` with `probability` (0 restores the link). Loss is silent. */
  drop(from: NodeId, to: NodeId, probability: number): void {
    if (!(probability >= 0 && probability <= 1)) throw new InvalidArgumentError(`drop probability ${probability} is not in [0, 1]`);
    if (probability === 0) this.dropProbabilities.delete(linkKey(from, to));
    else this.dropProbabilities.set(linkKey(from, to), probability);
  }

  /**
   * Delay each message `from → to` by a uniformly drawn [minMs, maxMs] milliseconds.
   * Unequal bounds reorder the link; `delay(from, to, 0, 0)` restores it.
   */
  delay(from: NodeId, to: NodeId, minMs: number, maxMs: number): void {
    if (!(minMs >= 0 && maxMs >= minMs)) throw new InvalidArgumentError(`delay [${minMs}, ${maxMs}] ms is not a range`);
    if (maxMs === 0) this.delays.delete(linkKey(from, to));
    else this.delays.set(linkKey(from, to), { minMs, maxMs });
  }

  /** Cut every link between a node of `groupA` and one of `groupB`, both ways. */
  partition(groupA: readonly NodeId[], groupB: readonly NodeId[]): void {
    for (const a of groupA) {
      for (const b of groupB) {
        this.blocked.add(linkKey(a, b));
        this.blocked.add(linkKey(b, a));
      }
    }
  }

  /** Cut `id` off from every other node, both ways, until `heal()`. */
  isolate(id: NodeId): void {
    this.isolated.add(id);
  }

  /** Remove every partition and isolation (loss and delay settings stay). */
  heal(): void {
    this.blocked.clear();
    this.isolated.clear();
  }

  /** Whether the directed link `from → to` is cut. */
  isBlocked(from: NodeId, to: NodeId): boolean {
    return this.isolated.has(from) || this.isolated.has(to) || this.blocked.has(linkKey(from, to));
  }

  /** @internal Claims `transport.address` for a starting transport. */
  listen(transport: MemoryTransport): void {
    const holder = this.listeners.get(transport.address);
    if (holder !== undefined && holder !== transport) {
      throw new InvalidConfigError('MemoryTransport address', `${transport.address} is in use`);
    }
    this.listeners.set(transport.address, transport);
  }

  /** @internal Releases the address of a stopping transport. */
  unlisten(transport: MemoryTransport): void {
    if (this.listeners.get(transport.address) === transport) this.listeners.delete(transport.address);
  }

  /** @internal The running transport at `address`, if any. */
  resolve(address: string): MemoryTransport | undefined {
    return this.listeners.get(address);
  }

  /** @internal Decides a message's fate; draws from the seeded generator only for configured faults. */
  fate(from: NodeId, to: NodeId): Fate {
    if (this.isBlocked(from, to)) return { kind: 'blocked' };
    const key = linkKey(from, to);
    const drop = this.dropProbabilities.get(key);
    if (drop !== undefined && this.random.chance(drop)) return { kind: 'lost' };
    const delay = this.delays.get(key);
    if (delay === undefined) return { kind: 'in-order' };
    return { kind: 'delayed', delayMs: delay.minMs + this.random.float() * (delay.maxMs - delay.minMs) };
  }
}

function linkKey(from: NodeId, to: NodeId): string {
  return `${from}->${to}`;
}

type TransportState = 'new' | 'running' | 'stopped';

/**
 * A `Transport` inside one process, through a `MemoryNetwork`: for tests and simulations.
 * Delivery is asynchronous and copies every message.
 */
export class MemoryTransport implements Transport {
  readonly address: string;
  private state: TransportState = 'new';
  private handler: TransportHandler | undefined;
  private readonly peers = new Map<NodeId, string>();
  private readonly links = new Map<NodeId, OutgoingLink>();
  private readonly delayed = new Set<NodeJS.Timeout>();
  private readonly unreachable = new UnreachableReports(
    () => this.state === 'running',
    (peer) => this.handler!.onUnreachable(peer),
  );

  constructor(
    private readonly network: MemoryNetwork,
    readonly id: NodeId,
    address: string = MemoryNetwork.addressOf(id),
  ) {
    assert(Number.isSafeInteger(id) && id > 0, () => `node id ${id} is not a positive safe integer`);
    this.address = address;
  }

  start(handler: TransportHandler): Promise<void> {
    assert(this.state === 'new', () => `MemoryTransport.start() called in state ${this.state}`);
    try {
      this.network.listen(this);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    this.handler = handler;
    this.state = 'running';
    return Promise.resolve();
  }

  setPeer(id: NodeId, address: string): void {
    if (this.peers.get(id) === address) return;
    this.removePeer(id);
    this.peers.set(id, address);
  }

  removePeer(id: NodeId): void {
    this.links.get(id)?.close();
    this.links.delete(id);
    this.peers.delete(id);
  }

  send(messages: readonly Message[]): void {
    assert(this.state !== 'new', 'MemoryTransport.send() called before start()');
    if (this.state === 'stopped') return;
    for (const message of messages) this.sendOne(message);
  }

  stop(): Promise<void> {
    if (this.state !== 'stopped') {
      this.state = 'stopped';
      this.network.unlisten(this);
      for (const link of this.links.values()) link.close();
      this.links.clear();
      for (const timer of this.delayed) clearTimeout(timer);
      this.delayed.clear();
      this.unreachable.clear();
    }
    return Promise.resolve();
  }

  /** @internal Called by a peer's link: messages arrive here. */
  receive(messages: readonly Message[]): boolean {
    if (this.state !== 'running') return false;
    this.handler!.onMessages(messages);
    return true;
  }

  private sendOne(message: Message): void {
    const address = this.peers.get(message.to);
    if (address === undefined || !this.isListening(address, message.to)) {
      this.unreachable.report(message.to);
      return;
    }
    const fate = this.network.fate(this.id, message.to);
    switch (fate.kind) {
      case 'blocked':
        this.unreachable.report(message.to);
        return;
      case 'lost':
        return;
      case 'in-order':
        if (!this.link(message.to, address).enqueue(copyMessage(message))) this.unreachable.report(message.to);
        return;
      case 'delayed':
        this.deliverLater(address, copyMessage(message), fate.delayMs);
        return;
      default:
        return unreachable(fate);
    }
  }

  private isListening(address: string, id: NodeId): boolean {
    return this.network.resolve(address)?.id === id;
  }

  private link(to: NodeId, address: string): OutgoingLink {
    let link = this.links.get(to);
    if (link === undefined) {
      link = new OutgoingLink(this.network.maxQueuedMessages, (batch) => this.deliver(address, to, batch));
      this.links.set(to, link);
    }
    return link;
  }

  private deliverLater(address: string, message: Message, delayMs: number): void {
    const timer = setTimeout(() => {
      this.delayed.delete(timer);
      this.deliver(address, message.to, [message]);
    }, delayMs);
    this.delayed.add(timer);
  }

  /** Hands a batch to the peer, if it is still there and still reachable; else reports it. */
  private deliver(address: string, to: NodeId, batch: readonly Message[]): void {
    if (this.state !== 'running') return;
    const target = this.network.resolve(address);
    const delivered = target !== undefined && target.id === to && !this.network.isBlocked(this.id, to) && target.receive(batch);
    if (!delivered) this.unreachable.report(to);
  }
}

/**
 * The in-order lanes of one link: ordinary messages, all delivered as one batch per turn of
 * the event loop, and snapshot chunks, one per turn.
 */
class OutgoingLink {
  private readonly messages: Message[] = [];
  private readonly snapshots: Message[] = [];
  private messagesPump: NodeJS.Immediate | undefined;
  private snapshotsPump: NodeJS.Immediate | undefined;

  constructor(
    private readonly maxQueuedMessages: number,
    private readonly deliver: (batch: readonly Message[]) => void,
  ) {}

  /** False when the lane is full (the message is dropped). */
  enqueue(message: Message): boolean {
    const lane = message.type === 'MsgSnap' ? this.snapshots : this.messages;
    if (lane.length >= this.maxQueuedMessages) return false;
    lane.push(message);
    if (message.type === 'MsgSnap') this.snapshotsPump ??= setImmediate(() => this.pumpSnapshot());
    else this.messagesPump ??= setImmediate(() => this.pumpMessages());
    return true;
  }

  close(): void {
    if (this.messagesPump !== undefined) clearImmediate(this.messagesPump);
    if (this.snapshotsPump !== undefined) clearImmediate(this.snapshotsPump);
    this.messagesPump = undefined;
    this.snapshotsPump = undefined;
    this.messages.length = 0;
    this.snapshots.length = 0;
  }

  private pumpMessages(): void {
    this.messagesPump = undefined;
    this.deliver(this.messages.splice(0, this.messages.length));
  }

  private pumpSnapshot(): void {
    this.snapshotsPump = undefined;
    this.deliver(this.snapshots.splice(0, 1));
    if (this.snapshots.length > 0) this.snapshotsPump = setImmediate(() => this.pumpSnapshot());
  }
}

/**
 * A deep copy of a message, as the wire would make it: its own object, entry objects and
 * bytes. Written out for the message shapes (entries, a snapshot chunk's bytes and
 * metadata) because `structuredClone`'s generic walk cost more than the rest of the
 * consensus hot path together.
 */
export function copyMessage(message: Message): Message {
  switch (message.type) {
    case 'MsgApp':
    case 'MsgProp':
      return { ...message, entries: message.entries.map((entry) => ({ term: entry.term, index: entry.index, type: entry.type, data: copyBytes(entry.data) })) };
    case 'MsgSnap':
      return { ...message, snapshot: structuredClone(message.snapshot), data: copyBytes(message.data) };
    default:
      return { ...message };
  }
}

function unreachable(value: never): never {
  throw new Error(`unreachable: ${JSON.stringify(value)}`);
}
