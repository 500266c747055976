/**
 * The suite every `Transport` implementation must pass, in the manner of abstract-level's
 * shared tests: an implementation's test file calls `transportCompliance(name, factory)`
 * with a factory for fresh, unstarted transports.
 *
 * It checks the contract of `raft/transport/transport.ts` as the `RaftNode` relies on it:
 * every message type arrives with every field intact (the core's `Message` union, optional
 * fields staying absent); a link keeps the order of what was sent on it; sends never throw
 * and never deliver inside `send()`; what cannot be delivered (unknown peer, removed peer,
 * stopped peer) is reported through `onUnreachable`; large snapshot chunks arrive, and do
 * not hold up heartbeats; a peer restarted on its address is reached again; `stop()` is
 * idempotent and ends all delivery.
 */
import { EntryType } from '../../../raft/core/types.js';
import type { HeartbeatMessage, Message, NodeId, SnapshotMessage } from '../../../raft/core/types.js';
import type { Transport, TransportHandler } from '../../../raft/transport/transport.js';

export interface TransportFactory {
  /**
   * A fresh, unstarted transport for node `id`. With `address`, it must listen there (a
   * restart takes over the address of a stopped transport); without, anywhere it likes.
   */
  create(id: NodeId, address?: string): Transport;
  /** Before each test (e.g. a new network). */
  setup?(): void | Promise<void>;
  /** After each test, once every transport of the test has been stopped. */
  teardown?(): void | Promise<void>;
}

/** How long a test waits for something that should happen, ms. */
export const EVENTUALLY_TIMEOUT_MS = 10_000;

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `condition` every few milliseconds until it holds; fails with `what` after
 * `timeoutMs`. `step` runs before each poll (e.g. to send again).
 */
export async function eventually(
  what: string,
  condition: () => boolean,
  step?: () => void,
  timeoutMs = EVENTUALLY_TIMEOUT_MS,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    step?.();
    if (condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await sleep(step === undefined ? 2 : 20);
  }
}

/** A `TransportHandler` that records everything it is given. */
export class Inbox implements TransportHandler {
  /** Each `onMessages` call's batch, in order. */
  readonly batches: Message[][] = [];
  /** Each `onUnreachable` call's peer, in order. */
  readonly unreachable: NodeId[] = [];
  /** The order in which messages and reports came, e.g. `'message MsgHeartbeat'`. */
  readonly events: string[] = [];

  onMessages(messages: readonly Message[]): void {
    this.batches.push([...messages]);
    for (const message of messages) this.events.push(`message ${message.type}`);
  }

  onUnreachable(peer: NodeId): void {
    this.unreachable.push(peer);
    this.events.push(`unreachable ${peer}`);
  }

  get messages(): Message[] {
    return this.batches.flat();
  }
}

export function heartbeat(from: NodeId, to: NodeId, commit: number, context = ''): HeartbeatMessage {
  return { type: 'MsgHeartbeat', from, to, term: 1, commit, context };
}

/** Bytes `seed, seed+1, ...` (mod 256): payloads whose corruption or truncation shows. */
export function pattern(sizeBytes: number, seed = 0): Uint8Array {
  const bytes = new Uint8Array(sizeBytes);
  for (let i = 0; i < sizeBytes; i++) bytes[i] = (seed + i) % 256;
  return bytes;
}

export function snapshotChunk(from: NodeId, to: NodeId, offset: number, data: Uint8Array, done: boolean): SnapshotMessage {
  return {
    type: 'MsgSnap',
    from,
    to,
    term: 3,
    snapshot: { index: 500, term: 3, confState: { voters: [1, 2, 3], learners: [], votersOutgoing: [], learnersNext: [] } },
    offset,
    data,
    done,
  };
}

const MAX = Number.MAX_SAFE_INTEGER;

/**
 * One message of every type, and the variants whose fields are easiest to lose: optional
 * commit facts absent and present (zero included), empty and non-empty payloads, both
 * entry types, a joint configuration, and the largest safe integers in every numeric field.
 */
export function sampleMessages(from: NodeId, to: NodeId): Message[] {
  const base = { from, to };
  return [
    {
      ...base,
      type: 'MsgProp',
      term: 0,
      entries: [
        { term: 0, index: 0, type: EntryType.Normal, data: new Uint8Array([1, 2, 3]) },
        { term: 0, index: 0, type: EntryType.ConfChange, data: new Uint8Array(0) },
      ],
    },
    { ...base, type: 'MsgProp', term: 0, entries: [] },
    {
      ...base,
      type: 'MsgApp',
      term: 7,
      logTerm: 6,
      index: 41,
      commit: 40,
      entries: [
        { term: 7, index: 42, type: EntryType.Normal, data: new Uint8Array(0) },
        { term: 7, index: 43, type: EntryType.ConfChange, data: pattern(300, 7) },
        { term: MAX, index: MAX, type: EntryType.Normal, data: new Uint8Array([255, 0, 255]) },
      ],
    },
    { ...base, type: 'MsgApp', term: 1, logTerm: 0, index: 0, commit: 0, entries: [] },
    { ...base, type: 'MsgAppResp', term: 7, index: 43, reject: false, rejectHint: 0, logTerm: 0 },
    { ...base, type: 'MsgAppResp', term: MAX, index: MAX, reject: true, rejectHint: MAX - 1, logTerm: MAX - 2 },
    { ...base, type: 'MsgVote', term: 8, index: 43, logTerm: 7, transfer: false },
    { ...base, type: 'MsgVote', term: 8, index: 43, logTerm: 7, transfer: true, commit: 40, commitTerm: 7 },
    { ...base, type: 'MsgPreVote', term: 9, index: 43, logTerm: 7, transfer: false, commit: 0, commitTerm: 0 },
    { ...base, type: 'MsgPreVote', term: 9, index: 43, logTerm: 7, transfer: false, commit: 12 },
    { ...base, type: 'MsgVoteResp', term: 8, reject: false },
    { ...base, type: 'MsgVoteResp', term: 8, reject: true, commit: MAX, commitTerm: MAX },
    { ...base, type: 'MsgPreVoteResp', term: 9, reject: true, commitTerm: 3 },
    { ...base, type: 'MsgPreVoteResp', term: 9, reject: false },
    { ...base, type: 'MsgHeartbeat', term: 7, commit: 43, context: '' },
    { ...base, type: 'MsgHeartbeat', term: 7, commit: 0, context: 'read-17 ✓ ünïcode' },
    { ...base, type: 'MsgHeartbeatResp', term: 7, context: '' },
    { ...base, type: 'MsgHeartbeatResp', term: 7, context: 'read-17 ✓ ünïcode' },
    { ...base, type: 'MsgReadIndex', term: 0, context: 'request-1' },
    { ...base, type: 'MsgReadIndexResp', term: 7, index: 43, context: 'request-1' },
    { ...base, type: 'MsgTransferLeader', term: 0 },
    { ...base, type: 'MsgTimeoutNow', term: 7 },
    {
      ...base,
      type: 'MsgSnap',
      term: 7,
      snapshot: { index: 40, term: 6, confState: { voters: [1, 2, 4], learners: [5], votersOutgoing: [1, 2, 3], learnersNext: [3] } },
      offset: 0,
      data: pattern(1000, 3),
      done: false,
    },
    {
      ...base,
      type: 'MsgSnap',
      term: MAX,
      snapshot: { index: MAX, term: MAX, confState: { voters: [MAX], learners: [], votersOutgoing: [], learnersNext: [] } },
      offset: MAX,
      data: new Uint8Array(0),
      done: true,
    },
    { ...base, type: 'MsgSnapResp', term: 7, index: 40, offset: 1000, reject: false },
    { ...base, type: 'MsgSnapResp', term: 7, index: 40, offset: 0, reject: true },
  ];
}

/** Every `Message['type']`, to prove `sampleMessages` misses none. */
export const ALL_MESSAGE_TYPES: readonly Message['type'][] = [
  'MsgProp',
  'MsgApp',
  'MsgAppResp',
  'MsgVote',
  'MsgVoteResp',
  'MsgPreVote',
  'MsgPreVoteResp',
  'MsgHeartbeat',
  'MsgHeartbeatResp',
  'MsgReadIndex',
  'MsgReadIndexResp',
  'MsgTransferLeader',
  'MsgTimeoutNow',
  'MsgSnap',
  'MsgSnapResp',
];

interface Node {
  readonly id: NodeId;
  transport: Transport;
  inbox: Inbox;
}

const IDS: readonly NodeId[] = [1, 2, 3];

export function transportCompliance(name: string, factory: TransportFactory): void {
  describe(`Transport compliance: ${name}`, () => {
    let nodes: Node[];
    /** Every transport a test started, so that afterEach stops even replaced ones. */
    let started: Transport[];

    async function startNode(id: NodeId, address?: string): Promise<Node> {
      const transport = factory.create(id, address);
      const inbox = new Inbox();
      started.push(transport);
      await transport.start(inbox);
      return { id, transport, inbox };
    }

    function node(id: NodeId): Node {
      return nodes.find((n) => n.id === id)!;
    }

    beforeEach(async () => {
      await factory.setup?.();
      started = [];
      nodes = [];
      for (const id of IDS) nodes.push(await startNode(id));
      for (const a of nodes) {
        for (const b of nodes) if (a !== b) a.transport.setPeer(b.id, b.transport.address);
      }
    });

    afterEach(async () => {
      await Promise.all(started.map((transport) => transport.stop()));
      await factory.teardown?.();
    });

    it('delivers every message type with every field intact, as copies', async () => {
      const sent = sampleMessages(1, 2);
      expect(new Set(sent.map((m) => m.type))).toEqual(new Set(ALL_MESSAGE_TYPES));
      node(1).transport.send(sent);
      await eventually('all samples at node 2', () => node(2).inbox.messages.length >= sent.length);
      const received = node(2).inbox.messages;
      // Snapshot chunks may travel on their own stream: order holds within each kind.
      const isSnap = (m: Message): boolean => m.type === 'MsgSnap';
      expect(received.filter((m) => !isSnap(m))).toStrictEqual(sent.filter((m) => !isSnap(m)));
      expect(received.filter(isSnap)).toStrictEqual(sent.filter(isSnap));
      for (const message of received) expect(sent).not.toContain(message);
      // Payloads are the receiver's own: changing the sender's bytes afterwards changes nothing.
      const sentChunk = sent.find(isSnap) as SnapshotMessage;
      const receivedChunk = received.find(isSnap) as SnapshotMessage;
      (sentChunk.data as Uint8Array)[0] = 99;
      expect(receivedChunk.data[0]).toBe(3);
    });

    it('splits one send among its recipients, each getting only its own, in order', async () => {
      const mixed: Message[] = [];
      for (let i = 1; i <= 50; i++) mixed.push(heartbeat(1, i % 2 === 0 ? 2 : 3, i));
      node(1).transport.send(mixed);
      await eventually('25 messages at 2 and at 3', () => node(2).inbox.messages.length >= 25 && node(3).inbox.messages.length >= 25);
      expect(node(2).inbox.messages).toStrictEqual(mixed.filter((m) => m.to === 2));
      expect(node(3).inbox.messages).toStrictEqual(mixed.filter((m) => m.to === 3));
      expect(node(1).inbox.unreachable).toEqual([]);
    });

    it('never delivers inside send()', async () => {
      node(1).transport.send([heartbeat(1, 2, 1)]);
      expect(node(2).inbox.batches).toEqual([]);
      await eventually('the heartbeat', () => node(2).inbox.messages.length === 1);
    });

    it('keeps the order of a burst of 1000 messages on a healthy link', async () => {
      const count = 1000;
      for (let commit = 1; commit <= count; commit++) {
        node(1).transport.send([heartbeat(1, 2, commit)]);
        // Some sends in later turns of the event loop, so that several batches are involved.
        if (commit % 250 === 0) await sleep(1);
      }
      await eventually(`${count} heartbeats`, () => node(2).inbox.messages.length >= count);
      const commits = node(2).inbox.messages.map((m) => (m as HeartbeatMessage).commit);
      expect(commits).toEqual(Array.from({ length: count }, (_, i) => i + 1));
    });

    it('delivers many messages sent in one call, in fewer callbacks than messages', async () => {
      const count = 500;
      node(1).transport.send(Array.from({ length: count }, (_, i) => heartbeat(1, 2, i + 1)));
      await eventually(`${count} heartbeats`, () => node(2).inbox.messages.length >= count);
      expect(node(2).inbox.messages).toHaveLength(count);
      expect(node(2).inbox.batches.length).toBeLessThan(count);
    });

    it('coalesces sends made in the same turn of the event loop', async () => {
      // A first exchange, so that any connection is up and the burst is not waiting on it.
      node(1).transport.send([heartbeat(1, 2, 0)]);
      await eventually('the first heartbeat', () => node(2).inbox.messages.length === 1);
      const count = 200;
      for (let i = 1; i <= count; i++) node(1).transport.send([heartbeat(1, 2, i)]);
      await eventually(`${count} more heartbeats`, () => node(2).inbox.messages.length === count + 1);
      expect(node(2).inbox.batches.length - 1).toBeLessThan(count / 2);
    });

    it('reports an unknown peer unreachable, without throwing, and delivers the rest', async () => {
      expect(() => node(1).transport.send([heartbeat(1, 99, 1), heartbeat(1, 2, 2), heartbeat(1, 99, 3)])).not.toThrow();
      await eventually('the report on 99', () => node(1).inbox.unreachable.includes(99));
      await eventually('the heartbeat to 2', () => node(2).inbox.messages.length === 1);
      expect((node(2).inbox.messages[0] as HeartbeatMessage).commit).toBe(2);
      // A flood of drops is reported, not once per message.
      const reportsBefore = node(1).inbox.unreachable.length;
      node(1).transport.send(Array.from({ length: 100 }, (_, i) => heartbeat(1, 99, i)));
      await eventually('a report on the flood', () => node(1).inbox.unreachable.length > reportsBefore);
      await sleep(20);
      expect(node(1).inbox.unreachable.length - reportsBefore).toBeLessThan(5);
    });

    it('stops delivering to a removed peer and reports sends to it', async () => {
      node(1).transport.send([heartbeat(1, 2, 1)]);
      await eventually('the first heartbeat', () => node(2).inbox.messages.length === 1);
      node(1).transport.removePeer(2);
      node(1).transport.send([heartbeat(1, 2, 2), heartbeat(1, 3, 3)]);
      await eventually('the report on 2', () => node(1).inbox.unreachable.includes(2));
      await eventually('the heartbeat to 3', () => node(3).inbox.messages.length === 1);
      await sleep(50);
      expect(node(2).inbox.messages).toHaveLength(1);
      // Setting the peer again restores the link.
      node(1).transport.setPeer(2, node(2).transport.address);
      await eventually(
        'a heartbeat to 2 after setPeer',
        () => node(2).inbox.messages.length > 1,
        () => node(1).transport.send([heartbeat(1, 2, 4)]),
      );
    });

    it('stop() is idempotent; a stopped node receives nothing, delivers nothing, and sends to it are reported', async () => {
      node(1).transport.send([heartbeat(1, 2, 1)]);
      await eventually('the first heartbeat', () => node(2).inbox.messages.length === 1);
      await Promise.all([node(2).transport.stop(), node(2).transport.stop()]);
      await node(2).transport.stop();
      await eventually(
        'a report on the stopped node',
        () => node(1).inbox.unreachable.includes(2),
        () => node(1).transport.send([heartbeat(1, 2, 2)]),
      );
      expect(() => node(2).transport.send([heartbeat(2, 1, 3)])).not.toThrow();
      node(3).transport.send([heartbeat(3, 1, 4)]);
      await eventually('the heartbeat from 3', () => node(1).inbox.messages.length === 1);
      await sleep(50);
      expect(node(2).inbox.messages).toHaveLength(1);
      expect(node(1).inbox.messages.map((m) => m.from)).toEqual([3]);
      expect(node(2).inbox.unreachable).toEqual([]);
    });

    it('delivers a 4 MiB snapshot chunk intact', async () => {
      const chunk = snapshotChunk(1, 2, 0, pattern(4 * 1024 * 1024, 11), true);
      node(1).transport.send([chunk]);
      await eventually('the chunk', () => node(2).inbox.messages.length === 1);
      const received = node(2).inbox.messages[0] as SnapshotMessage;
      expect(received.data.byteLength).toBe(chunk.data.byteLength);
      expect(Buffer.compare(received.data, chunk.data)).toBe(0);
      expect(received).toStrictEqual(chunk);
    });

    it('does not hold a heartbeat behind a stream of snapshot chunks', async () => {
      // Warm both paths up first, so neither waits on a connection.
      node(1).transport.send([heartbeat(1, 2, 0), snapshotChunk(1, 2, 0, new Uint8Array(1), false)]);
      await eventually('the warm-up', () => node(2).inbox.messages.length === 2);
      node(2).inbox.events.length = 0;
      const chunkBytes = 4 * 1024 * 1024;
      const chunks = 6;
      for (let i = 0; i < chunks; i++) {
        node(1).transport.send([snapshotChunk(1, 2, 1 + i * chunkBytes, pattern(chunkBytes, i), i === chunks - 1)]);
      }
      node(1).transport.send([heartbeat(1, 2, 1)]);
      await eventually('every chunk and the heartbeat', () => node(2).inbox.messages.length === 2 + chunks + 1);
      const events = node(2).inbox.events;
      expect(events.indexOf('message MsgHeartbeat')).toBeLessThan(events.lastIndexOf('message MsgSnap'));
      // Chunks keep their order on their own stream.
      const offsets = node(2)
        .inbox.messages.filter((m): m is SnapshotMessage => m.type === 'MsgSnap')
        .slice(1)
        .map((m) => m.offset);
      expect(offsets).toEqual(Array.from({ length: chunks }, (_, i) => 1 + i * chunkBytes));
    });

    it('reaches a peer restarted on the same address, reporting it unreachable meanwhile', async () => {
      node(1).transport.send([heartbeat(1, 2, 1)]);
      await eventually('the first heartbeat', () => node(2).inbox.messages.length === 1);
      const address = node(2).transport.address;
      await node(2).transport.stop();
      await eventually(
        'a report while node 2 is down',
        () => node(1).inbox.unreachable.includes(2),
        () => node(1).transport.send([heartbeat(1, 2, 2)]),
      );
      const restarted = await startNode(2, address);
      expect(restarted.transport.address).toBe(address);
      nodes[nodes.indexOf(node(2))] = restarted;
      let commit = 100;
      await eventually(
        'a heartbeat at the restarted node',
        () => restarted.inbox.messages.length > 0,
        () => node(1).transport.send([heartbeat(1, 2, commit++)]),
      );
      // Only messages sent after the restart can arrive there.
      expect(restarted.inbox.messages.every((m) => (m as HeartbeatMessage).commit >= 100)).toBe(true);
      // And the restarted node can answer over its own, fresh connections.
      restarted.transport.setPeer(1, node(1).transport.address);
      restarted.transport.send([heartbeat(2, 1, 7)]);
      await eventually('the answer at node 1', () => node(1).inbox.messages.some((m) => m.from === 2));
    });
  });
}
