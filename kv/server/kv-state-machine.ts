/**
 * The KV's replicated state machine: the MVCC store, the leases, the alarms and the member
 * records, changed only by applying `KvCommand`s in log order. A command the data refuses
 * (a compacted revision, an unknown lease) is a result carrying etcd's error, the same on
 * every member, not a failure of the node.
 *
 * Alarms refuse commands, as etcd's appliers do; alarms are replicated, so every member
 * refuses the same commands:
 * - While a CORRUPT alarm is active, every command that would change the data — a put, a
 *   delete, a transaction that is not read-only, a compaction, a lease grant or revoke —
 *   is refused with etcd's "corrupt cluster" (etcd's corrupt applier; reads, which etcd
 *   serves without its applier, still answer, and so does a read-only transaction).
 *   Checkpoints, alarm and member changes still apply, so that the alarm can be disarmed.
 * - While a NOSPACE alarm is active, writes that would grow the store (a put, a
 *   transaction with a put on either branch, a lease grant) are refused with etcd's
 *   "database space exceeded"; deletes, compactions, revokes and alarm changes still
 *   apply (etcd's capped applier).
 *
 * The auth store (`kv/auth`) is replicated here too. Once auth is on, a client's put,
 * delete, transaction (every compare and operation, on both branches) and lease
 * revocation is checked against its user's permissions when applied, before the alarms:
 * a refused command changes nothing and answers etcd's error on every member alike. An
 * `Authenticate` entry assigns its token on every member that applies it (`tokens`,
 * not replicated state: see `kv/auth/token-store.ts`).
 */
import { pack, unpack } from 'msgpackr';
import { concatInSteps, nextTurn } from '../../raft/index.js';
import type { AppliedEntry, StateMachine } from '../../raft/index.js';
import { AuthStore, DEFAULT_AUTH_TOKEN_TTL_SECONDS, TokenStore } from '../auth/index.js';
import type { AuthEffect, AuthSnapshot } from '../auth/index.js';
import { decodeLessorSnapshot, encodeLessorSnapshot, Lessor } from '../lease/index.js';
import type { GrantedLease } from '../lease/index.js';
import { MvccStore } from '../mvcc/index.js';
import type { DeleteRangeResponse, Op, PutResponse, TxnRequest, TxnResponse } from '../mvcc/requests.js';
import type { RevisionChanges } from '../mvcc/types.js';
import { decodeCommand } from './commands.js';
import type { AlarmType, KvCommand, MemberCommandKind, Requester } from './commands.js';
import { etcdFailure } from './etcd-errors.js';
import type { EtcdFailure } from './etcd-errors.js';

export type { EtcdFailure } from './etcd-errors.js';

export type CommandResult =
  | { readonly ok: true; readonly kind: 'put'; readonly response: PutResponse }
  | { readonly ok: true; readonly kind: 'deleteRange'; readonly response: DeleteRangeResponse }
  | { readonly ok: true; readonly kind: 'txn'; readonly response: TxnResponse }
  | { readonly ok: true; readonly kind: 'compact' | 'leaseCheckpoint' | 'member'; readonly revision: number }
  /** `alarms`: the alarm the command activated or deactivated; empty when it changed nothing (etcd's answer). */
  | { readonly ok: true; readonly kind: 'alarm'; readonly alarms: readonly ActiveAlarm[]; readonly revision: number }
  | { readonly ok: true; readonly kind: 'leaseGrant'; readonly lease: GrantedLease; readonly revision: number }
  | { readonly ok: true; readonly kind: 'leaseRevoke'; readonly revision: number }
  /** `token`: the one an `authenticate` assigned; null for the other auth changes. */
  | { readonly ok: true; readonly kind: 'auth'; readonly token: string | null; readonly revision: number }
  | { readonly ok: false; readonly failure: EtcdFailure; readonly revision: number };

export interface ActiveAlarm {
  readonly memberId: bigint;
  readonly alarm: AlarmType;
}

/** What the cluster knows of a member beside Raft's configuration (etcd's member attributes). */
export interface MemberRecord {
  readonly id: number;
  /** Empty until the member has started and published it. */
  readonly name: string;
  readonly peerUrls: readonly string[];
  /** Empty until the member has started and published them. */
  readonly clientUrls: readonly string[];
  /** Added with `--learner` and not promoted since. A voter being added is a Raft learner until it catches up, but not a learner here. */
  readonly learner: boolean;
}

export interface KvStateMachineOptions {
  /** The leader's clock for lease deadlines, in ms. */
  readonly now: () => number;
  readonly minLeaseTtlSeconds: number;
  /** How often the leader checkpoints leases' remaining TTLs, in ms; 0 or absent: never (etcd's default). */
  readonly leaseCheckpointIntervalMs?: number;
  /** How long an unused auth token lives (`--auth-token-ttl`), in ms; default etcd's 300 s. */
  readonly authTokenTtlMs?: number;
}

/** Something an error thrown by the store or the lessor carries when it is etcd's. */
interface EtcdError {
  readonly grpcCode: number;
  readonly message: string;
}

export class KvStateMachine implements StateMachine<CommandResult> {
  store: MvccStore;
  readonly lessor: Lessor;
  readonly auth = new AuthStore();
  /** This member's live auth tokens (not replicated state). */
  readonly tokens: TokenStore;
  alarms: ActiveAlarm[] = [];
  /** Member records by id (members of Raft's configuration, and some no longer in it until removed). */
  members = new Map<number, MemberRecord>();
  /** Ids of removed members: never reused. */
  removedMemberIds = new Set<number>();
  /** The cluster's id, once a member of the initial cluster has published it. */
  clusterId: bigint | null = null;
  private readonly changeListeners = new Set<(changes: RevisionChanges) => void>();
  private readonly restoreListeners = new Set<() => void>();
  private readonly memberListeners = new Set<(id: number) => void>();
  private unsubscribe: () => void;

  constructor(options: KvStateMachineOptions) {
    this.lessor = new Lessor({
      now: options.now,
      minTtlSeconds: options.minLeaseTtlSeconds,
      checkpointIntervalMs: options.leaseCheckpointIntervalMs ?? 0,
    });
    this.tokens = new TokenStore({ now: options.now, ttlMs: options.authTokenTtlMs ?? DEFAULT_AUTH_TOKEN_TTL_SECONDS * 1000 });
    this.store = this.newStore();
    this.unsubscribe = this.store.onChanges((changes) => this.emitChanges(changes));
  }

  apply(entries: readonly AppliedEntry[]): CommandResult[] {
    return entries.map((entry) => this.applyCommand(decodeCommand(entry.data), entry.index));
  }

  /**
   * The whole state as of the call. The store, which may be large, is encoded a step at a
   * time between turns of the event loop (a member that encoded hundreds of thousands of
   * records at once missed its heartbeats); the rest is small and taken at once.
   */
  async snapshot(): Promise<Uint8Array> {
    const storeParts = this.store.snapshotInSteps(nextTurn);
    const rest: Record<string, unknown> = {
      lessor: encodeLessorSnapshot(this.lessor.snapshot()),
      alarms: this.alarms.map((a) => ({ memberId: a.memberId.toString(), alarm: a.alarm })),
      members: [...this.members.values()].sort((a, b) => a.id - b.id),
      removedMemberIds: [...this.removedMemberIds].sort((a, b) => a - b),
      clusterId: this.clusterId === null ? null : this.clusterId.toString(),
      auth: this.auth.snapshot(),
    };
    // The msgpack map `{ store: <bytes>, ...rest }` (what `restore` unpacks), written out
    // so that the store's bytes are copied once, in steps, not packed again in one go.
    const parts = await storeParts;
    const storeBytes = parts.reduce((total, part) => total + part.byteLength, 0);
    const entries = Object.entries(rest).flatMap(([key, value]) => [pack(key), pack(value)]);
    return concatInSteps([mapHeader(1 + entries.length / 2), pack('store'), binHeader(storeBytes), ...parts, ...entries], nextTurn);
  }

  restore(data: Uint8Array): void {
    const state = unpack(data) as {
      store: Uint8Array;
      lessor: Uint8Array;
      alarms: { memberId: string; alarm: AlarmType }[];
      // Absent from snapshots taken before members were replicated.
      members?: MemberRecord[];
      removedMemberIds?: number[];
      clusterId?: string | null;
      // Absent from snapshots taken before auth was replicated.
      auth?: AuthSnapshot;
    };
    this.lessor.restore(decodeLessorSnapshot(state.lessor));
    this.unsubscribe();
    this.store.close();
    this.store = MvccStore.restore(state.store, { leaseExists: (id) => this.lessor.has(id) });
    this.unsubscribe = this.store.onChanges((changes) => this.emitChanges(changes));
    this.alarms = state.alarms.map((a) => ({ memberId: BigInt(a.memberId), alarm: a.alarm }));
    this.members = new Map((state.members ?? []).map((m) => [m.id, m]));
    this.removedMemberIds = new Set(state.removedMemberIds ?? []);
    this.clusterId = state.clusterId === undefined || state.clusterId === null ? null : BigInt(state.clusterId);
    this.auth.restore(state.auth);
    for (const listener of this.restoreListeners) listener();
  }

  /** New revisions, as the store makes them (across restores). */
  onChanges(listener: (changes: RevisionChanges) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** A member's record changed (added, updated, published, promoted, removed). Not called on restore. */
  onMemberChanged(listener: (id: number) => void): () => void {
    this.memberListeners.add(listener);
    return () => this.memberListeners.delete(listener);
  }

  /** Whether a NOSPACE alarm is active (writes that grow the store are refused). */
  hasNoSpaceAlarm(): boolean {
    return this.alarms.some((a) => a.alarm === 'NOSPACE');
  }

  /** The whole state was replaced by a snapshot. */
  onRestore(listener: () => void): () => void {
    this.restoreListeners.add(listener);
    return () => this.restoreListeners.delete(listener);
  }

  private applyCommand(command: KvCommand, index: number): CommandResult {
    try {
      return this.execute(command, index);
    } catch (error) {
      if (isEtcdError(error)) return { ok: false, failure: { grpcCode: error.grpcCode, message: error.message }, revision: this.store.revision };
      throw error;
    }
  }

  private execute(command: KvCommand, index: number): CommandResult {
    this.checkPermissions(command);
    const refusal = this.alarmRefusal(command);
    if (refusal !== null) return { ok: false, failure: etcdFailure(refusal), revision: this.store.revision };
    switch (command.kind) {
      case 'put':
        return { ok: true, kind: 'put', response: this.store.put(command.request) };
      case 'deleteRange':
        return { ok: true, kind: 'deleteRange', response: this.store.deleteRange(command.request) };
      case 'txn':
        return { ok: true, kind: 'txn', response: this.store.txn(command.request) };
      case 'compact':
        this.store.compact(command.revision);
        return { ok: true, kind: 'compact', revision: this.store.revision };
      case 'leaseGrant': {
        const lease = this.lessor.grant(command.id, command.ttlSeconds);
        return { ok: true, kind: 'leaseGrant', lease, revision: this.store.revision };
      }
      case 'leaseRevoke': {
        this.lessor.revoke(command.id);
        // The store keeps which keys hold which lease: they go in one revision.
        this.store.deleteKeysOfLease(command.id);
        return { ok: true, kind: 'leaseRevoke', revision: this.store.revision };
      }
      case 'leaseCheckpoint':
        for (const { id, remainingTtlSeconds } of command.checkpoints) if (this.lessor.has(id)) this.lessor.checkpoint(id, remainingTtlSeconds);
        return { ok: true, kind: 'leaseCheckpoint', revision: this.store.revision };
      case 'alarm':
        return { ok: true, kind: 'alarm', alarms: this.applyAlarm(command), revision: this.store.revision };
      case 'auth': {
        const effect = this.auth.apply(command.request, command.requester.user, index);
        return { ok: true, kind: 'auth', token: this.applyAuthEffect(effect), revision: this.store.revision };
      }
      case 'memberAdd':
      case 'memberRemove':
      case 'memberUpdate':
      case 'memberPromote':
      case 'memberAttributes':
        this.applyMember(command);
        return { ok: true, kind: 'member', revision: this.store.revision };
      default: {
        const unknown: never = command;
        throw new Error(`unknown KV command ${JSON.stringify(unknown)}`);
      }
    }
  }

  /** Whether a CORRUPT alarm is active (commands that change the data are refused). */
  hasCorruptAlarm(): boolean {
    return this.alarms.some((a) => a.alarm === 'CORRUPT');
  }

  /** The error an active alarm refuses `command` with, if one does. */
  private alarmRefusal(command: KvCommand): 'corrupt' | 'noSpace' | null {
    if (this.hasCorruptAlarm() && changesData(command)) return 'corrupt';
    // etcd refuses what costs quota.
    const costs = command.kind === 'put' || command.kind === 'leaseGrant' || (command.kind === 'txn' && txnHas(command.request, ['put']));
    if (this.hasNoSpaceAlarm() && costs) return 'noSpace';
    return null;
  }

  /**
   * Refuses (etcd's auth errors) a client's command its user may not run. etcd's rules:
   * a put needs write on its key, and read too to return the previous value; with a lease,
   * write on every key the lease holds already (else the user could attach a key to a
   * lease it cannot revoke); a delete needs write on its range (and read for prev_kv); a
   * transaction needs read on every compare's range and what each operation of both
   * branches needs; a lease revocation needs write on every key the lease holds.
   */
  private checkPermissions(command: KvCommand): void {
    if (!this.auth.isEnabled || command.kind === 'auth') return;
    const requester: Requester | undefined = 'requester' in command ? command.requester : undefined;
    if (requester === undefined) return;
    const user = requester.user;
    const check = (access: 'read' | 'write', key: Uint8Array, end: Uint8Array = EMPTY) => this.auth.checkAccess(user, access, key, end);
    const leaseKeys = (lease: bigint) => {
      if (lease !== 0n && this.lessor.has(lease)) for (const key of this.store.keysWithLease(lease)) check('write', key);
    };
    const op = (o: Op): void => {
      switch (o.op) {
        case 'range':
          check('read', o.range.key, o.range.end);
          return;
        case 'put':
          check('write', o.key);
          if (o.prevKv) check('read', o.key);
          leaseKeys(o.lease ?? 0n);
          return;
        case 'deleteRange':
          check('write', o.range.key, o.range.end);
          if (o.prevKv) check('read', o.range.key, o.range.end);
          return;
        case 'txn':
          txn(o);
          return;
        default: {
          const unknown: never = o;
          throw new Error(`unknown op ${JSON.stringify(unknown)}`);
        }
      }
    };
    const txn = (request: TxnRequest): void => {
      for (const compare of request.compare) check('read', compare.range.key, compare.range.end);
      request.success.forEach(op);
      request.failure.forEach(op);
    };
    switch (command.kind) {
      case 'put':
        op({ op: 'put', ...command.request });
        return;
      case 'deleteRange':
        op({ op: 'deleteRange', ...command.request });
        return;
      case 'txn':
        txn(command.request);
        return;
      case 'leaseRevoke':
        leaseKeys(command.id);
        return;
      default:
        return;
    }
  }

  /** Applies an auth change's effect on this member's tokens; the token it assigned, if any. */
  private applyAuthEffect(effect: AuthEffect): string | null {
    switch (effect.kind) {
      case 'none':
        return null;
      case 'tokenAssigned':
        this.tokens.assign(effect.token, effect.user, effect.issuedAtMs);
        return effect.token;
      case 'userTokensVoid':
        this.tokens.revokeUser(effect.user);
        return null;
      case 'allTokensVoid':
        this.tokens.clear();
        return null;
      default: {
        const unknown: never = effect;
        throw new Error(`unknown auth effect ${JSON.stringify(unknown)}`);
      }
    }
  }

  /** What changed: the alarm activated or deactivated, none if it already was so (or NONE). */
  private applyAlarm(command: Extract<KvCommand, { kind: 'alarm' }>): ActiveAlarm[] {
    if (command.alarm === 'NONE') return [];
    const matches = (a: ActiveAlarm) => a.memberId === command.memberId && a.alarm === command.alarm;
    const existing = this.alarms.find(matches);
    if (command.action === 'activate') {
      if (existing !== undefined) return [];
      const alarm = { memberId: command.memberId, alarm: command.alarm };
      this.alarms = [...this.alarms, alarm];
      return [alarm];
    }
    if (existing === undefined) return [];
    this.alarms = this.alarms.filter((a) => !matches(a));
    return [existing];
  }

  private applyMember(command: Extract<KvCommand, { kind: MemberCommandKind }>): void {
    const id = command.id;
    const record = this.members.get(id);
    switch (command.kind) {
      case 'memberAdd':
        this.members.set(id, { id, name: '', peerUrls: [...command.peerUrls], clientUrls: [], learner: command.learner });
        break;
      case 'memberRemove':
        this.members.delete(id);
        this.removedMemberIds.add(id);
        break;
      case 'memberUpdate':
        if (record === undefined) return;
        this.members.set(id, { ...record, peerUrls: [...command.peerUrls] });
        break;
      case 'memberPromote':
        if (record === undefined) return;
        this.members.set(id, { ...record, learner: false });
        break;
      case 'memberAttributes':
        // A removed member that publishes late does not come back.
        if (this.removedMemberIds.has(id)) return;
        if (this.clusterId === null && command.clusterId !== null) this.clusterId = BigInt(command.clusterId);
        this.members.set(id, {
          id,
          name: command.name,
          clientUrls: [...command.clientUrls],
          peerUrls: record !== undefined && record.peerUrls.length > 0 ? record.peerUrls : [...command.peerUrls],
          learner: record?.learner ?? false,
        });
        break;
      default: {
        const unknown: never = command;
        throw new Error(`unknown member command ${JSON.stringify(unknown)}`);
      }
    }
    for (const listener of this.memberListeners) listener(id);
  }

  private newStore(): MvccStore {
    return new MvccStore({ leaseExists: (id) => this.lessor.has(id) });
  }

  private emitChanges(changes: RevisionChanges): void {
    for (const listener of this.changeListeners) listener(changes);
  }
}

/** Whether a transaction holds an operation of one of `kinds` on either branch, nested ones included. */
/** msgpack's header of a map of `size` entries (fewer than 16 here). */
function mapHeader(size: number): Uint8Array {
  return Uint8Array.of(0x80 | size);
}

/** msgpack's bin 32 header: `length` bytes follow. */
function binHeader(length: number): Uint8Array {
  return Uint8Array.of(0xc6, length >>> 24, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff);
}

function txnHas(request: TxnRequest, kinds: readonly Op['op'][]): boolean {
  const has = (op: Op): boolean => kinds.includes(op.op) || (op.op === 'txn' && txnHas(op, kinds));
  return request.success.some(has) || request.failure.some(has);
}

/** Whether `command` is one etcd's corrupt applier refuses: anything that changes the keys or the leases. */
function changesData(command: KvCommand): boolean {
  switch (command.kind) {
    case 'put':
    case 'deleteRange':
    case 'compact':
    case 'leaseGrant':
    case 'leaseRevoke':
      return true;
    case 'txn':
      // etcd serves a read-only transaction without its applier.
      return txnHas(command.request, ['put', 'deleteRange']);
    case 'leaseCheckpoint':
    case 'alarm':
    case 'auth':
    case 'memberAdd':
    case 'memberRemove':
    case 'memberUpdate':
    case 'memberPromote':
    case 'memberAttributes':
      return false;
    default: {
      const unknown: never = command;
      throw new Error(`unknown KV command ${JSON.stringify(unknown)}`);
    }
  }
}

const EMPTY = new Uint8Array(0);

function isEtcdError(error: unknown): error is EtcdError {
  return error instanceof Error && typeof (error as Partial<EtcdError>).grpcCode === 'number';
}
