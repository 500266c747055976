/**
 * The KV benchmark's load client opens as many connections as it is asked for: grpc-js
 * would share one connection between channels to the same target with the same options,
 * which would make `--connections` a lie. Counted at a plain TCP listener (no server
 * needed: the connections are what is counted, not the requests).
 */
import net from 'node:net';
import { EtcdLoadClient } from '../../bench/kv-load-client.js';

const WAIT_MS = 20_000;

describe('EtcdLoadClient', () => {
  let server: net.Server;
  let accepted: net.Socket[];
  let address: string;

  beforeEach(async () => {
    accepted = [];
    server = net.createServer((socket) => accepted.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    address = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  });

  afterEach(async () => {
    for (const socket of accepted) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('opens one connection per channel to the same endpoint', async () => {
    const client = new EtcdLoadClient([address], 4);
    try {
      expect(client.connections).toBe(4);
      // A request on each channel makes it connect (the listener never answers: the requests fail later, unheard).
      for (let channel = 0; channel < 4; channel++) void client.put(channel, Buffer.from('k'), Buffer.from('v')).catch(() => undefined);
      const deadline = Date.now() + WAIT_MS;
      while (accepted.length < 4 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(accepted.length).toBe(4);
    } finally {
      client.close();
    }
  });

  it('refuses no endpoint or a connection count that is not a positive integer', () => {
    expect(() => new EtcdLoadClient([], 1)).toThrow('no endpoint to load');
    expect(() => new EtcdLoadClient([address], 0)).toThrow(RangeError);
  });
});
