/**
 * A KV member's limits on a client, on one `balsa kv serve` with `--max-concurrent-streams=3
 * --max-watchers-per-stream=2` (and etcd's default `--max-request-bytes`):
 *
 * - a request over 1.5 MiB is refused with etcd's INVALID_ARGUMENT "etcdserver: request is
 *   too large" and writes nothing;
 * - a watch past a stream's limit is refused as etcd refuses a watch (created and canceled,
 *   id -1, the reason), and the stream, its watchers and other streams go on;
 * - the server announces its stream limit in its SETTINGS (after the router's empty one); a
 *   client that opens streams past it before acknowledging gets each refused with
 *   RST_STREAM REFUSED_STREAM, its connection going on; grpc-js, which reads the setting,
 *   holds a call past it until a stream closes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { WireObject } from '../../../kv/server/etcd-proto.js';
import { EtcdGrpcClient } from '../../support/etcd-grpc.js';
import { eventually } from '../../support/eventually.js';
import { startKvCluster } from '../../support/kv-cluster.js';
import type { KvCluster } from '../../support/kv-cluster.js';
import { connectionStart, END_HEADERS, frame, grpcRequest, HEADERS, IndexingEncoder, PING, SETTINGS } from './http2-front/h2-test-bytes.js';

const MAX_STREAMS = 3;
const RST_STREAM = 0x3;
const GOAWAY = 0x7;
const REFUSED_STREAM = 0x7;
const SETTINGS_MAX_CONCURRENT_STREAMS = 0x3;

let dir: string;
let cluster: KvCluster;
let endpoint: string;
let client: EtcdGrpcClient;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'balsa-kv-limits-'));
  cluster = await startKvCluster({ members: 1, dir, flags: [`--max-concurrent-streams=${MAX_STREAMS}`, '--max-watchers-per-stream=2'] });
  endpoint = cluster.clientEndpoints[0]!;
  client = new EtcdGrpcClient(endpoint);
});

afterAll(async () => {
  client?.close();
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

test("a request over the default 1.5 MiB is refused with etcd's error and writes nothing", async () => {
  const put = client.call('KV', 'Put', { key: Buffer.from('big'), value: Buffer.alloc(1.5 * 1024 * 1024 + 1024, 'x') });
  await expect(put).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: 'etcdserver: request is too large' });
  expect((await client.call('KV', 'Range', { key: Buffer.from('big') })).count).toBe('0');
});

/** A Watch stream's responses as they come. */
function openWatch(): { stream: grpc.ClientDuplexStream<WireObject, WireObject>; responses: WireObject[] } {
  const stream = client.watch();
  const responses: WireObject[] = [];
  stream.on('data', (response: WireObject) => responses.push(response));
  stream.on('error', () => undefined);
  return { stream, responses };
}

test('a watch past the stream\'s limit is refused as etcd refuses a watch; the stream and other streams go on', async () => {
  const first = openWatch();
  const second = openWatch();
  try {
    for (const key of ['a', 'b', 'c']) first.stream.write({ createRequest: { key: Buffer.from(key) } });
    await eventually(async () => expect(first.responses).toHaveLength(3));
    expect(first.responses.map((r) => [r.watchId, r.created, r.canceled, r.cancelReason])).toEqual([
      ['0', true, false, ''],
      ['1', true, false, ''],
      ['-1', true, true, 'etcdserver: too many watchers on this stream'],
    ]);
    second.stream.write({ createRequest: { key: Buffer.from('c') } });
    await eventually(async () => expect(second.responses.map((r) => [r.created, r.canceled])).toEqual([[true, false]]));
    await client.call('KV', 'Put', { key: Buffer.from('a'), value: Buffer.from('1') });
    await eventually(async () => expect(first.responses.at(-1)?.watchId).toBe('0'));
    expect((first.responses.at(-1)!.events as WireObject[]).map((event) => String((event.kv as WireObject).key))).toEqual(['a']);
    // A watcher canceled makes room for another.
    first.stream.write({ cancelRequest: { watchId: '1' } });
    first.stream.write({ createRequest: { key: Buffer.from('c') } });
    await eventually(async () => expect(first.responses.at(-1)).toMatchObject({ watchId: '2', created: true, canceled: false }));
  } finally {
    first.stream.cancel();
    second.stream.cancel();
  }
});

test('grpc-js holds a call past the stream limit until one of its streams closes', async () => {
  const watches = Array.from({ length: MAX_STREAMS }, () => openWatch());
  try {
    for (const watch of watches) watch.stream.write({ createRequest: { key: Buffer.from('held') } });
    await eventually(async () => expect(watches.map((watch) => watch.responses.length)).toEqual(watches.map(() => 1)));
    // Held, not refused: the deadline passes first.
    await expect(client.call('KV', 'Range', { key: Buffer.from('a') }, 2_000)).rejects.toMatchObject({ code: grpc.status.DEADLINE_EXCEEDED });
    watches[0]!.stream.cancel();
    expect((await client.call('KV', 'Range', { key: Buffer.from('a') })).count).toBe('1');
  } finally {
    for (const watch of watches) watch.stream.cancel();
  }
});

interface Frame {
  readonly type: number;
  readonly flags: number;
  readonly streamId: number;
  readonly payload: Buffer;
}

/** A connection written by hand, its frames collected as they come. */
class RawConnection {
  readonly frames: Frame[] = [];
  private readonly socket: Socket;
  private unread = Buffer.alloc(0);

  constructor(address: string) {
    const separator = address.lastIndexOf(':');
    this.socket = createConnection(Number(address.slice(separator + 1)), address.slice(0, separator));
    this.socket.on('error', () => undefined);
    this.socket.on('data', (chunk: Buffer) => {
      this.unread = Buffer.concat([this.unread, chunk]);
      while (this.unread.length >= 9 && this.unread.length >= 9 + this.unread.readUIntBE(0, 3)) {
        const length = this.unread.readUIntBE(0, 3);
        this.frames.push({ type: this.unread[3]!, flags: this.unread[4]!, streamId: this.unread.readUInt32BE(5) & 0x7fffffff, payload: this.unread.subarray(9, 9 + length) });
        this.unread = this.unread.subarray(9 + length);
      }
    });
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** The SETTINGS frames (not ACKs) received so far. */
  settings(): Frame[] {
    return this.frames.filter((f) => f.type === SETTINGS && (f.flags & 0x1) === 0);
  }

  close(): void {
    this.socket.destroy();
  }
}

test('the server announces the limit; streams a client opens past it before acknowledging are refused (REFUSED_STREAM), the connection goes on', async () => {
  const connection = new RawConnection(endpoint);
  const encoder = new IndexingEncoder();
  const watchHeaders = () => encoder.encode(grpcRequest(endpoint, '/etcdserverpb.Watch/Watch'));
  try {
    connection.write(connectionStart());
    await eventually(async () => expect(connection.settings()).toHaveLength(1), undefined, 20);
    expect(connection.settings()[0]!.payload).toHaveLength(0); // the router's: every setting at its initial value
    connection.write(frame(SETTINGS, 0x1, 0));
    connection.write(frame(HEADERS, END_HEADERS, 1, watchHeaders()));
    await eventually(async () => expect(connection.settings()).toHaveLength(2), undefined, 20);
    const announced = connection.settings()[1]!.payload;
    const values = new Map<number, number>();
    for (let offset = 0; offset + 6 <= announced.length; offset += 6) values.set(announced.readUInt16BE(offset), announced.readUInt32BE(offset + 2));
    expect(values.get(SETTINGS_MAX_CONCURRENT_STREAMS)).toBe(MAX_STREAMS);

    for (const id of [3, 5, 7, 9]) connection.write(frame(HEADERS, END_HEADERS, id, watchHeaders()));
    await eventually(async () => expect(connection.frames.filter((f) => f.type === RST_STREAM).map((f) => [f.streamId, f.payload.readUInt32BE(0)])).toEqual([[7, REFUSED_STREAM], [9, REFUSED_STREAM]]), undefined, 20);
    connection.write(frame(PING, 0, 0, Buffer.from('limits!!')));
    await eventually(async () => expect(connection.frames.some((f) => f.type === PING && f.flags === 0x1 && f.payload.toString() === 'limits!!')).toBe(true), undefined, 20);
    expect(connection.frames.some((f) => f.type === GOAWAY || (f.type === RST_STREAM && f.streamId < 7))).toBe(false);
  } finally {
    connection.close();
  }
});
