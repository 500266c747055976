/**
 * A client URL's TCP listener. The KV server binds its client ports itself, rather than
 * through grpc-js, so that it sees each connection before the gRPC server takes it over
 * through a connection injector (`routeFirstRequest`, `FrontConnection`).
 *
 * An https:// client URL's listener is a `tls.Server`: TLS is the bottom layer, and what
 * reaches `accept` is the secure socket once its handshake is done (a client refused there,
 * say without a certificate the trusted CA signed, never reaches it), so the front and the
 * gRPC server read plain HTTP/2 either way. A secure socket injected as it is still tells
 * the gRPC server who the client is (`call.getAuthContext()`).
 *
 * `close()` stops accepting and resolves once every accepted connection has closed: the
 * gRPC server closes them on shutdown; `destroyConnections()` closes those it did not.
 */
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { TlsOptions } from 'node:tls';

export class ClientListener {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private closing: Promise<void> | null = null;
  private boundAddress = '';

  private constructor(accept: (socket: Socket) => void, tls: TlsOptions | undefined, rejected: (line: string) => void) {
    const track = (socket: Socket): void => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    };
    if (tls === undefined) {
      this.server = createServer((socket) => {
        track(socket);
        accept(socket);
      });
      return;
    }
    this.server = createTlsServer(tls, accept);
    // The TCP sockets under the TLS ones: closing them closes both.
    this.server.on('connection', track);
    // A failed handshake (no or a bad client certificate, not TLS at all): Node closes it;
    // said as etcd says it.
    this.server.on('tlsClientError', (error, socket) => rejected(`rejected connection from "${socket.remoteAddress}:${socket.remotePort}" (error "${error.message}")`));
  }

  /**
   * A listener on `address` (host:port; an IPv6 host in brackets; port 0: any free port)
   * handing each connection to `accept`; with `tls`, each secure connection once its
   * handshake is done, and `rejected` hears of each handshake that failed.
   */
  static async listen(address: string, accept: (socket: Socket) => void, tls?: TlsOptions, rejected: (line: string) => void = () => undefined): Promise<ClientListener> {
    const listener = new ClientListener(accept, tls, rejected);
    const separator = address.lastIndexOf(':');
    const host = address.slice(0, separator);
    await new Promise<void>((resolve, reject) => {
      listener.server.once('error', reject);
      listener.server.listen({ host: host.replace(/^\[(.*)\]$/, '$1'), port: Number(address.slice(separator + 1)) }, () => {
        listener.server.off('error', reject);
        resolve();
      });
    });
    const bound = listener.server.address();
    listener.boundAddress = `${host}:${typeof bound === 'object' && bound !== null ? bound.port : address.slice(separator + 1)}`;
    return listener;
  }

  /** host:port as bound (with the port the system chose for port 0). */
  get address(): string {
    return this.boundAddress;
  }

  /** Stop accepting; resolves once every connection accepted has closed. */
  close(): Promise<void> {
    this.closing ??= new Promise((resolve) => this.server.close(() => resolve()));
    return this.closing;
  }

  /** Close every connection still open (after the gRPC server had its chance to close them cleanly). */
  destroyConnections(): void {
    for (const socket of this.sockets) socket.destroy();
  }
}
