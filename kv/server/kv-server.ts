/**
 * A Balsa KV member: a `RaftNode` (LevelStorage in the data directory, GrpcTransport on
 * the peer URL) applying `KvCommand`s to the `KvStateMachine`, and etcd's v3 gRPC
 * services (`services/*.ts`) on the client URLs. Any member answers any request: writes
 * are proposed (followers forward them to the leader through Raft), linearizable reads
 * wait for a ReadIndex barrier, serializable reads are served from the local state, and
 * what only the leader can answer (membership changes, lease keep-alives and TTLs) is
 * forwarded to the leader's client URL.
 *
 * Once started, a member publishes its name and client URLs through Raft (etcd's
 * publish). The leader also promotes voters being added once they catch up, runs
 * auto-compaction if configured, and expires leases. Where members are reached is Raft's
 * to know (`member update` moves a member there too, through the log).
 */
import { existsSync, mkdirSync } from 'node:fs';
import type { Server as HttpServer } from 'node:http';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { Registry } from 'prom-client';
import { GrpcTransport, LevelStorage, ProposalDroppedError, RaftError, RaftNode } from '../../raft/index.js';
import type { Member, WritableLogStorage } from '../../raft/index.js';
import { LeaseExpiryDriver, LeaseIdGenerator, minimumLeaseTtlSeconds } from '../lease/index.js';
import { grpcChannelCredentials, grpcServerCredentials, readTlsMaterial, tlsServerOptions, TlsFilesError } from '../security/tls-files.js';
import type { TlsMaterial } from '../security/tls-files.js';
import { WatchHub } from '../watch/index.js';
import type { WatchableStore } from '../watch/index.js';
import { AutoCompactor } from './auto-compactor.js';
import { encodeCommand } from './commands.js';
import type { KvCommand } from './commands.js';
import {
  BASE_REQUEST_TIMEOUT_MS,
  GRPC_OVERHEAD_BYTES,
  HPACK_HEADER_TABLE_BYTES,
  MAX_HEADER_BLOCK_BYTES,
  MAX_UNROUTED_BYTES,
  PROMOTE_CHECK_INTERVAL_MS,
  SETTINGS_ACK_TIMEOUT_MS,
} from './constants.js';
import { ETCD_SERVER_PACKAGE, loadEtcdProto } from './etcd-proto.js';
import type { WireObject } from './etcd-proto.js';
import { EtcdServerError, fromRaftError, KvStartError } from './etcd-errors.js';
import { ClientListener } from './http2-front/client-listener.js';
import { handToGrpc } from './http2-front/grpc-handoff.js';
import { KvStateMachine } from './kv-state-machine.js';
import type { CommandResult } from './kv-state-machine.js';
import { LeaderForwarder } from './leader-forwarder.js';
import { DEFAULT_KV_CLIENT_LIMITS, grpcServerLimitOptions } from './limits.js';
import { MemberPublisher } from './member-publisher.js';
import { clusterIdOf, memberIdOf, memberViews } from './members.js';
import type { MemberView } from './members.js';
import { readMemberIdentity, writeMemberIdentity } from './member-identity.js';
import type { MemberIdentity } from './member-identity.js';
import { Membership } from './membership.js';
import { GrpcServerMetrics } from './metrics/grpc-metrics.js';
import { KvMetrics } from './metrics/kv-metrics.js';
import { metricsHttpServer } from './metrics/metrics-endpoint.js';
import { fitsQuota } from './quota.js';
import { fetchRemoteCluster, planJoin } from './remote-cluster.js';
import type { JoinPlan } from './remote-cluster.js';
import type { CommandSuccess, KvServerContext } from './server-context.js';
import type { KvServerOptions } from './server-options.js';
import { authService } from './services/auth-service.js';
import { clusterService } from './services/cluster-service.js';
import { kvService } from './services/kv-service.js';
import { leaseService } from './services/lease-service.js';
import { maintenanceService } from './services/maintenance-service.js';
import { peerServices } from './services/peer-service.js';
import { watchService } from './services/watch-service.js';
import { testingKnobWarnings, withSyncDelay } from './testing-knobs.js';
import { MuxServer } from '../grpc-mux/index.js';

export { ETCD_API_VERSION } from './constants.js';
export { clusterIdOf, memberIdOf } from './members.js';
export type { KvPeer, KvServerOptions } from './server-options.js';

/** Where a member tells what goes wrong (`balsa kv serve` and `balsa server` log it; default stderr). */
export interface KvServerLog {
  readonly warn: (line: string) => void;
  readonly error: (line: string) => void;
}

const CONSOLE_LOG: KvServerLog = { warn: (line) => console.error(line), error: (line) => console.error(line) };

/** How long `/health` waits for its linearizable read (etcd's one second). */
const HEALTH_READ_TIMEOUT_MS = 1_000;
/** How long `stop()` lets the gRPC server finish the calls in progress before it cuts them. */
const SHUTDOWN_GRACE_MS = 1000;

/** A removed leader stops this long after Raft applied its removal: long enough for its answer to go out. */
const REMOVED_STOP_DELAY_MS = 500;

/** Proposals Raft dropped without appending them (so safe to retry) for a reason that passes. */
const TRANSIENT_DROPS: ReadonlySet<string> = new Set(['no-leader', 'leadership-transfer', 'conf-change-pending']);

export class KvServer implements KvServerContext {
  readonly memberId: number;
  readonly machine: KvStateMachine;
  readonly node: RaftNode<CommandResult>;
  readonly hub: WatchHub;
  readonly leaseIds: LeaseIdGenerator;
  readonly forwarder: LeaderForwarder;
  readonly requestTimeoutMs: number;
  /** Resolves once the server has stopped (by `stop()`, or after its removal from the cluster). */
  readonly stopped: Promise<void>;
  /** The member's Prometheus series (`metrics/`), on `options.metricsRegistry` or a registry of its own. */
  readonly metrics: KvMetrics;
  private readonly grpcMetrics: GrpcServerMetrics;
  /** Balsa's clients' unary calls, carried on one stream per client (`kv/grpc-mux/`). */
  private readonly mux = new MuxServer();
  /** Answers the client URLs' HTTP/1.1 connections: `GET /metrics`. */
  private readonly metricsServer: HttpServer;
  private pendingProposals = 0;
  private readonly grpcServer: grpc.Server;
  private readonly expiry: LeaseExpiryDriver;
  private readonly membership: Membership;
  private readonly publisher: MemberPublisher;
  private readonly compactor: AutoCompactor | null;
  /** The cluster id this member computes from its initial cluster, until the replicated one is known. */
  private readonly initialClusterId: bigint;
  private promoter: NodeJS.Timeout | null = null;
  private removalTimer: NodeJS.Timeout | null = null;
  /** One per client URL: the front every client connection passes through. */
  private readonly listeners: ClientListener[] = [];
  private stopping = false;
  private resolveStopped!: () => void;

  private constructor(
    readonly options: KvServerOptions,
    storage: WritableLogStorage,
    identity: MemberIdentity,
    join: JoinPlan | null,
    private readonly tls: MemberTls,
    private readonly log: KvServerLog,
  ) {
    this.memberId = identity.id;
    this.initialClusterId = identity.clusterId;
    this.requestTimeoutMs = BASE_REQUEST_TIMEOUT_MS + 2 * options.electionTicks * options.tickMs;
    this.stopped = new Promise((resolve) => (this.resolveStopped = resolve));
    const minLeaseTtlSeconds = minimumLeaseTtlSeconds(options.electionTicks, options.tickMs);
    this.machine = new KvStateMachine({ now: () => Date.now(), minLeaseTtlSeconds, leaseCheckpointIntervalMs: options.leaseCheckpointIntervalMs ?? 0,
      ...(options.authTokenTtlSeconds === undefined ? {} : { authTokenTtlMs: options.authTokenTtlSeconds * 1000 }),
    });
    this.leaseIds = new LeaseIdGenerator(this.memberId, Date.now());
    const registry = options.metricsRegistry ?? new Registry();
    this.metrics = new KvMetrics(registry);
    this.grpcMetrics = new GrpcServerMetrics(registry);
    this.metricsServer = metricsHttpServer(registry, () => this.healthy());
    // A joining member reaches the others until the log tells it the membership. (A new
    // cluster's members are bootstrapped from this list; a restarted member ignores it.)
    const members: readonly Member[] =
      join?.peers ?? options.initialCluster.map((peer) => ({ id: memberIdOf(peer.peerAddress, identity.clusterToken), address: peer.peerAddress }));
    const transport = new GrpcTransport({
      id: this.memberId,
      listen: options.peerListenAddress ?? options.peerAddress,
      cluster: identity.clusterId.toString(16),
      services: peerServices(this),
      ...(tls.peer === undefined ? {} : { credentials: { server: grpcServerCredentials(tls.peer), channel: grpcChannelCredentials(tls.peer) } }),
    });
    this.node = new RaftNode<CommandResult>({
      id: this.memberId,
      storage,
      transport,
      stateMachine: this.machine,
      members,
      join: join !== null,
      tickMs: options.tickMs,
      electionTicks: options.electionTicks,
      snapshotEveryEntries: options.snapshotCount,
      ...(options.snapshotCatchUpEntries === undefined ? {} : { raft: { snapshotTrailingEntries: options.snapshotCatchUpEntries } }),
      requestTimeoutMs: this.requestTimeoutMs,
      metrics: this.metrics.raft,
    });
    const limits = options.clientLimits ?? DEFAULT_KV_CLIENT_LIMITS;
    this.hub = new WatchHub(this.watchableStore(), { maxResponseBytes: options.maxRequestBytes, maxWatchersPerStream: limits.maxWatchersPerStream });
    this.metrics.observe({
      raftStatus: () => this.node.status(),
      pendingProposals: () => this.pendingProposals,
      watchStreams: () => this.hub.streamCount,
      watchers: () => this.hub.watcherCount,
      dbSizeBytes: () => this.machine.store.sizeBytes(),
      currentRevision: () => this.machine.store.revision,
      compactRevision: () => this.machine.store.compactRevision(),
    });
    this.machine.onRestore(() => this.hub.storeRestored());
    this.machine.onMemberChanged((id) => {
      if (id === this.memberId && this.machine.removedMemberIds.has(id)) this.onRemovalRecorded();
    });
    this.expiry = new LeaseExpiryDriver({
      lessor: this.machine.lessor,
      revoke: (ids) => {
        for (const id of ids) void this.propose({ kind: 'leaseRevoke', id }).catch(() => undefined);
      },
      checkpoint: (checkpoints) => void this.propose({ kind: 'leaseCheckpoint', checkpoints }).catch(() => undefined),
    });
    this.forwarder = new LeaderForwarder(this.memberId, tls.client);
    this.membership = new Membership(this);
    this.publisher = new MemberPublisher(() => this.propose(this.attributes()));
    const policy = options.autoCompaction;
    this.compactor =
      policy === undefined || policy.mode === 'off'
        ? null
        : new AutoCompactor({
            policy,
            currentRevision: () => this.machine.store.revision,
            compactRevision: () => this.machine.store.compactRevision(),
            isLeader: () => this.isLeader(),
            compact: async (revision) => {
              await this.propose({ kind: 'compact', revision });
            },
            ...(options.autoCompactionCheckIntervalMs === undefined ? {} : { checkIntervalMs: options.autoCompactionCheckIntervalMs }),
          });
    this.grpcServer = new grpc.Server({
      'grpc.max_receive_message_length': options.maxRequestBytes + GRPC_OVERHEAD_BYTES,
      'grpc.max_send_message_length': 2 ** 31 - 1,
      // Per-call statistics for a channelz service Balsa does not serve: a cost on every call.
      'grpc.enable_channelz': 0,
      ...grpcServerLimitOptions(limits),
    });
  }

  /**
   * Start a member on its data directory: the member it holds (whatever the initial
   * cluster flags say, as etcd ignores them then), else a new member of a new cluster, or
   * one joining an existing cluster, which must have been added with `member add`: else
   * this throws `KvStartError` with etcd's complaint, having written nothing.
   */
  static async start(options: KvServerOptions, log: KvServerLog = CONSOLE_LOG): Promise<KvServer> {
    const warn = log.warn;
    const tls = readMemberTls(options);
    const fresh = !existsSync(join(options.dataDir, MEMBER_DIR));
    let plan: JoinPlan | null = null;
    if (fresh && options.initialClusterState === 'existing') {
      const credentials = tls.peer === undefined ? grpc.credentials.createInsecure() : grpcChannelCredentials(tls.peer);
      const remote = await fetchRemoteCluster(options.initialCluster, options.name, (line) => warn(`balsa kv ${options.name}: ${line}`), credentials);
      plan = planJoin(options.initialCluster, options.name, remote);
    }
    mkdirSync(options.dataDir, { recursive: true });
    const identity = identityOf(options, fresh, plan);
    for (const warning of testingKnobWarnings(options.testing)) warn(`balsa kv ${options.name}: warning: ${warning}`);
    const storage = withSyncDelay(await LevelStorage.open({ dir: join(options.dataDir, MEMBER_DIR) }), options.testing, options.dataDir);
    // The member's own token, whatever the flag says now: new members' ids are computed with it.
    const server = new KvServer({ ...options, initialClusterToken: identity.clusterToken }, storage, identity, plan, tls, log);
    server.node.on('leader-change', ({ leader, term }) => {
      if (leader !== 0) server.metrics.leaderChanged();
      if (leader === server.memberId) void server.promoteLessor(term);
      else server.machine.lessor.demote();
    });
    server.node.on('error', (error) => {
      log.error(`balsa kv ${options.name}: stopping after a fatal error: ${error.message}`);
      void server.stop();
    });
    server.node.on('removed', () => server.stopRemoved(REMOVED_STOP_DELAY_MS));
    await server.node.start();
    server.expiry.start();
    server.addServices();
    try {
      await server.listenForClients();
    } catch (error) {
      await server.stop();
      throw error;
    }
    server.publisher.start();
    server.promoter = setInterval(() => {
      void server.membership.promoteCaughtUp();
      void server.membership.syncAddresses();
    }, PROMOTE_CHECK_INTERVAL_MS);
    server.compactor?.start();
    return server;
  }

  /** host:port the client API is bound to (plain text first, then TLS). */
  get clientAddresses(): readonly string[] {
    return this.listeners.map((listener) => listener.address);
  }

  /** The bound client API as URLs: `http://host:port`, or `https://` where it serves TLS. */
  get clientUrls(): readonly string[] {
    const plain = this.options.clientAddresses.length;
    return this.listeners.map((listener, i) => `${i < plain ? 'http' : 'https'}://${listener.address}`);
  }

  async stop(): Promise<void> {
    if (this.stopping) return this.stopped;
    this.stopping = true;
    if (this.removalTimer !== null) clearTimeout(this.removalTimer);
    this.publisher.stop();
    this.compactor?.stop();
    if (this.promoter !== null) clearInterval(this.promoter);
    this.expiry.stop();
    this.hub.close();
    this.forwarder.close();
    this.mux.close();
    const listenersClosed = Promise.all(this.listeners.map((listener) => listener.close()));
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        this.grpcServer.forceShutdown();
        resolve();
      }, SHUTDOWN_GRACE_MS);
      this.grpcServer.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
    for (const listener of this.listeners) listener.destroyConnections();
    await listenersClosed;
    await this.node.stop();
    this.resolveStopped();
  }

  // ---- KvServerContext ----

  header(revision: number = this.machine.store.revision): WireObject {
    return {
      clusterId: this.clusterId().toString(),
      memberId: BigInt(this.memberId).toString(),
      revision,
      raftTerm: this.node.currentTerm(),
    };
  }

  /** The replicated cluster id, or the one computed from the initial cluster until it is known. */
  clusterId(): bigint {
    return this.machine.clusterId ?? this.initialClusterId;
  }

  async propose(command: KvCommand): Promise<CommandSuccess> {
    const data = encodeCommand(command);
    if (data.byteLength > this.options.maxRequestBytes) throw new EtcdServerError('requestTooLarge');
    this.pendingProposals++;
    try {
      return await this.proposeCounted(data);
    } catch (error) {
      this.metrics.proposalFailed();
      throw error;
    } finally {
      this.pendingProposals--;
    }
  }

  private async proposeCounted(data: Uint8Array): Promise<CommandSuccess> {
    const deadline = Date.now() + this.requestTimeoutMs;
    let result: CommandResult;
    for (;;) {
      await this.waitForLeader(deadline);
      try {
        result = await this.node.propose(data);
        break;
      } catch (error) {
        // Nothing was appended: wait for the leader to settle and try again.
        if (error instanceof ProposalDroppedError && TRANSIENT_DROPS.has(error.reason) && Date.now() + this.options.tickMs < deadline) {
          await sleep(this.options.tickMs);
          continue;
        }
        throw error instanceof RaftError ? fromRaftError(error) : error;
      }
    }
    if (!result.ok) throw new EtcdServerError('applied', result.failure);
    return result;
  }

  async linearizable(): Promise<void> {
    // A testing knob (testing-knobs.ts) that breaks linearizability on purpose.
    if (this.options.testing?.unsafeFollowerReads === true && !this.isLeader()) return;
    try {
      await this.node.read();
    } catch (error) {
      throw error instanceof RaftError ? fromRaftError(error) : error;
    }
  }

  async waitForLeader(deadlineMs: number): Promise<number> {
    for (;;) {
      if (this.stopping) throw new EtcdServerError('stopped');
      const leader = this.node.currentLeader();
      if (leader !== 0) return leader;
      if (Date.now() + this.options.tickMs > deadlineMs) throw new EtcdServerError('timeout');
      await sleep(this.options.tickMs);
    }
  }

  async leaderClientUrl(deadlineMs: number): Promise<string> {
    for (;;) {
      const leader = await this.waitForLeader(deadlineMs);
      const url = this.machine.members.get(leader)?.clientUrls[0];
      if (url !== undefined) return url;
      // The leader has not published its client URLs yet.
      if (Date.now() + this.options.tickMs > deadlineMs) throw new EtcdServerError('timeout');
      await sleep(this.options.tickMs);
    }
  }

  isLeader(): boolean {
    return this.node.currentRole() === 'leader';
  }

  isLearner(): boolean {
    const raftLearner = this.node.isLearner();
    return raftLearner && (this.machine.members.get(this.memberId)?.learner ?? true);
  }

  members(): MemberView[] {
    return memberViews(this.node.status(), this.machine.members);
  }

  async checkQuota(cost: number): Promise<void> {
    if (cost === 0) return;
    if (this.machine.hasNoSpaceAlarm()) throw new EtcdServerError('noSpace');
    if (fitsQuota(this.machine.store.sizeBytes(), cost, this.options.quotaBackendBytes)) return;
    await this.propose({ kind: 'alarm', action: 'activate', memberId: BigInt(this.memberId), alarm: 'NOSPACE' }).catch(() => undefined);
    throw new EtcdServerError('noSpace');
  }

  // ---- Plumbing ----

  /**
   * This member leads `term`: its lessor decides expiry from now on, once this member has
   * applied everything committed before its term (a read barrier on a new leader waits for
   * its first entry to commit). Earlier, the leases' deadlines would come from a state
   * missing the latest grants and checkpoints: after a restart, replaying the log lags
   * behind the election, and a lease promoted from its snapshot's remaining TTL would not
   * see the checkpoints after it.
   */
  private async promoteLessor(term: number): Promise<void> {
    const stillLeading = () => !this.stopping && this.node.currentLeader() === this.memberId && this.node.currentTerm() === term;
    while (stillLeading()) {
      try {
        await this.node.read();
      } catch {
        await sleep(this.options.tickMs);
        continue;
      }
      if (stillLeading() && !this.machine.lessor.isPrimary()) this.machine.lessor.promote(this.options.electionTicks * this.options.tickMs);
      return;
    }
  }

  /**
   * Our removal was recorded: Raft removes us next. A removed follower may never hear that
   * its removal committed (the leader stops talking to it), so it stops after a request
   * timeout; the leader, which proposes the removal, stops when Raft says it is done.
   */
  private onRemovalRecorded(): void {
    if (this.isLeader()) return;
    this.stopRemoved(this.requestTimeoutMs);
  }

  private stopRemoved(delayMs: number): void {
    if (this.stopping || this.removalTimer !== null) return;
    this.log.warn(`balsa kv ${this.options.name}: the member has been permanently removed from the cluster; stopping`);
    this.removalTimer = setTimeout(() => void this.stop(), delayMs);
  }

  /** What this member publishes about itself. */
  private attributes(): KvCommand {
    const advertised = this.options.advertiseClientUrls ?? this.clientUrls;
    return {
      kind: 'memberAttributes',
      id: this.memberId,
      name: this.options.name,
      clientUrls: [...advertised],
      peerUrls: [...(this.options.peerUrls ?? [`${this.tls.peer === undefined ? 'http' : 'https'}://${this.options.peerAddress}`])],
      clusterId: this.options.initialClusterState === 'new' ? this.initialClusterId.toString() : null,
    };
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

  /**
   * Bind each client URL. A connection goes to the gRPC server (by its connection injector)
   * as it is, or, if its first request needs it, through the HTTP/2 front, which mends the
   * authority etcdctl sends with a scheme (`http2-front/`).
   */
  private async listenForClients(): Promise<void> {
    const injector = this.grpcServer.createConnectionInjector(grpc.ServerCredentials.createInsecure());
    const front = {
      maxHeaderBlockBytes: MAX_HEADER_BLOCK_BYTES,
      headerTableBytes: HPACK_HEADER_TABLE_BYTES,
      ackTimeoutMs: SETTINGS_ACK_TIMEOUT_MS,
      maxUnroutedBytes: MAX_UNROUTED_BYTES,
    };
    const accept = handToGrpc(injector, front, undefined, (socket) => {
      this.metricsServer.emit('connection', socket);
      socket.resume();
    });
    for (const address of this.options.clientAddresses) this.listeners.push(await ClientListener.listen(address, accept));
    const secure = this.tls.client === undefined ? undefined : tlsServerOptions(this.tls.client);
    const rejected = (line: string) => console.error(`balsa kv ${this.options.name}: ${line}`);
    for (const address of this.options.secureClientAddresses ?? []) this.listeners.push(await ClientListener.listen(address, accept, secure, rejected));
    // `--listen-metrics-urls`: HTTP/1.1 alone, to the metrics server.
    const toMetrics = (socket: Socket): void => void this.metricsServer.emit('connection', socket);
    for (const address of this.options.metricsAddresses ?? []) this.listeners.push(await ClientListener.listen(address, toMetrics));
    const secureMetrics = this.tls.client === undefined ? undefined : { ...tlsServerOptions(this.tls.client), ALPNProtocols: ['http/1.1'] };
    for (const address of this.options.secureMetricsAddresses ?? []) this.listeners.push(await ClientListener.listen(address, toMetrics, secureMetrics, rejected));
  }

  /**
   * etcd 3.4's `/health`: no alarm raised, a leader known, and a linearizable read answered
   * within `HEALTH_READ_TIMEOUT_MS`.
   */
  private async healthy(): Promise<boolean> {
    if (this.stopping || this.machine.alarms.length > 0 || this.node.currentLeader() === 0) return false;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), HEALTH_READ_TIMEOUT_MS)));
    try {
      return await Promise.race([this.linearizable().then(() => true, () => false), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private addServices(): void {
    const { services } = loadEtcdProto();
    const add = (name: keyof typeof services, implementation: grpc.UntypedServiceImplementation): void => {
      const definition = services[name];
      const instrumented = this.grpcMetrics.instrumentService(`${ETCD_SERVER_PACKAGE}.${name}`, definition, implementation);
      this.grpcServer.addService(definition, instrumented);
      this.mux.register(definition, instrumented);
    };
    this.mux.addTo(this.grpcServer);
    add('KV', kvService(this));
    add('Watch', watchService(this));
    add('Lease', leaseService(this));
    add('Cluster', clusterService(this, this.membership));
    add('Maintenance', maintenanceService(this));
    add('Auth', authService(this));
  }
}

/** A member's TLS material, read once at start. */
interface MemberTls {
  readonly client: TlsMaterial | undefined;
  readonly peer: TlsMaterial | undefined;
}

/** Reads the TLS files; a file that cannot be read is a `KvStartError` (nothing started). */
function readMemberTls(options: KvServerOptions): MemberTls {
  if ((options.secureClientAddresses ?? []).length > 0 && options.clientTls === undefined) {
    throw new KvStartError('TLS_FILES', 'TLS key/cert (--cert-file, --key-file) must be provided for a client URL with HTTPS scheme');
  }
  try {
    return {
      client: options.clientTls === undefined ? undefined : readTlsMaterial(options.clientTls),
      peer: options.peerTls === undefined ? undefined : readTlsMaterial(options.peerTls),
    };
  } catch (error) {
    if (error instanceof TlsFilesError) throw new KvStartError('TLS_FILES', error.message);
    throw error;
  }
}

/** The Raft storage, in the data directory: once it exists, the directory holds a member. */
const MEMBER_DIR = 'member';

/**
 * Who this member is: a new one is who its flags (or, joining, the cluster) say, recorded
 * in the data directory; an existing one is who the data directory says.
 */
function identityOf(options: KvServerOptions, fresh: boolean, plan: JoinPlan | null): MemberIdentity {
  const token = options.initialClusterToken;
  const fromFlags = {
    id: memberIdOf(options.peerAddress, token),
    clusterId: clusterIdOf(
      options.initialCluster.map((p) => p.peerAddress),
      token,
    ),
    clusterToken: token,
  };
  if (fresh) return writeMemberIdentity(options.dataDir, plan === null ? fromFlags : { id: plan.memberId, clusterId: plan.clusterId, clusterToken: token });
  return readMemberIdentity(options.dataDir, fromFlags) ?? writeMemberIdentity(options.dataDir, fromFlags);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
