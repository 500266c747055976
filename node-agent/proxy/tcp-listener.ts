/**
 * A TCP listener of the service proxy: accepts clients on the node's address at a Service
 * port (or node port) and hands each to a `TcpConnection`, within the proxy's connection
 * limit.
 */
import * as net from 'node:net';
import type { ListenerOptions, ProxyListener } from './proxy-listener.js';
import { TcpConnection, resetSocket } from './tcp-connection.js';

export class TcpListener implements ProxyListener {
  private readonly server: net.Server;
  /** Whether the last client was turned away for the connection limit (so the log says it once per episode). */
  private atLimit = false;

  constructor(private readonly options: ListenerOptions) {
    // Paused until an endpoint is connected; half-open so that a client's FIN is passed on, not answered.
    this.server = net.createServer({ pauseOnConnect: true, allowHalfOpen: true }, (client) => this.accept(client));
    this.server.on('error', (error) => options.log(`proxy: ${options.label}: listener error: ${error.message}`));
  }

  listen(): Promise<void> {
    const { host, port } = this.options;
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      this.server.once('error', onError);
      this.server.listen({ host, port, exclusive: true }, () => {
        this.server.removeListener('error', onError);
        resolve();
      });
    });
  }

  close(): void {
    // Closes the listening socket now; accepted connections are the flows' and live on.
    if (this.server.listening) this.server.close();
  }

  private accept(client: net.Socket): void {
    const { flows, balancer, limits, label, log } = this.options;
    const connection: TcpConnection = new TcpConnection(client, {
      balancer,
      connectTimeoutMs: limits.connectTimeoutMs,
      dialAttemptsMax: limits.dialAttemptsMax,
      label,
      log,
      onEnd: () => flows.delete('tcp', connection),
    });
    if (!flows.tryAdd('tcp', connection)) {
      if (!this.atLimit) log(`proxy: ${label}: at the limit of ${flows.count('tcp')} open connections; refusing new ones until some end`);
      this.atLimit = true;
      client.on('error', () => {});
      resetSocket(client);
      return;
    }
    this.atLimit = false;
    connection.start();
  }
}
