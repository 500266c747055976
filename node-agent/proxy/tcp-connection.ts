/**
 * One proxied TCP connection: a client accepted on a Service's listener, joined to one of
 * the Service port's endpoints.
 *
 * The endpoint is chosen by the port's balancer; one that refuses, times out or is
 * unreachable is skipped for the next, up to `dialAttemptsMax`. When no endpoint takes the
 * connection the client is reset (it sees ECONNRESET at once rather than a connection that
 * hangs). Once joined, bytes flow both ways through `pipe` (a slow reader pauses the other
 * side: backpressure); a FIN from one side is passed on as a FIN to the other while the
 * reverse direction keeps flowing (half-close); a reset or error on either side resets both.
 *
 * The client socket must come paused (`pauseOnConnect`), so that nothing is read from it
 * before there is somewhere to write it.
 */
import * as net from 'node:net';
import type { Balancer } from './balancer.js';
import type { Flow } from './open-flows.js';
import { backendName } from './service-ports.js';

/** TCP keep-alive probes on both sockets start after this much silence (ms), as Go's dialer (and so kube-proxy) does. */
const KEEP_ALIVE_DELAY_MS = 15_000;

export interface TcpConnectionOptions {
  readonly balancer: Balancer;
  /** Per endpoint tried (ms). */
  readonly connectTimeoutMs: number;
  readonly dialAttemptsMax: number;
  /** Says which Service port and listener, in log lines. */
  readonly label: string;
  readonly log: (line: string) => void;
  /** Called once, when both sockets are closed (or the client closed before any endpoint was reached). */
  readonly onEnd: () => void;
}

export class TcpConnection implements Flow {
  private upstream: net.Socket | null = null;
  /** The socket of the connect attempt in progress. */
  private dialing: net.Socket | null = null;
  private clientClosed = false;
  private upstreamClosed = false;
  private ended = false;

  constructor(
    private readonly client: net.Socket,
    private readonly options: TcpConnectionOptions,
  ) {}

  /** Starts choosing an endpoint and connecting to it. */
  start(): void {
    const client = this.client;
    client.setNoDelay(true);
    client.setKeepAlive(true, KEEP_ALIVE_DELAY_MS);
    client.on('error', () => this.reset());
    client.once('close', () => {
      this.clientClosed = true;
      if (this.upstream === null) {
        this.dialing?.destroy();
        this.end();
      } else {
        this.endOther(this.upstream);
        this.maybeEnd();
      }
    });
    void this.connect();
  }

  /** Resets both sockets (the proxy is closing). */
  destroy(): void {
    this.reset();
  }

  private async connect(): Promise<void> {
    const { balancer, connectTimeoutMs, dialAttemptsMax } = this.options;
    const clientIp = this.client.remoteAddress ?? '';
    const tried = new Set<string>();
    const failures: string[] = [];
    for (let attempt = 0; attempt < dialAttemptsMax && !this.clientGone; attempt++) {
      const backend = balancer.pick(clientIp, tried);
      if (backend === undefined) break;
      tried.add(backendName(backend));
      const socket = net.connect({ host: backend.ip, port: backend.port, allowHalfOpen: true });
      this.dialing = socket;
      const failure = await connected(socket, connectTimeoutMs);
      this.dialing = null;
      if (failure !== null) {
        socket.destroy();
        failures.push(`${backendName(backend)} ${failure}`);
        continue;
      }
      if (this.clientGone) {
        socket.destroy();
        return;
      }
      balancer.served(clientIp, backend);
      this.join(socket);
      return;
    }
    if (this.clientGone) return;
    const why = failures.length > 0 ? failures.join(', ') : 'no ready endpoints';
    this.options.log(`proxy: ${this.options.label}: connection from ${clientIp}:${this.client.remotePort} closed: ${why}`);
    resetSocket(this.client);
  }

  /** The client hung up, or was reset by us (its 'close' event comes a turn later). */
  private get clientGone(): boolean {
    return this.clientClosed || this.client.destroyed;
  }

  private join(upstream: net.Socket): void {
    const client = this.client;
    this.upstream = upstream;
    upstream.setNoDelay(true);
    upstream.setKeepAlive(true, KEEP_ALIVE_DELAY_MS);
    upstream.on('error', () => this.reset());
    upstream.once('close', () => {
      this.upstreamClosed = true;
      this.endOther(client);
      this.maybeEnd();
    });
    // `pipe` ends its destination when its source ends: with allowHalfOpen on both sockets
    // that is exactly a FIN passed on, the other direction still open.
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
  }

  /** One side closed cleanly: the other gets a FIN once its pending writes are out (it usually has one already). */
  private endOther(other: net.Socket): void {
    if (!other.destroyed && !other.writableEnded) other.end();
  }

  private reset(): void {
    this.dialing?.destroy();
    resetSocket(this.client);
    if (this.upstream !== null) resetSocket(this.upstream);
  }

  private maybeEnd(): void {
    if (this.clientClosed && this.upstreamClosed) this.end();
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.options.onEnd();
  }
}

/** Null once `socket` is connected; else why it did not connect within `timeoutMs` (an errno code or 'timeout'). */
function connected(socket: net.Socket, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    const done = (failure: string | null): void => {
      clearTimeout(timer);
      socket.removeListener('connect', onConnect);
      socket.removeListener('error', onError);
      socket.removeListener('close', onClose);
      resolve(failure);
    };
    const onConnect = (): void => done(null);
    const onError = (error: NodeJS.ErrnoException): void => done(error.code ?? error.message);
    const onClose = (): void => done('closed');
    const timer = setTimeout(() => done('timeout'), timeoutMs);
    socket.once('connect', onConnect);
    socket.once('error', onError);
    socket.once('close', onClose);
  });
}

/** Sends an RST and frees the socket (a plain destroy when it is not a connected TCP socket any more). */
export function resetSocket(socket: net.Socket): void {
  if (socket.destroyed) return;
  if (socket.connecting) socket.destroy();
  else socket.resetAndDestroy();
}
