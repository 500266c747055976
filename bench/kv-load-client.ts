/**
 * An etcd v3 load client on grpc-js, for `bench/kv.ts`: `connections` channels to the
 * cluster's client endpoints (channel i to endpoint i mod n, as etcd's own clients spread
 * over the endpoints they are given), each a distinct HTTP/2 connection, and the two
 * requests the benchmark times: a put of one key, and a linearizable get of one key.
 *
 * grpc-js shares a connection between channels whose target and options are equal; each
 * channel here gets an option of its own (`balsa.bench.channel`) so that N channels are
 * really N connections.
 */
import * as grpc from '@grpc/grpc-js';
import { loadEtcdProto } from '../kv/server/etcd-proto.js';
import type { WireObject } from '../kv/server/etcd-proto.js';

/** A request not answered within this long fails (and counts as an error). */
const REQUEST_DEADLINE_MS = 10_000;
/** Every channel must be connected within this long of `connect()`. */
const CONNECT_DEADLINE_MS = 20_000;

type UnaryMethod = (request: WireObject, options: grpc.CallOptions, callback: (error: grpc.ServiceError | null, response?: WireObject) => void) => void;

interface KvStub extends grpc.Client {
  Put: UnaryMethod;
  Range: UnaryMethod;
  Txn: UnaryMethod;
}

/** The key was not there: a get of the benchmark's keyspace must find every key. */
export class MissingKeyError extends Error {
  override readonly name = 'MissingKeyError';
}

export class EtcdLoadClient {
  private readonly channels: KvStub[];

  /** `endpoints` are `host:port`; `connections` ≥ 1 channels are spread over them. */
  constructor(endpoints: readonly string[], connections: number) {
    if (endpoints.length === 0) throw new Error('no endpoint to load');
    if (!Number.isSafeInteger(connections) || connections < 1) throw new RangeError(`connections must be a positive integer, got ${connections}`);
    const { services } = loadEtcdProto();
    const Kv = grpc.makeGenericClientConstructor(services.KV, 'KV');
    this.channels = Array.from(
      { length: connections },
      (_, i) => new Kv(endpoints[i % endpoints.length]!, grpc.credentials.createInsecure(), { 'balsa.bench.channel': i }) as unknown as KvStub,
    );
  }

  get connections(): number {
    return this.channels.length;
  }

  /** Resolves once every channel is connected. */
  async connect(): Promise<void> {
    const deadline = Date.now() + CONNECT_DEADLINE_MS;
    await Promise.all(
      this.channels.map((channel) => new Promise<void>((resolve, reject) => channel.waitForReady(deadline, (error) => (error ? reject(error) : resolve())))),
    );
  }

  /** Put `key` = `value` through channel `channel` (mod the number of channels). */
  put(channel: number, key: Buffer, value: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      this.channel(channel).Put({ key, value }, { deadline: Date.now() + REQUEST_DEADLINE_MS }, (error) => (error ? reject(error) : resolve()));
    });
  }

  /** Put every key of `keys` = `value` in one transaction (etcd allows 128 operations in one by default). */
  putMany(channel: number, keys: readonly Buffer[], value: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      const success = keys.map((key) => ({ requestPut: { key, value } }));
      this.channel(channel).Txn({ compare: [], success, failure: [] }, { deadline: Date.now() + REQUEST_DEADLINE_MS }, (error) => (error ? reject(error) : resolve()));
    });
  }

  /** How many keys start with `prefix` (a linearizable count-only range). */
  countPrefix(prefix: Buffer): Promise<number> {
    const end = Buffer.from(prefix);
    end[end.length - 1]! += 1;
    return new Promise((resolve, reject) => {
      this.channel(0).Range({ key: prefix, rangeEnd: end, countOnly: true }, { deadline: Date.now() + REQUEST_DEADLINE_MS }, (error, response) =>
        error ? reject(error) : resolve(Number(response?.count ?? 0)),
      );
    });
  }

  /** A linearizable get of `key`; rejects with `MissingKeyError` if it is not there. */
  get(channel: number, key: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      this.channel(channel).Range({ key, serializable: false }, { deadline: Date.now() + REQUEST_DEADLINE_MS }, (error, response) => {
        if (error) return reject(error);
        const kvs = (response?.kvs as unknown[] | undefined) ?? [];
        if (kvs.length !== 1) return reject(new MissingKeyError(`${key.toString()} not found`));
        resolve();
      });
    });
  }

  close(): void {
    for (const channel of this.channels) channel.close();
  }

  private channel(index: number): KvStub {
    return this.channels[index % this.channels.length]!;
  }
}
