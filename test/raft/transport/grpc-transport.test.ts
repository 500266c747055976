/**
 * `GrpcTransport` against the `Transport` compliance suite (on 127.0.0.1, ephemeral ports),
 * plus what is particular to gRPC: size limits, refusals of batches for another node or
 * cluster, the port released by stop(), and reconnection paced by back-off.
 */
import net from 'node:net';

import * as grpc from '@grpc/grpc-js';

import { AssertionFailedError, InvalidConfigError } from '../../../raft/core/errors.js';
import type { AppendMessage, HeartbeatMessage, Message, NodeId } from '../../../raft/core/types.js';
import { EntryType } from '../../../raft/core/types.js';
import { RAFT_SERVICE_NAME, decodeStreamControl, encodeBatch, encodeMessage } from '../../../raft/transport/codec.js';
import { GrpcTransport, reconnectDelayMs } from '../../../raft/transport/grpc-transport.js';
import type { GrpcTransportOptions } from '../../../raft/transport/grpc-transport.js';
import { eventually, heartbeat, Inbox, pattern, sleep, transportCompliance } from './transport-compliance.js';

/** Back-off short enough that reconnection tests take a fraction of a second. */
const FAST_BACKOFF = { initial: 10, max: 100 };

transportCompliance('GrpcTransport', {
  create: (id, address) => new GrpcTransport({ id, listen: address ?? '127.0.0.1:0', reconnectBackoffMs: FAST_BACKOFF }),
});

describe('GrpcTransport', () => {
  let running: GrpcTransport[] = [];
  const cleanups: Array<() => void | Promise<void>> = [];

  afterEach(async () => {
    await Promise.all(running.map((t) => t.stop()));
    running = [];
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  interface Started {
    transport: GrpcTransport;
    inbox: Inbox;
  }

  async function startTransport(options: Partial<GrpcTransportOptions> & { id: NodeId }): Promise<Started> {
    const transport = new GrpcTransport({ listen: '127.0.0.1:0', reconnectBackoffMs: FAST_BACKOFF, ...options });
    const inbox = new Inbox();
    running.push(transport);
    await transport.start(inbox);
    return { transport, inbox };
  }

  function append(from: NodeId, to: NodeId, index: number, payloadBytes: number): AppendMessage {
    return {
      type: 'MsgApp',
      from,
      to,
      term: 1,
      logTerm: 1,
      index: index - 1,
      commit: 0,
      entries: [{ term: 1, index, type: EntryType.Normal, data: pattern(payloadBytes) }],
    };
  }

  function commits(inbox: Inbox): number[] {
    return inbox.messages.filter((m) => m.type === 'MsgHeartbeat').map((m) => (m as HeartbeatMessage).commit);
  }

  /** A raw client stream to `address`, for speaking the protocol by hand. */
  interface RawStream {
    call: grpc.ClientDuplexStream<Uint8Array, Buffer>;
    /** The status the server ended the stream with. */
    status: Promise<grpc.StatusObject>;
    /** What the server wrote back (its hello first). */
    replies: Buffer[];
  }

  function rawStream(address: string): RawStream {
    const client = new grpc.Client(address, grpc.credentials.createInsecure());
    cleanups.push(() => client.close());
    const call = client.makeBidiStreamRequest<Uint8Array, Buffer>(
      `/${RAFT_SERVICE_NAME}/Messages`,
      (bytes) => Buffer.from(bytes),
      (bytes) => bytes,
    );
    const replies: Buffer[] = [];
    call.on('data', (bytes: Buffer) => replies.push(bytes));
    call.on('error', () => undefined);
    const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
    return { call, status, replies };
  }

  it('listens only on the host asked for, and reports the bound port', async () => {
    const { transport } = await startTransport({ id: 1 });
    expect(transport.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(Number(transport.address.split(':')[1])).toBeGreaterThan(0);
  });

  it('refuses malformed options', () => {
    expect(() => new GrpcTransport({ id: 1, listen: 'no-port' })).toThrow(InvalidConfigError);
    expect(() => new GrpcTransport({ id: 1, listen: '127.0.0.1:70000' })).toThrow(InvalidConfigError);
    expect(() => new GrpcTransport({ id: 0, listen: '127.0.0.1:0' })).toThrow(InvalidConfigError);
    expect(() => new GrpcTransport({ id: 1, listen: '127.0.0.1:0', maxMessageBytes: 10 })).toThrow(InvalidConfigError);
    expect(() => new GrpcTransport({ id: 1, listen: '127.0.0.1:0', reconnectBackoffMs: { initial: 100, max: 10 } })).toThrow(
      InvalidConfigError,
    );
  });

  it('drops and reports a message larger than maxMessageBytes, and the stream carries on', async () => {
    const limit = 64 * 1024;
    const a = await startTransport({ id: 1, maxMessageBytes: limit });
    const b = await startTransport({ id: 2, maxMessageBytes: limit });
    a.transport.setPeer(2, b.transport.address);
    a.transport.send([heartbeat(1, 2, 1), append(1, 2, 5, limit + 1), heartbeat(1, 2, 2)]);
    await eventually('the report', () => a.inbox.unreachable.includes(2));
    await eventually('both heartbeats', () => commits(b.inbox).length === 2);
    a.transport.send([heartbeat(1, 2, 3), append(1, 2, 6, limit / 2)]);
    await eventually('later messages', () => b.inbox.messages.length === 4);
    expect(b.inbox.messages.map((m) => m.type)).toEqual(['MsgHeartbeat', 'MsgHeartbeat', 'MsgHeartbeat', 'MsgApp']);
    // Many messages that only fit together in several batches are split, not dropped.
    const many = Array.from({ length: 10 }, (_, i) => append(1, 2, 10 + i, limit / 4));
    a.transport.send(many);
    await eventually('ten appends in several batches', () => b.inbox.messages.length === 14);
    expect(b.inbox.batches.length).toBeGreaterThanOrEqual(4);
    expect(a.inbox.unreachable).toEqual([2]);
  });

  it('survives a receiver with a smaller limit: the refused stream is replaced and later messages arrive', async () => {
    const a = await startTransport({ id: 1, maxMessageBytes: 1024 * 1024 });
    const b = await startTransport({ id: 2, maxMessageBytes: 16 * 1024 });
    a.transport.setPeer(2, b.transport.address);
    a.transport.send([heartbeat(1, 2, 1)]);
    await eventually('the first heartbeat', () => commits(b.inbox).length === 1);
    a.transport.send([append(1, 2, 2, 64 * 1024)]);
    await eventually('the report', () => a.inbox.unreachable.includes(2));
    let commit = 10;
    await eventually(
      'a heartbeat over a new stream',
      () => commits(b.inbox).length > 1,
      () => a.transport.send([heartbeat(1, 2, commit++)]),
    );
    expect(b.inbox.messages.some((m) => m.type === 'MsgApp')).toBe(false);
  });

  it('refuses, with FAILED_PRECONDITION, a batch addressed to another node', async () => {
    const b = await startTransport({ id: 2 });
    const { call, status, replies } = rawStream(b.transport.address);
    call.write(encodeBatch({ from: 1, to: 3, cluster: '' }, [encodeMessage(heartbeat(1, 3, 1))]));
    const result = await status;
    expect(result.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(result.details).toBe('batch for node 3 reached node 2');
    expect(b.inbox.messages).toEqual([]);
    // The hello named the node that answered.
    expect(decodeStreamControl(replies[0]!)).toEqual({ kind: 'hello', nodeId: 2, cluster: '' });
  });

  it('refuses a batch whose messages are for another node, and one it cannot decode', async () => {
    const b = await startTransport({ id: 2 });
    const stray = rawStream(b.transport.address);
    stray.call.write(encodeBatch({ from: 1, to: 2, cluster: '' }, [encodeMessage(heartbeat(1, 2, 1)), encodeMessage(heartbeat(1, 4, 2))]));
    expect((await stray.status).code).toBe(grpc.status.FAILED_PRECONDITION);
    const garbage = rawStream(b.transport.address);
    garbage.call.write(new Uint8Array([0xff, 0xff, 0xff]));
    const result = await garbage.status;
    expect(result.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(result.details).toMatch(/transport codec/);
    expect(b.inbox.messages).toEqual([]);
  });

  it('delivers nothing to the wrong node at a peer address, and reports the peer', async () => {
    const a = await startTransport({ id: 1 });
    const b = await startTransport({ id: 2 });
    a.transport.setPeer(3, b.transport.address);
    a.transport.send([heartbeat(1, 3, 1)]);
    await eventually('the report on 3', () => a.inbox.unreachable.includes(3));
    await sleep(30);
    expect(b.inbox.messages).toEqual([]);
  });

  it('delivers nothing across clusters', async () => {
    const a = await startTransport({ id: 1, cluster: 'east' });
    const b = await startTransport({ id: 2, cluster: 'west' });
    const c = await startTransport({ id: 3, cluster: 'east' });
    a.transport.setPeer(2, b.transport.address);
    a.transport.setPeer(3, c.transport.address);
    a.transport.send([heartbeat(1, 2, 1), heartbeat(1, 3, 2)]);
    await eventually('the report on 2', () => a.inbox.unreachable.includes(2));
    await eventually('same-cluster delivery', () => c.inbox.messages.length === 1);
    expect(b.inbox.messages).toEqual([]);
    // A raw batch claiming the wrong cluster is refused too.
    const raw = rawStream(b.transport.address);
    raw.call.write(encodeBatch({ from: 1, to: 2, cluster: 'east' }, [encodeMessage(heartbeat(1, 2, 1))]));
    expect((await raw.status).code).toBe(grpc.status.FAILED_PRECONDITION);
  });

  it('frees its port on stop, with open streams from peers', async () => {
    const a = await startTransport({ id: 1 });
    const b = await startTransport({ id: 2 });
    a.transport.setPeer(2, b.transport.address);
    a.transport.send([heartbeat(1, 2, 1), heartbeat(1, 2, 2)]);
    await eventually('traffic', () => b.inbox.messages.length === 2);
    const port = Number(b.transport.address.split(':')[1]);
    const stoppedAt = Date.now();
    await b.transport.stop();
    expect(Date.now() - stoppedAt).toBeLessThan(2000);
    const probe = net.createServer();
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen(port, '127.0.0.1', resolve);
    });
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  });

  it('stops cleanly before start and during start', async () => {
    const never = new GrpcTransport({ id: 1, listen: '127.0.0.1:0' });
    await never.stop();
    await never.stop();
    const racing = new GrpcTransport({ id: 2, listen: '127.0.0.1:0' });
    const started = racing.start(new Inbox());
    const stopped = racing.stop();
    await started;
    await stopped;
    expect(() => racing.send([heartbeat(2, 1, 1)])).not.toThrow();
  });

  it('fails start() when the port is taken', async () => {
    const a = await startTransport({ id: 1 });
    const twin = new GrpcTransport({ id: 2, listen: a.transport.address });
    // grpc-js logs the failed bind as well as failing it; keep the test output clean.
    const consoleError = console.error;
    console.error = () => undefined;
    cleanups.push(() => {
      console.error = consoleError;
    });
    await expect(twin.start(new Inbox())).rejects.toThrow();
    await twin.stop();
  });

  it('dials a dead peer again and again, paced by back-off', async () => {
    // A listener that accepts and drops every connection: each dial is one connection.
    let connections = 0;
    const blackHole = net.createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => blackHole.close(() => resolve())));
    const port = (blackHole.address() as net.AddressInfo).port;

    const backoff = { initial: 100, max: 200 };
    const a = await startTransport({ id: 1, reconnectBackoffMs: backoff });
    a.transport.setPeer(2, `127.0.0.1:${port}`);
    let sends = 0;
    const started = Date.now();
    while (Date.now() - started < 1000) {
      a.transport.send([heartbeat(1, 2, ++sends)]);
      await sleep(2);
    }
    const elapsedMs = Date.now() - started;
    // It keeps dialling: the back-off is capped at 200 ms, so a second is several attempts ...
    expect(connections).toBeGreaterThanOrEqual(3);
    // ... but never sooner than half the initial back-off after a failure, whatever is sent
    // meanwhile (a bound that load cannot break: it only makes attempts rarer).
    expect(connections).toBeLessThanOrEqual(1 + elapsedMs / (backoff.initial / 2));
    expect(connections).toBeLessThan(sends);
    expect(a.inbox.unreachable.length).toBeGreaterThanOrEqual(3);
    expect(new Set(a.inbox.unreachable)).toEqual(new Set([2]));
  });

  it('computes back-off delays that double from initial up to max, jittered into [d/2, d]', () => {
    const backoff = { initial: 50, max: 2000 };
    const nominal = [1, 2, 3, 4, 5, 6, 7, 8, 40].map((failures) => reconnectDelayMs(failures, backoff, 0.999_999) );
    expect(nominal.map(Math.round)).toEqual([50, 100, 200, 400, 800, 1600, 2000, 2000, 2000]);
    expect(reconnectDelayMs(3, backoff, 0)).toBe(100);
    expect(reconnectDelayMs(3, backoff, 0.5)).toBe(150);
    expect(() => reconnectDelayMs(0, backoff, 0.5)).toThrow(AssertionFailedError);
  });

  it('treats an address gRPC cannot use like an unreachable peer', async () => {
    const a = await startTransport({ id: 1 });
    a.transport.setPeer(2, 'not a host:port at all');
    expect(() => a.transport.send([heartbeat(1, 2, 1)])).not.toThrow();
    await eventually('the report', () => a.inbox.unreachable.includes(2));
  });

  it('reports a failed dial once, not once per message queued for it', async () => {
    const a = await startTransport({ id: 1 });
    a.transport.setPeer(2, '127.0.0.1:1');
    const messages: Message[] = Array.from({ length: 50 }, (_, i) => heartbeat(1, 2, i));
    a.transport.send(messages);
    await eventually('the report', () => a.inbox.unreachable.length > 0);
    await sleep(30);
    // One report for the whole failed attempt, not one per message.
    expect(a.inbox.unreachable).toEqual([2]);
  });

  it('serves the application\'s own services beside Raft on the same listener, and Raft still flows', async () => {
    const unaryOfBytes = (path: string): grpc.MethodDefinition<Buffer, Buffer> => ({
      path,
      requestStream: false,
      responseStream: false,
      requestSerialize: (value) => value,
      requestDeserialize: (bytes) => bytes,
      responseSerialize: (value) => value,
      responseDeserialize: (bytes) => bytes,
    });
    const echo: grpc.ServiceDefinition = { Echo: unaryOfBytes('/test.Peer/Echo'), Unanswered: unaryOfBytes('/test.Peer/Unanswered') };
    const b = await startTransport({
      id: 2,
      services: [{ definition: echo, implementation: { Echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, done: grpc.sendUnaryData<Buffer>) => done(null, Buffer.concat([Buffer.from('echo:'), call.request])) } }],
    });
    const client = new grpc.Client(b.transport.address, grpc.credentials.createInsecure());
    cleanups.push(() => client.close());
    const call = (method: 'Echo' | 'Unanswered') =>
      new Promise<Buffer>((resolve, reject) =>
        client.makeUnaryRequest(echo[method]!.path, (v: Buffer) => v, (v: Buffer) => v, Buffer.from('hi'), (error, response) => (error ? reject(error) : resolve(response!))),
      );
    expect((await call('Echo')).toString()).toBe('echo:hi');
    // A method the application did not implement: UNIMPLEMENTED, as any gRPC server answers.
    await expect(call('Unanswered')).rejects.toMatchObject({ code: grpc.status.UNIMPLEMENTED });
    const a = await startTransport({ id: 1 });
    a.transport.setPeer(2, b.transport.address);
    a.transport.send([heartbeat(1, 2, 1)]);
    await eventually('the heartbeat', () => b.inbox.batches.length > 0);
  });
});
