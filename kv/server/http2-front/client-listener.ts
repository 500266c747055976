/**
 * A client URL's TCP listener. The KV server binds its client ports itself, rather than
 * through grpc-js, so that it sees each connection before the gRPC server takes it over
 * through a connection injector (`routeFirstRequest`, `FrontConnection`).
 *
 * `close()` stops accepting and resolves once every accepted connection has closed: the
 * gRPC server closes them on shutdown; `destroyConnections()` closes those it did not.
 */
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';

export class ClientListener {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private closing: Promise<void> | null = null;
  private boundAddress = '';

  private constructor(accept: (socket: Socket) => void) {
    this.server = createServer((socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      accept(socket);
    });
  }

  /** A listener on `address` (host:port; an IPv6 host in brackets; port 0: any free port) handing each connection to `accept`. */
  static async listen(address: string, accept: (socket: Socket) => void): Promise<ClientListener> {
    const listener = new ClientListener(accept);
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
