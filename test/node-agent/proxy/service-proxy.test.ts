/**
 * The service proxy with real sockets on loopback: it listens on the node's address
 * (127.0.0.2) at each Service port and node port, spreads new connections round robin over
 * the ready endpoints (back ends on 127.0.0.1), skips endpoints that refuse, follows
 * Endpoints changes, lets connections to a removed endpoint drain, frees the ports of a
 * removed Service, carries half-closed connections, forwards UDP, and serves the other
 * ports when one port is taken.
 */
import * as net from 'node:net';
import { ServiceProxy } from '../../../node-agent/proxy/index.js';
import { eventually } from '../../support/eventually.js';
import {
  BACKEND_IP,
  LineClient,
  NODE_IP,
  UdpClient,
  endpoints,
  endpointsOf,
  freePort,
  service,
  startEchoBackend,
  startUdpEchoBackend,
  whoAnswers,
} from './proxy-fixtures.js';
import type { EchoBackend } from './proxy-fixtures.js';

let proxy: ServiceProxy;
let logs: string[];
const toClose: { close(): unknown }[] = [];

beforeEach(() => {
  logs = [];
  proxy = new ServiceProxy({ listenHost: NODE_IP, log: (line) => logs.push(line), bindRetryMs: 100, connectTimeoutMs: 2_000 });
});

afterEach(async () => {
  await proxy.close();
  for (const resource of toClose.splice(0)) await resource.close();
});

async function backends(...names: string[]): Promise<EchoBackend[]> {
  const started = await Promise.all(names.map((name) => startEchoBackend(name)));
  toClose.push(...started);
  return started;
}

/** Until the proxy's listener at `port` is bound. */
async function listening(port: number): Promise<void> {
  await eventually(async () => expect(proxy.listeners().find((listener) => listener.port === port)?.state).toBe('listening'));
}

/** Whether `port` on the node's address can be bound (by us): the proxy let go of it. */
async function canBind(port: number): Promise<boolean> {
  const server = net.createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen({ host: NODE_IP, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

test('N connections to a Service with 3 back ends reach all three, in turn', async () => {
  const [a, b, c] = await backends('a', 'b', 'c');
  const port = await freePort(NODE_IP);
  proxy.setService(service('web', [{ port }]));
  proxy.setEndpoints(endpointsOf('web', [a!, b!, c!]));
  await listening(port);
  const answers: string[] = [];
  for (let i = 0; i < 9; i++) answers.push(await whoAnswers(port));
  // Round robin: each back end once per round, in the same order every round.
  const firstRound = answers.slice(0, 3);
  expect([...firstRound].sort()).toEqual(['a', 'b', 'c']);
  expect(answers).toEqual([...firstRound, ...firstRound, ...firstRound]);
});

test('an endpoint that refuses is skipped: every connection is served by the others', async () => {
  const [a, c] = await backends('a', 'c');
  const refusing = await freePort(BACKEND_IP);
  const port = await freePort(NODE_IP);
  proxy.setService(service('web', [{ port }]));
  proxy.setEndpoints(endpointsOf('web', [a!, { port: refusing }, c!]));
  await listening(port);
  const answers: string[] = [];
  for (let i = 0; i < 6; i++) answers.push(await whoAnswers(port));
  expect(new Set(answers)).toEqual(new Set(['a', 'c']));
  // The refusing endpoint costs its turn only: the two that answer share the load evenly.
  expect(answers.filter((name) => name === 'a')).toHaveLength(3);
});

test('with no ready endpoint (none, all refusing, or only not-ready ones) the client connection is closed', async () => {
  const [notReady] = await backends('not-ready');
  const port = await freePort(NODE_IP);
  proxy.setService(service('web', [{ port }]));
  await listening(port);
  const noEndpoints = new LineClient(NODE_IP, port);
  expect(['end', 'ECONNRESET']).toContain(await noEndpoints.closed);

  proxy.setEndpoints(endpoints('web', [{ ready: [BACKEND_IP], ports: [{ port: await freePort(BACKEND_IP) }] }]));
  const allRefuse = new LineClient(NODE_IP, port);
  expect(['end', 'ECONNRESET']).toContain(await allRefuse.closed);

  proxy.setEndpoints(endpoints('web', [{ notReady: [BACKEND_IP], ports: [{ port: notReady!.port }] }]));
  const onlyNotReady = new LineClient(NODE_IP, port);
  expect(['end', 'ECONNRESET']).toContain(await onlyNotReady.closed);
  expect(notReady!.accepted).toBe(0);
  expect(logs.some((line) => line.includes('no ready endpoints'))).toBe(true);
  expect(logs.some((line) => line.includes('ECONNREFUSED'))).toBe(true);
});

test('endpoints added and removed are followed: new connections go where the Endpoints say', async () => {
  const [a, b] = await backends('a', 'b');
  const port = await freePort(NODE_IP);
  proxy.setService(service('web', [{ port }]));
  proxy.setEndpoints(endpointsOf('web', [a!]));
  await listening(port);
  expect(await whoAnswers(port)).toBe('a');

  proxy.setEndpoints(endpointsOf('web', [a!, b!]));
  const afterAdd = [await whoAnswers(port), await whoAnswers(port)];
  expect(afterAdd.sort()).toEqual(['a', 'b']);

  proxy.setEndpoints(endpointsOf('web', [b!]));
  for (let i = 0; i < 4; i++) expect(await whoAnswers(port)).toBe('b');

  proxy.deleteEndpoints('default/web');
  const gone = new LineClient(NODE_IP, port);
  expect(['end', 'ECONNRESET']).toContain(await gone.closed);
});

test('a connection to a removed endpoint keeps working until it ends; new ones go elsewhere', async () => {
  const [a, b] = await backends('a', 'b');
  const port = await freePort(NODE_IP);
  proxy.setService(service('web', [{ port }]));
  proxy.setEndpoints(endpointsOf('web', [a!]));
  await listening(port);
  const longLived = new LineClient(NODE_IP, port);
  toClose.push(longLived);
  expect(await longLived.line()).toBe('a');

  proxy.setEndpoints(endpointsOf('web', [b!]));
  for (let i = 0; i < 3; i++) expect(await whoAnswers(port)).toBe('b');
  // Still joined to a, both ways.
  expect(await longLived.roundTrip('still there')).toBe('still there');
  expect(await longLived.roundTrip('and again')).toBe('and again');
  expect(a!.accepted).toBe(1);
});

test('a removed Service frees its port at once; its open connections continue', async () => {
  const [a] = await backends('a');
  const port = await freePort(NODE_IP);
  proxy.setService(service('web', [{ port }]));
  proxy.setEndpoints(endpointsOf('web', [a!]));
  await listening(port);
  const open = new LineClient(NODE_IP, port);
  toClose.push(open);
  expect(await open.line()).toBe('a');

  proxy.deleteService('default/web');
  expect(proxy.listeners()).toEqual([]);
  expect(await canBind(port)).toBe(true);
  expect(await open.roundTrip('after removal')).toBe('after removal');
  expect(proxy.openConnections).toBe(1);
});

test('a Service port that changes number moves its listener', async () => {
  const [a] = await backends('a');
  const before = await freePort(NODE_IP);
  const after = await freePort(NODE_IP);
  proxy.setService(service('web', [{ port: before }]));
  proxy.setEndpoints(endpointsOf('web', [a!]));
  await listening(before);
  proxy.setService(service('web', [{ port: after }]));
  await listening(after);
  expect(await whoAnswers(after)).toBe('a');
  expect(await canBind(before)).toBe(true);
});

test('a NodePort Service is served at its port and at its nodePort', async () => {
  const [a] = await backends('a');
  const port = await freePort(NODE_IP);
  const nodePort = await freePort(NODE_IP);
  proxy.setService(service('web', [{ port, nodePort }], { type: 'NodePort' }));
  proxy.setEndpoints(endpointsOf('web', [a!]));
  await listening(nodePort);
  await listening(port);
  expect(proxy.listeners().map((listener) => listener.kind).sort()).toEqual(['nodePort', 'port']);
  expect(await whoAnswers(nodePort)).toBe('a');
  expect(await whoAnswers(port)).toBe('a');

  // Back to ClusterIP: the node port goes, the port stays.
  proxy.setService(service('web', [{ port }]));
  expect(proxy.listeners().map((listener) => listener.kind)).toEqual(['port']);
  expect(await canBind(nodePort)).toBe(true);
});

test('each named Service port forwards to the Endpoints port of its name', async () => {
  const [web, metrics] = await backends('web', 'metrics');
  const httpPort = await freePort(NODE_IP);
  const metricsPort = await freePort(NODE_IP);
  proxy.setService(service('app', [{ name: 'http', port: httpPort }, { name: 'metrics', port: metricsPort }]));
  proxy.setEndpoints(endpoints('app', [{ ready: [BACKEND_IP], ports: [{ name: 'metrics', port: metrics!.port }, { name: 'http', port: web!.port }] }]));
  await listening(httpPort);
  await listening(metricsPort);
  expect(await whoAnswers(httpPort)).toBe('web');
  expect(await whoAnswers(metricsPort)).toBe('metrics');
});

test('a half-closed connection carries the reply: the client FIN reaches the back end, the answer comes back', async () => {
  // Answers only once the request is over (its FIN seen), as an HTTP/1.0 server reading to EOF would.
  const counter = net.createServer({ allowHalfOpen: true }, (socket) => {
    let bytes = 0;
    socket.on('data', (chunk: Buffer) => (bytes += chunk.length));
    socket.on('end', () => socket.end(`read ${bytes} bytes\n`));
  });
  await new Promise<void>((resolve) => counter.listen(0, BACKEND_IP, resolve));
  toClose.push(counter);
  const port = await freePort(NODE_IP);
  proxy.setService(service('count', [{ port }]));
  proxy.setEndpoints(endpointsOf('count', [{ port: (counter.address() as net.AddressInfo).port }]));
  await listening(port);

  const client = new LineClient(NODE_IP, port);
  const big = Buffer.alloc(4 * 1024 * 1024, 'x');
  client.socket.end(big);
  expect(await client.line(30_000)).toBe(`read ${big.length} bytes`);
  expect(await client.closed).toBe('end');
  await eventually(async () => expect(proxy.openConnections).toBe(0));
});

test('sessionAffinity ClientIP sends every connection of a client to the same back end', async () => {
  const [a, b, c] = await backends('a', 'b', 'c');
  const port = await freePort(NODE_IP);
  proxy.setService(service('sticky', [{ port }], { sessionAffinity: 'ClientIP' }));
  proxy.setEndpoints(endpointsOf('sticky', [a!, b!, c!]));
  await listening(port);
  const first = await whoAnswers(port);
  for (let i = 0; i < 5; i++) expect(await whoAnswers(port)).toBe(first);

  // Its back end gone, the client sticks to a new one.
  const rest = [a!, b!, c!].filter((backend) => backend.name !== first);
  proxy.setEndpoints(endpointsOf('sticky', rest));
  const second = await whoAnswers(port);
  expect(second).not.toBe(first);
  for (let i = 0; i < 3; i++) expect(await whoAnswers(port)).toBe(second);
});

test('UDP: datagrams go to an endpoint and its replies come back; clients are spread over the endpoints', async () => {
  const one = await startUdpEchoBackend('one');
  const two = await startUdpEchoBackend('two');
  toClose.push(one, two);
  const port = await freePort(NODE_IP);
  proxy.setService(service('dns', [{ name: 'dns', port, protocol: 'UDP' }]));
  proxy.setEndpoints(endpoints('dns', [{ ready: [BACKEND_IP], ports: [{ name: 'dns', port: one.port, protocol: 'UDP' }] }]));
  await listening(port);
  const first = new UdpClient();
  toClose.push(first);
  expect(await first.ask(port, 'hello')).toBe('one:hello');
  // The session stays with its endpoint.
  expect(await first.ask(port, 'again')).toBe('one:again');

  proxy.setEndpoints(
    endpoints('dns', [
      { ready: [BACKEND_IP], ports: [{ name: 'dns', port: one.port, protocol: 'UDP' }] },
      { ready: [BACKEND_IP], ports: [{ name: 'dns', port: two.port, protocol: 'UDP' }] },
    ]),
  );
  const seen = new Set<string>();
  for (let i = 0; i < 4; i++) {
    const client = new UdpClient();
    toClose.push(client);
    seen.add((await client.ask(port, 'hi')).split(':')[0]!);
  }
  expect(seen).toEqual(new Set(['one', 'two']));
  expect(proxy.udpSessions).toBeGreaterThanOrEqual(2);
});

test('UDP: a session to an endpoint that is gone ends on its ICMP error; the client\'s retransmission reaches the next one', async () => {
  const live = await startUdpEchoBackend('live');
  toClose.push(live);
  const gone = await freePort(BACKEND_IP);
  const port = await freePort(NODE_IP);
  proxy.setService(service('dns', [{ port, protocol: 'UDP' }]));
  proxy.setEndpoints(
    endpoints('dns', [
      { ready: [BACKEND_IP], ports: [{ port: gone, protocol: 'UDP' }] },
      { ready: [BACKEND_IP], ports: [{ port: live.port, protocol: 'UDP' }] },
    ]),
  );
  await listening(port);
  for (let i = 0; i < 3; i++) {
    const client = new UdpClient();
    toClose.push(client);
    expect(await client.ask(port, 'query')).toBe('live:query');
  }
  expect(logs.some((line) => line.includes('ECONNREFUSED'))).toBe(true);
});

test('UDP sessions idle for the timeout are closed; the next datagram opens a new one', async () => {
  await proxy.close();
  proxy = new ServiceProxy({ listenHost: NODE_IP, udpIdleTimeoutMs: 300 });
  const one = await startUdpEchoBackend('one', BACKEND_IP, { withSourcePort: true });
  toClose.push(one);
  const port = await freePort(NODE_IP);
  proxy.setService(service('dns', [{ port, protocol: 'UDP' }]));
  proxy.setEndpoints(endpoints('dns', [{ ready: [BACKEND_IP], ports: [{ port: one.port, protocol: 'UDP' }] }]));
  await listening(port);
  const client = new UdpClient();
  toClose.push(client);
  // The back end names the port the datagram came from: the session's own socket.
  const [, firstSession] = (await client.ask(port, 'ping')).split(':');
  await eventually(async () => expect(proxy.udpSessions).toBe(0));
  const [, secondSession] = (await client.ask(port, 'pong')).split(':');
  expect(secondSession).not.toBe(firstSession);
});

test('a port that is taken is logged and retried; the Service\'s other ports serve meanwhile', async () => {
  const [a] = await backends('a');
  const taken = await freePort(NODE_IP);
  const free = await freePort(NODE_IP);
  const squatter = net.createServer();
  await new Promise<void>((resolve) => squatter.listen({ host: NODE_IP, port: taken, exclusive: true }, resolve));
  proxy.setService(service('web', [{ name: 'a', port: taken }, { name: 'b', port: free }]));
  proxy.setEndpoints(endpoints('web', [{ ready: [BACKEND_IP], ports: [{ name: 'a', port: a!.port }, { name: 'b', port: a!.port }] }]));
  await listening(free);
  expect(await whoAnswers(free)).toBe('a');
  await eventually(async () => expect(proxy.listeners().find((listener) => listener.port === taken)?.state).toBe('waiting'));
  expect(logs.filter((line) => line.includes(`cannot listen`) && line.includes('EADDRINUSE'))).toHaveLength(1);

  await new Promise<void>((resolve) => squatter.close(() => resolve()));
  await listening(taken);
  expect(await whoAnswers(taken)).toBe('a');
});

test('two Services on one port: the second waits for the port and gets it when the first is removed', async () => {
  const [a, b] = await backends('a', 'b');
  const port = await freePort(NODE_IP);
  // A long retry: only the first Service's removal can hand the port over in time.
  await proxy.close();
  proxy = new ServiceProxy({ listenHost: NODE_IP, bindRetryMs: 600_000 });
  proxy.setService(service('first', [{ port }]));
  proxy.setEndpoints(endpointsOf('first', [a!]));
  await listening(port);
  proxy.setService(service('second', [{ port }]));
  proxy.setEndpoints(endpointsOf('second', [b!]));
  await eventually(async () => expect(proxy.listeners().map((listener) => listener.state).sort()).toEqual(['listening', 'waiting']));
  expect(await whoAnswers(port)).toBe('a');

  proxy.deleteService('default/first');
  await listening(port);
  expect(await whoAnswers(port)).toBe('b');
});

test('past the connection limit new clients are turned away (and it is logged once); they are served again when one ends', async () => {
  await proxy.close();
  logs = [];
  proxy = new ServiceProxy({ listenHost: NODE_IP, tcpConnectionsMax: 2, log: (line) => logs.push(line) });
  const [a] = await backends('a');
  const port = await freePort(NODE_IP);
  proxy.setService(service('web', [{ port }]));
  proxy.setEndpoints(endpointsOf('web', [a!]));
  await listening(port);
  const held = [new LineClient(NODE_IP, port), new LineClient(NODE_IP, port)];
  toClose.push(...held);
  for (const client of held) expect(await client.line()).toBe('a');
  for (let i = 0; i < 2; i++) expect(await new LineClient(NODE_IP, port).closed).toBe('ECONNRESET');
  expect(logs.filter((line) => line.includes('at the limit of 2 open connections'))).toHaveLength(1);
  held[0]!.close();
  await eventually(async () => expect(await whoAnswers(port)).toBe('a'));
});

test('close() frees every port and ends the open connections', async () => {
  const [a] = await backends('a');
  const port = await freePort(NODE_IP);
  const udpPort = await freePort(NODE_IP);
  proxy.setService(service('web', [{ name: 'tcp', port }, { name: 'udp', port: udpPort, protocol: 'UDP' }]));
  proxy.setEndpoints(endpoints('web', [{ ready: [BACKEND_IP], ports: [{ name: 'tcp', port: a!.port }] }]));
  await listening(port);
  await listening(udpPort);
  const open = new LineClient(NODE_IP, port);
  expect(await open.line()).toBe('a');
  await proxy.close();
  expect(['end', 'ECONNRESET']).toContain(await open.closed);
  expect(await canBind(port)).toBe(true);
  expect(proxy.openConnections).toBe(0);
  // New input after close changes nothing.
  proxy.setService(service('late', [{ port }]));
  expect(proxy.listeners()).toEqual([]);
});

test('ExternalName, headless and SCTP ports are not proxied, and say so', async () => {
  const port = await freePort(NODE_IP);
  proxy.setService(service('alias', [{ port }], { type: 'ExternalName', externalName: 'example.com' }));
  proxy.setService(service('headless', [{ port }], { clusterIP: 'None' }));
  proxy.setService(service('sctp', [{ port, protocol: 'SCTP' }]));
  expect(proxy.listeners()).toEqual([]);
  expect(logs.filter((line) => / not proxied/.test(line))).toHaveLength(3);
});
