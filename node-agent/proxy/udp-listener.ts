/**
 * A UDP listener of the service proxy. UDP has no connections, so the proxy makes
 * sessions: the first datagram from a client address (ip:port) picks an endpoint (round
 * robin, or the client's affine one) and opens a socket connected to it; the client's later
 * datagrams go through that socket, and whatever the endpoint sends back is relayed to the
 * client from the listener's own address (the one the client sent to). A session with no
 * datagram either way for `udpIdleTimeoutMs` is closed.
 *
 * An endpoint that is gone answers with ICMP port unreachable, which the connected session
 * socket reports as an error: that session closes, and the client's next datagram (UDP
 * clients retransmit) opens a session to the next endpoint. A datagram that finds no ready
 * endpoint, or the proxy at its session limit, is dropped, as the network would.
 */
import * as dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Flow } from './open-flows.js';
import type { ListenerOptions, ProxyListener } from './proxy-listener.js';
import { backendName } from './service-ports.js';
import type { Backend } from './service-ports.js';

const NO_BACKENDS_TRIED: ReadonlySet<string> = new Set();

export class UdpListener implements ProxyListener {
  private readonly socket: dgram.Socket;
  /** By client `address:port`. */
  private readonly sessions = new Map<string, UdpSession>();
  private closed = false;
  /** The reason datagrams are being dropped, logged once until a session opens again. */
  private dropping: string | null = null;

  constructor(private readonly options: ListenerOptions) {
    this.socket = dgram.createSocket({ type: isIPv6(options.host) ? 'udp6' : 'udp4' });
    this.socket.on('message', (datagram, client) => this.receive(datagram, client));
  }

  listen(): Promise<void> {
    const { host, port, label, log } = this.options;
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => {
        this.close();
        reject(error);
      };
      this.socket.once('error', onError);
      this.socket.bind({ address: host, port, exclusive: true }, () => {
        this.socket.removeListener('error', onError);
        this.socket.on('error', (error) => log(`proxy: ${label}: listener error: ${error.message}`));
        resolve();
      });
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const session of [...this.sessions.values()]) session.destroy();
    try {
      this.socket.close();
    } catch {
      // Never bound (the bind failed): nothing to free.
    }
  }

  private receive(datagram: Buffer, client: dgram.RemoteInfo): void {
    if (this.closed) return;
    const key = `${client.address}:${client.port}`;
    const session = this.sessions.get(key) ?? this.open(key, client);
    session?.send(datagram);
  }

  private open(key: string, client: dgram.RemoteInfo): UdpSession | undefined {
    const { balancer, flows, limits, label } = this.options;
    const backend = balancer.pick(client.address, NO_BACKENDS_TRIED);
    if (backend === undefined) return this.drop('no ready endpoints');
    const session: UdpSession = new UdpSession(backend, {
      idleTimeoutMs: limits.udpIdleTimeoutMs,
      pendingMax: limits.udpPendingDatagramsMax,
      relay: (reply) => {
        if (!this.closed) this.socket.send(reply, client.port, client.address);
      },
      onError: (error) => this.options.log(`proxy: ${label}: session ${key} -> ${backendName(backend)} ended: ${error.code ?? error.message}`),
      onEnd: () => {
        this.sessions.delete(key);
        flows.delete('udp', session);
      },
    });
    if (!flows.tryAdd('udp', session)) return this.drop(`at the limit of ${flows.count('udp')} UDP sessions`);
    this.dropping = null;
    this.sessions.set(key, session);
    balancer.served(client.address, backend);
    session.start();
    return session;
  }

  private drop(why: string): undefined {
    if (this.dropping !== why) this.options.log(`proxy: ${this.options.label}: dropping datagrams: ${why}`);
    this.dropping = why;
    return undefined;
  }
}

interface UdpSessionOptions {
  readonly idleTimeoutMs: number;
  /** Datagrams held while the session socket connects. */
  readonly pendingMax: number;
  /** Sends a datagram from the endpoint back to the client. */
  readonly relay: (reply: Buffer) => void;
  readonly onError: (error: NodeJS.ErrnoException) => void;
  /** Called once, when the session is over (idle, failed or destroyed). */
  readonly onEnd: () => void;
}

/** One client's datagrams to one endpoint, through a socket of its own. */
class UdpSession implements Flow {
  private readonly socket: dgram.Socket;
  private pending: Buffer[] | null = [];
  private idleTimer: NodeJS.Timeout | null = null;
  private ended = false;

  constructor(
    private readonly backend: Backend,
    private readonly options: UdpSessionOptions,
  ) {
    this.socket = dgram.createSocket({ type: isIPv6(backend.ip) ? 'udp6' : 'udp4' });
  }

  start(): void {
    this.idleTimer = setTimeout(() => this.destroy(), this.options.idleTimeoutMs);
    this.socket.on('message', (reply) => {
      this.idleTimer?.refresh();
      this.options.relay(reply);
    });
    this.socket.on('error', (error: NodeJS.ErrnoException) => {
      this.options.onError(error);
      this.destroy();
    });
    this.socket.connect(this.backend.port, this.backend.ip, () => {
      const pending = this.pending ?? [];
      this.pending = null;
      for (const datagram of pending) this.forward(datagram);
    });
  }

  send(datagram: Buffer): void {
    if (this.ended) return;
    this.idleTimer?.refresh();
    if (this.pending === null) this.forward(datagram);
    else if (this.pending.length < this.options.pendingMax) this.pending.push(datagram);
  }

  destroy(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    try {
      this.socket.close();
    } catch {
      // Already closed.
    }
    this.options.onEnd();
  }

  private forward(datagram: Buffer): void {
    if (this.ended) return;
    this.socket.send(datagram, (error) => {
      if (error) {
        this.options.onError(error);
        this.destroy();
      }
    });
  }
}
