/**
 * What the service proxy asks of a listener, TCP or UDP: bind one address for one Service
 * port, forward what arrives to the port's endpoints, and let go of the address on close.
 */
import type { Balancer } from './balancer.js';
import type { OpenFlows } from './open-flows.js';

/** The limits a listener forwards under (see `constants.ts` for what each means and its default). */
export interface ForwardingLimits {
  readonly connectTimeoutMs: number;
  readonly dialAttemptsMax: number;
  readonly udpIdleTimeoutMs: number;
  readonly udpPendingDatagramsMax: number;
}

export interface ListenerOptions {
  /** The node's address. */
  readonly host: string;
  readonly port: number;
  /** Names the Service port and address in log lines (`ns/web:http/TCP at 127.0.0.2:8080`). */
  readonly label: string;
  /** The Service port's balancer: it follows the Endpoints, the listener only asks it. */
  readonly balancer: Balancer;
  /** Every flow of the proxy: new ones are registered there (and refused past its limits). */
  readonly flows: OpenFlows;
  readonly limits: ForwardingLimits;
  readonly log: (line: string) => void;
}

export interface ProxyListener {
  /** Binds the address; rejects with the bind error (EADDRINUSE, EACCES, EADDRNOTAVAIL, ...) and holds nothing then. */
  listen(): Promise<void>;
  /**
   * Stops taking new traffic and frees the address at once. TCP connections already made
   * continue until they end; UDP sessions end (their replies came back through the
   * listener's socket, which is gone).
   */
  close(): void;
}
