/**
 * The fault-injecting TCP proxy, against a real echo server on loopback: each mode does
 * to open and new connections what it promises (bytes pass, are held, are dropped, or
 * the connection is reset), and switching back heals.
 */
import net from 'node:net';
import { once } from 'node:events';
import { TcpProxy, parseLoopbackAddress } from '../../../raft/testing/tcp-proxy.js';

const QUIET_MS = 300;

interface EchoServer {
  readonly address: string;
  readonly server: net.Server;
  readonly sockets: Set<net.Socket>;
  close(): Promise<void>;
}

async function startEchoServer(): Promise<EchoServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    socket.pipe(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    server,
    sockets,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A client socket that collects what it receives and how it ended. */
class Client {
  received = '';
  closedWith: 'none' | 'close' | string = 'none';
  readonly socket: net.Socket;

  constructor(address: string) {
    const { host, port } = parseLoopbackAddress(address);
    this.socket = net.connect({ host, port });
    this.socket.setEncoding('utf8');
    this.socket.on('data', (text: string) => (this.received += text));
    this.socket.on('error', (error: NodeJS.ErrnoException) => (this.closedWith = error.code ?? error.message));
    this.socket.on('close', () => {
      if (this.closedWith === 'none') this.closedWith = 'close';
    });
  }

  async connected(): Promise<void> {
    if (!this.socket.connecting) return;
    await once(this.socket, 'connect');
  }

  send(text: string): void {
    this.socket.write(text);
  }

  async waitFor(predicate: () => boolean, timeoutMs = 3000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out; received ${JSON.stringify(this.received)}, closed ${this.closedWith}`);
      await sleep(5);
    }
  }

  destroy(): void {
    this.socket.destroy();
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('TcpProxy', () => {
  let echo: EchoServer;
  let proxy: TcpProxy;
  const clients: Client[] = [];
  const connect = () => {
    const client = new Client(proxy.address);
    clients.push(client);
    return client;
  };

  beforeEach(async () => {
    echo = await startEchoServer();
    proxy = await TcpProxy.start({ target: echo.address });
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.destroy();
    await proxy.close();
    await echo.close();
  });

  it('listens on 127.0.0.1 and refuses non-loopback addresses', async () => {
    expect(proxy.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(() => parseLoopbackAddress('10.0.0.1:80')).toThrow(/not on loopback/);
    expect(() => parseLoopbackAddress('nonsense')).toThrow(/host:port/);
    await expect(TcpProxy.start({ target: '192.168.1.1:1' })).rejects.toThrow(/not on loopback/);
  });

  it('pass: forwards both ways and counts the bytes', async () => {
    const client = connect();
    client.send('hello');
    await client.waitFor(() => client.received === 'hello');
    expect(proxy.stats()).toMatchObject({ accepted: 1, active: 1, bytesForwarded: 10, bytesDropped: 0 });
  });

  it('pass: a half-close travels through, and the server sees the client leave', async () => {
    const client = connect();
    client.send('bye');
    client.socket.end();
    await client.waitFor(() => client.closedWith === 'close');
    expect(client.received).toBe('bye');
    await waitUntil(() => proxy.stats().active === 0 && echo.sockets.size === 0);
  });

  it('pass with latency: each direction is delayed, order is kept', async () => {
    proxy.setLatency(60);
    const client = connect();
    await client.connected();
    const started = Date.now();
    for (let i = 0; i < 20; i++) client.send(`${i},`);
    const expected = Array.from({ length: 20 }, (_, i) => `${i},`).join('');
    await client.waitFor(() => client.received === expected);
    // Never earlier than one added delay per direction (timers do not fire early).
    expect(Date.now() - started).toBeGreaterThanOrEqual(2 * 60 - 2);
    expect(proxy.latencyMs).toBe(60);
  });

  it('pause: holds bytes without losing them, and delivers them on pass', async () => {
    const client = connect();
    client.send('a');
    await client.waitFor(() => client.received === 'a');
    proxy.setMode('pause');
    client.send('b');
    const late = connect();
    late.send('c');
    await sleep(QUIET_MS);
    expect(client.received).toBe('a');
    expect(late.received).toBe('');
    expect(client.closedWith).toBe('none');
    proxy.setMode('pass');
    await client.waitFor(() => client.received === 'ab');
    await late.waitFor(() => late.received === 'c');
    expect(proxy.stats().bytesDropped).toBe(0);
  });

  it('blackhole: drops bytes both ways in silence; leaving it resets the broken connections only', async () => {
    const broken = connect();
    const idle = connect();
    broken.send('x');
    await broken.waitFor(() => broken.received === 'x');
    await idle.connected();
    proxy.setMode('blackhole');
    broken.send('lost');
    const late = connect();
    late.send('lost too');
    await sleep(QUIET_MS);
    expect(broken.received).toBe('x');
    expect(late.received).toBe('');
    expect(broken.closedWith).toBe('none');
    expect(late.closedWith).toBe('none');
    expect(proxy.stats().bytesDropped).toBeGreaterThanOrEqual('lost'.length + 'lost too'.length);

    proxy.setMode('pass');
    await broken.waitFor(() => broken.closedWith === 'ECONNRESET');
    await late.waitFor(() => late.closedWith === 'ECONNRESET');
    // A connection that lost nothing carries on.
    idle.send('still here');
    await idle.waitFor(() => idle.received === 'still here');
    const fresh = connect();
    fresh.send('healed');
    await fresh.waitFor(() => fresh.received === 'healed');
  });

  it('blackhole drops what pause was holding', async () => {
    const client = connect();
    await client.connected();
    proxy.setMode('pause');
    client.send('held');
    await sleep(50);
    proxy.setMode('blackhole');
    await waitUntil(() => proxy.stats().bytesDropped === 'held'.length);
    proxy.setMode('pass');
    await client.waitFor(() => client.closedWith === 'ECONNRESET');
    expect(client.received).toBe('');
  });

  it('reset: resets open connections and refuses new ones until pass', async () => {
    const client = connect();
    client.send('1');
    await client.waitFor(() => client.received === '1');
    proxy.setMode('reset');
    await client.waitFor(() => client.closedWith === 'ECONNRESET');
    const refused = connect();
    await refused.waitFor(() => refused.closedWith === 'ECONNRESET');
    expect(proxy.stats()).toMatchObject({ refused: 1, active: 0 });
    await waitUntil(() => echo.sockets.size === 0);

    proxy.setMode('pass');
    const fresh = connect();
    fresh.send('2');
    await fresh.waitFor(() => fresh.received === '2');
  });

  it('a target that is down shows as a reset; setTarget moves new connections', async () => {
    const other = await startEchoServer();
    try {
      await echo.close(); // closing it again in afterEach is harmless
      const client = connect();
      await client.waitFor(() => client.closedWith === 'ECONNRESET');

      proxy.setTarget(other.address);
      const moved = connect();
      moved.send('there');
      await moved.waitFor(() => moved.received === 'there');
      expect(other.sockets.size).toBe(1);
    } finally {
      await other.close();
    }
  });

  it('close: resets every connection and stops listening', async () => {
    const client = connect();
    client.send('z');
    await client.waitFor(() => client.received === 'z');
    const address = proxy.address;
    await proxy.close();
    await client.waitFor(() => client.closedWith === 'ECONNRESET');
    const after = new Client(address);
    clients.push(after);
    await after.waitFor(() => after.closedWith === 'ECONNREFUSED');
    proxy = await TcpProxy.start({ target: echo.address });
  });
});

describe("TcpProxy links (one sender's connections)", () => {
  let echo: EchoServer;
  let proxy: TcpProxy;
  const clients: Client[] = [];
  /** Client local port → the name `identify` gives its connection. */
  const names = new Map<number, string>();

  beforeEach(async () => {
    echo = await startEchoServer();
    proxy = await TcpProxy.start({
      target: echo.address,
      identify: async (socket) => {
        // The client records its port once connected; the proxy may accept first.
        for (let i = 0; i < 200 && !names.has(socket.remotePort!); i++) await sleep(5);
        return names.get(socket.remotePort!);
      },
    });
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.destroy();
    names.clear();
    await proxy.close();
    await echo.close();
  });

  const connectAs = async (name: string): Promise<Client> => {
    const client = new Client(proxy.address);
    clients.push(client);
    await client.connected();
    names.set(client.socket.localPort!, name);
    return client;
  };

  it("a link mode cuts one sender's connections, open and new, and the others pass", async () => {
    const a = await connectAs('a');
    const b = await connectAs('b');
    a.send('1');
    await a.waitFor(() => a.received === '1');
    proxy.setLinkMode('a', 'blackhole');
    expect(proxy.linkModesSet()).toEqual(new Map([['a', 'blackhole']]));
    a.send('lost');
    b.send('through');
    const aLate = await connectAs('a');
    aLate.send('lost too');
    await b.waitFor(() => b.received === 'through');
    await sleep(QUIET_MS);
    expect(a.received).toBe('1');
    expect(aLate.received).toBe('');
    expect(proxy.modeOf('a')).toBe('blackhole');
    expect(proxy.modeOf('b')).toBe('pass');

    // Back to the proxy's mode: the connections that lost bytes are reset; new ones pass.
    proxy.setLinkMode('a', undefined);
    await a.waitFor(() => a.closedWith === 'ECONNRESET');
    await aLate.waitFor(() => aLate.closedWith === 'ECONNRESET');
    const aAgain = await connectAs('a');
    aAgain.send('healed');
    await aAgain.waitFor(() => aAgain.received === 'healed');
    expect(b.closedWith).toBe('none');
  });

  it("a link mode overrides the proxy's mode, and a connection nobody names follows the proxy's", async () => {
    proxy.setMode('reset');
    proxy.setLinkMode('a', 'pass');
    const a = await connectAs('a');
    a.send('let through');
    await a.waitFor(() => a.received === 'let through');
    const stranger = new Client(proxy.address); // never named: identify gives up
    clients.push(stranger);
    await stranger.waitFor(() => stranger.closedWith === 'ECONNRESET', 5000);
    proxy.setLinkMode('a', 'reset');
    await a.waitFor(() => a.closedWith === 'ECONNRESET');
  });
});

async function waitUntil(predicate: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}
