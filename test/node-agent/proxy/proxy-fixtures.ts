/**
 * Real sockets for the service proxy's tests, all on loopback: back ends that say who they
 * are, clients that ask, and Service and Endpoints objects as the API server would hand
 * them over. The proxy listens on 127.0.0.2 (a second loopback address, as a second node
 * agent on one machine would), the back ends on 127.0.0.1.
 */
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import type { ApiObject } from '../../../control-plane/api/types.js';

/** The node address the proxy listens on in these tests. */
export const NODE_IP = '127.0.0.2';
/** Where the back ends listen. */
export const BACKEND_IP = '127.0.0.1';

/** A TCP back end that greets each connection with `<name>\n` and then echoes what it reads. */
export interface EchoBackend {
  readonly name: string;
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  close(): Promise<void>;
}

export async function startEchoBackend(name: string, host = BACKEND_IP): Promise<EchoBackend> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    socket.write(`${name}\n`);
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    name,
    port,
    get accepted() {
      return accepted;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port on `host` that nothing listens on (it was free a moment ago): connecting to it is refused. */
export async function freePort(host: string): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A connection through the proxy, reading lines. */
export class LineClient {
  readonly socket: net.Socket;
  private buffer = '';
  private readonly lines: string[] = [];
  private waiters: (() => void)[] = [];
  /** Resolves with how the connection ended: 'end' (FIN), or the error code (ECONNRESET). */
  readonly closed: Promise<string>;
  private ended = false;

  constructor(host: string, port: number) {
    this.socket = net.connect({ host, port });
    let how = 'end';
    this.socket.setEncoding('utf8');
    this.socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      let newline: number;
      while ((newline = this.buffer.indexOf('\n')) >= 0) {
        this.lines.push(this.buffer.slice(0, newline));
        this.buffer = this.buffer.slice(newline + 1);
      }
      this.wake();
    });
    this.socket.on('error', (error: NodeJS.ErrnoException) => {
      how = error.code ?? error.message;
    });
    this.closed = new Promise((resolve) =>
      this.socket.on('close', () => {
        this.ended = true;
        this.wake();
        resolve(how);
      }),
    );
  }

  /** The next line; rejects when the connection ends first or after `timeoutMs`. */
  async line(timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.lines.length === 0) {
      if (this.ended) throw new Error('the connection ended before a line came');
      if (Date.now() > deadline) throw new Error('no line within the deadline');
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
    return this.lines.shift()!;
  }

  /** Sends `text` and a newline; the echo comes back as a line. */
  async roundTrip(text: string): Promise<string> {
    this.socket.write(`${text}\n`);
    return this.line();
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }
}

/** Connects through the proxy and answers the greeting: which back end took the connection. */
export async function whoAnswers(port: number, host = NODE_IP): Promise<string> {
  const client = new LineClient(host, port);
  try {
    return await client.line();
  } finally {
    client.close();
  }
}

interface PortSpec {
  name?: string;
  port: number;
  protocol?: 'TCP' | 'UDP' | 'SCTP';
  nodePort?: number;
}

/** A Service as the API server serves it (defaults filled). */
export function service(name: string, ports: PortSpec[], spec: Record<string, unknown> = {}, namespace = 'default'): ApiObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, resourceVersion: '1' },
    spec: {
      type: 'ClusterIP',
      sessionAffinity: 'None',
      ports: ports.map((port) => ({ protocol: 'TCP', targetPort: port.port, ...port })),
      ...spec,
    },
  };
}

interface SubsetSpec {
  ready?: string[];
  notReady?: string[];
  ports: { name?: string; port: number; protocol?: string }[];
}

/** An Endpoints object with the given subsets (addresses by IP). */
export function endpoints(name: string, subsets: SubsetSpec[], namespace = 'default'): ApiObject {
  const address = (ip: string) => ({ ip, targetRef: { kind: 'Pod', namespace, name: `pod-${ip}`, uid: `uid-${ip}` } });
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name, namespace },
    subsets: subsets.map((subset) => ({
      ...(subset.ready !== undefined ? { addresses: subset.ready.map(address) } : {}),
      ...(subset.notReady !== undefined ? { notReadyAddresses: subset.notReady.map(address) } : {}),
      ports: subset.ports.map((port) => ({ protocol: 'TCP', ...port })),
    })),
  };
}

/**
 * Endpoints of a single unnamed TCP port for back ends that each listen on their own port
 * of 127.0.0.1 (as pods of the process runtime do): one subset per back end.
 */
export function endpointsOf(name: string, backends: readonly { port: number }[], namespace = 'default'): ApiObject {
  return endpoints(
    name,
    backends.map((backend) => ({ ready: [BACKEND_IP], ports: [{ port: backend.port }] })),
    namespace,
  );
}

/** A UDP back end that answers each datagram with `<name>:<datagram>` (or, `withSourcePort`, `<name>:<the sender's port>`). */
export interface UdpEchoBackend {
  readonly name: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function startUdpEchoBackend(name: string, host = BACKEND_IP, options: { withSourcePort?: boolean } = {}): Promise<UdpEchoBackend> {
  const socket = dgram.createSocket('udp4');
  socket.on('message', (datagram, from) => {
    const said = options.withSourcePort ? String(from.port) : datagram.toString('utf8');
    socket.send(`${name}:${said}`, from.port, from.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, host, resolve));
  return { name, port: socket.address().port, close: () => new Promise<void>((resolve) => socket.close(() => resolve())) };
}

/** A UDP client socket on 127.0.0.1: `ask` sends a datagram to the proxy and waits for the reply. */
export class UdpClient {
  private readonly socket = dgram.createSocket('udp4');
  private readonly replies: string[] = [];

  constructor() {
    this.socket.on('message', (reply) => this.replies.push(reply.toString('utf8')));
  }

  /** Sends `text` to `host:port` every 200 ms (UDP may lose it) until a reply comes; rejects after `timeoutMs`. */
  async ask(port: number, text: string, host = NODE_IP, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    this.replies.length = 0;
    while (this.replies.length === 0) {
      if (Date.now() > deadline) throw new Error(`no UDP reply from ${host}:${port}`);
      this.socket.send(text, port, host);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return this.replies.shift()!;
  }

  close(): void {
    this.socket.close();
  }
}
