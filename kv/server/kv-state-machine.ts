/**
 * The KV's replicated state machine: the MVCC store, the leases and the alarms, changed
 * only by applying `KvCommand`s in log order. A command the data refuses (a compacted
 * revision, an unknown lease) is a result carrying etcd's error, the same on every member,
 * not a failure of the node.
 */
import { pack, unpack } from 'msgpackr';
import type { AppliedEntry, StateMachine } from '../../raft/index.js';
import { decodeLessorSnapshot, encodeLessorSnapshot, Lessor } from '../lease/index.js';
import type { GrantedLease } from '../lease/index.js';
import { MvccStore } from '../mvcc/index.js';
import type { DeleteRangeResponse, PutResponse, TxnResponse } from '../mvcc/requests.js';
import type { RevisionChanges } from '../mvcc/types.js';
import { decodeCommand } from './commands.js';
import type { AlarmType, KvCommand } from './commands.js';

/** An etcd error as the client will see it: a gRPC status code and etcd's exact text. */
export interface EtcdFailure {
  readonly grpcCode: number;
  readonly message: string;
}

export type CommandResult =
  | { readonly ok: true; readonly kind: 'put'; readonly response: PutResponse }
  | { readonly ok: true; readonly kind: 'deleteRange'; readonly response: DeleteRangeResponse }
  | { readonly ok: true; readonly kind: 'txn'; readonly response: TxnResponse }
  | { readonly ok: true; readonly kind: 'compact' | 'alarm' | 'leaseCheckpoint'; readonly revision: number }
  | { readonly ok: true; readonly kind: 'leaseGrant'; readonly lease: GrantedLease; readonly revision: number }
  | { readonly ok: true; readonly kind: 'leaseRevoke'; readonly revision: number }
  | { readonly ok: false; readonly failure: EtcdFailure; readonly revision: number };

export interface ActiveAlarm {
  readonly memberId: bigint;
  readonly alarm: AlarmType;
}

export interface KvStateMachineOptions {
  /** The leader's clock for lease deadlines, in ms. */
  readonly now: () => number;
  readonly minLeaseTtlSeconds: number;
}

/** Something an error thrown by the store or the lessor carries when it is etcd's. */
interface EtcdError {
  readonly grpcCode: number;
  readonly message: string;
}

export class KvStateMachine implements StateMachine<CommandResult> {
  store: MvccStore;
  readonly lessor: Lessor;
  alarms: ActiveAlarm[] = [];
  private readonly changeListeners = new Set<(changes: RevisionChanges) => void>();
  private readonly restoreListeners = new Set<() => void>();
  private unsubscribe: () => void;

  constructor(options: KvStateMachineOptions) {
    this.lessor = new Lessor({ now: options.now, minTtlSeconds: options.minLeaseTtlSeconds });
    this.store = this.newStore();
    this.unsubscribe = this.store.onChanges((changes) => this.emitChanges(changes));
  }

  apply(entries: readonly AppliedEntry[]): CommandResult[] {
    return entries.map((entry) => this.applyCommand(decodeCommand(entry.data)));
  }

  snapshot(): Uint8Array {
    return pack({
      store: this.store.snapshot(),
      lessor: encodeLessorSnapshot(this.lessor.snapshot()),
      alarms: this.alarms.map((a) => ({ memberId: a.memberId.toString(), alarm: a.alarm })),
    });
  }

  restore(data: Uint8Array): void {
    const state = unpack(data) as { store: Uint8Array; lessor: Uint8Array; alarms: { memberId: string; alarm: AlarmType }[] };
    this.lessor.restore(decodeLessorSnapshot(state.lessor));
    this.unsubscribe();
    this.store = MvccStore.restore(state.store, { leaseExists: (id) => this.lessor.has(id) });
    this.unsubscribe = this.store.onChanges((changes) => this.emitChanges(changes));
    this.alarms = state.alarms.map((a) => ({ memberId: BigInt(a.memberId), alarm: a.alarm }));
    for (const listener of this.restoreListeners) listener();
  }

  /** New revisions, as the store makes them (across restores). */
  onChanges(listener: (changes: RevisionChanges) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** The whole state was replaced by a snapshot. */
  onRestore(listener: () => void): () => void {
    this.restoreListeners.add(listener);
    return () => this.restoreListeners.delete(listener);
  }

  private applyCommand(command: KvCommand): CommandResult {
    try {
      return this.execute(command);
    } catch (error) {
      if (isEtcdError(error)) return { ok: false, failure: { grpcCode: error.grpcCode, message: error.message }, revision: this.store.revision };
      throw error;
    }
  }

  private execute(command: KvCommand): CommandResult {
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
      case 'alarm': {
        const others = this.alarms.filter((a) => !(a.memberId === command.memberId && a.alarm === command.alarm));
        this.alarms = command.action === 'activate' ? [...others, { memberId: command.memberId, alarm: command.alarm }] : others;
        return { ok: true, kind: 'alarm', revision: this.store.revision };
      }
      default: {
        const unknown: never = command;
        throw new Error(`unknown KV command ${JSON.stringify(unknown)}`);
      }
    }
  }

  private newStore(): MvccStore {
    return new MvccStore({ leaseExists: (id) => this.lessor.has(id) });
  }

  private emitChanges(changes: RevisionChanges): void {
    for (const listener of this.changeListeners) listener(changes);
  }
}

function isEtcdError(error: unknown): error is EtcdError {
  return error instanceof Error && typeof (error as Partial<EtcdError>).grpcCode === 'number';
}
