/**
 * Client connections through `handToGrpc` to a real grpc-js server, on real sockets. A
 * request whose :authority carries a scheme, which nghttp2 refuses with RST_STREAM
 * PROTOCOL_ERROR when it reaches the server as sent (shown on a listener that injects the
 * socket directly), is answered, its connection going through the front; a connection whose
 * first request needs nothing goes to the server natively (grpc-js clients among them).
 * Before that first request the router answers for the server: its SETTINGS, PINGs, and it
 * drops a client that never acknowledges. Garbage gets the server's own answer. Closing the
 * listener and its connections frees the port.
 */
import * as http2 from 'node:http2';
import { createConnection, createServer } from 'node:net';
import type { Socket } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { loadEtcdProto } from '../../../../kv/server/etcd-proto.js';
import type { WireObject } from '../../../../kv/server/etcd-proto.js';
import { ClientListener } from '../../../../kv/server/http2-front/client-listener.js';
import type { Route } from '../../../../kv/server/http2-front/first-request-router.js';
import { handToGrpc } from '../../../../kv/server/http2-front/grpc-handoff.js';
import { CLIENT_PREFACE, DATA, END_HEADERS, END_STREAM, HEADERS, IndexingEncoder, PING, SETTINGS, frame, grpcRequest, hex } from './h2-test-bytes.js';

const OPTIONS = { maxHeaderBlockBytes: 64 * 1024, headerTableBytes: 4096, ackTimeoutMs: 10_000, maxUnroutedBytes: 256 * 1024 };
const EMPTY_SETTINGS = frame(SETTINGS, 0, 0);
const SETTINGS_ACK = frame(SETTINGS, 0x1, 0);

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

const ANSWERED: Answer = { status: 200, grpcStatus: '0', rstCode: http2.constants.NGHTTP2_NO_ERROR };

interface RawFrame {
  readonly type: number;
  readonly flags: number;
  readonly streamId: number;
  readonly payload: Buffer;
}

/** A client that writes bytes of the test's choosing and reads the server's frames one by one. */
class RawClient {
  private received = Buffer.alloc(0);
  private wake: (() => void) | null = null;
  private ended = false;
  readonly closed: Promise<void>;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      this.wake?.();
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        this.ended = true;
        this.wake?.();
        resolve();
      }),
    );
  }

  static connect(listener: ClientListener): Promise<RawClient> {
    return new Promise((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port: Number(listener.address.split(':')[1]) }, () => resolve(new RawClient(socket)));
    });
  }

  write(...pieces: Buffer[]): void {
    this.socket.write(Buffer.concat(pieces));
  }

  /** The next frame the server sends (null once the connection closed). */
  async frame(): Promise<RawFrame | null> {
    for (;;) {
      if (this.received.length >= 9) {
        const length = this.received.readUIntBE(0, 3);
        if (this.received.length >= 9 + length) {
          const f = { type: this.received[3]!, flags: this.received[4]!, streamId: this.received.readUInt32BE(5), payload: this.received.subarray(9, 9 + length) };
          this.received = this.received.subarray(9 + length);
          return f;
        }
      }
      if (this.ended) return null;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /** Frames until (and with) the first that `last` accepts. */
  async framesUntil(last: (f: RawFrame) => boolean): Promise<RawFrame[]> {
    const frames: RawFrame[] = [];
    for (;;) {
      const f = await this.frame();
      if (f === null) throw new Error(`connection closed after ${frames.length} frames`);
      frames.push(f);
      if (last(f)) return frames;
    }
  }

  destroy(): void {
    this.socket.destroy();
  }
}

describe('client connections to a grpc-js server', () => {
  let server: grpc.Server;
  let injector: grpc.ConnectionInjector;
  let front: ClientListener;
  let direct: ClientListener;
  let routes: Route[];
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
    injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
    front = await ClientListener.listen('127.0.0.1:0', handToGrpc(injector, OPTIONS, (route) => routes.push(route)));
    direct = await ClientListener.listen('127.0.0.1:0', (socket) => injector.injectConnection(socket));
  });

  beforeEach(() => {
    routes = [];
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

  test('a first request with a scheme in its authority: the connection goes through the front, and every call on it is answered', async () => {
    const session = connect(front);
    for (const authority of [`http://${front.address}`, `http://${front.address}`, front.address, `https://${front.address}/x`]) {
      expect(await statusCall(session, authority)).toEqual(ANSWERED);
    }
    expect(routes).toEqual(['front']);
  });

  test('a first request with a valid authority: the connection goes to the server natively', async () => {
    const session = connect(front);
    expect(await statusCall(session, front.address)).toEqual(ANSWERED);
    expect(await statusCall(session, front.address)).toEqual(ANSWERED);
    expect(routes).toEqual(['native']);
    // Judged by its first request: a later one with a scheme meets the server as it is (no client switches authority on a connection).
    expect((await statusCall(session, `http://${front.address}`)).rstCode).toBe(http2.constants.NGHTTP2_PROTOCOL_ERROR);
  });

  test('a grpc-js client goes natively', async () => {
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
    expect(routes).toEqual(['native']);
  });

  test('before the first request the router sends SETTINGS and answers PINGs; then the server answers the request', async () => {
    const client = await RawClient.connect(front);
    try {
      client.write(CLIENT_PREFACE, EMPTY_SETTINGS);
      expect(await client.frame()).toEqual({ type: SETTINGS, flags: 0, streamId: 0, payload: Buffer.alloc(0) });
      client.write(frame(PING, 0, 0, hex('0102030405060708')));
      expect(await client.frame()).toEqual({ type: PING, flags: 0x1, streamId: 0, payload: hex('0102030405060708') });
      const block = new IndexingEncoder().encode(grpcRequest(front.address, '/etcdserverpb.Maintenance/Status'));
      client.write(SETTINGS_ACK, frame(HEADERS, END_HEADERS, 1, block), frame(DATA, END_STREAM, 1, Buffer.alloc(5)));
      // The server's own SETTINGS, its ACK of the client's, then the response: headers, message, trailers.
      const frames = await client.framesUntil((f) => f.type === HEADERS && (f.flags & END_STREAM) !== 0);
      expect(frames[0]).toMatchObject({ type: SETTINGS, flags: 0 });
      expect(frames.some((f) => f.type === SETTINGS && f.flags === 0x1)).toBe(true);
      expect(Buffer.concat(frames.filter((f) => f.type === DATA).map((f) => f.payload)).includes(Buffer.from('front-test'))).toBe(true);
      expect(frames.every((f) => f.type !== 0x7)).toBe(true); // no GOAWAY
      expect(routes).toEqual(['native']);
    } finally {
      client.destroy();
    }
  });

  test('a client that never acknowledges the SETTINGS is disconnected', async () => {
    const impatient = await ClientListener.listen('127.0.0.1:0', handToGrpc(injector, { ...OPTIONS, ackTimeoutMs: 300 }, (route) => routes.push(route)));
    const client = await RawClient.connect(impatient);
    try {
      client.write(CLIENT_PREFACE, EMPTY_SETTINGS, frame(HEADERS, END_HEADERS, 1, new IndexingEncoder().encode(grpcRequest(impatient.address))));
      expect(await client.frame()).toMatchObject({ type: SETTINGS, flags: 0 });
      expect(await client.frame()).toBeNull();
      expect(routes).toEqual([]);
    } finally {
      client.destroy();
      await impatient.close();
    }
  });

  test('a header block HPACK cannot decode gets the server’s own answer (GOAWAY), as without the front', async () => {
    const replies: RawFrame[][] = [];
    for (const listener of [direct, front]) {
      const client = await RawClient.connect(listener);
      // The ACK is for the router's SETTINGS through the front, for the server's without it.
      client.write(CLIENT_PREFACE, EMPTY_SETTINGS, SETTINGS_ACK, frame(HEADERS, END_HEADERS, 1, hex('80')));
      replies.push(await client.framesUntil((f) => f.type === 0x7));
      client.destroy();
    }
    const [withoutFront, throughFront] = replies;
    expect(throughFront).toEqual([{ type: SETTINGS, flags: 0, streamId: 0, payload: Buffer.alloc(0) }, ...withoutFront!]);
    expect(throughFront!.at(-1)!.payload.readUInt32BE(4)).toBe(http2.constants.NGHTTP2_COMPRESSION_ERROR);
    expect(routes).toEqual(['front']);
    expect(await statusCall(connect(front), `http://${front.address}`)).toEqual(ANSWERED);
  });

  test('closing the listener and its connections frees the port and ends open connections', async () => {
    const { services } = loadEtcdProto();
    const local = new grpc.Server();
    local.addService(services.Maintenance, { Status: (_c: unknown, cb: (e: null, r: WireObject) => void) => cb(null, {}) });
    const listener = await ClientListener.listen('127.0.0.1:0', handToGrpc(local.createConnectionInjector(grpc.ServerCredentials.createInsecure()), OPTIONS));
    const sessions = [connect(listener), connect(listener)];
    expect(await statusCall(sessions[0]!, listener.address)).toEqual(ANSWERED); // native
    expect(await statusCall(sessions[1]!, `http://${listener.address}`)).toEqual(ANSWERED); // through the front
    const idle = await RawClient.connect(listener); // still being routed
    idle.write(CLIENT_PREFACE);
    const closed = Promise.all(sessions.map((session) => new Promise<void>((resolve) => session.once('close', () => resolve()))));

    const listenerClosed = listener.close();
    await new Promise<void>((resolve) => local.tryShutdown(() => resolve()));
    listener.destroyConnections();
    await listenerClosed;
    await closed;
    await idle.closed;

    const rebound = createServer();
    await new Promise<void>((resolve, reject) => {
      rebound.once('error', reject);
      rebound.listen(Number(listener.address.split(':')[1]), '127.0.0.1', () => resolve());
    });
    await new Promise<void>((resolve) => rebound.close(() => resolve()));
  });
});
