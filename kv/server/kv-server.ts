/**
 * A Balsa KV member: a `RaftNode` (LevelStorage in the data directory, GrpcTransport on
 * the peer URL) applying `KvCommand`s to the `KvStateMachine`, and etcd's v3 gRPC
 * services on the client URLs. Any member answers any request: writes are proposed
 * (followers forward them to the leader), linearizable reads wait for a ReadIndex
 * barrier, serializable reads are served from the local state.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { GrpcTransport, LevelStorage, RaftError, RaftNode } from '../../raft/index.js';
import type { Member } from '../../raft/index.js';
import { LeaseExpiryDriver, LeaseIdGenerator, minimumLeaseTtlSeconds, validateGrant } from '../lease/index.js';
import { WatchHub } from '../watch/index.js';
import { watchResponseFields } from '../watch/index.js';
import type { WatchableStore } from '../watch/index.js';
import { encodeCommand } from './commands.js';
import type { KvCommand } from './commands.js';
import { loadEtcdProto } from './etcd-proto.js';
import type { WireObject } from './etcd-proto.js';
import { etcdStatus, EtcdServerError, fromRaftError } from './etcd-errors.js';
import { KvStateMachine } from './kv-state-machine.js';
import type { CommandResult } from './kv-state-machine.js';
import { deleteRangeOf, putOf, rangeOf, rangeOptionsOf, txnOf, wireEvent, wireOpResponse, wireRangeResponse } from './wire.js';

/** The etcd API version Balsa speaks (what Maintenance.Status reports). */
export const ETCD_API_VERSION = '3.4.0';
const GRPC_OVERHEAD_BYTES = 512 * 1024;

export interface KvPeer {
  readonly name: string;
  /** host:port of its Raft (peer) listener. */
  readonly peerAddress: string;
}

export interface KvServerOptions {
  readonly name: string;
  readonly dataDir: string;
  /** host:port pairs to serve etcd's client API on. */
  readonly clientAddresses: readonly string[];
  /** host:port this member's peers reach its Raft listener at (its advertised peer URL); names it in `initialCluster`. */
  readonly peerAddress: string;
  /** host:port to bind the Raft listener to (default `peerAddress`). */
  readonly peerListenAddress?: string;
  readonly initialCluster: readonly KvPeer[];
  readonly initialClusterState: 'new' | 'existing';
  readonly initialClusterToken: string;
  readonly maxRequestBytes: number;
  readonly quotaBackendBytes: number;
  readonly snapshotCount: number;
  readonly tickMs: number;
  readonly electionTicks: number;
}

/** A member's id: 52 bits of a SHA-1 over its peer address and the cluster token (a Raft NodeId must be a safe integer). */
export function memberIdOf(peerAddress: string, token: string): number {
  const digest = createHash('sha1').update(`${peerAddress}\n${token}`).digest();
  const id = Number(digest.readBigUInt64BE(0) & ((1n << 52n) - 1n));
  return id === 0 ? 1 : id;
}

export function clusterIdOf(peers: readonly KvPeer[], token: string): bigint {
  const digest = createHash('sha1')
    .update([...peers.map((p) => p.peerAddress)].sort().join(',') + `\n${token}`)
    .digest();
  return digest.readBigUInt64BE(0);
}

export class KvServer {
  readonly memberId: number;
  readonly clusterId: bigint;
  readonly machine: KvStateMachine;
  readonly node: RaftNode<CommandResult>;
  private readonly grpcServer: grpc.Server;
  private readonly hub: WatchHub;
  private readonly expiry: LeaseExpiryDriver;
  private readonly leaseIds: LeaseIdGenerator;
  private boundClientAddresses: string[] = [];
  private stopped = false;

  private constructor(
    private readonly options: KvServerOptions,
    storage: LevelStorage,
  ) {
    this.memberId = memberIdOf(options.peerAddress, options.initialClusterToken);
    this.clusterId = clusterIdOf(options.initialCluster, options.initialClusterToken);
    const minLeaseTtlSeconds = minimumLeaseTtlSeconds(options.electionTicks, options.tickMs);
    this.machine = new KvStateMachine({ now: () => Date.now(), minLeaseTtlSeconds });
    this.leaseIds = new LeaseIdGenerator(this.memberId, Date.now());
    const members: Member[] = options.initialCluster.map((peer) => ({
      id: memberIdOf(peer.peerAddress, options.initialClusterToken),
      address: peer.peerAddress,
    }));
    this.node = new RaftNode<CommandResult>({
      id: this.memberId,
      storage,
      transport: new GrpcTransport({
        id: this.memberId,
        listen: options.peerListenAddress ?? options.peerAddress,
        cluster: options.initialClusterToken,
      }),
      stateMachine: this.machine,
      members,
      join: options.initialClusterState === 'existing',
      tickMs: options.tickMs,
      electionTicks: options.electionTicks,
      snapshotEveryEntries: options.snapshotCount,
    });
    this.hub = new WatchHub(this.watchableStore(), { maxResponseBytes: options.maxRequestBytes });
    this.machine.onRestore(() => this.hub.storeRestored());
    this.expiry = new LeaseExpiryDriver({
      lessor: this.machine.lessor,
      revoke: (ids) => {
        for (const id of ids) void this.propose({ kind: 'leaseRevoke', id }).catch(() => undefined);
      },
    });
    this.grpcServer = new grpc.Server({
      'grpc.max_receive_message_length': options.maxRequestBytes + GRPC_OVERHEAD_BYTES,
      'grpc.max_send_message_length': 2 ** 31 - 1,
    });
  }

  static async start(options: KvServerOptions): Promise<KvServer> {
    mkdirSync(options.dataDir, { recursive: true });
    const storage = await LevelStorage.open({ dir: join(options.dataDir, 'member') });
    const server = new KvServer(options, storage);
    server.node.on('leader-change', ({ leader }) => {
      if (leader === server.memberId) server.machine.lessor.promote(options.electionTicks * options.tickMs);
      else server.machine.lessor.demote();
    });
    server.node.on('error', (error) => {
      console.error(`balsa kv ${options.name}: stopping after a fatal error: ${error.message}`);
    });
    await server.node.start();
    server.expiry.start();
    server.addServices();
    for (const address of options.clientAddresses) {
      const port = await new Promise<number>((resolve, reject) =>
        server.grpcServer.bindAsync(address, grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
      );
      server.boundClientAddresses.push(`${address.slice(0, address.lastIndexOf(':'))}:${port}`);
    }
    return server;
  }

  /** host:port the client API is bound to. */
  get clientAddresses(): readonly string[] {
    return this.boundClientAddresses;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.expiry.stop();
    this.hub.close();
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        this.grpcServer.forceShutdown();
        resolve();
      }, 1000);
      this.grpcServer.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
    await this.node.stop();
  }

  // ---- Plumbing ----

  private header(revision: number = this.machine.store.revision): WireObject {
    return {
      clusterId: this.clusterId.toString(),
      memberId: BigInt(this.memberId).toString(),
      revision,
      raftTerm: this.node.status().term,
    };
  }

  private async propose(command: KvCommand): Promise<CommandResult> {
    const data = encodeCommand(command);
    if (data.byteLength > this.options.maxRequestBytes) throw new EtcdServerError('requestTooLarge');
    if (command.kind !== 'alarm' && command.kind !== 'leaseRevoke' && command.kind !== 'compact' && this.hasNoSpaceAlarm()) {
      throw new EtcdServerError('noSpace');
    }
    if (this.node.status().leader === 0) throw new EtcdServerError('noLeader');
    let result: CommandResult;
    try {
      result = await this.node.propose(data);
    } catch (error) {
      throw error instanceof RaftError ? fromRaftError(error) : error;
    }
    if (!result.ok) throw new EtcdServerError('applied', result.failure);
    return result;
  }

  private hasNoSpaceAlarm(): boolean {
    return this.machine.alarms.some((a) => a.alarm === 'NOSPACE');
  }

  private async linearizable(): Promise<void> {
    if (this.node.status().leader === 0) throw new EtcdServerError('noLeader');
    try {
      await this.node.read();
    } catch (error) {
      throw error instanceof RaftError ? fromRaftError(error) : error;
    }
  }

  private watchableStore(): WatchableStore {
    const machine = this.machine;
    return {
      currentRevision: () => machine.store.revision,
      compactRevision: () => machine.store.compactRevision(),
      changesSince: (start) => machine.store.changesSince(start),
      onChanges: (listener) => machine.onChanges(listener),
    };
  }

  private unary(handler: (request: WireObject) => Promise<WireObject>): grpc.handleUnaryCall<WireObject, WireObject> {
    return (call, callback) => {
      handler(call.request).then(
        (response) => callback(null, response),
        (error: unknown) => callback(etcdStatus(error)),
      );
    };
  }

  private addServices(): void {
    const { services } = loadEtcdProto();
    this.grpcServer.addService(services.KV, {
      Range: this.unary((r) => this.range(r)),
      Put: this.unary(async (r) => {
        const result = await this.propose({ kind: 'put', request: putOf(r) });
        if (result.ok && result.kind === 'put') {
          return { header: this.header(result.response.revision), ...(result.response.prevKv ? wireOpResponse(result.response, (rev) => this.header(rev)).responsePut as WireObject : {}) };
        }
        throw new Error('unexpected result');
      }),
      DeleteRange: this.unary(async (r) => {
        const result = await this.propose({ kind: 'deleteRange', request: deleteRangeOf(r) });
        if (result.ok && result.kind === 'deleteRange') {
          return wireOpResponse(result.response, (rev) => this.header(rev)).responseDeleteRange as WireObject;
        }
        throw new Error('unexpected result');
      }),
      Txn: this.unary(async (r) => {
        const result = await this.propose({ kind: 'txn', request: txnOf(r) });
        if (result.ok && result.kind === 'txn') return wireOpResponse(result.response, (rev) => this.header(rev)).responseTxn as WireObject;
        throw new Error('unexpected result');
      }),
      Compact: this.unary(async (r) => {
        const result = await this.propose({ kind: 'compact', revision: Number(r.revision ?? 0) });
        return { header: this.header(result.ok ? (result as { revision: number }).revision : undefined) };
      }),
    });
    this.grpcServer.addService(services.Watch, { Watch: (call: grpc.ServerDuplexStream<WireObject, WireObject>) => this.watch(call) });
    this.grpcServer.addService(services.Lease, {
      LeaseGrant: this.unary((r) => this.leaseGrant(r)),
      LeaseRevoke: this.unary(async (r) => {
        await this.propose({ kind: 'leaseRevoke', id: BigInt(String(r.ID ?? '0')) });
        return { header: this.header() };
      }),
      LeaseKeepAlive: (call: grpc.ServerDuplexStream<WireObject, WireObject>) => this.leaseKeepAlive(call),
      LeaseTimeToLive: this.unary(async (r) => this.leaseTimeToLive(r)),
      LeaseLeases: this.unary(async () => ({ header: this.header(), leases: this.machine.lessor.leaseIds().map((id) => ({ ID: id.toString() })) })),
    });
    this.grpcServer.addService(services.Cluster, {
      MemberList: this.unary(async () => ({ header: this.header(), members: this.memberList() })),
    });
    this.grpcServer.addService(services.Maintenance, {
      Status: this.unary(async () => {
        const status = this.node.status();
        return {
          header: this.header(),
          version: ETCD_API_VERSION,
          dbSize: this.machine.store.sizeBytes(),
          dbSizeInUse: this.machine.store.sizeBytes(),
          leader: BigInt(status.leader).toString(),
          raftIndex: status.commitIndex,
          raftTerm: status.term,
          raftAppliedIndex: status.appliedIndex,
          isLearner: status.members.learners.some((m) => m.id === this.memberId),
          errors: [],
        };
      }),
      HashKV: this.unary(async (r) => {
        const result = this.machine.store.hashKv(Number(r.revision ?? 0));
        return { header: this.header(), hash: result.hash, compactRevision: result.compactRevision };
      }),
      Alarm: this.unary(async () => ({
        header: this.header(),
        alarms: this.machine.alarms.map((a) => ({ memberID: a.memberId.toString(), alarm: a.alarm })),
      })),
    });
  }

  private memberList(): WireObject[] {
    const status = this.node.status();
    const names = new Map(this.options.initialCluster.map((p) => [memberIdOf(p.peerAddress, this.options.initialClusterToken), p.name]));
    const entry = (isLearner: boolean) => (m: Member) => ({
      ID: BigInt(m.id).toString(),
      name: names.get(m.id) ?? '',
      peerURLs: [`http://${m.address}`],
      clientURLs: m.id === this.memberId ? this.boundClientAddresses.map((a) => `http://${a}`) : [],
      isLearner,
    });
    return [...status.members.voters.map(entry(false)), ...status.members.learners.map(entry(true))];
  }

  private async range(r: WireObject): Promise<WireObject> {
    if (r.serializable !== true) await this.linearizable();
    const response = this.machine.store.range(rangeOf(r), rangeOptionsOf(r));
    return wireRangeResponse(response, this.header(response.revision));
  }

  private async leaseGrant(r: WireObject): Promise<WireObject> {
    const requested = BigInt(String(r.ID ?? '0'));
    const id = requested === 0n ? this.leaseIds.next() : requested;
    const ttl = Number(r.TTL ?? 0);
    validateGrant(id, ttl);
    const result = await this.propose({ kind: 'leaseGrant', id, ttlSeconds: ttl });
    if (!result.ok || result.kind !== 'leaseGrant') throw new Error('unexpected result');
    return { header: this.header(result.revision), ID: result.lease.id.toString(), TTL: result.lease.ttlSeconds, error: '' };
  }

  private async leaseTimeToLive(r: WireObject): Promise<WireObject> {
    await this.linearizable();
    const id = BigInt(String(r.ID ?? '0'));
    if (!this.machine.lessor.has(id)) return { header: this.header(), ID: id.toString(), TTL: -1, grantedTTL: 0, keys: [] };
    const keys = r.keys === true ? this.machine.store.keysWithLease(id) : [];
    if (this.node.status().role !== 'leader') {
      const granted = this.machine.lessor.snapshot().leases.find((l) => l.id === id)?.ttlSeconds ?? 0;
      return { header: this.header(), ID: id.toString(), TTL: granted, grantedTTL: granted, keys };
    }
    const ttl = this.machine.lessor.timeToLive(id, false);
    return { header: this.header(), ID: id.toString(), TTL: ttl.ttlSeconds, grantedTTL: ttl.grantedTtlSeconds, keys };
  }

  private leaseKeepAlive(call: grpc.ServerDuplexStream<WireObject, WireObject>): void {
    call.on('data', (request: WireObject) => {
      const id = BigInt(String(request.ID ?? '0'));
      let ttl = 0;
      try {
        if (this.node.status().role !== 'leader') {
          call.destroy(etcdStatus(new EtcdServerError('notLeader')) as unknown as Error);
          return;
        }
        if (this.machine.lessor.has(id)) ttl = this.machine.lessor.renew(id).ttlSeconds;
      } catch {
        ttl = 0;
      }
      call.write({ header: this.header(), ID: id.toString(), TTL: ttl });
    });
    call.on('end', () => call.end());
    call.on('error', () => undefined);
  }

  private watch(call: grpc.ServerDuplexStream<WireObject, WireObject>): void {
    const stream = this.hub.openStream();
    const drain = (): void => {
      for (let response = stream.take(); response !== undefined; response = stream.take()) {
        const fields = watchResponseFields(response);
        const ok = call.write({
          header: this.header(fields.revision),
          watchId: fields.watchId,
          created: fields.created,
          canceled: fields.canceled,
          compactRevision: fields.compactRevision,
          cancelReason: fields.cancelReason,
          fragment: fields.fragment,
          events: fields.events.map(wireEvent),
        });
        if (!ok) {
          call.once('drain', drain);
          return;
        }
      }
    };
    stream.onReadable(() => setImmediate(drain));
    call.on('data', (request: WireObject) => {
      try {
        if (request.createRequest) {
          const c = request.createRequest as WireObject;
          const filters = Array.isArray(c.filters) ? (c.filters as string[]) : [];
          stream.create({
            key: (c.key as Uint8Array | undefined) ?? new Uint8Array(0),
            rangeEnd: (c.rangeEnd as Uint8Array | undefined) ?? new Uint8Array(0),
            startRevision: Number(c.startRevision ?? 0),
            filters: { noPut: filters.includes('NOPUT'), noDelete: filters.includes('NODELETE') },
            prevKv: c.prevKv === true,
            progressNotify: c.progressNotify === true,
            fragment: c.fragment === true,
            watchId: Number(c.watchId ?? 0),
          });
        } else if (request.cancelRequest) {
          stream.cancel(Number((request.cancelRequest as WireObject).watchId ?? 0));
        } else if (request.progressRequest) {
          stream.requestProgress();
        }
        drain();
      } catch (error) {
        call.destroy(etcdStatus(error) as unknown as Error);
      }
    });
    const close = (): void => stream.close();
    call.on('end', () => {
      close();
      call.end();
    });
    call.on('cancelled', close);
    call.on('error', close);
  }
}
