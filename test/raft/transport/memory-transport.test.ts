/**
 * `MemoryTransport` against the `Transport` compliance suite, plus its fault injection:
 * partitions, isolation, loss and delay are honoured, and a seed reproduces the faults.
 */
import { InvalidConfigError } from '../../../raft/core/errors.js';
import type { HeartbeatMessage, NodeId } from '../../../raft/core/types.js';
import { copyMessage, MemoryNetwork } from '../../../raft/transport/memory-transport.js';
import { EntryType } from '../../../raft/core/types.js';
import type { Message } from '../../../raft/core/types.js';
import type { MemoryTransport } from '../../../raft/transport/memory-transport.js';
import { eventually, heartbeat, Inbox, sleep, transportCompliance } from './transport-compliance.js';

let network = new MemoryNetwork();

transportCompliance('MemoryTransport', {
  setup: () => {
    network = new MemoryNetwork({ seed: 42 });
  },
  create: (id) => network.transport(id),
});

describe('copyMessage: what a receiver gets shares nothing with what was sent', () => {
  const bytes = (...values: number[]) => new Uint8Array(values);
  const messages: Message[] = [
    { type: 'MsgApp', from: 1, to: 2, term: 3, logTerm: 2, index: 7, commit: 6, entries: [{ term: 3, index: 8, type: EntryType.Normal, data: bytes(1, 2, 3) }] },
    { type: 'MsgProp', from: 2, to: 1, term: 0, entries: [{ term: 0, index: 0, type: EntryType.Normal, data: bytes(9) }] },
    {
      type: 'MsgSnap', from: 1, to: 3, term: 3, offset: 0, done: true, data: bytes(4, 5),
      snapshot: { index: 10, term: 3, confState: { voters: [1, 2, 3], learners: [], votersOutgoing: [], learnersNext: [] } },
    },
    { type: 'MsgHeartbeat', from: 1, to: 2, term: 3, commit: 6, context: 'r1' },
    { type: 'MsgVote', from: 1, to: 2, term: 4, index: 9, logTerm: 3, transfer: false, commit: 6, commitTerm: 3 },
  ];

  test.each(messages.map((message) => [message.type, message] as const))('%s: equal in content, and changing the copy changes nothing sent', (_type, message) => {
    const before = structuredClone(message);
    const copy = copyMessage(message) as unknown as Record<string, unknown>;
    expect(copy).toEqual(message);
    expect(copy).not.toBe(message);
    copy['term'] = 99;
    if (Array.isArray(copy['entries'])) {
      const entries = copy['entries'] as { data: Uint8Array; index: number }[];
      expect(entries).not.toBe((message as { entries: unknown }).entries);
      entries[0]!.data[0] = 255;
      entries[0]!.index = 1234;
    }
    if (copy['data'] instanceof Uint8Array) copy['data'][0] = 255;
    if (typeof copy['snapshot'] === 'object') (copy['snapshot'] as { confState: { voters: number[] } }).confState.voters.push(4);
    expect(message).toEqual(before);
  });
});

describe('MemoryTransport', () => {
  interface Node {
    transport: MemoryTransport;
    inbox: Inbox;
  }
  let running: MemoryTransport[];

  afterEach(async () => {
    await Promise.all(running.map((t) => t.stop()));
  });

  /** Started transports for `ids` on `net`, each knowing all others. */
  async function cluster(net: MemoryNetwork, ids: readonly NodeId[]): Promise<Map<NodeId, Node>> {
    running = [];
    const nodes = new Map<NodeId, Node>();
    for (const id of ids) {
      const transport = net.transport(id);
      const inbox = new Inbox();
      await transport.start(inbox);
      running.push(transport);
      nodes.set(id, { transport, inbox });
    }
    for (const [id, { transport }] of nodes) {
      for (const peer of ids) if (peer !== id) transport.setPeer(peer, MemoryNetwork.addressOf(peer));
    }
    return nodes;
  }

  function commits(inbox: Inbox): number[] {
    return inbox.messages.map((m) => (m as HeartbeatMessage).commit);
  }

  it('names addresses memory://<id> and refuses a second running transport on one', async () => {
    const net = new MemoryNetwork();
    const nodes = await cluster(net, [1]);
    expect(nodes.get(1)!.transport.address).toBe('memory://1');
    const twin = net.transport(1);
    await expect(twin.start(new Inbox())).rejects.toBeInstanceOf(InvalidConfigError);
  });

  it('cuts both directions of a partition, reports it, and heals', async () => {
    const net = new MemoryNetwork();
    const nodes = await cluster(net, [1, 2, 3]);
    const [one, two, three] = [nodes.get(1)!, nodes.get(2)!, nodes.get(3)!];
    net.partition([1], [2, 3]);
    one.transport.send([heartbeat(1, 2, 1), heartbeat(1, 3, 2)]);
    two.transport.send([heartbeat(2, 1, 3), heartbeat(2, 3, 4)]);
    await eventually('reports on both sides', () => one.inbox.unreachable.length === 2 && two.inbox.unreachable.includes(1));
    await eventually('2 → 3 still delivered', () => commits(three.inbox).includes(4));
    await sleep(20);
    expect(one.inbox.messages).toEqual([]);
    expect(commits(two.inbox)).toEqual([]);
    expect(commits(three.inbox)).toEqual([4]);
    net.heal();
    one.transport.send([heartbeat(1, 2, 5)]);
    two.transport.send([heartbeat(2, 1, 6)]);
    await eventually('delivery after heal', () => commits(two.inbox).includes(5) && commits(one.inbox).includes(6));
  });

  it('loses messages already in flight when a partition falls', async () => {
    const net = new MemoryNetwork();
    const nodes = await cluster(net, [1, 2]);
    net.delay(1, 2, 30, 30);
    nodes.get(1)!.transport.send([heartbeat(1, 2, 1)]);
    net.partition([1], [2]);
    // The delayed heartbeat reaches the cut link and is reported instead of delivered.
    await eventually('the report', () => nodes.get(1)!.inbox.unreachable.length > 0);
    expect(nodes.get(1)!.inbox.unreachable).toEqual([2]);
    await sleep(10);
    expect(nodes.get(2)!.inbox.messages).toEqual([]);
  });

  it('isolates one node from everyone until healed', async () => {
    const net = new MemoryNetwork();
    const nodes = await cluster(net, [1, 2, 3]);
    net.isolate(3);
    nodes.get(1)!.transport.send([heartbeat(1, 3, 1), heartbeat(1, 2, 2)]);
    nodes.get(3)!.transport.send([heartbeat(3, 1, 3), heartbeat(3, 2, 4)]);
    await eventually('1 → 2 delivered', () => commits(nodes.get(2)!.inbox).includes(2));
    await eventually('3 reports both peers', () => nodes.get(3)!.inbox.unreachable.length === 2);
    await sleep(20);
    expect(commits(nodes.get(2)!.inbox)).toEqual([2]);
    expect(nodes.get(3)!.inbox.messages).toEqual([]);
    expect(nodes.get(1)!.inbox.unreachable).toEqual([3]);
    net.heal();
    nodes.get(3)!.transport.send([heartbeat(3, 1, 5)]);
    await eventually('3 → 1 after heal', () => commits(nodes.get(1)!.inbox).includes(5));
  });

  it('drops the given share of a link silently, the same messages for the same seed', async () => {
    async function delivered(seed: number): Promise<number[]> {
      const net = new MemoryNetwork({ seed });
      const nodes = await cluster(net, [1, 2, 3]);
      net.drop(1, 2, 0.5);
      const sender = nodes.get(1)!.transport;
      for (let i = 1; i <= 400; i++) sender.send([heartbeat(1, 2, i), heartbeat(1, 3, i)]);
      await eventually('the unaffected link', () => nodes.get(3)!.inbox.messages.length === 400);
      await sleep(20);
      expect(nodes.get(1)!.inbox.unreachable).toEqual([]);
      const result = commits(nodes.get(2)!.inbox);
      await Promise.all(running.map((t) => t.stop()));
      return result;
    }
    const first = await delivered(7);
    expect(first.length).toBeGreaterThan(120);
    expect(first.length).toBeLessThan(280);
    // What survives keeps its order.
    expect([...first].sort((a, b) => a - b)).toEqual(first);
    expect(await delivered(7)).toEqual(first);
    expect(await delivered(8)).not.toEqual(first);
  });

  it('drops everything at probability 1 and nothing once set back to 0', async () => {
    const net = new MemoryNetwork();
    const nodes = await cluster(net, [1, 2]);
    net.drop(1, 2, 1);
    nodes.get(1)!.transport.send([heartbeat(1, 2, 1)]);
    await sleep(20);
    expect(nodes.get(2)!.inbox.messages).toEqual([]);
    net.drop(1, 2, 0);
    nodes.get(1)!.transport.send([heartbeat(1, 2, 2)]);
    await eventually('delivery after the drop is lifted', () => commits(nodes.get(2)!.inbox).includes(2));
  });

  it('delays a link by at least its minimum, and reorders it when the delay varies', async () => {
    const net = new MemoryNetwork({ seed: 3 });
    const nodes = await cluster(net, [1, 2, 3]);
    net.delay(1, 2, 40, 40);
    const sentAt = Date.now();
    nodes.get(1)!.transport.send([heartbeat(1, 2, 1), heartbeat(1, 3, 2)]);
    await eventually('the undelayed link', () => nodes.get(3)!.inbox.messages.length === 1);
    await eventually('the delayed link', () => nodes.get(2)!.inbox.messages.length === 1);
    // Seen no sooner than it arrived, so this is a lower bound on the delay. (Timers may
    // fire a millisecond early by the wall clock's rounding.)
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(39);

    net.delay(1, 2, 0, 30);
    const count = 100;
    for (let i = 1; i <= count; i++) nodes.get(1)!.transport.send([heartbeat(1, 2, 100 + i)]);
    await eventually('every delayed heartbeat', () => nodes.get(2)!.inbox.messages.length === 1 + count);
    const received = commits(nodes.get(2)!.inbox).slice(1);
    expect([...received].sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, i) => 101 + i));
    expect(received).not.toEqual([...received].sort((a, b) => a - b));

    net.delay(1, 2, 0, 0);
    for (let i = 1; i <= count; i++) nodes.get(1)!.transport.send([heartbeat(1, 2, 1000 + i)]);
    await eventually('the restored link', () => nodes.get(2)!.inbox.messages.length === 1 + 2 * count);
    expect(commits(nodes.get(2)!.inbox).slice(1 + count)).toEqual(Array.from({ length: count }, (_, i) => 1001 + i));
  });

  it('bounds each lane: beyond maxQueuedMessages a send is dropped and reported', async () => {
    const net = new MemoryNetwork({ maxQueuedMessages: 10 });
    const nodes = await cluster(net, [1, 2]);
    nodes.get(1)!.transport.send(Array.from({ length: 15 }, (_, i) => heartbeat(1, 2, i + 1)));
    await eventually('the report', () => nodes.get(1)!.inbox.unreachable.includes(2));
    await eventually('the first ten', () => nodes.get(2)!.inbox.messages.length === 10);
    await sleep(20);
    expect(commits(nodes.get(2)!.inbox)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('refuses fault settings that are not probabilities or ranges', () => {
    const net = new MemoryNetwork();
    expect(() => net.drop(1, 2, 1.5)).toThrow(/probability/);
    expect(() => net.delay(1, 2, 10, 5)).toThrow(/range/);
    expect(() => new MemoryNetwork({ maxQueuedMessages: 0 })).toThrow(InvalidConfigError);
  });
});
