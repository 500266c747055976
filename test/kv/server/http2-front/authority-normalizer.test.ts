/**
 * The front's client-to-server half (`AuthorityNormalizer`): an authority with a scheme or
 * a path goes on as host:port, in a re-encoded header block that the server's HPACK state
 * decodes to what the client meant, request after request; every other byte, and every
 * connection that needs no change, goes on exactly as it came, however the bytes arrive
 * (one at a time, frames split across chunks, padding, CONTINUATION). What it cannot follow
 * it hands on untouched, or, once it has rewritten a block, refuses.
 */
import { AuthorityNormalizer } from '../../../../kv/server/http2-front/authority-normalizer.js';
import { normalizedAuthority } from '../../../../kv/server/http2-front/authority.js';
import { Http2FrontError } from '../../../../kv/server/http2-front/errors.js';
import { HpackDecoder } from '../../../../kv/server/http2-front/hpack-decoder.js';
import {
  CLIENT_PREFACE,
  CONTINUATION,
  DATA,
  END_HEADERS,
  END_STREAM,
  HEADERS,
  IndexingEncoder,
  PADDED,
  PING,
  PRIORITY,
  SETTINGS,
  connectionStart,
  frame,
  grpcRequest,
  hex,
  splitFrames,
} from './h2-test-bytes.js';

const OPTIONS = { maxHeaderBlockBytes: 64 * 1024, headerTableBytes: 4096 };

/**
 * The HEADERS frame etcdctl 3.4.23 (grpc-go 1.33.3) sent for `endpoint status` with
 * `--endpoints=http://127.0.0.1:25999`, recorded: Huffman-coded strings, and :authority a
 * literal with incremental indexing.
 */
const ETCDCTL_STATUS_HEADERS = frame(
  HEADERS,
  END_HEADERS,
  1,
  hex(
    '8386459760a924882d9dcb6571afa066a925a87510ac6e48d36a3f41909d29aee30c044eae05c0b86e09b7df7f5f8b' +
      '1d75d0620d263d4c4d65647a8b9acac8b4c7602bb2caecff40027465864d833505b11f40899acac8b24d494f6a7f85' +
      '7de719102d408d25062d495875996ee5b1063d5f03332e34',
  ),
);

/** Feed `chunks` to a fresh normalizer; its output, concatenated. */
function run(chunks: readonly Buffer[], normalizer = new AuthorityNormalizer(OPTIONS)): Buffer {
  const out: Buffer[] = [];
  for (const chunk of chunks) {
    const forwarded = normalizer.push(chunk);
    if (forwarded !== null) out.push(forwarded);
  }
  return Buffer.concat(out);
}

const oneByteAtATime = (bytes: Buffer): Buffer[] => [...bytes].map((octet) => Buffer.of(octet));

/** What the server decodes from `output`: each header block's fields (one HPACK decoder for the connection), with the frames. */
function serverView(output: Buffer): { blocks: [string, string][][]; frames: ReturnType<typeof splitFrames> } {
  const decoder = new HpackDecoder(4096);
  const frames = splitFrames(output);
  const blocks: [string, string][][] = [];
  let fragments: Buffer[] = [];
  for (const f of frames) {
    if (f.type !== HEADERS && f.type !== CONTINUATION) continue;
    let payload = f.payload;
    if (f.type === HEADERS && f.flags & PADDED) payload = payload.subarray(1, payload.length - payload[0]!);
    if (f.type === HEADERS && f.flags & PRIORITY) payload = payload.subarray(5);
    fragments.push(payload);
    if (f.flags & END_HEADERS) {
      blocks.push(decoder.decode(Buffer.concat(fragments)).fields.map((field) => [field.name, field.value]));
      fragments = [];
    }
  }
  return { blocks, frames };
}

describe('the authority rule', () => {
  test.each([
    ['http://127.0.0.1:2379', '127.0.0.1:2379'],
    ['https://etcd.example:2379', 'etcd.example:2379'],
    ['http://[::1]:2379/', '[::1]:2379'],
    ['127.0.0.1:2379/some/path?x#y', '127.0.0.1:2379'],
    ['unix://host:1', 'host:1'],
  ])('%s becomes %s', (value, authority) => {
    expect(normalizedAuthority(value)).toBe(authority);
  });

  test.each([['127.0.0.1:2379'], ['etcd.example'], ['[::1]:2379'], ['http:///path'], ['/path-only']])('%s stays', (value) => {
    expect(normalizedAuthority(value)).toBeNull();
  });
});

describe('rewriting', () => {
  test("etcdctl's recorded request goes on with :authority 127.0.0.1:25999 and nothing else changed", () => {
    const body = frame(DATA, END_STREAM, 1, hex('0000000000'));
    const input = Buffer.concat([connectionStart(), ETCDCTL_STATUS_HEADERS, body]);
    const normalizer = new AuthorityNormalizer(OPTIONS);
    const output = run([input], normalizer);

    const { blocks, frames } = serverView(output);
    expect(blocks).toEqual([
      [
        [':method', 'POST'],
        [':scheme', 'http'],
        [':path', '/etcdserverpb.Maintenance/Status'],
        [':authority', '127.0.0.1:25999'],
        ['content-type', 'application/grpc'],
        ['user-agent', 'grpc-go/1.33.3'],
        ['te', 'trailers'],
        ['grpc-timeout', '986320u'],
        ['client-api-version', '3.4'],
      ],
    ]);
    expect(frames.map((f) => [f.type, f.flags, f.streamId])).toEqual([
      [SETTINGS, 0, 0],
      [0x8, 0, 0],
      [HEADERS, END_HEADERS, 1],
      [DATA, END_STREAM, 1],
    ]);
    expect(frames[3]!.payload).toEqual(hex('0000000000'));
    expect(normalizer.mode).toBe('rewriting');
    expect(normalizer.rewrittenBlocks).toBe(1);
  });

  test('the same bytes one at a time give the same output', () => {
    const input = Buffer.concat([connectionStart(), ETCDCTL_STATUS_HEADERS, frame(DATA, END_STREAM, 1, hex('0000000000'))]);
    expect(run(oneByteAtATime(input))).toEqual(run([input]));
  });

  test('later requests that refer to the dynamic table decode on the server to what the client meant', () => {
    const client = new IndexingEncoder();
    const requests: [string, string][][] = [];
    const input: Buffer[] = [connectionStart()];
    for (let i = 0; i < 40; i++) {
      // Valid and invalid authorities in turn, paths that churn the table (evictions), a size update midway.
      const authority = i % 3 === 0 ? '127.0.0.1:2379' : 'http://127.0.0.1:2379';
      const fields: [string, string][] = [...grpcRequest(authority, `/etcdserverpb.KV/Put/${'x'.repeat(i * 10)}`), ['grpc-timeout', `${i}m`]];
      requests.push(fields);
      const stream = 1 + 2 * i;
      input.push(frame(HEADERS, END_HEADERS, stream, client.encode(fields, i === 20 ? 512 : undefined)), frame(DATA, END_STREAM, stream, hex('0000000000')));
    }
    const normalizer = new AuthorityNormalizer(OPTIONS);
    const { blocks } = serverView(run(input, normalizer));
    expect(blocks).toEqual(requests.map((fields) => fields.map(([name, value]) => [name, name === ':authority' ? '127.0.0.1:2379' : value])));
    expect(normalizer.rewrittenBlocks).toBe(26);
  });

  test('HEADERS with padding and priority, then CONTINUATION: one block, re-framed without padding, priority and END_STREAM kept', () => {
    const block = new IndexingEncoder().encode(grpcRequest('https://127.0.0.1:2379/x'));
    const priority = hex('80000003 10'); // exclusive, on stream 3, weight 17
    const payload = Buffer.concat([Buffer.of(4), priority, block.subarray(0, 10), Buffer.alloc(4)]);
    const input = Buffer.concat([
      connectionStart(),
      frame(HEADERS, PADDED | PRIORITY | END_STREAM, 5, payload),
      frame(CONTINUATION, 0, 5, block.subarray(10, 20)),
      frame(CONTINUATION, END_HEADERS, 5, block.subarray(20)),
    ]);
    for (const chunks of [[input], oneByteAtATime(input)]) {
      const { blocks, frames } = serverView(run(chunks));
      expect(blocks).toEqual([grpcRequest('127.0.0.1:2379')]);
      const headers = frames.filter((f) => f.type === HEADERS || f.type === CONTINUATION);
      expect(headers.map((f) => [f.type, f.flags, f.streamId])).toEqual([[HEADERS, PRIORITY | END_STREAM | END_HEADERS, 5]]);
      expect(headers[0]!.payload.subarray(0, 5)).toEqual(priority);
    }
  });

  test('a rewritten block larger than a frame goes out as HEADERS and CONTINUATION frames of at most 16384 octets', () => {
    const fields = [...grpcRequest('http://127.0.0.1:2379'), ['x-big', 'b'.repeat(40_000)] as [string, string]];
    const block = new IndexingEncoder().encode(fields);
    const input = Buffer.concat([
      connectionStart(),
      frame(HEADERS, 0, 1, block.subarray(0, 16_000)),
      frame(CONTINUATION, 0, 1, block.subarray(16_000, 32_000)),
      frame(CONTINUATION, END_HEADERS, 1, block.subarray(32_000)),
    ]);
    const { blocks, frames } = serverView(run([input]));
    expect(blocks).toEqual([fields.map(([name, value]) => [name, name === ':authority' ? '127.0.0.1:2379' : value])]);
    const headers = frames.filter((f) => f.type === HEADERS || f.type === CONTINUATION);
    expect(headers.map((f) => f.type)).toEqual([HEADERS, CONTINUATION, CONTINUATION]);
    expect(headers.every((f) => f.payload.length <= 16_384)).toBe(true);
    expect(headers.map((f) => f.flags & END_HEADERS)).toEqual([0, 0, END_HEADERS]);
  });

  test('host is rewritten like :authority', () => {
    const fields: [string, string][] = [...grpcRequest('127.0.0.1:2379'), ['host', 'http://127.0.0.1:2379']];
    const input = Buffer.concat([connectionStart(), frame(HEADERS, END_HEADERS, 1, new IndexingEncoder().encode(fields))]);
    expect(serverView(run([input])).blocks).toEqual([[...grpcRequest('127.0.0.1:2379'), ['host', '127.0.0.1:2379']]]);
  });
});

describe('passing', () => {
  test('a connection with valid authorities goes on byte for byte, however it is cut', () => {
    const client = new IndexingEncoder();
    const block = client.encode(grpcRequest('127.0.0.1:2379'));
    const second = client.encode(grpcRequest('127.0.0.1:2379'));
    const input = Buffer.concat([
      connectionStart(),
      frame(HEADERS, PADDED | PRIORITY, 1, Buffer.concat([Buffer.of(3), hex('0000000010'), block.subarray(0, 7), Buffer.alloc(3)])),
      frame(CONTINUATION, END_HEADERS, 1, block.subarray(7)),
      frame(DATA, 0, 1, Buffer.alloc(20_000, 7)),
      frame(PING, 0, 0, hex('0102030405060708')),
      frame(DATA, END_STREAM, 1, hex('0000000000')),
      frame(HEADERS, END_HEADERS | END_STREAM, 3, second),
    ]);
    for (const chunks of [[input], oneByteAtATime(input), [input.subarray(0, 30), input.subarray(30, 5000), input.subarray(5000)]]) {
      const normalizer = new AuthorityNormalizer(OPTIONS);
      expect(run(chunks, normalizer)).toEqual(input);
      expect(normalizer.mode).toBe('passing');
    }
  });

  test('a chunk that changes nothing comes out as itself, not a copy', () => {
    const normalizer = new AuthorityNormalizer(OPTIONS);
    const start = connectionStart();
    expect(normalizer.push(start)).toBe(start);
    const data = frame(DATA, 0, 1, Buffer.alloc(100));
    expect(normalizer.push(data)).toBe(data);
  });
});

describe('what the front cannot follow', () => {
  const request = () => frame(HEADERS, END_HEADERS, 1, new IndexingEncoder().encode(grpcRequest('http://127.0.0.1:2379')));

  test.each([
    ['no preface', Buffer.concat([Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), request()])],
    ['CONTINUATION without HEADERS', Buffer.concat([connectionStart(), frame(CONTINUATION, END_HEADERS, 1, hex('82')), request()])],
    ['a frame inside a header block', Buffer.concat([connectionStart(), frame(HEADERS, 0, 1, hex('82')), frame(PING, 0, 0, Buffer.alloc(8)), request()])],
    ['CONTINUATION on another stream', Buffer.concat([connectionStart(), frame(HEADERS, 0, 1, hex('82')), frame(CONTINUATION, END_HEADERS, 3, hex('86'))])],
    ['padding longer than the frame', Buffer.concat([connectionStart(), frame(HEADERS, PADDED | END_HEADERS, 1, hex('09 8286')), request()])],
    ['a header block HPACK cannot decode', Buffer.concat([connectionStart(), frame(HEADERS, END_HEADERS, 1, hex('80')), request()])],
    ['a client PUSH_PROMISE', Buffer.concat([connectionStart(), frame(0x5, END_HEADERS, 1, hex('00000002 82')), request()])],
    ['a header block longer than the limit', Buffer.concat([connectionStart(), frame(HEADERS, 0, 1, Buffer.alloc(40_000)), frame(CONTINUATION, END_HEADERS, 1, Buffer.alloc(30_000)), request()])],
  ])('%s: handed on untouched, the front steps aside', (_name, input) => {
    for (const chunks of [[input], oneByteAtATime(input)]) {
      const normalizer = new AuthorityNormalizer(OPTIONS);
      expect(run(chunks, normalizer)).toEqual(input);
      expect(normalizer.mode).toBe('transparent');
    }
  });

  test('after a rewrite, bytes it cannot follow end the connection', () => {
    const normalizer = new AuthorityNormalizer(OPTIONS);
    normalizer.push(Buffer.concat([connectionStart(), request()]));
    expect(normalizer.mode).toBe('rewriting');
    expect(() => normalizer.push(frame(HEADERS, END_HEADERS, 3, hex('80')))).toThrow(Http2FrontError);
  });

  test('a header block is held only up to the limit', () => {
    const normalizer = new AuthorityNormalizer({ ...OPTIONS, maxHeaderBlockBytes: 1000 });
    normalizer.push(Buffer.concat([connectionStart(), request()]));
    expect(() => normalizer.push(frame(HEADERS, 0, 3, Buffer.alloc(1001)).subarray(0, 9))).toThrow(/longer than 1000 octets/);
  });

  test('the preface is checked as it arrives', () => {
    const normalizer = new AuthorityNormalizer(OPTIONS);
    expect(normalizer.push(CLIENT_PREFACE.subarray(0, 10))).toEqual(CLIENT_PREFACE.subarray(0, 10));
    expect(normalizer.mode).toBe('passing');
    expect(normalizer.push(Buffer.from('x'))).toEqual(Buffer.from('x'));
    expect(normalizer.mode).toBe('transparent');
  });
});
