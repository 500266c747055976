/**
 * The front in front of a real grpc-js server (connection injector), on real sockets: a
 * request whose :authority carries a scheme, which nghttp2 refuses with RST_STREAM
 * PROTOCOL_ERROR when it reaches the server as sent (shown on a listener without the
 * front), is answered through it; grpc-js clients with valid authorities work through it;
 * a client sending garbage gets nghttp2's own answer and the server goes on; closing the
 * listener and its connections frees the port.
 */
import * as http2 from 'node:http2';
import { createConnection, createServer } from 'node:net';
import type { Socket } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { loadEtcdProto } from '../../../../kv/server/etcd-proto.js';
import type { WireObject } from '../../../../kv/server/etcd-proto.js';
import { ClientListener } from '../../../../kv/server/http2-front/client-listener.js';
import { FrontConnection } from '../../../../kv/server/http2-front/front-connection.js';

const OPTIONS = { maxHeaderBlockBytes: 64 * 1024, headerTableBytes: 4096 };

interface Answer {
  readonly status?: number;
  readonly grpcStatus?: string;
  readonly rstCode?: number;
}

/** One Maintenance.Status call by hand over `session`, with `authority` as :authority. */
function statusCall(session: http2.ClientHttp2Session, authority: string): Promise<Answer> {
  return new Promise((resolve) => {
    const stream = session.request({
      ':method': 'POST',
      ':path': '/etcdserverpb.Maintenance/Status',
      ':authority': authority,
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    let status: number | undefined;
    let grpcStatus: string | undefined;
    stream.on('response', (headers) => {
      status = headers[':status'];
      grpcStatus ??= headers['grpc-status'] as string | undefined;
    });
    stream.on('trailers', (trailers) => (grpcStatus = trailers['grpc-status'] as string | undefined));
    stream.on('error', () => undefined);
    stream.on('data', () => undefined);
    stream.on('close', () => resolve({ status, grpcStatus, rstCode: stream.rstCode }));
    stream.end(Buffer.alloc(5)); // one empty message: no compression flag, length 0
  });
}

describe('the HTTP/2 front before a grpc-js server', () => {
  let server: grpc.Server;
  let front: ClientListener;
  let direct: ClientListener;
  const sessions: http2.ClientHttp2Session[] = [];
  const connect = (listener: ClientListener) => {
    const session = http2.connect(`http://${listener.address}`);
    session.on('error', () => undefined);
    sessions.push(session);
    return session;
  };

  beforeAll(async () => {
    const { services } = loadEtcdProto();
    server = new grpc.Server();
    server.addService(services.Maintenance, {
      Status: (_call: unknown, callback: (error: Error | null, response: WireObject) => void) => callback(null, { version: 'front-test' }),
    });
    const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
    const accept = (connection: import('node:stream').Duplex) => injector.injectConnection(connection);
    front = await ClientListener.listen('127.0.0.1:0', (socket) => new FrontConnection(socket, OPTIONS), accept);
    direct = await ClientListener.listen('127.0.0.1:0', (socket: Socket) => socket, accept);
  });

  afterAll(async () => {
    for (const session of sessions) session.destroy();
    server.forceShutdown();
    for (const listener of [front, direct]) listener.destroyConnections();
    await Promise.all([front.close(), direct.close()]);
  });

  test('without the front, an authority with a scheme is refused with RST_STREAM PROTOCOL_ERROR', async () => {
    const answer = await statusCall(connect(direct), `http://${direct.address}`);
    expect(answer.rstCode).toBe(http2.constants.NGHTTP2_PROTOCOL_ERROR);
  });

  test('through the front, the same call is answered, and so are later calls on the connection', async () => {
    const session = connect(front);
    for (const authority of [`http://${front.address}`, `http://${front.address}`, front.address, `https://${front.address}/x`]) {
      expect(await statusCall(session, authority)).toEqual({ status: 200, grpcStatus: '0', rstCode: http2.constants.NGHTTP2_NO_ERROR });
    }
  });

  test('a grpc-js client works through the front', async () => {
    const { services } = loadEtcdProto();
    const Maintenance = grpc.makeGenericClientConstructor(services.Maintenance, 'Maintenance');
    const client = new Maintenance(front.address, grpc.credentials.createInsecure());
    try {
      for (let i = 0; i < 3; i++) {
        const response = await new Promise<WireObject>((resolve, reject) =>
          (client as unknown as { Status: (r: WireObject, cb: (e: Error | null, r?: WireObject) => void) => void }).Status({}, (error, r) => (error ? reject(error) : resolve(r!))),
        );
        expect(response.version).toBe('front-test');
      }
    } finally {
      client.close();
    }
  });

  test('a header block HPACK cannot decode gets the same answer as without the front (GOAWAY), and the server goes on', async () => {
    const replies: Buffer[] = [];
    for (const listener of [direct, front]) {
      replies.push(
        await new Promise<Buffer>((resolve) => {
          const socket = createConnection({ host: '127.0.0.1', port: Number(listener.address.split(':')[1]) });
          let received = Buffer.alloc(0);
          socket.on('error', () => undefined);
          socket.on('data', (chunk: Buffer) => {
            received = Buffer.concat([received, chunk]);
            // The server's SETTINGS (9 octets), then a GOAWAY (9 + 8): nghttp2 leaves the connection open after it.
            if (received.length >= 9 + 17) {
              socket.destroy();
              resolve(received);
            }
          });
          // The preface, an empty SETTINGS, and a HEADERS frame whose block refers to index 0.
          socket.write(Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), Buffer.from('000000040000000000' + '000001010500000001' + '80', 'hex')]));
        }),
      );
    }
    expect(replies[1]).toEqual(replies[0]);
    const goaway = replies[1]!.subarray(9);
    expect(goaway[3]).toBe(0x7);
    expect(goaway.readUInt32BE(goaway.length - 4)).toBe(http2.constants.NGHTTP2_COMPRESSION_ERROR);
    expect(await statusCall(connect(front), `http://${front.address}`)).toMatchObject({ grpcStatus: '0' });
  });

  test('closing the listener and its connections frees the port and ends open connections', async () => {
    const { services } = loadEtcdProto();
    const local = new grpc.Server();
    local.addService(services.Maintenance, { Status: (_c: unknown, cb: (e: null, r: WireObject) => void) => cb(null, {}) });
    const injector = local.createConnectionInjector(grpc.ServerCredentials.createInsecure());
    const listener = await ClientListener.listen('127.0.0.1:0', (socket) => new FrontConnection(socket, OPTIONS), (c) => injector.injectConnection(c));
    const session = connect(listener);
    expect(await statusCall(session, listener.address)).toMatchObject({ grpcStatus: '0' });
    const sessionClosed = new Promise<void>((resolve) => session.once('close', () => resolve()));

    const closed = listener.close();
    await new Promise<void>((resolve) => local.tryShutdown(() => resolve()));
    listener.destroyConnections();
    await closed;
    await sessionClosed;

    const port = Number(listener.address.split(':')[1]);
    const rebound = createServer();
    await new Promise<void>((resolve, reject) => {
      rebound.once('error', reject);
      rebound.listen(port, '127.0.0.1', () => resolve());
    });
    await new Promise<void>((resolve) => rebound.close(() => resolve()));
  });
});
