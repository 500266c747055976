/**
 * Unary calls carried on one stream (`kv/grpc-mux/`): a request sent through `MuxClient`
 * reaches the handler grpc-js would call for the unary call and comes back with the same
 * answer — value, or status code, details and trailing metadata — as the unary call; a
 * server without the Mux gets unary calls; deadlines, a broken stream, the in-flight cap,
 * a server that stops and bytes that are not a frame each end the way a caller expects.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import * as grpc from '@grpc/grpc-js';

import { MuxClient, MuxServer } from '../../../kv/grpc-mux/index.js';
import { MUX_EXCHANGE_PATH } from '../../../kv/grpc-mux/mux-proto.js';

const bytes = (value: Buffer): Buffer => value;
const method = (path: string): grpc.MethodDefinition<Buffer, Buffer> => ({
  path,
  requestStream: false,
  responseStream: false,
  requestSerialize: bytes,
  requestDeserialize: bytes,
  responseSerialize: bytes,
  responseDeserialize: bytes,
});
const ECHO = { Echo: method('/test.Echo/Echo') } as grpc.ServiceDefinition;
const OTHER = { Other: method('/test.Other/Other') } as grpc.ServiceDefinition;
const echo = ECHO.Echo as grpc.MethodDefinition<Buffer, Buffer>;
const other = OTHER.Other as grpc.MethodDefinition<Buffer, Buffer>;

/** What the echo handler saw. */
interface Seen {
  calls: number;
  concurrent: number;
  maxConcurrent: number;
  paths: Set<string>;
}

/**
 * `ok:TEXT` answers TEXT; `meta:KEY` answers the call's metadata value of KEY; `fail`
 * answers NOT_FOUND with details and a `-bin` and a text trailer; `slow:MS` answers after
 * MS; `hang` never answers.
 */
function echoService(seen: Seen): grpc.UntypedServiceImplementation {
  return {
    Echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
      seen.calls += 1;
      seen.paths.add(call.getPath());
      seen.concurrent += 1;
      seen.maxConcurrent = Math.max(seen.maxConcurrent, seen.concurrent);
      const done = (error: Partial<grpc.StatusObject> | null, value?: Buffer): void => {
        seen.concurrent -= 1;
        callback(error, value);
      };
      const [verb, argument = ''] = call.request.toString('utf8').split(/:(.*)/s);
      if (verb === 'ok') done(null, Buffer.from(argument));
      else if (verb === 'meta') done(null, Buffer.from(String(call.metadata.get(argument)[0] ?? '')));
      else if (verb === 'fail') {
        const metadata = new grpc.Metadata();
        metadata.set('why-bin', Buffer.from([0, 1, 2, 255]));
        metadata.set('hint', 'look elsewhere');
        done({ code: grpc.status.NOT_FOUND, details: 'no such thing', metadata });
      } else if (verb === 'slow') setTimeout(() => done(null, Buffer.from('late')), Number(argument));
      else if (verb !== 'hang') done({ code: grpc.status.INVALID_ARGUMENT, details: `unknown verb ${verb}` });
    },
  };
}

interface Running {
  server: grpc.Server;
  mux: MuxServer | null;
  port: number;
  seen: Seen;
}

const servers: grpc.Server[] = [];
const clients: grpc.Client[] = [];
const muxClients: MuxClient[] = [];

async function startServer(options: { mux: boolean; port?: number; maxReceiveBytes?: number }): Promise<Running> {
  const server = new grpc.Server(options.maxReceiveBytes === undefined ? {} : { 'grpc.max_receive_message_length': options.maxReceiveBytes });
  const seen: Seen = { calls: 0, concurrent: 0, maxConcurrent: 0, paths: new Set() };
  const implementation = echoService(seen);
  server.addService(ECHO, implementation);
  server.addService(OTHER, { Other: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => callback(null, Buffer.from('other')) });
  let mux: MuxServer | null = null;
  if (options.mux) {
    mux = new MuxServer();
    // Other is served, but not on the stream.
    mux.register(ECHO, implementation);
    mux.addTo(server);
  }
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${options.port ?? 0}`, grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  servers.push(server);
  return { server, mux, port, seen };
}

function connect(port: number, maxInFlight?: number): { client: grpc.Client; mux: MuxClient } {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const mux = new MuxClient(client, maxInFlight);
  clients.push(client);
  muxClients.push(mux);
  return { client, mux };
}

function call(mux: MuxClient, request: string, options: { metadata?: grpc.Metadata; deadline?: number; method?: grpc.MethodDefinition<Buffer, Buffer> } = {}): Promise<string> {
  return new Promise((resolve, reject) =>
    mux.unary(options.method ?? echo, Buffer.from(request), options.metadata ?? new grpc.Metadata(), options.deadline === undefined ? {} : { deadline: options.deadline }, (error, value) =>
      error ? reject(error) : resolve(value!.toString('utf8')),
    ),
  );
}

function direct(client: grpc.Client, request: string): Promise<string> {
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(echo.path, echo.requestSerialize, echo.responseDeserialize, Buffer.from(request), new grpc.Metadata(), {}, (error, value) =>
      error ? reject(error) : resolve(value!.toString('utf8')),
    ),
  );
}

async function failure(promise: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await promise;
  } catch (error) {
    return error as grpc.ServiceError;
  }
  throw new Error('expected the call to fail');
}

afterEach(() => {
  for (const mux of muxClients.splice(0)) mux.close();
  for (const client of clients.splice(0)) client.close();
  for (const server of servers.splice(0)) server.forceShutdown();
});

describe('MuxClient and MuxServer', () => {
  it('carries many concurrent calls on the stream to the unary handler, with per-request metadata', async () => {
    const { port, seen } = await startServer({ mux: true });
    const { mux } = connect(port);
    const answers = await Promise.all(Array.from({ length: 2000 }, (_, i) => call(mux, `ok:${i}`)));
    expect(answers).toEqual(Array.from({ length: 2000 }, (_, i) => String(i)));
    expect(mux.mode).toBe('stream');
    expect(seen.calls).toBe(2000);
    // The handler saw the method's own path, as for a unary call.
    expect([...seen.paths]).toEqual([echo.path]);

    const metadata = new grpc.Metadata();
    metadata.set('authorization', 'Bearer abc');
    expect(await call(mux, 'meta:authorization', { metadata })).toBe('Bearer abc');
    expect(await call(mux, 'meta:authorization')).toBe('');
  });

  it('answers an error with the same code, details and trailing metadata as the unary call', async () => {
    const { port } = await startServer({ mux: true });
    const { client, mux } = connect(port);
    const unary = await failure(direct(client, 'fail'));
    const muxed = await failure(call(mux, 'fail'));
    expect(muxed.code).toBe(grpc.status.NOT_FOUND);
    expect(muxed.details).toBe(unary.details);
    expect(muxed.message).toBe(unary.message);
    expect(muxed.metadata.get('why-bin')).toEqual([Buffer.from([0, 1, 2, 255])]);
    expect(muxed.metadata.get('hint')).toEqual(unary.metadata.get('hint'));
    expect(mux.mode).toBe('stream');
  });

  it('sends unary calls to a server without the Mux, those made while finding out included', async () => {
    const { port, seen } = await startServer({ mux: false });
    const { mux } = connect(port);
    const first = await Promise.all(Array.from({ length: 20 }, (_, i) => call(mux, `ok:${i}`)));
    expect(first).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    expect(mux.mode).toBe('unary');
    expect(await call(mux, 'ok:later')).toBe('later');
    expect((await failure(call(mux, 'fail'))).code).toBe(grpc.status.NOT_FOUND);
    expect(seen.calls).toBe(22);
  });

  it('sends a method the server does not carry on its stream as a unary call', async () => {
    const { port } = await startServer({ mux: true });
    const { mux } = connect(port);
    expect(await call(mux, 'ok:x')).toBe('x');
    expect(await call(mux, 'anything', { method: other })).toBe('other');
    expect(mux.mode).toBe('stream');
  });

  it('fails a request at its deadline and goes on serving the others', async () => {
    const { port } = await startServer({ mux: true });
    const { mux } = connect(port);
    const late = await failure(call(mux, 'slow:400', { deadline: Date.now() + 100 }));
    expect(late.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(await call(mux, 'ok:still here', { deadline: Date.now() + 5000 })).toBe('still here');
    // The server's handler finishes on its own time; its late answer is dropped.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await call(mux, 'ok:after')).toBe('after');
  });

  it('fails what a broken stream carried with UNAVAILABLE, and opens a new stream for the next request', async () => {
    const first = await startServer({ mux: true });
    const { mux } = connect(first.port);
    expect(await call(mux, 'ok:1')).toBe('1');
    const hanging = failure(call(mux, 'hang'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    first.server.forceShutdown();
    expect((await hanging).code).toBe(grpc.status.UNAVAILABLE);

    await startServer({ mux: true, port: first.port });
    // The channel reconnects; the first attempts may still find the port closed.
    let answer: string | null = null;
    for (let attempt = 0; attempt < 50 && answer === null; attempt++) {
      answer = await call(mux, 'ok:again').catch(() => null);
      if (answer === null) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(answer).toBe('again');
    expect(mux.mode).toBe('stream');
  });

  it('keeps at most its in-flight cap on the stream; the rest wait their turn', async () => {
    const { port, seen } = await startServer({ mux: true });
    const { mux } = connect(port, 4);
    const answers = await Promise.all(Array.from({ length: 40 }, () => call(mux, 'slow:5')));
    expect(answers).toEqual(Array.from({ length: 40 }, () => 'late'));
    expect(seen.maxConcurrent).toBe(4);
  });

  it('keeps frames under the servers\' message limits: many large requests and answers split into frames, one too large fails alone', async () => {
    const { port } = await startServer({ mux: true, maxReceiveBytes: 512 * 1024 });
    // The client's own limit on a message it receives is grpc-js's default, 4 MiB.
    const { mux } = connect(port);
    const large = (i: number): string => `ok:${String(i).padStart(4, '0')}${'x'.repeat(200 * 1024)}`;
    // 20 × 200 KiB both ways: one frame of them would be past both limits.
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => call(mux, large(i))));
    expect(answers).toEqual(Array.from({ length: 20 }, (_, i) => large(i).slice(3)));

    // A request past the server's limit is refused as a unary call would be, and takes nothing with it.
    const others = Array.from({ length: 10 }, (_, i) => call(mux, `slow:100`).then(() => i));
    const tooLarge = await failure(call(mux, `ok:${'y'.repeat(600 * 1024)}`));
    expect(tooLarge.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(await Promise.all(others)).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(mux.mode).toBe('stream');
  });

  it('finishes what is in flight when the server closes, refuses what comes after, and lets the server shut down', async () => {
    const { server, mux: muxServer, port } = await startServer({ mux: true });
    const { mux } = connect(port);
    expect(await call(mux, 'ok:open')).toBe('open');
    const inFlight = call(mux, 'slow:300');
    await new Promise((resolve) => setTimeout(resolve, 50));
    muxServer!.close();
    expect(await inFlight).toBe('late');
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    const after = await failure(call(mux, 'ok:too late'));
    expect(after.code).toBe(grpc.status.UNAVAILABLE);
  });

  it('ends a stream whose bytes are not a frame with INVALID_ARGUMENT', async () => {
    const { port, seen } = await startServer({ mux: true });
    const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    clients.push(client);
    const stream = client.makeBidiStreamRequest<Buffer, Buffer>(MUX_EXCHANGE_PATH, bytes, bytes, new grpc.Metadata(), {});
    const status = new Promise<grpc.StatusObject>((resolve) => stream.on('status', resolve));
    stream.on('error', () => {});
    stream.on('data', () => {});
    // Field 1 (requests) as a length-delimited value running past the end.
    stream.write(Buffer.from([0x0a, 0x7f, 0x01]));
    const ended = await status;
    expect(ended.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(ended.details).toMatch(/not a balsa\.mux\.v1\.Frame/);
    expect(seen.calls).toBe(0);
  });
});
