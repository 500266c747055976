/**
 * A fault-injecting TCP proxy for multi-process tests: it listens on loopback and forwards
 * every connection to a target, and a test switches it between modes to cut the target
 * off. Put one in front of a member's Raft port and give the other members the proxy's
 * address for it: everything they send to that member then crosses the proxy.
 *
 * Modes (`setMode`):
 * - `pass`: bytes flow both ways, each chunk held back `latencyMs` (order kept).
 * - `pause`: bytes stop both ways and are held, not lost; TCP back-pressure stops the
 *   senders. Returning to `pass` delivers what was held (a long stall, like SIGSTOP of
 *   the network). New connections are accepted and held the same way.
 * - `blackhole`: connections are accepted and kept open, but every byte is dropped in
 *   both directions, so senders see silence and no error (a partition, not a crash).
 *   A byte stream with a hole in it is useless to the protocol on top, so when the mode
 *   leaves `blackhole` every connection that lost bytes is reset, as a real TCP
 *   connection would eventually time out after a partition.
 * - `reset`: every open connection is reset (RST) and new ones are reset on accept, like
 *   a host whose process died or whose port is closed.
 *
 * Links. With an `identify` function that names who dialled each connection, a mode can
 * also be set for one sender's connections only (`setLinkMode`): cutting the link from
 * one member to this one while the others still get through (a partition between two
 * groups, one-way loss). A connection is held until it is named.
 *
 * For tests and benchmarks only; the Raft library never uses it.
 */
import net from 'node:net';
import { PROXY_QUEUE_BYTES_MAX } from './constants.js';

export type ProxyMode = 'pass' | 'pause' | 'blackhole' | 'reset';

export const PROXY_MODES: readonly ProxyMode[] = ['pass', 'pause', 'blackhole', 'reset'];

export interface TcpProxyOptions {
  /** `host:port` to forward to. Without one, connections are reset until `setTarget`. */
  readonly target?: string;
  /** `host:port` to listen on; default `127.0.0.1:0` (a free port). Loopback only. */
  readonly listen?: string;
  /** Delay added to every chunk in each direction, in milliseconds (default 0). */
  readonly latencyMs?: number;
  /** Starting mode (default `pass`). */
  readonly mode?: ProxyMode;
  /**
   * Names the sender of an accepted connection (undefined: unknown), for `setLinkMode`.
   * The connection is held, its bytes unread, until the promise settles. Default: none.
   */
  readonly identify?: (socket: net.Socket) => Promise<string | undefined>;
}

export interface ProxyStats {
  /** Connections accepted and forwarded (or held). */
  readonly accepted: number;
  /** Connections reset on accept (mode `reset`, or no target yet). */
  readonly refused: number;
  /** Connections open now. */
  readonly active: number;
  /** Bytes delivered to either side. */
  readonly bytesForwarded: number;
  /** Bytes dropped in `blackhole` mode. */
  readonly bytesDropped: number;
  /** Open connections reset by the proxy (mode `reset`, or after a `blackhole`). */
  readonly resets: number;
}

/** Splits `host:port`; the host must be a loopback address. */
export function parseLoopbackAddress(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon);
  const port = Number(address.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`bad address ${address}: want host:port`);
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1' && host !== '[::1]') {
    throw new Error(`address ${address} is not on loopback: test traffic stays on 127.0.0.1`);
  }
  return { host: host === '[::1]' ? '::1' : host, port };
}

interface QueuedChunk {
  readonly dueMs: number;
  readonly chunk: Buffer;
}

/** One direction of a connection: what `from` sent, waiting to be written to `to`. */
class Pipe {
  private readonly queue: QueuedChunk[] = [];
  private queuedBytes = 0;
  private waitingForDrain = false;
  private ended = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly proxy: TcpProxy,
    private readonly connection: Connection,
    readonly from: net.Socket,
    readonly to: net.Socket,
  ) {
    from.on('data', (chunk: Buffer) => this.receive(chunk));
    from.on('end', () => {
      this.ended = true;
      this.flush();
    });
    to.on('drain', () => {
      this.waitingForDrain = false;
      this.flush();
    });
  }

  private receive(chunk: Buffer): void {
    if (this.connection.mode === 'blackhole') {
      this.proxy.countDropped(chunk.length);
      this.connection.lostBytes = true;
      return;
    }
    this.queue.push({ dueMs: Date.now() + this.proxy.latencyMs, chunk });
    this.queuedBytes += chunk.length;
    this.flush();
  }

  /** Drop whatever is held (entering `blackhole`). */
  discard(): void {
    if (this.queuedBytes > 0) {
      this.proxy.countDropped(this.queuedBytes);
      this.connection.lostBytes = true;
    }
    this.queue.length = 0;
    this.queuedBytes = 0;
  }

  /** Write every chunk that is due, while the mode allows and the receiver keeps up. */
  flush(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.connection.closed) return;
    if (this.connection.mode === 'pass' && !this.waitingForDrain) {
      const now = Date.now();
      while (this.queue.length > 0 && this.queue[0]!.dueMs <= now) {
        const { chunk } = this.queue.shift()!;
        this.queuedBytes -= chunk.length;
        this.proxy.countForwarded(chunk.length);
        if (!this.to.write(chunk)) {
          this.waitingForDrain = true;
          break;
        }
      }
      if (this.queue.length > 0 && !this.waitingForDrain) {
        this.timer = setTimeout(() => this.flush(), Math.max(0, this.queue[0]!.dueMs - now));
      }
      if (this.queue.length === 0 && this.ended && !this.to.writableEnded) this.to.end();
    }
    this.updateFlow();
  }

  /** Read from the sender only while bytes can move on and little is held. */
  updateFlow(): void {
    const hold = this.connection.mode === 'pause' || this.waitingForDrain || this.queuedBytes > PROXY_QUEUE_BYTES_MAX;
    if (hold && !this.from.isPaused()) this.from.pause();
    else if (!hold && this.from.isPaused()) this.from.resume();
  }

  close(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
    this.queuedBytes = 0;
  }
}

/** An accepted connection and its upstream connection to the target. */
class Connection {
  closed = false;
  /** Set once a byte was dropped: the stream is broken and is reset when the mode leaves `blackhole`. */
  lostBytes = false;
  private readonly pipes: Pipe[];

  constructor(
    private readonly proxy: TcpProxy,
    readonly downstream: net.Socket,
    readonly upstream: net.Socket,
    /** Who dialled it, as `identify` named them; undefined when unknown. */
    readonly sender: string | undefined,
  ) {
    this.pipes = [new Pipe(proxy, this, downstream, upstream), new Pipe(proxy, this, upstream, downstream)];
    for (const socket of [downstream, upstream]) {
      socket.on('error', () => this.reset());
      socket.on('close', () => this.close());
    }
    upstream.on('connect', () => this.flushAll());
  }

  /** The mode for this connection: its sender's link mode, else the proxy's. */
  get mode(): ProxyMode {
    return this.proxy.modeOf(this.sender);
  }

  flushAll(): void {
    for (const pipe of this.pipes) pipe.flush();
  }

  /** This connection's mode went from `previous` to the current one. */
  modeChanged(previous: ProxyMode): void {
    const mode = this.mode;
    if (mode === previous) return;
    switch (mode) {
      case 'reset':
        this.proxy.countReset();
        this.reset();
        break;
      case 'blackhole':
        // Drop what is held, and read (to drop) what the sender had queued in the kernel.
        this.discardAll();
        this.flushAll();
        break;
      case 'pass':
      case 'pause':
        if (previous === 'blackhole' && this.lostBytes) {
          this.proxy.countReset();
          this.reset();
        } else {
          this.flushAll();
        }
        break;
      default: {
        const unknown: never = mode;
        throw new Error(`unknown proxy mode ${String(unknown)}`);
      }
    }
  }

  discardAll(): void {
    for (const pipe of this.pipes) pipe.discard();
  }

  /** Both sides see a connection reset. */
  reset(): void {
    if (this.closed) return;
    this.closed = true;
    for (const pipe of this.pipes) pipe.close();
    resetSocket(this.downstream);
    resetSocket(this.upstream);
    this.proxy.forget(this);
  }

  private close(): void {
    if (this.closed) return;
    // One side went away: once both halves are done there is nothing left to carry, and a
    // socket closed by an error has already been handled by `reset`.
    this.closed = true;
    for (const pipe of this.pipes) pipe.close();
    this.downstream.destroy();
    this.upstream.destroy();
    this.proxy.forget(this);
  }
}

function resetSocket(socket: net.Socket): void {
  if (socket.destroyed) return;
  // resetAndDestroy sends RST on a connected (or connecting) TCP socket; otherwise it
  // destroys with an error, which the 'error' listeners already attached absorb.
  socket.resetAndDestroy();
}

export class TcpProxy {
  private readonly server: net.Server;
  private readonly connections = new Set<Connection>();
  private target: { host: string; port: number } | undefined;
  private currentMode: ProxyMode;
  /** Modes set for one sender's connections, overriding `currentMode`. */
  private readonly linkModes = new Map<string, ProxyMode>();
  private readonly identify: ((socket: net.Socket) => Promise<string | undefined>) | undefined;
  /** Accepted connections waiting for `identify`. */
  private readonly unnamed = new Set<net.Socket>();
  private closing = false;
  private currentLatencyMs: number;
  private counters = { accepted: 0, refused: 0, bytesForwarded: 0, bytesDropped: 0, resets: 0 };

  private constructor(options: TcpProxyOptions) {
    this.target = options.target === undefined ? undefined : parseLoopbackAddress(options.target);
    this.currentMode = options.mode ?? 'pass';
    this.currentLatencyMs = checkLatency(options.latencyMs ?? 0);
    this.identify = options.identify;
    this.server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket) => this.accept(socket));
  }

  /** Start listening; resolves once `address` is valid. */
  static async start(options: TcpProxyOptions = {}): Promise<TcpProxy> {
    const proxy = new TcpProxy(options);
    const { host, port } = parseLoopbackAddress(options.listen ?? '127.0.0.1:0');
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', reject);
      proxy.server.listen(port, host, () => {
        proxy.server.off('error', reject);
        resolve();
      });
    });
    return proxy;
  }

  /** `127.0.0.1:port` as bound. */
  get address(): string {
    const bound = this.server.address();
    if (bound === null || typeof bound === 'string') throw new Error('tcp proxy is not listening');
    return `${bound.address}:${bound.port}`;
  }

  get mode(): ProxyMode {
    return this.currentMode;
  }

  get latencyMs(): number {
    return this.currentLatencyMs;
  }

  stats(): ProxyStats {
    return { ...this.counters, active: this.connections.size };
  }

  /** The mode of the connections `sender` dialled (its link mode, else the proxy's). */
  modeOf(sender: string | undefined): ProxyMode {
    return (sender === undefined ? undefined : this.linkModes.get(sender)) ?? this.currentMode;
  }

  /** Switch modes; takes effect at once on every open connection without a link mode of its own. */
  setMode(mode: ProxyMode): void {
    this.changeModes(() => (this.currentMode = mode));
  }

  /**
   * Set the mode of the connections `sender` dialled (as `identify` names them), or with
   * `undefined` let them follow the proxy's mode again; takes effect at once.
   */
  setLinkMode(sender: string, mode: ProxyMode | undefined): void {
    this.changeModes(() => (mode === undefined ? this.linkModes.delete(sender) : this.linkModes.set(sender, mode)));
  }

  /** The senders with a link mode of their own, and that mode. */
  linkModesSet(): ReadonlyMap<string, ProxyMode> {
    return new Map(this.linkModes);
  }

  /** New connections go to `target`; open ones to the old target are reset. */
  setTarget(target: string): void {
    this.target = parseLoopbackAddress(target);
    this.resetAll();
  }

  /** Delay for chunks received from now on. */
  setLatency(latencyMs: number): void {
    this.currentLatencyMs = checkLatency(latencyMs);
  }

  /** Reset every connection and stop listening. */
  async close(): Promise<void> {
    this.closing = true;
    for (const socket of this.unnamed) resetSocket(socket);
    this.unnamed.clear();
    this.resetAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** @internal */
  countForwarded(bytes: number): void {
    this.counters.bytesForwarded += bytes;
  }

  /** @internal */
  countDropped(bytes: number): void {
    this.counters.bytesDropped += bytes;
  }

  /** @internal */
  countReset(): void {
    this.counters.resets++;
  }

  /** @internal */
  forget(connection: Connection): void {
    this.connections.delete(connection);
  }

  /** Run `change` (which sets modes), then move every connection whose mode it changed. */
  private changeModes(change: () => void): void {
    const before = new Map([...this.connections].map((connection) => [connection, connection.mode]));
    change();
    for (const [connection, previous] of before) if (!connection.closed) connection.modeChanged(previous);
  }

  private accept(downstream: net.Socket): void {
    downstream.on('error', () => undefined);
    if (this.identify === undefined) {
      this.forward(downstream, undefined);
      return;
    }
    this.unnamed.add(downstream);
    const named = (sender: string | undefined): void => {
      this.unnamed.delete(downstream);
      this.forward(downstream, sender);
    };
    this.identify(downstream).then(named, () => named(undefined));
  }

  private forward(downstream: net.Socket, sender: string | undefined): void {
    if (downstream.destroyed || this.closing) return;
    if (this.modeOf(sender) === 'reset' || this.target === undefined) {
      this.counters.refused++;
      resetSocket(downstream);
      return;
    }
    this.counters.accepted++;
    const upstream = net.connect({ host: this.target.host, port: this.target.port, allowHalfOpen: true });
    upstream.setNoDelay(true);
    downstream.setNoDelay(true);
    const connection = new Connection(this, downstream, upstream, sender);
    this.connections.add(connection);
    connection.flushAll();
  }

  private resetAll(): void {
    for (const connection of [...this.connections]) {
      this.counters.resets++;
      connection.reset();
    }
  }
}

function checkLatency(latencyMs: number): number {
  if (!Number.isFinite(latencyMs) || latencyMs < 0) throw new Error(`latencyMs must be ≥ 0, got ${latencyMs}`);
  return latencyMs;
}
