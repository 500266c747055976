/**
 * A small etcd v3 client on grpc-js: what the API server needs from any etcd-compatible
 * endpoint (Balsa's KV or a real etcd) — ranges at a revision with paging, conditional
 * transactions, and watches from a revision that survive the loss of a member.
 *
 * Failover: the client holds a channel per endpoint and uses one at a time. A request that
 * fails with UNAVAILABLE (the member is down or unreachable, or the cluster is electing a
 * leader) is tried on the next endpoint, and again round the endpoints with a growing pause,
 * for up to `ETCD_RETRY_BUDGET_MS` — long enough to ride out an election. Transactions are
 * retried too: every write the API server makes
 * is conditional (on a create revision or a mod revision), so a retried transaction whose
 * first attempt did land fails its comparison rather than writing twice.
 *
 * A watch resumes on another endpoint from the revision after the last one it delivered,
 * so its events are delivered exactly once, in revision order, across failovers. A watch
 * whose start revision was compacted ends with `EtcdCompactedError`.
 *
 * TLS: an `https://` endpoint is dialled over TLS, and so is a bare `host:port` when the
 * client has TLS options (as etcdctl does when given `--cacert`/`--cert`/`--key`); the
 * server is verified against `tls.ca` (else the system's roots), and `tls.cert`/`tls.key`,
 * when given, are presented as the client certificate (the KV's `--client-cert-auth`).
 * Authentication (etcd's Auth API, when the cluster has it on): given `credentials`, the
 * client authenticates before its first request and sends the token as the `token`
 * metadata of every call. A token the server no longer knows ("invalid auth token": it
 * expired, or the member restarted), or a cluster that turned auth on since ("user name is
 * empty"), makes the client authenticate again and retry once; a cluster with auth off
 * ("authentication is not enabled") is used without a token.
 */
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { loadEtcdProto } from '../server/etcd-proto.js';
import type { WireObject } from '../server/etcd-proto.js';
import { EtcdClientError, EtcdCompactedError } from './errors.js';
import { MuxClient } from '../grpc-mux/index.js';

/** A unary request not answered within this long fails with DEADLINE_EXCEEDED. */
export const ETCD_REQUEST_TIMEOUT_MS = 10_000;
/** How long a request keeps being retried while every endpoint answers UNAVAILABLE. */
export const ETCD_RETRY_BUDGET_MS = 8_000;
/** The pause after a round of endpoints that all failed, doubling up to the max. */
const RETRY_PAUSE_MIN_MS = 50;
const RETRY_PAUSE_MAX_MS = 1_000;
/** A broken watch stream is opened again (on the next endpoint) after this long. */
export const WATCH_RETRY_DELAY_MS = 200;

export interface KeyValue {
  readonly key: Buffer;
  readonly value: Buffer;
  readonly createRevision: number;
  readonly modRevision: number;
  readonly version: number;
  readonly lease: string;
}

export interface RangeOptions {
  /** Exclusive end of the range; absent for the single key. */
  readonly rangeEnd?: Buffer;
  /** Read as of this revision (0 or absent: the latest). */
  readonly revision?: number;
  /** At most this many keys (0 or absent: all). */
  readonly limit?: number;
  /** Serve from the member's own state without a quorum round (may be stale). */
  readonly serializable?: boolean;
  readonly countOnly?: boolean;
}

export interface RangeResult {
  readonly kvs: readonly KeyValue[];
  /** Keys in the whole range (not only those returned). */
  readonly count: number;
  /** More keys remain beyond `limit`. */
  readonly more: boolean;
  /** The store's revision when the range was served (the revision read, when none was given). */
  readonly revision: number;
}

/** One comparison of a transaction, in etcd's terms. */
export type Compare =
  | { readonly key: Buffer; readonly target: 'MOD'; readonly result: 'EQUAL' | 'NOT_EQUAL' | 'GREATER' | 'LESS'; readonly modRevision: number }
  | { readonly key: Buffer; readonly target: 'CREATE'; readonly result: 'EQUAL' | 'NOT_EQUAL' | 'GREATER' | 'LESS'; readonly createRevision: number };

export type TxnOperation =
  | { readonly put: { readonly key: Buffer; readonly value: Buffer; /** Attach to this lease (decimal id); absent: none (a put detaches a key from its lease). */ readonly lease?: string } }
  | { readonly delete: { readonly key: Buffer } }
  | { readonly range: { readonly key: Buffer } };

export interface TxnResult {
  readonly succeeded: boolean;
  /** The revision after the transaction (the writes' mod revision when it wrote). */
  readonly revision: number;
  /** For each `range` operation of the branch taken, the keys it found (in order). */
  readonly ranges: readonly (readonly KeyValue[])[];
}

export interface WatchEvent {
  readonly type: 'PUT' | 'DELETE';
  readonly kv: KeyValue;
  readonly prevKv: KeyValue | null;
}

export interface WatchOptions {
  readonly rangeEnd?: Buffer;
  /** The first revision wanted (inclusive). */
  readonly startRevision: number;
  readonly prevKv?: boolean;
  /** Called with each response's events, in revision order, each exactly once. */
  readonly onEvents: (events: readonly WatchEvent[], revision: number) => void;
  /** Called once when the watch cannot go on (compacted start: `EtcdCompactedError`). */
  readonly onError: (error: EtcdClientError) => void;
}

export interface WatchHandle {
  cancel(): void;
}

type Unary = (request: WireObject, metadata: grpc.Metadata, options: grpc.CallOptions, callback: (error: grpc.ServiceError | null, response?: WireObject) => void) => void;
interface KvStub extends grpc.Client {
  Range: Unary;
  Txn: Unary;
}
interface LeaseStub extends grpc.Client {
  LeaseGrant: Unary;
}
interface WatchStub extends grpc.Client {
  Watch(metadata: grpc.Metadata): grpc.ClientDuplexStream<WireObject, WireObject>;
}
interface AuthStub extends grpc.Client {
  Authenticate: Unary;
}

/** A user of the cluster's auth store (etcdctl's `--user name:password`). */
export interface EtcdCredentials {
  readonly user: string;
  readonly password: string;
}

export interface EtcdClientOptions {
  /** Authenticate as this user; absent: send no token (a cluster with auth on then refuses: "user name is empty"). */
  readonly credentials?: EtcdCredentials;
}

/** etcd's texts of the refusals a fresh token cures. */
const INVALID_TOKEN = 'etcdserver: invalid auth token';
const NO_USER = 'etcdserver: user name is empty';
const AUTH_NOT_ENABLED = 'etcdserver: authentication is not enabled';

/** The client's TLS (PEM contents), as etcdctl's `--cacert`, `--cert`, `--key`. */
export interface EtcdClientTls {
  /** CA bundle the servers' certificates must chain to (default: the system's roots). */
  readonly ca?: Buffer;
  /** Client certificate to present; with `key`. */
  readonly cert?: Buffer;
  /** Private key of `cert`. */
  readonly key?: Buffer;
}

export interface EtcdClientOptions {
  /** Default none: http:// and bare endpoints are plain text, https:// ones use the system's roots. */
  readonly tls?: EtcdClientTls;
}

/** `http://127.0.0.1:2379`, `https://127.0.0.1:2379` or `127.0.0.1:2379` → `127.0.0.1:2379`. */
export function endpointAddress(endpoint: string): string {
  return parseEndpoint(endpoint).address;
}

/** An endpoint's address and scheme (`undefined` for a bare host:port). */
function parseEndpoint(endpoint: string): { address: string; scheme: 'http' | 'https' | undefined } {
  const trimmed = endpoint.trim();
  if (/^[a-z]+:\/\//i.test(trimmed)) {
    const url = new URL(trimmed);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new EtcdClientError('INVALID_ENDPOINT', `endpoint ${endpoint}: only http:// and https:// endpoints are supported`);
    return { address: url.host, scheme: url.protocol === 'https:' ? 'https' : 'http' };
  }
  if (!/^[^:\s]+:\d+$/.test(trimmed) && !/^\[[^\]]+\]:\d+$/.test(trimmed)) {
    throw new EtcdClientError('INVALID_ENDPOINT', `endpoint ${endpoint}: expected host:port or http(s)://host:port`);
  }
  return { address: trimmed, scheme: undefined };
}

/** Reads etcdctl-style `--cacert`, `--cert`, `--key` files (each optional) into `EtcdClientTls`; undefined when none is given. */
export function readEtcdClientTls(files: { readonly caFile?: string; readonly certFile?: string; readonly keyFile?: string }): EtcdClientTls | undefined {
  if (files.caFile === undefined && files.certFile === undefined && files.keyFile === undefined) return undefined;
  if ((files.certFile === undefined) !== (files.keyFile === undefined)) throw new EtcdClientError('INVALID_TLS', 'a client certificate needs its key, and a key its certificate');
  const read = (path: string | undefined): Buffer | undefined => {
    if (path === undefined) return undefined;
    try {
      return readFileSync(path);
    } catch (error) {
      throw new EtcdClientError('INVALID_TLS', `cannot read ${path}: ${(error as Error).message}`);
    }
  };
  const [ca, cert, key] = [read(files.caFile), read(files.certFile), read(files.keyFile)];
  return { ...(ca === undefined ? {} : { ca }), ...(cert === undefined ? {} : { cert }), ...(key === undefined ? {} : { key }) };
}

/** The credentials to dial `endpoint` with. */
/** A channel's credentials for an endpoint: TLS for `https://`, and for a bare `host:port` when TLS files are given. */
export function endpointCredentials(endpoint: string, tls: EtcdClientTls | undefined): grpc.ChannelCredentials {
  return credentialsFor(parseEndpoint(endpoint).scheme, tls);
}

function credentialsFor(scheme: 'http' | 'https' | undefined, tls: EtcdClientTls | undefined): grpc.ChannelCredentials {
  if (scheme === 'http' || (scheme === undefined && tls === undefined)) return grpc.credentials.createInsecure();
  return grpc.credentials.createSsl(tls?.ca ?? null, tls?.key ?? null, tls?.cert ?? null);
}

export class EtcdClient {
  private readonly kv: KvStub[];
  /** Range and Txn go on one stream per endpoint when the server offers it (`kv/grpc-mux/`). */
  private readonly kvMux: MuxClient[];
  private readonly kvMethods: Readonly<Record<'Range' | 'Txn', grpc.MethodDefinition<WireObject, WireObject>>>;
  private readonly watchClients: WatchStub[];
  private readonly leaseClients: LeaseStub[];
  private current = 0;
  private closed = false;
  private readonly watches = new Set<ResumingWatch>();
  private readonly authClients: AuthStub[];
  private readonly credentials: EtcdCredentials | undefined;
  /** The token to send: null before authenticating, '' when the cluster has auth off. */
  private token: Promise<string> | null = null;

  constructor(endpoints: readonly string[], clientOptions: EtcdClientOptions = {}) {
    this.credentials = clientOptions.credentials;
    if (endpoints.length === 0) throw new EtcdClientError('INVALID_ENDPOINT', 'no etcd endpoint given');
    const targets = endpoints.map(parseEndpoint).map(({ address, scheme }) => ({ address, credentials: credentialsFor(scheme, clientOptions.tls) }));
    const { services } = loadEtcdProto();
    const Kv = grpc.makeGenericClientConstructor(services.KV, 'KV');
    const Watch = grpc.makeGenericClientConstructor(services.Watch, 'Watch');
    const options = { 'grpc.max_receive_message_length': -1, 'grpc.enable_channelz': 0 };
    this.kv = targets.map(({ address, credentials }) => new Kv(address, credentials, options) as unknown as KvStub);
    this.kvMux = this.kv.map((stub) => new MuxClient(stub));
    this.kvMethods = { Range: services.KV.Range as grpc.MethodDefinition<WireObject, WireObject>, Txn: services.KV.Txn as grpc.MethodDefinition<WireObject, WireObject> };
    this.watchClients = targets.map(({ address, credentials }) => new Watch(address, credentials, options) as unknown as WatchStub);
    const Lease = grpc.makeGenericClientConstructor(services.Lease, 'Lease');
    this.leaseClients = targets.map(({ address, credentials }) => new Lease(address, credentials, options) as unknown as LeaseStub);
    const Auth = grpc.makeGenericClientConstructor(services.Auth, 'Auth');
    this.authClients = targets.map(({ address, credentials }) => new Auth(address, credentials, options) as unknown as AuthStub);
  }

  get endpointCount(): number {
    return this.kv.length;
  }

  async range(key: Buffer, options: RangeOptions = {}): Promise<RangeResult> {
    const response = await this.unary('Range', {
      key,
      rangeEnd: options.rangeEnd ?? Buffer.alloc(0),
      revision: options.revision ?? 0,
      limit: options.limit ?? 0,
      serializable: options.serializable ?? false,
      countOnly: options.countOnly ?? false,
    });
    return {
      kvs: ((response.kvs as WireObject[] | undefined) ?? []).map(toKeyValue),
      count: Number(response.count ?? 0),
      more: response.more === true,
      revision: headerRevision(response),
    };
  }

  async txn(compare: readonly Compare[], success: readonly TxnOperation[], failure: readonly TxnOperation[] = []): Promise<TxnResult> {
    const response = await this.unary('Txn', {
      compare: compare.map(toWireCompare),
      success: success.map(toWireOperation),
      failure: failure.map(toWireOperation),
    });
    const ranges = ((response.responses as WireObject[] | undefined) ?? [])
      .filter((item) => item.responseRange !== undefined && item.responseRange !== null)
      .map((item) => (((item.responseRange as WireObject).kvs as WireObject[] | undefined) ?? []).map(toKeyValue));
    return { succeeded: response.succeeded === true, revision: headerRevision(response), ranges };
  }

  /** Grants a lease of `ttlSeconds`; its id (decimal), for puts that should go when it expires. */
  async leaseGrant(ttlSeconds: number): Promise<string> {
    const response = await this.unary('LeaseGrant', { TTL: ttlSeconds, ID: 0 });
    return String(response.ID);
  }

  /** Watches `key` (to `rangeEnd`) from `startRevision`; see the file comment for failover. */
  watch(key: Buffer, options: WatchOptions): WatchHandle {
    if (this.closed) throw new EtcdClientError('CLOSED', 'etcd client is closed');
    const watch = new ResumingWatch(this, key, options, () => this.watches.delete(watch));
    this.watches.add(watch);
    watch.open();
    return watch;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const watch of [...this.watches]) watch.cancel();
    for (const mux of this.kvMux) mux.close();
    for (const client of [...this.kv, ...this.watchClients, ...this.leaseClients, ...this.authClients]) client.close();
  }

  /** The metadata of a call: the auth token, authenticating first if the client has credentials and no token yet. */
  async callMetadata(): Promise<grpc.Metadata> {
    const metadata = new grpc.Metadata();
    if (this.credentials === undefined) return metadata;
    this.token ??= this.authenticate(this.credentials);
    const pending = this.token;
    try {
      const token = await pending;
      if (token !== '') metadata.set('token', token);
    } catch (error) {
      // The next call tries again.
      if (this.token === pending) this.token = null;
      throw error;
    }
    return metadata;
  }

  /** Whether `error` is one a new token may cure (and forgets the token if so). */
  tokenRefused(message: string): boolean {
    if (this.credentials === undefined || (message !== INVALID_TOKEN && message !== NO_USER)) return false;
    this.token = null;
    return true;
  }

  private async authenticate(credentials: EtcdCredentials): Promise<string> {
    try {
      const response = await this.call('Authenticate', { name: credentials.user, password: credentials.password }, new grpc.Metadata());
      return String(response.token ?? '');
    } catch (error) {
      if (error instanceof EtcdClientError && error.message === AUTH_NOT_ENABLED) return '';
      throw error;
    }
  }

  /** The watch stub to use next, and moves on to the following endpoint for the next one. */
  nextWatchClient(failed: boolean): WatchStub {
    if (failed) this.current = (this.current + 1) % this.kv.length;
    return this.watchClients[this.current]!;
  }

  private async unary(method: 'Range' | 'Txn' | 'LeaseGrant', request: WireObject): Promise<WireObject> {
    try {
      return await this.call(method, request, await this.callMetadata());
    } catch (error) {
      if (!(error instanceof EtcdClientError) || !this.tokenRefused(error.message)) throw error;
      return this.call(method, request, await this.callMetadata());
    }
  }

  private async call(method: 'Range' | 'Txn' | 'LeaseGrant' | 'Authenticate', request: WireObject, metadata: grpc.Metadata): Promise<WireObject> {
    const giveUpAt = Date.now() + ETCD_RETRY_BUDGET_MS;
    let pauseMs = RETRY_PAUSE_MIN_MS;
    for (let attempt = 1; ; attempt++) {
      if (this.closed) throw new EtcdClientError('CLOSED', 'etcd client is closed');
      const index = this.current;
      try {
        return await new Promise<WireObject>((resolve, reject) => {
          const callback = (error: grpc.ServiceError | null, response?: WireObject): void => (error ? reject(error) : resolve(response ?? {}));
          const options = { deadline: Date.now() + ETCD_REQUEST_TIMEOUT_MS };
          if (method === 'LeaseGrant') this.leaseClients[index]!.LeaseGrant(request, metadata, options, callback);
          else if (method === 'Authenticate') this.authClients[index]!.Authenticate(request, metadata, options, callback);
          else this.kvMux[index]!.unary(this.kvMethods[method], request, metadata, options, callback);
        });
      } catch (error) {
        const serviceError = error as grpc.ServiceError;
        if (serviceError.code !== grpc.status.UNAVAILABLE || Date.now() >= giveUpAt) throw EtcdClientError.fromGrpc(serviceError);
        if (this.current === index) this.current = (index + 1) % this.kv.length;
        // After a whole round of endpoints failed, pause before the next.
        if (attempt % this.kv.length === 0) {
          await new Promise((resolve) => setTimeout(resolve, pauseMs));
          pauseMs = Math.min(pauseMs * 2, RETRY_PAUSE_MAX_MS);
        }
      }
    }
  }
}

/** One watch, opened again on the next endpoint from where it stopped when its stream breaks. */
class ResumingWatch implements WatchHandle {
  private nextRevision: number;
  private call: grpc.ClientDuplexStream<WireObject, WireObject> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private done = false;
  /** The watch was refused once since it last delivered, and the client authenticated again. */
  private reauthenticated = false;

  constructor(
    private readonly client: EtcdClient,
    private readonly key: Buffer,
    private readonly options: WatchOptions,
    private readonly onDone: () => void,
  ) {
    this.nextRevision = options.startRevision;
  }

  open(failed = false): void {
    if (this.done) return;
    this.client.callMetadata().then(
      (metadata) => this.openWith(failed, metadata),
      () => {
        // Authentication failed (the cluster unreachable, say): try again later.
        if (!this.done) this.timer = setTimeout(() => this.open(true), WATCH_RETRY_DELAY_MS);
      },
    );
  }

  private openWith(failed: boolean, metadata: grpc.Metadata): void {
    if (this.done) return;
    const call = this.client.nextWatchClient(failed).Watch(metadata);
    this.call = call;
    let broken = false;
    const reopen = (): void => {
      if (broken || this.done) return;
      broken = true;
      call.cancel();
      this.timer = setTimeout(() => this.open(true), WATCH_RETRY_DELAY_MS);
    };
    call.on('data', (response: WireObject) => {
      if (broken || this.done) return;
      const compactRevision = Number(response.compactRevision ?? 0);
      if (response.canceled === true) {
        // etcd refuses a watch with a stale token as "permission denied": authenticate again, once.
        const reason = String(response.cancelReason ?? '');
        if (compactRevision === 0 && reason.includes('permission denied') && !this.reauthenticated && this.client.tokenRefused(INVALID_TOKEN)) {
          this.reauthenticated = true;
          broken = true;
          call.cancel();
          this.open();
          return;
        }
        this.finish();
        if (compactRevision > 0) this.options.onError(new EtcdCompactedError(this.nextRevision, compactRevision));
        else this.options.onError(new EtcdClientError('WATCH_CANCELED', `watch canceled: ${String(response.cancelReason ?? '')}`));
        return;
      }
      const events = ((response.events as WireObject[] | undefined) ?? []).map(toWatchEvent).filter((event) => event.kv.modRevision >= this.nextRevision);
      if (events.length === 0) return;
      this.reauthenticated = false;
      this.nextRevision = events[events.length - 1]!.kv.modRevision + 1;
      this.options.onEvents(events, headerRevision(response));
    });
    call.on('error', reopen);
    call.on('end', reopen);
    call.write({
      createRequest: {
        key: this.key,
        rangeEnd: this.options.rangeEnd ?? Buffer.alloc(0),
        startRevision: this.nextRevision,
        prevKv: this.options.prevKv ?? false,
      },
    });
  }

  cancel(): void {
    this.finish();
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.call?.cancel();
    this.onDone();
  }
}

function headerRevision(response: WireObject): number {
  return Number((response.header as WireObject | undefined)?.revision ?? 0);
}

function toKeyValue(kv: WireObject): KeyValue {
  return {
    key: Buffer.from(kv.key as Buffer),
    value: Buffer.from(kv.value as Buffer),
    createRevision: Number(kv.createRevision),
    modRevision: Number(kv.modRevision),
    version: Number(kv.version),
    lease: String(kv.lease),
  };
}

function toWatchEvent(event: WireObject): WatchEvent {
  const prev = event.prevKv as WireObject | null | undefined;
  return {
    type: event.type === 'DELETE' ? 'DELETE' : 'PUT',
    kv: toKeyValue(event.kv as WireObject),
    prevKv: prev === null || prev === undefined ? null : toKeyValue(prev),
  };
}

function toWireCompare(compare: Compare): WireObject {
  return compare.target === 'MOD'
    ? { key: compare.key, target: 'MOD', result: compare.result, modRevision: compare.modRevision }
    : { key: compare.key, target: 'CREATE', result: compare.result, createRevision: compare.createRevision };
}

function toWireOperation(operation: TxnOperation): WireObject {
  if ('put' in operation) return { requestPut: { key: operation.put.key, value: operation.put.value, lease: operation.put.lease ?? '0' } };
  if ('delete' in operation) return { requestDeleteRange: { key: operation.delete.key } };
  return { requestRange: { key: operation.range.key } };
}
