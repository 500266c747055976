/**
 * The router that decides, per connection, between the gRPC server's native path and the
 * front (`routeFirstRequest`), on a stand-in socket: it answers for the server until the
 * first request (SETTINGS, PINGs), waits for both the client's ACK and the first header
 * block in whichever order they come, and hands on every byte the client sent but that ACK
 * and the PINGs it answered, in order, however the bytes arrive. Anything out of the
 * ordinary before the first request goes to the front; a client that never acknowledges,
 * or sends too much first, is dropped.
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { routeFirstRequest } from '../../../../kv/server/http2-front/first-request-router.js';
import type { Route } from '../../../../kv/server/http2-front/first-request-router.js';
import {
  CLIENT_PREFACE,
  DATA,
  END_HEADERS,
  END_STREAM,
  HEADERS,
  IndexingEncoder,
  PING,
  SETTINGS,
  WINDOW_UPDATE,
  frame,
  grpcRequest,
  hex,
} from './h2-test-bytes.js';

const OPTIONS = { maxHeaderBlockBytes: 16 * 1024, headerTableBytes: 4096, ackTimeoutMs: 200, maxUnroutedBytes: 64 * 1024 };
const EMPTY_SETTINGS = frame(SETTINGS, 0, 0);
const ACK = frame(SETTINGS, 0x1, 0);
const PING_FRAME = frame(PING, 0, 0, hex('0102030405060708'));
const PING_ACK = frame(PING, 0x1, 0, hex('0102030405060708'));

/** What the router does to a socket: what it writes, pauses, unshifts, destroys. */
class FakeSocket extends EventEmitter {
  readonly written: Buffer[] = [];
  unshifted: Buffer | null = null;
  paused = false;
  destroyed = false;

  write(bytes: Buffer): boolean {
    this.written.push(Buffer.from(bytes));
    return true;
  }
  pause(): this {
    this.paused = true;
    return this;
  }
  unshift(bytes: Buffer): void {
    this.unshifted = Buffer.from(bytes);
  }
  destroy(): this {
    this.destroyed = true;
    return this;
  }
  send(...pieces: Buffer[]): void {
    this.emit('data', Buffer.concat(pieces));
  }
}

interface Routed {
  readonly socket: FakeSocket;
  readonly result: () => { route: Route; buffered: Buffer } | null;
}

function route(options = OPTIONS): Routed {
  const socket = new FakeSocket();
  let result: { route: Route; buffered: Buffer } | null = null;
  routeFirstRequest(socket as unknown as Socket, options, (r, buffered) => {
    if (result !== null) throw new Error('routed twice');
    result = { route: r, buffered: Buffer.from(buffered) };
  });
  return { socket, result: () => result };
}

const request = (authority: string, stream = 1) => frame(HEADERS, END_HEADERS, stream, new IndexingEncoder().encode(grpcRequest(authority)));
const body = (stream = 1) => frame(DATA, END_STREAM, stream, Buffer.alloc(5));
const start = Buffer.concat([CLIENT_PREFACE, EMPTY_SETTINGS, frame(WINDOW_UPDATE, 0, 0, hex('00100000'))]);

describe('routing by the first request', () => {
  test('grpc-go: waits for the SETTINGS, acknowledges, then asks: native, with every byte but the ACK', () => {
    const { socket, result } = route();
    socket.send(start);
    expect(socket.written).toEqual([EMPTY_SETTINGS]);
    socket.send(ACK);
    expect(result()).toBeNull();
    socket.send(request('127.0.0.1:2379'), body());
    const expected = Buffer.concat([start, request('127.0.0.1:2379'), body()]);
    expect(result()).toEqual({ route: 'native', buffered: expected });
    expect(socket.paused).toBe(true);
    expect(socket.unshifted).toEqual(expected);
  });

  test('a client that asks before it acknowledges: held until the ACK, DATA and all', () => {
    const { socket, result } = route();
    socket.send(start, request('127.0.0.1:2379'), body());
    expect(result()).toBeNull();
    socket.send(ACK);
    expect(result()).toEqual({ route: 'native', buffered: Buffer.concat([start, request('127.0.0.1:2379'), body()]) });
  });

  test('an authority with a scheme: the front, nothing unshifted', () => {
    const { socket, result } = route();
    socket.send(start, ACK, request('http://127.0.0.1:2379'));
    expect(result()).toEqual({ route: 'front', buffered: Buffer.concat([start, request('http://127.0.0.1:2379')]) });
    expect(socket.unshifted).toBeNull();
  });

  test('a later block before the ACK that needs the front sends the connection there', () => {
    const { socket, result } = route();
    const client = new IndexingEncoder();
    const first = frame(HEADERS, END_HEADERS, 1, client.encode(grpcRequest('127.0.0.1:2379')));
    const second = frame(HEADERS, END_HEADERS, 3, client.encode(grpcRequest('http://127.0.0.1:2379')));
    socket.send(start, first, body(1), second, ACK);
    expect(result()?.route).toBe('front');
  });

  test('PINGs before the first request are answered, and taken out', () => {
    const { socket, result } = route();
    socket.send(start, PING_FRAME);
    expect(socket.written).toEqual([EMPTY_SETTINGS, PING_ACK]);
    socket.send(ACK, PING_FRAME, request('127.0.0.1:2379'));
    expect(socket.written).toEqual([EMPTY_SETTINGS, PING_ACK, PING_ACK]);
    expect(result()).toEqual({ route: 'native', buffered: Buffer.concat([start, request('127.0.0.1:2379')]) });
  });

  test('one byte at a time: routed once the request is whole; what it held and what comes after are the same bytes', () => {
    const { socket, result } = route();
    const input = Buffer.concat([start, PING_FRAME, ACK, request('127.0.0.1:2379'), body()]);
    const after: Buffer[] = [];
    for (const octet of input) {
      if (result() === null) socket.send(Buffer.of(octet));
      else after.push(Buffer.of(octet)); // the server's to read from the socket
    }
    expect(result()?.route).toBe('native');
    expect(Buffer.concat([result()!.buffered, ...after])).toEqual(Buffer.concat([start, request('127.0.0.1:2379'), body()]));
    expect(after.length).toBe(body().length);
    expect(socket.written).toEqual([EMPTY_SETTINGS, PING_ACK]);
  });

  test('HEADERS split by CONTINUATION', () => {
    const { socket, result } = route();
    const block = new IndexingEncoder().encode(grpcRequest('http://127.0.0.1:2379'));
    const frames = [frame(HEADERS, 0, 1, block.subarray(0, 8)), frame(0x9, END_HEADERS, 1, block.subarray(8))];
    socket.send(start, ACK, ...frames);
    expect(result()).toEqual({ route: 'front', buffered: Buffer.concat([start, ...frames]) });
  });
});

describe('out of the ordinary', () => {
  test('HTTP/1.1 (a scrape of /metrics): routed as http1 at once, as it came, without a SETTINGS', () => {
    const { socket, result } = route();
    const http1 = Buffer.from('GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n');
    socket.send(http1);
    expect(result()).toEqual({ route: 'http1', buffered: http1 });
    expect(socket.written).toEqual([]);
  });

  test('neither HTTP/2 nor HTTP/1: to the server at once, as it came, without a SETTINGS', () => {
    const { socket, result } = route();
    const junk = Buffer.from([0x16, 0x03, 0x01, 0x00]); // a TLS ClientHello's start
    socket.send(junk);
    expect(result()).toEqual({ route: 'native', buffered: junk });
    expect(socket.written).toEqual([]);
  });

  test.each([
    ['DATA before any request', frame(DATA, 0, 1, Buffer.alloc(3))],
    ['a header block HPACK cannot decode', frame(HEADERS, END_HEADERS, 1, hex('80'))],
    ['a frame inside a header block', Buffer.concat([frame(HEADERS, 0, 1, hex('82')), frame(PING, 0, 0, Buffer.alloc(8))])],
    ['a second SETTINGS ACK', ACK],
  ])('%s: the front, every byte kept', (_name, odd) => {
    const { socket, result } = route();
    socket.send(start, ACK, odd);
    expect(result()).toEqual({ route: 'front', buffered: Buffer.concat([start, odd]) });
  });

  test('a client that never acknowledges is dropped', async () => {
    const { socket, result } = route();
    socket.send(start, request('127.0.0.1:2379'));
    await new Promise((resolve) => setTimeout(resolve, OPTIONS.ackTimeoutMs + 100));
    expect(socket.destroyed).toBe(true);
    expect(result()).toBeNull();
  });

  test('more than maxUnroutedBytes before the ACK: dropped; after it, without a whole request: the front', () => {
    // SETTINGS frames are held like any frame before the first request (unknown parameters are allowed).
    const big = frame(SETTINGS, 0, 0, Buffer.alloc(8 * 1024));
    const options = { ...OPTIONS, maxUnroutedBytes: 13 * 1024 };

    const early = route(options);
    early.socket.send(start, big);
    expect(early.socket.destroyed).toBe(false);
    early.socket.send(big);
    expect(early.socket.destroyed).toBe(true);
    expect(early.result()).toBeNull();

    const late = route(options);
    late.socket.send(start, ACK, big);
    late.socket.send(big);
    expect(late.socket.destroyed).toBe(false);
    expect(late.result()?.route).toBe('front');
  });

  test('a client gone before it is routed: nothing routed', () => {
    const { socket, result } = route();
    socket.send(start);
    socket.emit('close');
    expect(socket.destroyed).toBe(true);
    expect(result()).toBeNull();
  });
});
