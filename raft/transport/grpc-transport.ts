/**
 * `GrpcTransport`: Raft messages between processes over gRPC (service `balsa.raft.v1.Raft`
 * of `proto/raft/v1/raft.proto`), with @grpc/grpc-js's generic client and server and the
 * codec of `codec.ts` (no generated stubs).
 *
 * Shape of a connection. A node dials each peer it sends to and keeps, per peer, two
 * long-lived bidirectional streams, each on its own channel (so its own TCP connection):
 * `Messages` for everything but snapshot chunks, `Snapshots` for `MsgSnap`, so a snapshot
 * transfer never sits in front of a heartbeat. Batches flow from the dialler to the dialled
 * node only; the dialled node writes back a hello naming itself, and ends the stream with a
 * status when it refuses a batch (wrong node, wrong cluster, undecodable) or stops.
 *
 * Each stream (a "lane") is a small state machine:
 *
 *     idle ──send──▶ connecting ──hello──▶ open
 *       ▲               │ refused, broken,    │ broken, refused
 *       │               ▼ no hello in time    ▼
 *       └──timer──── backoff ◀────────────────┘
 *
 * While connecting, sends queue (up to `maxQueuedMessages`); once open, everything queued
 * in one turn of the event loop is coalesced into as few batches as fit in
 * `maxMessageBytes`. When a lane fails, its queue is dropped, the peer is reported
 * unreachable, and sends to that lane are dropped and reported until the back-off expires
 * (exponential with jitter, reset by a hello); the next send then dials again. A node that
 * has nothing to send never dials.
 *
 * `onUnreachable` is never called from inside `send()`: reports are collected and made on
 * the next turn of the event loop, one per peer however many messages were dropped.
 */
import * as grpc from '@grpc/grpc-js';

import { assert, InvalidConfigError } from '../core/errors.js';
import type { Message, NodeId } from '../core/types.js';
import {
  RAFT_SERVICE_NAME,
  batchHeaderBytes,
  batchMessageBytes,
  decodeBatch,
  decodeStreamControl,
  encodeBatch,
  encodeMessage,
  encodeStreamControl,
} from './codec.js';
import type { BatchHeader, MessageBatch } from './codec.js';
import type { Transport, TransportHandler } from './transport.js';
import { UnreachableReports } from './unreachable-reports.js';

/** Defaults of `GrpcTransportOptions` and fixed limits. */
export const GRPC_TRANSPORT_DEFAULTS = Object.freeze({
  maxMessageBytes: 16 * 1024 * 1024,
  maxQueuedMessages: 4096,
  reconnectBackoffMs: Object.freeze({ initial: 50, max: 2000 }),
  keepaliveMs: Object.freeze({ interval: 10_000, timeout: 5_000 }),
  helloTimeoutMs: 5_000,
  cluster: '',
});

/** Batches written to a stream and not yet taken by gRPC: bounds gRPC's buffering to 2 × maxMessageBytes per stream. */
const WRITES_IN_FLIGHT_MAX = 2;
/** How long `stop()` lets open calls finish before it cuts the connections. */
const SHUTDOWN_GRACE_MS = 200;
/** The smallest `maxMessageBytes` accepted: room for any header and a useful message. */
const MAX_MESSAGE_BYTES_MIN = 1024;
/** gRPC's own limit on a message is a signed 32-bit length. */
const MAX_MESSAGE_BYTES_MAX = 2 ** 31 - 1;

/** How a `GrpcTransport` listens and talks to peers; every optional field lists its default. */
export interface GrpcTransportOptions {
  /** This node's id (a positive safe integer). Peers' batches must be addressed to it. */
  readonly id: NodeId;
  /**
   * `host:port` to listen on, e.g. `127.0.0.1:0`; port 0 picks a free port (read it from
   * `address` after `start`). Only that host is bound. IPv6 hosts in brackets: `[::1]:0`.
   */
  readonly listen: string;
  /**
   * The largest gRPC message (one encoded batch), in bytes, both sent and received; set on
   * the server and on every channel. A single Raft message that cannot fit is dropped and
   * reported unreachable. Peers should agree on it. Default 16 MiB.
   */
  readonly maxMessageBytes?: number;
  /**
   * Messages waiting to be written, per peer and per stream (ordinary and snapshot
   * streams each have this many). Beyond it, sends are dropped and reported. Default 4096.
   */
  readonly maxQueuedMessages?: number;
  /**
   * Delay before a stream that failed may be dialled again, in milliseconds: `initial`
   * after the first failure, doubling on each consecutive failure up to `max`, each delay
   * drawn uniformly from [d/2, d] (jitter). A hello from the peer resets it. Default
   * 50 → 2000 ms.
   */
  readonly reconnectBackoffMs?: { readonly initial: number; readonly max: number };
  /**
   * Cluster name. A stream between nodes with different names is refused, so that a node
   * pointed at another cluster's member delivers nothing there. Default '' (unnamed).
   */
  readonly cluster?: string;
  /**
   * HTTP/2 keepalive, in milliseconds: a ping after `interval` of silence, and a
   * connection with no answer within `timeout` is closed, so a dead peer (host gone
   * without closing its sockets) is noticed and reported. Default 10 000 / 5 000 ms.
   */
  readonly keepaliveMs?: { readonly interval: number; readonly timeout: number };
  /**
   * How long a new stream waits for the peer's hello before it counts as failed, in
   * milliseconds (covers peers that accept the connection but never answer). Default 5 000.
   */
  readonly helloTimeoutMs?: number;
  /**
   * More gRPC services to serve on the same listener as Raft, for the application's
   * member-to-member calls (as etcd serves its member list on the peer port, for members
   * joining). The transport only hosts them: it never calls them and they see no Raft
   * message. Default none.
   */
  readonly services?: readonly GrpcPeerService[];
  /**
   * How the listener and the streams this node dials are secured: `server` for the listener
   * (and the services beside Raft), `channel` for every peer it dials (for mutual TLS,
   * credentials that present this node's certificate). The transport only passes them to
   * gRPC; making them (certificates, CAs, what a peer must present) is the application's.
   * Default: both insecure (plain-text HTTP/2).
   */
  readonly credentials?: GrpcTransportCredentials;
}

/** `GrpcTransportOptions.credentials`. */
export interface GrpcTransportCredentials {
  readonly server: grpc.ServerCredentials;
  readonly channel: grpc.ChannelCredentials;
}

/** A gRPC service an application serves beside Raft on a `GrpcTransport`'s listener. */
export interface GrpcPeerService {
  readonly definition: grpc.ServiceDefinition;
  /** Handlers by method name; a method without one answers UNIMPLEMENTED. */
  readonly implementation: grpc.UntypedServiceImplementation;
}

interface Settings {
  readonly id: NodeId;
  readonly cluster: string;
  readonly maxMessageBytes: number;
  readonly maxQueuedMessages: number;
  readonly backoffInitialMs: number;
  readonly backoffMaxMs: number;
  readonly helloTimeoutMs: number;
  /** Options of the channel of every outgoing stream. */
  readonly channelOptions: grpc.ChannelOptions;
  /** Options of the server that accepts peers' streams. */
  readonly serverOptions: grpc.ServerOptions;
  readonly credentials: GrpcTransportCredentials;
}

type StreamKind = 'messages' | 'snapshots';

const METHOD_NAMES: Readonly<Record<StreamKind, string>> = { messages: 'Messages', snapshots: 'Snapshots' };

function methodPath(kind: StreamKind): string {
  return `/${RAFT_SERVICE_NAME}/${METHOD_NAMES[kind]}`;
}

type ServerCall = grpc.ServerDuplexStream<Buffer, Uint8Array>;
type ClientCall = grpc.ClientDuplexStream<Uint8Array, Buffer>;

type TransportState = 'new' | 'starting' | 'running' | 'stopped';

/**
 * A `Transport` over gRPC (HTTP/2): per peer, one long-lived bidirectional stream for
 * messages and another for snapshot chunks, batched, reconnecting with jittered back-off.
 * The wire format is `proto/raft/v1/raft.proto`.
 */
export class GrpcTransport implements Transport {
  private readonly settings: Settings;
  private readonly peerServices: readonly GrpcPeerService[];
  private readonly listenHost: string;
  private readonly listenPort: number;
  private state: TransportState = 'new';
  private handler: TransportHandler | undefined;
  private server: grpc.Server | undefined;
  private boundAddress: string | undefined;
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private readonly peers = new Map<NodeId, PeerLink>();
  private readonly serverCalls = new Set<ServerCall>();
  private readonly unreachable = new UnreachableReports(
    () => this.state === 'running',
    (peer) => this.handler!.onUnreachable(peer),
  );

  constructor(options: GrpcTransportOptions) {
    this.settings = resolveSettings(options);
    this.peerServices = options.services ?? [];
    const { host, port } = parseListen(options.listen);
    this.listenHost = host;
    this.listenPort = port;
  }

  get id(): NodeId {
    return this.settings.id;
  }

  get address(): string {
    assert(this.boundAddress !== undefined, 'GrpcTransport.address read before start() resolved');
    return this.boundAddress;
  }

  start(handler: TransportHandler): Promise<void> {
    assert(this.state === 'new', () => `GrpcTransport.start() called in state ${this.state}`);
    this.handler = handler;
    this.state = 'starting';
    this.starting = this.listen();
    return this.starting;
  }

  setPeer(id: NodeId, address: string): void {
    assert(Number.isSafeInteger(id) && id > 0, () => `peer id ${id} is not a positive safe integer`);
    if (this.state === 'stopped') return;
    const existing = this.peers.get(id);
    if (existing !== undefined) {
      if (existing.address === address) return;
      existing.close();
    }
    this.peers.set(id, new PeerLink(id, address, this.settings, (peer) => this.unreachable.report(peer)));
  }

  removePeer(id: NodeId): void {
    this.peers.get(id)?.close();
    this.peers.delete(id);
  }

  send(messages: readonly Message[]): void {
    assert(this.state !== 'new', 'GrpcTransport.send() called before start()');
    if (this.state === 'stopped') return;
    for (const message of messages) {
      const peer = this.peers.get(message.to);
      if (peer === undefined || !peer.enqueue(message)) this.unreachable.report(message.to);
    }
  }

  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  // -------------------------------------------------------------------------------------
  // Lifecycle

  private async listen(): Promise<void> {
    const server = new grpc.Server(this.settings.serverOptions);
    server.addService(serviceDefinition(), {
      [METHOD_NAMES.messages]: (call: ServerCall) => this.acceptStream(call),
      [METHOD_NAMES.snapshots]: (call: ServerCall) => this.acceptStream(call),
    });
    for (const service of this.peerServices) server.addService(service.definition, service.implementation);
    this.server = server;
    let port: number;
    try {
      port = await new Promise<number>((resolve, reject) => {
        server.bindAsync(joinHostPort(this.listenHost, this.listenPort), this.settings.credentials.server, (error, bound) =>
          error === null ? resolve(bound) : reject(error),
        );
      });
    } catch (error) {
      this.state = 'stopped';
      server.forceShutdown();
      throw error;
    }
    this.boundAddress = joinHostPort(this.listenHost, port);
    if (this.state === 'starting') this.state = 'running';
  }

  private async shutdown(): Promise<void> {
    const wasStarting = this.starting;
    this.state = 'stopped';
    for (const peer of this.peers.values()) peer.close();
    this.peers.clear();
    this.unreachable.clear();
    if (wasStarting !== undefined) await wasStarting.catch(() => undefined);
    for (const call of this.serverCalls) refuse(call, grpc.status.UNAVAILABLE, `node ${this.id} is stopping`);
    this.serverCalls.clear();
    const server = this.server;
    this.server = undefined;
    if (server !== undefined) await shutdownServer(server);
  }

  // -------------------------------------------------------------------------------------
  // Receiving

  private acceptStream(call: ServerCall): void {
    if (this.state !== 'running') {
      refuse(call, grpc.status.UNAVAILABLE, `node ${this.id} is not running`);
      return;
    }
    this.serverCalls.add(call);
    const forget = (): void => {
      this.serverCalls.delete(call);
    };
    let refused = false;
    call.on('data', (bytes: Buffer) => {
      if (refused || this.state !== 'running') return;
      const problem = this.receiveBatch(bytes);
      if (problem !== undefined) {
        refused = true;
        forget();
        refuse(call, problem.code, problem.details);
      }
    });
    // The dialler closed its side: close ours (status OK).
    call.on('end', () => {
      forget();
      if (!refused) call.end();
    });
    call.on('error', forget);
    call.on('cancelled', forget);
    call.write(encodeStreamControl({ kind: 'hello', nodeId: this.id, cluster: this.settings.cluster }));
  }

  /** Decodes, checks and delivers one batch; says why it is refused, if it is. */
  private receiveBatch(bytes: Buffer): { code: grpc.status; details: string } | undefined {
    let batch: MessageBatch;
    try {
      batch = decodeBatch(bytes);
    } catch (error) {
      return { code: grpc.status.INVALID_ARGUMENT, details: (error as Error).message };
    }
    if (batch.to !== this.id) {
      return { code: grpc.status.FAILED_PRECONDITION, details: `batch for node ${batch.to} reached node ${this.id}` };
    }
    if (batch.cluster !== this.settings.cluster) {
      return {
        code: grpc.status.FAILED_PRECONDITION,
        details: `batch from cluster '${batch.cluster}' reached node ${this.id} of cluster '${this.settings.cluster}'`,
      };
    }
    const stray = batch.messages.find((message) => message.to !== this.id);
    if (stray !== undefined) {
      return { code: grpc.status.FAILED_PRECONDITION, details: `${stray.type} for node ${stray.to} reached node ${this.id}` };
    }
    if (batch.messages.length > 0) this.handler!.onMessages(batch.messages);
    return undefined;
  }
}

/** Both streams to one peer. */
class PeerLink {
  private readonly messages: StreamLane;
  private readonly snapshots: StreamLane;

  constructor(
    readonly id: NodeId,
    readonly address: string,
    settings: Settings,
    report: (peer: NodeId) => void,
  ) {
    const header: BatchHeader = { from: settings.id, to: id, cluster: settings.cluster };
    this.messages = new StreamLane('messages', address, header, settings, () => report(id));
    this.snapshots = new StreamLane('snapshots', address, header, settings, () => report(id));
  }

  /** Queues a message on its stream; false when it was dropped (the caller reports). */
  enqueue(message: Message): boolean {
    const lane = message.type === 'MsgSnap' ? this.snapshots : this.messages;
    // Checked first so that a peer backing off costs no encoding (snapshot chunks are large).
    return lane.accepting() && lane.enqueue(encodeMessage(message));
  }

  close(): void {
    this.messages.close();
    this.snapshots.close();
  }
}

type LaneState = 'idle' | 'connecting' | 'open' | 'backoff' | 'closed';

/** One stream to one peer: its queue, its channel and call, its back-off. */
class StreamLane {
  private state: LaneState = 'idle';
  /** Encoded messages not yet written, oldest first. */
  private queue: Uint8Array[] = [];
  private readonly headerBytes: number;
  private client: grpc.Client | undefined;
  private call: ClientCall | undefined;
  /** Failed attempts since the last hello. */
  private failures = 0;
  /** The hello deadline while connecting, the back-off while backing off. */
  private timer: NodeJS.Timeout | undefined;
  private flushScheduled: NodeJS.Immediate | undefined;
  private writesInFlight = 0;

  constructor(
    private readonly kind: StreamKind,
    private readonly address: string,
    private readonly header: BatchHeader,
    private readonly settings: Settings,
    private readonly reportUnreachable: () => void,
  ) {
    this.headerBytes = batchHeaderBytes(header);
  }

  /** Whether a message would be queued now (not closed, not backing off, not full). */
  accepting(): boolean {
    return this.state !== 'closed' && this.state !== 'backoff' && this.queue.length < this.settings.maxQueuedMessages;
  }

  /** Queues one encoded message; false when it is dropped instead. */
  enqueue(encoded: Uint8Array): boolean {
    if (this.state === 'closed' || this.state === 'backoff') return false;
    if (this.headerBytes + batchMessageBytes(encoded.byteLength) > this.settings.maxMessageBytes) return false;
    if (this.queue.length >= this.settings.maxQueuedMessages) return false;
    this.queue.push(encoded);
    if (this.state === 'idle') this.connect();
    else if (this.state === 'open') this.scheduleFlush();
    return true;
  }

  close(): void {
    if (this.state === 'closed') return;
    this.teardown();
    this.state = 'closed';
  }

  private connect(): void {
    this.transition('idle', 'connecting');
    let client: grpc.Client;
    try {
      client = new grpc.Client(this.address, this.settings.credentials.channel, this.settings.channelOptions);
    } catch (_error) {
      // An address gRPC cannot parse: fail the attempt like any unreachable peer.
      this.failAttempt();
      return;
    }
    const call: ClientCall = client.makeBidiStreamRequest(methodPath(this.kind), toBuffer, (bytes: Buffer) => bytes);
    this.client = client;
    this.call = call;
    call.on('data', (bytes: Buffer) => this.handleControl(call, bytes));
    // 'error' comes with every non-OK status; 'status' with every end, OK included (a peer
    // that closes the stream is as good as gone). Either is handled once.
    call.on('error', () => this.handleBroken(call));
    call.on('status', () => this.handleBroken(call));
    this.timer = setTimeout(() => this.handleBroken(call), this.settings.helloTimeoutMs);
  }

  private handleControl(call: ClientCall, bytes: Buffer): void {
    if (call !== this.call || this.state !== 'connecting') return;
    let hello;
    try {
      hello = decodeStreamControl(bytes);
    } catch (_error) {
      this.handleBroken(call);
      return;
    }
    if (hello.nodeId !== this.header.to || hello.cluster !== this.header.cluster) {
      // Dialled the wrong node (an address that moved) or another cluster's member.
      this.handleBroken(call);
      return;
    }
    clearTimeout(this.timer);
    this.timer = undefined;
    this.failures = 0;
    this.transition('connecting', 'open');
    this.flush();
  }

  private handleBroken(call: ClientCall): void {
    if (call !== this.call || this.state === 'closed') return;
    this.failAttempt();
  }

  /** The stream failed or could not be opened: drop what is queued, report, back off. */
  private failAttempt(): void {
    this.teardown();
    this.queue = [];
    this.reportUnreachable();
    this.failures++;
    this.state = 'backoff';
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.transition('backoff', 'idle');
    }, this.backoffDelayMs());
  }

  private backoffDelayMs(): number {
    const { backoffInitialMs: initial, backoffMaxMs: max } = this.settings;
    return reconnectDelayMs(this.failures, { initial, max }, Math.random());
  }

  private scheduleFlush(): void {
    this.flushScheduled ??= setImmediate(() => {
      this.flushScheduled = undefined;
      this.flush();
    });
  }

  /** Writes what is queued as batches of at most `maxMessageBytes`, while gRPC keeps up. */
  private flush(): void {
    while (this.state === 'open' && this.writesInFlight < WRITES_IN_FLIGHT_MAX && this.queue.length > 0) {
      let bytes = this.headerBytes;
      let count = 0;
      for (; count < this.queue.length; count++) {
        const next = batchMessageBytes(this.queue[count]!.byteLength);
        // The first always fits: enqueue refused any message that could not.
        if (count > 0 && bytes + next > this.settings.maxMessageBytes) break;
        bytes += next;
      }
      this.write(encodeBatch(this.header, this.queue.splice(0, count)));
    }
  }

  private write(batch: Uint8Array): void {
    const call = this.call!;
    this.writesInFlight++;
    call.write(batch, () => {
      if (call !== this.call) return;
      this.writesInFlight--;
      this.flush();
    });
  }

  /** Closes the call and channel and clears timers; the queue is the caller's business. */
  private teardown(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.flushScheduled !== undefined) clearImmediate(this.flushScheduled);
    this.flushScheduled = undefined;
    const call = this.call;
    const client = this.client;
    this.call = undefined;
    this.client = undefined;
    this.writesInFlight = 0;
    call?.cancel();
    client?.close();
  }

  private transition(from: LaneState, to: LaneState): void {
    assert(this.state === from, () => `lane ${this.kind} to ${this.header.to}: ${this.state} -> ${to}, expected from ${from}`);
    this.state = to;
  }
}

// ---------------------------------------------------------------------------------------
// Helpers

/**
 * How long to wait before dialling again after `failures` consecutive failed attempts
 * (≥ 1), in milliseconds: the nominal delay `initial · 2^(failures-1)`, capped at `max`,
 * scaled into [nominal/2, nominal] by `random01` ∈ [0, 1) so that peers that failed
 * together do not all dial again together.
 */
export function reconnectDelayMs(
  failures: number,
  backoffMs: { readonly initial: number; readonly max: number },
  random01: number,
): number {
  assert(Number.isInteger(failures) && failures >= 1, () => `reconnect delay asked for ${failures} failures`);
  const nominal = Math.min(backoffMs.max, backoffMs.initial * 2 ** Math.min(failures - 1, 30));
  return nominal / 2 + random01 * (nominal / 2);
}

function serviceDefinition(): grpc.ServiceDefinition {
  const method = (kind: StreamKind): grpc.MethodDefinition<Uint8Array, Uint8Array> => ({
    path: methodPath(kind),
    originalName: METHOD_NAMES[kind],
    requestStream: true,
    responseStream: true,
    requestSerialize: toBuffer,
    requestDeserialize: (bytes: Buffer) => bytes,
    responseSerialize: toBuffer,
    responseDeserialize: (bytes: Buffer) => bytes,
  });
  return { [METHOD_NAMES.messages]: method('messages'), [METHOD_NAMES.snapshots]: method('snapshots') };
}

/** A view of the same bytes as a Buffer (what gRPC writes), without copying. */
function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Ends a server call with a non-OK status (how grpc-js server streams report errors). */
function refuse(call: ServerCall, code: grpc.status, details: string): void {
  const error: grpc.ServerErrorResponse = Object.assign(new Error(details), { code, details });
  call.emit('error', error);
}

/** Graceful shutdown, cut short after `SHUTDOWN_GRACE_MS`; resolves once the port is released. */
function shutdownServer(server: grpc.Server): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.forceShutdown(), SHUTDOWN_GRACE_MS);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}

function resolveSettings(options: GrpcTransportOptions): Settings {
  const defaults = GRPC_TRANSPORT_DEFAULTS;
  const maxMessageBytes = options.maxMessageBytes ?? defaults.maxMessageBytes;
  const maxQueuedMessages = options.maxQueuedMessages ?? defaults.maxQueuedMessages;
  const backoff = options.reconnectBackoffMs ?? defaults.reconnectBackoffMs;
  const keepalive = options.keepaliveMs ?? defaults.keepaliveMs;
  const helloTimeoutMs = options.helloTimeoutMs ?? defaults.helloTimeoutMs;
  const check = (ok: boolean, field: string, rule: string): void => {
    if (!ok) throw new InvalidConfigError(`GrpcTransportOptions.${field}`, rule);
  };
  check(Number.isSafeInteger(options.id) && options.id > 0, 'id', 'must be a positive safe integer');
  check(
    Number.isInteger(maxMessageBytes) && maxMessageBytes >= MAX_MESSAGE_BYTES_MIN && maxMessageBytes <= MAX_MESSAGE_BYTES_MAX,
    'maxMessageBytes',
    `must be an integer in [${MAX_MESSAGE_BYTES_MIN}, ${MAX_MESSAGE_BYTES_MAX}]`,
  );
  check(Number.isSafeInteger(maxQueuedMessages) && maxQueuedMessages > 0, 'maxQueuedMessages', 'must be a positive integer');
  check(backoff.initial > 0 && backoff.max >= backoff.initial, 'reconnectBackoffMs', 'needs 0 < initial <= max');
  check(keepalive.interval > 0 && keepalive.timeout > 0, 'keepaliveMs', 'needs a positive interval and timeout');
  check(helloTimeoutMs > 0, 'helloTimeoutMs', 'must be positive');
  const limitsAndKeepalive = {
    'grpc.max_send_message_length': maxMessageBytes,
    'grpc.max_receive_message_length': maxMessageBytes,
    'grpc.keepalive_time_ms': keepalive.interval,
    'grpc.keepalive_timeout_ms': keepalive.timeout,
    'grpc.keepalive_permit_without_calls': 1,
    // Channelz keeps per-call statistics for a debugging service this transport never
    // serves: a cost on every message's path for nothing.
    'grpc.enable_channelz': 0,
  };
  return {
    id: options.id,
    cluster: options.cluster ?? defaults.cluster,
    maxMessageBytes,
    maxQueuedMessages,
    backoffInitialMs: backoff.initial,
    backoffMaxMs: backoff.max,
    helloTimeoutMs,
    channelOptions: {
      ...limitsAndKeepalive,
      // Each stream gets its own connection (a snapshot's bytes never queue in front of a
      // heartbeat's in one TCP send buffer), and a failed attempt dies with its channel, so
      // this transport's back-off, not gRPC's, decides when to dial again.
      'grpc.use_local_subchannel_pool': 1,
      // Batches are best effort: a failed one is reported, never replayed by gRPC.
      'grpc.enable_retries': 0,
    },
    // The server pings its diallers too, so the streams of a peer that vanished are freed.
    serverOptions: limitsAndKeepalive,
    credentials: options.credentials ?? { server: grpc.ServerCredentials.createInsecure(), channel: grpc.credentials.createInsecure() },
  };
}

/** Splits `host:port` (`[v6]:port` for IPv6); the port must be 0..65535. */
function parseListen(listen: string): { host: string; port: number } {
  const match = /^(\[[^\]]+\]|[^:[\]]+):(\d{1,5})$/.exec(listen);
  const port = match === null ? NaN : Number(match[2]);
  if (match === null || port > 65535) {
    throw new InvalidConfigError('GrpcTransportOptions.listen', `must be host:port (got '${listen}')`);
  }
  return { host: match[1]!, port };
}

function joinHostPort(host: string, port: number): string {
  return `${host}:${port}`;
}
